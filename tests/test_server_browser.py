"""End to end in a real browser: Debian's Chromium, headless, driven by Playwright.

A reviewer logs in, opens a case from the queue, plays the horn, confirms with the keyboard
shortcut, and finds the case in the export and in the audit log.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from browser_support import CHROMIUM, CHROMIUM_ARGS
from server_web_support import PASSWORD, Seeded, seed

from server.config import ServerConfig
from server.web import create_app

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_site(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    """The web app under uvicorn on a free port, over a seeded SQLite database."""
    config = ServerConfig()
    config.database.url = f"sqlite:///{tmp_path / 'honkwatch.db'}"
    config.media.root = tmp_path / "media"
    seeded = seed(config, with_cases=2)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, engine=seeded.engine, media=seeded.media),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", seeded
    server.should_exit = True
    thread.join(10)
    seeded.engine.dispose()


def test_reviewer_confirms_a_case_end_to_end(live_site: tuple[str, Seeded], tmp_path: Path) -> None:
    base, seeded = live_site
    case_id = seeded.case_ids[0]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        page.goto(f"{base}/queue")
        assert "/login" in page.url
        page.fill("input[name=username]", "li")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/queue")
        assert page.locator("table#queue tbody tr").count() == 2

        page.click(f"a[href='/cases/{case_id}']")
        page.wait_for_url(f"{base}/cases/{case_id}")
        assert page.inner_text("#plate-display") == "粤R·12340"
        assert "2026-11-20 09:30:00 +08:00" in page.inner_text("#case-time")
        # Every evidence picture loaded from the media store and decoded.
        for image in ("#wide-img", "#closeup-img", "#spectrogram-img"):
            assert page.eval_on_selector(image, "img => img.complete && img.naturalWidth > 0"), image
        assert page.is_visible("#source-marker")

        page.keyboard.press(" ")  # the page's shortcut: play the horn
        page.wait_for_function(
            "() => { const a = document.getElementById('audio-beam');"
            " return a.played.length > 0 && a.currentTime > 0.2; }",
            timeout=15000,
        )
        assert page.eval_on_selector("#audio-beam", "a => a.duration") == pytest.approx(1.5, abs=0.05)
        page.screenshot(path=str(tmp_path / "case.png"), full_page=True)

        page.keyboard.press("c")  # confirm; the page moves on to the next case of the queue
        page.wait_for_url(f"{base}/cases/{seeded.case_ids[1]}")

        page.goto(f"{base}/export")
        assert case_id in page.inner_text("#export-table")
        csv_text = page.request.get(f"{base}/export.csv").text()
        assert case_id in csv_text and "粤R·12340" in csv_text

        page.goto(f"{base}/audit?case={case_id}")
        audit_text = page.inner_text("#audit-table")
        assert "case.confirm" in audit_text and "li" in audit_text
        page.screenshot(path=str(tmp_path / "audit.png"))
        browser.close()
    assert errors == []
    assert (tmp_path / "case.png").stat().st_size > 10_000
