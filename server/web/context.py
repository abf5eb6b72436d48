"""Request-scoped dependencies: database session, current user, roles, CSRF, rendering.

Pages authenticate with the signed session cookie and must carry a CSRF token on every POST;
the API authenticates with `Authorization: Bearer <token>` only, so it needs no CSRF token
(a browser never attaches that header on its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from server.storage.models import ROLES, User
from server.storage.users import user_for_token
from server.web.i18n import HTML_LANG, Translator, pick_language
from server.web.queries import OPEN, CaseFilter, parse_filter
from server.web.security import WebSession

_bearer = HTTPBearer(
    auto_error=False,
    description="A per-user API token: printed once by `honk-server user add NAME --role ROLE`; more with `honk-server user token NAME`",
)


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class PageForbidden(Exception):
    """The user is logged in but their role does not allow the page; rendered as a 403 page."""

    def __init__(self, user: User) -> None:
        self.user = user


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as db:
        yield db


Db = Annotated[Session, Depends(get_db)]


def web_session(request: Request) -> WebSession:
    return request.state.web_session


def has_role(user: User, minimum: str) -> bool:
    """Roles are ordered: reviewer < supervisor < admin."""
    return ROLES.index(user.role) >= ROLES.index(minimum)


def page_user(request: Request, db: Db) -> User:
    """The logged-in, active user of a page request, or a redirect to the login page."""
    user_id = web_session(request).user_id
    user = db.get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(quote(target, safe="/?=&"))
    return user


def session_user(request: Request) -> User | None:
    """The logged-in, active user if any, else None (never a redirect).

    For the error pages, which are rendered outside the routes' dependencies but should still
    show an officer the navigation to get back to work.
    """
    session = getattr(request.state, "web_session", None)
    if session is None or session.user_id is None:
        return None
    with request.app.state.sessions() as db:
        user = db.get(User, session.user_id)
        return user if user is not None and user.active else None


def page_role(minimum: str) -> Any:
    """Dependency: a page user with at least role `minimum`."""

    def check(user: Annotated[User, Depends(page_user)]) -> User:
        if not has_role(user, minimum):
            raise PageForbidden(user)
        return user

    return Depends(check)


def csrf_checked(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every POST form carries the session's CSRF token; a forged cross-site post does not."""
    if not web_session(request).csrf_ok(csrf_token):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")


CsrfChecked = Depends(csrf_checked)


def api_user(db: Db, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User:
    """The owner of a valid bearer token; 401 otherwise."""
    user = user_for_token(db, credentials.credentials) if credentials else None
    if user is None:
        raise HTTPException(
            401, "a valid API token is required", headers={"WWW-Authenticate": 'Bearer realm="honkwatch"'}
        )
    db.commit()  # records the token's last use
    return user


def api_role(minimum: str) -> Any:
    """Dependency: an API caller with at least role `minimum`; 403 otherwise."""

    def check(user: Annotated[User, Depends(api_user)]) -> User:
        if not has_role(user, minimum):
            raise HTTPException(403, f"this needs the {minimum} role; you are {user.role}")
        return user

    return Depends(check)


def language(request: Request, user: User | None = None) -> str:
    options = request.app.state.options
    return pick_language(
        request.cookies.get("hw_lang"), user.language if user else None, options.default_language
    )


def render(
    request: Request, template: str, user: User | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page in the user's language, with the CSRF token and the navigation filled in."""
    lang = language(request, user)
    context.update(
        request=request,
        user=user,
        t=Translator(lang),
        lang=lang,
        html_lang=HTML_LANG[lang],
        csrf_token=web_session(request).csrf,
        can=lambda role: user is not None and has_role(user, role),
    )
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def case_filter(
    zone: str = "",
    device: str = "",
    status: Annotated[str, Query(description="open (default), all, or one case status")] = OPEN,
    date_from: Annotated[str, Query(description="YYYY-MM-DD, zone-local")] = "",
    date_to: Annotated[str, Query(description="YYYY-MM-DD, zone-local, inclusive")] = "",
    min_confidence: str = "",
) -> CaseFilter:
    """The review queue's filters from query parameters; 400 naming the bad one."""
    try:
        return parse_filter(zone, device, status, date_from, date_to, min_confidence)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


QueueFilter = Annotated[CaseFilter, Depends(case_filter)]
