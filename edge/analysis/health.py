"""Channel health and wind, judged from the audio itself on every hop (never from configuration).

A dead MEMS microphone reads near silence, a failing one hisses or crackles well above its
neighbours; both would bend the sound map, so they are excluded while they misbehave. Wind is
turbulence at each microphone's port: loud at low frequency and uncorrelated between
microphones, where real sound at those wavelengths (metres) is nearly identical across the
array. Its signature is a low coherent-to-incoherent power ratio in the low band; while it lasts,
horn events are still reported but carry the "wind" condition, which suspends enforcement.

Both judgements leave out the converters' DC offsets. A Hann window spreads a constant over
bins 0 and 1 only (bin 1 gets −½ of bin 0), and the offset differs from channel to channel, so it
is loud and uncorrelated exactly like wind: the level skips both bins, and the wind band's bin 1
is taken as X[1] + X[0]/2, which holds no constant. I²S MEMS microphones commonly carry offsets
of up to a percent of full scale; with the plain bin 1, offsets of ±0.01 marked every horn of a
scene "wind" (no evidence at all), and the independent simulator's per-microphone drift below
20 Hz marked 5 of its 46 events "wind" (independent scenes 32 ch seeds 1-10, 64 ch 1-12) though
no wind blew.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.analysis.config import HealthConfig

# A hop whose every channel is below this carries no signal: a capture gap filled with zeros or
# digital silence at the head of a file. Real microphones' self-noise sits 30 dB above it.
SILENT_DBFS = -120.0
_QUIET_BINS = 20  # the hop's quietest bins, where a click on one microphone shows most


def typical_level(levels_db: np.ndarray) -> float:
    """The level most live channels have: the upper quartile rather than the median, because a
    dropped converter line can silence half the array at once, and against the median the other
    half would then be called noisy."""
    q = 3 * len(levels_db) // 4
    return float(np.partition(levels_db, q)[q])


@dataclass(frozen=True)
class HealthState:
    healthy: np.ndarray  # (M,) bool
    level_db: np.ndarray  # (M,) smoothed channel level, dB re digital full scale
    wind: bool
    low_band_coherence: float
    silent: bool = False  # no channel carries any signal this hop (see `SILENT_DBFS`)


class ChannelHealth:
    def __init__(self, config: HealthConfig, channels: int, freqs_hz: np.ndarray, hop_s: float) -> None:
        self.cfg = config
        self.channels = channels
        self._alpha = 1.0 - np.exp(-hop_s / config.level_time_constant_s)
        self._wind_alpha = 1.0 - np.exp(-hop_s / config.wind_time_constant_s)
        lo, hi = config.wind_band_hz
        self._wind_bins = np.flatnonzero((freqs_hz >= lo) & (freqs_hz <= hi) & (freqs_hz > 0))
        self._mid_bins = np.flatnonzero((freqs_hz >= 1000.0) & (freqs_hz <= 4000.0))
        self._sound_from = int(np.searchsorted(freqs_hz, 200.0))  # first bin of the quiet-bin test
        self._level: np.ndarray | None = None
        self._coherence: float | None = None

    def _in_band(self, levels_db: np.ndarray) -> np.ndarray:
        """(M,) bool: neither `dead_below_median_db` below nor `noisy_above_median_db` above the
        typical level (`typical_level`)."""
        ref = typical_level(levels_db)
        return (levels_db > ref - self.cfg.dead_below_median_db) & (
            levels_db < ref + self.cfg.noisy_above_median_db
        )

    def update(self, spectra: np.ndarray, power_fm: np.ndarray, power_scale: float) -> HealthState:
        """Update from one hop's spectra (F, M, K) and their power summed over snapshots (F, M)
        (computed once per hop by the caller, who needs it too); return which channels to trust now."""
        k = spectra.shape[2]
        ms = power_fm[2:].sum(0) * (power_scale / k)  # (M,) mean square above the DC offset's bins
        db = 10 * np.log10(np.maximum(ms, 1e-20))
        self._level = db if self._level is None else self._level + self._alpha * (db - self._level)
        healthy = self._in_band(self._level)
        # The same test on this hop alone. A glitch (a click, a bit error) is too short to move the
        # smoothed level but lifts its hop in every bin; a line that drops out reads zeros before
        # its smoothed level has fallen. Either channel sits the hop out. A sound reaches every
        # microphone within a few dB, so no source does this.
        healthy &= self._in_band(db)
        # A click is flat in frequency, the street is not: in the bins where the array hears least
        # this hop (between a siren's partials, say), a click that hardly moves the channel's
        # whole level stands far out.
        n_quiet = min(_QUIET_BINS, len(power_fm) - self._sound_from - 1)
        if n_quiet > 0:
            order = np.argpartition(power_fm[self._sound_from :].sum(1), n_quiet)[:n_quiet] + self._sound_from
            lo = 10 * np.log10(np.maximum(power_fm[order].sum(0), 1e-30))
            healthy &= lo < typical_level(lo) + self.cfg.noisy_above_median_db
        if healthy.sum() < 2:
            healthy = np.ones(self.channels, bool)  # nothing to compare against: trust all rather than none
        low = spectra[self._wind_bins][:, healthy]  # (Fw, Mh, K), a copy
        if self._wind_bins.size and self._wind_bins[0] == 1:
            low[0] += 0.5 * spectra[0][healthy]  # the DC offset's share of bin 1 taken out
        m = low.shape[1]
        low_power = float((low.real**2 + low.imag**2).sum())
        coherent = (np.abs(low.sum(1)) ** 2).sum()
        incoherent = m * low_power
        ratio = float(coherent / incoherent) if incoherent > 0 else 1.0
        # Self-noise is incoherent too, but white: only a low band far above the mid band is wind.
        mid = power_fm[self._mid_bins][:, healthy].sum() / (len(self._mid_bins) * m * k)
        low_mean = low_power / max(low.size, 1)
        tilt_db = 10 * np.log10(max(low_mean, 1e-30) / max(float(mid), 1e-30))
        # Wind is judged only on hops where the low band dominates; other hops (a horn, a quiet
        # moment) leave the judgement as it was instead of talking it out of a gust.
        if tilt_db >= self.cfg.wind_low_over_mid_db:
            if self._coherence is None:
                self._coherence = ratio
            else:
                self._coherence += self._wind_alpha * (ratio - self._coherence)
        coherence = 1.0 if self._coherence is None else self._coherence
        return HealthState(
            healthy=healthy,
            level_db=self._level.copy(),
            wind=coherence < self.cfg.wind_coherence_max,
            low_band_coherence=coherence,
            silent=float(db.max()) < SILENT_DBFS,
        )
