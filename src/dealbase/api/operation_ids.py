"""Pipedrive's operationIds (``getDeals``, ``updateDeal``) beside our operation names
(``get_deals``, ``update_deal``), so the control plane speaks the spec's ids.

Our names are the ids in snake case (``tools/gen_operations.py``); going back is camel case,
except the OAuth server's ids, which the spec spells with hyphens (``get-tokens``).
"""

from __future__ import annotations

from dealbase.api.operations import OPERATIONS
from dealbase.api.router import EXTRA_ROUTES


def _key(text: str) -> str:
    return text.replace("_", "").replace("-", "").lower()


# Spelling-blind key → our name; no two operations' names share a key.
_NAMES: dict[str, str] = {_key(name): name for *_, name in (*OPERATIONS, *EXTRA_ROUTES)}


def operation_name(given: str) -> str | None:
    """Our name for an operationId given in either spelling (``getDeals``, ``get_deals``), or
    None if no operation has it."""
    return _NAMES.get(_key(given))


def operation_id(api: str, name: str) -> str:
    """The spec's operationId of our operation ``name`` of ``api``."""
    if api == "oauth":
        return name.replace("_", "-")
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
