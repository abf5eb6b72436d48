"""The replay report's HTML: self-contained, one section per event, the truth drawn beside them."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from analysis_support import harmonic_tone, render

from edge.analysis.config import build_config
from edge.cli import main
from edge.geometry.profiles import load_profile
from edge.report.timeline import MAX_POINTS, decimate, timeline_svg
from edge.report.trace import run_traced
from edge.scene import Truth, TruthConfuser, TruthEvent, load_scene, write_scene

ROOT = Path(__file__).resolve().parents[1]
FS = 48000


class Page(HTMLParser):
    """Collects what the assertions need: tags with their attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.text.append(data)

    def having(self, tag: str, cls: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and cls in a.get("class", "").split()]


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def assert_self_contained(page: Page) -> None:
    assert not any(t in ("script", "iframe", "object") for t, _ in page.tags)
    for tag, attrs in page.tags:
        for name in ("src", "href"):
            value = attrs.get(name, "")
            assert not value.startswith(("http:", "https:", "//")), (
                f"<{tag} {name}={value[:60]}> leaves the page"
            )
        if tag == "img":
            assert attrs["src"].startswith(("data:image/png;base64,", "data:image/jpeg;base64,"))


@pytest.fixture(scope="module")
def no_camera_scene(tmp_path_factory) -> Path:
    """A fresh scene with one horn, a confuser band and no camera at all."""
    prof = load_profile("pole-spiral32")
    rng = np.random.default_rng(7)
    x = render(
        prof.array.positions_m,
        FS,
        2.0,
        [(2 * harmonic_tone(420, 0.7, FS, rng), 0.6, 6.0, -5.0, 20.0)],
        noise_rms=3e-3,
    )
    d = tmp_path_factory.mktemp("report") / "no-camera"
    truth = Truth(
        events=[TruthEvent(0.6, 1.3, 6.0, -5.0, distance_m=20.0)], confusers=[TruthConfuser("bird", 1.5, 1.9)]
    )
    write_scene(
        d,
        x,
        sample_rate=FS,
        array_name=prof.array.name,
        positions_m=prof.array.positions_m,
        truth=truth,
        subtype="FLOAT",
    )
    return d


def test_report_without_camera_shows_the_map_on_its_axes(no_camera_scene, tmp_path, capsys):
    out, events = tmp_path / "report", tmp_path / "events.jsonl"
    assert main(["replay", str(no_camera_scene), "--report", str(out), "--events-out", str(events)]) == 0
    assert f"report: {out / 'index.html'}" in capsys.readouterr().out
    lines = events.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    page = parse(out / "index.html")
    assert_self_contained(page)
    assert len(page.having("section", "event")) == 1
    assert page.having("img", "map") and page.having("img", "spectrogram")
    assert not page.having("img", "wide")  # no camera: no picture plane to draw on
    assert len(page.having("rect", "truth")) == 1 and len(page.having("rect", "confuser")) == 1
    assert len(page.having("rect", "event-bar")) == 1
    assert "matches truth horn 0.60–1.30 s" in "".join(page.text)
    assert (out / "index.events.jsonl").read_text(encoding="utf-8").splitlines() == lines


def test_report_without_video_draws_on_a_blank_image_plane(tmp_path):
    scene = ROOT / "recordings" / "spiral32-two-horns"
    out = tmp_path / "report"
    assert main(["replay", str(scene), "--report", str(out), "--no-progress"]) == 0
    page = parse(out / "index.html")
    assert_self_contained(page)
    events = (out / "index.events.jsonl").read_text(encoding="utf-8").splitlines()
    sections = page.having("section", "event")
    assert len(sections) == len(events) >= 1  # two horns at once: at least one must be reported
    assert [s["data-event-index"] for s in sections] == [str(k + 1) for k in range(len(events))]
    assert len(page.having("img", "wide")) == len(events)
    assert "Sound map over the blank image plane (no video)" in "".join(page.text)
    truth = json.loads((scene / "truth.json").read_text(encoding="utf-8"))
    assert len(page.having("rect", "truth")) == len([e for e in truth["events"] if e["label"] == "horn"])
    assert len(page.having("circle", "peak")) > 0  # each hop's localized peaks are plotted


def test_long_timelines_are_thinned_without_losing_a_one_hop_spike():
    t = np.arange(72_000) * 0.05  # an hour of hops
    p = np.zeros_like(t)
    p[40_001] = 0.93
    level = np.full_like(t, 70.0)
    level[100:200] = np.nan  # silence: no level, must not become a spike
    tt, pp = decimate(t, p)
    assert len(tt) == MAX_POINTS and pp.max() == pytest.approx(0.93)
    _, ll = decimate(t, level)
    assert np.nanmax(ll) == 70.0
    short = np.arange(10.0)
    assert decimate(short, short)[1] is short  # short runs are drawn as they are


def test_windy_hops_are_marked_on_the_timeline(no_camera_scene):
    run = run_traced(load_scene(no_camera_scene), build_config())
    assert len(run.trace.t) > 10 and not any(run.trace.wind)  # a calm scene
    run.trace.wind[3:6] = [True, True, True]
    page = Page()
    page.feed(timeline_svg(run))
    assert len(page.having("rect", "wind")) == 3
    assert len(page.having("polyline", "p-horn")) == 1 and len(page.having("rect", "event-bar")) == len(
        run.events
    )


def test_report_says_why_a_horn_was_not_reported(no_camera_scene, tmp_path):
    # A horn never confirmed (it would need more hops than it lasts): the page names the track
    # that followed it and its fate, beside the missed horn.
    out = tmp_path / "report"
    argv = ["replay", str(no_camera_scene), "--report", str(out), "--no-progress"]
    assert main([*argv, "--set", "tracker.confirm_hops=50"]) == 0
    page = parse(out / "index.html")
    assert_self_contained(page)
    text = "\n".join(page.text)
    assert "not reported: horn 0.60-1.30 s at az 6.0° el -5.0°" in text
    why = text.split("not reported:")[1]
    tracks = re.findall(r"hop\(s\) at az (-?[\d.]+)° el (-?[\d.]+)°.*?: (\w+)$", why, re.MULTILINE)
    assert tracks and all(fate == "undecided" for _, _, fate in tracks)
    assert any(abs(float(az) - 6.0) < 1.0 and abs(float(el) + 5.0) < 1.0 for az, el, _ in tracks)

    assert main([*argv, "--report", str(tmp_path / "ok")]) == 0  # reported: nothing to explain
    assert "not reported" not in "".join(parse(tmp_path / "ok" / "index.html").text)
