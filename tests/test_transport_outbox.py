"""The durable outbox on real SQLite: ack semantics, quota and eviction, survival of kill -9."""

import os
import signal
import sqlite3
import subprocess
import sys

import pytest
from disk_support import fill, small_disk
from pydantic import ValidationError

from edge.transport.outbox import Outbox, OutboxSettings


def test_put_is_idempotent_and_pending_is_oldest_first(tmp_path):
    box = Outbox(tmp_path / "o.db", quota_bytes=1_000_000)
    assert box.put("b", b"2" * 10)
    assert box.put("a", b"1" * 20)
    assert not box.put("b", b"other bytes")
    assert [e.id for e in box.pending()] == ["b", "a"]
    assert box.payload("b") == b"2" * 10
    stats = box.stats()
    assert (stats.pending, stats.pending_bytes, stats.total_bytes) == (2, 30, 30)
    assert box.pending(limit=1)[0].id == "b"


def test_only_the_servers_ack_moves_an_entry_and_unknown_ids_are_ignored(tmp_path):
    box = Outbox(tmp_path / "o.db", quota_bytes=1_000_000)
    box.put("a", b"x")
    box.put("b", b"y")
    assert box.mark_acked(["a", "zzz"], "stored") == ["a"]
    assert box.mark_acked(["a"], "duplicate") == [], "a second ack changes nothing"
    assert box.mark_acked(["b"], "rejected", "bad_signature") == ["b"]
    assert box.state_of("a") == ("acked", "stored")
    assert box.state_of("b") == ("acked", "rejected")
    assert box.state_of("zzz") is None
    stats = box.stats()
    assert (stats.pending, stats.acked, stats.rejected) == (0, 2, 1)


def test_entries_survive_reopening(tmp_path):
    box = Outbox(tmp_path / "o.db", quota_bytes=1_000_000)
    box.put("a", b"payload")
    box.mark_acked(["a"], "stored")
    box.put("b", b"still pending")
    box.close()
    again = Outbox(tmp_path / "o.db", quota_bytes=1_000_000)
    assert [e.id for e in again.pending()] == ["b"]
    assert again.state_of("a") == ("acked", "stored")
    mode = sqlite3.connect(tmp_path / "o.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_quota_evicts_acked_oldest_first_and_never_pending(tmp_path):
    box = Outbox(tmp_path / "o.db", quota_bytes=300)
    for name in ("a1", "a2", "a3"):
        box.put(name, b"x" * 100)
    box.mark_acked(["a1", "a2", "a3"], "stored")
    box.put("p1", b"y" * 100)  # 400 bytes > 300: the oldest acked goes
    assert box.state_of("a1") is None
    assert box.state_of("a2") == ("acked", "stored")
    box.put("p2", b"y" * 100)
    box.put("p3", b"y" * 100)
    assert box.state_of("a2") is None and box.state_of("a3") is None
    assert not box.stats().quota_alarm  # exactly at the quota, all pending
    box.put("p4", b"y" * 100)  # pending alone is over the quota: keep it and raise the alarm
    stats = box.stats()
    assert [e.id for e in box.pending()] == ["p1", "p2", "p3", "p4"]
    assert stats.quota_alarm and stats.evicted == 3 and stats.pending_bytes == 400
    box.mark_acked(["p1", "p2"], "stored")
    assert not box.stats().quota_alarm


def test_quota_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="quota"):
        Outbox(tmp_path / "o.db", quota_bytes=0)


WRITER = """
import sys
from edge.transport.outbox import Outbox
box = Outbox(sys.argv[1], quota_bytes=10**9)
i = 0
while True:
    box.put(f"id{i:06d}", bytes([i % 256]) * 50_000)
    print(i, flush=True)
    i += 1
"""


def test_kill_9_during_writes_keeps_every_committed_entry_intact(tmp_path):
    db = tmp_path / "o.db"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    committed = -1
    while committed < 40:
        committed = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait(5)
    box = Outbox(db, quota_bytes=10**9)
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    pending = box.pending()
    assert len(pending) >= committed + 1, "an entry reported as written is missing"
    for i, entry in enumerate(pending):
        assert entry.id == f"id{i:06d}"
        assert box.payload(entry.id) == bytes([i % 256]) * 50_000


def test_settings_open_an_outbox_with_the_quota_in_bytes(tmp_path):
    box = OutboxSettings(path=tmp_path / "deep" / "o.db", quota_mb=1.5).open()
    assert box.quota_bytes == 1_572_864 and (tmp_path / "deep" / "o.db").exists()
    with pytest.raises(ValidationError, match="quota_mb"):
        OutboxSettings(quota_mb=0)


