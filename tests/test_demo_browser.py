"""`honk-server demo` from nothing: within 30 s a reviewer sees cases with photos, audio and plates.

The demo runs as a real process (embedded broker, ingest, web, two edge-node processes replaying
the bundled scenes); Chromium logs in and opens a case. Ctrl-C (SIGINT) must stop it cleanly.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS
from transport_support import free_port

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed"),
]


def test_demo_shows_cases_on_the_review_page_within_30_s(tmp_path: Path) -> None:
    """Screenshots go to pytest's tmp_path (queue.png, case.png), not the repository."""
    port = free_port()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
            "--no-simulate",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = ""
        while "Press Ctrl-C" not in banner:
            line = demo.stdout.readline()
            assert line, f"demo exited before it was ready: {banner}"
            banner += line
        assert f"http://127.0.0.1:{port}/" in banner and "reviewer / honkwatch-demo" in banner
        started = time.monotonic()
        base = f"http://127.0.0.1:{port}"
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 950})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/queue")
            page.fill("input[name=username]", "reviewer")
            page.fill("input[name=password]", "honkwatch-demo")
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/queue")
            while page.locator("table#queue tbody tr a[href^='/cases/']").count() == 0:
                assert time.monotonic() - started < 30, "no case on the review page within 30 s"
                time.sleep(1.0)
                page.reload()
            elapsed = time.monotonic() - started
            page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
            # A simulated node reads plates from its truth; open a case that has one.
            with_plate = page.locator("table#queue tbody tr", has_text="粤").locator("a[href^='/cases/']")
            assert with_plate.count() > 0, "no case with a plate in the queue"
            with_plate.first.click()
            page.wait_for_url(f"{base}/cases/*")
            for image in ("#wide-img", "#closeup-img", "#spectrogram-img"):
                assert page.eval_on_selector(image, "img => img.complete && img.naturalWidth > 0"), image
            assert page.locator("#audio-beam").count() == 1
            assert page.inner_text("#plate-display").startswith("粤")
            page.screenshot(path=str(tmp_path / "case.png"), full_page=True)
            browser.close()
        assert errors == []
        assert elapsed < 30
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            out, _ = demo.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            demo.kill()
            out, _ = demo.communicate()
    assert demo.returncode == 0, out
    assert "stopped." in out
    assert (tmp_path / "case.png").stat().st_size > 10_000
