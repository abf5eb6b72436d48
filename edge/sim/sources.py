"""The scenario's sound sources as dry signals at their true levels, each with its path through the street.

Signals come from `edge.sim.signals` (the same library the classifier is trained on); this
module gives each one its level (dB(A) at 1 m, so the signal is the pressure in Pa at 1 m),
its emission time and its trajectory in the world frame. Propagation happens elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd
from typing import Any

import numpy as np
from scipy import fft as sp_fft
from scipy import signal as sps

from edge.sim import signals
from edge.sim.levels import scale_to_dba
from edge.sim.propagation import Trajectory
from edge.sim.scenario import ConfuserPlan, HornPlan, Scenario, Vehicle

RENDERED_VEHICLES_PER_10S = 12
"""Vehicles whose engine and tyres are rendered as their own moving sources (the nearest ones, per
10 s of scene); the rest of the traffic is part of the diffuse background."""

AUDIBLE_RANGE_M = 60.0
"""Beyond this a vehicle's own noise (≈ 85–95 dB(A) at 1 m) sinks under the 60–75 dB(A) background."""

_ENGINE_FS = 16000  # engine sound has nothing above ~5 kHz: generate slowly, resample


@dataclass(frozen=True)
class DrySource:
    """One sound as emitted: `signal` is the pressure at 1 m (Pa), sample 0 leaving at `t0_s`."""

    label: str
    signal: np.ndarray
    t0_s: float
    trajectory: Trajectory  # world frame
    facing: np.ndarray | None = None  # world frame unit vector, for directional sources
    rear_loss_db: float = 0.0
    ref: str = ""  # vehicle id, or the index of the plan it renders
    intervals_s: tuple[tuple[float, float], ...] = ()  # when it sounds, seconds from sample 0
    info: dict[str, Any] = field(default_factory=dict)


def dry_sources(scn: Scenario, fs: int) -> list[DrySource]:
    """Every source in the scene: the horns, the confusers and the nearest vehicles' own noise."""
    out = [_horn(scn, h, i, fs) for i, h in enumerate(scn.horns)]
    out += [_confuser(scn, c, i, fs) for i, c in enumerate(scn.confusers)]
    out += [_vehicle_noise(scn, v, fs) for v in audible_vehicles(scn)]
    return [s for s in out if s is not None]


def _trajectory(start: np.ndarray, velocity: np.ndarray) -> Trajectory:
    return Trajectory(np.asarray(start, float), np.asarray(velocity, float))


def _horn(scn: Scenario, plan: HornPlan, index: int, fs: int) -> DrySource:
    v = scn.vehicle(plan.vehicle_id)
    x, intervals = signals.horn_pattern(plan.kind, fs, np.random.default_rng(plan.seed), plan.pattern)
    active = np.zeros(x.size, bool)
    for a, b in intervals:
        active[round(a * fs) : round(b * fs)] = True
    # Horn levels are specified 2 m in front; the signal is the pressure at 1 m (+6 dB).
    level_1m = plan.level_dba_2m + 20.0 * np.log10(2.0)
    return DrySource(
        label="horn",
        signal=scale_to_dba(x, fs, level_1m, active),
        t0_s=plan.t_emit_s,
        trajectory=_trajectory(v.point_at_t0(scn.road_y_m, v.spec.horn_height_m, 0.3), v.velocity),
        facing=np.array([0.0, 0.0, float(v.direction)]),
        rear_loss_db=v.spec.horn_rear_loss_db,
        ref=str(index),
        intervals_s=tuple((float(a), float(b)) for a, b in intervals),
        info={"level_dba_1m": round(float(level_1m), 2)},
    )


