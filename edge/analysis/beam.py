"""The horn as heard through a beam toward its source, built hop by hop from the STFT.

Why: the classifier must judge the horn, not the mix. A siren two lanes away or a beeper behind
the pole is attenuated by the beam toward the honking vehicle, so the classifier's verdict is
about that vehicle. The beam is formed in the STFT domain (delay-and-sum per bin, healthy
microphones only) and returned as time-domain frames; Hann frames at 50 % overlap add back to
the signal, band-limited to the analysis band.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft

from edge.analysis.steering import SteeringModel
from edge.analysis.stft import Hop


def beam_spectra(
    hop: Hop,
    model: SteeringModel,
    freqs_hz: np.ndarray,
    healthy: np.ndarray,
    azimuth_deg: float,
    elevation_deg: float,
    distance_m: float | None,
) -> np.ndarray:
    """(F, K) the hop's snapshots beamformed toward one direction (delay-and-sum, healthy
    microphones), on the scale of one microphone."""
    dist = None if distance_m is None else np.array([distance_m])
    a = model.vectors(np.array([azimuth_deg]), np.array([elevation_deg]), dist, freqs_hz)[:, 0, :]  # (F, M)
    a = np.where(healthy[None, :], a, 0)
    return np.einsum("fm,fmk->fk", np.conj(a), hop.spectra) / max(int(healthy.sum()), 1)


def beam_frames(hop: Hop, beamed: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(first sample, frame) pairs of the hop's frames from its beamformed snapshots `beamed`
    ((F, K), from `beam_spectra`)."""
    frames = sfft.irfft(beamed, n=hop.frame, axis=0).T.astype(np.float32)  # (K, frame)
    advance = hop.frame // 2
    return [(hop.start_sample + k * advance, frames[k]) for k in range(frames.shape[0])]


def overlap_add(frames: list[tuple[int, np.ndarray]]) -> tuple[int, np.ndarray]:
    """Rebuild the signal from (first sample, frame) pairs: (first sample, samples)."""
    if not frames:
        return 0, np.zeros(0, np.float32)
    start = min(s for s, _ in frames)
    end = max(s + len(f) for s, f in frames)
    out = np.zeros(end - start, np.float32)
    seen: set[int] = set()
    for s, f in frames:
        if s in seen:  # a merged double tap may carry the same hop twice
            continue
        seen.add(s)
        out[s - start : s - start + len(f)] += f
    return start, out
