"""Rules several entity families share: labels, counts of related deals, money."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import orjson
from babel import Locale
from babel.numbers import get_currency_name, get_currency_precision, get_currency_symbol, list_currencies

from dealbase.clock import to_v2
from dealbase.domain import smart_bcc
from dealbase.domain.lists import Listing, Param, by_ids, first_char, id_filters, owner, updated
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import deals

# A number as text, as v1's lenient inputs take it.
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$", re.ASCII)


def num(value: Any) -> Any:
    """A whole float as an int (``5.0`` → ``5``), as Pipedrive shows amounts; anything else as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(list_currencies())


@cache
def currency(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": get_currency_name(code, locale="en_US"),
        "decimal_points": get_currency_precision(code),
        "symbol": get_currency_symbol(code, locale="en_US"),
    }


def check_currency(code: str, key: str = "currency") -> str:
    code = code.upper()
    if code not in currency_codes():
        raise BadInput(f"Validation failed: {key}: unknown currency '{code}'")
    return code


@cache
def _money_format(code: str, locale: str) -> tuple[str, str, str, str, int]:
    """(prefix, suffix, group, decimal, digits) of the locale's currency format for ``code``.

    Built once per currency and locale; babel's own formatter costs ~150 µs a call, too
    much for a list of 500 deals.
    """
    try:
        loc = Locale.parse(locale)
    except Exception:  # an unknown locale: fall back to English
        loc = Locale.parse("en_US")
    pattern = loc.currency_formats["standard"].pattern.split(";")[0]
    symbol = get_currency_symbol(code, locale=loc)
    start = min(pattern.index(c) for c in "#0" if c in pattern)
    end = max(pattern.rindex(c) for c in "#0" if c in pattern) + 1
    prefix, suffix = (pattern[:start].replace("¤", symbol), pattern[end:].replace("¤", symbol))
    symbols = loc.number_symbols.get("latn", loc.number_symbols) if hasattr(loc, "number_symbols") else {}
    group, decimal = symbols.get("group", ","), symbols.get("decimal", ".")
    return prefix, suffix, group, decimal, get_currency_precision(code)


def formatted(value: float | None, code: str, locale: str = "en_US") -> str:
    """Money as Pipedrive's v1 shows it: ``€2,300``, ``$1,234.50``."""
    value = value or 0
    prefix, suffix, group, decimal, digits = _money_format(code, locale)
    places = 0 if float(value).is_integer() else digits
    text = f"{abs(value):,.{places}f}"
    if (group, decimal) != (",", "."):
        text = text.replace(",", "\0").replace(".", decimal).replace("\0", group)
    return f"{'-' if value < 0 else ''}{prefix}{text}{suffix}"


def first_label(label_ids: str | None) -> int | None:
    ids = orjson.loads(label_ids) if label_ids else []
    return ids[0] if ids else None


def deal_counts(conn, company_id: int, column: str, ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Open / won / lost deal counts per person or organization."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    where = [deals.c[column].in_(ids), deals.c.is_deleted.is_(False)]
    out: dict[int, dict[str, int]] = {}
    for group in repo.grouped(conn, deals, company_id, where, (column, "status")):
        out.setdefault(group[column], {})[group["status"]] = group["count"]
    return out


def counts_block(counts: dict[str, int] | None, related: dict[str, int] | None = None) -> dict[str, int]:
    """Deal counts by status of an item and (organizations) of its related ones."""
    counts = {"open": 0, "won": 0, "lost": 0, **(counts or {})}
    related = {"open": 0, "won": 0, "lost": 0, **(related or {})}
    return {
        "open_deals_count": counts["open"],
        "related_open_deals_count": related["open"],
        "closed_deals_count": counts["won"] + counts["lost"],
        "related_closed_deals_count": related["won"] + related["lost"],
        "won_deals_count": counts["won"],
        "related_won_deals_count": related["won"],
        "lost_deals_count": counts["lost"],
        "related_lost_deals_count": related["lost"],
    }


def mail_values(row: dict[str, Any], *, v2: bool = False) -> dict[str, Any]:
    """What mail keeps on a deal, person or organization (``domain/mail.py``), v1 or v2 times."""
    shown = to_v2 if v2 else str
    return {
        "email_messages_count": row["email_messages_count"],
        "last_incoming_mail_time": row["last_incoming_mail_time"] and shown(row["last_incoming_mail_time"]),
        "last_outgoing_mail_time": row["last_outgoing_mail_time"] and shown(row["last_outgoing_mail_time"]),
    }


def contact_include_fields(
    ctx,
    rows,
    items,
    include: frozenset[str],
    column: str,
    *,
    people: dict[int, int] | None = None,
    related: dict[int, dict[str, int]] | None = None,
) -> None:
    """v2 ``include_fields`` of persons and organizations: deal counts and the like."""
    if not include:
        return
    counts = deal_counts(ctx.conn, ctx.company_id, column, (r["id"] for r in rows))
    related = related or {}
    for row, item in zip(rows, items):
        values = {
            **counts_block(counts.get(row["id"]), related.get(row["id"])),
            **mail_values(row, v2=True),
            "participant_open_deals_count": 0,
            "participant_closed_deals_count": 0,
            "smart_bcc_email": smart_bcc.address(ctx),
        }
        if people is not None:
            values["people_count"] = people.get(row["id"], 0)
        for key in include:
            if key in values:
                item[key] = values[key]


CONTACT_INCLUDE = (
    "next_activity_id",
    "last_activity_id",
    "open_deals_count",
    "related_open_deals_count",
    "closed_deals_count",
    "related_closed_deals_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "files_count",
    "notes_count",
    "followers_count",
    "won_deals_count",
    "related_won_deals_count",
    "lost_deals_count",
    "related_lost_deals_count",
    "smart_bcc_email",
)


# -- the lists persons and organizations share -------------------------------------------

# v1 collection records: these keys of the v1 item (then ``delete_time`` and ``label_ids``).
CONTACT_KEYS = ("id", "active_flag", "owner_id", "name", "update_time", "add_time", "visible_to", "label", "cc_email")


def contact_record(keys: tuple[str, ...]) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    def record(row: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        return {
            **{k: item.get(k) for k in keys},
            "delete_time": row["update_time"] if row["is_deleted"] else None,
            "label_ids": orjson.loads(row["label_ids"]) if row["label_ids"] else [],
        }

    return record


def contact_lists(
    plural: str, table: Any, quick: dict[str, str], keys: tuple[str, ...], v2_more: tuple[Param, ...] = ()
) -> tuple[Listing, ...]:
    """A person's or organization's lists: v2 (``filter_id``, or ``ids``, the quick filters
    and ``v2_more``), v1 (``filter_id`` or the owner, ``first_char``), the v1 collection
    (admins only; records of ``keys``)."""
    overridden = ("ids", *quick, *(p.name for p in v2_more))
    v2_params = (by_ids(table), *id_filters(table, quick), *updated(table), *v2_more)
    collection_params = (first_char(table), *id_filters(table, {"owner_id": "owner_id"}))
    return (
        Listing("v2", f"get_{plural}", v2_params, paging="v2", filter_id=overridden),
        Listing("v1", f"get_{plural}", (*owner(table), first_char(table)), filter_id=("user_id", "owned_by_you")),
        Listing(
            "v1",
            f"get_{plural}_collection",
            collection_params,
            paging="collection",
            admin_only=True,
            refs="plain",
            record=contact_record(keys),
        ),
    )
