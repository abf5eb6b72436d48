"""SIGTERM and SIGINT stop the node from a thread of their own, never from inside the main thread.

A Python signal handler runs in the main thread between two bytecodes, possibly while that
thread holds a lock the stop needs (a `threading.Event`'s, inside the paced source's wait):
stopping from the handler could deadlock the shutdown. Here the handler does nothing; the
interpreter's C-level handler writes the signal number to a pipe (`signal.set_wakeup_fd`),
and a waiting thread reads it and calls `stop` with no lock held by anyone it interrupted.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def stop_on_signals(stop: Callable[[], None]) -> None:
    """Call `stop` (from a daemon thread) each time SIGTERM or SIGINT arrives; main thread only."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)  # set_wakeup_fd requires it: a full pipe drops, never blocks
    signal.set_wakeup_fd(write_fd)
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda *_: None)
    wanted = {int(sig) for sig in STOP_SIGNALS}

    def wait() -> None:
        while True:
            if wanted.intersection(os.read(read_fd, 64)):
                stop()

    threading.Thread(target=wait, name="honkwatch-signals", daemon=True).start()
