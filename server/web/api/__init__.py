"""The JSON API under `/api/v1`: what the enforcement system integrates with."""

from fastapi import APIRouter

from server.web.api import cases, devices, reports

router = APIRouter(prefix="/api/v1")
for module in (cases, devices, reports):
    router.include_router(module.router)
