"""The streaming front end: same events whatever the block size, bounded memory, refusal of bad blocks."""

import numpy as np
import pytest
from analysis_support import harmonic_tone, render

import edge.analysis.analyzer as analyzer_module
from edge.analysis.analyzer import Analyzer
from edge.analysis.config import build_config
from edge.analysis.stft import StreamingStft
from edge.errors import UserFacingError
from edge.geometry.profiles import load_profile

FS = 48000


@pytest.fixture(scope="module")
def scene_audio():
    prof = load_profile("pole-spiral32")
    rng = np.random.default_rng(11)
    srcs = [
        (2 * harmonic_tone(380, 0.5, FS, rng), 0.3, -4.0, -6.0, 20.0),
        (2 * harmonic_tone(520, 0.4, FS, rng), 1.2, 12.0, -8.0, 15.0),
    ]
    return prof, render(prof.array.positions_m, FS, 2.0, srcs, noise_rms=3e-3)


def _events(prof, audio, block):
    an = Analyzer(build_config(), prof.array.positions_m, FS, camera=prof.camera)
    out = []
    for i in range(0, len(audio), block):
        out += an.feed(audio[i : i + block], i)
    return [e.to_json() for e in out + an.flush()]


def test_block_size_does_not_change_events(scene_audio):
    prof, audio = scene_audio
    small = _events(prof, audio, 256)
    large = _events(prof, audio, 48000)
    odd = _events(prof, audio, 1237)
    assert len(small) == 2
    assert small == large == odd


def test_stft_hops_are_identical_for_any_blocking():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20000, 3)).astype(np.float32)
    a, b = StreamingStft(3, FS, 0.05, 2), StreamingStft(3, FS, 0.05, 2)
    hops_a = a.push(x)
    hops_b = [h for i in range(0, len(x), 333) for h in b.push(x[i : i + 333])]
    assert [h.index for h in hops_a] == [h.index for h in hops_b] == list(range(len(hops_a)))
    for ha, hb in zip(hops_a, hops_b, strict=True):
        np.testing.assert_array_equal(ha.spectra, hb.spectra)
    # Memory stays bounded: what is kept is less than one hop plus one frame.
    assert len(b._buf) < b.hop + b.frame


def test_bad_blocks_are_refused():
    an = Analyzer(build_config(), load_profile("pole-spiral32").array.positions_m, FS)
    with pytest.raises(UserFacingError, match="shape"):
        an.feed(np.zeros((100, 31), np.float32))
    an.feed(np.zeros((100, 32), np.float32), 0)
    with pytest.raises(UserFacingError, match="before the end"):
        an.feed(np.zeros((100, 32), np.float32), 50)


def test_non_finite_samples_do_not_poison_the_stream(scene_audio):
    prof, audio = scene_audio
    bad = audio.copy()
    bad[1000:1010, 3] = np.nan
    bad[2000, 5] = np.inf
    events = _events(prof, bad, 4800)
    assert len(events) == 2
    assert all(np.isfinite(e["azimuth_deg"]) for e in events)


def test_dropped_blocks_keep_stream_time(scene_audio):
    """A gap in stream_start_sample is filled with silence: later events keep their true times."""
    prof, audio = scene_audio
    an = Analyzer(build_config(), prof.array.positions_m, FS, camera=prof.camera)
    events = an.feed(audio[:24000], 0)
    events += an.feed(audio[48000:], 48000)  # 0.5 s dropped, before the second horn
    events += an.flush()
    late = [e for e in events if e.t_start > 1.0]
    assert len(late) == 1 and abs(late[0].t_start - 1.2) < 0.1


def _steady_whine(seed):
    """A machine's steady 410 Hz whine at (5°, −6°), 20 m away: 6 s of the array's audio, cut after
    the whine has reached the array, so it is on from the stream's first sample."""
    prof = load_profile("pole-spiral32")
    whine = 2 * harmonic_tone(410, 7.0, FS, np.random.default_rng(seed))
    audio = render(prof.array.positions_m, FS, 7.0, [(whine, 0.0, 5.0, -6.0, 20.0)], noise_rms=3e-3)[FS:]
    return prof, audio


