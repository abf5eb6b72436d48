"""The truth of a simulated scene, in the scene format's terms: what the array hears, when, from where.

Times are arrivals at the array's reference point (emission time + distance / c), directions
and distances are those of the source where it was when it emitted what arrives, and pixels are
that point through the camera model (with its distance, so the camera's offset from the array
is honoured). That is the acoustic picture the localizer must reproduce; the vehicle in the
video frame at the same instant has moved on by speed × distance / c (up to ~2 m at 40 m).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge.geometry import Camera, unit_to_direction
from edge.scene import Truth, TruthConfuser, TruthEvent
from edge.sim.propagation import Trajectory
from edge.sim.render import arrival_view, emission_to_arrival
from edge.sim.scenario import Scenario, Vehicle
from edge.sim.sources import DrySource, audible_vehicles
from edge.sim.video import plate_corners, vehicle_box

TRACK_STEP_S = 0.05
VEHICLE_TRACK_STEP_S = 0.1
VEHICLE_TRACK_RANGE_M = 150.0


def _look(p_array: np.ndarray, camera: Camera | None) -> dict[str, Any]:
    az, el = unit_to_direction(p_array)
    out: dict[str, Any] = {
        "azimuth_deg": round(float(az), 3),
        "elevation_deg": round(float(el), 3),
        "distance_m": round(float(np.linalg.norm(p_array)), 3),
    }
    if camera is not None:
        uv, front = camera.project(p_array[None, :])
        if front[0]:
            out["pixel"] = (round(float(uv[0, 0]), 2), round(float(uv[0, 1]), 2))
            out["in_frame"] = bool(camera.in_frame(uv)[0])
    return out


def _track(src: DrySource, scn: Scenario, t0: float, t1: float, c: float) -> list[tuple[float, float, float]]:
    times = np.append(np.arange(t0, t1, TRACK_STEP_S), t1)
    _, pts = arrival_view(src.trajectory, times, scn, c)
    az, el = unit_to_direction(pts)
    return [
        (round(float(t), 4), round(float(a), 3), round(float(e), 3))
        for t, a, e in zip(times, az, el, strict=True)
    ]


def horn_event(src: DrySource, scn: Scenario, camera: Camera | None, c: float) -> TruthEvent:
    plan = scn.horns[int(src.ref)]
    v = scn.vehicle(plan.vehicle_id)
    emit = np.array([[src.t0_s + a, src.t0_s + b] for a, b in src.intervals_s])
    arrive = emission_to_arrival(src.trajectory, emit.ravel(), c).reshape(emit.shape)
    t_start, t_end = float(arrive[0, 0]), float(arrive[-1, 1])
    _, mid = arrival_view(src.trajectory, np.array([(t_start + t_end) / 2]), scn, c)
    look = _look(mid[0], camera)
    extra = {
        "vehicle_id": v.id,
        "vehicle_kind": v.kind,
        "horn_kind": plan.kind,
        "pattern": plan.pattern,
        "blasts": [[round(float(a), 4), round(float(b), 4)] for a, b in arrive],
        "level_dba_2m": round(plan.level_dba_2m, 2),
        "level_dba_1m": src.info["level_dba_1m"],
        "lane": v.lane,
        "speed_mps": round(v.speed_mps, 2),
        "direction_of_travel": "toward" if v.direction < 0 else "away",
        "direction_at": "middle of the event",
    }
    if "in_frame" in look:
        extra["in_frame"] = look.pop("in_frame")
    return TruthEvent(
        t_start=round(t_start, 4),
        t_end=round(t_end, 4),
        azimuth_deg=look["azimuth_deg"],
        elevation_deg=look["elevation_deg"],
        label="horn",
        distance_m=look["distance_m"],
        pixel=look.get("pixel"),
        plate=v.plate,
        track_deg=_track(src, scn, t_start, t_end, c),
        extra=extra,
    )


def confuser_entry(src: DrySource, scn: Scenario, camera: Camera | None, c: float) -> TruthConfuser:
    plan = scn.confusers[int(src.ref)]
    arrive = emission_to_arrival(
        src.trajectory, np.array([plan.t_emit_s, plan.t_emit_s + plan.duration_s]), c
    )
    t_start, t_end = max(0.0, float(arrive[0])), min(scn.duration_s, float(arrive[1]))
    _, mid = arrival_view(src.trajectory, np.array([(t_start + t_end) / 2]), scn, c)
    extra: dict[str, Any] = _look(mid[0], camera)
    extra.update(src.info)
    extra["level_dba_1m"] = round(plan.level_dba_1m, 2)
    if plan.vehicle_id is not None:
        extra["vehicle_id"] = plan.vehicle_id
    if np.any(plan.velocity_mps):
        extra["track_deg"] = _track(src, scn, t_start, t_end, c)
    return TruthConfuser(label=plan.label, t_start=round(t_start, 4), t_end=round(t_end, 4), extra=extra)


def vehicle_entries(scn: Scenario, camera: Camera | None, c: float) -> list[dict[str, Any]]:
    """Every vehicle with its track as heard from its horn position: [t, azimuth, elevation, distance]
    on the arrival clock, while within 150 m. Attribution is scored against these."""
    times = np.arange(0.0, scn.duration_s + 1e-9, VEHICLE_TRACK_STEP_S)
    rendered = {v.id for v in audible_vehicles(scn)}
    out = []
    for v in scn.vehicles:
        start = v.point_at_t0(scn.road_y_m, v.spec.horn_height_m, 0.3)
        traj = Trajectory(start, v.velocity)
        _, pts = arrival_view(traj, times, scn, c)
        dist = np.linalg.norm(pts, axis=1)
        az, el = unit_to_direction(pts)
        keep = dist <= VEHICLE_TRACK_RANGE_M
        entry: dict[str, Any] = {
            "id": v.id,
            "kind": v.kind,
            "plate": v.plate,
            "plate_colour": v.plate_colour,
            "lane": v.lane,
            "speed_mps": round(v.speed_mps, 2),
            "direction_of_travel": "toward" if v.direction < 0 else "away",
            "noise_rendered": v.id in rendered,
            "track": [
                [round(float(t), 3), round(float(a), 3), round(float(e), 3), round(float(d), 2)]
                for t, a, e, d, k in zip(times, az, el, dist, keep, strict=True)
                if k
            ],
        }
        if camera is not None and np.any(keep):
            uv, front = camera.project(pts[keep])
            entry["track_pixel"] = [
                [round(float(t), 3), round(float(u), 1), round(float(w), 1)]
                for t, (u, w), f in zip(times[keep], uv, front, strict=True)
                if f
            ]
            entry["track_bbox"], entry["track_plate_bbox"] = _boxes(v, scn, camera, times)
        out.append(entry)
    return out


def _boxes(v: Vehicle, scn: Scenario, camera: Camera, times: np.ndarray) -> tuple[list, list]:
    """The vehicle's and its plate's image bounding boxes [t, u0, v0, u1, v1] (video time = scene time),
    while the vehicle is wholly in front of the camera and its box overlaps the picture."""
    to_array = scn.mount.world_from_array()
    width, height = camera.size
    out: tuple[list, list] = ([], [])
    # Vehicles move rigidly: the corners at time t are those at 0 shifted by velocity · t.
    for corners0, rows in zip(
        (vehicle_box(v, 0.0, scn.road_y_m), plate_corners(v, 0.0, scn.road_y_m)), out, strict=True
    ):
        world = corners0[None, :, :] + times[:, None, None] * v.velocity
        uv, front = camera.project(world.reshape(-1, 3) @ to_array)
        uv, front = uv.reshape(len(times), -1, 2), front.reshape(len(times), -1)
        lo = np.clip(uv.min(axis=1), 0, [width, height])
        hi = np.clip(uv.max(axis=1), 0, [width, height])
        ok = front.all(axis=1) & (world[:, 0, 2] >= 1.0) & np.all(hi > lo, axis=1)
        rows.extend(
            [round(float(t), 3), *(round(float(a), 1) for a in (*a_lo, *a_hi))]
            for t, a_lo, a_hi, k in zip(times, lo, hi, ok, strict=True)
            if k
        )
    return out


def build_truth(
    scn: Scenario, sources: list[DrySource], camera: Camera | None, c: float, extra: dict[str, Any]
) -> Truth:
    events = sorted(
        (horn_event(s, scn, camera, c) for s in sources if s.label == "horn"), key=lambda e: e.t_start
    )
    confusers = [
        confuser_entry(s, scn, camera, c) for s in sources if s.label not in ("horn", "vehicle_noise")
    ]
    if scn.rain_dba is not None:
        confusers.append(TruthConfuser("rain", 0.0, scn.duration_s, {"level_dba": round(scn.rain_dba, 1)}))
    confusers.sort(key=lambda e: e.t_start)
    info = dict(extra)
    info["vehicles"] = vehicle_entries(scn, camera, c)
    return Truth(events=events, confusers=confusers, extra=info)
