"""A company's clock: the time of everything dealbase does for it (the sandbox's test clock).

Set through the control plane (``control/clock.py``): frozen, the company's time stays where
it was set; running, it goes on from there at real speed. A company whose clock was never
set (or was set back to real time) lives in real time, on the unit's default clock.

Rules: a clock may be set to any time, backwards too, frozen or not (a test needs to go back
to where it started); ``advance`` only moves forward (at least one second); a clock in real
time cannot be frozen without a time to freeze it at, so freezing it takes the present.

Each process keeps a company's setting for ``TTL_SECONDS`` in the process's caches
(``unit.shared``), so a request adds no query; the process that changes it drops its copy
at once, other server processes see the change within that time. The same read brings the
company's plan and seats (``Standing``), which the rate limits of each request follow: a
company's plan is set when it is made; its seats rise when it has more active users than
seats (``domain/users.py``), the process that raises them dropping its copy at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from dealbase import clock as real
from dealbase.errors import BadInput
from dealbase.store import companies

if TYPE_CHECKING:  # the presenters ask it for the company's mail name (smart_bcc.py), under unit.py
    from dealbase.domain.unit import Unit

TTL_SECONDS = 2.0
_MAX_CACHED = 10_000  # companies (a sandbox makes one per test)


def _moment(stored: str) -> datetime:
    # fromisoformat, not strptime: a running clock is read on every stamp of a request
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _stored(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Setting:
    """A company's clock: its time ``start`` when set at the real time ``set_at`` (both None:
    real time), and whether it stands still there."""

    start: str | None = None
    set_at: str | None = None
    frozen: bool = False

    @property
    def real_time(self) -> bool:
        return self.start is None

    def now(self) -> str:
        """The company's present, in the stored form (UTC ``YYYY-MM-DD HH:MM:SS``)."""
        if self.start is None:
            return real.now()
        if self.frozen or self.set_at is None:
            return self.start
        elapsed = _moment(real.now()) - _moment(self.set_at)
        return _stored(_moment(self.start) + elapsed)

    def timestamp(self) -> float:
        """The company's present in seconds since the epoch (real time: to the fraction)."""
        if self.start is None:
            return time.time()
        return _moment(self.now()).timestamp()


@dataclass(frozen=True)
class Standing:
    """What every request needs of its company, read and cached together: its clock, the
    plan and seats its rate limits follow, and its mail name."""

    clock: Setting = Setting()
    plan: str = "lite"
    seats: int = 1
    # The local part of its Smart BCC address (``domain/smart_bcc.py``).
    mail_name: str = "company"


def read(conn: Connection, company_id: int) -> Setting | None:
    """The company's clock as stored (no cache), or None for an unknown company."""
    row = companies.standing(conn, company_id)
    return None if row is None else from_row(row)


def from_row(row: dict) -> Setting:
    """The clock of a row with the stored columns ``clock_now``, ``clock_set_at``, ``clock_frozen``."""
    return Setting(row["clock_now"], row["clock_set_at"], bool(row["clock_frozen"]))


def _standings(shared: dict) -> dict[int, tuple[float, Standing]]:
    return shared.setdefault("company_standings", {})


def standing(conn: Connection, shared: dict, company_id: int) -> Standing:
    """A company's clock, plan and seats, read at most once per ``TTL_SECONDS`` per process
    (``shared``: the process's caches)."""
    standings = _standings(shared)
    hit = standings.get(company_id)
    moment = time.monotonic()
    if hit is not None and hit[0] > moment:
        return hit[1]
    row = companies.standing(conn, company_id)
    found = Standing() if row is None else Standing(from_row(row), row["plan"], row["seats"], row["mail_name"] or "company")
    if len(standings) >= _MAX_CACHED:
        standings.clear()
    standings[company_id] = (moment + TTL_SECONDS, found)
    return found


def cached(conn: Connection, shared: dict, company_id: int) -> Setting:
    """A company's clock, read as ``standing`` keeps it."""
    return standing(conn, shared, company_id).clock


def of(unit: Unit) -> Setting:
    """The unit's company clock (cached as ``cached`` keeps it)."""
    return cached(unit.conn, unit.shared, unit.company_id)


def now_of(conn: Connection, company_id: int) -> str:
    """A company's present, read now: for what works on a connection alone (the OAuth server's
    codes and tokens, rare enough not to need the cache)."""
    return (read(conn, company_id) or Setting()).now()


def attach(unit: Unit) -> Standing:
    """Make the unit's stamps the company's time (a company in real time keeps the default);
    the company's clock, plan and seats."""
    found = standing(unit.conn, unit.shared, unit.company_id)
    if not found.clock.real_time:
        unit.clock = found.clock.now
    return found


def forget(shared: dict, company_id: int) -> None:
    """Drop this process's copy of a company's clock, plan and seats (after a change to its
    clock is committed, or the company is deleted: a new one may take its id)."""
    _standings(shared).pop(company_id, None)


def put(conn: Connection, company_id: int, current: Setting, given: dict) -> Setting:
    """Set the clock: ``now`` (a stored time; None: back to real time) and / or ``frozen``;
    what is not given stays as it is, the time going on from the company's present."""
    frozen = given.get("frozen", current.frozen)
    if "now" in given:
        start = given["now"]
        if start is None and given.get("frozen"):
            raise BadInput("A clock set back to real time cannot be frozen")
    else:
        start = None if current.real_time and not frozen else current.now()
    return _store(conn, company_id, Setting(start, None, frozen and start is not None))


def advance(conn: Connection, company_id: int, current: Setting, seconds: int) -> Setting:
    """Move the company's time forward by ``seconds``, frozen or running as it was."""
    try:
        start = _stored(_moment(current.now()) + timedelta(seconds=seconds))
    except (OverflowError, ValueError):
        raise BadInput("seconds: the clock cannot go past the year 9999") from None
    return _store(conn, company_id, Setting(start, None, current.frozen))


def _store(conn: Connection, company_id: int, setting: Setting) -> Setting:
    set_at = None if setting.real_time else real.now()
    companies.set_clock(conn, company_id, set_at, setting.start, setting.frozen)
    return Setting(setting.start, set_at, setting.frozen)
