"""Webhook subscriptions and their delivery outbox: all of their SQL.

Every transaction here that writes more than one of them takes its locks in one order —
the webhook, then its deliveries, then the company's version — so the API and the
dispatchers never deadlock on PostgreSQL.

Subscriptions are read and written per company like every other row. The outbox is also
read across companies, by the dispatcher alone (``claim``): each row it takes it then
finishes under that row's own company.

A delivery's ``next_at`` is in its company's time: real time for a company on real time,
the company's clock for one whose clock is set (``domain/company_clock.py``). So the
cross-company claim takes only companies on real time; the others are claimed one company
at a time, against that company's present (``clocked_pending`` lists them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from dealbase.store.repository import Prepared, Row, bump_company_counter
from dealbase.store.tables import companies, users, webhook_deliveries, webhooks

PENDING, DELIVERED, FAILED, DROPPED = "pending", "delivered", "failed", "dropped"


# -- subscriptions ----------------------------------------------------------------------


# conn.info: (transaction, company id, versions) as last read in that transaction
_VERSION_READ = "dealbase_webhooks_version"
_VERSIONS = Prepared(
    select(companies.c.webhooks_version, companies.c.users_version).where(companies.c.id == bindparam("cid"))
)


def version(conn: Connection, company_id: int) -> tuple[int, int]:
    """The company's webhooks version and users version, in one read: the webhooks move
    the first, their users' admin flags (which ``active`` shows) the second.

    Read once per transaction: a bulk write asks for it once per row.
    """
    transaction = conn.get_transaction()
    held = conn.info.get(_VERSION_READ)
    if held is not None and transaction is not None and held[0] is transaction and held[1] == company_id:
        return held[2]
    rows = _VERSIONS.rows(conn, {"cid": company_id})
    current = (rows[0]["webhooks_version"], rows[0]["users_version"]) if rows else (0, 0)
    if transaction is not None:
        conn.info[_VERSION_READ] = (transaction, company_id, current)
    return current


def bump_version(conn: Connection, company_id: int) -> None:
    bump_company_counter(conn, company_id, "webhooks_version")
    conn.info.pop(_VERSION_READ, None)


def active(conn: Connection, company_id: int) -> list[Row]:
    """The company's webhooks that take events: neither deleted nor removed (bans are the
    caller's to check: they end by themselves); ``user_is_admin`` and ``user_is_active``:
    whether the user a webhook acts for is an admin, and active (both false for one gone)."""
    u = users.c
    of_user = (u.company_id == company_id, u.id == webhooks.c.user_id)
    admin = select(u.is_admin).where(*of_user).scalar_subquery()
    active = select(u.active_flag).where(*of_user).scalar_subquery()
    stmt = (
        select(
            webhooks,
            func.coalesce(admin, False).label("user_is_admin"),
            func.coalesce(active, False).label("user_is_active"),
        )
        .where(webhooks.c.company_id == company_id, webhooks.c.is_deleted.is_(False), webhooks.c.remove_time.is_(None))
        .order_by(webhooks.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def listed(conn: Connection, company_id: int, app_id: int | None, owner_id: int | None = None) -> list[Row]:
    """Webhooks ``GET /v1/webhooks`` shows: all not deleted (removed ones too, with their
    ``remove_time``) of the app ``app_id`` made, or of none (``general``), and with
    ``owner_id`` only those that user made."""
    stmt = select(webhooks).where(*_visible(company_id, app_id))
    if owner_id is not None:
        stmt = stmt.where(webhooks.c.owner_id == owner_id)
    return [dict(r) for r in conn.execute(stmt.order_by(webhooks.c.id)).mappings()]


def get(conn: Connection, company_id: int, webhook_id: int, app_id: int | None) -> Row | None:
    stmt = select(webhooks).where(webhooks.c.id == webhook_id, *_visible(company_id, app_id))
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def count_owned(conn: Connection, company_id: int, owner_id: int, app_id: int | None) -> int:
    stmt = select(func.count()).where(
        webhooks.c.owner_id == owner_id, webhooks.c.remove_time.is_(None), *_visible(company_id, app_id)
    )
    return conn.execute(stmt).scalar_one()


def _visible(company_id: int, app_id: int | None) -> list:
    app = webhooks.c.app_id.is_(None) if app_id is None else webhooks.c.app_id == app_id
    return [webhooks.c.company_id == company_id, webhooks.c.is_deleted.is_(False), app]


def insert_webhook(conn: Connection, company_id: int, values: dict[str, Any]) -> int:
    result = conn.execute(insert(webhooks).values(company_id=company_id, **values).returning(webhooks.c.id))
    bump_version(conn, company_id)
    return result.scalar_one()


def delete_webhook(conn: Connection, company_id: int, webhook_id: int, stamp: str) -> None:
    """Deleted through the API: gone from lists, and what it still had to send is dropped."""
    _retire(conn, company_id, [webhook_id], is_deleted=True, remove_time=stamp)


def delete_app_webhooks(conn: Connection, company_id: int, app_id: int, owner_id: int, stamp: str) -> None:
    """Deleted all at once, as ``delete_webhook`` deletes one: the webhooks an app made for
    a user (when that user revokes the app)."""
    ids = list(
        conn.execute(
            select(webhooks.c.id).where(webhooks.c.owner_id == owner_id, *_visible(company_id, app_id))
        ).scalars()
    )
    if ids:
        _retire(conn, company_id, ids, is_deleted=True, remove_time=stamp)


def remove(conn: Connection, company_id: int, webhook_id: int, stamp: str, reason: str) -> None:
    """Removed for failing: still listed, with its ``remove_time`` and ``remove_reason``."""
    _retire(conn, company_id, [webhook_id], remove_time=stamp, remove_reason=reason)


def _retire(conn: Connection, company_id: int, webhook_ids: list[int], **values: Any) -> None:
    """The webhooks take no more events and drop their pending deliveries (in the lock
    order: all the webhooks, their deliveries, then the version once)."""
    conn.execute(
        update(webhooks).where(webhooks.c.company_id == company_id, webhooks.c.id.in_(webhook_ids)).values(**values)
    )
    d = webhook_deliveries
    conn.execute(
        update(d)
        .where(d.c.company_id == company_id, d.c.webhook_id.in_(webhook_ids), d.c.status == PENDING)
        .values(status=DROPPED, claimed_until=None, claimed_by=None)
    )
    bump_version(conn, company_id)


def _webhook(company_id: int, webhook_id: int) -> tuple:
    return webhooks.c.company_id == company_id, webhooks.c.id == webhook_id


# -- the outbox -------------------------------------------------------------------------


def add_deliveries(conn: Connection, company_id: int, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(webhook_deliveries), [{**row, "company_id": company_id} for row in rows])


def claim(
    conn: Connection,
    token: str,
    now: float,
    stamp: str,
    lease: float,
    limit: int,
    *,
    company_id: int | None = None,
    flush: bool = False,
    due: float | None = None,
) -> list[Row]:
    """Take up to ``limit`` due deliveries for ``lease`` seconds, each with its webhook.

    Only the oldest pending delivery of each (webhook, entity) is due, so an entity's
    events go out in order. On PostgreSQL the rows are locked with ``SKIP LOCKED``: two
    processes claiming at once never take the same row; on SQLite the write transaction
    (``BEGIN IMMEDIATE``) serialises claims. The caller commits.

    ``now`` is real time (the lease); ``due`` the company's present (default ``now``) that
    ``next_at`` and ``stamp`` the ban's end are compared with. ``company_id``: only that
    company's; without it, every company on real time. ``flush``: due without waiting for the retry time
    or the webhook's ban to end, and only rows ``token`` has not taken before (a flush
    tries each once).
    """
    d, w = webhook_deliveries, webhooks
    e = d.alias("earlier")
    earlier = (
        select(e.c.id)
        .where(
            e.c.webhook_id == d.c.webhook_id, e.c.entity_key == d.c.entity_key, e.c.status == PENDING, e.c.id < d.c.id
        )
        .exists()
    )
    conditions = [d.c.status == PENDING, or_(d.c.claimed_until.is_(None), d.c.claimed_until < now), ~earlier]
    if company_id is not None:
        conditions.append(d.c.company_id == company_id)
    else:
        conditions.append(d.c.company_id.not_in(select(companies.c.id).where(companies.c.clock_now.is_not(None))))
    if flush:
        conditions.append(or_(d.c.claimed_by.is_(None), d.c.claimed_by != token))
    else:
        not_banned = select(w.c.id).where(or_(w.c.banned_until.is_(None), w.c.banned_until <= stamp))
        conditions += [d.c.next_at <= (now if due is None else due), d.c.webhook_id.in_(not_banned)]
    pick = select(d.c.id).where(*conditions).order_by(d.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = list(conn.execute(pick).scalars())
    if not ids:
        return []
    conn.execute(
        update(d).where(d.c.id.in_(ids)).values(claimed_until=now + lease, claimed_by=token, attempts=d.c.attempts + 1)
    )
    stmt = (
        select(
            d,
            w.c.subscription_url,
            w.c.http_auth_user,
            w.c.http_auth_password,
            w.c.version,
            w.c.add_time.label("webhook_add_time"),
            w.c.last_success_time,
        )
        .join(w, w.c.id == d.c.webhook_id)
        .where(d.c.id.in_(ids), d.c.claimed_by == token)
        .order_by(d.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def clocked_pending(conn: Connection) -> list[Row]:
    """The companies whose clock is set that have pending deliveries: ``id`` and the clock
    columns (as ``companies.standing`` reads them)."""
    c, d = companies, webhook_deliveries
    pending = select(d.c.id).where(d.c.company_id == c.c.id, d.c.status == PENDING).exists()
    stmt = (
        select(c.c.id, c.c.clock_set_at, c.c.clock_now, c.c.clock_frozen)
        .where(c.c.clock_now.is_not(None), pending)
        .order_by(c.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def delivered(conn: Connection, row: Row, status: int, stamp: str) -> None:
    d, w = webhook_deliveries, webhooks
    conn.execute(
        update(w)
        .where(*_webhook(row["company_id"], row["webhook_id"]))
        .values(last_delivery_time=stamp, last_http_status=status, last_success_time=stamp, failures=0)
    )
    conn.execute(
        update(d)
        .where(d.c.company_id == row["company_id"], d.c.id == row["id"], d.c.status == PENDING)
        .values(status=DELIVERED, last_http_status=status, last_attempt_time=stamp, last_error=None, claimed_until=None)
    )


def attempt_failed(
    conn: Connection, row: Row, status: int | None, error: str, stamp: str, next_at: float | None
) -> None:
    """One failed try: retried at ``next_at``, or failed for good when it is None."""
    d, w = webhook_deliveries, webhooks
    values: dict[str, Any] = {
        "last_http_status": status,
        "last_attempt_time": stamp,
        "last_error": error[:255],
        "claimed_until": None,
    }
    values.update({"status": FAILED} if next_at is None else {"next_at": next_at})
    conn.execute(
        update(w)
        .where(*_webhook(row["company_id"], row["webhook_id"]))
        .values(last_delivery_time=stamp, last_http_status=status)
    )
    # A delivery dropped meanwhile (its webhook deleted) stays dropped.
    mine = (d.c.company_id == row["company_id"], d.c.id == row["id"], d.c.status == PENDING)
    conn.execute(update(d).where(*mine).values(values))


def count_first_failure(conn: Connection, row: Row, threshold: int, banned_until: str) -> bool:
    """Count a first-attempt failure; at ``threshold`` ban the webhook until ``banned_until``
    (the counter starts again). True when it was banned now."""
    w = webhooks
    where = _webhook(row["company_id"], row["webhook_id"])
    failures = conn.execute(
        update(w).where(*where).values(failures=w.c.failures + 1).returning(w.c.failures)
    ).scalar_one()
    if failures < threshold:
        return False
    conn.execute(update(w).where(*where).values(failures=0, banned_until=banned_until))
    bump_version(conn, row["company_id"])
    return True


def deliveries(
    conn: Connection,
    *,
    company_id: int | None = None,
    webhook_id: int | None = None,
    statuses: Iterable[str] = (),
    limit: int = 100,
) -> list[Row]:
    """The newest deliveries first, each with its webhook's ``subscription_url``, for
    debugging (the CLI, the control plane)."""
    d, w = webhook_deliveries, webhooks
    stmt = select(d, w.c.subscription_url).join(w, w.c.id == d.c.webhook_id)
    if company_id is not None:
        stmt = stmt.where(d.c.company_id == company_id)
    if webhook_id is not None:
        stmt = stmt.where(d.c.webhook_id == webhook_id)
    statuses = list(statuses)
    if statuses:
        stmt = stmt.where(d.c.status.in_(statuses))
    return [dict(r) for r in conn.execute(stmt.order_by(d.c.id.desc()).limit(limit)).mappings()]
