"""Sound from a moving point source to every microphone: delay, spreading, absorption, reflections.

Every accuracy figure of honkwatch is measured on simulated scenes, so this module does the
physics per microphone rather than per array: each microphone m hears the source at the
retarded time t_e solving t = t_e + |s(t_e) − m| / c, with its own 1/r and its own directivity
angle. Doppler shift, the changing inter-microphone delays of a passing car and the near-field
wavefront curvature at 7 m all follow from that one equation instead of being modelled apart.

Reflections are image sources (the road below, optionally a building façade beside it), each
an extra `PropagationPath` rendered the same way. Air absorption (ISO 9613-1) is applied to the
dry signal once per path group as a time-varying filter, since it depends on the distance to
the array (tens of metres) far more than on which microphone (< 1 m apart) listens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

SPEED_OF_SOUND_MPS = 343.2
"""At 20 °C; scene.json records the value used so a localizer can assume the same."""

_UPSAMPLE = 4  # fractional delays by linear interpolation on a 4× upsampled signal: < 0.5 % error to 6 kHz
_KNOT_STEP = 128  # retarded times solved exactly every 128 output samples, linear in between (< 0.01 sample)


def speed_of_sound(temperature_c: float) -> float:
    """Speed of sound in dry air (m/s) at `temperature_c`."""
    return 331.3 * float(np.sqrt(1.0 + temperature_c / 273.15))


def air_absorption_db_per_m(
    freq_hz: np.ndarray | float,
    temperature_c: float = 20.0,
    humidity_pct: float = 70.0,
    pressure_kpa: float = 101.325,
) -> np.ndarray:
    """Atmospheric absorption coefficient (dB/m) per ISO 9613-1:1993, equations (3)–(5).

    At 20 °C and 70 % humidity: about 0.005 dB/m at 1 kHz, 0.023 at 4 kHz, 0.077 at 8 kHz, so a
    horn's upper harmonics at 50 m lose several dB that its fundamental keeps.
    """
    f = np.asarray(freq_hz, dtype=float)
    t = temperature_c + 273.15
    t0, t01, pr = 293.15, 273.16, 101.325
    pa = pressure_kpa / pr
    c_sat = -6.8346 * (t01 / t) ** 1.261 + 4.6151
    h = humidity_pct * 10.0**c_sat / pa  # molar concentration of water vapour, %
    fr_o = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    fr_n = pa * (t / t0) ** -0.5 * (9.0 + 280.0 * h * np.exp(-4.170 * ((t / t0) ** (-1.0 / 3.0) - 1.0)))
    return (
        8.686
        * f**2
        * (
            1.84e-11 / pa * (t / t0) ** 0.5
            + (t / t0) ** -2.5
            * (
                0.01275 * np.exp(-2239.1 / t) / (fr_o + f**2 / fr_o)
                + 0.1068 * np.exp(-3352.0 / t) / (fr_n + f**2 / fr_n)
            )
        )
    )


@dataclass(frozen=True)
class Trajectory:
    """A source moving at constant velocity: position `start` (m) at time 0 plus `velocity` (m/s) × t.

    Road traffic over the seconds of one honk drives straight at a steady speed; a straight path
    also stays straight under the mirror images of reflections.
    """

    start: np.ndarray
    velocity: np.ndarray

    def at(self, t: np.ndarray | float) -> np.ndarray:
        """Positions (…, 3) at emission times t."""
        t = np.asarray(t, dtype=float)
        return np.asarray(self.start, float) + t[..., None] * np.asarray(self.velocity, float)

    def transformed(self, rotation: np.ndarray, offset: np.ndarray | None = None) -> Trajectory:
        """The same path with every point mapped p → rotation @ p + offset."""
        rot = np.asarray(rotation, float)
        start = rot @ np.asarray(self.start, float)
        if offset is not None:
            start = start + np.asarray(offset, float)
        return Trajectory(start, rot @ np.asarray(self.velocity, float))


@dataclass(frozen=True)
class PropagationPath:
    """One way sound reaches the array: the direct path, or an image source of a reflection.

    `gain` is the product of the reflection coefficients on the way (1 for the direct path).
    `facing` (unit vector, array frame) and `rear_loss_db` model a directional source such as a
    horn behind a grille: the level falls smoothly to −rear_loss_db straight behind it.
    """

    trajectory: Trajectory
    gain: float = 1.0
    facing: np.ndarray | None = None
    rear_loss_db: float = 0.0
    name: str = "direct"


def retarded_times(
    path: PropagationPath, mics: np.ndarray, t_arrival: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """Emission times (M, K) and distances (M, K) of the sound each mic hears at `t_arrival` (K,).

    Fixed-point iteration on t_e = t − |s(t_e) − m| / c; it contracts by |v|/c (< 0.06 for road
    traffic), so five rounds leave < 1 ns of error.
    """
    t_e = np.broadcast_to(t_arrival[None, :], (len(mics), len(t_arrival))).copy()
    for _ in range(5):
        d = np.linalg.norm(path.trajectory.at(t_e) - mics[:, None, :], axis=-1)
        t_e = t_arrival[None, :] - d / c
    d = np.linalg.norm(path.trajectory.at(t_e) - mics[:, None, :], axis=-1)
    return t_e, d


def _directivity(path: PropagationPath, mics: np.ndarray, t_e: np.ndarray) -> np.ndarray | float:
    if path.facing is None or path.rear_loss_db == 0.0:
        return 1.0
    toward = mics[:, None, :] - path.trajectory.at(t_e)
    cos = toward @ np.asarray(path.facing, float) / np.maximum(np.linalg.norm(toward, axis=-1), 1e-9)
    return 10.0 ** (-path.rear_loss_db * (1.0 - cos) / 2.0 / 20.0)


def apply_air_absorption(
    x: np.ndarray,
    fs: int,
    distance_at: np.ndarray,
    temperature_c: float = 20.0,
    humidity_pct: float = 70.0,
) -> np.ndarray:
    """Filter `x` by the air between source and array, frame by frame (≈ 21 ms frames at 48 kHz).

    `distance_at` gives the path length for every sample of x (only its values at frame centres
    are used); a car driving from 50 m to 10 m gets gradually brighter, as it does on the street.
    """
    nper = 1024 if fs >= 32000 else 512
    if len(x) < 2 * nper:
        r = float(np.mean(distance_at))
        spec = np.fft.rfft(x)
        f = np.fft.rfftfreq(len(x), 1.0 / fs)
        return np.fft.irfft(
            spec * 10.0 ** (-air_absorption_db_per_m(f, temperature_c, humidity_pct) * r / 20), len(x)
        )
    f, times, z = sps.stft(x, fs, nperseg=nper, noverlap=nper // 2, boundary="even", padded=True)
    centres = np.clip(np.round(times * fs).astype(int), 0, len(x) - 1)
    alpha = air_absorption_db_per_m(f, temperature_c, humidity_pct)
    z *= 10.0 ** (-alpha[:, None] * np.asarray(distance_at)[centres][None, :] / 20.0)
    _, y = sps.istft(z, fs, nperseg=nper, noverlap=nper // 2, boundary=True)
    return y[: len(x)]


def render_path(
    out: np.ndarray,
    fs: int,
    x: np.ndarray,
    t0: float,
    path: PropagationPath,
    mics: np.ndarray,
    c: float = SPEED_OF_SOUND_MPS,
    upsampled: np.ndarray | None = None,
) -> None:
    """Add what every microphone hears of source signal `x` along `path` into `out` (M, N).

    `x` is the pressure the source makes at 1 m (Pa), sample i emitted at t0 + i/fs. Each
    microphone's signal is x read at its own retarded time (a time-varying fractional delay,
    linear interpolation on a 4× upsampled copy) times gain·directivity/r at that moment.
    Pass `upsampled` (from `upsample`) to share one resampling between paths of a source.
    """
    n_out = out.shape[1]
    xu = upsample(x) if upsampled is None else upsampled
    dur = len(x) / fs
    # Arrival window, from the path length at the ends of the emission window (plus slack for motion).
    probe = np.linspace(t0, t0 + dur, 16)
    r = np.linalg.norm(path.trajectory.at(probe), axis=-1)
    slack = 0.1 + float(np.abs(np.ptp(mics, axis=0)).max()) / c
    first = max(0, int(np.floor((t0 + r.min() / c - slack) * fs)))
    last = min(n_out, int(np.ceil((t0 + dur + r.max() / c + slack) * fs)))
    if last <= first:
        return
    first -= first % _KNOT_STEP
    knots = np.arange(first, last + _KNOT_STEP, _KNOT_STEP)
    t_e, dist = retarded_times(path, mics, knots / fs, c)
    gain = path.gain * _directivity(path, mics, t_e) / np.maximum(dist, 0.05)
    # Index into the upsampled signal, which carries _PAD zeros in front of sample 0.
    pos = np.clip((t_e - t0) * fs * _UPSAMPLE + _PAD * _UPSAMPLE, 0.0, len(xu) - 2.0)
    _accumulate(out, first, np.asarray(xu, dtype=np.float64), pos, gain)


_PAD = 16


def _accumulate_numpy(out: np.ndarray, first: int, xu: np.ndarray, pos: np.ndarray, gain: np.ndarray) -> None:
    """out[m, first + n] += xu(pos_m(n)) · gain_m(n), both linear between knots every _KNOT_STEP samples."""
    frac = np.arange(_KNOT_STEP) / _KNOT_STEP
    stop = min(first + (pos.shape[1] - 1) * _KNOT_STEP, out.shape[1])
    span = stop - first
    for m in range(len(pos)):
        p = (pos[m, :-1, None] + np.diff(pos[m])[:, None] * frac).reshape(-1)[:span]
        g = (gain[m, :-1, None] + np.diff(gain[m])[:, None] * frac).reshape(-1)[:span]
        i = p.astype(np.int64)
        lo = xu[i]
        out[m, first:stop] += (lo + (p - i) * (xu[i + 1] - lo)) * g


def _accumulate_loops(out: np.ndarray, first: int, xu: np.ndarray, pos: np.ndarray, gain: np.ndarray) -> None:
    """The same as `_accumulate_numpy` as plain loops, for numba to compile (about 20× faster)."""
    n_out = out.shape[1]
    for m in range(pos.shape[0]):
        for k in range(pos.shape[1] - 1):
            p0 = pos[m, k]
            dp = (pos[m, k + 1] - p0) / _KNOT_STEP
            g0 = gain[m, k]
            dg = (gain[m, k + 1] - g0) / _KNOT_STEP
            base = first + k * _KNOT_STEP
            for j in range(_KNOT_STEP):
                n = base + j
                if n >= n_out:
                    break
                p = p0 + dp * j
                i = int(p)
                out[m, n] += (xu[i] + (p - i) * (xu[i + 1] - xu[i])) * (g0 + dg * j)


try:  # numba ships with acoular in the dev tools; a device without it gets the numpy path.
    import numba

    _accumulate = numba.njit(cache=True, nogil=True)(_accumulate_loops)
except ImportError:  # pragma: no cover - depends on the installation
    _accumulate = _accumulate_numpy


def upsample(x: np.ndarray) -> np.ndarray:
    """x at 4× its rate, with `_PAD` zero samples (at the original rate) on both sides."""
    padded = np.concatenate([np.zeros(_PAD), np.asarray(x, float), np.zeros(_PAD)])
    return sps.resample_poly(padded, _UPSAMPLE, 1)


def render_plane_wave(
    out: np.ndarray, x: np.ndarray, unit_toward_source: np.ndarray, mics: np.ndarray, fs: int, c: float
) -> None:
    """Add a far-away source (a plane wave from direction `unit_toward_source`, array frame) to `out`.

    Microphone m hears x delayed by (aperture − m·u)/c: the same sample of the wave reaches the
    microphones nearer the source first. `x` needs `out.shape[1]` samples plus the aperture's delay.
    """
    lead = -(mics @ np.asarray(unit_toward_source, float)) / c
    delay = lead - lead.min()  # ≥ 0, in seconds
    n = out.shape[1]
    knots = np.arange(0, n + _KNOT_STEP, _KNOT_STEP, dtype=float)
    pos = np.clip(knots[None, :] + (delay.max() - delay)[:, None] * fs, 0.0, len(x) - 2.0)
    _accumulate(out, 0, np.asarray(x, dtype=np.float64), pos, np.ones_like(pos))
