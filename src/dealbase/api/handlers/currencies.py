"""``/v1/currencies``: every ISO 4217 currency the server knows, with name and symbol."""

from __future__ import annotations

from functools import cache
from typing import Any

from dealbase.api.context import Ctx
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain.common import currency, currency_codes

handlers = Handlers()


@cache
def all_currencies() -> list[dict[str, Any]]:
    return [
        {"id": i, **currency(code), "active_flag": True, "is_custom_flag": False}
        for i, code in enumerate(sorted(currency_codes()), start=1)
    ]


@handlers.operation("v1", "get_currencies")
def get_currencies(ctx: Ctx):
    """All currencies; ``term`` narrows them by name or code."""
    term = (ctx.raw("term") or "").strip().lower()
    items = all_currencies()
    if term:
        items = [c for c in items if term in c["code"].lower() or term in c["name"].lower()]
    return ok(items)
