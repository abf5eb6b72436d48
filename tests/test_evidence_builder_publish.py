"""`honk-edge replay --publish`: the replay's bundles go through the real outbox and broker to a server
that verifies them, and its ack frees the outbox."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import evidence_support as es
from transport_support import SHARED_HOST, SHARED_PORT, FakeServer, clean_shared_broker, unique_device

from edge.cli import main
from edge.evidence import unpack_bundle
from edge.evidence.keys import generate_key
from edge.transport.outbox import Outbox


def test_replay_publishes_through_outbox_and_broker(tmp_path: Path) -> None:
    scene = es.make_scene(tmp_path / "scene").directory
    device = unique_device()
    key = generate_key(tmp_path / "key.pem")
    server = FakeServer(SHARED_HOST, SHARED_PORT, {device: key.public_key()})
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            code = main(
                [
                    "replay",
                    str(scene),
                    "--publish",
                    "--broker",
                    f"{SHARED_HOST}:{SHARED_PORT}",
                    "--outbox",
                    str(tmp_path / "outbox.sqlite"),
                    "--key-file",
                    str(tmp_path / "key.pem"),
                    "--device",
                    device,
                    "--ack-wait",
                    "20",
                ]
            )
    finally:
        server.close()
        clean_shared_broker(SHARED_HOST, SHARED_PORT, device)
    assert code == 0
    summary = json.loads(next(x for x in out.getvalue().splitlines() if x.startswith("evidence: "))[10:])
    assert summary["bundles"] == 1 and summary["outbox_pending"] == 0
    assert len(server.stored) == 1 and not server.rejected
    ((evidence_id, payload),) = server.stored.items()
    assert unpack_bundle(payload).manifest.device == device
    outbox = Outbox(tmp_path / "outbox.sqlite", quota_bytes=10**9)
    try:
        assert outbox.state_of(evidence_id) == ("acked", "stored")
        assert outbox.payload(evidence_id) == payload  # what was sent is what the outbox kept
    finally:
        outbox.close()
