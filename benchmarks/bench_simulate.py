"""How fast the simulator runs: seconds of computing per simulated second, 64 channels at 48 kHz.

    python3 benchmarks/bench_simulate.py [--duration 10] [--scenario default] [--video]

Prints wall-clock and CPU time (the process's own, so other load on the machine shows up as the
gap between them). The target is a 10 s, 64-channel scene "well under a minute" on one core.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# One core, as the target says: keep BLAS/FFT libraries from spreading out.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.geometry import load_profile  # noqa: E402
from edge.sim.scenario import ScenarioOptions  # noqa: E402
from edge.sim.simulate import simulate_scene  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--profile", default="pole-spiral64")
    ap.add_argument("--seeds", type=int, default=2, help="scenes to average over")
    ap.add_argument("--video", action="store_true", help="also render the 1080p video")
    args = ap.parse_args()
    profile = load_profile(args.profile)
    with tempfile.TemporaryDirectory() as tmp:
        # Warm-up: imports and the numba kernel's compilation (cached after the first run).
        simulate_scene(Path(tmp) / "warm", seed=999, options=ScenarioOptions(duration_s=2.0),
                       profile=profile, video=False)  # fmt: skip
        walls, cpus, audio = [], [], []
        for seed in range(args.seeds):
            w0, c0 = time.perf_counter(), time.process_time()
            r = simulate_scene(
                Path(tmp) / f"s{seed}",
                seed=seed,
                options=ScenarioOptions(duration_s=args.duration, preset=args.scenario),
                profile=profile,
                video=args.video,
            )
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
            audio.append(r.seconds_audio)
            print(
                f"seed {seed}: {len(r.scenario.vehicles)} vehicles, {len(r.scenario.horns)} horns, "
                f"{len(r.scenario.confusers)} confusers: wall {walls[-1]:.1f} s, cpu {cpus[-1]:.1f} s"
            )
    ch = profile.array.channels
    print(
        f"{ch} channels, {profile.sample_rate} Hz, {args.duration:g} s scenes ({args.scenario}"
        f"{', with video' if args.video else ''}): "
        f"{sum(cpus) / len(cpus) / args.duration:.2f} s CPU per simulated second "
        f"({sum(walls) / len(walls) / args.duration:.2f} s wall)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
