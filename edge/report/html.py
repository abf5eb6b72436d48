"""Self-contained HTML pages: one per replayed run, and an index comparing settings.

Everything is inline — CSS in a `<style>`, the timeline as SVG, pictures as data URIs — and no
script runs, so the page opens offline from a mail attachment or a CI artifact and cannot break
on a missing CDN. Each event gets one `<section class="event">` carrying its number, so a test
(or an engineer's script) can count them against the events file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from edge import __version__
from edge.analysis.events import HornEvent
from edge.geometry.camera import angle_deg
from edge.report.figures import EventFigures
from edge.report.misses import explain_misses
from edge.report.sweep import SettingSummary, score_cells
from edge.report.timeline import timeline_svg
from edge.report.trace import ReplayRun
from edge.scene.model import TruthEvent
from edge.scoring import overlap

MATCH_TOLERANCE_S = 0.25  # as edge.scoring: a report within 0.25 s of a truth horn found it
# A time match this far off in direction points at another vehicle (lanes are ~3.5 m apart, a few
# degrees at 30 m): flagged amber, because the scorer still counts it as found.
FAR_OFF_DEG = 5.0

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1040px;padding:16px;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid #ccc}
h3{font-size:16px;margin:0 0 6px} .facts{color:#555;margin:0 0 4px}
table{border-collapse:collapse;margin:6px 0} td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child,td.left,th.left{text-align:left} th{background:#f2f2f2}
tr.pooled td{font-weight:600;background:#fafafa}
section.event{border:1px solid #ddd;border-radius:6px;padding:10px 12px;margin:14px 0}
section.event.false-alarm{border-color:#d9534f} .tag{font-size:12px;padding:1px 6px;border-radius:8px;margin-left:6px}
.tag.ok{background:#dff0d8} .tag.far{background:#fcf0cf} .tag.bad{background:#f2dede} .tag.none{background:#eee}
figure{margin:8px 0} figure img{max-width:100%;border:1px solid #ccc} figcaption{color:#555;font-size:12px}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
svg.timeline{border:1px solid #ddd;background:#fff}
svg .lane{fill:#fcfcfc;stroke:#ccc} svg .grid{stroke:#eee} svg .tick{font-size:11px;fill:#555}
svg .lane-name{font-size:12px;font-weight:600;fill:#333;paint-order:stroke;stroke:#fff;stroke-width:3px} svg .truth{fill:#2ca02c;fill-opacity:.14}
svg .confuser{fill:#888;fill-opacity:.12} svg .wind{fill:#17becf;fill-opacity:.7} svg .band-label{font-size:10px;fill:#666} svg .truth-label{fill:#2a7a2a}
svg .event-bar{fill:#ff7f0e;fill-opacity:.85} svg .decided{stroke:#000;stroke-width:2}
svg .event-label{font-size:11px;fill:#b35500} svg .p-horn{fill:none;stroke:#1f77b4;stroke-width:1.5}
svg .level{fill:none;stroke:#9467bd;stroke-width:1.2} svg .threshold{stroke:#d62728;stroke-dasharray:5 3}
svg .release{stroke:#d62728;stroke-opacity:.5;stroke-dasharray:2 3} svg .truth-track{fill:none;stroke:#2ca02c;stroke-width:3;stroke-opacity:.7}
svg .peak{fill:#1f77b4;fill-opacity:.6} svg .event-dir{fill:none;stroke:#ff7f0e;stroke-width:2.5}
"""

_HEAD = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<link rel="icon" href="data:,"><title>{title}</title><style>{style}</style></head>\n<body>\n'
)


def _f(v: float | None, fmt: str, unit: str = "") -> str:
    return "—" if v is None else format(v, fmt) + unit


def _head(title: str) -> str:
    return _HEAD.format(title=escape(title), style=STYLE)


def _footer() -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f'<p class="facts">honkwatch {escape(__version__)} · generated {now}</p>\n</body></html>\n'


def match_truth(event: HornEvent, horns: Sequence[TruthEvent]) -> tuple[TruthEvent, float] | None:
    """The truth horn this event found (time overlap with scoring's slack, nearest in angle), with the error."""
    t_ref = event.t_ref if event.t_ref is not None else 0.5 * (event.t_start + event.t_end)
    best: tuple[TruthEvent, float] | None = None
    for h in horns:
        if (
            overlap(event.t_start - MATCH_TOLERANCE_S, event.t_end + MATCH_TOLERANCE_S, h.t_start, h.t_end)
            <= 0
        ):
            continue
        err = angle_deg(event.azimuth_deg, event.elevation_deg, *h.direction_at(t_ref))
        if best is None or err < best[1]:
            best = (h, err)
    return best


