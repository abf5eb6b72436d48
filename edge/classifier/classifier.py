"""`HornClassifier`: p(horn), p(siren), p(other) for audio windows and whole clips.

Two variants, both listed with their thresholds in `models/horn_classifier.json`:
- `yamnet_head` (default): YAMNet (AudioSet) → small trained head. 16 MB; ~3 ms per window.
- `compact_cnn`: a log-mel CNN under 1 MB for low-end nodes, distilled from the default.

Audio of any rate and channel count is accepted: channels are averaged, then resampled to
16 kHz. A window is 0.975 s; a clip is scored in 0.975 s patches with a 0.48 s hop (YAMNet's
own framing), so every part of a horn shorter than 0.48 s lies wholly inside some patch. Each
patch is scaled to a fixed level first (`level_normalised_patches`): the verdict does not
depend on the microphone gain, and digital silence is never a horn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.classifier import features
from edge.classifier.card import Variant, load_variant
from edge.classifier.sessions import open_session
from edge.classifier.yamnet import Yamnet, baseline_horn_score

PATCH_HOP_S = 0.48
PATCH_HOP = round(PATCH_HOP_S * features.SAMPLE_RATE)
WINDOW_S = features.WINDOW_SAMPLES / features.SAMPLE_RATE
PATCH_LEVEL_DBFS = -20.0
SILENCE_DBFS = -110.0
SILENT_PROBS = np.array([1.0, 0.0, 0.0], np.float32)


def normalise_level(patch: np.ndarray) -> np.ndarray | None:
    """`patch` scaled to RMS `PATCH_LEVEL_DBFS` (float32), or None if digitally silent. Training
    applies the very same scaling to its windows, so the models see in the field what they learnt on."""
    rms = float(np.sqrt(np.mean(np.square(patch, dtype=np.float64))))
    if rms < 10 ** (SILENCE_DBFS / 20):
        return None
    return (np.asarray(patch) * (10 ** (PATCH_LEVEL_DBFS / 20) / rms)).astype(np.float32)


def level_normalised_patches(wave16k: np.ndarray) -> list[tuple[int, np.ndarray | None]]:
    """Split 16 kHz audio into 0.975 s patches with a 0.48 s hop and scale each to RMS
    `PATCH_LEVEL_DBFS`; returns (first sample, patch) pairs, the patch None if digitally silent
    (below `SILENCE_DBFS`).

    The last patch is aligned to the clip's end rather than zero-padded (a padded patch would
    blow its few real samples up to full level); a clip shorter than one patch is padded.
    Why the scaling: YAMNet's judgement depends on the level (its log-mel has a fixed floor: a
    real car horn at −28 dBFS scores 302 "vehicle horn" at 0.07, at −16 dBFS at 0.27), and a
    muted or very quiet input must not read as a horn. Every patch, in training as in the field,
    is scaled to −20 dBFS RMS, about the loudness of the AudioSet clips YAMNet learnt from, so the
    verdict does not depend on the microphone gain.
    """
    x = np.asarray(wave16k, dtype=np.float32)
    if x.size < features.WINDOW_SAMPLES:
        x = np.pad(x, (0, features.WINDOW_SAMPLES - x.size))
    last = x.size - features.WINDOW_SAMPLES
    starts = list(range(0, last + 1, PATCH_HOP))
    if starts[-1] != last:
        starts.append(last)
    return [(start, normalise_level(x[start : start + features.WINDOW_SAMPLES])) for start in starts]


@dataclass(frozen=True)
class PatchScore:
    """Class probabilities for one 0.975 s patch; times in seconds from the audio's start."""

    t_start: float
    t_end: float
    horn: float
    siren: float
    other: float


@dataclass(frozen=True)
class ClipScore:
    """A clip's verdict. `horn_probability` = max p(horn) × (1 − max p(siren)) over patches,
    and `is_horn` needs it ≥ the threshold *and* max p(siren) < the card's `siren_veto`: a siren
    anywhere in the clip vetoes it, because emergency vehicles are exempt."""

    horn_probability: float
    is_horn: bool
    siren_probability: float
    patches: tuple[PatchScore, ...]


