"""Where closed horn events become stored evidence: after the post-roll, off the analysis thread.

A bundle carries 3 s of audio after the horn, so it cannot be finished before the stream has
reached that point. The pictures need only what exists when the event closes, so the sink has
them made at once and holds the event until the post-roll is in (stream time, so a fast replay
and a live run behave alike); then the audio files, the manifest and the signature follow.
All of it runs on one worker thread (the analysis loop must never wait for JPEG encoding), and
the signed payload goes to the destinations: the outbox, a folder, or both.

It also measures what the operator cares about: wall-clock time from the horn's end reaching
the node to the evidence being durably stored.
"""

from __future__ import annotations

import logging
import os
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
from edge.evidence.media import EventMedia

log = logging.getLogger(__name__)

_RECENT = 1000  # bundles whose times the latency figures cover (a busy pole's day)
_RECENT_FAILURES = 100


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
        for name, data in contents.items():
            with open(staging / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(staging, final)


class OutboxDestination:
    """Puts the payload into the durable outbox (through the publisher, which then sends it)."""

    def __init__(self, put: Callable[[str, bytes], bool]) -> None:
        self._put = put

    def store(self, built: BuiltEvidence) -> None:
        self._put(built.id, built.payload)


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
    ) -> None:
        self.builder = builder
        self.media = media
        self.destinations = list(destinations)
        self.post_s = builder.options.post_s if post_s is None else post_s
        self._pending: list[tuple[HornEvent, float, Future[Pictures]]] = []
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
        if ready:
            self._futures = [f for f in self._futures if not f.done()]
        for event, wall_end, pictures in ready:
            self._start(event, wall_end, pictures, True)

    def submit(self, event: HornEvent) -> None:
        """A closed event: its pictures are made now, the bundle once the stream passes `t_end + post_s`."""
        pictures = self._pool.submit(self.builder.pictures, event, self.media)
        self._pending.append((event, self._wall_at(event.t_end), pictures))

    def close(self) -> list[EvidenceRecord]:
        """End of stream: build what is still waiting (with whatever audio exists), wait for all,
        and return the latest `_RECENT` records."""
        for event, wall_end, pictures in self._pending:
            self._start(event, wall_end, pictures, False)
        self._pending = []
        for fut in self._futures:
            fut.result()
        self._pool.shutdown(wait=True)
        return list(self.records)

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

    def _start(self, event: HornEvent, wall_end: float, pictures: Future[Pictures], full: bool) -> None:
        self._futures.append(self._pool.submit(self._build, event, wall_end, pictures, full))
        self._started += 1

    def _wall_at(self, stream_t: float) -> float:
        """Wall time at which the stream first reached `stream_t` (now, if it has not been seen)."""
        for seen_t, wall in self._clock:
            if seen_t >= stream_t:
                return wall
        return time.time()

    def _build(
        self, event: HornEvent, wall_end: float, pictures: Future[Pictures], full_post_roll: bool
    ) -> None:
        try:
            # Queued before this job on the same single worker, so it has already finished.
            built = self.builder.build(event, self.media, pictures.result())
            for dest in self.destinations:
                dest.store(built)
        except Exception as exc:  # one bad event must not stop the evidence of the next
            log.error("evidence for the horn at %.2f s failed: %s", event.t_start, exc)
            log.debug("evidence failure", exc_info=True)
            with self._lock:
                self.failures.append(f"{event.t_start:.2f}-{event.t_end:.2f} s: {exc}")
                self._failed += 1
            return
        latency = time.time() - wall_end
        record = EvidenceRecord(
            built.id, event.t_end, latency, built.build_s, len(built.payload), full_post_roll
        )
        with self._lock:
            self.records.append(record)
            self._stored += 1
            self._short += not full_post_roll
