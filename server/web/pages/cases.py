"""The review queue, the case page and the reviewer's actions on a case."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from server.storage.models import CASE_STATUSES, AuditLog, User
from server.web import queries
from server.web.context import CsrfChecked, Db, QueueFilter, case_filter, language, page_user, render
from server.web.evidence import district_name, media_url, zone_name
from server.web.formatting import PlateError
from server.web.review import OPEN_STATUSES, REJECT_REASONS, ReviewError, correct_plate, decide

router = APIRouter()
PAGE_SIZE = 50
PageUser = Annotated[User, Depends(page_user)]


@router.get("/queue")
def queue(
    request: Request,
    db: Db,
    user: PageUser,
    flt: QueueFilter,
    page: int = 1,
) -> Response:
    page = max(page, 1)
    cases, total = queries.list_cases(db, flt, queries.filter_tz(db, flt), PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return render(
        request,
        "queue.html",
        user,
        cases=cases,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        flt=flt,
        zones=queries.zone_map(db),
        devices=queries.devices(db),
        statuses=(queries.OPEN, *CASE_STATUSES, "all"),
        zone_name=zone_name,
    )


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    case_id: str,
    db: Db,
    user: PageUser,
    flt: QueueFilter,
    error: str = "",
) -> Response:
    case = queries.load_case(db, case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    before, after = queries.neighbours(db, case, flt, queries.filter_tz(db, flt))
    zone_row = queries.zone_map(db).get(case.zone_id)
    history = db.scalars(select(AuditLog).where(AuditLog.case_id == case.id).order_by(AuditLog.id)).all()
    already_confirmed = any(r.user_id == user.id and r.decision == "confirm" for r in case.reviews)
    return render(
        request,
        "case.html",
        user,
        case=case,
        zone=zone_row,
        zone_label=zone_name(zone_row, case.zone_id, language(request, user)),
        district_label=district_name(zone_row, language(request, user)),
        tz_name=zone_row.tz if zone_row else "UTC",
        media={role: media_url(m.sha256) for role, m in case.media_by_role().items()},
        before=before,
        after=after,
        qs=flt.query_string(),
        history=history,
        reasons=REJECT_REASONS,
        error=error,
        is_open=case.status in OPEN_STATUSES,
        can_decide=case.status in OPEN_STATUSES and not already_confirmed,
        second_review=request.app.state.options.second_review,
    )


def _back(case_id: str, qs: str, error: str = "") -> RedirectResponse:
    query = "&".join(p for p in (qs, f"error={error}" if error else "") if p)
    return RedirectResponse(f"/cases/{case_id}" + (f"?{query}" if query else ""), status_code=303)


@router.post("/cases/{case_id}/decide", dependencies=[CsrfChecked])
def decide_case(
    request: Request,
    case_id: str,
    db: Db,
    user: PageUser,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    plate: Annotated[str, Form()] = "",
    qs: Annotated[str, Form()] = "",
) -> Response:
    """Confirm or reject, then go straight to the next case of the officer's queue."""
    case = queries.load_case(db, case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    flt = case_filter(**_qs_params(qs))
    _, after = queries.neighbours(db, case, flt, queries.filter_tz(db, flt))
    full_reason = ": ".join(p for p in (reason.strip(), note.strip()) if p)
    try:
        decide(
            db,
            case,
            user,
            decision,
            reason=full_reason,
            plate=plate,
            second_review=request.app.state.options.second_review,
        )
    except ReviewError as exc:
        db.rollback()
        return _back(case_id, qs, exc.code)
    db.commit()
    if after is not None:
        return RedirectResponse(f"/cases/{after}" + (f"?{qs}" if qs else ""), status_code=303)
    return RedirectResponse("/queue" + (f"?{qs}" if qs else ""), status_code=303)


@router.post("/cases/{case_id}/plate", dependencies=[CsrfChecked])
def set_plate(
    case_id: str,
    db: Db,
    user: PageUser,
    plate: Annotated[str, Form()] = "",
    qs: Annotated[str, Form()] = "",
) -> Response:
    case = queries.load_case(db, case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id}")
    try:
        correct_plate(db, case, user, plate)
    except PlateError:
        db.rollback()
        return _back(case_id, qs, "bad_plate")
    db.commit()
    return _back(case_id, qs)


def _qs_params(qs: str) -> dict[str, str]:
    """The queue filter carried through a form as a query string."""
    allowed = {"zone", "device", "status", "date_from", "date_to", "min_confidence"}
    return {k: v for k, v in parse_qsl(qs) if k in allowed}
