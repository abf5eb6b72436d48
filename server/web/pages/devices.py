"""Device status: online/offline, last heartbeat, queue depth, dead channels, clock, alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from server.storage.models import User
from server.web import queries
from server.web.context import Db, page_user, render
from server.web.device_status import device_state
from server.web.evidence import zone_name

router = APIRouter()


@router.get("/devices")
def devices_page(request: Request, db: Db, user: Annotated[User, Depends(page_user)]) -> Response:
    options = request.app.state.options
    now = datetime.now(UTC)
    states = [device_state(d, now, options.silent_after_s) for d in queries.devices(db)]
    states.sort(key=lambda s: (not s.alerts, s.device.id))
    return render(
        request,
        "devices.html",
        user,
        states=states,
        zones=queries.zone_map(db),
        zone_name=zone_name,
        silent_after_min=round(options.silent_after_s / 60),
        alert_count=sum(1 for s in states if s.alerts),
    )
