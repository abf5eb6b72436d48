"""Reading what the reports count from the database: zones and the start times of their cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.reports.aggregate import ZoneInfoRow
from server.reports.periods import zone_tz
from server.storage.models import Case, Zone

BASES = {
    # Violations officers confirmed: what notices and fines are based on.
    "confirmed": ("confirmed",),
    # Every horn the devices caught except the ones reviewers rejected as false alarms,
    # including events kept for statistics only (outside hours, wind): how much honking there is.
    "detected": ("pending", "needs_second", "confirmed", "statistics"),
}


def report_zones(db: Session, lang: str = "en") -> list[ZoneInfoRow]:
    """Every configured zone with its district and wall clock, named in `lang`."""
    return [
        ZoneInfoRow(
            z.id,
            z.name_zh if lang == "zh" else z.name_en,
            z.district_zh if lang == "zh" else z.district,
            zone_tz(z.tz),
        )
        for z in db.scalars(select(Zone).order_by(Zone.id))
    ]


def case_times(
    db: Session, start: datetime, end: datetime, basis: str = "confirmed"
) -> list[tuple[str, datetime]]:
    """(zone id, honk start) of the cases counted under `basis`, in [start, end) UTC."""
    if basis not in BASES:
        raise ValueError(f"unknown report basis {basis!r}; use {' or '.join(BASES)}")
    rows = db.execute(
        select(Case.zone_id, Case.t_start_utc).where(
            Case.status.in_(BASES[basis]), Case.t_start_utc >= start, Case.t_start_utc < end
        )
    )
    return [(zone_id, moment) for zone_id, moment in rows]
