"""Streaming short-time spectra: blocks of any size in, fixed hops of multichannel spectra out.

Frames are placed on absolute sample indices (frame j of the stream starts at j·advance), so the
hops, and everything computed from them, are the same whether the audio arrives in 256-sample
blocks or 48,000-sample blocks. Memory is bounded: only the samples of the next unfinished hop
are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft

from edge.errors import UserFacingError


@dataclass(frozen=True)
class Hop:
    """One analysis hop: `spectra` (bins, channels, snapshots) of the frames starting in it."""

    index: int
    start_sample: int
    spectra: np.ndarray
    sample_rate: int
    hop: int
    frame: int

    @property
    def t_center(self) -> float:
        """Centre of the samples the hop's frames cover, in stream seconds."""
        return (self.start_sample + (self.hop + self.frame // 2) / 2) / self.sample_rate

    @property
    def t_decided(self) -> float:
        """Stream time of the last sample the hop needs: when a live node could act on it."""
        return (self.start_sample + self.hop + self.frame // 2) / self.sample_rate


class StreamingStft:
    """Hann frames of length 2·advance with 50 % overlap, `snapshots` frames per hop, all channels."""

    def __init__(
        self, channels: int, sample_rate: int, hop_s: float, snapshots: int, max_freq_hz: float | None = None
    ) -> None:
        if channels < 1 or sample_rate <= 0:
            raise UserFacingError(
                f"need at least one channel and a positive rate (got {channels}, {sample_rate})"
            )
        self.channels = channels
        self.sample_rate = sample_rate
        self.snapshots = snapshots
        self.advance = max(8, round(hop_s * sample_rate / snapshots))
        self.hop = self.advance * snapshots
        self.frame = 2 * self.advance
        # Samples a hop needs: its last frame ends `advance` into the next hop.
        self.span = self.hop + self.advance
        freqs = np.fft.rfftfreq(self.frame, 1.0 / sample_rate)
        # Only the bins the analysis uses are kept: a horn above ~7 kHz adds nothing but cost.
        self.n_bins = (
            len(freqs)
            if max_freq_hz is None
            else int(min(len(freqs), np.searchsorted(freqs, max_freq_hz) + 2))
        )
        self.freqs = freqs[: self.n_bins]
        n = np.arange(self.frame)
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * n / self.frame)).astype(np.float32)
        # The window spread over the channels (0.6 MB at 64): a plain elementwise product is
        # about twice as fast as broadcasting a column, twice per hop.
        self._window_full = np.ascontiguousarray(
            np.broadcast_to(self.window[:, None], (self.frame, channels))
        )
        self._ones = np.ones((1, 0), np.float32)  # row of ones for the finiteness sum (sized per block)
        # One windowed-frame buffer, reused rather than allocated per frame (0.6 MB at 64 channels).
        self._frame = np.empty((self.frame, channels), np.float32)
        # Mean-square of the signal from the one-sided power of a windowed frame (Parseval).
        self.power_scale = 2.0 / (self.frame * float(np.sum(self.window.astype(float) ** 2)))
        self._buf = np.zeros((0, channels), dtype=np.float32)
        self._buf_start = 0
        self._next_hop = 0

    @property
    def samples_seen(self) -> int:
        return self._buf_start + len(self._buf)

    def push(self, block: np.ndarray) -> list[Hop]:
        """Append a (frames, channels) block; return every hop now complete, oldest first."""
        block = np.asarray(block)
        if block.ndim != 2 or block.shape[1] != self.channels:
            raise UserFacingError(
                f"audio block must have shape (frames, {self.channels}), got {tuple(block.shape)}"
            )
        block = block.astype(np.float32, copy=False)
        n_old = len(self._buf)
        self._buf = np.concatenate([self._buf, block]) if n_old else block.copy()
        new = self._buf[n_old:]
        if not np.isfinite(self._column_sums(new)).all():
            # A glitching converter must not poison the spectra of every later hop.
            np.nan_to_num(new, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        hops = []
        while True:
            offset = self._next_hop * self.hop - self._buf_start
            if offset + self.span > len(self._buf):
                break
            seg = self._buf[offset : offset + self.span]  # (span, M)
            # One transform per snapshot along the time axis: the (bins, channels) layout comes out
            # directly, without transposing the whole hop.
            spec = np.empty((self.n_bins, self.channels, self.snapshots), np.complex64)
            for k in range(self.snapshots):
                frame = np.multiply(
                    seg[k * self.advance : k * self.advance + self.frame], self._window_full, out=self._frame
                )
                spec[:, :, k] = sfft.rfft(frame, axis=0, workers=1, overwrite_x=True)[: self.n_bins]
            hops.append(
                Hop(
                    index=self._next_hop,
                    start_sample=self._next_hop * self.hop,
                    spectra=spec,
                    sample_rate=self.sample_rate,
                    hop=self.hop,
                    frame=self.frame,
                )
            )
            self._next_hop += 1
        drop = self._next_hop * self.hop - self._buf_start
        if drop > 0:
            self._buf = self._buf[drop:]
            self._buf_start += drop
        return hops

    def skip_silence(self, n: int) -> int:
        """Advance the clock over `n` samples of silence without producing the hops that lie wholly
        inside it; returns how many were left out. Only once every hop that holds real samples has
        been produced (the buffer holds zeros only), so what is left out is exactly what `push`
        would have produced from zeros. A device outage of minutes would otherwise be transformed
        hop by hop: a minute of 32 channels cost 2 s and 550 MB."""
        if self._buf.any():
            raise ValueError(
                "skip_silence needs a buffer of zeros: push silence past the last real sample first"
            )
        total = len(self._buf) + int(n)
        first = self._next_hop * self.hop - self._buf_start
        count = max(0, (total - first - self.span) // self.hop + 1)
        self._next_hop += count
        start = self._next_hop * self.hop
        self._buf = np.zeros((self._buf_start + total - start, self.channels), np.float32)
        self._buf_start = start
        return count

    def _column_sums(self, x: np.ndarray) -> np.ndarray:
        """Σ over rows of `x` (frames, channels) as one matrix-vector product: a NaN or ±inf sample
        makes its channel's sum non-finite, and the product reads the block once, at memory
        speed, where `np.isfinite(x).all()` builds a boolean copy of it first."""
        if self._ones.shape[1] != len(x):
            self._ones = np.ones((1, len(x)), np.float32)
        return self._ones @ x
