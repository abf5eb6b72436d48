"""The FastAPI application: review pages, device status, reports, exports and `/api/v1`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.config import ServerConfig
from server.media import FileMediaStore, MediaStore
from server.storage.db import make_engine, session_factory
from server.web import filters
from server.web.api import router as api_router
from server.web.api_docs import install_docs
from server.web.context import LoginRequired, PageForbidden, render, session_user
from server.web.options import web_options
from server.web.pages import router as pages_router
from server.web.security import SESSION_COOKIE, SESSION_MAX_AGE_S, SessionCodec, WebSession

HERE = Path(__file__).parent
PAGE_HEADERS = {
    # Everything is served from this server; a framing site could otherwise press C for an officer.
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "media-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def create_app(
    settings: ServerConfig, *, engine: Engine | None = None, media: MediaStore | None = None
) -> FastAPI:
    """Build the web application for `settings`; tests pass their own engine and media store.

    The app holds no state beyond its configuration: sessions are signed cookies and every
    request opens its own database session, so any number of processes can serve it.
    """
    options = web_options(settings)
    engine = engine or make_engine(settings.database.url, schema=settings.database.pg_schema)
    app = FastAPI(
        title="honkwatch",
        version="1",
        description="Horn-honk enforcement: review cases, devices, zones and reports. "
        "Every `/api/v1` call needs `Authorization: Bearer <token>` (tokens: `honk-server user add`).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.options = options
    app.state.sessions = session_factory(engine)
    app.state.media = media or FileMediaStore(settings.media.root)
    app.state.codec = SessionCodec(options.secret_key)
    templates = Jinja2Templates(directory=HERE / "templates")
    filters.install(templates.env)
    app.state.templates = templates

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_docs(app, app.openapi_url or "")
    app.include_router(api_router)
    app.include_router(pages_router)
    app.middleware("http")(_session_cookie)
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    return app


async def _session_cookie(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Load the signed session (or start an anonymous one) and write it back when it changed."""
    codec: SessionCodec = request.app.state.codec
    cookie = request.cookies.get(SESSION_COOKIE)
    loaded = codec.loads(cookie)
    request.state.web_session = loaded or WebSession()
    response = await call_next(request)
    session: WebSession = request.state.web_session
    if request.url.path.startswith(("/api/", "/static/")):
        return response
    response.headers.update(PAGE_HEADERS)
    if loaded is None or session != loaded:
        response.set_cookie(
            SESSION_COOKIE,
            codec.dumps(session),
            max_age=SESSION_MAX_AGE_S,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


async def _to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    """API clients get FastAPI's JSON errors; officers get the message on a page in their language."""
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith("/api/"):
        return await http_exception_handler(request, exc)
    user = session_user(request)
    return render(
        request, "error.html", user, status_code=exc.status_code, code=exc.status_code, message=exc.detail
    )


async def _forbidden(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, PageForbidden)
    return render(request, "forbidden.html", exc.user, status_code=403)
