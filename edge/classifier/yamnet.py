"""YAMNet (AudioSet) as an ONNX session: class scores and embeddings per 0.96 s patch.

The file `models/yamnet.onnx` is converted from the TensorFlow SavedModel by
`models/convert_yamnet.py` (see `models/NOTICE.md`). Its input is a float32 mono waveform at
16 kHz; YAMNet frames it itself into 0.96 s patches with a 0.48 s hop.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.classifier.sessions import open_session
from edge.paths import models_dir

HORN_CLASSES = (302, 312)  # "Vehicle horn, car horn, honking", "Air horn, truck horn"
SIREN_CLASSES = (
    316,
    317,
    318,
    319,
    390,
    391,
)  # emergency vehicle, police/ambulance/fire siren, siren, civil defence


class Yamnet:
    """A bounded-thread YAMNet session."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        self.path = Path(path) if path else models_dir() / "yamnet.onnx"
        self._session = open_session(self.path, threads)

    def run(self, wave16k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores [patches, 521], embeddings [patches, 1024]) for 16 kHz mono audio."""
        x = np.ascontiguousarray(wave16k, dtype=np.float32)
        scores, emb = self._session.run(["scores", "embeddings"], {"waveform": x})
        return scores, emb


def baseline_horn_score(scores: np.ndarray) -> np.ndarray:
    """Plain YAMNet's horn score per patch: class 302 + class 312, clipped to [0, 1]."""
    return np.clip(scores[..., list(HORN_CLASSES)].sum(axis=-1), 0.0, 1.0)
