"""Editing one zone in the database (admin page and API) under the zones file's own rules.

An admin fixes a name, the enforcement hours or the devices of a zone without reloading the
TOML file. The edit is validated by the very fields of `ZoneEntry` (built from them, not
copied), so whatever the page accepts the file would accept too; every change is audited
with the old and the new values of the fields that changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict, ValidationError, create_model
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import UserFacingError
from server.storage.models import AuditLog, Device, User, Zone
from server.zones.loader import ZoneEntry, describe_errors

EDITABLE = ("name_zh", "name_en", "district", "district_zh", "hours", "devices")
"""What an admin may change, named as in the zones file. The id, time zone and polygon stay
with the file: cases and reports refer to them."""

ZoneEdit = create_model(
    "ZoneEdit",
    __config__=ConfigDict(extra="forbid"),
    **{name: (ZoneEntry.model_fields[name].annotation, ZoneEntry.model_fields[name]) for name in EDITABLE},
)


class ZoneEditError(UserFacingError):
    """An edit that breaks a zones-file rule; the message names the zone and the key."""


def zone_values(zone: Zone) -> dict[str, Any]:
    """The editable values of a zone row, keyed as in the zones file."""
    return {
        "name_zh": zone.name_zh,
        "name_en": zone.name_en,
        "district": zone.district,
        "district_zh": zone.district_zh,
        "hours": list(zone.hours or []),
        "devices": list(zone.device_ids or []),
    }


def edit_zone(
    session: Session, zone: Zone, changes: Mapping[str, Any], user: User | None
) -> dict[str, dict[str, Any]]:
    """Apply `changes` (any of `EDITABLE`) to `zone` and audit them (not committed).

    Returns ``{"old": {...}, "new": {...}}`` holding only the fields that changed (empty when
    nothing did; then nothing is written). Registered devices follow the zone's device list,
    as after ``honk-server zones load``. Raises `ZoneEditError` and changes nothing when the
    edit breaks a rule of the zones file.
    """
    old = zone_values(zone)
    try:
        new = ZoneEdit.model_validate({**old, **changes}).model_dump()
    except ValidationError as exc:
        raise ZoneEditError(f"zone {zone.id}: {describe_errors(exc)}") from None
    _check_devices_unclaimed(session, zone.id, new["devices"])
    changed = [key for key in EDITABLE if new[key] != old[key]]
    if not changed:
        return {}
    zone.name_zh, zone.name_en = new["name_zh"], new["name_en"]
    zone.district, zone.district_zh = new["district"], new["district_zh"]
    zone.hours, zone.device_ids = new["hours"], new["devices"]
    _reassign_devices(session, zone.id, old["devices"], new["devices"])
    diff = {"old": {k: old[k] for k in changed}, "new": {k: new[k] for k in changed}}
    session.add(
        AuditLog(
            user_id=user.id if user else None,
            actor=user.name if user else "server",
            action="zone.edit",
            target=zone.id,
            detail=diff,
        )
    )
    session.flush()
    return diff


def _check_devices_unclaimed(session: Session, zone_id: str, devices: list[str]) -> None:
    """A device belongs to one zone, the rule `ZoneFile` enforces across the file."""
    owners: dict[str, str] = {}
    for other in session.scalars(select(Zone).where(Zone.id != zone_id)):
        owners.update((d, other.id) for d in other.device_ids or [])
    for device in devices:
        if device in owners:
            raise ZoneEditError(f"zone {zone_id}: device {device} is in both {owners[device]} and {zone_id}")
        owners[device] = zone_id


def _reassign_devices(session: Session, zone_id: str, before: list[str], after: list[str]) -> None:
    for device in session.scalars(select(Device).where(Device.id.in_(set(before) | set(after)))):
        if device.id in after:
            device.zone_id = zone_id
        elif device.zone_id == zone_id:
            device.zone_id = None
