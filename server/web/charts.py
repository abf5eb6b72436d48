"""Charts as inline SVG drawn on the server: no JavaScript library, no CDN, printable.

Colours and sizes are fixed so that the same data always draws the same picture (a
screenshot in a supervisors' meeting matches what the next person opens).
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

CURRENT = "#c0392b"
PREVIOUS = "#95a5a6"
SERIES = ("#2c6fbb", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#17a589", "#7f8c8d", "#a04000")


def paired_bars(labels: list[str], current: list[int], previous: list[int], title: str) -> Markup:
    """Grouped bars, this half-month next to the previous one, one group per zone or district."""
    width, height, left, bottom, top = max(360, 46 * len(labels) + 60), 220, 36, 56, 16
    peak = max([*current, *previous, 1])
    scale = (height - bottom - top) / peak
    group = (width - left - 10) / max(len(labels), 1)
    parts = [_axis(width, height, left, bottom, top, peak)]
    for i, label in enumerate(labels):
        x = left + i * group + group * 0.15
        bar = group * 0.33
        for j, (value, colour) in enumerate(((previous[i], PREVIOUS), (current[i], CURRENT))):
            h = value * scale
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{height - bottom - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(label)}: {value}</title></rect>'
            )
        parts.append(
            f'<text x="{x + bar:.1f}" y="{height - bottom + 14}" font-size="11" text-anchor="end" '
            f'transform="rotate(-35 {x + bar:.1f} {height - bottom + 14})">{escape(label)}</text>'
        )
    return _svg(width, height, title, parts)


def lines(periods: list[str], series: dict[str, list[int]], title: str) -> Markup:
    """One line per series (district) across half-months, with a legend."""
    width, height, left, bottom, top = 620, 240, 36, 40, 16
    peak = max([v for values in series.values() for v in values] + [1])
    scale = (height - bottom - top) / peak
    step = (width - left - 140) / max(len(periods) - 1, 1)
    parts = [_axis(width - 130, height, left, bottom, top, peak)]
    for i, label in enumerate(periods):
        parts.append(
            f'<text x="{left + i * step:.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for k, (name, values) in enumerate(series.items()):
        colour = SERIES[k % len(SERIES)]
        points = " ".join(
            f"{left + i * step:.1f},{height - bottom - v * scale:.1f}" for i, v in enumerate(values)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            parts.append(
                f'<circle cx="{left + i * step:.1f}" cy="{height - bottom - v * scale:.1f}" r="3" '
                f'fill="{colour}"><title>{escape(name)} {escape(periods[i])}: {v}</title></circle>'
            )
        parts.append(
            f'<rect x="{width - 120}" y="{top + k * 18}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{width - 105}" y="{top + k * 18 + 9}" font-size="12">{escape(name)}</text>'
        )
    return _svg(width, height, title, parts)


def heat(value: int, peak: int) -> str:
    """Background colour of an hourly-pattern cell: white (none) to deep red (the busiest hour)."""
    if value == 0 or peak == 0:
        return "#ffffff"
    strength = 0.15 + 0.85 * value / peak
    return f"rgba(192, 57, 43, {strength:.2f})"


def _axis(width: int, height: int, left: int, bottom: int, top: int, peak: int) -> str:
    base = height - bottom
    return (
        f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#555"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#555"/>'
        f'<text x="{left - 4}" y="{top + 4}" font-size="11" text-anchor="end">{peak}</text>'
        f'<text x="{left - 4}" y="{base}" font-size="11" text-anchor="end">0</text>'
    )


def _svg(width: int, height: int, title: str, parts: list[str]) -> Markup:
    body = "".join(parts)
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{body}</svg>'
    )
