"""Passwords and sessions of the web app's users.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile);
a hash made with older parameters is replaced at the next sign-in. A session is a random
token in the browser's cookie; the database keeps its SHA-256 digest and the session's CSRF
token (``store/web_sessions.py``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from dealbase.clock import now
from dealbase.errors import BadInput
from dealbase.store import web_sessions

HASHER = PasswordHasher()
MIN_LENGTH = 8
MAX_LENGTH = 1024  # hashing is the cost; a password past this is refused before it
# Verified when no user has the e-mail given, so that a wrong e-mail takes as long as a
# wrong password (the answer tells no one which e-mail addresses have accounts).
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


def new_password() -> str:
    """A random password to hand out once (the first admin's)."""
    return secrets.token_urlsafe(12)


def check_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise BadInput(f"A password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH or "\x00" in password:
        raise BadInput(f"A password has at most {MAX_LENGTH} characters and no NUL")
    return password


def set_password(conn: Connection, company_id: int, user_id: int, password: str) -> None:
    """The user's password (checked, then hashed); their open sessions end."""
    web_sessions.set_password(conn, company_id, user_id, HASHER.hash(check_password(password)), now())


def verifies(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Found:
    """The user a password matched, and a new hash to store when the old one is outdated."""

    company_id: int
    user_id: int
    rehashed: str | None


def match(candidates: list[dict], password: str) -> Found | None:
    """The first of the e-mail's users whose password this is (slow: run it off the loop)."""
    if not candidates or len(password) > MAX_LENGTH:
        verifies(_DUMMY_HASH, password[:MAX_LENGTH])
        return None
    for user in candidates:
        if verifies(user["password_hash"], password):
            stale = HASHER.check_needs_rehash(user["password_hash"])
            return Found(user["company_id"], user["id"], HASHER.hash(password) if stale else None)
    return None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie's value, shown to no one else
    digest: str
    csrf_token: str


def open_session(conn: Connection, found: Found, hours: int) -> NewSession:
    """A new session of the user a password matched; expired sessions go meanwhile."""
    stamp = now()
    expires = (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")
    token = secrets.token_urlsafe(32)
    session = NewSession(token, digest(token), secrets.token_urlsafe(32))
    web_sessions.end_expired(conn, stamp)
    if found.rehashed is not None:
        web_sessions.rehash(conn, found.company_id, found.user_id, found.rehashed, stamp)
    web_sessions.add_session(conn, found.company_id, found.user_id, session.digest, session.csrf_token, stamp, expires)
    return session
