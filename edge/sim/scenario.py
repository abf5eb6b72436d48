"""A randomised street scene, decided from a seed before any sample is rendered.

The scenario is the plan: the road and its lanes, every vehicle with its kind, plate, lane and
speed, which vehicle honks when and how, and where the confusers sound. Rendering (audio and
video) and the truth are all derived from this one description, so they cannot disagree.

World frame (the `Mount`'s road frame): x right, y down, z along the road away from the pole,
array at the origin, road surface at y = +height_m. Vehicles drive along z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.errors import UserFacingError
from edge.geometry import Camera, Mount, unit_to_direction
from edge.sim import plates


@dataclass(frozen=True)
class VehicleKind:
    """Body size, where its sounds come from, and how loud they are (dB(A))."""

    length_m: float
    width_m: float
    height_m: float
    horn_height_m: float
    horn_dba_2m: tuple[float, float]  # horn level range at 2 m in front (GB 15742: 90–115 dB(A))
    engine_dba_1m: tuple[float, float] | None  # None: no combustion engine
    tyre_dba_1m_at_14mps: float  # tyre/road noise at 50 km/h; grows with 30·log10(speed)
    horn_rear_loss_db: float  # a horn behind a grille is quieter behind the vehicle


KINDS: dict[str, VehicleKind] = {
    # Cruising levels: a car at 50 km/h passes a roadside microphone at 7.5 m at about 65-68 dB(A).
    "car": VehicleKind(4.6, 1.8, 1.5, 0.6, (100.0, 110.0), (74.0, 80.0), 80.0, 8.0),
    "truck": VehicleKind(8.5, 2.5, 3.2, 1.0, (106.0, 112.0), (84.0, 90.0), 84.0, 6.0),
    "bus": VehicleKind(11.0, 2.5, 3.1, 1.0, (104.0, 112.0), (83.0, 88.0), 83.0, 6.0),
    "scooter": VehicleKind(1.9, 0.7, 1.3, 0.9, (96.0, 104.0), (78.0, 86.0), 70.0, 4.0),
    "ebike": VehicleKind(1.7, 0.6, 1.2, 0.9, (90.0, 100.0), None, 66.0, 3.0),
    "ambulance": VehicleKind(5.5, 2.0, 2.5, 1.8, (104.0, 110.0), (76.0, 82.0), 80.0, 6.0),
}
"""Vehicle kinds the simulator knows; every one but 'ambulance' has a horn kind of the same name."""

CONFUSER_LABELS: tuple[str, ...] = (
    "siren",
    "reversing_beeper",
    "brake_squeal",
    "bird",
    "speech_like",
    "music_like",
)
"""Event-like confusers a scene can hold (engine and tyre noise of every vehicle are always on)."""

_CONFUSER_DBA_1M = {
    "siren": (110.0, 120.0),
    "reversing_beeper": (92.0, 102.0),
    "brake_squeal": (88.0, 100.0),
    "bird": (70.0, 85.0),
    "speech_like": (60.0, 72.0),
    "music_like": (72.0, 85.0),
}

ASPHALT_REFLECTION = 0.92  # the road's pressure reflection coefficient: dense asphalt reflects nearly all
_PATTERN_MAX_S = {"tap": 0.2, "short": 0.7, "double": 0.85, "triple": 1.3, "long": 3.0}
_PATTERN_P = {"tap": 0.2, "short": 0.3, "double": 0.25, "triple": 0.1, "long": 0.15}
_BODY_COLOURS = (
    (200, 200, 205), (30, 30, 35), (235, 235, 235), (150, 20, 25), (30, 60, 140),
    (110, 110, 115), (60, 90, 60), (170, 140, 90), (200, 120, 30),
)  # fmt: skip


@dataclass(frozen=True)
class Vehicle:
    """A vehicle driving at constant speed along its lane (`direction` −1: toward the pole)."""

    id: str
    kind: str
    lane: int
    x_m: float
    front_z0_m: float
    speed_mps: float
    direction: int
    plate: str
    plate_colour: str
    body_rgb: tuple[int, int, int]

    @property
    def spec(self) -> VehicleKind:
        return KINDS[self.kind]

    def front_z(self, t: np.ndarray | float) -> np.ndarray:
        """z of the front bumper at time(s) t."""
        return self.front_z0_m + self.direction * self.speed_mps * np.asarray(t, dtype=float)

    def point_at_t0(self, road_y_m: float, height_m: float, behind_front_m: float = 0.0) -> np.ndarray:
        """World position at t = 0 of a point on the centre line, `behind_front_m` back from the front."""
        return np.array([self.x_m, road_y_m - height_m, self.front_z0_m - self.direction * behind_front_m])

    @property
    def velocity(self) -> np.ndarray:
        return np.array([0.0, 0.0, self.direction * self.speed_mps])


@dataclass(frozen=True)
class HornPlan:
    """One honk: which vehicle, which horn pattern, when its first sample leaves the horn."""

    vehicle_id: str
    kind: str
    pattern: str
    t_emit_s: float
    level_dba_2m: float
    seed: int


@dataclass(frozen=True)
class ConfuserPlan:
    """A non-horn sound: a point source starting at `start_m` (world, at t = 0) moving at `velocity_mps`."""

    label: str
    t_emit_s: float
    duration_s: float
    level_dba_1m: float
    seed: int
    start_m: tuple[float, float, float]
    velocity_mps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    vehicle_id: str | None = None
    facing: tuple[float, float, float] | None = None
    rear_loss_db: float = 0.0


@dataclass(frozen=True)
class Road:
    lane_x_m: tuple[float, ...]
    lane_direction: tuple[int, ...]
    lane_width_m: float
    facade_x_m: float | None

    @property
    def edges_x_m(self) -> tuple[float, float]:
        return min(self.lane_x_m) - self.lane_width_m / 2, max(self.lane_x_m) + self.lane_width_m / 2


@dataclass(frozen=True)
class Scenario:
    """Everything a render needs besides the device: road, traffic, events and environment."""

    seed: int
    preset: str
    duration_s: float
    mount: Mount
    road: Road
    vehicles: tuple[Vehicle, ...]
    horns: tuple[HornPlan, ...]
    confusers: tuple[ConfuserPlan, ...]
    background_dba: float
    wind_mps: float
    temperature_c: float = 20.0
    humidity_pct: float = 70.0
    ground_reflection: float = ASPHALT_REFLECTION
    facade_reflection: float = 0.85  # glass and concrete with some window recesses
    dead_channel: int | None = None
    noisy_channel: int | None = None
    rain_dba: float | None = None

    def vehicle(self, vehicle_id: str) -> Vehicle:
        for v in self.vehicles:
            if v.id == vehicle_id:
                return v
        raise KeyError(vehicle_id)

    @property
    def road_y_m(self) -> float:
        return self.mount.height_m


@dataclass(frozen=True)
class Preset:
    lanes: int
    headway_s: tuple[float, float]
    speed_mps: tuple[float, float]
    horns: int
    confusers: tuple[int, int]  # how many random confusers (min, max)
    background_dba: tuple[float, float]
    wind_mps: tuple[float, float]
    facade_p: float
    two_way_p: float
    bike_lane_p: float


PRESETS: dict[str, Preset] = {
    "default": Preset(3, (2.0, 5.0), (8.0, 16.0), 2, (1, 2), (62.0, 70.0), (0.5, 3.0), 0.3, 0.3, 0.5),
    "busy": Preset(4, (1.2, 2.5), (5.0, 12.0), 4, (2, 4), (70.0, 75.0), (1.0, 4.0), 0.5, 0.3, 1.0),
    "quiet": Preset(2, (5.0, 10.0), (10.0, 16.0), 1, (0, 0), (60.0, 61.0), (0.0, 1.0), 0.0, 0.0, 0.0),
    "two-horns": Preset(3, (2.0, 4.0), (8.0, 14.0), 2, (0, 1), (62.0, 68.0), (0.5, 2.0), 0.2, 0.0, 0.3),
    "side-by-side": Preset(3, (2.5, 5.0), (8.0, 14.0), 1, (0, 1), (62.0, 68.0), (0.5, 2.0), 0.2, 0.0, 0.0),
    "siren-only": Preset(3, (2.5, 5.0), (8.0, 14.0), 0, (0, 0), (62.0, 70.0), (0.5, 2.0), 0.3, 0.0, 0.3),
}
"""Named scene recipes; `honk-edge simulate --scenario NAME`."""


@dataclass(frozen=True)
class ScenarioOptions:
    """What the user fixed; `None` leaves the choice to the preset and the seed."""

    duration_s: float = 10.0
    preset: str = "default"
    horns: int | None = None
    confusers: tuple[str, ...] | None = None
    facade: bool | None = None
    wind_mps: float | None = None
    background_dba: float | None = None
    dead_channel: int | None = None  # -1: a random channel
    noisy_channel: int | None = None  # -1: a random channel
    rain_dba: float | None = None
    channels: int = 64
    ground_reflection: float = ASPHALT_REFLECTION  # 0: a free field, as some other simulators render


def validate_options(options: ScenarioOptions) -> None:
    """Refuse options no scene can be built from, with a message naming the option."""
    if options.preset not in PRESETS:
        raise UserFacingError(f"unknown scenario {options.preset!r}; choose one of {', '.join(PRESETS)}")
    if not 2.0 <= options.duration_s <= 120.0:
        raise UserFacingError(f"--duration must be between 2 and 120 seconds, got {options.duration_s}")
    if options.horns is not None and not 0 <= options.horns <= 50:
        raise UserFacingError(f"--horns must be between 0 and 50, got {options.horns}")
    for label in options.confusers or ():
        if label not in CONFUSER_LABELS:
            raise UserFacingError(f"unknown confuser {label!r}; choose from {', '.join(CONFUSER_LABELS)}")
    if not 0.0 <= options.ground_reflection <= 1.0:
        raise UserFacingError(f"--ground-reflection must be between 0 and 1, got {options.ground_reflection}")


def build_scenario(seed: int, options: ScenarioOptions, mount: Mount, camera: Camera | None) -> Scenario:
    """Draw a scenario from `seed`; the same seed and options always give the same scene.

    Horns are placed where enforcement happens: on vehicles 8–45 m from the array, in the
    camera's picture four times out of five (the rest test honks outside the image).
    """
    validate_options(options)
    preset = PRESETS[options.preset]
    rng = np.random.default_rng([seed, 1])
    road = _road(rng, preset, options)
    vehicles = _traffic(rng, road, preset, options.duration_s)
    geo = _Geometry(mount, camera, options.duration_s)

    n_horns = preset.horns if options.horns is None else options.horns
    if options.preset == "siren-only" and options.confusers is None:
        labels: tuple[str, ...] = ("siren",)
    elif options.confusers is not None:
        labels = options.confusers
    else:
        k = int(rng.integers(preset.confusers[0], preset.confusers[1] + 1))
        labels = tuple(str(c) for c in rng.choice(CONFUSER_LABELS, size=k, replace=False))

    vehicles, confusers = _confusers(rng, labels, road, vehicles, geo, options.duration_s)
    if options.preset == "side-by-side":
        protected = {c.vehicle_id for c in confusers if c.vehicle_id is not None}
        vehicles, horns = _side_by_side(rng, road, vehicles, geo, options.duration_s, protected)
        horns += _horns(rng, vehicles, geo, n_horns - 1, horns, options.duration_s)
    elif options.preset == "two-horns":
        horns = _simultaneous_pair(rng, vehicles, geo, options.duration_s)
        horns += _horns(rng, vehicles, geo, n_horns - 2, horns, options.duration_s)
    else:
        horns = _horns(rng, vehicles, geo, n_horns, [], options.duration_s)

    def pick(value: float | None, lo_hi: tuple[float, float]) -> float:
        drawn = float(rng.uniform(*lo_hi))
        return drawn if value is None else float(value)

    return Scenario(
        seed=seed,
        preset=options.preset,
        duration_s=float(options.duration_s),
        mount=mount,
        road=road,
        vehicles=tuple(vehicles),
        horns=tuple(sorted(horns, key=lambda h: h.t_emit_s)),
        confusers=tuple(confusers),
        background_dba=pick(options.background_dba, preset.background_dba),
        wind_mps=pick(options.wind_mps, preset.wind_mps),
        temperature_c=float(rng.uniform(12.0, 32.0)),
        humidity_pct=float(rng.uniform(40.0, 90.0)),
        dead_channel=_channel(rng, options.dead_channel, options.channels),
        noisy_channel=_channel(rng, options.noisy_channel, options.channels),
        rain_dba=options.rain_dba,
        ground_reflection=float(options.ground_reflection),
    )


class _Geometry:
    """World ↔ array frame and the camera, for placing events where they can be seen."""

    def __init__(self, mount: Mount, camera: Camera | None, duration_s: float) -> None:
        self.mount = mount
        self.camera = camera
        self.duration_s = duration_s
        self.world_from_array = mount.world_from_array()

    def to_array(self, world: np.ndarray) -> np.ndarray:
        return np.asarray(world, float) @ self.world_from_array

    def horn_point(self, v: Vehicle, t: float) -> np.ndarray:
        p = v.point_at_t0(self.mount.height_m, v.spec.horn_height_m, 0.3) + v.velocity * t
        return self.to_array(p)

    def in_picture(self, p_array: np.ndarray, margin_px: float = 40.0) -> bool:
        if self.camera is None:
            return True
        uv, front = self.camera.project(p_array[None, :])
        return bool(front[0]) and bool(self.camera.in_frame(uv, -margin_px)[0])

    def direction(self, p_array: np.ndarray) -> np.ndarray:
        az, el = unit_to_direction(p_array)
        return np.array([float(az), float(el)])


def _channel(rng: np.random.Generator, choice: int | None, channels: int) -> int | None:
    drawn = int(rng.integers(0, channels))
    if choice is None:
        return None
    if choice == -1:
        return drawn
    if not 0 <= choice < channels:
        raise UserFacingError(f"channel {choice} does not exist: the array has channels 0–{channels - 1}")
    return choice


def _road(rng: np.random.Generator, preset: Preset, options: ScenarioOptions) -> Road:
    width = 3.5
    offset = rng.uniform(-2.0, 2.0)
    xs = tuple(float(offset + (i - (preset.lanes - 1) / 2) * width) for i in range(preset.lanes))
    two_way = rng.random() < preset.two_way_p
    dirs = tuple(1 if two_way and i < preset.lanes // 2 else -1 for i in range(preset.lanes))
    facade = rng.random() < preset.facade_p if options.facade is None else options.facade
    side = 1.0 if rng.random() < 0.5 else -1.0
    edge = (xs[-1] if side > 0 else xs[0]) + side * (width / 2 + rng.uniform(3.0, 6.0))
    return Road(xs, dirs, width, float(edge) if facade else None)


def _traffic(rng: np.random.Generator, road: Road, preset: Preset, duration_s: float) -> list[Vehicle]:
    """Vehicles lane by lane at the lane's speed (so nobody drives through anybody), kept if they
    come within 100 m of the pole during the scene."""
    vehicles: list[Vehicle] = []
    lanes = [
        (x, d, rng.uniform(*preset.speed_mps), False)
        for x, d in zip(road.lane_x_m, road.lane_direction, strict=True)
    ]
    if rng.random() < preset.bike_lane_p:  # a kerbside lane for scooters and e-bikes
        lanes.append((road.edges_x_m[1] + 1.0, -1, rng.uniform(4.0, 8.0), True))
    for lane, (x, direction, speed, bikes) in enumerate(lanes):
        reach = speed * duration_s
        # Approaching vehicles start further out; receding ones may start behind the pole.
        z_lo, z_hi = (-10.0, 100.0 + reach) if direction < 0 else (-10.0 - reach, 100.0)
        z = z_lo + rng.uniform(0.0, speed * preset.headway_s[1])
        while z < z_hi:
            if bikes:
                kind = "scooter" if rng.random() < 0.5 else "ebike"
            else:
                kind = str(rng.choice(["car", "truck", "bus", "scooter"], p=[0.82, 0.08, 0.06, 0.04]))
            spec = KINDS[kind]
            plate, colour = plates.random_plate(rng, kind)
            front = z if direction < 0 else z + spec.length_m
            vehicles.append(
                Vehicle(
                    id=f"v{len(vehicles) + 1:02d}",
                    kind=kind,
                    lane=lane,
                    x_m=float(x + rng.uniform(-0.3, 0.3)),
                    front_z0_m=float(front),
                    speed_mps=float(speed),
                    direction=direction,
                    plate=plate,
                    plate_colour=colour,
                    body_rgb=tuple(int(c) for c in _BODY_COLOURS[int(rng.integers(len(_BODY_COLOURS)))]),
                )
            )
            z += spec.length_m + max(2.0, speed * rng.uniform(*preset.headway_s))
    return vehicles


def _next_id(vehicles: list[Vehicle]) -> str:
    """A vehicle id not yet used (vehicles may have been removed, so not simply the count + 1)."""
    return f"v{max((int(v.id[1:]) for v in vehicles), default=0) + 1:02d}"


def _pattern(
    rng: np.random.Generator, duration_s: float, choices: tuple[str, ...] = tuple(_PATTERN_P)
) -> str:
    """A horn pattern (by how often drivers use each) that fits in the scene with margin."""
    names = [n for n in choices if _PATTERN_MAX_S[n] <= duration_s - 0.8] or ["tap"]
    p = np.array([_PATTERN_P[n] for n in names])
    return str(rng.choice(names, p=p / p.sum()))


def _horn_plan(rng: np.random.Generator, v: Vehicle, t: float, pattern: str) -> HornPlan:
    kind = "car" if v.kind == "ambulance" else v.kind
    return HornPlan(
        v.id, kind, pattern, float(t), float(rng.uniform(*v.spec.horn_dba_2m)), int(rng.integers(2**31))
    )


def _busy(horns: list[HornPlan], vehicle_id: str, t0: float, t1: float) -> bool:
    return any(
        h.vehicle_id == vehicle_id
        and t0 < h.t_emit_s + _PATTERN_MAX_S[h.pattern] + 0.5
        and h.t_emit_s < t1 + 0.5
        for h in horns
    )


def _horns(
    rng: np.random.Generator,
    vehicles: list[Vehicle],
    geo: _Geometry,
    count: int,
    taken: list[HornPlan],
    duration_s: float,
) -> list[HornPlan]:
    out: list[HornPlan] = []
    candidates = [v for v in vehicles if v.kind != "ambulance"]
    for _ in range(max(0, count)):
        want_picture = rng.random() < 0.8
        for _attempt in range(400):
            v = candidates[int(rng.integers(len(candidates)))]
            pattern = _pattern(rng, duration_s)
            t = rng.uniform(0.2, max(0.2, duration_s - _PATTERN_MAX_S[pattern] - 0.4))
            p = geo.horn_point(v, t)
            dist = float(np.linalg.norm(p))
            if not 8.0 <= dist <= 45.0 or _busy(taken + out, v.id, t, t + _PATTERN_MAX_S[pattern]):
                continue
            seen = geo.in_picture(p) and geo.in_picture(geo.horn_point(v, t + _PATTERN_MAX_S[pattern]))
            if want_picture and not seen and _attempt < 300:
                continue
            out.append(_horn_plan(rng, v, t, pattern))
            break
        else:
            raise UserFacingError(
                "could not place every horn on a vehicle 8–45 m away: ask for fewer --horns"
            )
    return out


def _simultaneous_pair(
    rng: np.random.Generator, vehicles: list[Vehicle], geo: _Geometry, duration_s: float
) -> list[HornPlan]:
    """Two vehicles honking at once (onsets ≤ 0.3 s apart), both in the picture, ≥ 8° apart as seen
    from the array: the case a localizer with too wide a main lobe merges into one."""
    candidates = [v for v in vehicles if v.kind != "ambulance"]
    for _ in range(2000):
        a, b = rng.choice(len(candidates), size=2, replace=False)
        va, vb = candidates[int(a)], candidates[int(b)]
        pattern_a = _pattern(rng, duration_s - 0.3, ("short", "long", "double"))
        pattern_b = _pattern(rng, duration_s - 0.3, ("short", "long"))
        longest = max(_PATTERN_MAX_S[pattern_a], _PATTERN_MAX_S[pattern_b])
        t = rng.uniform(0.3, max(0.3, duration_s - longest - 0.6))
        dt = rng.uniform(0.0, 0.3)
        pa, pb = geo.horn_point(va, t), geo.horn_point(vb, t + dt)
        # Both in the picture from the first to the last blast, not only at the onset.
        ends = (
            geo.horn_point(va, t + _PATTERN_MAX_S[pattern_a]),
            geo.horn_point(vb, t + dt + _PATTERN_MAX_S[pattern_b]),
        )
        if not all(8.0 <= np.linalg.norm(p) <= 45.0 and geo.in_picture(p) for p in (pa, pb, *ends)):
            continue
        cos = pa @ pb / np.linalg.norm(pa) / np.linalg.norm(pb)
        if np.degrees(np.arccos(np.clip(cos, -1, 1))) < 8.0:
            continue
        return [_horn_plan(rng, va, t, pattern_a), _horn_plan(rng, vb, t + dt, pattern_b)]
    raise UserFacingError("could not find two vehicles ≥ 8° apart to honk together: try another --seed")


def _side_by_side(
    rng: np.random.Generator,
    road: Road,
    vehicles: list[Vehicle],
    geo: _Geometry,
    duration_s: float,
    protected: set[str],
) -> tuple[list[Vehicle], list[HornPlan]]:
    """One of two vehicles driving abreast in adjacent lanes honks: attribution must pick the right one."""
    pairs = [i for i in range(len(road.lane_x_m) - 1) if road.lane_direction[i] == road.lane_direction[i + 1]]
    if not pairs:
        raise UserFacingError("side-by-side needs two adjacent lanes in the same direction")
    for _ in range(1000):
        lane = pairs[int(rng.integers(len(pairs)))]
        pick = [v for v in vehicles if v.lane == lane and v.kind in ("car", "truck", "bus")]
        if not pick:
            continue
        va = pick[int(rng.integers(len(pick)))]
        t = rng.uniform(0.5, duration_s - 1.5)
        pa = geo.horn_point(va, t)
        if not (12.0 <= np.linalg.norm(pa) <= 40.0 and geo.in_picture(pa)):
            continue
        neighbours = [v for v in vehicles if v.lane == lane + 1]
        speed = neighbours[0].speed_mps if neighbours else va.speed_mps
        front_at_t = float(va.front_z(t)) + rng.uniform(-1.0, 1.0)
        z0 = front_at_t - va.direction * speed * t
        plate, colour = plates.random_plate(rng, "car")
        vb = Vehicle(
            id=_next_id(vehicles),
            kind="car",
            lane=lane + 1,
            x_m=float(road.lane_x_m[lane + 1] + rng.uniform(-0.3, 0.3)),
            front_z0_m=float(z0),
            speed_mps=float(speed),
            direction=va.direction,
            plate=plate,
            plate_colour=colour,
            body_rgb=tuple(int(c) for c in _BODY_COLOURS[int(rng.integers(len(_BODY_COLOURS)))]),
        )
        # Make room: drop the abreast vehicle's lane neighbours it would overlap (not ones a confuser rides on).
        overlap = {v.id for v in vehicles if v.lane == vb.lane and abs(v.front_z0_m - z0) <= 14.0}
        if overlap & protected:
            continue
        kept = [v for v in vehicles if v.id not in overlap]
        kept.append(vb)
        honker = va if rng.random() < 0.5 else vb
        pattern = _pattern(rng, duration_s - t + 0.8, ("short", "double", "long"))
        return kept, [_horn_plan(rng, honker, t, pattern)]
    raise UserFacingError("could not set up two vehicles side by side in view: try another --seed")


def _confusers(
    rng: np.random.Generator,
    labels: tuple[str, ...],
    road: Road,
    vehicles: list[Vehicle],
    geo: _Geometry,
    duration_s: float,
) -> tuple[list[Vehicle], list[ConfuserPlan]]:
    out: list[ConfuserPlan] = []
    vehicles = list(vehicles)
    h = geo.mount.height_m
    left, right = road.edges_x_m
    for label in labels:
        if label not in CONFUSER_LABELS:
            raise UserFacingError(f"unknown confuser {label!r}; choose from {', '.join(CONFUSER_LABELS)}")
        level = float(rng.uniform(*_CONFUSER_DBA_1M[label]))
        seed = int(rng.integers(2**31))
        dur = float(min(duration_s - 0.5, rng.uniform(2.0, 6.0)))
        t0 = float(rng.uniform(0.0, duration_s - dur))
        side = right if rng.random() < 0.5 else left
        out_side = 1.0 if side == right else -1.0
        if label == "siren":
            vehicles, plan = _siren(rng, road, vehicles, level, seed, duration_s, h)
            out.append(plan)
            continue
        if label in ("brake_squeal", "music_like"):
            # Brakes squeal on a vehicle for a second or two; music plays from an open car window.
            dur = float(rng.uniform(0.5, 2.5)) if label == "brake_squeal" else dur
            near = [v for v in vehicles if v.kind in ("car", "truck", "bus") and _time_in_range(geo, v, dur)]
            v = near[int(rng.integers(len(near)))] if near else None
            if v is not None:  # else: no vehicle stays near that long, so the sound comes from the kerb
                height = 0.35 if label == "brake_squeal" else 1.0
                times = _time_in_range(geo, v, dur)
                t0 = float(times[int(rng.integers(len(times)))])
                out.append(
                    ConfuserPlan(label, t0, dur, level, seed, tuple(v.point_at_t0(h, height, 1.0)),
                                 tuple(v.velocity), vehicle_id=v.id)
                )  # fmt: skip
                continue
        if label == "reversing_beeper":
            start = (side + out_side * rng.uniform(2.0, 6.0), h - 1.0, rng.uniform(15.0, 40.0))
            vel = (0.0, 0.0, float(rng.uniform(-1.0, 1.0)))
            facing = (0.0, 0.0, float(np.sign(vel[2]) or 1.0))
            out.append(ConfuserPlan(label, t0, dur, level, seed, start, vel, facing=facing, rear_loss_db=4.0))
        elif label == "bird":
            start = (
                side + out_side * rng.uniform(1.0, 4.0),
                h - rng.uniform(4.0, 9.0),
                rng.uniform(8.0, 40.0),
            )
            out.append(ConfuserPlan(label, t0, dur, level, seed, start))
        else:  # a pedestrian talking on the pavement, or music from a shop
            start = (side + out_side * 1.5, h - 1.6, rng.uniform(8.0, 30.0))
            vel = (0.0, 0.0, float(rng.choice([-1.3, 1.3])) if label == "speech_like" else 0.0)
            out.append(ConfuserPlan(label, t0, dur, level, seed, start, vel))
    return vehicles, out


def _time_in_range(geo: _Geometry, v: Vehicle, dur: float) -> list[float]:
    """Start times at which vehicle v is 10–50 m from the array and stays there for `dur`."""
    times = np.linspace(0.0, max(0.0, geo.duration_s - dur), 64)
    return [
        float(t)
        for t in times
        if all(
            10.0 <= np.linalg.norm(geo.horn_point(v, t + f * dur)) <= 50.0 for f in np.linspace(0.0, 1.0, 9)
        )
    ]


def _siren(
    rng: np.random.Generator,
    road: Road,
    vehicles: list[Vehicle],
    level: float,
    seed: int,
    duration_s: float,
    h: float,
) -> tuple[list[Vehicle], ConfuserPlan]:
    """An ambulance with its siren on, driving through the scene in one of the lanes."""
    lane = int(rng.integers(len(road.lane_x_m)))
    direction = road.lane_direction[lane]
    speed = float(rng.uniform(10.0, 16.0))
    z_mid = rng.uniform(15.0, 35.0)
    z0 = z_mid - direction * speed * duration_s / 2
    plate, colour = plates.random_plate(rng, "car")
    amb = Vehicle(_next_id(vehicles), "ambulance", lane, road.lane_x_m[lane], float(z0), speed,
                  direction, plate, colour, (245, 245, 245))  # fmt: skip

    # Other traffic in that lane gives way: keep only vehicles never within 15 m of the ambulance.
    def clear(v: Vehicle) -> bool:
        if v.lane != lane:
            return True
        t = np.linspace(0.0, duration_s, 50)
        return bool(np.all(np.abs(v.front_z(t) - amb.front_z(t)) > 15.0))

    kept = [v for v in vehicles if clear(v)] + [amb]
    plan = ConfuserPlan(
        "siren", 0.0, duration_s, level, seed, tuple(amb.point_at_t0(h, 1.8, 1.0)), tuple(amb.velocity),
        vehicle_id=amb.id, facing=(0.0, 0.0, float(direction)), rear_loss_db=6.0,
    )  # fmt: skip
    return kept, plan
