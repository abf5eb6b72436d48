"""The interface's two languages: Simplified Chinese (the first deployment's officers) and English.

Catalogs are flat JSON files in `locales/`, one key per message, so a translator edits one file
and a missing key shows up in the test that compares the catalogs, not on an officer's screen.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from server.storage.models import LANGUAGES

LOCALE_DIR = Path(__file__).parent / "locales"
HTML_LANG = {"zh": "zh-CN", "en": "en"}


@cache
def catalog(language: str) -> dict[str, str]:
    """The messages of one language (loaded once per process)."""
    return json.loads((LOCALE_DIR / f"{language}.json").read_text(encoding="utf-8"))


def pick_language(*candidates: str | None) -> str:
    """The first candidate that is a supported language (cookie, user preference, config default)."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    return LANGUAGES[0]


class Translator:
    """`t("queue.title")` for templates; `t("x", n=3)` fills `{n}` in the message."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._messages = catalog(language)

    def __call__(self, key: str, **values: object) -> str:
        message = self._messages.get(key) or catalog("en").get(key) or key
        return message.format(**values) if values else message
