"""``/v1/billing/subscriptions/addons``: the company's add-ons (``domain/billing.py``)."""

from __future__ import annotations

from dealbase.api.context import Ctx
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import billing

handlers = Handlers()


@handlers.operation("v1", "get_company_addons")
def get_company_addons(ctx: Ctx):
    """The add-ons of the caller's company, by its plan."""
    return ok([{"code": code} for code in billing.addons(ctx)])
