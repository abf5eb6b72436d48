"""Cases, review actions, the audit log, exports and evidence files over the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from server.storage.models import AuditLog, Case, User
from server.web import queries
from server.web.api.schemas import AuditOut, CaseList, CaseOut, ExportOut, PlateIn, ReviewIn
from server.web.context import Db, QueueFilter, api_role
from server.web.evidence import case_record
from server.web.export import confirmed_records
from server.web.formatting import PlateError, iso_utc
from server.web.pages.exports import date_range
from server.web.pages.media import media_response
from server.web.review import ReviewError, audit, correct_plate, decide

router = APIRouter()
Reviewer = Annotated[User, api_role("reviewer")]
Supervisor = Annotated[User, api_role("supervisor")]


def _case_or_404(db: Db, case_id: str) -> Case:
    case = queries.load_case(db, case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    return case


def _out(db: Db, case: Case) -> CaseOut:
    return CaseOut(**case_record(case, queries.zone_map(db).get(case.zone_id), api=True))


@router.get("/cases", response_model=CaseList, tags=["cases"])
def list_cases(
    db: Db,
    user: Reviewer,
    flt: QueueFilter,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CaseList:
    cases, total = queries.list_cases(db, flt, queries.filter_tz(db, flt), limit, offset)
    zones = queries.zone_map(db)
    return CaseList(
        total=total, cases=[CaseOut(**case_record(c, zones.get(c.zone_id), api=True)) for c in cases]
    )


@router.get("/cases/{case_id}", response_model=CaseOut, tags=["cases"])
def get_case(case_id: str, db: Db, user: Reviewer) -> CaseOut:
    return _out(db, _case_or_404(db, case_id))


@router.post("/cases/{case_id}/review", response_model=CaseOut, tags=["cases"])
def review_case(case_id: str, body: ReviewIn, request: Request, db: Db, user: Reviewer) -> CaseOut:
    """Confirm or reject; with the second-reviewer rule on, the first confirmation gives `needs_second`."""
    case = _case_or_404(db, case_id)
    try:
        decide(
            db,
            case,
            user,
            body.decision,
            reason=body.reason,
            plate=body.plate,
            second_review=request.app.state.options.second_review,
        )
    except ReviewError as exc:
        db.rollback()
        raise HTTPException(
            409 if exc.code in ("already_decided", "same_reviewer") else 422,
            {"code": exc.code, "message": str(exc)},
        ) from None
    db.commit()
    return _out(db, case)


@router.post("/cases/{case_id}/plate", response_model=CaseOut, tags=["cases"])
def set_plate(case_id: str, body: PlateIn, db: Db, user: Reviewer) -> CaseOut:
    case = _case_or_404(db, case_id)
    try:
        correct_plate(db, case, user, body.plate)
    except PlateError as exc:
        db.rollback()
        raise HTTPException(422, {"code": "bad_plate", "message": f"not a Chinese plate: {exc}"}) from None
    db.commit()
    return _out(db, case)


def _audit_out(entry: AuditLog) -> AuditOut:
    return AuditOut(
        id=entry.id,
        at=iso_utc(entry.at),
        actor=entry.actor,
        action=entry.action,
        case_id=entry.case_id,
        target=entry.target,
        reason=entry.reason,
        detail=entry.detail or {},
    )


@router.get("/cases/{case_id}/audit", response_model=list[AuditOut], tags=["cases"])
def case_audit(case_id: str, db: Db, user: Reviewer) -> list[AuditOut]:
    _case_or_404(db, case_id)
    rows = db.scalars(select(AuditLog).where(AuditLog.case_id == case_id).order_by(AuditLog.id))
    return [_audit_out(e) for e in rows]


@router.get("/audit", response_model=list[AuditOut], tags=["audit"])
def audit_log(
    db: Db,
    user: Supervisor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    before_id: Annotated[int | None, Query(description="page backwards from this entry id")] = None,
) -> list[AuditOut]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    return [_audit_out(e) for e in db.scalars(query)]


@router.get("/exports/confirmed", response_model=ExportOut, tags=["exports"])
def export_confirmed(db: Db, user: Reviewer, date_from: str = "", date_to: str = "") -> ExportOut:
    """Confirmed violations with evidence links, for the enforcement system (audited)."""
    records = confirmed_records(db, *date_range(db, date_from, date_to), api=True)
    audit(
        db,
        user,
        "case.export",
        detail={"format": "api", "count": len(records), "ids": [r["id"] for r in records]},
    )
    db.commit()
    return ExportOut(cases=[CaseOut(**r) for r in records])


@router.get("/media/{sha256}", tags=["cases"], response_class=Response)
def media(sha256: str, request: Request, db: Db, user: Reviewer) -> Response:
    """An evidence file by its SHA-256 (as listed in the case's `media`); supports Range."""
    return media_response(request, db, sha256)