class HornClassifier:
    """Loads one variant's ONNX models (bounded threads) and scores audio.

    `threads` bounds onnxruntime's intra-op threads per session (default 1: the analysis loop
    shares the CPU). Streaming use: call `score_window` every hop with the latest ≥ 0.975 s
    of the reference or beam signal; a hop of 0.25–0.5 s costs 2–4 windows per second.
    """

    def __init__(self, variant: str = "yamnet_head", models: Path | None = None, threads: int = 1) -> None:
        self.variant: Variant = load_variant(variant, models)
        if variant == "yamnet_head":
            self._yamnet = Yamnet(self.variant.files["yamnet"], threads)
            self._head = open_session(self.variant.files["head"], threads)
            # A head may use only some of YAMNet's outputs (ONNX drops unused inputs).
            self._head_inputs = {i.name for i in self._head.get_inputs()}
        else:
            self._cnn = open_session(self.variant.files["cnn"], threads)

    @property
    def threshold(self) -> float:
        """p(horn) at or above which a window or clip counts as a horn (from the card)."""
        return self.variant.threshold

    def model_probs(self, patch: np.ndarray) -> np.ndarray:
        """[3] probabilities (other, horn, siren) of one 15 600-sample 16 kHz patch, exactly as
        the trained model computes them (no level normalisation and no YAMNet gate: those are
        `_probs`' job)."""
        if self.variant.name == "yamnet_head":
            return self._head_probs(*self._yamnet.run(patch))
        return self._cnn.run(["probs"], {"log_mel": features.log_mel(patch)[None]})[0][0]

    def _head_probs(self, scores: np.ndarray, emb: np.ndarray) -> np.ndarray:
        feeds = {"embeddings": emb[:1], "scores": scores[:1]}
        return self._head.run(["probs"], {k: v for k, v in feeds.items() if k in self._head_inputs})[0][0]

    def _patch_probs(self, patch: np.ndarray) -> np.ndarray:
        """`model_probs` with the card's YAMNet gate and rivals applied (the mass taken from p(horn)
        goes to p(other)).

        The gate: p(horn) is scaled by min(1, YAMNet's 302+312 score / yamnet_gate). Why: the head
        was trained on simulated audio; on 125 real non-horn recordings (birds, animals, machines,
        music) it called 18 % horns at the shipped threshold, things YAMNet itself scores near zero
        as horns, while every real horn scored ≥ 0.5 there.

        The rivals: where YAMNet scores one of `yamnet_rivals` (buzzer, alarm, train horn, train
        whistle) above its horn score, p(horn) is scaled further by (horn score / rival score)².
        Why: those sounds pass the gate (YAMNet also hears some horn in them) and the head, which
        never met them, calls them horns: on the real check set a sheep YAMNet heard as a buzzer,
        a race ambience it heard as a train horn and a propeller plane it heard as an alarm; on
        simulated held-out clips, telephone rings, reversing beepers and a bicycle bell. Scaled,
        not zeroed, so the score still ranks (on held-out clips zeroing cost 0.056 of ROC AUC, the
        square 0.019). It costs horns YAMNet itself hears as a buzzer (some electronic e-bike
        horns): a missed honk rather than a false one.
        """
        v = self.variant
        if v.name != "yamnet_head" or (v.yamnet_gate is None and not v.yamnet_rivals):
            return self.model_probs(patch)
        scores, emb = self._yamnet.run(patch)
        probs = np.array(self._head_probs(scores, emb), dtype=np.float32)
        horn = float(baseline_horn_score(scores[:1])[0])
        keep = 1.0 if v.yamnet_gate is None else min(1.0, horn / v.yamnet_gate)
        rival = float(scores[0, list(v.yamnet_rivals)].max()) if v.yamnet_rivals else 0.0
        if rival > horn:
            keep *= (horn / rival) ** 2
        probs[0] += probs[1] * (1.0 - keep)
        probs[1] *= keep
        return probs

    def _probs(self, wave16k: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """(start time s, [3] probabilities (other, horn, siren)) per patch of 16 kHz mono audio."""
        return [
            (start / features.SAMPLE_RATE, SILENT_PROBS if p is None else self._patch_probs(p))
            for start, p in level_normalised_patches(wave16k)
        ]

    def score_window(self, audio: np.ndarray, fs: int = features.SAMPLE_RATE) -> PatchScore:
        """Scores the last 0.975 s of `audio` ([samples] or [samples, channels]); shorter
        audio is zero-padded at the end. Times are relative to the window's start."""
        tail = np.asarray(audio)[-(int(np.ceil(WINDOW_S * fs)) + 64) :]  # resample only what is scored
        wave = features.resample_to_model_rate(features.to_mono(tail), fs)[-features.WINDOW_SAMPLES :]
        if wave.size < features.WINDOW_SAMPLES:
            wave = np.pad(wave, (0, features.WINDOW_SAMPLES - wave.size))
        p = self._probs(wave)[0][1]
        return PatchScore(0.0, WINDOW_S, horn=float(p[1]), siren=float(p[2]), other=float(p[0]))

    def score_patches(self, audio: np.ndarray, fs: int = features.SAMPLE_RATE) -> list[PatchScore]:
        """Sliding 0.975 s patches with a 0.48 s hop over the whole of `audio` (the last one
        aligned to its end), each scored at a normalised level."""
        wave = features.resample_to_model_rate(features.to_mono(audio), fs)
        if wave.size == 0:
            raise ValueError("no audio samples")
        return [
            PatchScore(t, t + WINDOW_S, horn=float(p[1]), siren=float(p[2]), other=float(p[0]))
            for t, p in self._probs(wave)
        ]

    def score_clip(self, audio: np.ndarray, fs: int) -> ClipScore:
        """The clip-level verdict that `honk-edge classify` prints."""
        patches = self.score_patches(audio, fs)
        horn = max(p.horn for p in patches)
        siren = max(p.siren for p in patches)
        prob = horn * (1.0 - siren)
        return ClipScore(
            prob, prob >= self.threshold and siren < self.variant.siren_veto, siren, tuple(patches)
        )
