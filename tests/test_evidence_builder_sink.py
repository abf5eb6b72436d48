"""The evidence sink: bundles wait for their post-roll, then land in the outbox and the evidence folder."""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import replace
from pathlib import Path

import evidence_support as es
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from disk_support import fill, small_disk

from edge.analysis.analyzer import Analyzer
from edge.analysis.config import AnalysisConfig
from edge.config import NodeConfig
from edge.evidence import unpack_bundle, verify_bundle
from edge.evidence.builder import EvidenceBuilder
from edge.evidence.scene_media import SceneMedia, scene_site, scene_utc
from edge.evidence.sink import DirectoryDestination, EvidenceSink, OutboxDestination
from edge.node.runner import Node
from edge.scene.reader import load_scene
from edge.sources.scene import SceneSource
from edge.transport.health import ClockState
from edge.transport.outbox import Outbox

KEY = Ed25519PrivateKey.generate()
DISK_FULL = re.compile(r"disk is full|No space left")  # SQLite's words, and the OS's


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
    journalled: list[tuple[str, bytes]] = []
    sink = EvidenceSink(
        builder,
        media,
        [OutboxDestination(outbox.put), DirectoryDestination(tmp_path / "ev")],
        journal=lambda evidence_id, payload: journalled.append((evidence_id, payload)),
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
    # Each event was journalled as soon as it closed, under the id its final bundle carries.
    assert sorted(i for i, _ in journalled) == sorted(r.id for r in records)
    for _, payload in journalled:  # (a recording holds its post-roll already: only live it is short)
        verify_bundle(unpack_bundle(payload), KEY.public_key())
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


def test_a_full_disk_holds_the_evidence_until_there_is_room(tmp_path: Path) -> None:
    """The outbox's disk fills up (something else wrote to it): bundles are kept in memory, the
    heartbeat can say so, and they reach the outbox, in order, once space is freed."""
    ts = es.make_scene(tmp_path / "scene", with_video=False)
    scene = load_scene(ts.directory)
    builder = EvidenceBuilder(scene_site(scene), KEY, scene_utc(scene), lambda: ClockState(None, None, None))
    with small_disk(tmp_path / "disk", "16m") as disk:  # room for two bundles twice, once freed
        outbox = Outbox(disk / "outbox.sqlite", quota_bytes=50_000_000)
        filler = fill(disk)  # something else wrote the disk full
        folder = disk / "ev"
        sink = EvidenceSink(
            builder, SceneMedia(scene), [OutboxDestination(outbox.put), DirectoryDestination(folder)]
        )
        first, second = ts.event, replace(ts.event, t_start=5.0, t_end=5.4)
        sink.submit(first)
        sink.advance(es.HORN[1] + 3.0)
        sink.submit(second)
        sink.advance(8.4)
        deadline = time.monotonic() + 60
        while (sink.started < 2 or sink.held().bundles < 2) and time.monotonic() < deadline:
            time.sleep(0.05)  # built on the worker thread
        held = sink.held()
        assert held.bundles == 2 and held.bytes > 0 and DISK_FULL.search(held.last_error or "")
        assert outbox.stats().pending == 0 and not sink.failures
        assert list(folder.iterdir()) == []  # no half-written bundle left taking the space
        # The node's heartbeat says so: the evidence lives only in memory until the disk is freed.
        live = NodeConfig.model_validate(
            {"device": {"id": "n", "zone": "z", "profile": "pole-spiral32"}}
        ).live()
        analyzer = Analyzer(AnalysisConfig(), ts.positions_m, scene.sample_rate)
        node = Node(SceneSource(scene), analyzer, live, sink=sink)
        storage = [c for c in node.pipeline_health().conditions if c.startswith("storage")]
        assert len(storage) == 1 and "2 bundle(s)" in storage[0] and DISK_FULL.search(storage[0])

        filler.unlink()
        records = sink.close()  # its last try finds room
        assert [r.stream_t_end for r in records] == [first.t_end, second.t_end]
        assert sink.held().bundles == 0 and not sink.failures
        assert [e.id for e in outbox.pending()] == [r.id for r in records]
        assert sorted(p.name for p in folder.iterdir()) == sorted(r.id for r in records)
        for r in records:
            verify_bundle(unpack_bundle(outbox.payload(r.id)), KEY.public_key())
        outbox.close()


def test_evidence_still_full_at_shutdown_is_reported_lost(tmp_path: Path) -> None:
    ts = es.make_scene(tmp_path / "scene", with_video=False)
    scene = load_scene(ts.directory)
    builder = EvidenceBuilder(scene_site(scene), KEY, scene_utc(scene), lambda: ClockState(None, None, None))
    with small_disk(tmp_path / "disk") as disk:
        outbox = Outbox(disk / "outbox.sqlite", quota_bytes=50_000_000)
        fill(disk)
        folder = tmp_path / "ev"  # another disk: this destination still gets the bundle
        sink = EvidenceSink(
            builder, SceneMedia(scene), [OutboxDestination(outbox.put), DirectoryDestination(folder)]
        )
        sink.submit(ts.event)
        assert sink.close() == []
        assert len(sink.failures) == 1 and "not stored at shutdown" in sink.failures[0]
        assert "full" in sink.failures[0]
        assert len(list(folder.iterdir())) == 1  # the refusing outbox did not keep it from the folder
        outbox.close()
