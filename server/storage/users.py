"""Users, passwords and API tokens: the only place that hashes or checks a credential.

Passwords use argon2id (argon2-cffi), slow on purpose because people reuse weak passwords.
API tokens are 256-bit random strings, so a SHA-256 of the token is enough to store and lets
the API find the token's row with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import UserFacingError
from server.storage.models import LANGUAGES, ROLES, ApiToken, User, utcnow

_hasher = PasswordHasher()
TOKEN_PREFIX = "hw_"
MIN_PASSWORD = 8
"""The shortest password accepted, by `honk-server user add` and the admin page alike."""


class UserError(UserFacingError):
    """A user or token request that cannot be done (duplicate name, unknown role, ...)."""


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, for `User.password_hash`."""
    return _hasher.hash(password)


def verify_password(session: Session, user: User, password: str) -> bool:
    """True if `password` is the user's; upgrades the stored hash when argon2 parameters changed.

    The caller commits the session (a rehash is written through it).
    """
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
    return True


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user called `name` if `password` matches, else None (same answer for both failures)."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        _hasher.hash(password)  # spend the same time as a real check, so names cannot be probed
        return None
    if not user.active or not verify_password(session, user, password):
        return None
    return user


def token_sha256(token: str) -> str:
    """The stored form of an API token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(session: Session, name: str, role: str, password: str, language: str = "zh") -> User:
    """Add a user (not committed). Raises `UserError` for a taken name or an unknown role/language."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise UserError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
    if not name or len(name) > 64:
        raise UserError("a user name must be 1 to 64 characters")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise UserError(f"user {name!r} already exists")
    user = User(name=name, role=role, language=language, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def issue_token(session: Session, user: User) -> str:
    """Create an API token for `user` (not committed) and return it: the only time it is visible."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_sha256=token_sha256(token), prefix=token[:8]))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning the unrevoked `token`, else None; records when the token was used."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_sha256(token)))
    if row is None or row.revoked or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user


def set_active(session: Session, user: User, active: bool) -> bool:
    """Activate or deactivate `user` (not committed); True if that changed anything.

    A deactivated user cannot log in, their open page sessions end at the next request and
    their API tokens stop working (`authenticate`, `user_for_token` and the page dependency all
    check `User.active`); the row stays so the audit log keeps the name.
    """
    if user.active == active:
        return False
    user.active = active
    session.add(user)
    return True


def revoke_token(session: Session, token: ApiToken) -> bool:
    """Revoke one API token (not committed); True if it was live. The row stays for its prefix."""
    if token.revoked:
        return False
    token.revoked = True
    session.add(token)
    return True
