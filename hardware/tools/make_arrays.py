"""Regenerate the array definitions in hardware/arrays/ (run from the repository root).

The spirals are multi-arm logarithmic spirals (Underbrink style): mics on each arm spaced
geometrically in radius, which spreads the inter-microphone spacings evenly over the octaves
the horns occupy and keeps sidelobes low without a regular lattice's grating lobes.
"""

import json
import math
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "arrays"


def spiral(n_arms: int, per_arm: int, r_min: float, r_max: float, twist_rad: float) -> list[list[float]]:
    pos = []
    for a in range(n_arms):
        for k in range(per_arm):
            r = r_min * (r_max / r_min) ** (k / (per_arm - 1))
            theta = 2 * math.pi * a / n_arms + twist_rad * math.log(r / r_min) / math.log(r_max / r_min)
            pos.append([round(r * math.cos(theta), 5), round(r * math.sin(theta), 5), 0.0])
    return pos


def circle(n: int, radius: float, start_deg: float) -> list[list[float]]:
    out = []
    for i in range(n):
        th = math.radians(start_deg + 360.0 * i / n)
        out.append([round(radius * math.cos(th), 5), round(radius * math.sin(th), 5), 0.0])
    return out


def uma16() -> list[list[float]]:
    # miniDSP UMA-16 v2 channel order (channel 1..16), 42 mm pitch, as in acoular's
    # minidsp_uma-16.xml after its x-correction (acoular issue #63); z toward the scene.
    return [
        [0.021, -0.063, 0.0],
        [0.063, -0.063, 0.0],
        [0.021, -0.021, 0.0],
        [0.063, -0.021, 0.0],
        [0.021, 0.021, 0.0],
        [0.063, 0.021, 0.0],
        [0.021, 0.063, 0.0],
        [0.063, 0.063, 0.0],
        [-0.063, 0.063, 0.0],
        [-0.021, 0.063, 0.0],
        [-0.063, 0.021, 0.0],
        [-0.021, 0.021, 0.0],
        [-0.063, -0.021, 0.0],
        [-0.021, -0.021, 0.0],
        [-0.063, -0.063, 0.0],
        [-0.021, -0.063, 0.0],
    ]


ARRAYS = {
    "uma16": (
        "miniDSP UMA-16 v2: 4x4 MEMS grid, 42 mm pitch, USB; development board "
        "(aperture 0.12 m: cannot separate lanes at 20 m).",
        uma16(),
    ),
    "spiral32-0.6m": (
        "32 MEMS microphones on a 4-arm logarithmic spiral, 0.6 m aperture: "
        "compact pole-mounted enforcement unit.",
        spiral(4, 8, 0.035, 0.30, 2.4),
    ),
    "spiral64-0.9m": (
        "64 MEMS microphones on an 8-arm logarithmic spiral, 0.9 m aperture: "
        "full pole-mounted enforcement unit.",
        spiral(8, 8, 0.04, 0.45, 2.2),
    ),
    "respeaker4": (
        "ReSpeaker-class 4-mic circular board (USB Mic Array v2.0 layout, radius 32 mm).",
        circle(4, 0.032, 45.0),
    ),
    "respeaker6": ("ReSpeaker-class 6-mic circular board (radius 46.3 mm).", circle(6, 0.0463, 0.0)),
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, (desc, pos) in ARRAYS.items():
        (OUT / f"{name}.json").write_text(
            json.dumps({"name": name, "description": desc, "positions_m": pos}, indent=1) + "\n"
        )


if __name__ == "__main__":
    main()
