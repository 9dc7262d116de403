"""A deal's page: its fields (custom ones too), status, activities, notes, products and
history, read and written through dealbase's own API as the signed-in user (``Api``).

A page makes a fixed number of API calls (the deal, its fields, users, stages, activities,
notes, products, the product list and the flow, each one page of a bounded size), so its
statements do not grow with what the deal holds. Each action is one API call (the activity,
note or product a form adds, ``PATCH /api/v2/deals/{id}`` for a field or the status).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dealbase.web.board import read_id
from dealbase.web.calls import Api, Refused

LISTED = 100  # activities, notes, products and history entries shown on the page

# The deal's own fields the page edits: their key → (label, input kind)
STANDARD = {
    "title": ("Title", "text"),
    "value": ("Value", "number"),
    "currency": ("Currency", "text"),
    "expected_close_date": ("Expected close date", "date"),
    "probability": ("Probability (%)", "number"),
    "owner_id": ("Owner", "user"),
    "stage_id": ("Stage", "stage"),
}
# A custom field's type → the input the page gives it (other types are shown, not edited)
CUSTOM_INPUTS = {
    "varchar": "text",
    "varchar_auto": "text",
    "text": "textarea",
    "phone": "text",
    "double": "number",
    "int": "number",
    "date": "date",
    "enum": "enum",
    "set": "set",
    "user": "user",
}
DISCOUNT_TYPES = ("percentage", "amount")


@dataclass
class Field:
    key: str
    label: str
    kind: str  # text, textarea, number, date, enum, set, user, stage, or "shown" (not editable here)
    value: Any
    custom: bool
    options: list[dict[str, Any]] = field(default_factory=list)

    @property
    def chosen(self) -> set[str]:
        """The option ids a set or enum field holds, as text (the form's values)."""
        if self.value is None:
            return set()
        values = self.value if isinstance(self.value, list) else str(self.value).split(",")
        return {str(v).strip() for v in values}

    @property
    def text(self) -> str:
        """The value as an input shows it."""
        if self.value is None:
            return ""
        if isinstance(self.value, dict):
            return ", ".join(str(v) for v in self.value.values() if v not in (None, ""))
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value)


@dataclass
class DealPage:
    deal: dict[str, Any]
    fields: list[Field]
    users: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    activity_types: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    products: list[dict[str, Any]]
    catalog: list[dict[str, Any]]
    history: list[dict[str, str]]


def _fields(deal: dict[str, Any], definitions: list[dict[str, Any]]) -> list[Field]:
    shown = [Field(key, label, kind, deal.get(key), False) for key, (label, kind) in STANDARD.items()]
    for definition in definitions:
        if not definition.get("edit_flag"):
            continue  # the deal's own fields: those above, or set by the API alone
        key = definition["key"]
        shown.append(
            Field(
                key,
                definition["name"],
                CUSTOM_INPUTS.get(definition["field_type"], "shown"),
                (deal.get("custom_fields") or {}).get(key),
                True,
                definition.get("options") or [],
            )
        )
    return shown


def _history(flow: list[dict[str, Any]], names: dict[str, str], users: dict[int, str]) -> list[dict[str, str]]:
    """The flow's entries as lines: a field's change, an activity or a note added."""
    lines = []
    for item in flow:
        entry = item.get("data") or {}
        who = users.get(entry.get("user_id")) or ""
        if item["object"] == "dealChange":
            key = entry.get("field_key") or ""
            what = f"{names.get(key, key)}: {entry.get('old_value') or '—'} → {entry.get('new_value') or '—'}"
        elif item["object"] == "activity":
            what = f"Activity: {entry.get('subject') or ''}"
        elif item["object"] == "note":
            what = f"Note: {_plain(entry.get('content') or '')[:200]}"
        else:
            what = item["object"]
        lines.append({"when": item.get("timestamp") or "", "who": who, "what": what})
    return lines


