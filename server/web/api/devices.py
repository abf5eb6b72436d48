"""Devices and zones over the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request

from server.storage.models import User, Zone
from server.web import queries
from server.web.api.schemas import DeviceOut, ZoneChangeIn, ZoneOut
from server.web.context import Db, api_role
from server.web.device_status import device_state
from server.web.formatting import iso_utc
from server.zones.editing import ZoneEditError, edit_zone

router = APIRouter()
Reviewer = Annotated[User, api_role("reviewer")]
Admin = Annotated[User, api_role("admin")]


@router.get("/devices", response_model=list[DeviceOut], tags=["devices"])
def list_devices(request: Request, db: Db, user: Reviewer) -> list[DeviceOut]:
    now = datetime.now(UTC)
    silent_after = request.app.state.options.silent_after_s
    out = []
    for device in queries.devices(db):
        state = device_state(device, now, silent_after)
        out.append(
            DeviceOut(
                id=device.id,
                zone_id=device.zone_id,
                status=device.status,
                online=state.online,
                revoked=device.revoked,
                last_seen=iso_utc(device.last_seen),
                last_heartbeat=iso_utc(device.last_health_at),
                silent_s=state.silent_s,
                queue_depth=device.queue_depth,
                dead_channels=device.dead_channels or [],
                clock_offset_s=device.clock_offset_s,
                clock_synced=device.clock_synced,
                alerts=state.alerts,
                conditions=state.conditions,
            )
        )
    return out


def _zone_out(z: Zone) -> ZoneOut:
    return ZoneOut(
        id=z.id,
        name_zh=z.name_zh,
        name_en=z.name_en,
        district=z.district,
        district_zh=z.district_zh,
        tz=z.tz,
        hours=z.hours or [],
        geometry=z.geometry or {},
        device_ids=z.device_ids or [],
    )


@router.get("/zones", response_model=list[ZoneOut], tags=["zones"])
def list_zones(db: Db, user: Reviewer) -> list[ZoneOut]:
    return [_zone_out(z) for z in queries.zones(db)]


@router.patch("/zones/{zone_id}", response_model=ZoneOut, tags=["zones"])
def change_zone(zone_id: str, body: ZoneChangeIn, db: Db, user: Admin) -> ZoneOut:
    """Change a zone's names, district, hours or devices (admins; audited as ``zone.edit``)."""
    zone = db.get(Zone, zone_id)
    if zone is None:
        raise HTTPException(404, f"no zone {zone_id}")
    try:
        edit_zone(db, zone, body.model_dump(exclude_unset=True), user)
    except ZoneEditError as exc:
        raise HTTPException(422, {"code": "bad_zone", "message": str(exc)}) from None
    db.commit()
    return _zone_out(zone)
