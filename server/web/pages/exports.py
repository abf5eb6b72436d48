"""Export of confirmed violations for the enforcement system (CSV for people, JSON for systems)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from server.storage.models import User
from server.web.context import Db, page_user, render
from server.web.export import confirmed_records, to_csv
from server.web.queries import deployment_tz, local_days
from server.web.review import audit

router = APIRouter()
PageUser = Annotated[User, Depends(page_user)]


def date_range(db: Session, date_from: str, date_to: str) -> tuple[datetime | None, datetime | None]:
    """Local calendar days (inclusive) as a UTC range, read in the deployment's wall clock."""
    try:
        first = date.fromisoformat(date_from) if date_from else None
        last = date.fromisoformat(date_to) if date_to else None
    except ValueError:
        raise HTTPException(400, "dates must be YYYY-MM-DD") from None
    return local_days(first, last, deployment_tz(db))


@router.get("/export")
def export_page(request: Request, db: Db, user: PageUser, date_from: str = "", date_to: str = "") -> Response:
    records = confirmed_records(db, *date_range(db, date_from, date_to))
    return render(request, "export.html", user, records=records, date_from=date_from, date_to=date_to)


@router.get("/export.csv")
def export_csv(db: Db, user: PageUser, date_from: str = "", date_to: str = "") -> Response:
    records = confirmed_records(db, *date_range(db, date_from, date_to))
    _audit_export(db, user, "csv", records)
    return Response(
        to_csv(records).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="honkwatch-confirmed.csv"'},
    )


@router.get("/export.json")
def export_json(db: Db, user: PageUser, date_from: str = "", date_to: str = "") -> Response:
    records = confirmed_records(db, *date_range(db, date_from, date_to))
    _audit_export(db, user, "json", records)
    return Response(
        json.dumps({"format": "honkwatch-export/1", "cases": records}, ensure_ascii=False, indent=1),
        media_type="application/json",
    )


def _audit_export(db: Session, user: User, fmt: str, records: list[dict]) -> None:
    """Who took which violations out of the system is part of the chain of custody."""
    audit(
        db,
        user,
        "case.export",
        detail={"format": fmt, "count": len(records), "ids": [r["id"] for r in records]},
    )
    db.commit()
