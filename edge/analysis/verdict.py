"""The ONNX horn classifier's verdict on a closed event, heard through the beam toward it.

The harmonicity detector decides fast (a few hops) and says which bins are the horn; the
classifier (`edge/classifier`, 0.975 s patches) then decides whether the event is reported:
p(siren) at or above the model card's veto drops it (a siren is never evidence), p(horn) below
the card's threshold drops it. Without the model files the node keeps working on harmonicity
alone and says so once in the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    horn: float
    siren: float
    report: bool


class ClassifierVerdict:
    def __init__(self, variant: str = "yamnet_head") -> None:
        self.variant = variant
        self._clf = None
        self._failed = False

    def _load(self):
        if self._clf is None and not self._failed:
            try:
                from edge.classifier.classifier import HornClassifier

                self._clf = HornClassifier(self.variant, threads=1)
            except Exception as exc:  # missing model files or onnxruntime: fall back, loudly
                self._failed = True
                log.warning("horn classifier unavailable (%s); reporting on harmonicity alone", exc)
        return self._clf

    @property
    def available(self) -> bool:
        return self._load() is not None

    def judge(self, clip: np.ndarray, sample_rate: int) -> Verdict | None:
        """Verdict for a mono clip (None when the classifier is unavailable)."""
        clf = self._load()
        if clf is None or clip.size == 0:
            return None
        score = clf.score_clip(clip, sample_rate)
        horn = max(p.horn for p in score.patches)
        siren = score.siren_probability
        return Verdict(horn, siren, horn >= clf.threshold and siren < clf.variant.siren_veto)
