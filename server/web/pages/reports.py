"""Half-month reports per zone and district with charts, the rectification list, hourly patterns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from server.reports import service
from server.reports.export import half_month_csv, hourly_csv
from server.reports.periods import HalfMonth
from server.reports.source import BASES, report_zones
from server.storage.models import User
from server.web import charts, queries
from server.web.context import Db, language, page_role, render

router = APIRouter()
Supervisor = Annotated[User, page_role("supervisor")]


def _period(db: Session, label: str) -> HalfMonth:
    if not label:
        return service.current_period(db)
    try:
        return HalfMonth.parse(label)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _basis(basis: str) -> str:
    if basis not in BASES:
        raise HTTPException(400, f"unknown basis {basis!r}; use {' or '.join(BASES)}")
    return basis


@router.get("/reports")
def reports_page(
    request: Request, db: Db, user: Supervisor, period: str = "", basis: str = "confirmed"
) -> Response:
    lang = language(request, user)
    half = _period(db, period)
    basis = _basis(basis)
    report = service.half_month(db, half, basis, lang)
    pattern = service.hourly(db, half, basis, lang)
    periods, trend = service.trend(db, half, 6, basis, lang)
    names = {z.key: z.name for z in report.zones}
    return render(
        request,
        "reports.html",
        user,
        report=report,
        period=half,
        basis=basis,
        bases=list(BASES),
        zone_chart=charts.paired_bars(
            [z.key for z in report.zones],
            [z.current for z in report.zones],
            [z.previous for z in report.zones],
            "zones",
        ),
        district_chart=charts.paired_bars(
            [d.name for d in report.districts],
            [d.current for d in report.districts],
            [d.previous for d in report.districts],
            "districts",
        ),
        trend_chart=charts.lines([p.label for p in periods], trend, "trend"),
        pattern=pattern,
        pattern_peak=max([max(v) for v in pattern.values()] + [0]),
        names=names,
        heat=charts.heat,
        example_zones=any(z.example for z in queries.zones(db)),
    )


@router.get("/reports/half-month.csv")
def report_csv(
    db: Db, user: Supervisor, request: Request, period: str = "", basis: str = "confirmed"
) -> Response:
    half = _period(db, period)
    report = service.half_month(db, half, _basis(basis), language(request, user))
    return _csv(half_month_csv(report), f"honkwatch-{half.label}-{basis}.csv")


@router.get("/reports/hourly.csv")
def hourly_report_csv(
    db: Db, user: Supervisor, request: Request, period: str = "", basis: str = "confirmed"
) -> Response:
    half = _period(db, period)
    lang = language(request, user)
    pattern = service.hourly(db, half, _basis(basis), lang)
    names = {z.zone_id: z.name for z in report_zones(db, lang)}
    return _csv(hourly_csv(pattern, names), f"honkwatch-hourly-{half.label}-{basis}.csv")


def _csv(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
