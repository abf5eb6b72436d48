"""`honk-edge record --seconds N --out DIR`: a field recording as a `honkwatch-scene/1` directory.

Audio streams from the live array straight into the scene's WAV (RF64 past 4 GiB) and camera
frames into a constant-rate video on the same clock; scene.json carries the device's geometry
(array, camera, mount), so the recording replays anywhere with `honk-edge replay`. A capture
gap (an overflowing or vanished sound card) is written as silence, so time in the file stays
true to time on the street.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.errors import UserFacingError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record",
        help="record the live array (and camera) to a scene directory",
        description="Record N seconds from the array and camera into a honkwatch-scene/1 directory.",
    )
    p.add_argument("--seconds", type=float, required=True, help="length of the recording")
    p.add_argument("--out", type=Path, required=True, help="scene directory to create (must not exist)")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--config", type=Path, help="node config: profile, audio device and camera from it")
    g.add_argument("--profile", help="device profile in hardware/profiles (or a path)")
    p.add_argument("--device", help="sound card name substring or index (overrides the profile)")
    p.add_argument("--camera-source", help="camera: RTSP URL, V4L2 index, GStreamer pipeline or file")
    p.add_argument("--no-camera", action="store_true", help="audio only")
    p.add_argument("--fps", type=float, default=25.0, help="video frame rate of the recording (default 25)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    from edge.camera.capture import CameraCapture
    from edge.camera.ring import FrameRing
    from edge.camera.timeline_writer import TimelineVideoWriter
    from edge.config import load_node_config
    from edge.geometry.profiles import load_profile
    from edge.scene.writer import SceneWriter
    from edge.sources.sounddevice_source import CaptureSettings, SounddeviceSource

    if not args.seconds > 0:
        raise UserFacingError(f"--seconds must be positive, got {args.seconds}")
    if args.out.exists():
        raise UserFacingError(f"{args.out} exists already; a recording never overwrites")
    config = load_node_config(args.config) if args.config else None
    profile = load_profile(config.device.profile if config else args.profile)
    device = args.device if args.device is not None else (config.audio.device if config else None)
    if device is None:
        device = profile.audio_device
    cam_source = args.camera_source
    if cam_source is None and config is not None:
        cam_source = config.camera.source
    if cam_source is None:
        cam_source = profile.camera_source
    use_camera = not args.no_camera and profile.camera is not None and cam_source is not None

    fs = profile.sample_rate
    total = round(args.seconds * fs)
    source = SounddeviceSource(
        CaptureSettings(device=device, channel_map=profile.channel_map, sample_rate=fs)
    )
    source.start()
    started_utc = datetime.now(UTC) - timedelta(seconds=source.stream_time(time.monotonic()))
    writer = SceneWriter(
        args.out,
        sample_rate=fs,
        array_name=profile.array.name,
        positions_m=profile.array.positions_m,
        expected_frames=total,
    )
    frames = FrameRing(5.0)
    camera = video = None
    if use_camera:
        camera = CameraCapture(cam_source, frames, lambda: source.stream_time(time.monotonic()))
        camera.start()
        spec = profile.camera
        video = TimelineVideoWriter(args.out / "video.mp4", args.fps, 0.0, (spec.width, spec.height))
    written = gaps = 0
    try:
        for start, block in source:
            if start > written:  # audio the card never delivered: silence keeps the clock true
                gap = min(start, total) - written
                writer.write(np.zeros((gap, source.channels), np.float32))
                gaps += gap
                written += gap
            take = block[: max(0, total - written)]
            writer.write(take)
            written += len(take)
            if video is not None:
                video.feed(frames, written / fs - 0.2)  # frames lag audio by the camera pipeline
            if written >= total:
                break
    finally:
        source.close()
        if camera is not None:
            camera.stop()
        if video is not None:
            video.feed(frames, total / fs - 1.0 / args.fps)
            video.close()
    mount = profile.mount
    writer.close(
        camera=profile.camera if use_camera else None,
        video_file="video.mp4" if use_camera else None,
        video_start_s=0.0,
        full_scale_pa=profile.full_scale_pa,
        start_utc=started_utc.isoformat().replace("+00:00", "Z"),
        zone=config.device.zone if config else None,
        device=config.device.id if config else None,
        extra={
            "mount": {"height_m": mount.height_m, "tilt_deg": mount.tilt_deg, "yaw_deg": mount.yaw_deg},
            "profile": profile.name,
            "recording": {
                "gap_frames": gaps,
                "overflows": source.status().overflows,
                "camera_source": str(cam_source) if use_camera else None,
            },
        },
    )
    summary = {
        "out": str(args.out),
        "seconds": written / fs,
        "channels": source.channels,
        "gap_frames": gaps,
        "video_frames": video.frames if video else 0,
    }
    print(json.dumps(summary), file=sys.stdout)
    return 0
