"""Deal installments (v2): a deal's one-time products paid in parts, on billing dates."""

from __future__ import annotations

from typing import Any

from dealbase.clock import parse_date
from dealbase.domain.deal_products import deal_ids, deal_lines, description_and_amount, recurring
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store.tables import deal_installments as table


def values_of(body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """An installment's values from a body (``old``: the installment an update changes)."""
    creating = old is None
    values = description_and_amount(body, creating)
    raw = body.get("billing_date")
    if raw is not None or creating:
        parsed = parse_date(raw) if isinstance(raw, str) else None
        if parsed is None:
            raise BadInput("Validation failed: billing_date: must be a date (YYYY-MM-DD)")
        values["billing_date"] = parsed
    return values


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    """The values sent, checked as Pipedrive does; installments are for deals whose enabled
    products are all one-time."""
    values = {**values_of(given.own, old), **values}
    if old is None:
        enabled = [r for r in deal_lines(ctx, values["deal_id"]) if r["is_enabled"]]
        if not enabled:
            raise BadInput("Installments can only be added to a deal with products")
        if any(recurring(r) for r in enabled):
            raise BadInput("Installments cannot be added to a deal with recurring products")
    return values


INSTALLMENT = register(
    Entity(
        name="deal_installment",
        plural="deal_installments",
        label="Installment",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            # Parsed by the rules from the values sent (``own_keys``), with Pipedrive's messages.
            Field("amount", "num", writable=False),
            Field("billing_date", "date", writable=False),
            Field("description", "str", writable=False),
            Field("deal_id", "int", writable=False),
        ],
        sort_v2=("id", "billing_date", "deal_id"),
        lists=(Listing("v2", "get_installments", (deal_ids(table.c.deal_id),), paging="v2", alive=False),),
        rules=rules,
        own_keys=("amount", "billing_date", "description"),
        parent="deal",
        link="deal_id",
    )
)
