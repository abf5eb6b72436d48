"""The interface every audio source implements (live capture, scene replay, simulator, tests)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np


class ArraySource(ABC):
    """Blocks of multichannel audio on the stream clock.

    Iterating yields `(stream_start_sample, block)`: `block` is float32 of shape (frames, channels),
    channel i is microphone i of the array, and `stream_start_sample` counts samples since the
    stream began (the first block starts at 0; a gap after dropped blocks shows as a jump).
    Block sizes may vary from block to block: consumers must not depend on them.
    """

    sample_rate: int
    channels: int

    @abstractmethod
    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]: ...

    @abstractmethod
    def close(self) -> None:
        """Release the device or file; iterating afterwards is an error."""

    @abstractmethod
    def stop(self) -> None:
        """Ask iteration to end soon; safe from a signal handler or another thread.

        Unlike `close`, it releases nothing: a signal handler runs between two bytecodes of the
        reading thread, possibly inside the file library's read, which must not find its file
        gone. A source whose iteration can wait (a sound card, a paced replay) wakes up and
        ends; one that never waits ends after its next block, when the reader sees its own flag.
        """

    def __enter__(self) -> ArraySource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
