"""Zone administration: the zones with their hours and devices, and editing one (admins only).

The rules are the zones file's (`server.zones.editing`); this module only turns the form into
zones-file values and back.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from server.storage.models import User, Zone
from server.web import queries
from server.web.context import CsrfChecked, Db, page_role, render
from server.zones.editing import ZoneEditError, edit_zone, zone_values

router = APIRouter()
Admin = Annotated[User, page_role("admin")]
BLANK_WINDOWS = 2  # empty rows offered for new enforcement windows


def _zone(db: Db, zone_id: str) -> Zone:
    zone = db.get(Zone, zone_id)
    if zone is None:
        raise HTTPException(404, f"no zone {zone_id}")
    return zone


def form_values(form: FormData) -> dict[str, Any]:
    """Zones-file values from the edit form; blank window rows are dropped, the rest validated later."""
    hours = []
    row = 0
    while f"start_{row}" in form:
        days, start, end = form.getlist(f"days_{row}"), str(form[f"start_{row}"]), str(form[f"end_{row}"])
        if days or start.strip() or end.strip():
            hours.append({"days": days, "start": start.strip(), "end": end.strip()})
        row += 1
    return {
        **{key: str(form.get(key, "")).strip() for key in ("name_zh", "name_en", "district", "district_zh")},
        "hours": hours,
        "devices": [d for d in re.split(r"[\s,，]+", str(form.get("devices", ""))) if d],
    }


def _edit_page(request: Request, admin: User, zone: Zone, values: dict[str, Any], **extra: Any) -> Response:
    windows = [{**w, "days": [str(d) for d in w["days"]]} for w in values["hours"]]
    windows += [{"days": [], "start": "", "end": ""}] * BLANK_WINDOWS
    return render(request, "admin_zone.html", admin, zone=zone, values=values, windows=windows, **extra)


@router.get("/admin/zones")
def zones(request: Request, db: Db, admin: Admin, saved: str = "") -> Response:
    return render(request, "admin_zones.html", admin, zones=queries.zones(db), saved=saved)


@router.get("/admin/zones/{zone_id}")
def zone_form(request: Request, zone_id: str, db: Db, admin: Admin) -> Response:
    zone = _zone(db, zone_id)
    return _edit_page(request, admin, zone, zone_values(zone))


@router.post("/admin/zones/{zone_id}", dependencies=[CsrfChecked])
async def save_zone(request: Request, zone_id: str, db: Db, admin: Admin) -> Response:
    """Save the edit (audited) and go back to the list; a rule broken re-shows the form with the reason."""
    zone = _zone(db, zone_id)
    values = form_values(await request.form())
    try:
        changed = edit_zone(db, zone, values, admin)
    except ZoneEditError as exc:
        db.rollback()
        return _edit_page(request, admin, zone, values, error_text=str(exc), status_code=400)
    db.commit()
    return RedirectResponse(f"/admin/zones?saved={zone_id if changed else ''}", status_code=303)
