"""The replay progress bar: drawn on a terminal, silent in logs, and never in the way of stdout."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from edge.report.progress import Progress, format_duration

ROOT = Path(__file__).resolve().parents[1]


def test_bar_reaches_100_percent_and_ends_its_line():
    out = io.StringIO()
    with Progress(10.0, "scene S1 (1/1)", stream=out, enabled=True, min_interval_s=0.0) as bar:
        for _ in range(4):
            bar.advance(2.5)
    text = out.getvalue()
    assert text.startswith("\r") and text.endswith("\n")
    frames = text.strip("\n").split("\r")[1:]
    assert " 25.0%" in frames[0] and "100.0%" in frames[-1]
    assert "[" + "#" * 20 + "]" in frames[-1]
    assert all(len(f) <= 80 for f in frames)


def test_bar_is_silent_on_a_non_terminal_stream():
    out = io.StringIO()  # not a tty: enabled=None decides "off"
    with Progress(5.0, "scene", stream=out) as bar:
        bar.advance(5.0)
    assert out.getvalue() == ""


def test_advance_never_passes_the_total_and_durations_read_as_clock_times():
    bar = Progress(1.0, stream=io.StringIO(), enabled=False)
    bar.advance(3.0)
    assert bar.done == 1.0 and "100.0%" in bar.line()
    assert format_duration(59.6) == "1:00" and format_duration(3725) == "1:02:05"


def test_replay_draws_the_bar_on_a_terminal_only():
    scene = str(ROOT / "recordings" / "uma16-one-horn")
    cmd = [sys.executable, "-m", "edge.cli", "replay", scene]
    piped = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert piped.returncode == 0 and "\r" not in piped.stderr and "1 horn event(s)" in piped.stdout
    main_fd, child_fd = pty.openpty()
    try:
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=child_fd, cwd=ROOT, timeout=120)
    finally:
        os.close(child_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main_fd)
    drawn = b"".join(chunks).decode()
    assert done.returncode == 0
    assert "uma16-one-horn" in drawn and "100.0%" in drawn
