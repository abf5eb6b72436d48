"""The server's database schema (SQLAlchemy 2 declarative models).

Read this file top to bottom to know what the server stores; the web pages, the API, the
reports and the ingest worker all work on these rows and on nothing else.

Conventions that every reader can rely on:
- Every timestamp column is a `UTCDateTime`: it is stored as naive UTC (SQLite has no time
  zones) and always comes back as an *aware* `datetime` in UTC. Convert to the zone's local
  time (`Zone.tz`, e.g. ``Asia/Shanghai``) only when rendering.
- Identifiers chosen outside the server are strings and are the primary keys: a device's id
  (``pole-07``), a zone's id (``Z01``), an evidence id (the bundle's ``id``, which is also the
  case id). Rows created by the server itself (users, tokens, reviews, audit entries,
  quarantine entries) have integer ids.
- Media (photos, audio, rejected payloads) are never in the database: rows keep the SHA-256
  of the bytes, and `server.media.MediaStore.open(sha256)` returns them.
- JSON columns hold plain JSON values (dict / list); reassign the whole value to change it
  (SQLAlchemy does not track in-place mutation of JSON).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, foreign, mapped_column, relationship


def utcnow() -> dt.datetime:
    """The current time as an aware UTC datetime (the only kind the models store)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A datetime stored as naive UTC and returned as aware UTC, identically on SQLite and PostgreSQL.

    Why: SQLite drops the offset, PostgreSQL's ``timestamptz`` converts to the session zone;
    storing naive UTC everywhere makes both behave the same and keeps comparisons correct.
    Naive values handed in are refused, because guessing their zone is how times go wrong.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    """Declarative base; `Base.metadata` is what `server.storage.db.init_db` creates."""


# --------------------------------------------------------------------------- people


ROLES = ("reviewer", "supervisor", "admin")
"""User roles, least to most privileged. reviewer: review cases; supervisor: + second review,
reports, exports; admin: + users, devices, zones."""

LANGUAGES = ("zh", "en")
"""Interface languages: Simplified Chinese (default) and English."""


class User(Base):
    """A person who logs into the review pages or calls the API.

    `password_hash` is an argon2id hash (argon2-cffi); check it with
    `server.storage.users.verify_password`. Users are deactivated, never deleted, so the audit
    log keeps its names.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # one of ROLES
    language: Mapped[str] = mapped_column(String(8), default="zh")  # one of LANGUAGES
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    """A bearer token for `/api/v1`; only the SHA-256 of the token is stored.

    The token itself is shown once, when created (`honk-server user add`). A random 256-bit
    token needs no slow hash: SHA-256 makes the table useless to a thief and lets the API find
    the row with one indexed lookup (`server.storage.users.user_for_token`). `prefix` (the first
    8 characters) lets an admin tell tokens apart without revealing them.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="tokens")


# --------------------------------------------------------------------------- places and devices


class Zone(Base):
    """A no-honk zone, loaded from the zones TOML file (`honk-server zones load`).

    - `geometry`: a GeoJSON geometry dict, ``{"type": "Polygon", "coordinates": [[[lon, lat], ...]]}``
      (WGS-84, first point repeated last).
    - `hours`: enforcement windows in the zone's local time, a list of
      ``{"days": [1, ..., 7], "start": "07:00", "end": "23:00"}`` (ISO weekdays, Monday = 1;
      ``"24:00"`` is the end of the day; an `end` before `start` wraps past midnight). An empty
      list means never enforced. `server.zones.is_enforced(zone.hours, zone.tz, moment)` answers
      whether a UTC moment falls inside.
    - `device_ids`: the devices the zone file assigns to this zone (registered or not yet);
      the registered ones also have `Device.zone_id` set.
    - `example`: true for the bundled example data, so a page can say so.
    """

    __tablename__ = "zones"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    district: Mapped[str] = mapped_column(String(64), index=True)  # English name; reports group by it
    district_zh: Mapped[str] = mapped_column(String(64))
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")  # IANA name
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    hours: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    device_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    devices: Mapped[list[Device]] = relationship(back_populates="zone")


