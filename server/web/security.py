"""Signed session cookies and CSRF tokens (credentials themselves are checked in `server.storage.users`).

The session lives in a cookie signed with itsdangerous (no server-side session table, so any
number of web processes can serve the same officer). It carries only the user id and the CSRF
token; the user row is read again on every request so that disabling an account takes effect
at once.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "hw_session"
SESSION_MAX_AGE_S = 12 * 3600  # one shift


@dataclass
class WebSession:
    """What the signed cookie holds: who is logged in and the CSRF token of this browser."""

    user_id: int | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf, submitted or "")


class SessionCodec:
    """Signs and reads the session cookie."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="honkwatch-session")

    def dumps(self, session: WebSession) -> str:
        return self._serializer.dumps({"u": session.user_id, "c": session.csrf})

    def loads(self, cookie: str | None) -> WebSession | None:
        """The session in a cookie, or None when it is missing, forged or older than a shift."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        user_id = data.get("u")
        return WebSession(user_id if isinstance(user_id, int) else None, data["c"])
