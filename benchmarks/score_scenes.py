"""Score the acoustic core on simulated scenes: simulate + replay over seeds, profiles and scenarios.

    python3 benchmarks/score_scenes.py --seeds 1 2 3 --profiles pole-spiral64 pole-spiral32 \
        --scenarios default two-horns side-by-side --duration 10 --workdir /tmp/hw-scores

Scenes are cached in --workdir (re-simulated only when missing), so re-scoring after a change to
the analysis costs only the replays. Prints one row per scene and a pooled row per profile: the
pooled figures are computed over all horns of that profile, not averaged per scene. Then, per
profile, why the horns that no event points at were missed (`edge.report.misses.why_missed`: the
rule that dropped a track near the horn, `undecided`, or `no_track`); `--verbose` lists each such
horn with the tracks near it.

`--no-mount` replays each scene as another system would have written it: without our simulator's
"mount" (the road plane) and recorded speed of sound in scene.json. `--sim-arg=--ground-reflection=0`
simulates a free field (use its own --workdir: scenes are cached by name).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections import Counter
from pathlib import Path

from edge.analysis.config import build_config
from edge.report.misses import explain_misses, missed_horns, why_missed
from edge.report.trace import run_traced
from edge.scene import load_scene
from edge.scoring import Scores, pool_scores, score_events, summary_table


def _simulate(out: Path, seed: int, profile: str, scenario: str, duration: float, extra: list[str]) -> None:
    from edge.cli import main

    if (out / "scene.json").exists():
        return
    code = main(
        [
            "simulate",
            "--out",
            str(out),
            "--seed",
            str(seed),
            "--profile",
            profile,
            "--scenario",
            scenario,
            "--duration",
            str(duration),
            "--no-video",
            "--overwrite",
            *extra,
        ]
    )
    if code != 0:
        raise SystemExit(f"simulate failed for {out}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--profiles", nargs="+", default=["pole-spiral64", "pole-spiral32"])
    ap.add_argument("--scenarios", nargs="+", default=["default"])
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/honkwatch-scores"))
    ap.add_argument("--sim-arg", action="append", default=[], help="extra argument for simulate (repeatable)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--verbose", action="store_true", help="print each missed horn and false event")
    ap.add_argument(
        "--no-mount", action="store_true", help="replay without the scene's mount and speed of sound"
    )
    args = ap.parse_args()
    config = build_config(None, args.overrides)
    rows: list[tuple[str, Scores]] = []
    pooled: dict[str, list[Scores]] = {}
    why: dict[str, Counter[str]] = {}
    for profile in args.profiles:
        for scenario in args.scenarios:
            for seed in args.seeds:
                name = f"{profile}-{scenario}-{seed}"
                d = args.workdir / name
                _simulate(d, seed, profile, scenario, args.duration, args.sim_arg)
                scene = load_scene(d)
                if args.no_mount:
                    drop = ("mount", "speed_of_sound_mps")
                    scene = dataclasses.replace(
                        scene, extra={k: v for k, v in scene.extra.items() if k not in drop}
                    )
                t0 = time.perf_counter()
                run = run_traced(scene, config)
                events = run.lines
                s = score_events(events, scene.truth)
                rows.append((name, s))
                pooled.setdefault(profile, []).append(s)
                missed = missed_horns(events, run.fates, scene.truth)
                why.setdefault(profile, Counter()).update(why_missed(fates) for _, fates in missed)
                print(
                    f"{name}: {len(events)} events, replay {time.perf_counter() - t0:.1f} s", file=sys.stderr
                )
                if args.verbose:
                    _explain(events, scene.truth)
                    for line in explain_misses(events, run.fates, scene.truth):
                        print("  " + line, file=sys.stderr)
    for profile, ss in pooled.items():
        rows.append((f"ALL {profile}", pool_scores(ss)))
    print(summary_table(rows))
    # Why the horns no event points at were missed (`edge.report.misses`): where to look next.
    for profile, counts in why.items():
        text = ", ".join(f"{k} {n}" for k, n in counts.most_common()) or "none"
        print(f"not pointed at, {profile}: {sum(counts.values())} horn(s): {text}")
    return 0


def _explain(events: list[dict], truth) -> None:
    for h in truth.events:
        hits = [e for e in events if e["t_start"] - 0.25 < h.t_end and e["t_end"] + 0.25 > h.t_start]
        print(
            f"  truth {h.t_start:.2f}-{h.t_end:.2f} az {h.azimuth_deg:.2f} el {h.elevation_deg:.2f} "
            f"{h.extra.get('horn_kind')} {h.extra.get('pattern')} d={h.distance_m} -> "
            + json.dumps([(e["t_start"], e["azimuth_deg"], e["elevation_deg"]) for e in hits]),
            file=sys.stderr,
        )
    for e in events:
        if not any(e["t_start"] - 0.25 < h.t_end and e["t_end"] + 0.25 > h.t_start for h in truth.events):
            print(f"  FALSE {json.dumps(e)[:200]}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
