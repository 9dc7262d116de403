"""Webhook payloads: a change event rendered as Pipedrive's v1 and v2 webhooks send it.

v1: ``current`` / ``previous`` are the item's full v1 objects (plain ids, as v1 webhooks
send them; arrays for users), ``meta`` with v1's action words and ``event`` as
``updated.deal``. v2: ``data`` is the item's v2 object (null on delete) with its custom values wrapped in
their field types as live deliveries carry them (``{"type": "enum", "id": 7}``,
``{"type": "varchar", "value": "x"}``), ``previous`` only the fields a change changed (the
last state on delete, null on create), and ``meta`` with its ids as strings.

The objects come from the same presenters as the API's answers (``api/resources.py``),
rendered in the write's transaction from the row as the write left it; the state before
is that row with the event's old values put back.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import Connection

from dealbase.api import resources
from dealbase.api.context import Ctx
from dealbase.api.handlers.users import present_user
from dealbase.domain import field_defs
from dealbase.domain.registry import ENTITIES
from dealbase.domain.users import permitted_user_ids
from dealbase.events import outbox
from dealbase.events.outbox import V1_ACTIONS, V1_OBJECTS, V2_OBJECTS, Event, Hook
from dealbase.settings import Settings
from dealbase.store import repository as repo
from dealbase.store.tables import users

Row = dict[str, Any]

# The server's settings (its public address is each payload's ``host``): set by the app.
_SETTINGS: list[Settings] = []
# Keys that move with every write: never listed as a change in v2's ``previous``.
_NOT_CHANGES = {"update_time"}


def configure(settings: Settings) -> None:
    _SETTINGS[:] = [settings]


def _settings() -> Settings:
    if not _SETTINGS:
        _SETTINGS.append(Settings())
    return _SETTINGS[0]


def _host(settings: Settings) -> str:
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    return urlsplit(base).netloc or base


def _ctx(conn: Connection, event: Event, api: str) -> Ctx:
    ctx = Ctx(api, "webhook", {}, {}, None, _settings())
    ctx.conn = conn
    ctx.company_id = event.company_id
    actor = repo.get(conn, users, event.company_id, event.user_id) if event.user_id is not None else None
    ctx.user = actor or {"id": event.user_id, "default_currency": "USD", "locale": "en_US", "is_admin": False}
    # Not the process's shared caches: this transaction may still roll back.
    ctx.shared = {}
    return ctx


def _plain(obj: Any) -> Any:
    # Presenters hand stored JSON on as unparsed fragments: make it values to compare.
    return orjson.loads(orjson.dumps(obj))


def _v1(ctx: Ctx, entity_name: str, row: Row | None) -> Any:
    if row is None:
        return None
    if entity_name == "user":
        return [present_user(ctx, row)]
    items, _related = resources.render_v1(ctx, ENTITIES[entity_name], [row], refs="plain")
    return _plain(items[0])


def _v2(ctx: Ctx, entity_name: str, row: Row | None) -> Any:
    if row is None:
        return None
    if entity_name == "user":
        return present_user(ctx, row)
    entity = ENTITIES[entity_name]
    obj = _plain(resources.render_v2(ctx, entity, [row])[0])
    found = field_defs.defs(ctx, entity)
    values = obj.get("custom_fields")
    if found and isinstance(values, dict):
        fields = found.by_key
        obj["custom_fields"] = {k: v if k not in fields else fields[k].typed(v) for k, v in values.items()}
    return obj


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``before`` whose values differ in ``after``, with their old values
    (custom fields: only the changed ones)."""
    out: dict[str, Any] = {}
    for key, old in before.items():
        if key in _NOT_CHANGES:
            continue
        new = after.get(key)
        if key == "custom_fields" and isinstance(old, dict) and isinstance(new, dict):
            fields = {k: v for k, v in old.items() if new.get(k) != v}
            if fields:
                out[key] = fields
        elif old != new:
            out[key] = old
    return out


def _moment(stamp: str) -> float:
    """When a change happened, as its payload's timestamps give it: its stamp, the company's
    time to the second; to the millisecond while that second is the real present (a company
    on real time: always, bar a second that ended between the write and this)."""
    second = datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()
    real = time.time()
    return real if int(real) == int(second) else second


def _iso_ms(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(moment * 1000) % 1000:03d}Z"