def test_a_capture_gap_does_not_make_a_steady_sound_new():
    """A machine's steady whine (a harmonic comb, on all along) is learnt as background. A second
    of dropped blocks is filled with zeros; after it the whine must not come back as a new horn:
    the backgrounds restart from the first hop with signal instead of climbing back from silence
    at a few dB per second. Without a gap the scene makes no event either."""
    prof, audio = _steady_whine(12)
    whole = _events(prof, audio, 4800)
    an = Analyzer(build_config(), prof.array.positions_m, FS, camera=prof.camera)
    events = an.feed(audio[: 2 * FS], 0) + an.feed(audio[3 * FS :], 3 * FS) + an.flush()
    assert whole == [] and events == []


def test_a_recorder_gain_step_does_not_make_a_steady_sound_new():
    """The recorder's gain jumps by 15 dB (a gain step, automatic gain control): every bin rises
    alike, the backgrounds follow at once, and the machine's steady whine stays background."""
    prof, audio = _steady_whine(13)
    audio[int(2.5 * FS) :] *= np.float32(10 ** (15 / 20))
    assert _events(prof, audio, 4800) == []


def test_skipped_silence_leaves_the_later_hops_as_pushed_zeros_would():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7000, 2)).astype(np.float32)
    after = rng.standard_normal((9000, 2)).astype(np.float32)
    pushed, skipped = StreamingStft(2, FS, 0.05, 2), StreamingStft(2, FS, 0.05, 2)
    ref = pushed.push(x) + pushed.push(np.zeros((100_000, 2), np.float32)) + pushed.push(after)
    got = skipped.push(x) + skipped.push(np.zeros((5_000, 2), np.float32))
    left_out = skipped.skip_silence(95_000)
    got += skipped.push(after)
    assert left_out > 30 and len(got) + left_out == len(ref)
    kept = {h.index: h for h in ref}
    for h in got:
        assert h.start_sample == kept[h.index].start_sample
        np.testing.assert_array_equal(h.spectra, kept[h.index].spectra)
    with pytest.raises(ValueError, match="zeros"):
        skipped.skip_silence(10)  # real samples still buffered: their hops are not produced yet


def test_a_long_outage_keeps_the_cut_horn_and_costs_a_bounded_number_of_hops(scene_audio):
    """The stream stops in the middle of the first horn and comes back ten minutes later. The cut
    horn is still reported (it closes on the gap's silence), the second keeps its true time, and
    only the gap's first seconds are analysed: the same events as analysing all of its silence."""
    prof, audio = scene_audio
    cut, outage = int(0.7 * FS), 600 * FS

    an = Analyzer(build_config(), prof.array.positions_m, FS, camera=prof.camera)
    hops = []
    an.add_observer(hops.append)
    events = an.feed(audio[:cut], 0) + an.feed(audio[cut:], cut + outage) + an.flush()
    assert [round(e.t_start) for e in events] == [0, 601]
    # The scene's 2 s and the gap's analysed silence, not its ten minutes (12,000 hops).
    assert len(hops) < (2.0 + analyzer_module._GAP_FILL_S) / 0.05 + 5
    # The same ending analysed the slow way, over a shorter outage so the test stays quick.
    short = 40 * FS
    an = Analyzer(build_config(), prof.array.positions_m, FS, camera=prof.camera)
    slow = an.feed(audio[:cut], 0) + an.feed(np.zeros((short, 32), np.float32), cut)
    slow += an.feed(audio[cut:], cut + short) + an.flush()
    an = Analyzer(build_config(), prof.array.positions_m, FS, camera=prof.camera)
    fast = an.feed(audio[:cut], 0) + an.feed(audio[cut:], cut + short) + an.flush()
    assert [e.to_json() for e in fast] == [e.to_json() for e in slow]
