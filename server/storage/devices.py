"""Device registry: add, revoke, list, and the public key the ingest checks signatures with."""

from __future__ import annotations

import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from edge.evidence.bundle import ID_PATTERN
from edge.evidence.keys import public_key_from_b64
from server.errors import UserFacingError
from server.storage.models import AuditLog, Device, Zone, utcnow

DEVICE_ID = re.compile(ID_PATTERN)  # the same rule as the manifest's `device`


class DeviceError(UserFacingError):
    """A device request that cannot be done (bad id or key, unknown device, ...)."""


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The key from base64 of the 32 raw bytes (what `honk-edge keys show` prints)."""
    try:
        return public_key_from_b64(text)
    except ValueError as exc:
        raise DeviceError(str(exc)) from None


def add_device(
    session: Session, device_id: str, public_key: str, zone_id: str | None = None, description: str = ""
) -> Device:
    """Register a device (not committed); a revoked device can be re-registered with a new key.

    Without `zone_id`, the device joins the zone whose zone-file entry lists it, if any.
    """
    if not DEVICE_ID.match(device_id):
        raise DeviceError(f"device id {device_id!r} must be 1-64 characters of [0-9A-Za-z_-]")
    parse_public_key(public_key)
    if zone_id is not None and session.get(Zone, zone_id) is None:
        raise DeviceError(f"unknown zone {zone_id!r}; load zones first (honk-server zones load)")
    if zone_id is None:
        zone_id = zone_listing(session, device_id)
    device = session.get(Device, device_id)
    if device is not None and not device.revoked:
        raise DeviceError(f"device {device_id!r} is already registered (revoke it first to change its key)")
    if device is None:
        device = Device(id=device_id, public_key=public_key.strip())
        session.add(device)
    device.public_key = public_key.strip()
    device.zone_id = zone_id
    device.description = description
    device.revoked = False
    device.revoked_at = None
    device.registered_at = utcnow()
    session.add(AuditLog(actor="cli", action="device.add", target=device_id, detail={"zone": zone_id}))
    session.flush()
    return device


def zone_listing(session: Session, device_id: str) -> str | None:
    """The id of the zone whose configured `device_ids` include `device_id`, if any."""
    for zone in session.scalars(select(Zone).order_by(Zone.id)):
        if device_id in (zone.device_ids or []):
            return zone.id
    return None


def revoke_device(session: Session, device_id: str, reason: str = "") -> Device:
    """Revoke a device (not committed): from now on its evidence is quarantined."""
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceError(f"unknown device {device_id!r}")
    device.revoked = True
    device.revoked_at = utcnow()
    session.add(AuditLog(actor="cli", action="device.revoke", target=device_id, reason=reason))
    session.flush()
    return device


def list_devices(session: Session) -> list[Device]:
    """Every registered device, revoked ones included, by id."""
    return list(session.scalars(select(Device).order_by(Device.id)))
