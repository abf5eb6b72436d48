"""Load a scene directory and refuse, with a message naming the field or file, anything that breaks
`honkwatch-scene/1`. Replays and scores are only as honest as the scene under them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from edge.errors import SceneError
from edge.scene.model import FORMAT, CameraSpec, Scene, Truth, TruthConfuser, TruthEvent
from edge.scene.wavcheck import declared_and_present_data_bytes

_KNOWN = {
    "format",
    "audio",
    "sample_rate",
    "full_scale_pa",
    "array",
    "camera",
    "video",
    "start_utc",
    "zone",
    "device",
}


def load_scene(directory: str | Path, *, with_truth: bool = True) -> Scene:
    """Read and validate `directory`; raise `SceneError` naming the first problem found."""
    d = Path(directory)
    if not d.is_dir():
        raise SceneError(f"{d}: not a scene directory (it does not exist or is not a folder)")
    meta = _read_json(d / "scene.json", required=True)
    if not isinstance(meta, dict):
        raise SceneError(f"{d / 'scene.json'}: must hold a JSON object")
    if meta.get("format") != FORMAT:
        raise SceneError(f"scene.json: 'format' must be {FORMAT!r}, found {meta.get('format')!r}")

    audio_rel = _require(meta, "audio", str)
    audio_path = d / audio_rel
    if not audio_path.is_file():
        raise SceneError(f"scene.json: 'audio' names {audio_rel!r}, which does not exist in {d}")
    rate = _require(meta, "sample_rate", int)
    if rate <= 0:
        raise SceneError(f"scene.json: 'sample_rate' must be positive, found {rate}")

    array = _require(meta, "array", dict)
    name = array.get("name")
    if not isinstance(name, str) or not name:
        raise SceneError("scene.json: 'array.name' must be a non-empty string")
    positions = _positions(array.get("positions_m"))

    info = _audio_info(audio_path)
    if info.samplerate != rate:
        raise SceneError(
            f"{audio_rel}: sample rate {info.samplerate} Hz differs from scene.json 'sample_rate' {rate} Hz"
        )
    if info.channels != len(positions):
        raise SceneError(
            f"{audio_rel}: {info.channels} channels but 'array.positions_m' has {len(positions)} rows"
        )

    fs_pa = meta.get("full_scale_pa")
    if fs_pa is not None and not (_is_number(fs_pa) and fs_pa > 0 and math.isfinite(fs_pa)):
        raise SceneError(f"scene.json: 'full_scale_pa' must be a positive number, found {fs_pa!r}")

    camera = _camera(meta["camera"]) if meta.get("camera") is not None else None
    video_path, video_start = None, 0.0
    if meta.get("video") is not None:
        video = meta["video"]
        if not isinstance(video, dict) or not isinstance(video.get("file"), str):
            raise SceneError("scene.json: 'video' must be an object with a 'file' string")
        video_path = d / video["file"]
        if not video_path.is_file():
            raise SceneError(f"scene.json: 'video.file' names {video['file']!r}, which does not exist in {d}")
        video_start = video.get("start_s", 0.0)
        if not _is_number(video_start) or not math.isfinite(video_start):
            raise SceneError(f"scene.json: 'video.start_s' must be a number, found {video_start!r}")

    for key in ("start_utc", "zone", "device"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise SceneError(f"scene.json: '{key}' must be a string")

    truth = None
    if with_truth and (d / "truth.json").exists():
        truth = parse_truth(_read_json(d / "truth.json", required=True))

    return Scene(
        directory=d,
        audio_path=audio_path,
        sample_rate=rate,
        channels=info.channels,
        frames=info.frames,
        array_name=name,
        positions_m=positions,
        full_scale_pa=float(fs_pa) if fs_pa is not None else None,
        camera=camera,
        video_path=video_path,
        video_start_s=float(video_start),
        start_utc=meta.get("start_utc"),
        zone=meta.get("zone"),
        device=meta.get("device"),
        truth=truth,
        extra={k: v for k, v in meta.items() if k not in _KNOWN},
    )


def parse_truth(raw: Any) -> Truth:
    """Validate a truth.json object (its own function so tools can score against loose files)."""
    if not isinstance(raw, dict):
        raise SceneError("truth.json: must hold a JSON object")
    events_raw = raw.get("events", [])
    if not isinstance(events_raw, list):
        raise SceneError("truth.json: 'events' must be a list")
    events = [_truth_event(i, e) for i, e in enumerate(events_raw)]
    conf_raw = raw.get("confusers", [])
    if not isinstance(conf_raw, list):
        raise SceneError("truth.json: 'confusers' must be a list")
    confusers = []
    for i, c in enumerate(conf_raw):
        where = f"truth.json: confusers[{i}]"
        if not isinstance(c, dict):
            raise SceneError(f"{where} must be an object")
        t0, t1 = _finite(c, "t_start", where), _finite(c, "t_end", where)
        label = c.get("label")
        if not isinstance(label, str):
            raise SceneError(f"{where}: 'label' must be a string")
        extra = {k: v for k, v in c.items() if k not in ("label", "t_start", "t_end")}
        confusers.append(TruthConfuser(label=label, t_start=t0, t_end=t1, extra=extra))
    extra = {k: v for k, v in raw.items() if k not in ("events", "confusers")}
    return Truth(events=events, confusers=confusers, extra=extra)


def _truth_event(i: int, e: Any) -> TruthEvent:
    where = f"truth.json: events[{i}]"
    if not isinstance(e, dict):
        raise SceneError(f"{where} must be an object")
    t0, t1 = _finite(e, "t_start", where), _finite(e, "t_end", where)
    if t1 < t0:
        raise SceneError(f"{where}: 't_end' {t1} is before 't_start' {t0}")
    az, el = _finite(e, "azimuth_deg", where), _finite(e, "elevation_deg", where)
    dist = _finite(e, "distance_m", where) if e.get("distance_m") is not None else None
    pixel = None
    if e.get("pixel") is not None:
        p = e["pixel"]
        if not (isinstance(p, list) and len(p) == 2 and all(_is_number(v) and math.isfinite(v) for v in p)):
            raise SceneError(f"{where}: 'pixel' must be [x, y] numbers")
        pixel = (float(p[0]), float(p[1]))
    plate = e.get("plate")
    if plate is not None and not isinstance(plate, str):
        raise SceneError(f"{where}: 'plate' must be a string")
    track = None
    if e.get("track_deg") is not None:
        tr = e["track_deg"]
        ok = isinstance(tr, list) and all(
            isinstance(r, list) and len(r) == 3 and all(_is_number(v) and math.isfinite(v) for v in r)
            for r in tr
        )
        if not ok:
            raise SceneError(f"{where}: 'track_deg' must be a list of [t, azimuth, elevation]")
        track = [(float(a), float(b), float(c)) for a, b, c in tr]
    known = {
        "t_start",
        "t_end",
        "label",
        "azimuth_deg",
        "elevation_deg",
        "distance_m",
        "pixel",
        "plate",
        "track_deg",
    }
    return TruthEvent(
        t_start=t0,
        t_end=t1,
        azimuth_deg=az,
        elevation_deg=el,
        label=str(e.get("label", "horn")),
        distance_m=dist,
        pixel=pixel,
        plate=plate,
        track_deg=track,
        extra={k: v for k, v in e.items() if k not in known},
    )


def _read_json(path: Path, required: bool) -> Any:
    if not path.exists():
        raise SceneError(f"{path}: missing (every scene needs one)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SceneError(f"{path.name}: not valid JSON ({exc})") from None


def _require(meta: dict, key: str, typ: type) -> Any:
    if key not in meta:
        raise SceneError(f"scene.json: required field '{key}' is missing")
    value = meta[key]
    if (typ is int and isinstance(value, bool)) or not isinstance(value, typ):
        raise SceneError(f"scene.json: '{key}' must be {typ.__name__}, found {value!r}")
    return value


def _positions(raw: Any) -> np.ndarray:
    if not isinstance(raw, list) or not raw:
        raise SceneError("scene.json: 'array.positions_m' must be a non-empty list of [x, y, z]")
    for i, row in enumerate(raw):
        if not (isinstance(row, list) and len(row) == 3 and all(_is_number(v) for v in row)):
            raise SceneError(f"scene.json: 'array.positions_m[{i}]' must be three numbers, found {row!r}")
    pos = np.asarray(raw, dtype=float)
    bad = np.argwhere(~np.isfinite(pos))
    if len(bad):
        raise SceneError(f"scene.json: 'array.positions_m[{bad[0][0]}]' is not finite (NaN or infinity)")
    return pos


def _camera(raw: Any) -> CameraSpec:
    if not isinstance(raw, dict):
        raise SceneError("scene.json: 'camera' must be an object")
    where = "scene.json: camera"
    vals = {k: _finite(raw, k, where) for k in ("width", "height", "fx", "fy", "cx", "cy")}
    if vals["width"] <= 0 or vals["height"] <= 0 or vals["fx"] <= 0 or vals["fy"] <= 0:
        raise SceneError(f"{where}: width, height, fx and fy must be positive")
    rot = _matrix(raw.get("rotation", np.eye(3).tolist()), (3, 3), "camera.rotation")
    if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-4) or np.linalg.det(rot) < 0:
        raise SceneError("scene.json: 'camera.rotation' is not a rotation matrix")
    trans = _matrix(raw.get("translation_m", [0, 0, 0]), (3,), "camera.translation_m")
    dist = raw.get("distortion") or []
    if not (isinstance(dist, list) and all(_is_number(v) and math.isfinite(v) for v in dist)):
        raise SceneError("scene.json: 'camera.distortion' must be a list of numbers (OpenCV order)")
    return CameraSpec(
        width=int(vals["width"]),
        height=int(vals["height"]),
        fx=vals["fx"],
        fy=vals["fy"],
        cx=vals["cx"],
        cy=vals["cy"],
        rotation=rot,
        translation_m=trans,
        distortion=tuple(float(v) for v in dist),
    )


def _matrix(raw: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise SceneError(f"scene.json: '{name}' must be numbers of shape {shape}") from None
    if arr.shape != shape or not np.all(np.isfinite(arr)):
        raise SceneError(f"scene.json: '{name}' must be finite numbers of shape {shape}")
    return arr


def _finite(obj: dict, key: str, where: str) -> float:
    v = obj.get(key)
    if not _is_number(v) or not math.isfinite(v):
        raise SceneError(f"{where}: '{key}' must be a finite number, found {v!r}")
    return float(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _audio_info(path: Path) -> sf._SoundFileInfo:
    try:
        sizes = declared_and_present_data_bytes(path)
    except (OSError, ValueError) as exc:
        raise SceneError(f"{path.name}: unreadable audio header ({exc})") from None
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise SceneError(f"{path.name}: not a readable audio file ({exc})") from None
    if info.format not in ("WAV", "RF64", "W64", "WAVEX"):
        raise SceneError(f"{path.name}: format {info.format} is not WAV/RF64/W64 (FLAC stops at 8 channels)")
    if info.subtype not in ("PCM_16", "PCM_24", "PCM_32", "FLOAT"):
        raise SceneError(f"{path.name}: sample format {info.subtype} is not PCM_16, PCM_24, PCM_32 or FLOAT")
    if sizes is not None:
        declared, present = sizes
        if declared > present:
            raise SceneError(
                f"{path.name}: truncated — the header declares {declared} bytes of audio but only {present} are present"
            )
    if info.frames <= 0:
        raise SceneError(f"{path.name}: holds no audio frames")
    return info
