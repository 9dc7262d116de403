"""Organizations: companies that persons work for and deals are made with."""

from __future__ import annotations

from typing import Any

from dealbase.domain import org_relationships, smart_bcc
from dealbase.domain.common import (
    CONTACT_INCLUDE,
    CONTACT_KEYS,
    contact_include_fields,
    contact_lists,
    counts_block,
    deal_counts,
    first_label,
)
from dealbase.domain.counters import counter_fields, fill_activity_objects
from dealbase.domain.entity import Entity, Field
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import ADDRESS_PARTS, persons, users
from dealbase.store.tables import organizations as table

ADDRESS_MAX = 512


def _address_v2(body: dict[str, Any]) -> dict[str, Any] | None:
    """v2 ``address`` object → address columns (unsent parts become null)."""
    if "address" not in body:
        return None
    address = body["address"]
    if address is None:
        return {"address": None, **{f"address_{p}": None for p in ADDRESS_PARTS}}
    if not isinstance(address, dict):
        raise BadInput("Validation failed: address: must be an object")
    out = {"address": _text(address.get("value"), "address.value", ADDRESS_MAX)}
    for part in ADDRESS_PARTS:
        out[f"address_{part}"] = _text(address.get(part), f"address.{part}", 255)
    return out


def _address_v1(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "address" in body:
        out["address"] = _text(body["address"], "address", ADDRESS_MAX, lenient=True)
    for part in ADDRESS_PARTS:
        key = f"address_{part}"
        if key in body:
            out[key] = _text(body[key], key, 255, lenient=True)
    return out


def _text(value: Any, key: str, limit: int, lenient: bool = False) -> str | None:
    if value is None or (lenient and value == ""):
        return None
    if lenient and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise BadInput(f"Validation failed: {key}: must be a string")
    if len(value) > limit:
        raise BadInput(f"Validation failed: {key}: must be at most {limit} characters")
    return value


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    address = _address_v1(given.own) if given.lenient else _address_v2(given.own)
    if address:
        values.update(address)
    if old is None:
        values.setdefault("owner_id", ctx.user_id)
        values.setdefault("visible_to", 3)
    return values


def _people_counts(ctx, rows: list[dict[str, Any]]) -> dict[int, int]:
    """How many live persons each organization has."""
    ids = (r["id"] for r in rows)
    return repo.count_by(ctx.conn, persons, ctx.company_id, "org_id", ids, persons.c.is_deleted.is_(False))


def _related_deal_counts(ctx, rows: list[dict[str, Any]]) -> dict[int, dict[str, int]]:
    """Deal counts by status of each organization's daughters, summed."""
    daughters = org_relationships.daughters(ctx, [r["id"] for r in rows])
    counts = deal_counts(ctx.conn, ctx.company_id, "org_id", (d for ds in daughters.values() for d in ds))
    summed: dict[int, dict[str, int]] = {}
    for org_id, ids in daughters.items():
        for status, n in ((s, n) for d in ids for s, n in counts.get(d, {}).items()):
            summed.setdefault(org_id, {}).setdefault(status, 0)
            summed[org_id][status] += n
    return summed


def v2_extra(ctx, rows, items, include) -> None:
    for row, item in zip(rows, items):
        address = {part: row[f"address_{part}"] for part in ADDRESS_PARTS}
        item["address"] = {"value": row["address"], **address} if row["address"] or any(address.values()) else None
    if include:
        people = _people_counts(ctx, rows)
        related = _related_deal_counts(ctx, rows) if any(k.startswith("related_") for k in include) else None
        contact_include_fields(ctx, rows, items, include, "org_id", people=people, related=related)


def v1_extra(ctx, rows, items) -> None:
    counts = deal_counts(ctx.conn, ctx.company_id, "org_id", (r["id"] for r in rows))
    related = _related_deal_counts(ctx, rows)
    people = _people_counts(ctx, rows)
    owners = ctx.rows(users, (r["owner_id"] for r in rows))
    bcc = smart_bcc.address(ctx)
    for row, item in zip(rows, items):
        owner = owners.get(row["owner_id"])
        item.update(
            company_id=row["company_id"],
            active_flag=not row["is_deleted"],
            picture_id=None,
            country_code=None,
            first_char=(row["name"] or " ")[0].lower(),
            label=first_label(row["label_ids"]),
            owner_name=owner["name"] if owner else None,
            cc_email=bcc,
            people_count=people.get(row["id"], 0),
            edit_name=True,
            last_activity=None,
            next_activity=None,
            email_messages_count=row["email_messages_count"],
            **counts_block(counts.get(row["id"]), related.get(row["id"])),
        )
        for part in ADDRESS_PARTS:
            item[f"address_{part}"] = row[f"address_{part}"]
    fill_activity_objects(ctx, rows, items)


def compact(ctx, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    people = _people_counts(ctx, rows)
    return {
        row["id"]: {
            "id": row["id"],
            "name": row["name"],
            "people_count": people.get(row["id"], 0),
            "owner_id": row["owner_id"],
            "address": row["address"],
            "active_flag": not row["is_deleted"],
            "cc_email": smart_bcc.address(ctx),
        }
        for row in rows
    }


# v1 collection records: these keys of the v1 organization.
COLLECTION_KEYS = (*CONTACT_KEYS, "address", *(f"address_{p}" for p in ADDRESS_PARTS))


ORGANIZATION = register(
    Entity(
        name="organization",
        plural="organizations",
        label="Organization",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("name", "str", required=True),
            Field("owner_id", "int", ref="user", nullable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
            Field("is_deleted", "bool", v1=None, writable=False),
            Field("visible_to", "visible_to", nullable=False),
            Field("address", "str", v2=None, writable=False),
            Field("label_ids", "ids"),
            *counter_fields(),
        ],
        lists=contact_lists("organizations", table, {"owner_id": "owner_id"}, COLLECTION_KEYS),
        include_v2=CONTACT_INCLUDE + ("people_count",),
        sort_v2=("id", "update_time", "add_time"),
        sort_v1=("id", "name", "add_time", "update_time"),
        rules=rules,
        own_keys=("address", *(f"address_{part}" for part in ADDRESS_PARTS)),
        v1_extra=v1_extra,
        v2_extra=v2_extra,
        v1_related=compact,
        has_custom_fields=True,
        created_v1=201,
    )
)
