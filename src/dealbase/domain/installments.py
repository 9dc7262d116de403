"""Deal installments (v2): a deal's one-time products paid in parts, on billing dates."""

from __future__ import annotations

from dealbase.domain.entity import Entity, Field
from dealbase.domain.registry import register
from dealbase.store.tables import deal_installments as table

INSTALLMENT = register(
    Entity(
        name="deal_installment",
        plural="deal_installments",
        label="Installment",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("amount", "num", required=True),
            Field("billing_date", "date", required=True),
            Field("description", "str", required=True),
            Field("deal_id", "int", writable=False),
        ],
        sort_v2=("id", "billing_date", "deal_id"),
    )
)
