"""Debian's Chromium for the browser tests: where it is and the flags a closed sandbox needs.

Without the background-networking flags Chromium keeps trying to reach the network, which this
machine refuses; no browser is ever downloaded (no `playwright install`).
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
