"""The replay's timeline as inline SVG: p(horn), level and detections against the truth.

Inline SVG, not a plotting library or a script: the report must open offline, from a mail
attachment or a CI artifact, in any browser, and the numbers under a mark are one hover away
(SVG `<title>` tooltips). Four lanes share one time axis: reported events and truth, p(horn)
with the detector's threshold and release, the hop level, and each hop's localized peaks'
azimuth with the truth tracks. Truth horns are shaded green across every lane, confusers grey, and hops
the health check called windy are marked along the foot of the events lane.
"""

from __future__ import annotations

from html import escape

import numpy as np

from edge.evidence.drawing import nice_ticks
from edge.report.trace import ReplayRun

WIDTH, LEFT, RIGHT = 1000, 70, 16
LANE_H, GAP, TOP, AXIS_H = 110, 18, 8, 34
MAX_POINTS = 3000  # per line: finer than the plot's pixels
MAX_PEAKS = 4000  # localized peaks drawn, the strongest first
LANES = ("events", "p(horn)", "level dB", "azimuth °")
_TRUTH_LABEL_PX = 70  # a "truth horn" label's width: closer labels go on the other row


def _num(v: float) -> str:
    return f"{v:.1f}"


class _Lane:
    """Maps (t, value) to SVG coordinates inside one lane."""

    def __init__(self, index: int, t_end: float, lo: float, hi: float) -> None:
        self.y0 = TOP + index * (LANE_H + GAP)
        self.t_end = max(t_end, 1e-6)
        self.lo, self.hi = lo, hi if hi > lo else lo + 1.0

    def x(self, t: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * t / self.t_end

    def y(self, v: float) -> float:
        frac = (v - self.lo) / (self.hi - self.lo)
        return self.y0 + LANE_H * (1.0 - float(np.clip(frac, 0.0, 1.0)))


def decimate(t: np.ndarray, v: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most `max_points` by the largest value per bucket: an hour of hops (72 000) would make
    a page of megabytes, and a single-hop spike of p(horn) must survive the thinning."""
    if len(t) <= max_points:
        return t, v
    edges = np.linspace(0, len(t), max_points + 1).astype(int)[:-1]
    with np.errstate(all="ignore"):
        peak = np.fmax.reduceat(v, edges)  # NaN only where a whole bucket is NaN
    return t[edges], peak


def _polyline(lane: _Lane, t: np.ndarray, v: np.ndarray, cls: str) -> list[str]:
    """One polyline per run of finite values (a NaN level breaks the line rather than dropping to 0)."""
    out, pts = [], []
    for ti, vi in zip(t.tolist(), v.tolist(), strict=True):
        if np.isfinite(vi):
            pts.append(f"{_num(lane.x(ti))},{_num(lane.y(vi))}")
        elif pts:
            out.append(f'<polyline class="{cls}" points="{" ".join(pts)}"/>')
            pts = []
    if pts:
        out.append(f'<polyline class="{cls}" points="{" ".join(pts)}"/>')
    return out


def _y_axis(lane: _Lane, ticks: np.ndarray) -> list[str]:
    out = [f'<rect class="lane" x="{LEFT}" y="{lane.y0}" width="{WIDTH - LEFT - RIGHT}" height="{LANE_H}"/>']
    for v in ticks:
        y = _num(lane.y(float(v)))
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>')
        out.append(
            f'<text class="tick" x="{LEFT - 4}" y="{y}" text-anchor="end" dy="4">{float(v) + 0.0:g}</text>'
        )
    return out


def timeline_svg(run: ReplayRun) -> str:
    """The whole timeline of one run as an `<svg>` element."""
    hops = run.trace.arrays()
    t_end = run.scene.duration_s
    truth = run.scene.truth
    horns = [e for e in truth.events if e.label == "horn"] if truth is not None else []
    confusers = list(truth.confusers) if truth is not None else []
    height = TOP + len(LANES) * (LANE_H + GAP) + AXIS_H
    parts: list[str] = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="replay timeline">'
    ]
    lanes = [_Lane(0, t_end, 0, 1), _Lane(1, t_end, 0, 1)]
    level = hops["level_db"]
    finite = level[np.isfinite(level)]
    lo, hi = (float(finite.min()) - 2, float(finite.max()) + 2) if finite.size else (0.0, 1.0)
    lanes.append(_Lane(2, t_end, lo, hi))
    peaks = hops["peaks"]
    az_values = [*peaks[:, 1].tolist(), *(e.azimuth_deg for e in run.events)]
    for h in horns:
        az_values += [row[1] for row in (h.track_deg or [])] or [h.azimuth_deg]
    az_lo, az_hi = (min(az_values) - 3, max(az_values) + 3) if az_values else (-30.0, 30.0)
    lanes.append(_Lane(3, t_end, az_lo, az_hi))
    parts += _y_axis(lanes[0], np.array([]))
    parts += _y_axis(lanes[1], np.array([0.0, 0.5, 1.0]))
    parts += _y_axis(lanes[2], nice_ticks(lo, hi, 4))
    parts += _y_axis(lanes[3], nice_ticks(az_lo, az_hi, 4))
    bottom = lanes[-1].y0 + LANE_H
    # Truth and confusers: bands through every lane, labelled in the events lane.
    for i, c in enumerate(confusers):
        x0, x1 = lanes[0].x(max(c.t_start, 0)), lanes[0].x(min(c.t_end, t_end))
        parts.append(
            f'<rect class="confuser" x="{_num(x0)}" y="{TOP}" width="{_num(max(x1 - x0, 1))}" '
            f'height="{bottom - TOP}"><title>confuser: {escape(c.label)} {c.t_start:.2f}–{c.t_end:.2f} s</title></rect>'
        )
        parts.append(
            f'<text class="band-label" x="{_num(x0 + 2)}" y="{TOP + 100 - 12 * (i % 4)}">{escape(c.label)}</text>'
        )
    row, last_x = 0, -np.inf
    for h in sorted(horns, key=lambda h: h.t_start):
        x0, x1 = lanes[0].x(h.t_start), lanes[0].x(h.t_end)
        parts.append(
            f'<rect class="truth" x="{_num(x0)}" y="{TOP}" width="{_num(max(x1 - x0, 1))}" height="{bottom - TOP}">'
            f"<title>truth horn {h.t_start:.2f}–{h.t_end:.2f} s, az {h.azimuth_deg:+.1f}°, "
            f"el {h.elevation_deg:+.1f}°</title></rect>"
        )
        # Horns close together (two at once) get their labels on alternate rows, not on top of each other.
        row = 1 - row if x0 - last_x < _TRUTH_LABEL_PX else 0
        last_x = x0
        parts.append(
            f'<text class="band-label truth-label" x="{_num(x0 + 2)}" y="{TOP + 28 - 12 * row}">truth horn</text>'
        )
    for k, e in enumerate(run.events):
        x0, x1 = lanes[0].x(e.t_start), lanes[0].x(e.t_end)
        xd = lanes[0].x(e.t_start + e.detected_after_s)
        parts.append(
            f'<a href="#event-{k + 1}"><rect class="event-bar" x="{_num(x0)}" y="{TOP + 44}" '
            f'width="{_num(max(x1 - x0, 2))}" height="26"><title>event {k + 1}: {e.t_start:.2f}–{e.t_end:.2f} s, '
            f"az {e.azimuth_deg:+.1f}°, el {e.elevation_deg:+.1f}°, confidence {e.confidence:.2f}, "
            f"decided after {e.detected_after_s:.3f} s</title></rect></a>"
        )
        parts.append(
            f'<line class="decided" x1="{_num(xd)}" x2="{_num(xd)}" y1="{TOP + 40}" y2="{TOP + 74}"/>'
        )
        parts.append(f'<text class="event-label" x="{_num(x0)}" y="{TOP + 86}">#{k + 1}</text>')
    # Wind hops (events in them are kept for statistics only): a strip along the events lane's foot.
    t_hops = hops["t"]
    if hops["wind"].any():
        hop_w = float(np.median(np.diff(t_hops))) if len(t_hops) > 1 else 0.05
        for t in t_hops[hops["wind"]].tolist():
            x0 = lanes[0].x(t - hop_w / 2)
            parts.append(
                f'<rect class="wind" x="{_num(x0)}" y="{TOP + LANE_H - 8}" '
                f'width="{_num(lanes[0].x(t + hop_w / 2) - x0)}" height="8"><title>wind at {t:.2f} s</title></rect>'
            )
    # p(horn) with the thresholds that decide (threshold) and keep (release) a track.
    det = run.config.detector
    for value, cls in ((det.threshold, "threshold"), (det.release, "release")):
        y = _num(lanes[1].y(value))
        parts.append(
            f'<line class="{cls}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"><title>{cls} {value:g}</title></line>'
        )
    parts += _polyline(lanes[1], *decimate(hops["t"], hops["p_horn"]), "p-horn")
    parts += _polyline(lanes[2], *decimate(hops["t"], level), "level")
    for h in horns:
        track = (
            np.asarray(h.track_deg, float)
            if h.track_deg
            else np.array([[h.t_start, h.azimuth_deg, 0], [h.t_end, h.azimuth_deg, 0]])
        )
        parts += _polyline(lanes[3], track[:, 0], track[:, 1], "truth-track")
    if len(peaks) > MAX_PEAKS:
        peaks = peaks[np.sort(np.argsort(-peaks[:, 3])[:MAX_PEAKS])]
    for t, az, el, _ in peaks.tolist():
        parts.append(
            f'<circle class="peak" cx="{_num(lanes[3].x(t))}" cy="{_num(lanes[3].y(az))}" r="2.2">'
            f"<title>{t:.2f} s: az {az:+.1f}°, el {el:+.1f}°</title></circle>"
        )
    for k, e in enumerate(run.events):
        t_ref = e.t_ref if e.t_ref is not None else 0.5 * (e.t_start + e.t_end)
        parts.append(
            f'<circle class="event-dir" cx="{_num(lanes[3].x(t_ref))}" cy="{_num(lanes[3].y(e.azimuth_deg))}" r="5">'
            f"<title>event {k + 1} direction: az {e.azimuth_deg:+.2f}°</title></circle>"
        )
    # Shared time axis.
    for t in nice_ticks(0.0, t_end, 12):
        x = _num(lanes[0].x(float(t)))
        parts.append(f'<line class="grid" x1="{x}" x2="{x}" y1="{TOP}" y2="{bottom}"/>')
        parts.append(
            f'<text class="tick" x="{x}" y="{bottom + 14}" text-anchor="middle">{float(t) + 0.0:g}</text>'
        )
    parts.append(
        f'<text class="tick" x="{(WIDTH + LEFT) // 2}" y="{bottom + 30}" text-anchor="middle">time (s, stream clock)</text>'
    )
    # Lane names last, over the gridlines and curves that cross them (their white halo shows).
    for lane, name in zip(lanes, LANES, strict=True):
        parts.append(f'<text class="lane-name" x="{LEFT + 4}" y="{lane.y0 + 13}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
