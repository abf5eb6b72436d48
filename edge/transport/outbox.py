"""The durable outbox: evidence is on disk before anything is sent, and stays until the server acks it.

SQLite in WAL mode with `synchronous=FULL`: each `put` is one committed, fsync'd transaction,
so a power cut or `kill -9` leaves either the whole bundle or nothing. The broker's PUBACK
frees nothing; only the server's ack (after its database commit) marks an entry acknowledged.

Acknowledged bundles are kept as the device's local copy until space is needed (the quota, or
the disk's own free space falling under `keep_free_bytes`, whatever filled it), then evicted
oldest first. Unacknowledged evidence is never evicted: when it alone exceeds the quota the
outbox keeps accepting (losing evidence is worse than overshooting a soft budget) and raises
`quota_alarm`, which the heartbeat reports.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)

AckStatus = Literal["stored", "duplicate", "rejected"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    size INTEGER NOT NULL,
    payload BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'acked')),
    ack_status TEXT,
    ack_reason TEXT,
    acked_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE TABLE IF NOT EXISTS provisional (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    payload BLOB NOT NULL
);
"""


class OutboxSettings(BaseModel):
    """Where the outbox lives and its soft budget (payload bytes, SQLite overhead not counted)."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Path("outbox.sqlite3")
    quota_mb: float = Field(2048.0, gt=0)
    # Free space kept on the outbox's disk by evicting acknowledged copies early: SQLite writes
    # each bundle to its WAL first, and on a disk already full nothing, not even a delete, commits.
    keep_free_mb: float = Field(64.0, ge=0)

    def open(self) -> Outbox:
        return Outbox(
            self.path,
            quota_bytes=int(self.quota_mb * 1024 * 1024),
            keep_free_bytes=int(self.keep_free_mb * 1024 * 1024),
        )


@dataclass(frozen=True)
class PendingEntry:
    id: str
    size: int
    created: float


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    pending_bytes: int
    acked: int
    rejected: int
    total_bytes: int
    quota_bytes: int
    quota_alarm: bool
    evicted: int
    disk_free_bytes: int  # free space on the outbox's disk
    keep_free_bytes: int  # what `put` keeps free there by evicting acknowledged copies

    @property
    def low_disk(self) -> bool:
        """Under the reserve: acknowledged copies are being given up, or there are none left to."""
        return self.disk_free_bytes < self.keep_free_bytes


class Outbox:
    """Evidence payloads keyed by evidence id; safe to share between the run loop and MQTT threads."""

    def __init__(self, path: Path, quota_bytes: int, keep_free_bytes: int = 64 * 2**20) -> None:
        if quota_bytes <= 0:
            raise ValueError("quota_bytes must be positive")
        self.path = Path(path)
        self.quota_bytes = quota_bytes
        self.keep_free_bytes = keep_free_bytes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Set when the file found here was unreadable and moved aside (the heartbeat says so).
        self.moved_aside: str | None = None
        try:
            self._db = self._connect()
        except sqlite3.OperationalError:
            raise  # locked, no permission, no space: the file is fine, the node cannot use it
        except sqlite3.DatabaseError as exc:
            aside = self._move_aside()
            log.error("outbox %s is unreadable (%s): moved aside to %s, starting a new one", path, exc, aside)
            self.moved_aside = f"{exc}; moved aside to {aside}"
            self._db = self._connect()
        self._evicted = 0
        self.recovered = self._promote_provisional()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def _promote_provisional(self) -> int:
        """Send the provisional bundles an unclean stop left behind (see `put_provisional`)."""
        with self._lock, self._transaction_locked():
            n = self._db.execute(
                "INSERT OR IGNORE INTO outbox (id, created, size, payload, state) "
                "SELECT id, created, length(payload), payload, 'pending' FROM provisional"
            ).rowcount
            self._db.execute("DELETE FROM provisional")
        if n:
            log.warning(
                "outbox %s: %d bundle(s) cut short by an unclean stop are sent as they are", self.path, n
            )
        return n

    def _move_aside(self) -> Path:
        """Rename an unreadable outbox (and its WAL) out of the way, keeping it for recovery.

        Why: a card that lost power mid-write, or a failing one, can leave a file SQLite cannot
        read; refusing to start would leave the zone unenforced, restarting every few seconds,
        until someone drives out. Its pending bundles may still be salvaged by hand."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.unreadable-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                part.replace(Path(f"{aside}{suffix}"))
        return aside

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def put_provisional(self, evidence_id: str, payload: bytes) -> None:
        """Journal a bundle built as soon as its event closed, before its post-roll audio is in.

        Why: the final bundle waits a few seconds for the audio after the horn, and a power cut
        in that window would lose the horn. Kept apart, never sent while the node runs; `put` of
        the final bundle (same id) replaces it, and the next open sends whatever is left."""
        with self._lock, self._transaction_locked():
            if self._db.execute("SELECT 1 FROM outbox WHERE id = ?", (evidence_id,)).fetchone() is None:
                self._db.execute(
                    "INSERT OR REPLACE INTO provisional (id, created, payload) VALUES (?, ?, ?)",
                    (evidence_id, time.time(), payload),
                )

    def put(self, evidence_id: str, payload: bytes) -> bool:
        """Store a bundle durably; False if that id is already in the outbox (nothing changes)."""
        with self._lock:
            lacking = self.keep_free_bytes + len(payload) - self._disk_free()
            if lacking > 0:
                self._make_room_locked(lacking)
            with self._transaction_locked():
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO outbox (id, created, size, payload, state) "
                    "VALUES (?, ?, ?, ?, 'pending')",
                    (evidence_id, time.time(), len(payload), payload),
                )
                inserted = cur.rowcount == 1
                self._db.execute("DELETE FROM provisional WHERE id = ?", (evidence_id,))
                if inserted:
                    self._evict_acked_locked(0)
            return inserted

    def _make_room_locked(self, lacking: int) -> None:
        """Give the disk back `lacking` bytes from acknowledged copies, oldest first.

        Deleting alone frees nothing on disk: every change goes to the WAL first, which only
        starts over after a checkpoint. So the deletion is committed and the WAL checkpointed
        and truncated, which moves the live pages into the database file (reusing the freed
        ones) and returns the WAL's space; the bundle then has room. Should even that fail,
        the insert reports the full disk and the evidence sink holds the bundle."""
        try:
            with self._transaction_locked():
                self._evict_acked_locked(lacking)
        except sqlite3.OperationalError:
            return
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _disk_free(self) -> int:
        return shutil.disk_usage(self.path.parent).free

    @contextlib.contextmanager
    def _transaction_locked(self) -> Iterator[None]:
        """One write transaction (call with `_lock` held): committed, or rolled back on any error.

        Rolled back only if SQLite has not already: on a full disk it rolls back by itself, and
        a second ROLLBACK would raise "no transaction is active" in place of the "database or
        disk is full" the operator needs to read."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _evict_acked_locked(self, lacking: int) -> None:
        """Delete acknowledged entries, oldest first, until the total fits the quota and `lacking`
        bytes of disk are freed (as far as acknowledged entries go)."""
        total = self._db.execute("SELECT COALESCE(SUM(size), 0) FROM outbox").fetchone()[0]
        if total <= self.quota_bytes and lacking <= 0:
            return
        rows = self._db.execute("SELECT seq, size FROM outbox WHERE state = 'acked' ORDER BY seq").fetchall()
        doomed = []
        for seq, size in rows:
            if total <= self.quota_bytes and lacking <= 0:
                break
            doomed.append((seq,))
            total -= size
            lacking -= size
        self._db.executemany("DELETE FROM outbox WHERE seq = ?", doomed)
        self._evicted += len(doomed)

    def pending(self, limit: int | None = None) -> list[PendingEntry]:
        """Unacknowledged entries, oldest first (payloads stay on disk until `payload()`)."""
        sql = "SELECT id, size, created FROM outbox WHERE state = 'pending' ORDER BY seq"
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [PendingEntry(id=r[0], size=r[1], created=r[2]) for r in rows]

    def payload(self, evidence_id: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT payload FROM outbox WHERE id = ?", (evidence_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def mark_acked(self, ids: Iterable[str], status: AckStatus, reason: str | None = None) -> list[str]:
        """Record the server's ack; returns the ids that were pending and are now acknowledged."""
        now = time.time()
        done = []
        with self._lock, self._transaction_locked():
            for evidence_id in ids:
                cur = self._db.execute(
                    "UPDATE outbox SET state = 'acked', ack_status = ?, ack_reason = ?, acked_at = ? "
                    "WHERE id = ? AND state = 'pending'",
                    (status, reason, now, evidence_id),
                )
                if cur.rowcount == 1:
                    done.append(evidence_id)
        return done

    def state_of(self, evidence_id: str) -> tuple[str, str | None] | None:
        """(`pending`|`acked`, ack status) of an entry, or None if absent or evicted."""
        with self._lock:
            row = self._db.execute(
                "SELECT state, ack_status FROM outbox WHERE id = ?", (evidence_id,)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def stats(self) -> OutboxStats:
        with self._lock:
            row = self._db.execute(
                "SELECT "
                " COALESCE(SUM(state = 'pending'), 0),"
                " COALESCE(SUM(CASE WHEN state = 'pending' THEN size ELSE 0 END), 0),"
                " COALESCE(SUM(state = 'acked'), 0),"
                " COALESCE(SUM(ack_status = 'rejected'), 0),"
                " COALESCE(SUM(size), 0) "
                "FROM outbox"
            ).fetchone()
            evicted = self._evicted
        pending, pending_bytes, acked, rejected, total = row
        return OutboxStats(
            pending=pending,
            pending_bytes=pending_bytes,
            acked=acked,
            rejected=rejected,
            total_bytes=total,
            quota_bytes=self.quota_bytes,
            quota_alarm=pending_bytes > self.quota_bytes,
            evicted=evicted,
            disk_free_bytes=self._disk_free(),
            keep_free_bytes=self.keep_free_bytes,
        )
