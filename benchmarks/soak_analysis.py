"""Months in minutes: the analysis loop over a long stream, watched for growth in memory and cost.

    python3 benchmarks/soak_analysis.py [--scene recordings/spiral32-street] [--minutes 30]
                                        [--outage-every 0]

Plays one scene over and over as one continuous stream (its stream clock keeps running, as a
node's does for months) through the same Analyzer a node runs, as fast as it goes. Every
`--report` minutes of stream it prints the process's resident memory, the CPU cost per second of
audio in that stretch, and the events found per pass over the scene. A node that leaks or slows
down shows a rising RSS or cost column; one whose answers drift shows a changing events column.
`--outage-every N` leaves a 5-minute gap in the stream clock every N passes (a device outage).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_node import proc_rss_mb  # noqa: E402  (beside this script)

from edge.analysis.config import build_config  # noqa: E402
from edge.analysis.replay import analyzer_for_scene  # noqa: E402
from edge.scene.reader import load_scene  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scene", type=Path, default=ROOT / "recordings" / "spiral32-street")
    ap.add_argument("--minutes", type=float, default=30.0, help="stream minutes to play")
    ap.add_argument("--report", type=float, default=3.0, help="stream minutes between report lines")
    ap.add_argument("--block", type=int, default=2400)
    ap.add_argument("--outage-every", type=int, default=0, help="a 5-minute outage every N passes")
    args = ap.parse_args()

    scene = load_scene(args.scene, with_truth=False)
    with scene.open_audio() as f:
        audio = f.read(dtype="float32", always_2d=True)
    fs = scene.sample_rate
    an = analyzer_for_scene(scene, build_config())
    total = int(args.minutes * 60 * fs)
    every = int(args.report * 60 * fs)
    print(
        f"{args.scene.name}: {audio.shape[1]} ch, {fs} Hz, {len(audio) / fs:.1f} s per pass; "
        f"{args.minutes:g} stream minutes, RSS at start {proc_rss_mb(os.getpid()):.0f} MB"
    )
    print("stream min | RSS MB | CPU ms per s of audio | events per pass (this stretch)")
    pos = played = passes = events = 0
    next_report, stretch_cpu, stretch_audio, stretch_passes = every, 0.0, 0, 0
    while played < total:
        for i in range(0, len(audio), args.block):
            block = audio[i : i + args.block]
            t0 = time.process_time()
            events += len(an.feed(block, pos))
            stretch_cpu += time.process_time() - t0
            pos += len(block)
            played += len(block)
            stretch_audio += len(block)
        passes += 1
        stretch_passes += 1
        if args.outage_every and passes % args.outage_every == 0:
            pos += 300 * fs
        if played >= next_report or played >= total:
            print(
                f"{played / fs / 60:10.1f} | {proc_rss_mb(os.getpid()):6.0f} | {1000 * stretch_cpu / (stretch_audio / fs):21.1f} | "
                f"{events / stretch_passes:.2f}",
                flush=True,
            )
            next_report += every
            stretch_cpu, stretch_audio, stretch_passes, events = 0.0, 0, 0, 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
