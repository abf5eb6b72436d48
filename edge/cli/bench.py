"""`honk-edge bench`: what the analysis loop costs, per array size, on one core.

For 16, 32 and 64 channels at 48 kHz (the uma16, spiral32 and spiral64 arrays with the road
camera) it feeds two loads through the same `Analyzer` replay and the live node use: a horn
sounding 0.2 s of every second (about 10 maps per second of audio, the load the issue's speed
target is stated for; an event every second) and the worst case, a horn sounding 0.8 s of every
second, so nearly every hop is localized (`--horn-duty` picks others). It prints, per array and
load: the real-time factor of the whole loop, maps per second of audio,
grid points (coarse map + local refinement, and the equivalent exhaustive lattice), achieved
GFLOP/s of the beamforming kernel against the numpy complex matrix-multiply peak measured in the
same run, peak RSS, and the same full map (exhaustive grid ≥ 4,000 points, same bins, same
data) computed by acoular's `BeamformerBase` as a time ratio. Each array runs in its own child
process, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse

from edge.analysis.bench import MAX_DUTY, TARGET_DUTY


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="measure the analysis loop: real-time factor, maps/s, GFLOP/s, RSS, and acoular's time",
        description="Benchmark the acoustic core on one core at 16, 32 and 64 channels.",
    )
    p.add_argument("--seconds", type=float, default=10.0, help="audio per run (default 10 s)")
    p.add_argument("--channels", type=int, nargs="*", default=[16, 32, 64], choices=[16, 32, 64])
    p.add_argument("--no-acoular", action="store_true", help="skip the acoular comparison")
    p.add_argument(
        "--horn-duty",
        type=float,
        nargs="+",
        default=[TARGET_DUTY, MAX_DUTY],
        metavar="S",
        help=f"seconds of each second the horn sounds, one row each (default {TARGET_DUTY} and "
        f"{MAX_DUTY}: the issue's ~10 maps/s, and the worst case, nearly every hop localized)",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="analysis setting override, as for replay",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import multiprocessing as mp

    from edge.analysis.bench import ARRAYS, LEGEND, MIN_DUTY, format_row, header
    from edge.analysis.config import build_config
    from edge.errors import UserFacingError

    if not 1.0 <= args.seconds <= 600:
        raise UserFacingError(f"--seconds must be between 1 and 600, got {args.seconds}")
    for duty in args.horn_duty:
        if not MIN_DUTY <= duty <= MAX_DUTY:
            raise UserFacingError(f"--horn-duty must be between {MIN_DUTY} and {MAX_DUTY} s, got {duty}")
    build_config(None, args.overrides)  # refuse bad overrides before spawning anything
    ctx = mp.get_context("spawn")
    print(header())
    for ch in args.channels:
        for i, duty in enumerate(args.horn_duty):
            acoular = not args.no_acoular and i == 0  # the full map does not depend on the load
            with ctx.Pool(1) as pool:
                row = pool.apply(_child, (ARRAYS[ch], args.seconds, args.overrides, acoular, duty))
            print(format_row(row), flush=True)
    print(LEGEND)
    return 0


def _child(profile: str, seconds: float, overrides: list[str], with_acoular: bool, duty: float) -> dict:
    from edge.analysis.bench import run_case

    return run_case(profile, seconds, overrides, with_acoular, duty)
