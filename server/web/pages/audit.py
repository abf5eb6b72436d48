"""The audit log: every login, decision, plate correction and export, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from server.storage.models import AuditLog, User
from server.web.context import Db, page_user, render
from server.web.queries import deployment_tz

router = APIRouter()
PAGE_SIZE = 100


@router.get("/audit")
def audit_page(
    request: Request,
    db: Db,
    user: Annotated[User, Depends(page_user)],
    case: str = "",
    actor: str = "",
    action: str = "",
    page: int = 1,
) -> Response:
    query = select(AuditLog)
    if case:
        query = query.where(AuditLog.case_id == case.strip())
    if actor:
        query = query.where(AuditLog.actor == actor.strip())
    if action:
        query = query.where(AuditLog.action.startswith(action.strip()))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(page, 1)
    entries = db.scalars(
        query.order_by(AuditLog.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render(
        request,
        "audit.html",
        user,
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        tz_name=deployment_tz(db),
        case=case,
        actor=actor,
        action=action,
    )
