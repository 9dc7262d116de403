"""Leads and lead labels: UUID-identified items before they become deals.

A lead is linked to a person or an organization (or both), has a ``value`` object
(``{amount, currency}``), lead labels by UUID, and uses the DEAL custom fields (leads have
no field set of their own). v1 gives plain reference ids, ISO 8601 times, and only the
custom values that are set.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import smart_bcc
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, Param, archived, id_filters, updated
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store.tables import lead_labels, leads

# The colors a lead label can have (Pipedrive's palette).
COLORS = ("blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red", "yellow")
# Every company starts with these labels.
DEFAULT_LABELS = (("Hot", "red"), ("Warm", "yellow"), ("Cold", "blue"))
# The fixed list of lead sources; leads made through the API have the source "API", leads
# made from a deal (``POST /deals/{id}/convert/lead``) the source "Deal".
SOURCES = (
    "Manually created",
    "Deal",
    "Web forms",
    "Prospector",
    "Leadbooster",
    "Live chat",
    "Import",
    "Website visitors",
    "Workflow automation",
    "API",
)
SORT_V1 = (
    "id",
    "title",
    "owner_id",
    "creator_id",
    "was_seen",
    "expected_close_date",
    "next_activity_id",
    "add_time",
    "update_time",
)


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if old is None:
        values.setdefault("owner_id", ctx.user_id)
        values["creator_id"] = ctx.user_id
        values.setdefault("visible_to", 3)
        values.setdefault("origin", "API")
        values.setdefault("source_name", "API")
    elif old["is_archived"] and values.get("is_archived", True):
        raise BadInput("Archived leads cannot be changed: unarchive the lead first (is_archived: false)")
    person = values["person_id"] if "person_id" in values else (old or {}).get("person_id")
    org = values["org_id"] if "org_id" in values else (old or {}).get("org_id")
    if person is None and org is None:
        raise BadInput("Validation failed: a lead must be linked to a person or an organization or both")
    return values


def v1_extra(ctx, rows, items) -> None:
    for row, item in zip(rows, items):
        item["cc_email"] = smart_bcc.address(ctx, f"lead{row['id']}")


LEAD_LABEL = register(
    Entity(
        name="lead_label",
        plural="lead_labels",
        label="Lead label",
        table=lead_labels,
        fields=[
            Field("id", "str", writable=False),
            Field("name", "str", required=True, nullable=False),
            Field("color", "str", required=True, choices=COLORS, nullable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
        ],
        id_kind="uuid",
        v1_iso_times=True,
        deleted_readable=False,
    )
)

# v1 lists: ``filter_id`` overrides the quick filters.
QUICK = id_filters(leads, {"owner_id": "owner_id", "person_id": "person_id", "organization_id": "org_id"})
QUICK_NAMES = tuple(p.name for p in QUICK)
# ``archived_status`` of the older API: leads not archived unless it says otherwise.
ARCHIVED_STATUS = Param(
    "archived_status",
    "choice",
    lambda status, unit: [] if status == "all" else [archived(leads.c.is_archived, status == "archived")],
    choices=("archived", "not_archived", "all"),
    default="not_archived",
)

LEAD = register(
    Entity(
        name="lead",
        plural="leads",
        label="Lead",
        table=leads,
        fields=[
            Field("id", "str", writable=False),
            Field("title", "str", required=True),
            Field("owner_id", "int", ref="user", nullable=False),
            Field("creator_id", "int", ref="user", writable=False),
            Field("label_ids", "uuids", ref="lead_label"),
            Field("person_id", "int", ref="person"),
            Field("org_id", "int", v1="organization_id", v2="organization_id", ref="organization"),
            Field("source_name", "str", writable=False),
            Field("origin", "str", writable=False),
            Field("origin_id", "str", label="Origin ID"),
            Field("channel", "int"),
            Field("channel_id", "str", label="Channel ID"),
            Field("source_deal_id", "int", writable=False),
            Field("is_archived", "bool"),
            Field("was_seen", "bool"),
            Field("value", "money"),
            Field("expected_close_date", "date"),
            Field("next_activity_id", "int", writable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
            Field("visible_to", "visible_to", nullable=False),
        ],
        lists=(
            Listing("v1", "get_leads", (ARCHIVED_STATUS, *QUICK, *updated(leads)), filter_id=QUICK_NAMES),
            Listing("v1", "get_archived_leads", (*QUICK, *updated(leads)), archived=True, filter_id=QUICK_NAMES),
        ),
        sort_v1=SORT_V1,
        rules=rules,
        v1_extra=v1_extra,
        created_v1=201,
        has_custom_fields=True,
        archivable=True,
        id_kind="uuid",
        fields_of="deal",
        v1_refs="plain",
        v1_iso_times=True,
        v1_custom_nulls=False,
        deleted_readable=False,
    )
)