def test_a_full_disk_says_so_and_the_outbox_recovers_when_space_returns(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        box = Outbox(disk / "o.db", quota_bytes=10**9)
        box.put("before", b"x" * 1000)
        filler = fill(disk)
        # SQLite rolls a failed commit back itself; the error must be the disk's, not "cannot rollback".
        with pytest.raises(sqlite3.OperationalError, match="disk is full"):
            box.put("during", os.urandom(200_000))
        assert [e.id for e in box.pending()] == ["before"]
        filler.unlink()
        assert box.put("during", os.urandom(200_000))
        assert [e.id for e in box.pending()] == ["before", "during"]
        assert box.mark_acked(["before"], "stored") == ["before"]
        box.close()


def test_a_nearly_full_disk_gives_up_acknowledged_copies_to_keep_storing(tmp_path):
    """Something else fills the disk (logs, a camera dump): the outbox evicts the copies the
    server already holds, oldest first, before the disk is so full that nothing commits. (The
    reserve must exceed what the WAL holds between checkpoints, 4 MB: the default is 64 MB.)"""
    with small_disk(tmp_path / "disk", "24m") as disk:
        box = Outbox(disk / "o.db", quota_bytes=10**9, keep_free_bytes=6_000_000)
        for i in range(10):  # the device's local copies of evidence the server acknowledged
            box.put(f"old-{i}", os.urandom(200_000))
        box.mark_acked([f"old-{i}" for i in range(10)], "stored")
        fill(disk, leave=7_000_000)
        for i in range(40):  # 8 MB in a busy hour, each bundle acknowledged soon after it is sent
            assert box.put(f"new-{i}", os.urandom(200_000)), i
            box.mark_acked([f"new-{i}"], "stored")
        box.put("unsent", os.urandom(200_000))
        assert [e.id for e in box.pending()] == ["unsent"]
        assert box.stats().evicted >= 10 and box.state_of("old-0") is None
        assert box.state_of("new-39") == ("acked", "stored")  # the newest copies are kept
        box.close()


def test_an_unreadable_outbox_is_moved_aside_and_the_node_goes_on(tmp_path):
    """A card that lost power mid-write left garbage where the outbox was: the node must not
    refuse to start (the zone would go unenforced until someone drives out)."""
    path = tmp_path / "o.db"
    garbage = os.urandom(50_000)
    path.write_bytes(garbage)
    box = Outbox(path, quota_bytes=10**6)
    assert box.moved_aside is not None and "file is not a database" in box.moved_aside
    (aside,) = tmp_path.glob("o.db.unreadable-*")
    assert aside.read_bytes() == garbage  # kept for salvage, never deleted
    assert str(aside) in box.moved_aside
    assert box.put("a", b"x") and [e.id for e in box.pending()] == ["a"]
    box.close()
    reopened = Outbox(path, quota_bytes=10**6)  # the new one is healthy: nothing more is moved
    assert reopened.moved_aside is None and [e.id for e in reopened.pending()] == ["a"]
    assert len(list(tmp_path.glob("o.db.unreadable-*"))) == 1
    reopened.close()


def test_a_locked_outbox_is_an_error_not_a_corrupt_file(tmp_path):
    """A readable file another process holds (a second node started by mistake) is not moved aside."""
    path = tmp_path / "o.db"
    Outbox(path, quota_bytes=10**6).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")  # held until it closes, even between writes
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            Outbox(path, quota_bytes=10**6)  # after SQLite's 5 s busy wait
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not list(tmp_path.glob("o.db.unreadable-*"))


def test_a_provisional_bundle_is_replaced_by_its_final_one_or_sent_after_a_crash(tmp_path):
    path = tmp_path / "o.db"
    box = Outbox(path, quota_bytes=10**6)
    box.put_provisional("done", b"short")
    assert box.put("done", b"final") and box.payload("done") == b"final"
    box.put_provisional("cut", b"short")  # the power goes before its final bundle
    box.put_provisional("done", b"late")  # a journal write racing its own final bundle: ignored
    assert [e.id for e in box.pending()] == ["done"]  # provisional bundles are never sent live
    box.close()
    again = Outbox(path, quota_bytes=10**6)
    assert again.recovered == 1
    assert [e.id for e in again.pending()] == ["done", "cut"]
    assert again.payload("done") == b"final" and again.payload("cut") == b"short"
    again.close()
    assert Outbox(path, quota_bytes=10**6).recovered == 0
