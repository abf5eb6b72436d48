"""Where closed horn events become stored evidence: after the post-roll, off the analysis thread.

A bundle carries 3 s of audio after the horn, so it cannot be finished before the stream has
reached that point. The pictures need only what exists when the event closes, so the sink has
them made at once and holds the event until the post-roll is in (stream time, so a fast replay
and a live run behave alike); then the audio files, the manifest and the signature follow.
All of it runs on one worker thread (the analysis loop must never wait for JPEG encoding), and
the signed payload goes to the destinations: the outbox, a folder, or both. A destination that
refuses it (the disk is full) does not lose it: the signed bundle waits in memory, up to
`HELD_MAX_BYTES`, offered again with each new bundle and every `RETRY_EVERY_S`, and the
heartbeat says so (`held`), since a restart before the disk is freed would lose it.

It also measures what the operator cares about: wall-clock time from the horn's end reaching
the node to the evidence being durably stored.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from edge.analysis.events import HornEvent
from edge.evidence.builder import BuiltEvidence, EvidenceBuilder, Pictures
from edge.evidence.bundle import new_evidence_id
from edge.evidence.media import EventMedia

log = logging.getLogger(__name__)

_RECENT = 1000  # bundles whose times the latency figures cover (a busy pole's day)
_RECENT_FAILURES = 100
# Signed bundles a destination refused (a full disk) wait in memory up to this much, then the
# oldest is given up: a Pi 5 has 4-8 GB, and 256 MB holds a few hundred bundles (hours of a busy zone).
HELD_MAX_BYTES = 256 * 2**20
RETRY_EVERY_S = 10.0  # how often held bundles are offered to their destinations again


class EvidenceDestination(Protocol):
    def store(self, built: BuiltEvidence) -> None:
        """Keep the bundle durably; return only once it is safe."""
        ...


class DirectoryDestination:
    """Writes `<dir>/<id>/`: the payload as published, the signed manifest bytes, and each file.

    For engineers and demos: the payload is exactly what MQTT would carry, the loose files are
    there to look at. Each file is written under a temporary name and renamed, so a reader
    never sees half a bundle.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def store(self, built: BuiltEvidence) -> None:
        final = self.directory / built.id
        staging = self.directory / f".{built.id}.partial"
        staging.mkdir(parents=True, exist_ok=True)
        contents = {"bundle.json": built.payload}
        contents.update({f.name: f.data for f in built.files})
        try:
            for name, data in contents.items():
                with open(staging / name, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError:
            # A full disk: give back what was written (the retry writes it all again).
            shutil.rmtree(staging, ignore_errors=True)
            raise
        os.replace(staging, final)


class OutboxDestination:
    """Puts the payload into the durable outbox (through the publisher, which then sends it)."""

    def __init__(self, put: Callable[[str, bytes], bool]) -> None:
        self._put = put

    def store(self, built: BuiltEvidence) -> None:
        self._put(built.id, built.payload)


@dataclass
class _Held:
    """A signed bundle that some destinations could not take yet, and what its record needs."""

    built: BuiltEvidence
    todo: list[EvidenceDestination]
    stream_t_end: float
    wall_end: float
    full_post_roll: bool


@dataclass(frozen=True)
class HeldSummary:
    """Evidence waiting in memory for a destination (a full disk): the heartbeat reports it."""

    bundles: int
    bytes: int
    last_error: str | None


@dataclass(frozen=True)
class EvidenceRecord:
    """One stored bundle and how long it took."""

    id: str
    stream_t_end: float
    latency_s: float  # wall clock: the horn's end reaching the node → stored in every destination
    build_s: float
    size: int
    full_post_roll: bool  # False when the stream ended first (its latency is shorter than a live one)


class EvidenceSink:
    """Accepts closed events, builds each once the post-roll has streamed in, stores it everywhere."""

    def __init__(
        self,
        builder: EvidenceBuilder,
        media: EventMedia,
        destinations: Sequence[EvidenceDestination],
        post_s: float | None = None,
        journal: Callable[[str, bytes], None] | None = None,
    ) -> None:
        self.builder = builder
        self.media = media
        self.destinations = list(destinations)
        self.post_s = builder.options.post_s if post_s is None else post_s
        # Where a provisional bundle goes as soon as its event closes (`Outbox.put_provisional`):
        # a power cut before the post-roll is in then loses the end of the audio, not the horn.
        self.journal = journal
        self._pending: list[tuple[HornEvent, float, Future[Pictures], str]] = []
        self._clock: deque[tuple[float, float]] = deque()  # (stream time, wall time) as blocks arrived
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="honkwatch-evidence")
        # Only what is still to do is held: a node runs for months, and every finished job kept
        # (its Future, its record) grew the process by about 1.6 kB per event.
        self._futures: list[Future[None]] = []
        self._started = 0
        self._lock = threading.Lock()
        self.records: deque[EvidenceRecord] = deque(maxlen=_RECENT)  # the latest, for the figures
        self.failures: deque[str] = deque(maxlen=_RECENT_FAILURES)
        self._stored = 0
        self._short = 0
        self._failed = 0
        # Touched on the worker thread only, under `_lock` where others read it.
        self._held: deque[_Held] = deque()
        self._held_error: str | None = None
        self._retry_due = 0.0  # wall time of the next periodic retry (analysis thread)

    @property
    def waiting(self) -> int:
        """Events whose post-roll has not streamed in yet."""
        return len(self._pending)

    @property
    def started(self) -> int:
        """Events whose bundle was handed to the worker (built, being built or queued)."""
        return self._started

    def advance(self, stream_t: float) -> None:
        """The stream has reached `stream_t` (call once per block); builds what is now complete."""
        now = time.time()
        self._clock.append((stream_t, now))
        while len(self._clock) > 2 and self._clock[1][0] < stream_t - 60.0:
            self._clock.popleft()
        ready = [p for p in self._pending if p[0].t_end + self.post_s <= stream_t]
        self._pending = [p for p in self._pending if p[0].t_end + self.post_s > stream_t]
        retry = bool(self._held) and now >= self._retry_due  # a quiet street brings no new bundle
        if ready or retry:
            self._futures = [f for f in self._futures if not f.done()]
        for event, wall_end, pictures, evidence_id in ready:
            self._start(event, wall_end, pictures, evidence_id, True)
        if retry:
            self._retry_due = now + RETRY_EVERY_S
            self._futures.append(self._pool.submit(self._retry_held))

    def submit(self, event: HornEvent) -> None:
        """A closed event: its pictures are made now, the bundle once the stream passes `t_end + post_s`."""
        pictures = self._pool.submit(self.builder.pictures, event, self.media)
        evidence_id = new_evidence_id()
        if self.journal is not None:
            self._futures.append(self._pool.submit(self._journal, event, pictures, evidence_id))
        self._pending.append((event, self._wall_at(event.t_end), pictures, evidence_id))

    def close(self) -> list[EvidenceRecord]:
        """End of stream: build what is still waiting (with whatever audio exists), wait for all,
        and return the latest `_RECENT` records."""
        for event, wall_end, pictures, evidence_id in self._pending:
            self._start(event, wall_end, pictures, evidence_id, False)
        self._pending = []
        for fut in self._futures:
            fut.result()
        self._pool.submit(self._give_up_held).result()
        self._pool.shutdown(wait=True)
        return list(self.records)

    def held(self) -> HeldSummary:
        """Bundles built and signed but not yet in every destination (a full disk), kept in memory."""
        with self._lock:
            return HeldSummary(len(self._held), self._held_bytes(), self._held_error)

    def latency_summary(self) -> dict[str, float | int | None]:
        """Wall-clock latency from horn end to stored evidence (median, max), and build times.

        `latency_*` cover the bundles that waited for their whole post-roll, as every live one
        does; bundles cut short by the end of a recording are counted in `short_post_roll`.
        Counts are over the whole run; the times over the latest `_RECENT` bundles.
        """
        with self._lock:
            recent = list(self.records)
            stored, short, failed = self._stored, self._short, self._failed
        lat = [r.latency_s for r in recent if r.full_post_roll]
        build = [r.build_s for r in recent]
        return {
            "bundles": stored,
            "failed": failed,
            "short_post_roll": short,
            "latency_median_s": round(statistics.median(lat), 3) if lat else None,
            "latency_max_s": round(max(lat), 3) if lat else None,
            "build_median_s": round(statistics.median(build), 3) if build else None,
            "build_max_s": round(max(build), 3) if build else None,
        }

    def _start(
        self, event: HornEvent, wall_end: float, pictures: Future[Pictures], evidence_id: str, full: bool
    ) -> None:
        self._futures.append(self._pool.submit(self._build, event, wall_end, pictures, evidence_id, full))
        self._started += 1

    def _wall_at(self, stream_t: float) -> float:
        """Wall time at which the stream first reached `stream_t` (now, if it has not been seen)."""
        for seen_t, wall in self._clock:
            if seen_t >= stream_t:
                return wall
        return time.time()

    def _journal(self, event: HornEvent, pictures: Future[Pictures], evidence_id: str) -> None:
        """Build the bundle with the audio that exists now and journal it (see `journal`)."""
        assert self.journal is not None
        try:
            built = self.builder.build(event, self.media, pictures.result(), evidence_id)
            self.journal(built.id, built.payload)
        except Exception as exc:  # the final bundle is still to come: this is only insurance
            log.warning("provisional evidence for the horn at %.2f s not journalled: %s", event.t_start, exc)

    def _build(
        self,
        event: HornEvent,
        wall_end: float,
        pictures: Future[Pictures],
        evidence_id: str,
        full_post_roll: bool,
    ) -> None:
        try:
            # Queued before this job on the same single worker, so it has already finished.
            built = self.builder.build(event, self.media, pictures.result(), evidence_id)
        except Exception as exc:  # one bad event must not stop the evidence of the next
            self._fail(f"evidence for the horn at {event.t_start:.2f}-{event.t_end:.2f} s", exc)
            return
        self._retry_held()  # older evidence first, while there is room
        held = _Held(built, list(self.destinations), event.t_end, wall_end, full_post_roll)
        if not self._offer(held):
            self._hold(held)

    def _offer(self, held: _Held) -> bool:
        """Store `held` in each destination it still lacks (one refusing does not keep it from
        the others); True once every one has it."""
        for dest in list(held.todo):
            try:
                dest.store(held.built)
            except Exception as exc:
                with self._lock:
                    self._held_error = str(exc)
                continue
            held.todo.remove(dest)
        if held.todo:
            return False
        self._record(held)
        return True

    def _hold(self, held: _Held) -> None:
        """Keep a bundle no destination could take (a full disk) rather than lose it; the oldest
        is given up only past `HELD_MAX_BYTES`, so the node itself never runs out of memory."""
        log.error(
            "evidence %s not stored (%s): held in memory with %d other(s), retried every %.0f s",
            held.built.id,
            self._held_error,
            len(self._held),
            RETRY_EVERY_S,
        )
        with self._lock:
            self._held.append(held)
        while self._held_bytes() > HELD_MAX_BYTES and len(self._held) > 1:
            self._drop_oldest_held("memory for held evidence is full")

    def _retry_held(self) -> None:
        """Offer held bundles again, oldest first, stopping at the first still refused."""
        while self._held:
            if not self._offer(self._held[0]):
                return
            with self._lock:
                done = self._held.popleft()
                if not self._held:
                    self._held_error = None
            log.info("held evidence %s stored", done.built.id)

    def _give_up_held(self) -> None:
        """At close: a last try; what still has no place is lost with the process, loudly."""
        self._retry_held()
        while self._held:
            self._drop_oldest_held(f"not stored at shutdown: {self._held_error}")

    def _held_bytes(self) -> int:
        return sum(len(h.built.payload) for h in self._held)  # a few hundred at most

    def _drop_oldest_held(self, why: str) -> None:
        with self._lock:
            lost = self._held.popleft()
        self._fail(f"evidence {lost.built.id}", RuntimeError(why))

    def _fail(self, what: str, exc: Exception) -> None:
        log.error("%s failed: %s", what, exc)
        log.debug("evidence failure", exc_info=True)
        with self._lock:
            self.failures.append(f"{what}: {exc}")
            self._failed += 1

    def _record(self, held: _Held) -> None:
        built = held.built
        latency = time.time() - held.wall_end
        record = EvidenceRecord(
            built.id, held.stream_t_end, latency, built.build_s, len(built.payload), held.full_post_roll
        )
        with self._lock:
            self.records.append(record)
            self._stored += 1
            self._short += not held.full_post_roll
