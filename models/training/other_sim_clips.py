"""A labelled clip set from the independent simulator, for `evaluate.py --real-labelled DIR`.

    python3 models/training/other_sim_clips.py --out /tmp/other-sim [--clips 600 --seed 1]
    python3 models/training/evaluate.py --real-labelled /tmp/other-sim

Why: the card's held-out figures are new draws of the simulator the models were trained on
(`edge.sim.signals`), so they measure how well the models learnt that simulator, not how they
fare on horns and confusers someone else synthesised. `benchmarks/independent_scenes.py` was
written without reading `edge` or `models/training`: its own horn spectra (disc pairs with
resonances at 1.5-4 kHz and a soft-clipped diaphragm, air-horn chords, small single-tone horns),
its own sirens, beepers, birds, car music, brake squeal and engine/tyre noise. Clips drawn from its
generators are the closest stand-in we have for material "made by another simulator".

A clip (1.5-4 s, 48 kHz mono, the level at one microphone) is a street moment: the engine and
tyre noise of 1-4 vehicles 8-40 m away, and one of: a horn (a vehicle 10-45 m away honking one of
the simulator's patterns), a siren (with a horn in it one time in three), a reversing beeper, a
bird, car music, brake squeal, or nothing more. Labels as training's: horn = a horn and no siren;
everything else, sirens with horns included, goes to not_horn (emergency vehicles are exempt).
Build-time only: nothing at run time imports it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import independent_scenes as other  # noqa: E402

FS = other.FS
HORN_KINDS = ("car", "van", "truck", "bus", "motorcycle", "scooter", "e-bike")
SCENES = {"horn": 0.45, "siren": 0.15, "beeper": 0.1, "bird": 0.1, "music": 0.1, "squeal": 0.05, "none": 0.05}
FULL_SCALE_PA = other.FULL_SCALE_PA


def _at(x: np.ndarray, distance_m: float) -> np.ndarray:
    """A source's pressure at 1 m heard `distance_m` away (spherical spreading only)."""
    return x / distance_m


def _place(clip: np.ndarray, x: np.ndarray, start: int) -> None:
    """Add `x` into `clip` from sample `start`, cut at the clip's end."""
    end = min(clip.size, start + x.size)
    if end > start:
        clip[start:end] += x[: end - start]


def _horn(n: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One honk of a random vehicle at 10-45 m, placed at a random time inside the clip; and the
    vehicle's kind."""
    kind = str(rng.choice(HORN_KINDS))
    spec = other.make_horn(kind, rng)
    pattern = str(rng.choice(list(other.PATTERNS), p=list(other.PATTERNS.values())))
    blasts = other.honk_pattern(pattern, rng)
    span = blasts[-1][0] + blasts[-1][1]
    start = rng.uniform(0.0, max(0.0, n / FS - span))
    out = np.zeros(n)
    for offset, dur in blasts:
        _place(out, other.horn_blast(spec, dur, rng), int((start + offset) * FS))
    return _at(out, rng.uniform(10.0, 45.0)), kind


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """`x` cut or zero-padded to `n` samples (the generators round their durations their own way)."""
    return np.pad(x[:n], (0, max(0, n - x.size)))


def _confuser(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """A confuser of `kind` lasting the clip, at a distance typical of it (a siren farther away,
    a bird or car music close by)."""
    dur = (n + 1) / FS
    if kind == "siren":
        x = other.siren_signal(str(rng.choice(["wail", "yelp", "hi-lo"])), dur, rng)
        return _at(x, rng.uniform(20.0, 80.0))
    if kind == "beeper":
        return _at(other.beeper_signal(dur, rng), rng.uniform(5.0, 30.0))
    if kind == "bird":
        return _at(other.bird_bout(dur, rng), rng.uniform(3.0, 15.0))
    if kind == "music":
        return _at(other.music_signal(dur, rng), rng.uniform(3.0, 15.0))
    return _at(other.squeal_signal(dur, rng), rng.uniform(5.0, 30.0))


def clip(rng: np.random.Generator) -> tuple[np.ndarray, str, str, dict[str, str | float]]:
    """(48 kHz audio in digital full scale, label 'horn' or 'not_horn', what the clip holds, and
    the horn's kind and its A-weighted level over the rest of the clip while it sounds)."""
    n = int(rng.uniform(1.5, 4.0) * FS)
    x = np.zeros(n)
    for _ in range(int(rng.integers(1, 5))):
        kind = str(rng.choice(["car", "car", "van", "truck", "bus", "motorcycle", "scooter", "e-bike"]))
        x += _fit(_at(other.vehicle_noise(kind, n, rng), rng.uniform(8.0, 40.0)), n)
    scene = str(rng.choice(list(SCENES), p=list(SCENES.values())))
    has_horn = scene == "horn" or (scene == "siren" and rng.random() < 1 / 3)
    if scene not in ("horn", "none"):
        x += _fit(_confuser(scene, n, rng), n)
    info: dict[str, str | float] = {}
    if has_horn:
        horn, info["horn_kind"] = _horn(n, rng)
        on = np.abs(horn) > 0.05 * np.abs(horn).max()
        info["horn_snr_db_a"] = round(other.level_db_a(horn[on]) - other.level_db_a(x[on]), 1)
        x += horn
    x += rng.standard_normal(n) * 2e-4  # microphone self-noise, about 20 dB(A)
    label = "horn" if has_horn and scene != "siren" else "not_horn"
    what = scene + ("+horn" if has_horn and scene != "horn" else "")
    return (x / FULL_SCALE_PA).astype(np.float32), label, what, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, required=True, help="writes horn/, not_horn/ and manifest.csv here"
    )
    parser.add_argument("--clips", type=int, default=600, help="how many clips (default 600)")
    parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same clips (default 1)")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for sub in ("horn", "not_horn"):
        (args.out / sub).mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    manifest = ["file,what,horn_kind,horn_snr_db_a"]
    for i in range(args.clips):
        audio, label, what, info = clip(rng)
        name = f"{label}/{i:04d}-{what}.wav"
        sf.write(args.out / name, np.clip(audio, -1, 1), FS, subtype="FLOAT")
        manifest.append(f"{name},{what},{info.get('horn_kind', '')},{info.get('horn_snr_db_a', '')}")
        counts[what] = counts.get(what, 0) + 1
    (args.out / "manifest.csv").write_text("\n".join(manifest) + "\n")
    print(args.out, counts)


if __name__ == "__main__":
    main()
