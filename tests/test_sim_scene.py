"""Simulated scenes end to end: truth agrees with geometry and the camera, seeds reproduce, levels are
calibrated, the ambient fields correlate as they should, and the video runs on the audio clock."""

import json
from dataclasses import replace

import numpy as np
import pytest

from edge.cli import main
from edge.geometry import Camera, load_array, load_profile, unit_to_direction
from edge.geometry.profiles import load_camera
from edge.scene import load_scene
from edge.sim.ambient import add_diffuse_background, add_rain, add_wind, apply_channel_faults
from edge.sim.levels import dba
from edge.sim.scenario import ScenarioOptions
from edge.sim.simulate import simulate_scene


@pytest.fixture(scope="module")
def two_horn_scene(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "two"
    result = simulate_scene(
        out,
        seed=11,
        options=ScenarioOptions(duration_s=5.0, preset="two-horns", confusers=("siren", "bird")),
        profile=load_profile("dev-uma16"),
        sample_rate=16000,
        video=False,
    )
    return result, load_scene(out)


def _horn_point_array(scn, vehicle_id, t):
    """The horn of a vehicle at emission time t, in the array frame, from the scenario's raw numbers."""
    v = scn.vehicle(vehicle_id)
    world = np.array(
        [
            v.x_m,
            scn.mount.height_m - v.spec.horn_height_m,
            v.front_z0_m + v.direction * v.speed_mps * t - v.direction * 0.3,
        ]
    )
    return scn.mount.world_from_array().T @ world


def test_truth_direction_distance_and_time_match_the_geometry(two_horn_scene):
    result, scene = two_horn_scene
    scn = result.scenario
    c = scene.extra["speed_of_sound_mps"]
    assert len(scene.truth.events) == 2
    for event in scene.truth.events:
        plan = next(h for h in scn.horns if h.vehicle_id == event.extra["vehicle_id"])
        # t_start: the first sample leaves the horn at t_emit and travels |p|/c to the array.
        p0 = _horn_point_array(scn, plan.vehicle_id, plan.t_emit_s)
        assert event.t_start == pytest.approx(plan.t_emit_s + np.linalg.norm(p0) / c, abs=2e-4)
        # Direction at the middle: solve the retarded time independently by bisection.
        t_mid = (event.t_start + event.t_end) / 2
        lo, hi = t_mid - 1.0, t_mid
        for _ in range(60):
            te = (lo + hi) / 2
            if te + np.linalg.norm(_horn_point_array(scn, plan.vehicle_id, te)) / c > t_mid:
                hi = te
            else:
                lo = te
        p = _horn_point_array(scn, plan.vehicle_id, lo)
        az, el = unit_to_direction(p)
        assert event.azimuth_deg == pytest.approx(float(az), abs=0.01)
        assert event.elevation_deg == pytest.approx(float(el), abs=0.01)
        assert event.distance_m == pytest.approx(float(np.linalg.norm(p)), abs=0.01)
        assert event.plate == scn.vehicle(plan.vehicle_id).plate and event.plate[2] == "·"
        assert 8.0 <= event.distance_m <= 46.0


def test_truth_pixel_agrees_with_the_camera_model(two_horn_scene):
    _, scene = two_horn_scene
    cam = Camera(scene.camera)
    for event in scene.truth.events:
        uv = cam.direction_to_pixel(event.azimuth_deg, event.elevation_deg, event.distance_m)
        assert event.pixel == pytest.approx(tuple(uv), abs=0.1)
        # Both horns of the two-horns scenario are in the picture and at least 8° apart.
        assert event.extra["in_frame"] is True
    a, b = scene.truth.events
    ua = np.array(a.track_deg[0][1:])
    cos = np.dot(*[np.array(unit) for unit in _units([a, b])])
    assert np.degrees(np.arccos(cos)) >= 7.5 and ua.shape == (2,)


def _units(events):
    from edge.geometry import direction_to_unit

    return [direction_to_unit(e.azimuth_deg, e.elevation_deg) for e in events]


def test_truth_lists_every_vehicle_and_the_honker_is_closest(two_horn_scene):
    _, scene = two_horn_scene
    vehicles = scene.truth.extra["vehicles"]
    assert len({v["id"] for v in vehicles}) == len(vehicles) >= 3
    for event in scene.truth.events:
        t_mid = (event.t_start + event.t_end) / 2
        u_event = _units([event])[0]
        best = None
        for v in vehicles:
            rows = np.array(v["track"])
            if len(rows) == 0 or not rows[0, 0] <= t_mid <= rows[-1, 0]:
                continue
            az, el = np.interp(t_mid, rows[:, 0], rows[:, 1]), np.interp(t_mid, rows[:, 0], rows[:, 2])
            from edge.geometry import direction_to_unit

            ang = np.degrees(np.arccos(np.clip(np.dot(direction_to_unit(az, el), u_event), -1, 1)))
            if best is None or ang < best[0]:
                best = (ang, v["id"])
        assert best[1] == event.extra["vehicle_id"] and best[0] < 0.2
    sirens = [c for c in scene.truth.confusers if c.label == "siren"]
    assert sirens and sirens[0].extra["kind"] in ("wail", "yelp", "hilo") and "azimuth_deg" in sirens[0].extra


def test_scene_is_calibrated_and_loud_where_the_truth_says(tmp_path):
    out = tmp_path / "quiet"
    result = simulate_scene(
        out,
        seed=5,
        options=ScenarioOptions(duration_s=6.0, preset="quiet", wind_mps=0.0),
        profile=load_profile("dev-uma16"),
        sample_rate=24000,
        video=False,
    )
    scene = load_scene(out)
    fs = scene.sample_rate
    pa = scene.read_audio()[:, 0].astype(float) * scene.full_scale_pa
    (event,) = scene.truth.events
    i0, i1 = int(event.t_start * fs), int(event.t_end * fs)
    horn_power = 10 ** (dba(pa[i0:i1], fs) / 10)
    rest = np.concatenate([pa[: max(0, i0 - fs // 10)], pa[i1 + fs // 5 :]])
    rest_power = 10 ** (dba(rest, fs) / 10)
    measured = 10 * np.log10(max(horn_power - rest_power, 1e-12))
    # Direct path 1/r from 1 m plus the road's image (incoherent sum over the horn's many harmonics).
    d = event.distance_m
    image = np.hypot(d, 2 * (result.scenario.mount.height_m - 0.6))
    expected = event.extra["level_dba_1m"] - 20 * np.log10(d) + 10 * np.log10(1 + (0.92 * d / image) ** 2)
    assert measured == pytest.approx(expected, abs=3.0)
    # The whole scene sits in a city street's range and records its calibration.
    assert 55.0 <= dba(rest, fs) <= 85.0
    assert scene.full_scale_pa == pytest.approx(63.2)


def test_same_seed_same_scene_other_seed_other_scene(tmp_path):
    profile = load_profile("dev-uma16")
    opts = ScenarioOptions(duration_s=3.0, preset="default")
    dirs = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        simulate_scene(
            tmp_path / name, seed=seed, options=opts, profile=profile, sample_rate=16000, video=False
        )
        dirs.append(tmp_path / name)
    a, b, c = ((d / "audio.wav").read_bytes() for d in dirs)
    assert a == b and a != c
    ta, tb = (json.loads((d / "truth.json").read_text()) for d in dirs[:2])
    assert ta == tb


def test_ambient_fields_have_the_right_level_and_coherence():
    fs = 16000
    mics = load_array("uma16").positions_m[[0, 1, 5]]  # 42 mm apart, and one farther
    mount = load_profile("dev-uma16").mount
    out = np.zeros((3, 4 * fs), np.float32)
    add_diffuse_background(out, fs, mics, 65.0, mount, np.random.default_rng(0), 343.2)
    assert dba(out[0].astype(float), fs) == pytest.approx(65.0, abs=1.0)

    def low_corr(a, b):
        from scipy.signal import butter, sosfilt

        sos = butter(4, 200, fs=fs, output="sos")
        a, b = sosfilt(sos, a.astype(float)), sosfilt(sos, b.astype(float))
        return np.corrcoef(a, b)[0, 1]

    # Distant traffic is a diffuse field: coherent at low frequency across 42 mm ...
    assert low_corr(out[0], out[1]) > 0.8
    wind = np.zeros((3, 4 * fs), np.float32)
    add_wind(wind, fs, 6.0, np.random.default_rng(1))
    # ... wind is turbulence at each port: uncorrelated even there, and loud at 6 m/s.
    assert abs(low_corr(wind[0], wind[1])) < 0.15
    assert 20 * np.log10(np.sqrt(np.mean(wind[0].astype(float) ** 2)) / 20e-6) > 60.0
    rain = np.zeros((3, 4 * fs), np.float32)
    add_rain(rain, fs, mics, 58.0, mount, np.random.default_rng(3), 343.2)
    assert dba(rain[1].astype(float), fs) == pytest.approx(58.0, abs=1.5)
    apply_channel_faults(wind, fs, dead=2, noisy=1, rng=np.random.default_rng(2))
    assert np.ptp(wind[2]) == 0.0
    level = 20 * np.log10(np.sqrt(np.mean(wind[:2].astype(float) ** 2, axis=1)))
    assert level[1] - level[0] > 10.0  # a noisy channel stands out from its neighbours


def test_cli_writes_a_loadable_scene_and_refuses_bad_input(tmp_path, capsys):
    out = tmp_path / "cli"
    args = [
        "simulate",
        "--out",
        str(out),
        "--profile",
        "dev-uma16",
        "--duration",
        "3",
        "--sample-rate",
        "16000",
    ]
    assert (
        main(
            [
                *args,
                "--no-video",
                "--seed",
                "2",
                "--horns",
                "1",
                "--confusers",
                "beeper,speech",
                "--rain",
                "55",
                "--ground-reflection",
                "0",
            ]
        )
        == 0
    )
    scene = load_scene(out)
    assert scene.truth.extra["simulator"]["ground_reflection"] == 0.0  # a free field, as asked
    assert scene.channels == 16 and scene.sample_rate == 16000 and scene.duration_s == pytest.approx(3.0)
    assert len(scene.truth.events) == 1
    assert sorted(c.label for c in scene.truth.confusers) == ["rain", "reversing_beeper", "speech_like"]
    before = (out / "audio.wav").read_bytes()
    assert main([*args, "--seed", "3"]) == 2  # not empty: nothing overwritten
    assert "not empty" in capsys.readouterr().err and (out / "audio.wav").read_bytes() == before
    for bad, message in (
        (["--confusers", "ufo"], "unknown confuser 'ufo'"),
        (["--scenario", "rush"], "unknown scenario 'rush'"),
        (["--dead-channel", "40"], "channel 40 does not exist"),
        (["--duration", "0.5"], "--duration must be between"),
        (["--wind", "-3"], "--wind must be between"),
        (["--channels", "99"], "--channels must be between 2 and 16"),
        (["--ground-reflection", "1.5"], "--ground-reflection must be between 0 and 1"),
    ):
        assert main(["simulate", "--out", str(tmp_path / "x"), "--profile", "dev-uma16", *bad]) == 2
        assert message in capsys.readouterr().err


def test_video_frames_are_on_the_audio_clock(tmp_path):
    import cv2

    profile = load_profile("pole-spiral32")
    profile = replace(profile, camera=load_camera("road-540p-50deg"))
    out = tmp_path / "video"
    result = simulate_scene(
        out,
        seed=21,
        options=ScenarioOptions(duration_s=3.0, preset="quiet", horns=1),
        profile=profile,
        sample_rate=16000,
        video=True,
    )
    scene = load_scene(out)
    cap = cv2.VideoCapture(str(scene.video_path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    n_frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    start = scene.video_start_s
    assert fps == pytest.approx(25.0) and 0.0 <= start < 0.04
    assert n_frames == int(np.floor((3.0 - start) * 25.0 - 1e-9)) + 1
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == n_frames
    scn, cam = result.scenario, Camera(scene.camera)
    to_array = scn.mount.world_from_array()
    h = scn.mount.height_m

    from edge.sim.plates import plate_image
    from edge.sim.video import plate_corners

    def bottom_row(v, t):
        """Image row of the near face's bottom edge, a quarter of the way across, at time t."""
        from edge.sim.video import vehicle_box

        box = vehicle_box(v, t, h)
        point = box[0] + 0.25 * (box[1] - box[0])
        uv, _ = cam.project((point @ to_array)[None, :])
        return uv[0]

    checked = 0
    for k in range(0, n_frames, 2):
        t = start + k / fps
        # The nearest vehicle in view is drawn last, so nothing hides its edge.
        ahead = [v for v in scn.vehicles if 8.0 < float(v.front_z(t)) < 40.0]
        if not ahead:
            continue
        v = min(ahead, key=lambda v: abs(float(v.front_z(t))))
        body = np.array(v.body_rgb[::-1], float) * 0.85
        if body.sum() < 250:
            continue
        u, row = bottom_row(v, t)
        rows_near = [bottom_row(v, t + dk / fps)[1] for dk in (-1, 1)]
        if not (5 < u < cam.size[0] - 5 and 15 < row < cam.size[1] - 15):
            continue
        if min(abs(r - row) for r in rows_near) < 1.5:  # too slow in the image to tell frames apart
            continue
        column = frames[k][int(row) - 12 : int(row) + 12, int(u)].astype(float)
        is_body = np.linalg.norm(column - body, axis=1) < np.linalg.norm(
            column - np.array([40.0, 40, 45]), axis=1
        )
        # Pixel centres are at integers: the first row below the body is the one past the edge.
        edge = int(row) - 12 + int(np.argmin(is_body)) - 0.5
        # The edge sits where this frame's time puts it (anti-aliasing and the codec blur it by up
        # to a pixel), not where the previous or next frame's time would.
        assert edge == pytest.approx(row, abs=1.5)
        assert all(abs(edge - row) < abs(edge - r) for r in rows_near)
        # The plate is drawn where the truth's plate box says, in the plate's colour.
        uv, _ = cam.project(plate_corners(v, t, h) @ to_array)
        (u0, v0), (u1, v1) = np.ceil(uv.min(axis=0)).astype(int), np.floor(uv.max(axis=0)).astype(int)
        if u1 - u0 >= 8:
            plate_bgr = np.array(plate_image(v.plate, v.plate_colour)[1, 1][::-1], float)  # background

            def share(du, u0=u0, u1=u1, v0=v0, v1=v1, k=k, plate_bgr=plate_bgr):
                patch = frames[k][v0 : v1 + 1, u0 + du : u1 + 1 + du].reshape(-1, 3).astype(float)
                return np.mean(np.linalg.norm(patch - plate_bgr, axis=1) < 60)

            width = u1 - u0 + 1
            assert share(0) > 0.25 and share(0) > 4 * max(share(-width), share(width))
        checked += 1
    assert checked >= 2


def test_a_beamformer_finds_the_horn_where_the_truth_says(tmp_path):
    """End to end through the world→array transform, reflections and noise: a plain steered
    response power map of the rendered audio peaks at the truth's direction."""
    out = tmp_path / "srp"
    simulate_scene(
        out,
        seed=3,
        options=ScenarioOptions(duration_s=4.0, preset="quiet", horns=1, wind_mps=0.5),
        profile=load_profile("pole-spiral32"),
        sample_rate=16000,
        video=False,
    )
    scene = load_scene(out)
    (event,) = scene.truth.events
    fs, c = scene.sample_rate, scene.extra["speed_of_sound_mps"]
    t_mid = (event.t_start + event.t_end) / 2
    n = 2048
    i0 = int(t_mid * fs) - n // 2
    x = scene.read_audio(i0, i0 + n).astype(float) * np.hanning(n)[:, None]
    spec = np.fft.rfft(x, axis=0)
    f = np.fft.rfftfreq(n, 1 / fs)
    band = (f > 300) & (f < 4000)
    spec = spec[band] / np.maximum(np.abs(spec[band]), 1e-12)  # PHAT weighting
    az0, el0 = event.direction_at(t_mid)
    az = az0 + np.arange(-20, 20.01, 0.5)
    el = el0 + np.arange(-15, 15.01, 0.5)
    from edge.geometry import direction_to_unit

    grid_az, grid_el = np.meshgrid(az, el, indexing="ij")
    units = direction_to_unit(grid_az.ravel(), grid_el.ravel())
    lead = units @ scene.positions_m.T / c  # (D, M): who hears a plane wave from u first
    steer = np.exp(-2j * np.pi * f[band][None, None, :] * lead[:, :, None])  # undo each mic's lead
    power = np.abs(np.einsum("dmf,fm->df", steer, spec)) ** 2
    best = np.argmax(power.sum(axis=1))
    assert grid_az.ravel()[best] == pytest.approx(az0, abs=1.0)
    assert grid_el.ravel()[best] == pytest.approx(el0, abs=1.5)


def test_every_scenario_preset_builds_with_unique_vehicles_and_valid_events():
    from edge.sim.scenario import PRESETS, build_scenario

    profile = load_profile("pole-spiral64")
    for preset in PRESETS:
        for seed in range(3):
            opts = ScenarioOptions(duration_s=8.0, preset=preset, confusers=("siren", "brake_squeal"))
            scn = build_scenario(seed, opts, profile.mount, profile.camera_model())
            ids = [v.id for v in scn.vehicles]
            assert len(ids) == len(set(ids))
            for h in scn.horns:
                assert h.vehicle_id in ids and 0.0 < h.t_emit_s < 8.0
                assert 100.0 <= h.level_dba_2m + 6.02 <= 118.1 or scn.vehicle(h.vehicle_id).kind in (
                    "scooter",
                    "ebike",
                )
            assert all(c.vehicle_id is None or c.vehicle_id in ids for c in scn.confusers)
            if preset == "side-by-side":
                (h,) = scn.horns
                honker = scn.vehicle(h.vehicle_id)
                abreast = [
                    v for v in scn.vehicles
                    if abs(v.lane - honker.lane) == 1 and abs(float(v.front_z(h.t_emit_s) - honker.front_z(h.t_emit_s))) < 1.5
                ]  # fmt: skip
                assert abreast
