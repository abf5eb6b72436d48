"""Server-rendered pages for officers, one module per concern."""

from fastapi import APIRouter

from server.web.pages import admin, audit, auth, cases, devices, exports, media, reports, zones

router = APIRouter(include_in_schema=False)
for module in (auth, cases, media, devices, reports, exports, audit, admin, zones):
    router.include_router(module.router)
