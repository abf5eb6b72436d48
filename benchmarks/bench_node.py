"""CPU and memory of the whole node in real-time replay of a 64-channel scene.

    python3 benchmarks/bench_node.py [--duration 30] [--no-video] [--scene DIR] [--broker]

Simulates a pole-spiral64 scene (64 channels, 48 kHz, with camera video unless --no-video),
then runs `honk-edge run --config … --scene DIR` as its own process — capture pacing, analysis,
camera thread, evidence building, outbox (and MQTT with --broker) — and samples that process's
CPU time and resident memory from /proc every 0.5 s. CPU is reported as a percentage of one
core (user + system time over wall time); RSS as mean and peak.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--scene", type=Path, help="use this scene instead of simulating one")
    ap.add_argument("--broker", action="store_true", help="publish to the MQTT broker at 127.0.0.1:1883")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--no-camera", action="store_true", help="run the node without its camera thread")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-node-"))
    scene = args.scene
    if scene is None:
        scene = work / "scene"
        cmd = [
            sys.executable,
            "-m",
            "edge.cli",
            "simulate",
            "--out",
            str(scene),
            "--duration",
            str(args.duration),
            "--horns",
            str(max(1, int(args.duration // 6))),
            "--seed",
            str(args.seed),
            "--video" if not args.no_video else "--no-video",
        ]
        t0 = time.monotonic()
        subprocess.run(cmd, check=True, cwd=ROOT)
        print(f"simulated {scene} in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    key = work / "device.pem"
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from edge.evidence.keys import generate_key; from pathlib import Path; "
            f"generate_key(Path({str(key)!r}))",
        ],
        check=True,
        cwd=ROOT,
    )
    config = work / "node.toml"
    config.write_text(
        f'[device]\nid = "bench-node"\nzone = "bench"\nprofile = "pole-spiral64"\nkey_file = "{key}"\n'
        f"[broker]\nenabled = {'true' if args.broker else 'false'}\n"
        f"[camera]\nenabled = {'false' if args.no_camera else 'true'}\n"
        f'[outbox]\npath = "{work / "outbox.sqlite3"}"\n'
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edge.cli",
            "run",
            "--config",
            str(config),
            "--scene",
            str(scene),
            "--log-level",
            "WARNING",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    t0 = time.monotonic()
    rss: list[float] = []
    cpu = 0.0
    while proc.poll() is None:
        try:
            cpu = proc_cpu_s(proc.pid)
            rss.append(proc_rss_mb(proc.pid))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.5)
    out, _ = proc.communicate()
    wall = time.monotonic() - t0
    summary = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    steady = rss[len(rss) // 4 :] or rss
    result = {
        "scene": str(scene),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 1),
        "rss_mean_mb": round(sum(steady) / len(steady), 1) if steady else None,
        "rss_peak_mb": round(max(rss), 1) if rss else None,
        "analysis_s": summary.get("analysis_s"),
        "events": summary.get("events"),
        "bundles": summary.get("bundles"),
        "build_median_s": summary.get("build_median_s"),
    }
    print(json.dumps(result, indent=1))
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