def _plain(content: str) -> str:
    """A note's HTML as text (shown escaped: nothing of it is markup on the page)."""
    return re.sub(r"<[^>]*>", " ", content).strip()


async def read(api: Api, deal_id: int) -> DealPage:
    """Everything the page shows (the deal first: one the user may not see is the API's 404)."""
    deal = (await api.get("v2", f"/deals/{deal_id}"))["data"]
    definitions = (await api.get("v1", "/dealFields", {"limit": "500"}))["data"] or []
    users = (await api.get("v1", "/users"))["data"] or []
    stages = (await api.get("v2", "/stages", {"pipeline_id": str(deal["pipeline_id"]), "limit": "500"}))["data"]
    types = (await api.get("v1", "/activityTypes"))["data"] or []
    activities = (await api.get("v2", "/activities", {"deal_id": str(deal_id), "limit": str(LISTED)}))["data"]
    notes = (await api.get("v1", "/notes", {"deal_id": str(deal_id), "limit": str(LISTED), "sort": "add_time DESC"}))[
        "data"
    ] or []
    products = (await api.get("v2", f"/deals/{deal_id}/products", {"limit": str(LISTED)}))["data"]
    catalog = (await api.get("v2", "/products", {"limit": "500"}))["data"]
    flow = (await api.get("v1", f"/deals/{deal_id}/flow", {"all_changes": "1"}))["data"] or []
    names = {d["key"]: d["name"] for d in definitions}
    return DealPage(
        deal=deal,
        fields=_fields(deal, definitions),
        users=users,
        stages=stages,
        activity_types=[t for t in types if t.get("active_flag")],
        activities=sorted(activities, key=lambda a: (a["done"], a.get("due_date") or "", a["id"])),
        notes=sorted(notes, key=lambda n: (not n.get("pinned_to_deal_flag"), -n["id"])),
        products=products,
        catalog=catalog,
        history=_history(flow, names, {u["id"]: u["name"] for u in users}),
    )


# -- reading a form's values ------------------------------------------------------------------


