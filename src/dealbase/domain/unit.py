"""A unit of work: what a write (or a read of the domain) needs, with no request in it.

The API's request context (``api/context.py: Ctx``) is a unit with the request's parts on
top; a seed script, an import or the control plane makes a plain one (``Unit(conn,
company_id, user)``) and calls the write service (``domain/service.py``) with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from dealbase import clock
from dealbase.domain.entity import Entity
from dealbase.domain.field_defs import Defs, defs
from dealbase.store import companies
from dealbase.store import repository as repo
from dealbase.store.tables import users

Row = dict[str, Any]


def now() -> str:
    """The present (``dealbase.clock.now``, looked up when asked)."""
    return clock.now()


def _now() -> str:
    """The default clock: the present, looked up when asked (a test sets it by patching
    this module's ``now``, or ``dealbase.clock.now``)."""
    return now()


class Unit:
    """One transaction's worth of work for one user of one company.

    ``clock`` gives the stamp of a write (the stored UTC form); ``cache`` keeps what this
    unit read once (rows by id, custom field definitions); ``shared`` is the process's
    caches (definitions by company and fields version), to be left empty where the
    transaction may roll back; ``scratch`` carries one write's intermediate values from
    an entity's rules to its ``write_children``; ``batch``, inside ``service.batch``, what
    the writes leave to the batch's end.
    """

    __slots__ = ("conn", "company_id", "user", "clock", "shared", "cache", "scratch", "batch")

    def __init__(
        self,
        conn: Connection = None,  # type: ignore[assignment]
        company_id: int = 0,
        user: Row | None = None,
        clock: Callable[[], str] | None = None,
        shared: dict[Any, Any] | None = None,
    ) -> None:
        self.conn = conn
        self.company_id = company_id
        self.user: Row = user or {}
        self.clock = clock or _now
        self.shared: dict[Any, Any] = {} if shared is None else shared
        self.cache: dict[Any, Any] = {}
        self.scratch: dict[str, Any] = {}
        self.batch: Deferred | None = None

    @property
    def user_id(self) -> int:
        return self.user["id"]

    def rows(self, table: Any, ids: Iterable[Any]) -> dict[Any, Row]:
        """Rows of the unit's company by id, read once per unit however often asked."""
        cache: dict[Any, Any] = self.cache.setdefault(("rows", table.name), {})
        wanted = [i for i in ids if i is not None]
        missing = {i for i in wanted if i not in cache}
        if missing:
            found = repo.get_many(self.conn, table, self.company_id, missing)
            for i in missing:
                cache[i] = found.get(i)
        return {i: cache[i] for i in wanted if cache[i] is not None}

    def custom_defs(self, entity: Entity) -> Defs | None:
        """The company's live custom fields of an entity (``domain/field_defs.py``)."""
        return defs(self, entity)


def as_first_admin(conn: Connection, company_id: int, shared: dict[Any, Any] | None = None) -> Unit:
    """A unit of work in the company acting as its first admin (the CLI's imports, mail an
    SMTP delivery brings: work no user of it asked for)."""
    return Unit(conn, company_id, repo.get(conn, users, company_id, companies.first_admin_id(conn, company_id)), shared=shared)


class Deferred:
    """What the writes of a batch (``service.batch``) leave to its end: per function that
    finishes it (``finish(unit, keys)``), the keys it was asked for, each once, in the order
    first asked; the functions in the order first asked too."""

    def __init__(self) -> None:
        self.work: dict[Callable[[Unit, list[Any]], None], dict[Any, None]] = {}

    def add(self, finish: Callable[[Unit, list[Any]], None], keys: Iterable[Any]) -> None:
        self.work.setdefault(finish, {}).update(dict.fromkeys(keys))

    def run(self, unit: Unit) -> None:
        while self.work:
            finish = next(iter(self.work))
            finish(unit, list(self.work.pop(finish)))


@dataclass
class Input:
    """A write's input, parsed by its caller (the API: v1 lenient, v2 strict).

    ``values``: column values. ``own``: the values sent under the keys the entity parses
    itself (``Entity.own_keys``: an organization's address, a person's e-mails, a
    product's prices…), raw, for the entity's pure parsing functions; ``sent``: every key
    the caller sent. ``custom``: the custom field values, raw (v2: the ``custom_fields``
    object; v1: the body, whose flat keys they are), parsed by the service
    (``domain/custom_values.py``); None when the caller gives none. ``api`` is the version
    it came through: it decides how lenient those parsing functions are and which keys
    errors name (v1 and v2 spell some differently), and the rare rule that differs by
    version (v1's delete-by-update of a deal).
    """

    values: Row
    own: Row = field(default_factory=dict)
    sent: frozenset[str] = frozenset()
    api: str = "v2"
    custom: Any = None

    @property
    def lenient(self) -> bool:
        """v1 coerces (``"1"`` is a number, ``0``/``1`` are booleans); v2 takes JSON types."""
        return self.api != "v2"

    def key(self, v1: str | None, v2: str | None) -> str | None:
        """The caller's spelling of a field's key."""
        return v1 if self.lenient else v2
