"""Live array audio from a sound card through `sounddevice` (PortAudio), supervised.

The PortAudio callback copies the mapped channels into the `AudioRing`, counts overflows and
notes when it ran — nothing else, because anything slow there loses audio. A supervisor
thread watches those notes: a stream that finished (device unplugged) or stalled (no callback
for `stall_s`) is abandoned and reopened with exponential backoff, and the outage appears on
the stream clock as a gap of the wall time it lasted. A stalled driver can hang in close, so
the old stream is closed on a throwaway thread instead of the supervisor's.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from edge.errors import UserFacingError
from edge.sources.base import ArraySource
from edge.sources.ring import AudioRing

log = logging.getLogger(__name__)

CaptureState = Literal["starting", "running", "stalled", "reopening", "closed"]


class AudioDeviceError(UserFacingError):
    """The sound card is absent, or cannot deliver the channels or sample rate the profile needs."""


@dataclass(frozen=True)
class CaptureSettings:
    device: str | int | None
    channel_map: tuple[int, ...]
    sample_rate: int
    block_size: int = 2400
    ring_s: float = 15.0
    stall_s: float = 2.0
    reopen_min_s: float = 0.5
    reopen_max_s: float = 30.0
    open_timeout_s: float = 10.0


@dataclass(frozen=True)
class CaptureStatus:
    state: CaptureState
    device: str | None
    overflows: int
    dropped_frames: int
    reopens: int
    last_error: str | None  # why it is not running now (None while running)
    last_outage: str | None  # why the stream last stopped, kept after it recovered


def find_input_device(sd: Any, wanted: str | int | None, channels: int) -> tuple[int, str]:
    """The PortAudio index and name of the input device `wanted` (index, or name substring)."""
    devices = list(sd.query_devices())
    inputs = [(i, d) for i, d in enumerate(devices) if d["max_input_channels"] > 0]
    listing = ", ".join(f"{i}: {d['name']!r} ({d['max_input_channels']} ch)" for i, d in inputs) or "none"
    if wanted is None:
        default = sd.default.device[0]
        match = [(i, d) for i, d in inputs if i == default] or inputs[:1]
    elif isinstance(wanted, int) or (isinstance(wanted, str) and wanted.isdigit()):
        match = [(i, d) for i, d in inputs if i == int(wanted)]
    else:
        match = [(i, d) for i, d in inputs if wanted.lower() in d["name"].lower()]
    if not match:
        raise AudioDeviceError(f"audio device {wanted!r} not found (input devices: {listing})")
    index, dev = match[0]
    if dev["max_input_channels"] < channels:
        raise AudioDeviceError(
            f"audio device {dev['name']!r} has {dev['max_input_channels']} input channels; "
            f"the channel map needs {channels}"
        )
    return index, str(dev["name"])


class SounddeviceSource(ArraySource):
    """The array's sound card as an `ArraySource`; `start()` opens it or raises `AudioDeviceError`."""

    def __init__(self, settings: CaptureSettings) -> None:
        import sounddevice as sd

        self._sd = sd
        self.settings = settings
        self.sample_rate = int(settings.sample_rate)
        self.channels = len(settings.channel_map)
        self._map = np.asarray(settings.channel_map, dtype=np.intp)
        self._identity = bool(np.array_equal(self._map, np.arange(self.channels)))
        self._device_channels = int(self._map.max()) + 1
        self.ring = AudioRing(round(settings.ring_s * self.sample_rate), self.channels, self.sample_rate)
        self._stream: Any = None
        self._device_name: str | None = None
        self._state: CaptureState = "starting"
        self._last_error: str | None = None
        self._last_outage: str | None = None
        self._overflows = 0
        self._dropped = 0
        self._reopens = 0
        self._last_callback = 0.0
        self._finished = threading.Event()
        self._stop = threading.Event()
        self._anchor = (0, 0.0)  # (stream sample one past the newest, monotonic time it arrived)
        self.latency_s = 0.0
        self._supervisor: threading.Thread | None = None
        self._generation = 0
        self._closers: list[threading.Thread] = []

    # ----- lifecycle -----

    def start(self) -> None:
        """Open the device, retrying with backoff for `open_timeout_s`; then supervise it."""
        deadline = time.monotonic() + self.settings.open_timeout_s
        delay = self.settings.reopen_min_s
        while True:
            try:
                self._open()
                break
            except AudioDeviceError as exc:
                if time.monotonic() + delay > deadline:
                    raise AudioDeviceError(
                        f"{exc} (gave up after {self.settings.open_timeout_s:g} s)"
                    ) from None
                time.sleep(delay)
                delay = min(2 * delay, self.settings.reopen_max_s)
        self._supervisor = threading.Thread(
            target=self._supervise, name="honkwatch-audio-watchdog", daemon=True
        )
        self._supervisor.start()

    def stop(self) -> None:
        self._stop.set()  # the reading loop looks at it at least every 0.25 s

    def close(self) -> None:
        self.stop()
        if self._supervisor is not None:
            self._supervisor.join(2.0)
        self._abandon()
        for closer in self._closers:
            closer.join(2.0)  # a driver hung in a stalled read is left behind, not waited on forever
        self._state = "closed"
        self.ring.wake()

    def status(self) -> CaptureStatus:
        return CaptureStatus(
            self._state,
            self._device_name,
            self._overflows,
            self._dropped,
            self._reopens,
            self._last_error,
            self._last_outage,
        )

    def stream_time(self, monotonic_t: float) -> float:
        """Stream time (s) of the sound that reached the microphones at `monotonic_t`: the camera's clock."""
        end, at = self._anchor
        return end / self.sample_rate - self.latency_s + (monotonic_t - at)

    # ----- reading -----

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        pos = 0
        most = 4 * self.settings.block_size
        while not self._stop.is_set():
            if not self.ring.wait(pos, 0.25):
                continue
            start = max(pos, self.ring.start)
            if start > pos:
                self._dropped += start - pos  # the analysis fell a whole ring behind
            got_start, data = self.ring.read(start, min(self.ring.end, start + most))
            if len(data) == 0:
                continue
            yield got_start, data
            pos = got_start + len(data)

    # ----- PortAudio side -----

    def _callback(
        self, generation: int, indata: np.ndarray, frames: int, time_info: Any, status: Any
    ) -> None:
        if generation != self._generation:
            raise self._sd.CallbackAbort  # an abandoned stream that woke up again must not write
        if status.input_overflow:
            self._overflows += 1
        self.ring.write(indata if self._identity else indata[:, self._map])
        now = time.monotonic()
        self._anchor = (self.ring.end, now)
        self._last_callback = now

    def _open(self, lost_since: float | None = None) -> None:
        sd = self._sd
        try:
            try:
                index, name = find_input_device(sd, self.settings.device, self._device_channels)
            except AudioDeviceError:
                # PortAudio caches the device list at init; a re-plugged card needs a fresh one.
                # Only safe once every abandoned stream is really closed.
                if not any(t.is_alive() for t in self._closers):
                    sd._terminate()
                    sd._initialize()
                index, name = find_input_device(sd, self.settings.device, self._device_channels)
            try:
                sd.check_input_settings(index, self._device_channels, "float32", samplerate=self.sample_rate)
            except Exception as exc:
                rate = sd.query_devices(index)["default_samplerate"]
                raise AudioDeviceError(
                    f"audio device {name!r} cannot record {self._device_channels} channels at "
                    f"{self.sample_rate} Hz (its default rate is {rate:g} Hz): {exc}"
                ) from None
            self._finished.clear()
            self._generation += 1
            stream = sd.InputStream(
                device=index,
                channels=self._device_channels,
                samplerate=self.sample_rate,
                dtype="float32",
                blocksize=self.settings.block_size,
                callback=functools.partial(self._callback, self._generation),
                finished_callback=self._finished.set,
            )
            if round(stream.samplerate) != self.sample_rate:
                stream.close()
                raise AudioDeviceError(
                    f"audio device {name!r} opened at {stream.samplerate:g} Hz instead of {self.sample_rate} Hz"
                )
            self.latency_s = float(stream.latency)
            if lost_since is not None:
                # The outage stays on the stream clock, so event times remain true wall-clock spans.
                gap = round((time.monotonic() - lost_since) * self.sample_rate)
                self.ring.skip(gap)
                self._dropped += gap
            self._last_callback = time.monotonic()
            stream.start()
        except AudioDeviceError:
            raise
        except Exception as exc:  # PortAudioError and friends: the device vanished between query and open
            raise AudioDeviceError(
                f"audio device {self.settings.device!r} could not be opened: {exc}"
            ) from None
        self._stream = stream
        self._device_name = name
        self._state = "running"
        self._last_error = None
        log.info("audio: recording %d channels at %d Hz from %r", self.channels, self.sample_rate, name)

    def _abandon(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            closer = threading.Thread(target=_close_quietly, args=(stream,), daemon=True)
            closer.start()
            self._closers = [t for t in self._closers if t.is_alive()] + [closer]

    def _supervise(self) -> None:
        while not self._stop.wait(0.05):
            silent = time.monotonic() - self._last_callback
            if not (self._finished.is_set() or silent > self.settings.stall_s):
                continue
            why = "stream ended (device gone?)" if self._finished.is_set() else f"no audio for {silent:.1f} s"
            self._state = "stalled"
            self._last_error = self._last_outage = why
            log.warning("audio: %s; reopening %r", why, self._device_name or self.settings.device)
            lost_since = self._last_callback
            self._abandon()
            self._state = "reopening"
            delay = self.settings.reopen_min_s
            while not self._stop.is_set():
                try:
                    self._open(lost_since)
                except AudioDeviceError as exc:
                    self._state = "reopening"
                    self._last_error = str(exc)
                    log.warning("audio: %s; retrying in %.1f s", exc, delay)
                    if self._stop.wait(delay):
                        return
                    delay = min(2 * delay, self.settings.reopen_max_s)
                    continue
                self._reopens += 1
                break


def _close_quietly(stream: Any) -> None:
    try:
        stream.abort()
        stream.close()
    except Exception as exc:  # the device is gone; nothing more to release
        log.debug("audio: closing the old stream failed: %s", exc)
