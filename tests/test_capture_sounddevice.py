"""Live capture through the real sounddevice/PortAudio/ALSA stack fed by an ALSA file PCM."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pytest
from capture_support import alsa_config, known_signal, run_probe

CHANNELS = 16
LOOP = 9600  # frames in the infile; the ALSA file PCM loops it


@pytest.fixture()
def feed(tmp_path: Path) -> tuple[Path, np.ndarray]:
    sig = known_signal(LOOP, CHANNELS)
    raw = tmp_path / "in.raw"
    sig.astype("<f4").tofile(raw)
    return alsa_config(tmp_path, raw), sig


def test_channel_map_and_stream_clock(feed: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    conf, sig = feed
    cmap = [15, 3, 0, 7, 12, 1]
    # The ALSA file PCM over a null slave is not paced: it delivers as fast as PortAudio asks, so a
    # 5 s ring filled before the first read in about 1 run in 3 of a loaded machine and the first
    # block started late (a drop, correctly counted, but not what this test is about). A 30 s ring
    # (35 MB for 6 channels) is read long before it fills.
    ring_s = 30.0
    code = textwrap.dedent(f"""
        import json, numpy as np
        from edge.sources.sounddevice_source import CaptureSettings, SounddeviceSource
        src = SounddeviceSource(CaptureSettings(device="feed", channel_map={cmap}, sample_rate=48000,
                                                block_size=480, ring_s={ring_s}))
        src.start()
        blocks = []
        total = 0
        for start, block in src:
            blocks.append((start, block.copy()))
            total += len(block)
            if total > 40000:
                break
        st = src.status()
        src.close()
        np.save({str(tmp_path / "got.npy")!r}, np.concatenate([b for _, b in blocks]))
        np.save({str(tmp_path / "starts.npy")!r}, np.array([s for s, _ in blocks]))
        print(json.dumps({{"state": st.state, "device": st.device, "rate": src.sample_rate,
                           "channels": src.channels, "overflows": st.overflows,
                           "lens": [len(b) for _, b in blocks]}}))
    """)
    res = run_probe(conf, code)
    assert res["device"] == "feed" and res["state"] == "running"
    assert res["rate"] == 48000 and res["channels"] == len(cmap)
    assert isinstance(res["overflows"], int) and res["overflows"] >= 0
    got = np.load(tmp_path / "got.npy")
    starts = np.load(tmp_path / "starts.npy")
    assert starts[0] == 0
    # Every block is exactly the infile's samples at its stream position, in profile channel order.
    offset = 0
    for start, n in zip(starts, res["lens"], strict=True):
        idx = np.arange(start, start + n) % LOOP
        np.testing.assert_allclose(got[offset : offset + n], sig[idx][:, cmap], rtol=0, atol=1e-6)
        offset += n


def test_missing_device_is_one_clear_error(feed: tuple[Path, np.ndarray]) -> None:
    conf, _ = feed
    code = textwrap.dedent("""
        import json
        from edge.sources.sounddevice_source import AudioDeviceError, CaptureSettings, SounddeviceSource
        src = SounddeviceSource(CaptureSettings(device="honkwatch-64", channel_map=list(range(4)),
                                                sample_rate=48000, open_timeout_s=0.3, reopen_min_s=0.1))
        try:
            src.start()
            print(json.dumps({"error": None}))
        except AudioDeviceError as exc:
            print(json.dumps({"error": str(exc)}))
    """)
    err = run_probe(conf, code)["error"]
    assert err is not None
    assert "'honkwatch-64' not found" in err and "'feed'" in err and "gave up" in err


def test_too_many_channels_is_refused(feed: tuple[Path, np.ndarray]) -> None:
    conf, _ = feed
    code = textwrap.dedent("""
        import json
        from edge.sources.sounddevice_source import AudioDeviceError, CaptureSettings, SounddeviceSource
        src = SounddeviceSource(CaptureSettings(device="feed", channel_map=[0, 200], sample_rate=48000,
                                                open_timeout_s=0.1))
        try:
            src.start()
            print(json.dumps({"error": None}))
        except AudioDeviceError as exc:
            print(json.dumps({"error": str(exc)}))
    """)
    err = run_probe(conf, code)["error"]
    assert err is not None and "201" in err and "input channels" in err


def test_stalled_stream_is_reopened_with_a_gap_on_the_clock(tmp_path: Path) -> None:
    """A FIFO infile whose writer goes quiet stalls the stream; the watchdog reopens it."""
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    conf = alsa_config(tmp_path, fifo)
    code = textwrap.dedent(f"""
        import json, os, threading, time
        import numpy as np
        # O_RDWR keeps a writer present, so ALSA's open never blocks and never sees EOF.
        fd = os.open({str(fifo)!r}, os.O_RDWR)
        burst = np.full((4800, 4), 0.25, np.float32).astype("<f4").tobytes()
        os.set_blocking(fd, False)
        def feed(seconds):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    os.write(fd, burst)
                except BlockingIOError:
                    time.sleep(0.005)
        from edge.sources.sounddevice_source import CaptureSettings, SounddeviceSource
        src = SounddeviceSource(CaptureSettings(device="feed", channel_map=[0, 1, 2, 3], sample_rate=48000,
                                                block_size=480, ring_s=5.0, stall_s=0.4, reopen_min_s=0.1))
        threading.Thread(target=feed, args=(0.3,), daemon=True).start()
        src.start()
        states, starts = set(), []
        it = iter(src)
        t0 = time.monotonic()
        resumed = False
        silent = 0
        for start, block in it:
            starts.append((start, len(block)))
            silent += int((block == 0).all(axis=1).sum())
            st = src.status()
            states.add(st.state)
            if st.reopens and not resumed:
                resumed = True
                threading.Thread(target=feed, args=(0.5,), daemon=True).start()
            if st.reopens and silent and np.any(block != 0):
                break
            if time.monotonic() - t0 > 20:
                break
        st = src.status()
        src.close()
        gaps = [s2 - (s1 + n1) for (s1, n1), (s2, _) in zip(starts, starts[1:])]
        print(json.dumps({{"reopens": st.reopens, "dropped": st.dropped_frames, "max_gap": max(gaps), "silent": silent,
                           "last_error": st.last_error, "last_outage": st.last_outage, "state": st.state}}))
    """)
    res = run_probe(conf, code)
    assert res["reopens"] >= 1
    assert "no audio for" in res["last_outage"]
    assert res["state"] == "running" and res["last_error"] is None  # recovered
    # The outage (≥ stall_s of wall time) stays on the stream clock as silence, counted as dropped.
    assert res["max_gap"] == 0
    assert res["dropped"] >= 0.4 * 48000
    assert res["silent"] >= res["dropped"]
