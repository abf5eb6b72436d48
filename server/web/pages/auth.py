"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from server.storage.models import LANGUAGES, User
from server.storage.users import authenticate
from server.web.context import CsrfChecked, Db, render, web_session
from server.web.review import audit
from server.web.security import WebSession

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only same-site paths: a login link must not bounce an officer to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/queue"
    return target


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "/queue") -> Response:
    return render(request, "login.html", None, next=safe_next(next), error=None)


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    db: Db,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    user = authenticate(db, username.strip(), password)
    if user is None:
        audit(db, None, "user.login_failed", target=username.strip()[:128])
        db.commit()
        return render(
            request, "login.html", None, status_code=401, next=safe_next(next), error="login.failed"
        )
    audit(db, user, "user.login", target=user.name)
    db.commit()
    # A fresh CSRF token at login: a token seen before authentication is never reused after it.
    request.state.web_session = WebSession(user_id=user.id)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    request.state.web_session = WebSession()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{language}")
def switch_language(request: Request, language: str, db: Db, next: str = "/queue") -> Response:
    """Switch the interface language; remembered in a cookie and in the user's profile."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if language not in LANGUAGES:
        return response
    response.set_cookie("hw_lang", language, max_age=365 * 86400, samesite="lax", httponly=True)
    user_id = web_session(request).user_id
    user = db.get(User, user_id) if user_id is not None else None
    if user is not None and user.language != language:
        user.language = language
        db.commit()
    return response