def scores_table(rows: Sequence[tuple[str, str, list[str]]], pooled: Sequence[bool] | None = None) -> str:
    """An HTML score table; `rows` are (first column, second column, score cells)."""
    heads = [
        "horns",
        "reported",
        "recall",
        "precision",
        "precision of evidence",
        "median error °",
        "p90 error °",
        "attribution",
        "median latency s",
    ]
    out = ['<table class="scores"><tr><th class="left">setting</th><th class="left">scene</th>']
    out += [f"<th>{escape(h)}</th>" for h in heads]
    out.append("</tr>")
    for i, (a, b, cells) in enumerate(rows):
        cls = ' class="pooled"' if pooled and pooled[i] else ""
        out.append(f'<tr{cls}><td class="left">{a}</td><td class="left">{b}</td>')
        out += [f"<td>{escape(c)}</td>" for c in cells]
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _event_section(
    k: int, event: HornEvent, fig: EventFigures, horns: Sequence[TruthEvent], scored: bool
) -> str:
    match = match_truth(event, horns) if scored else None
    if not scored:
        tag = '<span class="tag none">no truth</span>'
    elif match is None:
        tag = '<span class="tag bad">false alarm</span>'
    else:
        cls_tag = "ok" if match[1] <= FAR_OFF_DEG else "far"
        tag = (
            f'<span class="tag {cls_tag}">matches truth horn {match[0].t_start:.2f}–{match[0].t_end:.2f} s, '
            f"error {match[1]:.2f}°</span>"
        )
    cls = "event false-alarm" if scored and match is None else "event"
    facts = [
        ("time", f"{event.t_start:.3f}–{event.t_end:.3f} s (ref {_f(event.t_ref, '.3f', ' s')})"),
        (
            "direction",
            f"az {event.azimuth_deg:+.2f}°, el {event.elevation_deg:+.2f}°, distance {_f(event.distance_m, '.1f', ' m')}",
        ),
        (
            "pixel",
            "—"
            if event.pixel is None
            else f"({event.pixel[0]:.0f}, {event.pixel[1]:.0f})"
            + ("" if event.inside_frame else " — outside the picture"),
        ),
        ("confidence", f"{event.confidence:.3f} (p(horn) {_f(event.horn_probability, '.3f')})"),
        ("level", _f(event.spl_db, ".1f", " dB(A) SPL") if event.spl_db is not None else "uncalibrated"),
        ("fundamental", _f(event.fundamental_hz, ".0f", " Hz")),
        ("decided after", f"{event.detected_after_s:.3f} s"),
        ("conditions", ", ".join(event.conditions) or "none"),
    ]
    if match is not None:
        h = match[0]
        facts.append(
            (
                "truth",
                f"az {h.azimuth_deg:+.2f}°, el {h.elevation_deg:+.2f}°"
                + (f", {h.distance_m:.1f} m" if h.distance_m else "")
                + (f", plate {h.plate}" if h.plate else ""),
            )
        )
    rows = "".join(
        f'<tr><th class="left">{escape(a)}</th><td class="left">{escape(b)}</td></tr>' for a, b in facts
    )
    figs = []
    if fig.wide:
        what = "video frame" if fig.wide_from_video else "blank image plane (no video)"
        figs.append(
            f'<figure><img class="wide" alt="sound map over the {what}" src="{fig.wide}">'
            f"<figcaption>Sound map over the {what}; white crosshair: the reported source; "
            "green diamond: the truth, when the scene has one.</figcaption></figure>"
        )
    if fig.sound_map:
        figs.append(
            f'<figure><img class="map" alt="sound map" src="{fig.sound_map}">'
            "<figcaption>Sound map on azimuth/elevation axes (white box: the camera's view).</figcaption></figure>"
        )
    if fig.spectrogram:
        figs.append(
            f'<figure><img class="spectrogram" alt="spectrogram" src="{fig.spectrogram}">'
            "<figcaption>Spectrogram of the beam toward the source, the horn ± 1.5 s.</figcaption></figure>"
        )
    return (
        f'<section class="{cls}" id="event-{k}" data-event-index="{k}">'
        f"<h3>Event {k}{tag}</h3><table>{rows}</table>{''.join(figs)}</section>"
    )