def _number(text: str, what: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise Refused(400, f"{what} must be a number")
    return int(number) if number.is_integer() else number


def _date(text: str, what: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise Refused(400, f"{what} must be a date (YYYY-MM-DD)") from None


def _option(text: str, options: list[dict[str, Any]], what: str) -> int:
    chosen = read_id(text)
    if chosen is None or chosen not in {o["id"] for o in options}:
        raise Refused(400, f"Choose one of {what}'s options")
    return chosen


def _value(kind: str, values: list[str], label: str, options: list[dict[str, Any]]) -> Any:
    """A field's new value from its form values, as ``PATCH /api/v2/deals/{id}`` takes it."""
    text = values[0] if values else ""
    if kind in ("text", "textarea"):
        return text.strip() or None
    if kind == "number":
        return _number(text, label)
    if kind == "date":
        return _date(text, label)
    if kind == "enum":
        return _option(text, options, label) if text.strip() else None
    if kind == "set":
        chosen = [_option(v, options, label) for v in values if v.strip()]
        return chosen or None
    if kind in ("user", "stage"):
        chosen = read_id(text)
        if chosen is None:
            raise Refused(400, f"Choose a {label.lower()}")
        return chosen
    raise Refused(400, f"{label} is not edited on this page")


async def set_field(api: Api, deal_id: int, key: str, values: list[str]) -> dict[str, Any]:
    """One field of the deal set: ``PATCH /api/v2/deals/{id}`` (a custom one in ``custom_fields``)."""
    if key in STANDARD:
        label, kind = STANDARD[key]
        value = _value(kind, values, label, [])
        if key == "title" and value is None:
            raise Refused(400, "A deal needs a title")
        if key == "currency" and value is None:
            raise Refused(400, "A deal needs a currency")
        body: dict[str, Any] = {key: value}
    else:
        definitions = (await api.get("v1", "/dealFields", {"limit": "500"}))["data"] or []
        definition = next((d for d in definitions if d["key"] == key and d.get("edit_flag")), None)
        if definition is None:
            raise Refused(400, "That is not a field of deals")
        kind = CUSTOM_INPUTS.get(definition["field_type"], "shown")
        body = {"custom_fields": {key: _value(kind, values, definition["name"], definition.get("options") or [])}}
    return (await api.send("PATCH", "v2", f"/deals/{deal_id}", body))["data"]


async def set_status(api: Api, deal_id: int, status: str, lost_reason: str) -> dict[str, Any]:
    """Won, lost (with its reason) or open again: ``PATCH /api/v2/deals/{id}``."""
    if status not in ("won", "lost", "open"):
        raise Refused(400, "A deal is won, lost or open")
    body: dict[str, Any] = {"status": status}
    if status == "lost" and lost_reason.strip():
        body["lost_reason"] = lost_reason.strip()
    return (await api.send("PATCH", "v2", f"/deals/{deal_id}", body))["data"]


async def add_activity(api: Api, deal_id: int, subject: str, kind: str, due: str) -> dict[str, Any]:
    """An activity of the deal: ``POST /api/v2/activities``."""
    if not subject.strip():
        raise Refused(400, "An activity needs a subject")
    body: dict[str, Any] = {"subject": subject.strip(), "deal_id": deal_id}
    if kind.strip():
        body["type"] = kind.strip()
    due_date = _date(due, "The due date")
    if due_date:
        body["due_date"] = due_date
    return (await api.send("POST", "v2", "/activities", body))["data"]


async def mark_done(api: Api, deal_id: int, activity_id: int) -> dict[str, Any]:
    """An activity of this deal marked done: ``PATCH /api/v2/activities/{id}``."""
    activity = (await api.get("v2", f"/activities/{activity_id}"))["data"]
    if activity.get("deal_id") != deal_id:
        raise Refused(404, "Activity not found")
    return (await api.send("PATCH", "v2", f"/activities/{activity_id}", {"done": True}))["data"]


async def add_note(api: Api, deal_id: int, content: str) -> dict[str, Any]:
    """A note on the deal: ``POST /v1/notes``."""
    if not content.strip():
        raise Refused(400, "A note needs some text")
    return (await api.send("POST", "v1", "/notes", {"content": content.strip(), "deal_id": deal_id}))["data"]


async def pin_note(api: Api, deal_id: int, note_id: int, pinned: bool) -> dict[str, Any]:
    """A note of this deal pinned to it (or unpinned): ``PUT /v1/notes/{id}``."""
    note = (await api.get("v1", f"/notes/{note_id}"))["data"]
    if note.get("deal_id") != deal_id:
        raise Refused(404, "Note not found")
    return (await api.send("PUT", "v1", f"/notes/{note_id}", {"pinned_to_deal_flag": pinned}))["data"]


async def add_product(api: Api, deal_id: int, form: Any) -> dict[str, Any]:
    """A product on the deal with its quantity, price and discount: ``POST
    /api/v2/deals/{id}/products`` (the API sets the deal's value from its products)."""
    product_id = read_id(form.get("product_id"))
    if product_id is None:
        raise Refused(400, "Choose a product")
    body: dict[str, Any] = {"product_id": product_id}
    quantity = _number(str(form.get("quantity") or ""), "The quantity")
    price = _number(str(form.get("item_price") or ""), "The price")
    if price is None:
        raise Refused(400, "A product on a deal needs a price")
    body |= {"item_price": price, "quantity": 1 if quantity is None else quantity}
    discount = _number(str(form.get("discount") or ""), "The discount")
    if discount is not None:
        discount_type = str(form.get("discount_type") or "percentage")
        if discount_type not in DISCOUNT_TYPES:
            raise Refused(400, "A discount is a percentage or an amount")
        body |= {"discount": discount, "discount_type": discount_type}
    return (await api.send("POST", "v2", f"/deals/{deal_id}/products", body))["data"]