def render(conn: Connection, event: Event, hooks: list[Hook]) -> list[tuple[Hook, str, dict[str, Any]]]:
    entity = ENTITIES.get(event.entity)
    if entity is None:
        return []
    row = repo.get(conn, entity.table, event.company_id, event.entity_id)
    if row is None:
        return []
    current = None if event.action == "delete" else row
    previous = None
    if event.action != "create":
        old = {
            k: pair[0] for k, pair in event.changes.items() if k in row and isinstance(pair, list) and len(pair) == 2
        }
        previous = {**row, **old}
    seen = current or previous
    v1ctx = _ctx(conn, event, "v1")
    # Whom to send to the outbox decided (``outbox._permitted``); ``permitted_user_ids`` is
    # information in the payload, holding at least those webhooks' users.
    if "visible_to" in seen and "owner_id" in seen:
        permitted = permitted_user_ids(v1ctx, seen, also=[h.user_id for h in hooks])
    else:
        permitted = [u["id"] for u in repo.all_rows(conn, users, event.company_id, users.c.active_flag.is_(True))]
    moment = _moment(event.time)
    host = _host(_settings())
    out: list[tuple[Hook, str, dict[str, Any]]] = []
    v1_objects = v2_objects = None
    for hook in hooks:
        delivery_id = str(uuid.uuid4())
        if hook.version == "2.0":
            if v2_objects is None:
                v2ctx = _ctx(conn, event, "v2")
                v2_objects = (_v2(v2ctx, event.entity, current), _v2(v2ctx, event.entity, previous))
            out.append((hook, delivery_id, _v2_payload(event, hook, v2_objects, permitted, moment, host, delivery_id)))
        else:
            if v1_objects is None:
                v1_objects = (_v1(v1ctx, event.entity, current), _v1(v1ctx, event.entity, previous))
            out.append((hook, delivery_id, _v1_payload(event, hook, v1_objects, permitted, moment, host)))
    return out


def _v2_payload(
    event: Event, hook: Hook, objects: tuple[Any, Any], permitted: list[int], moment: float, host: str, event_id: str
) -> dict[str, Any]:
    data, before = objects
    if event.action == "change":
        before = _changed(before, data)
    meta: dict[str, Any] = {
        "action": event.action,
        "entity": V2_OBJECTS[event.entity],
        "entity_id": str(event.entity_id),
        "company_id": str(event.company_id),
        "correlation_id": event.correlation_id,
        "id": event_id,
        "is_bulk_edit": event.is_bulk,
        "timestamp": _iso_ms(moment),
        "type": hook.type,
        "user_id": None if event.user_id is None else str(event.user_id),
        "version": "2.0",
        "webhook_id": str(hook.id),
        "webhook_owner_id": str(hook.owner_id),
        "change_source": "api",
        "attempt": 1,
        "host": host,
    }
    if event.entity != "user":
        meta["permitted_user_ids"] = [str(i) for i in permitted]
    if event.merge is not None:
        meta[event.merge[0]] = str(event.merge[1])
    return {"data": data, "previous": before, "meta": meta}


def _v1_payload(
    event: Event, hook: Hook, objects: tuple[Any, Any], permitted: list[int], moment: float, host: str
) -> dict[str, Any]:
    current, previous = objects
    action, name = event.action_of(hook.version), V1_OBJECTS[event.entity]
    action = V1_ACTIONS.get(action, action)
    filters: dict[str, list[Any]] = {"current": [], "previous": []}
    meta: dict[str, Any] = {
        "v": 1,
        "action": action,
        "object": name,
        "change_source": "api",
        "id": event.entity_id,
        "company_id": event.company_id,
        "user_id": event.user_id,
        "host": host,
        "timestamp": int(moment),
        "timestamp_micro": int(moment * 1_000_000),
        "permitted_user_ids": permitted,
        "trans_pending": False,
        "is_bulk_update": event.is_bulk,
        "pipedrive_service_name": False,
        "matches_filters": filters,
        "webhook_id": hook.id,
    }
    if event.entity == "activity":
        meta["send_activity_notifications"] = False
    return {
        "v": 1,
        "matches_filters": filters,
        "meta": meta,
        "retry": 0,
        "current": current,
        "previous": previous,
        "event": f"{action}.{name}",
    }


outbox.RENDERERS[:] = [render]