def run_page(run: ReplayRun, figures: Sequence[EventFigures], index_href: str | None = None) -> str:
    """The report of one scene under one setting."""
    scene = run.scene
    title = f"Replay report: {run.name}"
    horns = [e for e in scene.truth.events if e.label == "horn"] if scene.truth is not None else []
    scores = run.scores
    out = [_head(title)]
    if index_href:
        out.append(f'<p><a href="{escape(index_href)}">← all runs</a></p>')
    out.append(f"<h1>{escape(title)}</h1>")
    facts = [
        f"{escape(str(scene.directory))}",
        f"array {escape(scene.array_name)} ({scene.channels} channels, {scene.sample_rate} Hz)",
        f"{scene.duration_s:.2f} s of audio",
        "video" if scene.video_path else ("camera geometry, no video" if scene.camera else "no camera"),
        "calibrated" if scene.full_scale_pa else "uncalibrated",
    ]
    out.append(f'<p class="facts">{" · ".join(facts)}</p>')
    out.append(
        f'<p class="facts">setting: <code>{escape(run.setting)}</code> · replayed in {run.wall_s:.2f} s '
        f"({scene.duration_s / max(run.wall_s, 1e-9):.1f}× real time)</p>"
    )
    out.append('<h2 id="scores">Scores</h2>')
    if scores is None:
        out.append("<p>No truth.json beside the audio: nothing to score against.</p>")
    else:
        out.append(
            scores_table([(escape(run.setting), escape(run.name), score_cells(scores, len(run.events)))])
        )
        out.append(f"<pre>{escape(chr(10).join(scores.lines()))}</pre>")
    out.append('<h2 id="timeline">Timeline</h2>')
    out.append(timeline_svg(run))
    out.append(
        '<p class="facts">Orange bars: reported events (black tick: when decided). Blue: p(horn) per hop '
        "(the detector's horn score; the ONNX classifier, when enabled, judges whole events), "
        "red dashes: threshold and release. Purple: A-weighted band level per hop. Dots: localized peaks per "
        "hop; orange rings: event directions; green: truth horns and tracks; grey: confusers; cyan strip: wind. "
        "Hover for numbers, click an event to jump to it.</p>"
    )
    out.append(f'<h2 id="events">Events ({len(run.events)})</h2>')
    if not run.events:
        out.append("<p>No horn event was reported.</p>")
    for k, (event, fig) in enumerate(zip(run.events, figures, strict=True), start=1):
        out.append(_event_section(k, event, fig, horns, scores is not None))
    if scene.truth is not None:
        missed = [h for h in horns if not any(match_truth(e, [h]) for e in run.events)]
        if missed:
            out.append("<h2>Missed truth horns</h2><ul>")
            out += [
                f"<li>{h.t_start:.2f}–{h.t_end:.2f} s, az {h.azimuth_deg:+.1f}°, el {h.elevation_deg:+.1f}°</li>"
                for h in missed
            ]
            out.append("</ul>")
        why = explain_misses(run.lines, run.fates, scene.truth)
        if why:
            out.append('<h2 id="why-missed">Tracks near the horns no event points at</h2>')
            out.append(f'<pre class="why-missed">{escape(chr(10).join(why))}</pre>')
            out.append(
                '<p class="facts">Each track the pipeline followed within 5° of such a horn, and what became of '
                "it: <code>undecided</code> never reached the threshold in enough hops; the other names are "
                "the tracker's rules (siren, square_wave, music, overtone_ghost, heard_elsewhere …).</p>"
            )
    out.append('<h2 id="settings">Analysis settings</h2>')
    out.append(f"<pre>{escape(json.dumps(run.config.model_dump(mode='json'), indent=1))}</pre>")
    out.append(_footer())
    return "".join(out)


def index_page(summaries: Sequence[SettingSummary], links: dict[int, str]) -> str:
    """The sweep's comparison table (per scene × setting and pooled per setting) with links to each run."""
    out = [_head("Replay sweep"), "<h1>Replay sweep</h1>"]
    n_scenes = len({r.scene.directory for s in summaries for r in s.runs})
    out.append(
        f'<p class="facts">{n_scenes} scene(s) × {len(summaries)} setting(s). Pooled rows count every '
        "horn and report of all scenes together.</p>"
    )
    out.append('<h2 id="pooled">Per setting, all scenes</h2>')
    out.append(
        scores_table(
            [(escape(s.key), f"all: {s.scope}", score_cells(s.scores, s.events)) for s in summaries],
            [True] * len(summaries),
        )
    )
    out.append('<h2 id="runs">Per scene</h2>')
    rows, pooled = [], []
    for s in summaries:
        for r in s.runs:
            href = links.get(id(r))
            name = f'<a href="{escape(href)}">{escape(r.name)}</a>' if href else escape(r.name)
            rows.append((escape(s.key), name, score_cells(r.scores, len(r.events))))
            pooled.append(False)
        rows.append((escape(s.key), f"all: {s.scope}", score_cells(s.scores, s.events)))
        pooled.append(True)
    out.append(scores_table(rows, pooled))
    out.append('<h2 id="settings">Settings</h2><table>')
    out += [
        f'<tr><th class="left">{escape(s.key)}</th><td class="left"><code>{escape(s.setting)}</code></td></tr>'
        for s in summaries
    ]
    out.append("</table>")
    out.append(_footer())
    return "".join(out)
