"""Persons: the contacts deals are made with, with their e-mails and phones."""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.domain import smart_bcc
from dealbase.domain.common import (
    CONTACT_INCLUDE,
    CONTACT_KEYS,
    contact_include_fields,
    contact_lists,
    counts_block,
    deal_counts,
    first_label,
    mail_values,
)
from dealbase.domain.counters import counter_fields
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, Param
from dealbase.domain.pictures import v1 as picture_v1
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store.tables import organizations, pictures, users
from dealbase.store.tables import persons as table

MAX_CONTACTS = 100


def _contacts(raw: Any, key: str, strict: bool) -> str | None:
    """E-mails or phones → the stored list of ``{value, label, primary}``.

    ``label`` defaults to ``work``; at most one ``primary``, the first when none is set.
    v1 also takes a bare string or a list of strings.
    """
    if raw is None:
        return None
    if not strict and isinstance(raw, str):
        raw = [raw] if raw else []
    if not isinstance(raw, list) or len(raw) > MAX_CONTACTS:
        raise BadInput(f"Validation failed: {key}: must be an array of at most {MAX_CONTACTS} items")
    items = []
    for entry in raw:
        if not strict and isinstance(entry, str):
            entry = {"value": entry}
        if not isinstance(entry, dict):
            raise BadInput(f"Validation failed: {key}: each item must be an object with a value")
        value, label, primary = entry.get("value"), entry.get("label", "work"), entry.get("primary", False)
        if not isinstance(value, str) or len(value) > 255:
            raise BadInput(f"Validation failed: {key}: value must be a string of at most 255 characters")
        if label is None:
            label = "work"
        if not isinstance(label, str) or len(label) > 64:
            raise BadInput(f"Validation failed: {key}: label must be a string")
        if not strict and primary in (0, 1, "0", "1", "true", "false"):
            primary = primary in (1, "1", "true")
        if not isinstance(primary, bool):
            raise BadInput(f"Validation failed: {key}: primary must be a boolean")
        if value == "":
            continue
        items.append({"value": value, "label": label, "primary": primary})
    seen_primary = False
    for item in items:
        if item["primary"] and not seen_primary:
            seen_primary = True
        else:
            item["primary"] = False
    if items and not seen_primary:
        items[0]["primary"] = True
    return orjson.dumps(items).decode()


def _split(name: str) -> tuple[str, str | None]:
    first, _, last = name.strip().partition(" ")
    return first, last.strip() or None


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    for v2_key, v1_key, column in (("emails", "email", "emails"), ("phones", "phone", "phones")):
        key = given.key(v1_key, v2_key)
        if key in given.own:
            values[column] = _contacts(given.own[key], key, not given.lenient)
    name = values.get("name")
    if name is not None:
        if "first_name" not in values and "last_name" not in values:
            values["first_name"], values["last_name"] = _split(name)
    elif "first_name" in values or "last_name" in values:
        first = values.get("first_name", old and old["first_name"]) or ""
        last = values.get("last_name", old and old["last_name"]) or ""
        values["name"] = f"{first} {last}".strip()
    if old is None and not values.get("name"):
        raise BadInput("Validation failed: name: is required (or first_name / last_name)")
    if old is not None and "name" in values and not values["name"]:
        raise BadInput("Validation failed: name: must not be empty")
    if old is None:
        values.setdefault("owner_id", ctx.user_id)
        values.setdefault("visible_to", 3)
    return values


def _v1_contacts(stored: str | None) -> list[dict[str, Any]]:
    items = orjson.loads(stored) if stored else []
    return [{"label": i["label"], "value": i["value"], "primary": i["primary"]} for i in items] or [
        {"value": "", "primary": True}
    ]


def v1_extra(ctx, rows, items) -> None:
    counts = deal_counts(ctx.conn, ctx.company_id, "person_id", (r["id"] for r in rows))
    orgs = ctx.rows(organizations, (r["org_id"] for r in rows))
    owners = ctx.rows(users, (r["owner_id"] for r in rows))
    found_pictures = ctx.rows(pictures, (r["picture_id"] for r in rows))
    bcc = smart_bcc.address(ctx)
    for row, item in zip(rows, items):
        org, owner = orgs.get(row["org_id"]), owners.get(row["owner_id"])
        picture = found_pictures.get(row["picture_id"])
        item.update(
            company_id=row["company_id"],
            active_flag=not row["is_deleted"],
            phone=_v1_contacts(row["phones"]),
            email=_v1_contacts(row["emails"]),
            first_char=(row["name"] or " ")[0].lower(),
            picture_id=picture_v1(ctx, picture) if picture and not picture["is_deleted"] else None,
            label=first_label(row["label_ids"]),
            org_name=org["name"] if org else None,
            owner_name=owner["name"] if owner else None,
            cc_email=bcc,
            **mail_values(row),
            **counts_block(counts.get(row["id"])),
        )


def v2_extra(ctx, rows, items, include) -> None:
    for item in items:
        item["emails"] = item["emails"] or []
        item["phones"] = item["phones"] or []
    # marketing_status and doi_status need the marketing add-on, which no company has here.
    contact_include_fields(ctx, rows, items, include, "person_id")


def compact(ctx, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {
        row["id"]: {
            "active_flag": not row["is_deleted"],
            "id": row["id"],
            "name": row["name"],
            "email": _v1_contacts(row["emails"]),
            "phone": _v1_contacts(row["phones"]),
            "owner_id": row["owner_id"],
        }
        for row in rows
    }


# v1 collection records: these keys of the v1 person.
COLLECTION_KEYS = (*CONTACT_KEYS, "org_id", "email", "phone", "picture_id")
# v2 ``deal_id``: the deal's person (404 for a deal that is not there).
BY_DEAL = Param("deal_id", "id", lambda deal, unit: [table.c.id == deal["person_id"]], ref="deal")


PERSON = register(
    Entity(
        name="person",
        plural="persons",
        label="Person",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("name", "str"),
            Field("first_name", "str"),
            Field("last_name", "str"),
            Field("owner_id", "int", ref="user", nullable=False),
            Field("org_id", "int", ref="organization"),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
            Field("emails", "json", v1=None, writable=False),
            Field("phones", "json", v1=None, writable=False),
            Field("is_deleted", "bool", v1=None, writable=False),
            Field("visible_to", "visible_to", nullable=False),
            Field("label_ids", "ids"),
            *counter_fields(),
            # v2 the id; v1 the picture object (v1_extra). Set through /persons/{id}/picture.
            Field("picture_id", "int", v1=None, writable=False, label="Profile picture", field_type="picture"),
        ],
        lists=(
            *contact_lists("persons", table, {"owner_id": "owner_id", "org_id": "org_id"}, COLLECTION_KEYS, (BY_DEAL,)),
            Listing("v1", "get_organization_persons", parent="organization", link="org_id"),
        ),
        include_v2=CONTACT_INCLUDE
        + (
            "participant_open_deals_count",
            "participant_closed_deals_count",
            "last_incoming_mail_time",
            "last_outgoing_mail_time",
            "marketing_status",
            "doi_status",
        ),
        sort_v2=("id", "update_time", "add_time"),
        sort_v1=("id", "name", "first_name", "last_name", "add_time", "update_time"),
        rules=rules,
        own_keys=("emails", "phones", "email", "phone"),
        v1_extra=v1_extra,
        v2_extra=v2_extra,
        v1_related=compact,
        has_custom_fields=True,
        created_v1=201,
    )
)
