"""Administration: people and their API tokens (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.storage.models import ROLES, ApiToken, User
from server.storage.users import MIN_PASSWORD, UserError, create_user, issue_token, revoke_token, set_active
from server.web.context import CsrfChecked, Db, page_role, render
from server.web.review import audit

router = APIRouter()
Admin = Annotated[User, page_role("admin")]


def _users_page(request: Request, db: Db, admin: User, **extra: object) -> Response:
    users = db.scalars(select(User).options(selectinload(User.tokens)).order_by(User.name)).all()
    return render(
        request, "admin_users.html", admin, users=users, roles=ROLES, min_password=MIN_PASSWORD, **extra
    )


@router.get("/admin/users")
def users(request: Request, db: Db, admin: Admin) -> Response:
    return _users_page(request, db, admin)


@router.post("/admin/users", dependencies=[CsrfChecked])
def add_user(
    request: Request,
    db: Db,
    admin: Admin,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    if len(password) < MIN_PASSWORD:
        return _users_page(request, db, admin, error="admin.password_short")
    try:
        user = create_user(db, name.strip(), role, password)
    except UserError as exc:
        db.rollback()
        return _users_page(request, db, admin, error_text=str(exc))
    audit(db, admin, "user.add", target=user.name, detail={"role": role})
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/token", dependencies=[CsrfChecked])
def new_token(request: Request, user_id: int, db: Db, admin: Admin) -> Response:
    """A new API token, shown once on the page that answers this post."""
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(404, "no such user")
    token = issue_token(db, user)
    audit(db, admin, "user.token", target=user.name)
    db.commit()
    return _users_page(request, db, admin, new_token=token, token_user=user.name)


@router.post("/admin/users/{user_id}/active", dependencies=[CsrfChecked])
def change_active(
    request: Request, user_id: int, db: Db, admin: Admin, active: Annotated[bool, Form()]
) -> Response:
    """Deactivate (or reactivate) a user: no login, no API; an admin cannot lock themselves out."""
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(404, "no such user")
    if user.id == admin.id and not active:
        return _users_page(request, db, admin, error="admin.not_yourself")
    if set_active(db, user, active):
        audit(
            db,
            admin,
            "user.activate" if active else "user.deactivate",
            target=user.name,
            detail={"old": {"active": not active}, "new": {"active": active}},
        )
        db.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke(token_id: int, db: Db, admin: Admin) -> Response:
    """Revoke one API token at once; its prefix stays listed as revoked."""
    token = db.get(ApiToken, token_id)
    if token is None:
        raise HTTPException(404, "no such token")
    if revoke_token(db, token):
        audit(db, admin, "user.token_revoke", target=token.user.name, detail={"token": token.prefix})
        db.commit()
    return RedirectResponse("/admin/users", status_code=303)
