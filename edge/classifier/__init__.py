"""Horn classifier: is this a horn (and not a siren), and which bins carry it.

Interface for the streaming pipeline (`edge/analysis/`):

    from edge.classifier import HornClassifier, horn_bin_mask

    clf = HornClassifier()                      # default variant "yamnet_head"; "compact_cnn" < 1 MB
    s = clf.score_window(block, fs)             # last 0.975 s of mono or [samples, channels] audio
    s.horn, s.siren, s.other                    # probabilities (sum to 1)
    s.horn >= clf.threshold                     # a horn window (threshold from the model card)
    clf.score_patches(audio, fs)                # sliding 0.975 s patches, 0.48 s hop
    clf.score_clip(audio, fs).horn_probability  # clip verdict with the siren veto

    bins = horn_bin_mask(freqs_hz, magnitude)   # one spectrum frame (e.g. |STFT| of the beam)
    bins.weights                                # [bins] in [0, 1]: 1 on the horn's harmonics
    bins.fundamentals_hz                        # e.g. (412.0, 515.0) for a dual-tone car horn

Siren rule: the models have a siren class (a horn under a siren is labelled siren in training),
and a clip's horn probability is multiplied by (1 − its highest p(siren)), so a siren anywhere in
the clip vetoes it. Emergency vehicles are exempt; a siren is never evidence.

Models live in `edge.paths.models_dir()`: `yamnet.onnx`, `horn_head.onnx`, `horn_cnn.onnx` and
the card `horn_classifier.json` (thresholds, feature parameters, metrics, SHA-256 per file).
Features (`features.py`) are the ones training used, tested against YAMNet's own graph.
"""

from edge.classifier.classifier import ClipScore, HornClassifier, PatchScore
from edge.classifier.harmonics import HornBins, horn_bin_mask

__all__ = ["ClipScore", "HornBins", "HornClassifier", "PatchScore", "horn_bin_mask"]
