"""Reading cases, devices and zones for pages and the API (one query per question).

The review queue filter lives here once, so the page, the API and the export agree on what
"pending cases in Z01 above 0.9 confidence last Tuesday" means.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from server.reports.periods import zone_tz
from server.storage.models import CASE_STATUSES, Case, Device, Zone
from server.web.review import OPEN_STATUSES

OPEN = "open"
"""Pseudo-status of the queue's default view: pending plus waiting for a second reviewer."""


@dataclass
class CaseFilter:
    """The review queue's filters; dates are local calendar days in `tz` (inclusive)."""

    zone: str = ""
    device: str = ""
    status: str = OPEN
    date_from: date | None = None
    date_to: date | None = None
    min_confidence: float | None = None

    def query_string(self) -> str:
        """The filter as URL parameters, so the case page can keep the officer's queue."""
        default = CaseFilter()
        return "&".join(
            f"{f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        )


def parse_filter(
    zone: str = "",
    device: str = "",
    status: str = OPEN,
    date_from: str = "",
    date_to: str = "",
    min_confidence: str = "",
) -> CaseFilter:
    """Build a filter from query parameters, raising ValueError naming the bad one."""
    if status not in (OPEN, "all", *CASE_STATUSES):
        raise ValueError(f"unknown status {status!r}")
    try:
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_to) if date_to else None
    except ValueError:
        raise ValueError("dates must be YYYY-MM-DD") from None
    try:
        conf = float(min_confidence) if min_confidence else None
    except ValueError:
        raise ValueError("minimum confidence must be a number between 0 and 1") from None
    if conf is not None and not 0.0 <= conf <= 1.0:
        raise ValueError("minimum confidence must be a number between 0 and 1")
    return CaseFilter(zone.strip(), device.strip(), status, start, end, conf)


def local_days(
    first: date | None, last: date | None, tz_name: str
) -> tuple[datetime | None, datetime | None]:
    """Local calendar days `first`..`last` (inclusive, either open) as a [start, end) UTC range."""
    tz = zone_tz(tz_name)
    start = datetime.combine(first, time.min, tz).astimezone(UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, tz).astimezone(UTC) if last else None
    return start, end


def filtered_cases(flt: CaseFilter, tz_name: str) -> Select[tuple[Case]]:
    """Cases matching `flt`, oldest first (the queue is worked first in, first out)."""
    query = select(Case)
    if flt.status == OPEN:
        query = query.where(Case.status.in_(OPEN_STATUSES))
    elif flt.status != "all":
        query = query.where(Case.status == flt.status)
    if flt.zone:
        query = query.where(Case.zone_id == flt.zone)
    if flt.device:
        query = query.where(Case.device_id == flt.device)
    start, end = local_days(flt.date_from, flt.date_to, tz_name)
    if start is not None:
        query = query.where(Case.t_start_utc >= start)
    if end is not None:
        query = query.where(Case.t_start_utc < end)
    if flt.min_confidence is not None:
        query = query.where(Case.confidence >= flt.min_confidence)
    return query.order_by(Case.t_start_utc, Case.id)


def list_cases(
    db: Session, flt: CaseFilter, tz_name: str, limit: int, offset: int = 0
) -> tuple[list[Case], int]:
    """One page of matching cases (with media and reviews loaded) and the total count."""
    query = filtered_cases(flt, tz_name)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.scalars(
        query.options(selectinload(Case.media), selectinload(Case.reviews)).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def neighbours(db: Session, case: Case, flt: CaseFilter, tz_name: str) -> tuple[str | None, str | None]:
    """The ids of the cases before and after `case` in the officer's filtered queue (J/K keys)."""
    query = filtered_cases(flt, tz_name).with_only_columns(Case.id)
    key = (Case.t_start_utc, Case.id)
    before = db.scalar(
        query.where((key[0] < case.t_start_utc) | ((key[0] == case.t_start_utc) & (key[1] < case.id)))
        .order_by(None)
        .order_by(Case.t_start_utc.desc(), Case.id.desc())
        .limit(1)
    )
    after = db.scalar(
        query.where((key[0] > case.t_start_utc) | ((key[0] == case.t_start_utc) & (key[1] > case.id))).limit(
            1
        )
    )
    return before, after


def load_case(db: Session, case_id: str) -> Case | None:
    return db.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(selectinload(Case.media), selectinload(Case.reviews), selectinload(Case.device))
    )


def zones(db: Session) -> list[Zone]:
    return list(db.scalars(select(Zone).order_by(Zone.id)).all())


def devices(db: Session) -> list[Device]:
    return list(db.scalars(select(Device).order_by(Device.id)).all())


def zone_map(db: Session) -> dict[str, Zone]:
    return {z.id: z for z in zones(db)}


def filter_tz(db: Session, flt: CaseFilter) -> str:
    """Dates in a filter are read in the chosen zone's wall clock, else the deployment's."""
    zone = db.get(Zone, flt.zone) if flt.zone else None
    return zone.tz if zone else deployment_tz(db)


def deployment_tz(db: Session) -> str:
    """The wall clock of pages that span zones (audit log, exports): the first zone's, else UTC."""
    return db.scalar(select(Zone.tz).order_by(Zone.id).limit(1)) or "UTC"
