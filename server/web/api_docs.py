"""The OpenAPI page (`/api/docs`) served without any CDN.

FastAPI's default page loads Swagger UI from a CDN, which a police network does not reach.
The `swagger-ui-py` package ships Swagger UI 5 (which reads FastAPI's OpenAPI 3.1); its files
are served from this server.
Without that package the page falls back to FastAPI's CDN links (works where there is internet).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_STATIC = "/api/docs-static"


def install_docs(app: FastAPI, openapi_url: str) -> None:
    try:
        import swagger_ui
    except ImportError:
        assets: dict[str, str] = {}
    else:
        static = Path(swagger_ui.__file__).parent / "static"
        app.mount(DOCS_STATIC, StaticFiles(directory=static), name="swagger-ui")
        assets = {
            "swagger_js_url": f"{DOCS_STATIC}/swagger-ui-bundle.js",
            "swagger_css_url": f"{DOCS_STATIC}/swagger-ui.css",
            "swagger_favicon_url": f"{DOCS_STATIC}/favicon-32x32.png",
        }

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=openapi_url, title="honkwatch API", **assets)
