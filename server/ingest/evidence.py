"""Verify one evidence payload and store it exactly once, or quarantine it with the reason.

The order of checks is the contract's (docs/evidence-format.md): size and JSON → manifest
schema → the manifest's device is the topic's device → the device is registered and not
revoked → signature → every file's size and SHA-256. Parsing and cryptography live in the
shared codec `edge.evidence.bundle`, which the devices use to build the same bytes.

Idempotency rests on the database, not on this process: the case id is the primary key, so
two workers racing on one id cannot both insert; the loser sees an IntegrityError and acks
"duplicate". Media are written before the row (content-addressed writes are idempotent), so
a committed case never points at missing files.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from edge.evidence.bundle import ID_PATTERN, Bundle, BundleError, unpack_bundle, verify_bundle
from server.ingest.rejected import Rejected
from server.ingest.strict_json import loads_storable
from server.media import MediaStore, sha256_hex
from server.storage.devices import DeviceError, parse_public_key
from server.storage.models import Case, CaseMedia, Device, Quarantine, utcnow

log = logging.getLogger(__name__)

_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class Ack:
    """What to tell the device on its ack topic, once the outcome is committed."""

    device: str
    status: str  # "stored" | "duplicate" | "rejected"
    ids: list[str] = field(default_factory=list)
    reason: str | None = None
    reason_code: str | None = None

    def payload(self) -> bytes:
        doc: dict[str, Any] = {"ids": self.ids, "status": self.status}
        if self.reason is not None:
            doc["reason"] = self.reason
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")


class EvidenceIngest:
    """Turns (topic device, payload) into a committed case or quarantine row, and the ack to send."""

    def __init__(self, sessions: sessionmaker[Session], media: MediaStore, max_payload_bytes: int) -> None:
        self.sessions = sessions
        self.media = media
        self.max_payload_bytes = max_payload_bytes

    def handle(self, topic: str, topic_device: str, payload: bytes) -> Ack:
        """Process one message; raises only when the database or media store itself fails."""
        try:
            bundle, manifest_doc = self._verified(topic_device, payload)
        except Rejected as exc:
            return self.quarantine(topic, topic_device, payload, exc.code, exc.reason)
        except SQLAlchemyError:
            raise
        except Exception as exc:  # input the codec did not foresee must not stop the worker
            reason = f"payload could not be checked: {type(exc).__name__}: {exc}"
            return self.quarantine(topic, topic_device, payload, "unreadable", reason)
        status = self._store(bundle, manifest_doc)
        if status == "id_conflict":
            return self.quarantine(
                topic,
                topic_device,
                payload,
                "id_conflict",
                f"evidence id {bundle.manifest.id} is already stored with a different manifest",
            )
        return Ack(device=topic_device, status=status, ids=[bundle.manifest.id])

    # ----------------------------------------------------------------- checks

    def _verified(self, topic_device: str, payload: bytes) -> tuple[Bundle, dict[str, Any]]:
        """The checked bundle and its manifest as plain JSON (unknown fields kept), or `Rejected`."""
        try:
            bundle = unpack_bundle(payload, max_bytes=self.max_payload_bytes)
        except BundleError as exc:
            raise Rejected(exc.code, exc.reason) from None
        manifest = bundle.manifest
        if manifest.device != topic_device:
            raise Rejected(
                "device_mismatch",
                f"manifest device {manifest.device!r} published on the topic of {topic_device!r}",
            )
        with self.sessions() as session:
            device = session.get(Device, topic_device)
            if device is None:
                raise Rejected("unknown_device", f"device {topic_device!r} is not registered")
            if device.revoked:
                raise Rejected("revoked_device", f"device {topic_device!r} is revoked")
            key_text = device.public_key
        try:
            key = parse_public_key(key_text)
        except DeviceError as exc:
            raise Rejected(
                "bad_device_key", f"registered key of {topic_device!r} is unusable: {exc}"
            ) from None
        try:
            verify_bundle(bundle, key)
        except BundleError as exc:
            raise Rejected(exc.code, exc.reason) from None
        try:
            manifest_doc = loads_storable(bundle.manifest_bytes)
        except ValueError as exc:
            raise Rejected("bad_manifest", str(exc)) from None
        return bundle, manifest_doc

    # ----------------------------------------------------------------- storing

    def _store(self, bundle: Bundle, manifest_doc: dict[str, Any]) -> str:
        manifest_sha = sha256_hex(bundle.manifest_bytes)
        existing = self._stored_manifest_sha(bundle.manifest.id)
        if existing is not None:
            return "duplicate" if existing == manifest_sha else "id_conflict"
        self.media.put_many(list(bundle.files.values()))
        with self.sessions() as session:
            try:
                session.add(_case_row(bundle, manifest_doc, manifest_sha))
                session.flush()
                session.execute(
                    update(Device).where(Device.id == bundle.manifest.device).values(last_seen=utcnow())
                )
                session.commit()
            except IntegrityError:
                session.rollback()
                log.info("evidence %s: another worker stored it first", bundle.manifest.id)
                existing = self._stored_manifest_sha(bundle.manifest.id)
                if existing is None:
                    raise
                return "duplicate" if existing == manifest_sha else "id_conflict"
        return "stored"

    def _stored_manifest_sha(self, evidence_id: str) -> str | None:
        with self.sessions() as session:
            case = session.get(Case, evidence_id)
            return None if case is None else case.manifest_sha256

    def quarantine(self, topic: str, topic_device: str, payload: bytes, code: str, reason: str) -> Ack:
        """Keep the raw message and the reason (committed), and say what to ack."""
        evidence_id = claimed_id(payload, self.max_payload_bytes)
        digest = self.media.put(payload)
        with self.sessions() as session:
            session.add(
                Quarantine(
                    topic=topic[:255],
                    device_id=topic_device[:255],
                    evidence_id=evidence_id,
                    reason_code=code[:32],
                    reason=reason,
                    size=len(payload),
                    payload_sha256=digest,
                )
            )
            session.commit()
        log.warning("quarantined message on %s (%d bytes): %s: %s", topic, len(payload), code, reason)
        return Ack(
            device=topic_device,
            status="rejected",
            ids=[evidence_id] if evidence_id else [],
            reason=reason,
            reason_code=code,
        )


def claimed_id(payload: bytes, max_bytes: int) -> str | None:
    """The evidence id a rejected payload claims, if it can be read, so the device can free it."""
    if len(payload) > max_bytes:
        return None
    try:
        doc = json.loads(payload)
        manifest = json.loads(base64.b64decode(doc["manifest"], validate=True))
        value = manifest["id"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return value if isinstance(value, str) and _ID.match(value) else None


def _case_row(bundle: Bundle, manifest_doc: dict[str, Any], manifest_sha: str) -> Case:
    m = bundle.manifest
    ev = m.event
    pixel = ev.pixel
    return Case(
        id=m.id,
        device_id=m.device,
        zone_id=m.zone,
        status="pending" if ev.enforceable else "statistics",
        received_at=utcnow(),
        created_utc=m.created_utc,
        t_start_utc=ev.t_start_utc,
        t_end_utc=ev.t_end_utc,
        azimuth_deg=ev.azimuth_deg,
        elevation_deg=ev.elevation_deg,
        pixel_x=pixel[0] if pixel else None,
        pixel_y=pixel[1] if pixel else None,
        confidence=ev.confidence,
        horn_probability=ev.horn_probability,
        spl_db=ev.spl_db,
        spl_calibrated=ev.spl_calibrated,
        inside_frame=ev.inside_frame,
        enforceable=ev.enforceable,
        conditions=list(ev.conditions),
        clock_synced=m.clock.synced,
        clock_source=m.clock.source,
        clock_offset_s=m.clock.offset_s,
        plate_text=m.plate.text,
        plate_source=m.plate.source,
        firmware=m.device_info.firmware,
        signature_ok=True,
        manifest=manifest_doc,
        manifest_bytes=bundle.manifest_bytes,
        manifest_sha256=manifest_sha,
        signature=base64.b64encode(bundle.signature).decode("ascii"),
        media=[
            CaseMedia(name=f.name, role=f.role, media_type=f.media_type, sha256=f.sha256, size=f.size)
            for f in m.files
        ],
    )
