"""Goals: what a user, the company or a team should reach per interval, and how far they got.

A goal has a type (what is counted: deals won, started or progressed into a stage,
activities added or completed, the revenue forecast) with its parameters (pipelines, a
stage, activity types; a null list means all), an assignee, a duration (an open end is
allowed) and an expected outcome (a target by quantity, or by sum in a currency).
Ids are 32 hex characters, like Pipedrive's. Results are counted by SQL over deals,
activities and the stages deals entered (``domain/stage_moves.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson

from dealbase.clock import parse_date
from dealbase.domain import service
from dealbase.domain.common import currency_codes, num
from dealbase.domain.entity import Entity, Field
from dealbase.domain.ids import INTEGER, new_uuid
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store import goals as store_goals
from dealbase.store import repository as repo
from dealbase.store.tables import activity_types, pipelines, stages, users
from dealbase.store.tables import goals as goals_table

Row = dict[str, Any]

DEAL_TYPES = ("deals_won", "deals_progressed", "deals_started", "revenue_forecast")
ACTIVITY_TYPES = ("activities_completed", "activities_added")
TYPES = (*DEAL_TYPES, ACTIVITY_TYPES[0], ACTIVITY_TYPES[1])
ASSIGNEES = ("person", "company", "team")
INTERVALS = ("weekly", "monthly", "quarterly", "yearly")
METRICS = ("quantity", "sum")
TITLE_MAX = 255
MAX_IDS = 100

# The users of a team, for team goals: set by the teams family when it is built
# (``(ctx, team_id) -> user ids``, None when the team is unknown). Without it a team
# assignee is taken unchecked and its goals count nothing.
team_members: Callable[[Any, int], list[int] | None] | None = None


def new_id() -> str:
    """32 hex characters, time-ordered (so id order is creation order)."""
    return new_uuid().replace("-", "")


def _bad(key: str, what: str) -> BadInput:
    return BadInput(f"Validation failed: {key}: {what}")


def _int(value: Any, key: str) -> int:
    """An id: a positive integer, also given as digits in a string (as the spec's examples do)."""
    if isinstance(value, str) and INTEGER.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _bad(key, "must be a positive integer")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise _bad(key, "must be a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) == float("inf"):
        raise _bad(key, "must be a number")
    if value < 0:
        raise _bad(key, "must not be negative")
    return float(value)


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body[key]
    if isinstance(value, str):  # a form body sends objects as JSON text
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise _bad(key, "must be an object") from None
    if not isinstance(value, dict):
        raise _bad(key, "must be an object")
    return value


def _ids(ctx, value: Any, key: str, table, label: str, *alive: Any) -> list[int] | None:
    """A list of ids of live rows of the caller's company, or None (all)."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > MAX_IDS:
        raise _bad(key, f"must be null or a list of 1 to {MAX_IDS} ids")
    ids = list(dict.fromkeys(_int(v, key) for v in value))
    found = repo.get_many(ctx.conn, table, ctx.company_id, ids)
    for i in ids:
        row = found.get(i)
        if row is None or row.get("is_deleted") or not row.get("active_flag", True):
            raise _bad(key, f"{label} with id {i} not found")
    return ids


def _type(ctx, given: dict[str, Any], old_params: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    name = given.get("name")
    if name not in TYPES:
        raise _bad("type.name", f"must be one of {', '.join(TYPES)}")
    params = given.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise _bad("type.params", "must be an object")
    unknown = set(params) - {"pipeline_id", "stage_id", "activity_type_id"}
    if unknown:
        raise _bad("type.params", f"unknown parameter(s) {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    if name in DEAL_TYPES:
        if "activity_type_id" in params and params["activity_type_id"] is not None:
            raise _bad("type.params.activity_type_id", "applies to activities goals only")
        out["pipeline_id"] = _ids(ctx, params.get("pipeline_id"), "type.params.pipeline_id", pipelines, "Pipeline")
        if name == "deals_progressed":
            stage = params.get("stage_id")
            if stage is None:
                raise _bad("type.params.stage_id", "is required for deals_progressed goals")
            out["stage_id"] = _ids(ctx, [stage], "type.params.stage_id", stages, "Stage")[0]  # type: ignore[index]
            if out["pipeline_id"] is not None:
                row = repo.get(ctx.conn, stages, ctx.company_id, out["stage_id"])
                if row["pipeline_id"] not in out["pipeline_id"]:
                    raise _bad("type.params.stage_id", "must be a stage of the goal's pipelines")
        elif params.get("stage_id") is not None:
            raise _bad("type.params.stage_id", "applies to deals_progressed goals only")
    else:
        for key in ("pipeline_id", "stage_id"):
            if params.get(key) is not None:
                raise _bad(f"type.params.{key}", "applies to deals goals only")
        out["activity_type_id"] = _ids(
            ctx, params.get("activity_type_id"), "type.params.activity_type_id", activity_types, "Activity type"
        )
    return name, out


def _assignee(ctx, given: dict[str, Any]) -> tuple[int, str]:
    kind = given.get("type")
    if kind not in ASSIGNEES:
        raise _bad("assignee.type", f"must be one of {', '.join(ASSIGNEES)}")
    if given.get("id") is None:
        raise _bad("assignee.id", "is required")
    ident = _int(given.get("id"), "assignee.id")
    if kind == "person":
        row = repo.get(ctx.conn, users, ctx.company_id, ident)
        if row is None or not row["active_flag"]:
            raise _bad("assignee.id", f"User with id {ident} not found")
    elif kind == "company" and ident != ctx.company_id:
        raise _bad("assignee.id", f"Company with id {ident} not found")
    elif kind == "team" and team_members is not None and team_members(ctx, ident) is None:
        raise _bad("assignee.id", f"Team with id {ident} not found")
    return ident, kind


def _duration(given: dict[str, Any]) -> tuple[str, str | None]:
    start = given.get("start")
    start = parse_date(start) if isinstance(start, str) else None
    if start is None:
        raise _bad("duration.start", "must be a date (YYYY-MM-DD)")
    end = given.get("end")
    if end is not None:
        end = parse_date(end) if isinstance(end, str) else None
        if end is None:
            raise _bad("duration.end", "must be a date (YYYY-MM-DD) or null")
        if end < start:
            raise _bad("duration.end", "must not be before duration.start")
    return start, end


@cache
def currency_ids() -> dict[int, str]:
    """Currency ids as ``/v1/currencies`` numbers them (the known codes in order, from 1)."""
    return dict(enumerate(sorted(currency_codes()), start=1))


def _outcome(ctx, given: dict[str, Any], type_name: str) -> tuple[float, str, int | None]:
    if given.get("target") is None:
        raise _bad("expected_outcome.target", "is required")
    target = _number(given.get("target"), "expected_outcome.target")
    metric = given.get("tracking_metric")
    if metric not in METRICS:
        raise _bad("expected_outcome.tracking_metric", f"must be one of {', '.join(METRICS)}")
    currency = given.get("currency_id")
    if metric == "quantity":
        if currency is not None:
            raise _bad("expected_outcome.currency_id", "applies to sum goals only")
        return target, metric, None
    if type_name in ACTIVITY_TYPES:
        raise _bad("expected_outcome.tracking_metric", "activities goals are tracked by quantity")
    known = currency_ids()
    if currency is None:
        home = ctx.user["default_currency"]
        currency = next(i for i, code in known.items() if code == home)
    currency = _int(currency, "expected_outcome.currency_id")
    if currency not in known:
        raise _bad("expected_outcome.currency_id", f"Currency with id {currency} not found")
    return target, metric, currency


FIELDS = ("title", "assignee", "type", "expected_outcome", "duration", "interval")
REQUIRED = ("type", "assignee", "expected_outcome", "duration", "interval")


def parse(ctx, body: Any, old: Row | None) -> dict[str, Any]:
    """The column values of a goal from a request body: the whole goal on add, what is
    given (checked together with what is kept) on update."""
    if not isinstance(body, dict):
        raise BadInput("Validation failed: the body must be a JSON object")
    given = {k: body[k] for k in FIELDS if k in body}
    if old is None:
        for key in REQUIRED:
            if given.get(key) is None:
                raise _bad(key, "is required")
    elif not given:
        raise BadInput("Validation failed: nothing to update")
    values: dict[str, Any] = {}
    if "title" in given:
        title = given["title"]
        if title is not None and (not isinstance(title, str) or len(title) > TITLE_MAX):
            raise _bad("title", f"must be a string of at most {TITLE_MAX} characters")
        values["title"] = title
    if "interval" in given:
        if given["interval"] not in INTERVALS:
            raise _bad("interval", f"must be one of {', '.join(INTERVALS)}")
        values["interval"] = given["interval"]
    for key in ("assignee", "type", "expected_outcome", "duration"):
        if key in given and given[key] is None:
            raise _bad(key, "must be an object")
    if "assignee" in given:
        values["assignee_id"], values["assignee_type"] = _assignee(ctx, _object(given, "assignee"))
    if "type" in given:
        name, params = _type(ctx, _object(given, "type"), None)
        values["type_name"], values["params"] = name, orjson.dumps(params).decode()
    type_name = values.get("type_name") or old["type_name"]  # type: ignore[index]
    if "expected_outcome" in given:
        target, metric, currency = _outcome(ctx, _object(given, "expected_outcome"), type_name)
        values.update(target=target, tracking_metric=metric, currency_id=currency)
    elif old is not None and "type_name" in values and type_name in ACTIVITY_TYPES:
        if old["tracking_metric"] == "sum":
            raise _bad("expected_outcome.tracking_metric", "activities goals are tracked by quantity")
    if "duration" in given:
        values["duration_start"], values["duration_end"] = _duration(_object(given, "duration"))
    return values


def is_active(row: Row, today: str | None = None) -> bool:
    """A goal is active until its duration ends (an open end never does)."""
    today = today or datetime.now(UTC).strftime("%Y-%m-%d")
    return row["duration_end"] is None or row["duration_end"] >= today


def present(row: Row) -> dict[str, Any]:
    outcome: dict[str, Any] = {"target": num(row["target"]), "tracking_metric": row["tracking_metric"]}
    if row["currency_id"] is not None:
        outcome["currency_id"] = row["currency_id"]
    return {
        "id": row["id"],
        "owner_id": row["owner_id"],
        "title": row["title"],
        "type": {"name": row["type_name"], "params": orjson.loads(row["params"])},
        "assignee": {"id": row["assignee_id"], "type": row["assignee_type"]},
        "interval": row["interval"],
        "duration": {"start": row["duration_start"], "end": row["duration_end"]},
        "expected_outcome": outcome,
        "is_active": is_active(row),
        "report_ids": orjson.loads(row["report_ids"]),
    }


# -- the entity and its writes (through the write service) -------------------------------


def rules(unit, values: dict[str, Any], old: Row | None, stamp: str, given: Input) -> dict[str, Any]:
    """A new goal: its id, its owner (the unit's user) and its one report."""
    if old is None:
        values.update(id=new_id(), owner_id=unit.user_id, report_ids=orjson.dumps([new_id()]).decode())
        values.setdefault("title", None)
    return values


# v1 only, shown by ``present`` (nested objects); the keys are where each value sits in it.
GOAL = register(
    Entity(
        name="goal",
        plural="goals",
        label="Goal",
        table=goals_table,
        fields=[
            Field("id", "str", v2=None, writable=False),
            Field("owner_id", "int", v2=None, writable=False),
            Field("title", "str", v2=None, max_length=TITLE_MAX),
            Field("type_name", "str", v1="type.name", v2=None, choices=TYPES),
            Field("params", "json", v1="type.params", v2=None),
            Field("assignee_id", "int", v1="assignee.id", v2=None),
            Field("assignee_type", "str", v1="assignee.type", v2=None, choices=ASSIGNEES),
            Field("interval", "str", v2=None, choices=INTERVALS),
            Field("duration_start", "date", v1="duration.start", v2=None),
            Field("duration_end", "date", v1="duration.end", v2=None),
            Field("target", "num", v1="expected_outcome.target", v2=None),
            Field("tracking_metric", "str", v1="expected_outcome.tracking_metric", v2=None, choices=METRICS),
            Field("currency_id", "int", v1="expected_outcome.currency_id", v2=None),
            Field("report_ids", "json", v2=None, writable=False),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
            Field("add_time", "time", v2=None, writable=False),
            Field("update_time", "time", v2=None, writable=False),
        ],
        rules=rules,
    )
)


def live(unit, goal_id: str) -> Row | None:
    """The company's goal of that id, unless deleted."""
    row = repo.get(unit.conn, goals_table, unit.company_id, goal_id) if len(goal_id) <= 32 else None
    return None if row is None or row["is_deleted"] else row


def add(unit, values: dict[str, Any]) -> Row:
    """A new goal of the unit's user from parsed values (``parse``); the row."""
    return service.create(unit, GOAL, Input(values, api="v1"))


def update(unit, old: Row, values: dict[str, Any]) -> Row:
    """A goal changed by parsed values (``parse``); the row after."""
    return service.update(unit, GOAL, old, Input(values, api="v1"))


def delete(unit, row: Row) -> None:
    service.delete(unit, GOAL, row)


# -- finding goals -------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """What ``GET /goals`` asks for: each None when not given. ``equal``: column → value
    (None: not asked for); ``period``: (start, end) dates the goal's duration overlaps."""

    equal: dict[str, Any]
    stage_id: int | None = None
    pipeline_ids: list[int] | None = None
    activity_type_ids: list[int] | None = None
    period: tuple[str, str] | None = None
    is_active: bool = True


def _ids_match(stored: list[int] | None, wanted: list[int] | None) -> bool:
    """A goal's id list (null: all) covers every id asked for."""
    return wanted is None or stored is None or set(wanted) <= set(stored)


def _params_match(params: dict[str, Any], wanted: Wanted) -> bool:
    if wanted.stage_id is not None and params.get("stage_id") != wanted.stage_id:
        return False
    for key, ids in (("pipeline_id", wanted.pipeline_ids), ("activity_type_id", wanted.activity_type_ids)):
        if ids is not None and (key not in params or not _ids_match(params[key], ids)):
            return False
    return True


def find(unit, wanted: Wanted) -> list[Row]:
    """The live goals matching every filter given. With none of those that widen the search
    (everything but ``is_active`` and the period), only the unit's user's own goals."""
    equal = {column: value for column, value in wanted.equal.items() if value is not None}
    widening = (wanted.stage_id, wanted.pipeline_ids, wanted.activity_type_ids)
    if all(v is None for v in (*equal.values(), *widening)):
        equal = {"assignee_type": "person", "assignee_id": unit.user_id}
    rows = store_goals.matching(unit.conn, unit.company_id, equal, wanted.period)
    return [
        row for row in rows if _params_match(orjson.loads(row["params"]), wanted) and is_active(row, unit.clock()[:10]) == wanted.is_active
    ]
