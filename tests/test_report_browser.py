"""Replay reports in a real browser: Debian's Chromium, headless, driven by Playwright.

The report must open offline without a single console or page error, load nothing from the
network, decode every picture, and show one event section per line of the events file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS

from edge.cli import main

ROOT = Path(__file__).resolve().parents[1]
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed"),
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """A single-run report of the bundled street scene (with video) and a two-scene sweep."""
    base = tmp_path_factory.mktemp("reports")
    street = ROOT / "recordings" / "spiral32-street"
    assert main(["replay", str(street), "--report", str(base / "street"), "--no-progress"]) == 0
    sweep_argv = [
        "replay",
        str(ROOT / "recordings" / "uma16-one-horn"),
        str(ROOT / "recordings" / "uma16-confusers"),
        "--sweep",
        "localizer.method=phat,das",
        "--report",
        str(base / "sweep"),
        "--no-progress",
    ]
    assert main(sweep_argv) == 0
    return {"street": base / "street", "sweep": base / "sweep"}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, path: Path):
    """Load `path`; returns the page and the problems seen (console errors, page errors, network)."""
    page = browser.new_page()
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on(
        "request",
        lambda r: None if r.url.startswith(("file:", "data:")) else problems.append(f"network: {r.url}"),
    )
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def assert_report_shows_every_event(browser, html: Path, events: Path) -> int:
    page, problems = open_page(browser, html)
    try:
        expected = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
        sections = page.locator("section.event")
        assert sections.count() == len(expected)
        for k, line in enumerate(expected):
            section = sections.nth(k)
            assert section.is_visible()
            assert section.get_attribute("id") == f"event-{k + 1}"
            assert f"{line['t_start']:.3f}" in section.inner_text()
        assert page.locator("svg.timeline").is_visible()
        assert page.locator("svg.timeline rect.event-bar").count() == len(expected)
        broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length")
        assert broken == 0
        assert problems == []
        return len(expected)
    finally:
        page.close()


def test_street_report_opens_cleanly_and_shows_both_horns(browser, reports):
    folder = reports["street"]
    shown = assert_report_shows_every_event(browser, folder / "index.html", folder / "index.events.jsonl")
    assert shown >= 1  # the street scene has two horn taps: an empty report would prove nothing
    page, problems = open_page(browser, folder / "index.html")
    try:
        assert page.locator("section.event img.wide").count() == shown  # map over the video frame
        assert "Sound map over the video frame" in page.locator("section.event").first.inner_text()
        assert "recall" in page.locator("table.scores").inner_text()
        page.locator("svg.timeline a").first.click()  # an event bar jumps to its section
        assert page.evaluate("location.hash") == "#event-1"
        assert problems == []
    finally:
        page.close()


def test_sweep_index_links_every_run_page(browser, reports):
    folder = reports["sweep"]
    page, problems = open_page(browser, folder / "index.html")
    try:
        links = page.locator("table.scores a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert sorted(hrefs) == sorted(
            f"{scene}.{key}.html" for scene in ("uma16-one-horn", "uma16-confusers") for key in ("S1", "S2")
        )
        assert (
            page.locator("table.scores tr.pooled").count() == 4
        )  # pooled table on top, and per setting below
        assert problems == []
    finally:
        page.close()
    for href in hrefs:
        assert_report_shows_every_event(
            browser, folder / href, folder / href.replace(".html", ".events.jsonl")
        )
