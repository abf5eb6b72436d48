"""The heartbeat's audio summary: levels and silence over the interval between beats, not the last block."""

from __future__ import annotations

import numpy as np
import pytest

from edge.node.levels import LevelMeter


def test_levels_are_the_power_mean_of_the_interval_and_restart_at_each_beat() -> None:
    meter = LevelMeter()
    meter.add(np.full((2400, 2), 0.1, np.float32))
    meter.add(np.zeros((2400, 2), np.float32))
    first = meter.take()
    # Half the interval at 0.1 (-20 dB) and half at nothing: the power mean is 3 dB lower.
    np.testing.assert_allclose(first.channel_rms_db, [-20 - 10 * np.log10(2)] * 2, atol=1e-3)
    meter.add(np.full((4800, 2), 0.1, np.float32))
    np.testing.assert_allclose(meter.take().channel_rms_db, [-20.0] * 2, atol=1e-3)


def test_a_constant_is_silent_and_a_gap_straddling_block_does_not_undo_that() -> None:
    """A stuck converter delivers its DC offset and nothing else. One block that straddles a step
    (a zero-filled capture gap) carries sound, but it is a small share of the interval."""
    meter = LevelMeter()
    for _ in range(18):
        meter.add(np.full((2400, 16), 0.01, np.float32))
    step = np.full((2400, 16), 0.01, np.float32)
    step[1200:] = 0.0
    meter.add(step)
    meter.add(np.zeros((2400, 16), np.float32))
    summary = meter.take()
    assert summary.silent_share == pytest.approx(19 / 20)
    np.testing.assert_allclose(summary.channel_rms_db[0], 10 * np.log10(18.5 / 20 * 1e-4), atol=1e-3)


def test_sound_on_one_channel_is_not_silent() -> None:
    meter = LevelMeter()
    block = np.full((2400, 4), 0.01, np.float32)
    block[:, 2] += 1e-4 * np.sin(np.arange(2400) / 3.0).astype(np.float32)  # -83 dBFS
    meter.add(block)
    assert meter.take().silent_share == 0.0


def test_an_interval_without_audio_repeats_the_previous_summary() -> None:
    """A stalled capture: the state says why; the levels stay those last heard, not an empty list."""
    meter = LevelMeter()
    assert meter.take().channel_rms_db == []
    meter.add(np.full((100, 3), 0.5, np.float32))
    first = meter.take()
    assert meter.take() == first
