"""The webhook outbox: each change event becomes one delivery per matching webhook, written
in the write's own transaction, so a crash after the commit loses nothing.

Each process keeps the company's webhooks keyed by ``companies.webhooks_version`` and
``users_version`` (a webhook's user's admin flag goes with it): a write
in a company without webhooks costs one primary-key read per transaction. The payloads are rendered by the
API layer (``api/webhook_payloads.py`` registers ``RENDERERS``), with the row as the write
left it. A webhook whose user is not an admin gets an event only for an item that user
sees (``_permitted``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from dealbase.domain import visibility
from dealbase.domain.registry import ENTITIES
from dealbase.store import repository as repo
from dealbase.store import webhooks as store

# Our entity name → the object name of each webhook version. Only what Pipedrive sends.
_BOTH = ("activity", "deal", "lead", "note", "organization", "person", "pipeline", "product", "stage", "user")
V2_OBJECTS = {name: name for name in _BOTH} | {
    "deal_installment": "deal_installment",
    "deal_product": "deal_product",
    "project": "project",
    "project_board": "board",
    "project_phase": "phase",
    "task": "task",
}
V1_OBJECTS = {name: name for name in _BOTH} | {"activity_type": "activityType"}
# v1's words for the actions; a 1.0 webhook may be registered with either vocabulary.
V1_ACTIONS = {"create": "added", "change": "updated", "delete": "deleted"}
ACTIONS = {"create": "create", "change": "change", "delete": "delete", "*": "*"} | {v: k for k, v in V1_ACTIONS.items()}
# v1 only: the survivor of a merge (v2 calls it a change, with ``meta.merged_from_id``).
MERGED = "merged"
ACTIONS[MERGED] = MERGED


@dataclass(frozen=True)
class Hook:
    id: int
    owner_id: int
    user_id: int
    action: str  # create / change / delete / * (v1 words normalised)
    object: str  # as registered: deal, activityType, board, *
    version: str
    type: str
    banned_until: str | None
    # Whether ``user_id`` (whom the webhook acts for) is an admin: who sees every item.
    admin: bool = True
    active: bool = True  # whether that user is active: an inactive user's webhook gets nothing

    def wants(self, event: Event) -> bool:
        name = (V2_OBJECTS if self.version == "2.0" else V1_OBJECTS).get(event.entity)
        return name is not None and self.action in ("*", event.action_of(self.version)) and self.object in ("*", name)


@dataclass(frozen=True)
class Event:
    company_id: int
    entity: str
    entity_id: int | str
    action: str
    user_id: int | None
    changes: dict[str, list[Any]]
    is_bulk: bool
    correlation_id: str
    time: str  # the change's stamp: the company's time (``domain/company_clock.py``)
    # On a merge: ("merged_from_id", absorbed id) for the survivor's change,
    # ("merged_to_id", survivor id) for the absorbed item's delete.
    merge: tuple[str, int | str] | None = None

    def action_of(self, version: str) -> str:
        """The action as a webhook of ``version`` names it (v2 words; v1's merge survivor: merged)."""
        if version != "2.0" and self.merge is not None and self.action == "change":
            return MERGED
        return self.action


# (conn, event, hooks) -> [(hook, delivery id, payload)]: each hook (its user active and
# seeing the item: ``_permitted``) with its payload (``meta.attempt`` / ``retry`` are set at each send).
Renderer = Callable[[Connection, Event, list[Hook]], list[tuple[Hook, str, dict[str, Any]]]]
RENDERERS: list[Renderer] = []
# Called (from any thread) when deliveries were written: wakes this process's dispatcher.
WAKERS: list[Callable[[], None]] = []

log = logging.getLogger("dealbase.webhooks")

_CACHE: dict[int, tuple[int, tuple[Hook, ...]]] = {}
_CORRELATION = "dealbase_webhook_correlation"


def company_hooks(conn: Connection, company_id: int) -> tuple[Hook, ...]:
    current = store.version(conn, company_id)
    cached = _CACHE.get(company_id)
    if cached is not None and cached[0] == current:
        return cached[1]
    hooks = tuple(
        Hook(
            id=r["id"],
            owner_id=r["owner_id"],
            user_id=r["user_id"],
            action=ACTIONS.get(r["event_action"], r["event_action"]),
            object=r["event_object"],
            version=r["version"],
            type=r["type"],
            banned_until=r["banned_until"],
            admin=bool(r["user_is_admin"]),
            active=bool(r["user_is_active"]),
        )
        for r in store.active(conn, company_id)
    )
    _CACHE[company_id] = (current, hooks)
    return hooks


def forget_cached_hooks() -> None:
    """For a database that went back to an earlier state (a restore; the tests roll back
    each test), where a company's webhooks version can come again with other webhooks."""
    _CACHE.clear()


def _correlation_id(conn: Connection) -> str:
    """One id for every event of one transaction (one request)."""
    transaction = conn.get_transaction()
    held = conn.info.get(_CORRELATION)
    if held is None or held[0] is not transaction:
        held = conn.info[_CORRELATION] = (transaction, str(uuid.uuid4()))
    return held[1]


_MERGE = "dealbase.webhooks.merge"


@contextmanager
def merging(conn: Connection, entity: str, absorbed: int | str, survivor: int | str) -> Iterator[None]:
    """Within: the survivor's change events and the absorbed item's delete are a merge's."""
    conn.info[_MERGE] = {
        (entity, survivor, "change"): ("merged_from_id", absorbed),
        (entity, absorbed, "delete"): ("merged_to_id", survivor),
    }
    try:
        yield
    finally:
        conn.info.pop(_MERGE, None)


def on_change(conn: Connection, change: repo.Change) -> None:
    """``repository.record_change``'s listener: the deliveries of one change event."""
    entity, action = change.entity, change.action
    if entity not in V2_OBJECTS and entity not in V1_OBJECTS:
        return
    hooks = company_hooks(conn, change.company_id)
    if not hooks:
        return
    stamp = change.time  # the company's present: a ban ends by its clock (``dispatcher.py``)
    event = Event(
        change.company_id,
        entity,
        change.entity_id,
        action,
        change.user_id,
        change.changes or {},
        change.is_bulk,
        _correlation_id(conn),
        stamp,
        conn.info.get(_MERGE, {}).get((entity, change.entity_id, action)),
    )
    # Events produced during a ban are lost, as Pipedrive loses them.
    wanted = [h for h in hooks if h.active and h.wants(event) and not (h.banned_until and h.banned_until > stamp)]
    if not wanted or not RENDERERS:
        return
    wanted = _permitted(conn, event, wanted)
    if not wanted:
        return
    try:
        # A payload that cannot be made must not fail the write it reports.
        with conn.begin_nested():
            _write(conn, event, wanted, stamp)
    except Exception:
        log.exception("webhook payloads of %s %s %s not written", action, entity, change.entity_id)


def _permitted(conn: Connection, event: Event, wanted: list[Hook]) -> list[Hook]:
    """The webhooks whose user may see the event's item (the webhooks API's ``user_id``:
    "each webhook event is checked against a user's permissions"), as the row stands after
    the write (a delete: as it stood, bar the delete itself). An admin's webhook and an
    entity visibility does not govern read nothing more; the others, one statement."""
    entity = ENTITIES.get(event.entity)
    if entity is None or not visibility.governs(entity):
        return wanted
    regular = {h.user_id for h in wanted if not h.admin}
    if not regular:
        return wanted
    seeing = visibility.viewers(conn, event.company_id, entity, event.entity_id, regular)
    return [h for h in wanted if h.admin or h.user_id in seeing]


def _write(conn: Connection, event: Event, wanted: list[Hook], stamp: str) -> None:
    entity, entity_id = event.entity, event.entity_id
    rows = []
    for hook, event_id, payload in RENDERERS[0](conn, event, wanted):
        rows.append(
            {
                "webhook_id": hook.id,
                "event_id": event_id,
                "entity": entity,
                "entity_key": f"{entity}:{entity_id}",
                "action": event.action,
                "payload": orjson.dumps(payload).decode(),
                "status": store.PENDING,
                "attempts": 0,
                "next_at": 0.0,
                "add_time": stamp,
            }
        )
    if rows:
        store.add_deliveries(conn, event.company_id, rows)
        for wake in WAKERS:
            wake()


repo.CHANGE_LISTENERS.append(on_change)