DEVICE_STATUSES = ("unknown", "online", "offline")
"""`Device.status`: from the retained ``honkwatch/v1/{device}/status`` topic (``unknown`` until
the first one arrives)."""


class Device(Base):
    """An enforcement device allowed to send evidence, with its Ed25519 public key.

    Status columns are written by the ingest worker:
    - `status` / `status_at`: the last retained ``online``/``offline`` message and when it came.
    - `last_seen`: the last message of any kind from the device (status, health, evidence).
      "Silent for too long" alerts compare this with now.
    - `last_health` / `last_health_at`: the last heartbeat JSON exactly as sent (see
      docs/evidence-format.md); `queue_depth`, `dead_channels`, `clock_offset_s` and
      `clock_synced` are copied out of it so pages can sort and filter without parsing JSON.
    """

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the 32 raw Ed25519 bytes
    zone_id: Mapped[str | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), nullable=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    status: Mapped[str] = mapped_column(String(16), default="unknown")  # one of DEVICE_STATUSES
    status_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_health: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    last_health_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    queue_depth: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dead_channels: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    clock_offset_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    clock_synced: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    zone: Mapped[Zone | None] = relationship(back_populates="devices")


# --------------------------------------------------------------------------- evidence and its review


CASE_STATUSES = ("pending", "needs_second", "confirmed", "rejected", "statistics")
"""`Case.status`:
- ``pending``: stored, waiting for a reviewer (the review queue).
- ``needs_second``: confirmed once, waiting for a second reviewer (when configured).
- ``confirmed`` / ``rejected``: decided; see `Review` rows for who and why.
- ``statistics``: the device marked the event not enforceable (`Case.enforceable` false, e.g.
  outside enforcement hours or in wind); kept for reports, never queued for review.
"""


class Case(Base):
    """One verified evidence bundle, i.e. one horn event; its id is the bundle's evidence id.

    Only bundles that passed every check (known device, signature, file hashes, schema) become
    cases; `signature_ok` is therefore always true when written by ingest, and is kept so that
    a later re-verification (e.g. after a key revocation) can record a failure.

    The signed manifest is kept byte for byte (`manifest_bytes`, `signature`) so anyone can
    re-verify the chain of custody against the device's key; `manifest` is the parsed copy
    for convenience. The fields below it are copied out of the manifest so that queues and
    reports are plain SQL.

    `zone_id` is what the device claimed; it is not a foreign key, because evidence from a
    zone missing in the zone file is still evidence (`Case.zone` is then None).
    Plate: `plate_text` is what the device read (often None); `plate_corrected` is the
    reviewer's value; `plate` gives the one to show. Plates are in Chinese format, e.g. 粤R·12345.
    """

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    zone_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # CASE_STATUSES

    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # when the device built the bundle
    t_start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)  # the honk began
    t_end_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    azimuth_deg: Mapped[float] = mapped_column(Float)
    elevation_deg: Mapped[float] = mapped_column(Float)
    pixel_x: Mapped[float | None] = mapped_column(Float, nullable=True)  # None without a camera
    pixel_y: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence: Mapped[float] = mapped_column(Float)
    horn_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    spl_db: Mapped[float | None] = mapped_column(Float, nullable=True)  # None if uncalibrated
    spl_calibrated: Mapped[bool] = mapped_column(Boolean)
    inside_frame: Mapped[bool] = mapped_column(Boolean)
    enforceable: Mapped[bool] = mapped_column(Boolean)
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. ["wind"]

    clock_synced: Mapped[bool] = mapped_column(Boolean)
    clock_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    clock_offset_s: Mapped[float | None] = mapped_column(Float, nullable=True)

    plate_text: Mapped[str | None] = mapped_column(Text, nullable=True)  # as the device sent it
    plate_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    plate_corrected: Mapped[str | None] = mapped_column(String(32), nullable=True)

    firmware: Mapped[str | None] = mapped_column(Text, nullable=True)
    signature_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    manifest_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))  # base64, as sent

    device: Mapped[Device] = relationship()
    zone: Mapped[Zone | None] = relationship(
        primaryjoin=lambda: foreign(Case.zone_id) == Zone.id, viewonly=True
    )
    media: Mapped[list[CaseMedia]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseMedia.id"
    )
    reviews: Mapped[list[Review]] = relationship(back_populates="case", order_by="Review.id")

    __table_args__ = (Index("ix_cases_zone_time", "zone_id", "t_start_utc"),)

    @property
    def plate(self) -> str | None:
        """The plate to show: the reviewer's correction if any, else the device's reading."""
        return self.plate_corrected or self.plate_text

    def media_by_role(self) -> dict[str, CaseMedia]:
        """The case's files keyed by role (``wide_overlay``, ``closeup``, ``audio_beam``, ...)."""
        return {m.role: m for m in self.media}


