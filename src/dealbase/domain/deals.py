"""Deals: the pipeline's items, with Pipedrive's stage, status and money rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from dealbase.clock import later
from dealbase.domain import smart_bcc, visibility
from dealbase.domain.common import check_currency, formatted, mail_values, num
from dealbase.domain.counters import counter_fields, fill_activity_objects
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, Param, by_ids, flat, id_filters, ignored, owner, statuses, updated
from dealbase.domain.pipelines import PIPELINE
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import deals as table
from dealbase.store.tables import organizations, persons, pipelines, stages, users

STATUSES = ("open", "won", "lost")
# v1 also takes "deleted": a delete by update.
STATUSES_V1 = (*STATUSES, "deleted")
# Revenue the deal's products bring (stored by domain/deal_products.py).
REVENUE = ("arr", "mrr", "acv")
COUNT_FIELDS = (
    "products_count",
    "files_count",
    "notes_count",
    "followers_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "participants_count",
)


def _first_stage(ctx, pipeline_id: int) -> dict[str, Any] | None:
    return repo.first(
        ctx.conn,
        stages,
        ctx.company_id,
        stages.c.pipeline_id == pipeline_id,
        stages.c.is_deleted.is_(False),
        order_by=[stages.c.order_nr, stages.c.id],
    )


def _place(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str) -> None:
    """The stage decides the pipeline; a pipeline alone means its first stage; neither, on a
    create, the first pipeline the user sees. A stage or pipeline the user's role hides is
    refused as a missing one (``check_refs``' words): nothing is written into it."""
    hidden = visibility.hidden_pipelines(ctx)
    if values.get("stage_id") is not None:
        stage = repo.get(ctx.conn, stages, ctx.company_id, values["stage_id"])
        if stage["pipeline_id"] in hidden:
            raise BadInput(f"Validation failed: stage_id: Stage with id {stage['id']} not found")
        values["pipeline_id"] = stage["pipeline_id"]
    elif values.get("pipeline_id") is not None and (old is None or values["pipeline_id"] != old["pipeline_id"]):
        if values["pipeline_id"] in hidden:
            raise BadInput(f"Validation failed: pipeline_id: Pipeline with id {values['pipeline_id']} not found")
        stage = _first_stage(ctx, values["pipeline_id"])
        if stage is None:
            raise BadInput("Validation failed: pipeline_id: the pipeline has no stages")
        values["stage_id"] = stage["id"]
    elif old is None:
        pipeline = repo.first(
            ctx.conn,
            pipelines,
            ctx.company_id,
            pipelines.c.is_deleted.is_(False),
            *visibility.where(ctx, PIPELINE),
            order_by=[pipelines.c.order_nr, pipelines.c.id],
        )
        stage = _first_stage(ctx, pipeline["id"]) if pipeline else None
        if stage is None:
            raise BadInput("Validation failed: stage_id: the company has no pipeline with stages")
        values["stage_id"], values["pipeline_id"] = stage["id"], stage["pipeline_id"]
    else:
        values.pop("pipeline_id", None)
    if old is not None and values.get("stage_id", old["stage_id"]) != old["stage_id"]:
        values["stage_change_time"] = stamp


def _status(values: dict[str, Any], old: dict[str, Any] | None, stamp: str) -> None:
    """won/lost set their time and ``close_time``; reopening clears them."""
    status = values.get("status") or (old["status"] if old else "open")
    values_given = {k for k in ("won_time", "lost_time", "close_time", "lost_reason") if values.get(k) is not None}
    if status != "won" and "won_time" in values_given:
        raise BadInput("Validation failed: won_time: can only be set if the deal is won")
    if status != "lost" and values_given & {"lost_time", "lost_reason"}:
        key = "lost_reason" if "lost_reason" in values_given else "lost_time"
        raise BadInput(f"Validation failed: {key}: can only be set if the deal is lost")
    if status == "open" and "close_time" in values_given:
        raise BadInput("Validation failed: close_time: can only be set if the deal is won or lost")
    changed = old is None or status != old["status"]
    values["status"] = status
    if status == "won" and changed:
        values["won_time"] = values.get("won_time") or stamp
        values.setdefault("close_time", values["won_time"])
        values["lost_time"], values["lost_reason"] = None, None
        if old is None or old["first_won_time"] is None:
            values["first_won_time"] = values["won_time"]
    elif status == "lost" and changed:
        values["lost_time"] = values.get("lost_time") or stamp
        values.setdefault("close_time", values["lost_time"])
        values["won_time"] = None
    elif status == "open" and changed and old is not None:
        values.update(won_time=None, lost_time=None, close_time=None, lost_reason=None)


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if values.get("status") == "deleted":
        if not given.lenient:  # v1 only: its delete-by-update
            raise BadInput("Validation failed: status: must be one of open, won, lost (use DELETE to delete)")
        values["is_deleted"] = True
        values.pop("status")
    if old is None:
        values.setdefault("owner_id", ctx.user_id)
        values["creator_user_id"] = ctx.user_id
        values.setdefault("visible_to", 3)
        values.setdefault("value", 0)
        values["origin"] = "API"
        values.setdefault("currency", ctx.user["default_currency"])
    if values.get("currency") is not None:
        values["currency"] = check_currency(values["currency"])
    probability = values.get("probability")
    if probability is not None and not 0 <= probability <= 100:
        raise BadInput("Validation failed: probability: must be between 0 and 100")
    if "is_archived" in values:
        archived = bool(values["is_archived"])
        values["is_archived"] = archived
        values["archive_time"] = (values.get("archive_time") or stamp) if archived else None
    elif values.get("archive_time") is not None:
        raise BadInput("Validation failed: archive_time: can only be set with is_archived")
    _place(ctx, values, old, stamp)
    _status(values, old, stamp)
    return values


def weighted_value(row: dict[str, Any], stage: dict[str, Any] | None, pipeline: dict[str, Any] | None) -> float:
    if row["status"] == "won":
        return row["value"]
    if row["status"] == "lost":
        return 0
    probability = row["probability"]
    if probability is None:
        enabled = pipeline is not None and pipeline["is_deal_probability_enabled"]
        probability = stage["deal_probability"] if enabled and stage else 100
    return round(row["value"] * probability / 100, 2)


def weighted_values(ctx, rows: list[dict[str, Any]]) -> list[float]:
    """The weighted value of each deal-like row (``status``, ``value``, ``probability``,
    ``stage_id``, ``pipeline_id``), reading the stages and pipelines once."""
    found_stages = ctx.rows(stages, (r["stage_id"] for r in rows))
    found_pipes = ctx.rows(pipelines, (r["pipeline_id"] for r in rows))
    return [weighted_value(r, found_stages.get(r["stage_id"]), found_pipes.get(r["pipeline_id"])) for r in rows]


# v1 keys whose values come from things this server does not hold (subscriptions): what they
# say when there are none.
V1_NOTHING_YET = {
    "org_hidden": False,
    "person_hidden": False,
    "last_activity": None,
    "next_activity": None,
}


def rotten_time(row: dict[str, Any], stage: dict[str, Any] | None, now: str) -> str | None:
    """When an open deal went rotten: its last update plus its stage's rotting days, once that
    has passed (Pipedrive: the rotting period runs from the deal's last update); else None."""
    if row["status"] != "open" or stage is None or not stage["is_deal_rot_enabled"] or not stage["days_to_rotten"]:
        return None
    rotten = later(stage["days_to_rotten"] * 86_400, row["update_time"] or row["add_time"])
    return rotten if rotten <= now else None


def v1_extra(ctx, rows, items) -> None:
    now = ctx.clock()
    found_stages = ctx.rows(stages, (r["stage_id"] for r in rows))
    found_pipes = ctx.rows(pipelines, (r["pipeline_id"] for r in rows))
    people = ctx.rows(persons, (r["person_id"] for r in rows))
    orgs = ctx.rows(organizations, (r["org_id"] for r in rows))
    owners = ctx.rows(users, (r["owner_id"] for r in rows))
    locale = ctx.user.get("locale") or "en_US"
    # A deal's inflated users carry has_pic as a boolean; everywhere else it is 0/1.
    deal_users: dict[int, dict] = {}
    for row, item in zip(rows, items):
        stage = found_stages.get(row["stage_id"])
        weighted = weighted_value(row, stage, found_pipes.get(row["pipeline_id"]))
        person, org, owner = people.get(row["person_id"]), orgs.get(row["org_id"]), owners.get(row["owner_id"])
        for key in ("user_id", "creator_user_id"):
            user = item.get(key)
            if isinstance(user, dict):
                as_deal = deal_users.get(user["id"])
                if as_deal is None:
                    as_deal = deal_users[user["id"]] = {**user, "has_pic": bool(user["has_pic"])}
                item[key] = as_deal
        currency = row["currency"]
        item.update(V1_NOTHING_YET)
        item.update(mail_values(row))
        item["active"] = row["status"] == "open" and not row["is_deleted"]
        item["deleted"] = bool(row["is_deleted"])
        item["rotten_time"] = rotten_time(row, stage, now)
        item["stage_order_nr"] = stage["order_nr"] if stage else None
        item["person_name"] = person["name"] if person else None
        item["org_name"] = org["name"] if org else None
        item["owner_name"] = owner["name"] if owner else None
        item["formatted_value"] = formatted(row["value"], currency, locale)
        item["weighted_value"] = num(weighted)
        item["formatted_weighted_value"] = formatted(weighted, currency, locale)
        item["weighted_value_currency"] = currency
        item["cc_email"] = smart_bcc.address(ctx, f"deal{row['id']}")
        for key in REVENUE:
            value = row[key]
            item[key] = None if value is None else num(value)
            item[f"{key}_currency"] = None if value is None else currency
    fill_activity_objects(ctx, rows, items)


def v2_extra(ctx, rows, items, include) -> None:
    for row, item in zip(rows, items):
        for key in REVENUE:  # from the deal's products (domain/deal_products.py)
            item[key] = None if row[key] is None else num(row[key])
        for key, value in mail_values(row, v2=True).items():
            if key in include:
                item[key] = value
        if "smart_bcc_email" in include:
            item["smart_bcc_email"] = smart_bcc.address(ctx, f"deal{row['id']}")


def compact(_ctx, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """A deal in v1 ``related_objects`` (of activities and the like)."""
    return {
        row["id"]: {
            "id": row["id"],
            "title": row["title"],
            "status": row["status"],
            "value": num(row["value"]),
            "currency": row["currency"],
            "stage_id": row["stage_id"],
            "pipeline_id": row["pipeline_id"],
        }
        for row in rows
    }


# -- lists ----------------------------------------------------------------------------------

c = table.c
# v1 lists: a status, the deleted deals, or all the others.
LIST_STATUSES_V1 = (*STATUSES_V1, "all_not_deleted")
# v1 collection records: these keys of the v1 deal, references as plain ids.
COLLECTION_KEYS = (
    "id",
    "creator_user_id",
    "user_id",
    "person_id",
    "org_id",
    "stage_id",
    "title",
    "value",
    "currency",
    "add_time",
    "update_time",
    "status",
    "probability",
    "lost_reason",
    "visible_to",
    "close_time",
    "pipeline_id",
    "won_time",
    "lost_time",
    "expected_close_date",
    "label",
)


def status_v1(status: str, unit: Any) -> list[ColumnElement]:
    """v1 ``status``: one status, the deleted deals, or (``all_not_deleted``) all the others."""
    if status == "deleted":
        return [c.is_deleted.is_(True)]
    return [c.is_deleted.is_(False)] + ([c.status == status] if status != "all_not_deleted" else [])


QUICK_V2 = id_filters(table, {k: k for k in ("owner_id", "person_id", "org_id", "pipeline_id", "stage_id")})
V2_PARAMS = (
    by_ids(table),
    *QUICK_V2,
    *updated(table),
    Param("status", "list", statuses(table, STATUSES_V1), replaces_alive=True),
)
# filter_id overrides ids, the quick filters and (leaving the deals not deleted) status.
V2_OVERRIDES = ("ids", *(p.name for p in QUICK_V2), "status")
STATUS_V1 = Param(
    "status", "choice", status_v1, choices=LIST_STATUSES_V1, default="all_not_deleted", replaces_alive=True
)
OWNER = owner(table)
OWNER_OVERRIDES = ("user_id", "owned_by_you")


def sub_list(operation: str, parent: str, link: str) -> Listing:
    """The v1 deals of a person or organization, by ``status`` (a pipeline's or a stage's,
    with their summary: ``domain/statistics.py``)."""
    return Listing("v1", operation, (STATUS_V1,), archived=False, parent=parent, link=link)


LISTS = (
    Listing("v2", "get_deals", V2_PARAMS, paging="v2", archived=False, filter_id=V2_OVERRIDES),
    Listing("v2", "get_archived_deals", V2_PARAMS, paging="v2", archived=True, filter_id=V2_OVERRIDES),
    Listing(
        "v1",
        "get_deals",
        (*OWNER, STATUS_V1, *id_filters(table, {"stage_id": "stage_id"})),
        archived=False,
        filter_id=OWNER_OVERRIDES,
    ),
    Listing(
        "v1",
        "get_archived_deals",
        (
            *OWNER,
            STATUS_V1,
            *id_filters(table, {"person_id": "person_id", "org_id": "org_id"}),
            Param("product_id", "id", ignored),  # a deal has no product column
            *id_filters(table, {"pipeline_id": "pipeline_id", "stage_id": "stage_id"}),
        ),
        archived=True,
        filter_id=OWNER_OVERRIDES,
    ),
    sub_list("get_person_deals", "person", "person_id"),
    sub_list("get_organization_deals", "organization", "org_id"),
    Listing(
        "v1",
        "get_deals_collection",
        (
            Param("status", "choice", status_v1, choices=STATUSES_V1, replaces_alive=True),
            *id_filters(table, {"user_id": "owner_id", "stage_id": "stage_id"}),
        ),
        paging="collection",
        admin_only=True,
        refs="plain",
        record=flat(COLLECTION_KEYS),
    ),
)

DEAL = register(
    Entity(
        name="deal",
        plural="deals",
        label="Deal",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("title", "str", required=True),
            Field("creator_user_id", "int", ref="user", writable=False),
            Field("owner_id", "int", v1="user_id", ref="user", nullable=False),
            Field("person_id", "int", ref="person"),
            Field("org_id", "int", ref="organization"),
            Field("pipeline_id", "int", ref="pipeline", nullable=False),
            Field("stage_id", "int", ref="stage", nullable=False),
            Field("value", "num", nullable=False),
            Field("currency", "str", nullable=False, max_length=16),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
            Field("stage_change_time", "time", writable=False),
            Field("is_deleted", "bool", v1=None, writable=False),
            Field("is_archived", "bool"),
            Field("archive_time", "time", v1=None),
            Field("status", "str", choices=STATUSES_V1, nullable=False),
            Field("probability", "num"),
            Field("lost_reason", "str"),
            Field("visible_to", "visible_to", nullable=False),
            Field("close_time", "time"),
            Field("won_time", "time"),
            Field("first_won_time", "time", v2="first_won_time", writable=False, optional=True),
            Field("lost_time", "time"),
            Field("expected_close_date", "date"),
            Field("label_ids", "ids", v1="label"),
            Field("origin", "str", writable=False),
            Field("origin_id", "str", label="Origin ID"),
            Field("channel", "int"),
            Field("channel_id", "str", label="Channel ID"),
            Field("arr", "num", column=None),
            Field("mrr", "num", column=None),
            Field("acv", "num", column=None),
            *counter_fields(deal=True),
        ],
        lists=LISTS,
        include_v2=COUNT_FIELDS
        + (
            "next_activity_id",
            "last_activity_id",
            "first_won_time",
            "last_incoming_mail_time",
            "last_outgoing_mail_time",
            "smart_bcc_email",
            "source_lead_id",
        ),
        sort_v2=("id", "update_time", "add_time"),
        sort_v1=("id", "title", "value", "add_time", "update_time", "stage_id", "status", "expected_close_date"),
        rules=rules,
        v1_extra=v1_extra,
        v2_extra=v2_extra,
        v1_related=compact,
        has_custom_fields=True,
        created_v1=201,
        archivable=True,
    )
)
