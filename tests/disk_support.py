"""A real, small filesystem for what a full disk does to the node (no faked ENOSPC)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_disk(root: Path, size: str = "4m") -> Iterator[Path]:
    """A real filesystem of `size` (tmpfs) mounted at `root`, for what a full disk does.

    Mounting needs root and the mount capability (this machine kind and CI have them); elsewhere
    the test is skipped rather than faked."""
    root.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(root)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.strip()}")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Write a file until the disk refuses another byte, then give `leave` bytes back; returns it
    (unlink it to free the disk)."""
    filler = disk / "filler"
    with open(filler, "wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler
