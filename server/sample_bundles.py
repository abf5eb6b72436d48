"""Signed evidence bundles as a device would send them: for tests, the load benchmark and demos.

Built with the shared codec (`edge.evidence.bundle`), so the server is exercised with the
very bytes a device produces. Media are random bytes of realistic sizes: the ingest checks
hashes and sizes, never decodes pictures or audio, and random content keeps the
content-addressed store from deduplicating the load away.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.evidence.bundle import EvidenceFile, build_manifest, make_bundle
from edge.evidence.keys import public_key_b64

__all__ = ["new_device_key", "public_key_b64", "sample_bundle", "sample_files"]

# name, role, bytes: about 0.5 MB in total, the middle of the 0.3–1.5 MB a real bundle has.
DEFAULT_FILES: tuple[tuple[str, str, int], ...] = (
    ("wide.jpg", "wide_overlay", 180_000),
    ("closeup.jpg", "closeup", 40_000),
    ("map.png", "sound_map", 20_000),
    ("spectrogram.png", "spectrogram", 30_000),
    ("beam.flac", "audio_beam", 120_000),
    ("reference.flac", "audio_reference", 120_000),
)


def new_device_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def sample_files(scale: float = 1.0) -> list[EvidenceFile]:
    """Random-content files for every role of a camera device; `scale` shrinks them for tests."""
    return [
        EvidenceFile(name=name, role=role, data=os.urandom(max(1, int(size * scale))))  # type: ignore[arg-type]
        for name, role, size in DEFAULT_FILES
    ]


def sample_bundle(
    key: Ed25519PrivateKey,
    device: str,
    zone: str = "Z01",
    *,
    evidence_id: str | None = None,
    when: datetime | None = None,
    scale: float = 1.0,
    plate: str | None = None,
    enforceable: bool = True,
    event_overrides: Mapping[str, Any] | None = None,
) -> tuple[str, bytes]:
    """(evidence id, MQTT payload) of one signed bundle from `device`."""
    start = when or datetime.now(UTC)
    files = sample_files(scale)
    event: dict[str, Any] = {
        "t_start_utc": start,
        "t_end_utc": start + timedelta(seconds=1.2),
        "stream_t_start": 1234.5,
        "stream_t_end": 1235.7,
        "azimuth_deg": 12.4,
        "elevation_deg": -8.1,
        "pixel": [1402.0, 655.5],
        "confidence": 0.97,
        "horn_probability": 0.99,
        "spl_db": 86.2,
        "spl_calibrated": True,
        "detected_after_s": 0.41,
        "inside_frame": True,
        "enforceable": enforceable,
        "conditions": [] if enforceable else ["outside_hours"],
    }
    event.update(event_overrides or {})
    manifest = build_manifest(
        device=device,
        zone=zone,
        event=event,
        clock={"synced": True, "source": "chrony", "offset_s": 0.0021},
        device_info={"firmware": "honkwatch 0.1.0", "profile": "pole-spiral64", "channels": 64},
        files=files,
        plate={"text": plate, "source": "simulator" if plate else None},
        evidence_id=evidence_id,
        created_utc=start + timedelta(seconds=3),
    )
    return manifest.id, make_bundle(key, manifest, files)
