"""`honk-edge simulate`: write a simulated street scene (audio, optional video, truth) for a device profile."""

from __future__ import annotations

import argparse
from pathlib import Path

from edge.errors import UserFacingError

_CONFUSER_PRESETS = {"none": (), "all": None}
_ALIASES = {
    "beeper": "reversing_beeper",
    "brake": "brake_squeal",
    "speech": "speech_like",
    "music": "music_like",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="write a simulated scene with truth (array audio, optional camera video)",
        description=(
            "Simulate horns, confusers and traffic on a road seen by a pole-mounted array and camera, "
            "and write a honkwatch-scene/1 directory with truth.json. The same --seed and options "
            "always give the same scene."
        ),
    )
    p.add_argument("--out", required=True, type=Path, help="scene directory to create")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of audio (default 10)")
    p.add_argument(
        "--profile",
        default="pole-spiral64",
        help="device profile in hardware/profiles (default pole-spiral64)",
    )
    p.add_argument("--array", help="use this array from hardware/arrays instead of the profile's")
    p.add_argument(
        "--channels",
        type=int,
        help="keep only this many of the array's microphones, spread evenly over its channel order",
    )
    p.add_argument("--camera", help="use this camera from hardware/cameras instead of the profile's")
    p.add_argument("--sample-rate", type=int, help="audio sample rate (default: the profile's)")
    p.add_argument(
        "--scenario", default="default", help="default, busy, quiet, two-horns, side-by-side or siren-only"
    )
    p.add_argument("--horns", type=int, help="number of horn events (default: the scenario's)")
    p.add_argument(
        "--confusers",
        help="comma-separated confusers (siren, beeper, brake, bird, speech, music), or 'none' / 'all'",
    )
    p.add_argument(
        "--facade",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a reflecting building façade beside the road",
    )
    p.add_argument("--wind", type=float, metavar="M_PER_S", help="wind speed at the array in m/s")
    p.add_argument(
        "--background",
        type=float,
        metavar="DBA",
        help="diffuse traffic background level, dB(A) (60–75 is typical)",
    )
    p.add_argument("--rain", type=float, metavar="DBA", help="rain at this level, dB(A) (50–70 is typical)")
    p.add_argument(
        "--ground-reflection",
        type=float,
        default=None,
        metavar="R",
        help="the road's pressure reflection coefficient (default 0.92, dense asphalt; 0: a free field)",
    )
    p.add_argument(
        "--dead-channel",
        type=int,
        nargs="?",
        const=-1,
        metavar="CH",
        help="one channel reads nothing (random if CH is omitted)",
    )
    p.add_argument(
        "--noisy-channel",
        type=int,
        nargs="?",
        const=-1,
        metavar="CH",
        help="one channel has hiss, hum and crackle",
    )
    p.add_argument(
        "--video",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="render the camera video (default on)",
    )
    p.add_argument(
        "--subtype",
        default="PCM_24",
        choices=["PCM_16", "PCM_24", "PCM_32", "FLOAT"],
        help="audio sample format",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing scene in --out")
    p.set_defaults(func=_run)


def _confusers(text: str | None) -> tuple[str, ...] | None:
    from edge.sim.scenario import CONFUSER_LABELS

    if text is None:
        return None
    text = text.strip().lower()
    if text in _CONFUSER_PRESETS:
        return CONFUSER_LABELS if text == "all" else ()
    labels = tuple(_ALIASES.get(t.strip(), t.strip()) for t in text.split(",") if t.strip())
    for label in labels:
        if label not in CONFUSER_LABELS:
            choices = ", ".join(sorted({*CONFUSER_LABELS, *_ALIASES}))
            raise UserFacingError(
                f"--confusers: unknown confuser {label!r}; choose from {choices}, none, all"
            )
    return labels


def _profile(args: argparse.Namespace):
    from dataclasses import replace

    import numpy as np

    from edge.geometry import ArrayGeometry, load_array, load_profile
    from edge.geometry.profiles import load_camera

    profile = load_profile(args.profile)
    if args.array:
        array = load_array(args.array)
        profile = replace(profile, array=array, channel_map=tuple(range(array.channels)))
    if args.channels is not None:
        total = profile.array.channels
        if not 2 <= args.channels <= total:
            raise UserFacingError(
                f"--channels must be between 2 and {total} for array {profile.array.name!r}"
            )
        keep = np.unique(np.round(np.linspace(0, total - 1, args.channels)).astype(int))
        array = ArrayGeometry(
            name=f"{profile.array.name}-{len(keep)}of{total}",
            positions_m=profile.array.positions_m[keep],
            description=f"channels {keep.tolist()} of {profile.array.name}",
        )
        profile = replace(profile, array=array, channel_map=tuple(range(len(keep))))
    if args.camera:
        profile = replace(profile, camera=load_camera(args.camera))
    return profile


def _check_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UserFacingError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UserFacingError(
            f"--out {out}: directory is not empty (pass --overwrite to replace the scene in it)"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UserFacingError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None


def _run(args: argparse.Namespace) -> int:
    from edge.sim.scenario import ASPHALT_REFLECTION, ScenarioOptions, validate_options
    from edge.sim.simulate import simulate_scene

    if args.wind is not None and not 0.0 <= args.wind <= 30.0:
        raise UserFacingError(f"--wind must be between 0 and 30 m/s, got {args.wind}")
    if args.background is not None and not 20.0 <= args.background <= 95.0:
        raise UserFacingError(f"--background must be between 20 and 95 dB(A), got {args.background}")
    if args.rain is not None and not 30.0 <= args.rain <= 90.0:
        raise UserFacingError(f"--rain must be between 30 and 90 dB(A), got {args.rain}")
    options = ScenarioOptions(
        duration_s=args.duration,
        preset=args.scenario,
        horns=args.horns,
        confusers=_confusers(args.confusers),
        facade=args.facade,
        wind_mps=args.wind,
        background_dba=args.background,
        dead_channel=args.dead_channel,
        noisy_channel=args.noisy_channel,
        rain_dba=args.rain,
        ground_reflection=ASPHALT_REFLECTION if args.ground_reflection is None else args.ground_reflection,
    )
    validate_options(options)
    profile = _profile(args)
    _check_out(args.out, args.overwrite)
    if args.overwrite and args.out.is_dir():
        for name in ("scene.json", "truth.json", "audio.wav", "video.mp4"):
            (args.out / name).unlink(missing_ok=True)
    result = simulate_scene(
        args.out,
        seed=args.seed,
        options=options,
        profile=profile,
        sample_rate=args.sample_rate,
        video=args.video,
        subtype=args.subtype,
    )
    scn = result.scenario
    print(
        f"{result.directory}: {scn.duration_s:g} s, {profile.array.channels} channels, scenario {scn.preset}, "
        f"{len(scn.horns)} horn(s), {len(scn.confusers)} confuser(s), {len(scn.vehicles)} vehicles; "
        f"audio {result.seconds_audio:.1f} s, video {result.seconds_video:.1f} s"
        + (f"; {result.clipped_samples} samples clipped" if result.clipped_samples else "")
    )
    return 0
