"""Smart BCC addresses: each company's, and its deals' and leads', as Pipedrive shows them.

Pipedrive gives a company one address on its mail domain, built from the company's domain
(``acme@pipedrivemail.com``), and each deal and lead an address of its own after a ``+``
(``acme+deal12@…``, ``acme+lead<uuid>@…``). Here the local part is the company's ``mail_name``
(unique: ``store/companies.py``) and the domain ``DEALBASE_SMTP_DOMAIN``; the SMTP receiver
(``smtp.py``) maps an envelope recipient back to its company with ``recipient``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dealbase.domain import company_clock
from dealbase.store import companies

_ITEM = re.compile(r"(deal)(\d{1,18})|(lead)([0-9a-f-]{36})")


def address(ctx, item: str = "") -> str:
    """The company's Smart BCC address; ``item`` ("deal12", "lead<uuid>"): that item's."""
    name = company_clock.standing(ctx.conn, ctx.shared, ctx.company_id).mail_name
    return f"{name}{'+' if item else ''}{item}@{ctx.settings.smtp_domain}"


@dataclass(frozen=True)
class Recipient:
    """A Smart BCC address an envelope names: its company, and the deal or lead whose address
    it is (Pipedrive links such mail to that item)."""

    company_id: int
    deal_id: int | None = None
    lead_id: str | None = None


def recipient(conn, address_given: str, mail_domain: str) -> Recipient | None:
    """The company (and deal or lead) of an envelope recipient, or None when it is no company's
    Smart BCC address on ``mail_domain``. A ``+`` part that names no deal or lead is the
    company's address all the same, as sub-addresses are."""
    local, at, domain = address_given.strip().strip("<>").rpartition("@")
    if not at or domain.lower().rstrip(".") != mail_domain.lower() or not local:
        return None
    name, _, item = local.lower().partition("+")
    company_id = companies.by_mail_name(conn, name)
    if company_id is None:
        return None
    found = _ITEM.fullmatch(item)
    if found is None:
        return Recipient(company_id)
    if found.group(1):
        return Recipient(company_id, deal_id=int(found.group(2)))
    return Recipient(company_id, lead_id=found.group(4))
