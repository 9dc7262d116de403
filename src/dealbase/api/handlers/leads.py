"""Leads (v1), lead labels, lead sources and fields, and lead ↔ deal conversion (v2).

Leads and lead labels are the generic resource operations bound to their entities (UUID
ids), with the lists leads declare. A conversion runs inside its request, and its job row
answers the status polls.
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.handlers import fields
from dealbase.api.inputs import coerce
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import links, service
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity, Field
from dealbase.domain.leads import LEAD, LEAD_LABEL, SOURCES
from dealbase.domain.users import permitted_user_ids
from dealbase.store import repository as repo
from dealbase.store.tables import lead_conversions

handlers = Handlers()

# What a lead and a deal share, column for column, when one becomes the other.
SHARED = (
    "title",
    "owner_id",
    "person_id",
    "org_id",
    "expected_close_date",
    "visible_to",
    "origin_id",
    "channel",
    "channel_id",
    "custom_fields",
    "custom_fields_version",
)
CONVERT_KEYS = {
    "stage_id": Field("stage_id", "int", ref="stage"),
    "pipeline_id": Field("pipeline_id", "int", ref="pipeline"),
}


# -- leads (v1) --------------------------------------------------------------------------

lists.bind(handlers, LEAD)
res.bind(handlers, LEAD, "v1")


@handlers.operation("v1", "get_lead_users")
def get_lead_users(ctx: Ctx):
    """Who may see the lead: its owner (and the admins) when only the owner may, else everyone active."""
    lead = res.load(ctx, LEAD, res.path_key(ctx, LEAD), alive=True)
    return ok(permitted_user_ids(ctx, lead))


@handlers.operation("v1", "get_lead_sources")
def get_lead_sources(ctx: Ctx):
    return ok([{"name": name} for name in SOURCES])


@handlers.operation("v1", "get_lead_fields")
def get_lead_fields(ctx: Ctx):
    """The lead's own fields, then the deal custom fields leads share."""
    return fields.list_v1(ctx, LEAD)


# -- lead labels (v1) --------------------------------------------------------------------


@handlers.operation("v1", "get_lead_labels")
def get_lead_labels(ctx: Ctx):
    table = LEAD_LABEL.table
    rows = repo.all_rows(ctx.conn, table, ctx.company_id, table.c.is_deleted.is_(False), order_by=[table.c.id])
    items, _ = res.render_v1(ctx, LEAD_LABEL, rows)
    return ok(items)


res.bind(handlers, LEAD_LABEL, "v1", ops=("add", "update"))


@handlers.operation("v1", "delete_lead_label", write=True)
def delete_lead_label(ctx: Ctx):
    """Deletes the label and takes it off every lead that has it."""
    label = res.load(ctx, LEAD_LABEL, res.path_key(ctx, LEAD_LABEL), alive=True)
    stamp = ctx.clock()
    service.delete(ctx, LEAD_LABEL, label, stamp)
    for lead in repo.rows_mentioning(ctx.conn, LEAD.table, ctx.company_id, "label_ids", label["id"]):
        kept = [i for i in orjson.loads(lead["label_ids"]) if i != label["id"]]
        changed = {"label_ids": orjson.dumps(kept).decode(), "update_time": stamp}
        service.change(ctx, LEAD.table, lead, changed, event=LEAD.name, stamp=stamp)
    return ok({"id": label["id"]})


# -- conversion (v2) ---------------------------------------------------------------------


def _entity_not_found() -> NotFound:
    return NotFound("Entity was not found")


def _source(ctx: Ctx, entity) -> dict[str, Any]:
    """The live lead or deal the path names (404 "Entity was not found" otherwise)."""
    try:
        return res.load(ctx, entity, res.path_key(ctx, entity), alive=True)
    except NotFound:
        raise _entity_not_found() from None


def _convert(ctx: Ctx, source_entity: Entity, source: dict[str, Any], target_entity: Entity, values: dict[str, Any]):
    """Convert ``source`` (a live lead or deal) into a new row of ``target_entity`` made of
    ``values`` (``domain/links.py: convert``); its job answers the status polls."""
    return ok({"conversion_id": links.convert(ctx, source_entity, source, target_entity, values)})


def _convert_body(ctx: Ctx) -> dict[str, Any]:
    body = ctx.body if ctx.body is not None else {}
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    unknown = sorted(set(body) - set(CONVERT_KEYS))
    if unknown:
        raise BadRequest(f"Validation failed: unknown propert{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)}")
    values = {key: coerce(f, key, body[key], strict=True) for key, f in CONVERT_KEYS.items() if key in body}
    if values.get("stage_id") is not None:
        values.pop("pipeline_id", None)  # the stage decides the pipeline
    # Unknown stages and pipelines are the new deal's reference checks (400).
    return {k: v for k, v in values.items() if v is not None}


@handlers.operation("v2", "convert_lead_to_deal", write=True)
def convert_lead_to_deal(ctx: Ctx):
    """The lead becomes a deal with its person, organization, value, owner and custom values;
    its linked rows move to the deal; the lead is then deleted."""
    lead = _source(ctx, LEAD)
    placement = _convert_body(ctx)
    values = {k: lead[k] for k in SHARED if lead[k] is not None}
    if lead["value"]:
        money = orjson.loads(lead["value"])
        values.update(value=money["amount"], currency=money["currency"])
    values.update(placement, source_lead_id=lead["id"])
    return _convert(ctx, LEAD, lead, DEAL, values)


@handlers.operation("v2", "convert_deal_to_lead", write=True)
def convert_deal_to_lead(ctx: Ctx):
    """The deal becomes a lead (source "Deal") with what they share; its linked rows move to
    the lead; the deal is then deleted."""
    deal = _source(ctx, DEAL)
    values = {k: deal[k] for k in SHARED if deal[k] is not None}
    values["value"] = orjson.dumps({"amount": deal["value"], "currency": deal["currency"]}).decode()
    values.update(source_deal_id=deal["id"], source_name="Deal", is_archived=False)
    return _convert(ctx, DEAL, deal, LEAD, values)


def _status(ctx: Ctx, kind: str, source: str, source_id: Any, made: str):
    job_id = ctx.path_uuid("conversion_id")
    job = repo.get(ctx.conn, lead_conversions, ctx.company_id, job_id)
    if job is None or job["kind"] != kind or job[source] != source_id:
        raise _entity_not_found()
    out: dict[str, Any] = {"conversion_id": job["id"], "status": job["status"]}
    if job["status"] == "completed":
        out[made] = job[made]
    return ok(out)


@handlers.operation("v2", "get_lead_conversion_status")
def get_lead_conversion_status(ctx: Ctx):
    return _status(ctx, "lead_to_deal", "lead_id", res.path_key(ctx, LEAD), "deal_id")


@handlers.operation("v2", "get_deal_conversion_status")
def get_deal_conversion_status(ctx: Ctx):
    return _status(ctx, "deal_to_lead", "deal_id", ctx.path_id(), "lead_id")
