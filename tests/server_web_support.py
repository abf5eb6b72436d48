"""Seed data for the web, report and browser tests: zones, users, a device and real evidence.

Cases enter the database the way production cases do: a signed bundle built with the edge's
codec goes through the server's ingest (`EvidenceIngest.handle`). The media are real files (a
JPEG photo, PNG images, FLAC audio of a horn-like tone) so that the browser can show and play them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
import soundfile as sf
from PIL import Image, ImageDraw
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from edge.evidence.bundle import EvidenceFile, build_manifest, make_bundle
from server.config import ServerConfig
from server.ingest.evidence import EvidenceIngest
from server.media import FileMediaStore
from server.sample_bundles import new_device_key, public_key_b64
from server.storage.db import init_db, make_engine, session_factory
from server.storage.devices import add_device
from server.storage.models import Zone
from server.storage.users import create_user, issue_token

PASSWORD = "correct horse battery"
WIDE_SIZE = (960, 540)


def _jpeg(size: tuple[int, int], colour: tuple[int, int, int], label: str) -> bytes:
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle([w * 0.55, h * 0.5, w * 0.8, h * 0.8], fill=(220, 220, 230), outline=(30, 30, 30), width=3)
    draw.ellipse([w * 0.62 - 40, h * 0.6 - 40, w * 0.62 + 40, h * 0.6 + 40], outline=(255, 60, 0), width=6)
    draw.text((10, 10), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _png(size: tuple[int, int]) -> bytes:
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    field_ = np.exp(-(((x - size[0] * 0.62) / 60) ** 2 + ((y - size[1] * 0.6) / 40) ** 2))
    rgb = np.stack([255 * field_, 80 * field_, 255 * (1 - field_)], axis=-1).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG")
    return out.getvalue()


def _flac(seconds: float = 1.5, rate: int = 16000, f0: float = 420.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    tone = sum(0.3 / k * np.sin(2 * np.pi * f0 * k * t) for k in (1, 2, 3))
    out = io.BytesIO()
    sf.write(out, tone.astype(np.float32), rate, format="FLAC")
    return out.getvalue()


@cache
def evidence_files() -> tuple[EvidenceFile, ...]:
    """One of each role with real, decodable content (made once: identical media share storage)."""
    return (
        EvidenceFile("wide.jpg", "wide_overlay", _jpeg(WIDE_SIZE, (60, 90, 120), "wide")),
        EvidenceFile("closeup.jpg", "closeup", _jpeg((320, 200), (90, 90, 90), "closeup")),
        EvidenceFile("map.png", "sound_map", _png((320, 180))),
        EvidenceFile("spectrogram.png", "spectrogram", _png((480, 160))),
        EvidenceFile("beam.flac", "audio_beam", _flac()),
        EvidenceFile("reference.flac", "audio_reference", _flac(f0=400.0)),
    )


@dataclass
class Seeded:
    """What a test needs to log in and find things."""

    engine: Engine
    sessions: sessionmaker[Session]
    media: FileMediaStore
    ingest: EvidenceIngest
    key: object
    tokens: dict[str, str] = field(default_factory=dict)
    case_ids: list[str] = field(default_factory=list)

    def add_case(
        self,
        when: datetime,
        zone: str = "Z01",
        device: str = "pole-07",
        plate: str | None = "粤R12345",
        confidence: float = 0.97,
    ) -> str:
        """Ingest one signed bundle through the real ingest path; returns the case id."""
        files = evidence_files()
        manifest = build_manifest(
            device=device,
            zone=zone,
            event={
                "t_start_utc": when,
                "t_end_utc": when + timedelta(seconds=1.2),
                "azimuth_deg": 12.4,
                "elevation_deg": -8.1,
                "pixel": [WIDE_SIZE[0] * 0.62, WIDE_SIZE[1] * 0.6],
                "confidence": confidence,
                "horn_probability": 0.99,
                "spl_db": 86.2,
                "spl_calibrated": True,
                "inside_frame": True,
                "enforceable": True,
                "conditions": [],
            },
            clock={"synced": True, "source": "chrony", "offset_s": 0.0021},
            device_info={"firmware": "honkwatch 0.1.0", "profile": "pole-spiral64", "channels": 64},
            files=files,
            plate={"text": plate, "source": "simulator" if plate else None},
            created_utc=when + timedelta(seconds=3),
        )
        payload = make_bundle(self.key, manifest, files)
        ack = self.ingest.handle(f"honkwatch/v1/{device}/evidence", device, payload)
        assert ack.status == "stored", ack
        self.case_ids.append(manifest.id)
        return manifest.id


ZONES = (
    ("Z01", "深南大道华强路口", "Shennan Rd at Huaqiang Rd", "Futian", "福田区"),
    ("Z02", "人民医院门前", "People's Hospital gate", "Futian", "福田区"),
    ("Z03", "科技园南区", "Science Park South", "Nanshan", "南山区"),
)


def seed(config: ServerConfig, *, with_cases: int = 0) -> Seeded:
    """A database with three zones, one registered device, one user per role (+ a second reviewer)."""
    engine = make_engine(config.database.url, schema=config.database.pg_schema)
    init_db(engine)
    sessions = session_factory(engine)
    media = FileMediaStore(config.media.root)
    key = new_device_key()
    seeded = Seeded(engine, sessions, media, EvidenceIngest(sessions, media, 8 * 1024 * 1024), key)
    with sessions() as db:
        for zone_id, name_zh, name_en, district, district_zh in ZONES:
            db.add(
                Zone(
                    id=zone_id,
                    name_zh=name_zh,
                    name_en=name_en,
                    district=district,
                    district_zh=district_zh,
                    tz="Asia/Shanghai",
                    geometry={"type": "Point", "coordinates": [114.08, 22.54]},
                    hours=[{"days": [1, 2, 3, 4, 5, 6, 7], "start": "00:00", "end": "23:59"}],
                    device_ids=["pole-07"] if zone_id == "Z01" else [],
                )
            )
        db.flush()
        add_device(db, "pole-07", public_key_b64(key), zone_id="Z01")
        for name, role in (
            ("li", "reviewer"),
            ("wang", "reviewer"),
            ("zhao", "supervisor"),
            ("admin", "admin"),
        ):
            user = create_user(db, name, role, PASSWORD)
            seeded.tokens[name] = issue_token(db, user)
        db.commit()
    start = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    for i in range(with_cases):
        seeded.add_case(start + timedelta(minutes=7 * i), plate=None if i % 3 == 2 else f"粤R1234{i % 10}")
    return seeded
