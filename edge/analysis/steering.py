"""Propagation model: delays from a focus point to each microphone, steering vectors, and a beam.

Near-field focusing: the delay to microphone m is (|p − x_m| − |p|)/c for a focus point p, so a
vehicle 10 m away is focused on its spherical wavefront (a 0.9 m aperture at 10 m is well inside
the near field at the horn's upper harmonics). With an infinite distance it is the plane wave.
The evidence builder uses `beamform_signal` to make the audio clip "toward the vehicle".

The road reflection: a horn 0.6–1 m above asphalt (which reflects ~0.9 of the sound) reaches the
array twice, directly and from its mirror image below the road. From a pole 6 m up, the image is
2–4° below the vehicle — inside the main lobe — so steering at the direct path alone pulls every
estimate downward by a fraction of a degree. When the road plane is known (`GroundImage`), each
microphone's steering phase can be that of the direct wave plus the reflected one, which is what
the microphone really hears from a horn at that focus point (`point_steering`, used by
`edge.analysis.road` to refit the localizer's peak).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.geometry.camera import direction_to_unit


def focus_points(
    azimuth_deg: np.ndarray | float, elevation_deg: np.ndarray | float, distance_m: np.ndarray | float | None
) -> np.ndarray:
    """Points (…, 3) in the array frame; `distance_m` None or inf gives unit vectors (far field)."""
    units = direction_to_unit(azimuth_deg, elevation_deg)
    if distance_m is None:
        return units
    d = np.asarray(distance_m, dtype=float)
    return np.where(np.isfinite(d)[..., None], units * np.where(np.isfinite(d), d, 1.0)[..., None], units)


def steering_delays(
    positions_m: np.ndarray,
    azimuth_deg: np.ndarray | float,
    elevation_deg: np.ndarray | float,
    distance_m: np.ndarray | float | None = None,
    speed_of_sound: float = 343.0,
) -> np.ndarray:
    """Arrival delay in seconds at each microphone relative to the array origin, shape (…, M).

    Positive means the sound reaches that microphone later than the origin. Far field when
    `distance_m` is None or infinite.
    """
    pos = np.asarray(positions_m, dtype=float)
    units = direction_to_unit(azimuth_deg, elevation_deg)
    ux = units @ pos.T  # (…, M): each microphone's offset along the direction
    if distance_m is None:
        return -ux / speed_of_sound
    d = np.broadcast_to(np.asarray(distance_m, dtype=float), np.shape(units)[:-1])
    finite = np.isfinite(d)
    dd = np.where(finite, d, 1.0)[..., None]
    # |p − x| − d for p = d·u, as (|x|² − 2d u·x) / (|p − x| + d): no (…, M, 3) differences, and no
    # cancellation between two lengths of tens of metres that differ by centimetres.
    xx = np.einsum("mk,mk->m", pos, pos)
    span = xx - 2 * dd * ux
    near = span / (np.sqrt(dd * dd + span) + dd) / speed_of_sound
    return np.where(finite[..., None], near, -ux / speed_of_sound)


def steering_matrix(delays_s: np.ndarray, freqs_hz: np.ndarray) -> np.ndarray:
    """Unit-modulus steering vectors exp(−j2πfτ), shape (F, …, M), complex64."""
    f = np.asarray(freqs_hz, dtype=np.float32).reshape((-1,) + (1,) * np.ndim(delays_s))
    phase = (-2 * np.pi) * f * np.asarray(delays_s, dtype=np.float32)[None]
    out = np.empty(phase.shape, dtype=np.complex64)
    out.real = np.cos(phase)
    out.imag = np.sin(phase)
    return out


def beamform_signal(
    audio: np.ndarray,
    sample_rate: int,
    positions_m: np.ndarray,
    azimuth_deg: float,
    elevation_deg: float,
    distance_m: float | None = None,
    channel_mask: np.ndarray | None = None,
    speed_of_sound: float = 343.0,
) -> np.ndarray:
    """Delay-and-sum beam of `audio` (frames, M) toward a direction: mono float32, same length.

    Each channel is advanced by its delay with an exact fractional shift in the frequency domain
    (zero-padded, so nothing wraps around), then the healthy channels are averaged. Toward the
    vehicle the horn adds up coherently and other sounds partly cancel: the evidence clip.
    """
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(positions_m):
        raise ValueError(f"audio must be (frames, {len(positions_m)}), got {x.shape}")
    mask = np.ones(x.shape[1], bool) if channel_mask is None else np.asarray(channel_mask, bool)
    if not mask.any():
        raise ValueError("no healthy channel to beamform")
    tau = steering_delays(positions_m, azimuth_deg, elevation_deg, distance_m, speed_of_sound)
    n = x.shape[0]
    nfft = 1 << int(np.ceil(np.log2(n + int(np.ceil(np.abs(tau).max() * sample_rate)) + 2)))
    spec = np.fft.rfft(x[:, mask], nfft, axis=0)
    f = np.fft.rfftfreq(nfft, 1.0 / sample_rate)
    spec *= np.exp(2j * np.pi * f[:, None] * tau[mask][None, :])
    return np.fft.irfft(spec.mean(axis=1), nfft)[:n].astype(np.float32)


@dataclass(frozen=True)
class GroundImage:
    """The road as a mirror: the plane n·p = `height_m` in the array frame (`normal` points down, unit).

    `reflection` is the pressure reflection coefficient of the surface (dense asphalt ≈ 0.9).
    """

    normal: np.ndarray
    height_m: float
    reflection: float

    def mirror(self, points: np.ndarray) -> np.ndarray:
        """Image points (…, 3) of `points` (…, 3) below the road plane."""
        n = np.asarray(self.normal, dtype=float)
        return points + 2.0 * (self.height_m - points @ n)[..., None] * n


def point_steering(
    positions_m: np.ndarray,
    points: np.ndarray,
    freqs_hz: np.ndarray,
    speed_of_sound: float,
    ground: GroundImage | None = None,
) -> np.ndarray:
    """Unit-modulus steering (F, G, M) toward focus points (G, 3): the phase of the direct wave, or
    of direct + reflected wave when `ground` is given (the modulus is dropped so the localizer's
    diagonal removal and PHAT both still hold)."""
    pos = np.asarray(positions_m, dtype=float)
    d0 = np.linalg.norm(points, axis=-1)[:, None]
    r = np.linalg.norm(points[:, None, :] - pos, axis=-1)
    a = steering_matrix((r - d0) / speed_of_sound, freqs_hz)
    if ground is None:
        return a
    a /= r.astype(np.float32)
    r_image = np.linalg.norm(ground.mirror(points)[:, None, :] - pos, axis=-1)
    a += (
        ground.reflection
        * steering_matrix((r_image - d0) / speed_of_sound, freqs_hz)
        / r_image.astype(np.float32)
    )
    return (a / np.maximum(np.abs(a), 1e-30)).astype(np.complex64)


class SteeringModel:
    """Steering vectors for focus points on the grid: the direct path, near-field when a distance is given.

    One object owns the array geometry and the speed of sound, so the coarse cache and the local
    refinement steer with the same model.
    """

    def __init__(self, positions_m: np.ndarray, speed_of_sound: float) -> None:
        self.positions = np.asarray(positions_m, dtype=float)
        self.c = speed_of_sound

    def vectors(
        self,
        azimuth_deg: np.ndarray,
        elevation_deg: np.ndarray,
        distance_m: np.ndarray | None,
        freqs_hz: np.ndarray,
    ) -> np.ndarray:
        """Unit-modulus steering vectors (F, G, M) complex64 for the grid points."""
        tau = steering_delays(self.positions, azimuth_deg, elevation_deg, distance_m, self.c)
        return steering_matrix(tau, freqs_hz)
