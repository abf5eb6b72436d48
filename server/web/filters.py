"""Jinja filters: how numbers, plates and times are written on every page."""

from __future__ import annotations

import json

from jinja2 import Environment

from server.reports.periods import zone_tz
from server.web.formatting import display_plate, local_time


def percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.0f}%"


def number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def install(env: Environment) -> None:
    env.filters["plate"] = display_plate
    env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.filters["percent"] = percent
    env.filters["number"] = number
    env.filters["local"] = lambda moment, tz_name=None, with_zone=True: local_time(
        moment, zone_tz(tz_name), with_zone
    )
