"""The web app's sign-in rows: users' password hashes and browser sessions.

A session is found by the digest of its cookie's token before the company is known (like an
API token, ``store/companies.py``), so those reads are not scoped by a company id given: the
digest is the key, and the row names its company and user.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from dealbase.store.repository import Prepared, Row
from dealbase.store.tables import user_passwords, users, web_sessions

# Run on every web request and every API call the web app makes as its signed-in user.
_SESSION_USER = Prepared(
    select(users, web_sessions.c.csrf_token, web_sessions.c.id.label("session_id"))
    .join(web_sessions, web_sessions.c.user_id == users.c.id)
    .where(
        web_sessions.c.token_digest == bindparam("digest"),
        web_sessions.c.expires_at > bindparam("now"),
        users.c.active_flag.is_(True),
    )
)


def sign_in_candidates(conn: Connection, email: str) -> list[Row]:
    """Every active user with this e-mail address (in any case) and a password: ``id``,
    ``company_id``, ``password_hash``; oldest first."""
    stmt = (
        select(users.c.id, users.c.company_id, user_passwords.c.password_hash)
        .join(user_passwords, user_passwords.c.user_id == users.c.id)
        .where(func.lower(users.c.email) == email.lower(), users.c.active_flag.is_(True))
        .order_by(users.c.id)
    )
    return [dict(row) for row in conn.execute(stmt).mappings()]


def password_hash(conn: Connection, company_id: int, user_id: int) -> str | None:
    stmt = select(user_passwords.c.password_hash).where(
        user_passwords.c.company_id == company_id, user_passwords.c.user_id == user_id
    )
    return conn.execute(stmt).scalar()


def set_password(conn: Connection, company_id: int, user_id: int, password_hash: str, stamp: str) -> None:
    """The user's password hash, replaced or first set; every session they hold ends."""
    changed = conn.execute(
        update(user_passwords)
        .where(user_passwords.c.company_id == company_id, user_passwords.c.user_id == user_id)
        .values(password_hash=password_hash, update_time=stamp)
    ).rowcount
    if not changed:
        conn.execute(
            insert(user_passwords).values(
                company_id=company_id, user_id=user_id, password_hash=password_hash, add_time=stamp
            )
        )
    end_user_sessions(conn, company_id, user_id)


def rehash(conn: Connection, company_id: int, user_id: int, password_hash: str, stamp: str) -> None:
    """A stored hash replaced by one with the current parameters (the password unchanged)."""
    conn.execute(
        update(user_passwords)
        .where(user_passwords.c.company_id == company_id, user_passwords.c.user_id == user_id)
        .values(password_hash=password_hash, update_time=stamp)
    )


def add_session(
    conn: Connection, company_id: int, user_id: int, digest: str, csrf_token: str, stamp: str, expires_at: str
) -> None:
    conn.execute(
        insert(web_sessions).values(
            company_id=company_id,
            user_id=user_id,
            token_digest=digest,
            csrf_token=csrf_token,
            add_time=stamp,
            expires_at=expires_at,
        )
    )


def session_user(conn: Connection, digest: str, now: str) -> Row | None:
    """The active user of a live session, with its ``csrf_token`` and ``session_id``; None
    for an unknown, ended or expired session or a deactivated user."""
    rows = _SESSION_USER.rows(conn, {"digest": digest, "now": now})
    return rows[0] if rows else None


def end_session(conn: Connection, digest: str) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.token_digest == digest))


def end_user_sessions(conn: Connection, company_id: int, user_id: int) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.company_id == company_id, web_sessions.c.user_id == user_id))


def end_expired(conn: Connection, now: str) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
