"""Sweeps: several scenes × several settings, scored and pooled into one comparison table.

A setting is the list of `--set` overrides plus one value of every `--sweep KEY=V1,V2,…`
(all combinations). Per setting the scores are pooled over the scenes — horns found over all
horns, true reports over all reports, the angular errors and latencies of every matched horn —
rather than averaged per scene, so a scene with ten horns weighs ten times one with one.
Scenes without `truth.json` are replayed (and shown in the report) but add nothing to scores.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from edge.errors import UserFacingError
from edge.report.trace import ReplayRun
from edge.scoring import Scores, pool_scores


def split_values(text: str) -> list[str]:
    """Split `v1,v2,…` at top-level commas, so a JSON list value (`[20,200]`) stays one value."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [v.strip() for v in out]


def expand_settings(fixed: Sequence[str], sweeps: Sequence[str]) -> list[list[str]]:
    """Every combination of the sweep values, each after the fixed overrides (later wins)."""
    axes: list[list[str]] = []
    for item in sweeps:
        key, sep, raw = item.partition("=")
        values = split_values(raw) if sep else []
        if not sep or not key.strip() or not values or any(v == "" for v in values):
            raise UserFacingError(
                f"--sweep expects KEY=V1,V2,… (e.g. detector.threshold=0.5,0.6), got {item!r}"
            )
        axes.append([f"{key.strip()}={v}" for v in values])
    return [list(fixed) + list(combo) for combo in itertools.product(*axes)]


def setting_label(overrides: Sequence[str]) -> str:
    return " ".join(overrides) if overrides else "defaults"


@dataclass(frozen=True)
class SettingSummary:
    """One row of the comparison table: a setting over all scenes."""

    key: str  # "S1", "S2", … (the table's short name for the setting)
    setting: str
    runs: tuple[ReplayRun, ...]
    scores: Scores | None
    events: int
    audio_s: float
    wall_s: float

    @property
    def scope(self) -> str:
        """What the pooled row covers: scenes without truth add reports but no scores."""
        scored = sum(1 for r in self.runs if r.scene.truth is not None)
        n = len(self.runs)
        return f"{n} scenes" if scored == n else f"{scored} of {n} scenes scored"


def summarize(runs: Sequence[ReplayRun], settings: Sequence[str]) -> list[SettingSummary]:
    out = []
    for i, setting in enumerate(settings):
        mine = tuple(r for r in runs if r.setting == setting)
        out.append(
            SettingSummary(
                key=f"S{i + 1}",
                setting=setting,
                runs=mine,
                scores=pool_scores([s for s in (r.scores for r in mine) if s is not None]),
                events=sum(len(r.events) for r in mine),
                audio_s=sum(r.scene.duration_s for r in mine),
                wall_s=sum(r.wall_s for r in mine),
            )
        )
    return out


COLUMNS = (
    "horns",
    "events",
    "recall",
    "precision",
    "evidence_precision",
    "median_err_deg",
    "p90_err_deg",
    "attribution",
    "median_latency_s",
)


def score_cells(s: Scores | None, events: int) -> list[str]:
    """The table cells of one row, `n/a` where a figure is undefined (no horns, no reports)."""

    def f(v: float | None, p: int) -> str:
        return "n/a" if v is None else f"{v:.{p}f}"

    if s is None:
        return ["n/a", str(events), *["n/a"] * (len(COLUMNS) - 2)]
    return [
        str(s.truth_events),
        str(s.estimated_events),
        f(s.recall, 3),
        f(s.precision, 3),
        f(s.evidence_precision, 3),
        f(s.median_error_deg, 2),
        f(s.p90_error_deg, 2),
        f(s.attribution, 3),
        f(s.median_latency_s, 3),
    ]


def comparison_table(summaries: Sequence[SettingSummary], per_scene: bool = True) -> str:
    """Fixed-width text: one row per scene × setting (optional), then one pooled row per setting,
    then what each S-number means (`evid`: precision of the evidence alone, see `edge.scoring`)."""
    head = [
        "setting",
        "scene",
        "horns",
        "est",
        "recall",
        "prec",
        "evid",
        "med°",
        "p90°",
        "attr",
        "lat s",
        "×rt",
    ]
    rows: list[list[str]] = []
    if per_scene:
        for s in summaries:
            for r in s.runs:
                speed = f"{r.scene.duration_s / r.wall_s:.1f}" if r.wall_s > 0 else "n/a"
                rows.append([s.key, r.name, *score_cells(r.scores, len(r.events)), speed])
    for s in summaries:
        speed = f"{s.audio_s / s.wall_s:.1f}" if s.wall_s > 0 else "n/a"
        rows.append([s.key, f"ALL ({s.scope})", *score_cells(s.scores, s.events), speed])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    lines = [fmt(head), "-" * len(fmt(head)), *(fmt(r) for r in rows), ""]
    lines += [f"{s.key} = {s.setting}" for s in summaries]
    return "\n".join(lines)


def comparison_csv(summaries: Sequence[SettingSummary]) -> str:
    """The same figures for a spreadsheet: one line per scene × setting and per setting pooled."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["setting_key", "setting", "scene", *COLUMNS, "audio_s", "wall_s"])
    for s in summaries:
        for r in s.runs:
            w.writerow(
                [
                    s.key,
                    s.setting,
                    r.name,
                    *score_cells(r.scores, len(r.events)),
                    f"{r.scene.duration_s:.3f}",
                    f"{r.wall_s:.3f}",
                ]
            )
        w.writerow(
            [s.key, s.setting, "ALL", *score_cells(s.scores, s.events), f"{s.audio_s:.3f}", f"{s.wall_s:.3f}"]
        )
    return buf.getvalue()