def _sounding(x: np.ndarray, fs: int) -> np.ndarray:
    """Samples within 20 dB of the loudest 10 ms: where an on/off source (beeper, bird) is on."""
    win = max(1, fs // 100)
    power = np.convolve(x**2, np.ones(win) / win, mode="same")
    return power > 0.01 * power.max()


def _confuser(scn: Scenario, plan: ConfuserPlan, index: int, fs: int) -> DrySource:
    rng = np.random.default_rng(plan.seed)
    info: dict[str, Any] = {}
    if plan.label == "siren":
        kind = str(rng.choice(signals.SIREN_KINDS))
        x = signals.siren(plan.duration_s, fs, rng, kind=kind)
        info["kind"] = kind
    else:
        x = signals.CONFUSERS[plan.label](plan.duration_s, fs, rng)
    facing = np.asarray(plan.facing, float) if plan.facing is not None else None
    return DrySource(
        label=plan.label,
        signal=scale_to_dba(x, fs, plan.level_dba_1m, _sounding(x, fs)),
        t0_s=plan.t_emit_s,
        trajectory=_trajectory(np.asarray(plan.start_m, float), np.asarray(plan.velocity_mps, float)),
        facing=facing,
        rear_loss_db=plan.rear_loss_db,
        ref=str(index),
        intervals_s=((0.0, plan.duration_s),),
        info=info,
    )


def audible_window(scn: Scenario, v: Vehicle) -> tuple[float, float] | None:
    """Emission times during which vehicle v is within `AUDIBLE_RANGE_M` (None: never)."""
    t = np.linspace(-0.5, scn.duration_s, 200)
    p = v.point_at_t0(scn.road_y_m, 0.4, 1.0)[None, :] + t[:, None] * v.velocity
    near = np.linalg.norm(p, axis=1) <= AUDIBLE_RANGE_M
    if not np.any(near):
        return None
    idx = np.flatnonzero(near)
    return float(t[max(0, idx[0] - 1)]), float(t[min(len(t) - 1, idx[-1] + 1)])


def audible_vehicles(scn: Scenario) -> list[Vehicle]:
    """The vehicles rendered as their own sources: the nearest ones in range, `RENDERED_VEHICLES_PER_10S`
    for every 10 s of scene."""
    t = np.linspace(0.0, scn.duration_s, 100)

    def closest(v: Vehicle) -> float:
        p = v.point_at_t0(scn.road_y_m, 0.4, 1.0)[None, :] + t[:, None] * v.velocity
        return float(np.linalg.norm(p, axis=1).min())

    near = sorted((closest(v), v.id) for v in scn.vehicles if audible_window(scn, v) is not None)
    limit = int(np.ceil(RENDERED_VEHICLES_PER_10S * scn.duration_s / 10.0))
    chosen = {vid for _, vid in near[:limit]}
    return [v for v in scn.vehicles if v.id in chosen]


def _vehicle_noise(scn: Scenario, v: Vehicle, fs: int) -> DrySource | None:
    window = audible_window(scn, v)
    if window is None:
        return None
    t0, t1 = window
    # A length with small prime factors keeps the noise generators' FFTs fast.
    dur = sp_fft.next_fast_len(round((t1 - t0) * fs), real=True) / fs
    t1 = t0 + dur
    rng = np.random.default_rng([scn.seed, 7, int(v.id[1:])])
    spec = v.spec
    tyre_level = spec.tyre_dba_1m_at_14mps + 30.0 * np.log10(max(v.speed_mps, 1.0) / 14.0)
    x = scale_to_dba(signals.tyre_noise(dur, fs, rng), fs, tyre_level)
    engine_level = None
    if spec.engine_dba_1m is not None:
        engine_level = float(rng.uniform(*spec.engine_dba_1m))
        rpm, cylinders = {
            "truck": (rng.uniform(900, 1800), 6),
            "bus": (rng.uniform(900, 1800), 6),
            "scooter": (rng.uniform(4000, 7000), 1),
        }.get(v.kind, (rng.uniform(1200, 2600), 4))
        eng = signals.engine(dur, _ENGINE_FS, rng, rpm=float(rpm), cylinders=int(cylinders))
        g = gcd(fs, _ENGINE_FS)
        eng = sps.resample_poly(eng, fs // g, _ENGINE_FS // g)
        eng = np.pad(eng, (0, max(0, x.size - eng.size)))[: x.size]
        x = x + scale_to_dba(eng, fs, engine_level)
    # Fade where the vehicle enters and leaves the rendered range (it does not start or stop).
    ramp = min(x.size // 2, int(0.3 * fs))
    fade = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
    if t0 > -0.5:
        x[:ramp] *= fade
    if t1 < scn.duration_s:
        x[x.size - ramp :] *= fade[::-1]
    return DrySource(
        label="vehicle_noise",
        signal=x,
        t0_s=t0,
        trajectory=_trajectory(v.point_at_t0(scn.road_y_m, 0.4, 1.0), v.velocity),
        ref=v.id,
        info={
            "tyre_dba_1m": round(float(tyre_level), 1),
            "engine_dba_1m": None if engine_level is None else round(engine_level, 1),
        },
    )
