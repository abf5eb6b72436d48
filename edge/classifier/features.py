"""Audio preparation and log-mel features, shared by training and the edge at run time.

Training (`models/training/`) imports these very functions, so the features a model was trained
on are the features it sees in the field; `tests/test_classifier_features.py` checks them
against YAMNet's own graph (the log-mel frames that `models/yamnet.onnx` computes inside).

The parameters are YAMNet's: 16 kHz mono, 25 ms periodic-Hann window, 10 ms hop, 512-point
FFT magnitude, 64 HTK-mel bands from 125 to 7500 Hz, `log(mel + 0.001)`; a patch is 96 frames
(0.96 s), which needs 15 600 samples (0.975 s) of audio.
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000
STFT_WINDOW = 400  # 25 ms
STFT_HOP = 160  # 10 ms
FFT_LENGTH = 512
MEL_BANDS = 64
MEL_LOW_HZ = 125.0
MEL_HIGH_HZ = 7500.0
LOG_OFFSET = 0.001
PATCH_FRAMES = 96
WINDOW_SAMPLES = STFT_WINDOW + (PATCH_FRAMES - 1) * STFT_HOP  # 15 600 samples = 0.975 s


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Mono float32 from `[samples]` or `[samples, channels]`: the mean over channels.

    Why the mean: for an array's channels it is a broadside beam (a few dB of gain against
    uncorrelated wind and self-noise); a horn is far away, so its phase differs little across
    the aperture at its fundamental and the mean keeps it.
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        return audio
    if audio.ndim == 2:
        return audio.mean(axis=1, dtype=np.float32)
    raise ValueError(f"audio must be [samples] or [samples, channels], got shape {audio.shape}")


def resample_to_model_rate(audio: np.ndarray, fs: int) -> np.ndarray:
    """Mono audio at any rate → float32 at 16 kHz (polyphase, anti-aliased)."""
    if fs <= 0:
        raise ValueError(f"sample rate must be positive, got {fs}")
    if fs == SAMPLE_RATE:
        return np.asarray(audio, dtype=np.float32)
    g = gcd(int(fs), SAMPLE_RATE)
    return resample_poly(audio, SAMPLE_RATE // g, int(fs) // g).astype(np.float32)


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


@lru_cache(maxsize=1)
def mel_matrix() -> np.ndarray:
    """[257, 64] triangular HTK-mel weights, built exactly as TensorFlow's
    `linear_to_mel_weight_matrix` does (the DC bin gets no weight)."""
    bins = FFT_LENGTH // 2 + 1
    freqs = np.linspace(0.0, SAMPLE_RATE / 2, bins)[1:]
    mel = _hz_to_mel(freqs)[:, None]
    edges = np.linspace(_hz_to_mel(MEL_LOW_HZ), _hz_to_mel(MEL_HIGH_HZ), MEL_BANDS + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0.0, np.minimum((mel - lower) / (centre - lower), (upper - mel) / (upper - centre)))
    return np.vstack([np.zeros((1, MEL_BANDS)), weights]).astype(np.float32)


@lru_cache(maxsize=1)
def _mel_sparse_t():  # -> scipy.sparse.csr_matrix [64, 257]
    """The mel matrix, transposed and sparse: each band touches a few bins, and a sparse product
    avoids BLAS, whose worker threads spin and cost ~7x the arithmetic on a small matrix."""
    from scipy.sparse import csr_matrix

    return csr_matrix(mel_matrix().T)


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(STFT_WINDOW)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / STFT_WINDOW)).astype(np.float32)  # periodic Hann


def log_mel(wave16k: np.ndarray) -> np.ndarray:
    """[frames, 64] float32 log-mel of 16 kHz mono audio (frames = 1 + (n − 400) // 160).

    No padding: a caller that needs whole patches passes at least `WINDOW_SAMPLES` samples.
    """
    x = np.asarray(wave16k, dtype=np.float32)
    if x.size < STFT_WINDOW:
        raise ValueError(f"need at least {STFT_WINDOW} samples for one frame, got {x.size}")
    frames = np.lib.stride_tricks.sliding_window_view(x, STFT_WINDOW)[::STFT_HOP]
    mag = np.abs(np.fft.rfft(frames * _window(), n=FFT_LENGTH, axis=1)).astype(np.float32)
    mel = np.ascontiguousarray((_mel_sparse_t() @ mag.T).T, dtype=np.float32)
    return np.log(mel + LOG_OFFSET)


def patches(wave16k: np.ndarray, hop_frames: int = 48) -> np.ndarray:
    """[n, 96, 64] log-mel patches with a hop of `hop_frames` (48 = 0.48 s, as YAMNet).

    The end is zero-padded to a whole number of hops, as YAMNet pads its input, so a short
    tap still gets a score and the last patch covers the clip's tail.
    """
    x = np.asarray(wave16k, dtype=np.float32)
    hop = hop_frames * STFT_HOP
    extra = max(0, x.size - WINDOW_SAMPLES)
    x = np.pad(x, (0, WINDOW_SAMPLES + -(-extra // hop) * hop - x.size))
    mel = log_mel(x)
    starts = range(0, mel.shape[0] - PATCH_FRAMES + 1, hop_frames)
    return np.stack([mel[s : s + PATCH_FRAMES] for s in starts])
