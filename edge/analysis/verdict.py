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

from edge.classifier.features import SAMPLE_RATE, WINDOW_SAMPLES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """`horn`: the clip's horn probability (max p(horn) × (1 − max p(siren))); `siren`: max
    p(siren); `report`: the classifier's clip verdict, exactly what `honk-edge classify` says."""

    horn: float
    siren: float
    report: bool


def mirror_to_one_patch(clip: np.ndarray, sample_rate: int) -> np.ndarray:
    """A clip shorter than one classifier patch (0.975 s), centred and mirror-padded to one.

    Why: a tap's beam clip is often ~0.6 s. The classifier would zero-pad it, and a patch that
    cuts to digital silence is something YAMNet and the head never met in training (every
    training window is continuous street audio); on simulated scenes a 0.12 s car tap scored
    0.09 zero-padded and 0.88 mirror-padded, while clips with a siren kept their siren verdict.
    """
    need = int(np.ceil(WINDOW_SAMPLES / SAMPLE_RATE * sample_rate))
    if clip.size >= need:
        return clip
    short = need - clip.size
    return np.pad(clip, (short // 2, short - short // 2), mode="reflect")


class ClassifierVerdict:
    """Loads the classifier on first use; `judge` gives None when it cannot be loaded."""

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
        score = clf.score_clip(mirror_to_one_patch(clip, sample_rate), sample_rate)
        return Verdict(score.horn_probability, score.siren_probability, score.is_horn)
