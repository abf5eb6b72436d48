"""Half-month and hourly reports over the API (supervisors and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from server.reports import service
from server.reports.aggregate import PeriodCount
from server.reports.periods import HalfMonth
from server.reports.source import BASES
from server.storage.models import User
from server.web.api.schemas import HalfMonthReportOut, HourlyOut, PeriodCountOut
from server.web.context import Db, api_role

router = APIRouter(tags=["reports"])
Supervisor = Annotated[User, api_role("supervisor")]
PeriodQuery = Annotated[str, Query(description="YYYY-MM-H1 or YYYY-MM-H2; default: the current half-month")]
BasisQuery = Annotated[str, Query(description="confirmed (default) or detected")]


def _args(db: Db, period: str, basis: str) -> HalfMonth:
    if basis not in BASES:
        raise HTTPException(400, f"unknown basis {basis!r}; use {' or '.join(BASES)}")
    try:
        return HalfMonth.parse(period) if period else service.current_period(db)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _row(row: PeriodCount) -> PeriodCountOut:
    return PeriodCountOut(
        id=row.key,
        name=row.name,
        district=row.district,
        count=row.current,
        previous=row.previous,
        rate=row.rate,
        worse=row.worse,
    )


@router.get("/reports/half-month", response_model=HalfMonthReportOut)
def half_month(
    db: Db, user: Supervisor, period: PeriodQuery = "", basis: BasisQuery = "confirmed", lang: str = "en"
) -> HalfMonthReportOut:
    half = _args(db, period, basis)
    report = service.half_month(db, half, basis, lang)
    return HalfMonthReportOut(
        period=half.label,
        previous_period=half.previous().label,
        basis=basis,
        zones=[_row(z) for z in report.zones],
        districts=[_row(d) for d in report.districts],
        rectification=[z.key for z in report.worse_zones],
    )


@router.get("/reports/hourly", response_model=HourlyOut)
def hourly(db: Db, user: Supervisor, period: PeriodQuery = "", basis: BasisQuery = "confirmed") -> HourlyOut:
    half = _args(db, period, basis)
    return HourlyOut(period=half.label, basis=basis, zones=service.hourly(db, half, basis))
