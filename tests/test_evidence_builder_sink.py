"""The evidence sink: bundles wait for their post-roll, then land in the outbox and the evidence folder."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import evidence_support as es
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.evidence import unpack_bundle, verify_bundle
from edge.evidence.builder import EvidenceBuilder
from edge.evidence.scene_media import SceneMedia, scene_site, scene_utc
from edge.evidence.sink import DirectoryDestination, EvidenceSink, OutboxDestination
from edge.scene.reader import load_scene
from edge.transport.health import ClockState
from edge.transport.outbox import Outbox

KEY = Ed25519PrivateKey.generate()


def test_sink_waits_for_the_post_roll_then_stores_everywhere(tmp_path: Path) -> None:
    ts = es.make_scene(tmp_path / "scene")
    scene = load_scene(ts.directory)
    builder = EvidenceBuilder(
        scene_site(scene),
        KEY,
        scene_utc(scene),
        lambda: ClockState(synced=True, source="chrony", offset_s=0.001),
    )
    outbox = Outbox(tmp_path / "outbox.sqlite", quota_bytes=50_000_000)
    media = SceneMedia(scene)
    sink = EvidenceSink(
        builder, media, [OutboxDestination(outbox.put), DirectoryDestination(tmp_path / "ev")]
    )
    second = replace(ts.event, t_start=5.0, t_end=5.6)
    for k in range(1, 70):  # blocks of 0.1 s up to 6.9 s: the horn's post-roll ends at 7.0 s
        sink.advance(k * 0.1)
        if k == 45:
            sink.submit(ts.event)  # closed half a second after the horn ended, as the tracker would
    assert (sink.waiting, sink.started) == (1, 0)
    sink.advance(es.HORN[1] + 3.0)
    assert (sink.waiting, sink.started) == (0, 1)
    sink.submit(second)  # its post-roll runs past the end of the scene: built at close
    records = sink.close()
    media.close()
    assert len(records) == 2 and not sink.failures
    assert all(r.latency_s >= 0 and r.build_s > 0 for r in records)
    assert sorted(r.full_post_roll for r in records) == [False, True]  # the second ran past the end
    summary = sink.latency_summary()
    assert summary["bundles"] == 2 and summary["short_post_roll"] == 1
    assert summary["latency_max_s"] == summary["latency_median_s"] > 0

    for record in records:
        payload = outbox.payload(record.id)
        assert payload is not None and outbox.state_of(record.id) == ("pending", None)
        bundle = unpack_bundle(payload)
        verify_bundle(bundle, KEY.public_key())
        folder = tmp_path / "ev" / record.id
        assert (folder / "bundle.json").read_bytes() == payload
        for entry in bundle.manifest.files:
            assert hashlib.sha256((folder / entry.name).read_bytes()).hexdigest() == entry.sha256
        assert json.loads(bundle.manifest_bytes)["id"] == record.id
    assert not list((tmp_path / "ev").glob(".*partial"))
    outbox.close()


def test_a_failing_event_is_counted_and_the_next_still_built(tmp_path: Path) -> None:
    ts = es.make_scene(tmp_path / "scene", with_video=False)
    scene = load_scene(ts.directory)
    builder = EvidenceBuilder(scene_site(scene), KEY, scene_utc(scene), lambda: ClockState(None, None, None))
    media = SceneMedia(scene)
    sink = EvidenceSink(builder, media, [DirectoryDestination(tmp_path / "ev")])
    sink.submit(replace(ts.event, t_start=100.0, t_end=101.0))  # beyond the recording: no audio
    sink.submit(ts.event)
    records = sink.close()
    assert len(records) == 1 and len(sink.failures) == 1
    assert "no audio" in sink.failures[0]
    assert [p.name for p in (tmp_path / "ev").iterdir()] == [records[0].id]


@pytest.mark.parametrize("post_s", [0.0])
def test_post_roll_can_be_shortened(tmp_path: Path, post_s: float) -> None:
    ts = es.make_scene(tmp_path / "scene", with_video=False)
    scene = load_scene(ts.directory)
    builder = EvidenceBuilder(scene_site(scene), KEY, scene_utc(scene), lambda: ClockState(None, None, None))
    sink = EvidenceSink(builder, SceneMedia(scene), [DirectoryDestination(tmp_path / "ev")], post_s=post_s)
    sink.submit(ts.event)
    sink.advance(es.HORN[1])
    assert sink.started == 1
    assert len(sink.close()) == 1


def test_a_long_run_holds_only_unfinished_work(tmp_path: Path) -> None:
    """A node runs for months: finished bundles' jobs are let go (each kept one grew the process by
    about 1.6 kB), while the counts stay whole-run figures."""
    ts = es.make_scene(tmp_path / "scene", with_video=False)
    scene = load_scene(ts.directory)
    builder = EvidenceBuilder(scene_site(scene), KEY, scene_utc(scene), lambda: ClockState(None, None, None))
    sink = EvidenceSink(builder, SceneMedia(scene), [DirectoryDestination(tmp_path / "ev")], post_s=0.0)
    for _ in range(6):
        sink.submit(ts.event)
        sink.advance(es.HORN[1])
        sink._futures[-1].result()  # built before the next one is handed over
    sink.submit(ts.event)
    sink.advance(es.HORN[1])
    assert len(sink._futures) == 1  # the six finished jobs are gone
    assert sink.started == 7
    assert len(sink.close()) == 7 and sink.latency_summary()["bundles"] == 7
