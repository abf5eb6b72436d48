"""Render a scenario's audio: every source along every path to every microphone, then the ambient fields.

Paths per source: the direct one, its mirror image in the road (asphalt reflects ~0.9 of the
pressure), and with a façade the mirror image in the building and the building-then-road image.
Air absorption is applied per group of paths of nearly equal length (direct + road; façade +
façade-road), the per-microphone delays and 1/r by `propagation.render_path`.
"""

from __future__ import annotations

import numpy as np

from edge.sim.ambient import add_diffuse_background, add_rain, add_self_noise, add_wind, apply_channel_faults
from edge.sim.microphones import BuiltArray, apply_capsules
from edge.sim.propagation import PropagationPath, Trajectory, apply_air_absorption, render_path, upsample
from edge.sim.scenario import Scenario
from edge.sim.sources import DrySource


def path_groups(src: DrySource, scn: Scenario) -> list[list[PropagationPath]]:
    """The source's paths in the array frame, grouped by the air absorption they share."""
    to_array = scn.mount.world_from_array().T  # world → array rotation
    h = scn.road_y_m
    ground = (np.diag([1.0, -1.0, 1.0]), np.array([0.0, 2.0 * h, 0.0]))

    def path(mirrors: list[tuple[np.ndarray, np.ndarray]], gain: float, name: str) -> PropagationPath:
        traj, facing = src.trajectory, src.facing
        for rot, off in mirrors:
            traj = traj.transformed(rot, off)
            facing = None if facing is None else rot @ facing
        return PropagationPath(
            trajectory=traj.transformed(to_array),
            gain=gain,
            facing=None if facing is None else to_array @ facing,
            rear_loss_db=src.rear_loss_db,
            name=name,
        )

    groups = [[path([], 1.0, "direct"), path([ground], scn.ground_reflection, "ground")]]
    if scn.road.facade_x_m is not None:
        facade = (np.diag([-1.0, 1.0, 1.0]), np.array([2.0 * scn.road.facade_x_m, 0.0, 0.0]))
        g = scn.facade_reflection
        groups.append(
            [path([facade], g, "facade"), path([facade, ground], g * scn.ground_reflection, "facade+ground")]
        )
    return groups


def render_sources(
    out: np.ndarray, scn: Scenario, sources: list[DrySource], mics: np.ndarray, fs: int, c: float
) -> None:
    """Add every source, by every path, into `out` (M, N) in pascal."""
    for src in sources:
        emit_t = src.t0_s + np.arange(src.signal.size) / fs
        for group in path_groups(src, scn):
            dist = np.linalg.norm(group[0].trajectory.at(emit_t), axis=1)
            x = apply_air_absorption(src.signal, fs, dist, scn.temperature_c, scn.humidity_pct)
            xu = upsample(x)
            for p in group:
                render_path(out, fs, x, src.t0_s, p, mics, c, upsampled=xu)


def render_audio(scn: Scenario, sources: list[DrySource], built: BuiltArray, fs: int, c: float) -> np.ndarray:
    """What the built array records (channels, frames), in pascal at nominal sensitivity, float32."""
    mics = built.positions_m
    n = round(scn.duration_s * fs)
    out = np.zeros((len(mics), n), dtype=np.float32)
    render_sources(out, scn, sources, mics, fs, c)
    add_diffuse_background(
        out, fs, mics, scn.background_dba, scn.mount, np.random.default_rng([scn.seed, 3]), c
    )
    if scn.rain_dba is not None:
        add_rain(out, fs, mics, scn.rain_dba, scn.mount, np.random.default_rng([scn.seed, 10]), c)
    add_wind(out, fs, scn.wind_mps, np.random.default_rng([scn.seed, 4]))
    apply_capsules(out, fs, built)
    add_self_noise(out, np.random.default_rng([scn.seed, 5]))
    apply_channel_faults(out, fs, scn.dead_channel, scn.noisy_channel, np.random.default_rng([scn.seed, 6]))
    return out


def arrival_view(
    traj_world: Trajectory, t_arrival: np.ndarray, scn: Scenario, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """Emission times and array-frame positions of what the array's reference point hears at `t_arrival`."""
    traj = traj_world.transformed(scn.mount.world_from_array().T)
    t = np.atleast_1d(np.asarray(t_arrival, float))
    t_e = t.copy()
    for _ in range(8):
        t_e = t - np.linalg.norm(traj.at(t_e), axis=-1) / c
    return t_e, traj.at(t_e)


def emission_to_arrival(traj_world: Trajectory, t_emit: np.ndarray, c: float) -> np.ndarray:
    """When sound emitted at `t_emit` reaches the array's reference point (the origin in both frames)."""
    t = np.atleast_1d(np.asarray(t_emit, float))
    return t + np.linalg.norm(traj_world.at(t), axis=-1) / c