class CaseMedia(Base):
    """One file of a case's bundle; the bytes are in the media store under `sha256`.

    Roles (docs/evidence-format.md): wide_overlay, closeup, sound_map, spectrogram,
    audio_beam, audio_reference, audio_multichannel.
    """

    __tablename__ = "case_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))  # file name in the bundle
    role: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(100))  # e.g. image/jpeg, audio/flac
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)

    case: Mapped[Case] = relationship(back_populates="media")

    __table_args__ = (UniqueConstraint("case_id", "name"),)


REVIEW_DECISIONS = ("confirm", "reject")


class Review(Base):
    """One reviewer's decision on a case; a second review is simply a second row.

    `plate` is the plate the reviewer saw or entered when deciding; `reason` is required for
    a rejection (the web layer enforces that).
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(16))  # one of REVIEW_DECISIONS
    reason: Mapped[str] = mapped_column(Text, default="")
    plate: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="reviews")
    user: Mapped[User] = relationship()


class AuditLog(Base):
    """Append-only record of every action taken by a person or by the server itself.

    `user_id` None means the server (ingest, CLI). `action` is a dotted verb, e.g.
    ``case.confirm``, ``case.reject``, ``case.plate``, ``case.export``, ``user.login``,
    ``device.add``, ``device.revoke``, ``zones.load``, ``user.add``. `detail` holds what
    changed (old/new values, the reason). Rows are never updated or deleted.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(64))  # user name, or "server"/"cli"
    action: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    target: Mapped[str | None] = mapped_column(String(128), nullable=True)  # device/user/zone id
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


# --------------------------------------------------------------------------- rejected input


class Quarantine(Base):
    """A message the ingest refused, with the reason; the raw bytes are in the media store.

    Nothing the broker delivers is dropped silently: a forged, malformed, oversize or unknown
    device's message lands here. `reason_code` is a stable machine word (``too_large``,
    ``bad_json``, ``bad_manifest``, ``device_mismatch``, ``unknown_device``, ``revoked_device``,
    ``bad_signature``, ``file_mismatch``, ...); `reason` is the human sentence.
    `device_id` and `evidence_id` are what the topic/manifest claimed, if they could be read:
    they are unverified.
    """

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    topic: Mapped[str] = mapped_column(String(255))
    device_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    evidence_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reason_code: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    payload_sha256: Mapped[str] = mapped_column(String(64))  # raw message bytes in the media store


__all__ = [
    "CASE_STATUSES",
    "DEVICE_STATUSES",
    "LANGUAGES",
    "REVIEW_DECISIONS",
    "ROLES",
    "ApiToken",
    "AuditLog",
    "Base",
    "Case",
    "CaseMedia",
    "Device",
    "Quarantine",
    "Review",
    "UTCDateTime",
    "User",
    "Zone",
    "utcnow",
]
