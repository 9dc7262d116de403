"""Search: what each item type is searched by, and how a match is scored.

Pipedrive's search looks for the term in parts of words as well as whole words ("ohn"
finds "John Smith"), case-insensitively; ``exact_match`` keeps only values equal to the
whole term (still case-insensitive). A term of several words matches an item when every
word is found in the fields searched; the whole term found in one value scores higher.

Every item has one row in ``search_items`` (``store/tables.py``) holding the text of each
searchable field: the title or name, e-mails, phones, address, code, the values of its
searchable custom fields and the text of its notes. The database's index (FTS5 trigram on
SQLite, pg_trgm on PostgreSQL) finds candidate rows; :func:`score` decides, on those rows'
texts, whether they match and how well.

Scoring (deterministic, between 0 and 1). For each value of each searched field, with the
term and the value lower-cased:

======================================  =====
the value equals the term               1.0
the value starts with the term          0.8
the term starts a word of the value     0.6
the term is inside the value            0.4
every word of the term is in the value  0.2
======================================  =====

times the field's weight: title / name 1.0; e-mail, phone, code 0.9; address and custom
fields 0.7; notes 0.5. An item scores its best value; an item whose words are only found
across several values scores 0.1. Equal scores keep the newest item first.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

# The ``fields`` values each item type is searched by (Pipedrive's table, per type).
FIELDS: dict[str, tuple[str, ...]] = {
    "deal": ("custom_fields", "notes", "title"),
    "person": ("custom_fields", "email", "name", "notes", "phone"),
    "organization": ("address", "custom_fields", "name", "notes"),
    "product": ("code", "custom_fields", "name"),
    "lead": ("custom_fields", "notes", "title"),
    "file": ("name",),
    "project": ("custom_fields", "notes", "title", "description"),
}
ITEM_TYPES = ("deal", "person", "organization", "product", "lead", "file", "project")
# What itemSearch accepts (mail attachments do not exist here: never found).
ITEM_TYPES_ACCEPTED = (*ITEM_TYPES, "mail_attachment")
ALL_FIELDS = ("address", "code", "custom_fields", "email", "name", "notes", "phone", "title", "description")
# ``fields`` value → the search_items column holding it.
COLUMN = {
    "title": "title",
    "name": "title",
    "email": "email",
    "phone": "phone",
    "address": "address",
    "code": "code",
    "custom_fields": "custom",
    "notes": "notes",
}
# Where an item type keeps a field the columns above do not name: a project's description
# is in the ``address`` column (projects have no address).
COLUMN_OF = {"project": {"description": "address"}}
WEIGHT = {"title": 1.0, "email": 0.9, "phone": 0.9, "code": 0.9, "address": 0.7, "custom": 0.7, "notes": 0.5}
# Custom field types whose values are searched (Pipedrive's list).
SEARCHABLE_TYPES = ("address", "varchar", "text", "varchar_auto", "double", "monetary", "phone")
# The newest matching items a search ranks, besides every item whose title or name is the
# term itself (found by index): enough for the pages people read, and a bound on the work
# of a common word over a million items.
CANDIDATES = 500
# The items an entity filter (person_id, organization_id, status) lets through, as Pipedrive.
FILTERED = 2000

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


def column(item_type: str, field: str) -> str:
    """The ``search_items`` column holding a ``fields`` value of the item type."""
    return COLUMN_OF.get(item_type, {}).get(field) or COLUMN[field]


def normalize(term: str) -> str:
    """The term as matched: lower-cased, runs of white space (and NULs) as one space, trimmed."""
    return _SPACE.sub(" ", term.replace("\x00", " ")).strip().lower()


def words(term: str) -> list[str]:
    return list(dict.fromkeys(normalize(term).split(" "))) if normalize(term) else []


def plain(html: str | None) -> str:
    """A note's text: its HTML without tags, on one line."""
    if not html:
        return ""
    text = _TAG.sub(" ", html)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return _SPACE.sub(" ", text).strip()


def _lines(values: list[str]) -> str | None:
    kept = [_SPACE.sub(" ", v).strip() for v in values if v is not None]
    kept = [v for v in kept if v]
    return "\n".join(kept) if kept else None


def contacts(stored: str | None) -> list[str]:
    """The values of stored e-mails or phones."""
    return [c["value"] for c in orjson.loads(stored)] if stored else []


def custom_text(value: Any) -> str | None:
    """A searchable custom value as text (a monetary or address value: its ``value``)."""
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or isinstance(value, (bool, list, dict)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def document(item_type: str, row: dict[str, Any], notes: list[str], custom_keys: list[str]) -> dict[str, Any]:
    """The ``search_items`` texts of one live item. ``notes``: its notes' HTML;
    ``custom_keys``: the keys of its type's searchable custom fields."""
    values: dict[str, Any] = {"email": None, "phone": None, "address": None, "code": None}
    if item_type in ("deal", "lead", "project"):
        title = row["title"]
    elif item_type == "file":
        title = row.get("name") or row.get("file_name")
    else:
        title = row["name"]
    if item_type == "person":
        values["email"] = _lines(contacts(row.get("emails")))
        values["phone"] = _lines(contacts(row.get("phones")))
    elif item_type == "organization":
        values["address"] = _lines([row.get("address")])
    elif item_type == "product":
        values["code"] = _lines([row.get("code")])
    elif item_type == "project":
        values["address"] = _lines([row.get("description")])
    custom = orjson.loads(row["custom_fields"]) if row.get("custom_fields") else {}
    values["custom"] = _lines([custom_text(custom.get(key)) for key in custom_keys])
    values["notes"] = _lines([plain(n) for n in notes])
    values["title"] = title
    values["title_key"] = normalize(title)[:1000] if title else None
    return values


def _at_word_start(value: str, term: str) -> bool:
    start = value.find(term)
    while start != -1:
        if start == 0 or not value[start - 1].isalnum():
            return True
        start = value.find(term, start + 1)
    return False


def value_score(value: str, term: str, parts: list[str], exact: bool) -> float:
    """How well one lower-cased value matches the lower-cased term (see the module)."""
    if value == term:
        return 1.0
    if exact:
        return 0.0
    if value.startswith(term):
        return 0.8
    if term in value:
        return 0.6 if _at_word_start(value, term) else 0.4
    if len(parts) > 1 and all(p in value for p in parts):
        return 0.2
    return 0.0


def score(row: dict[str, Any], columns: list[str], term: str, exact: bool) -> tuple[float, dict[str, list[str]]]:
    """The item's score for the term over the searched columns (0: no match), and the
    values that matched, by column (``custom_fields`` and ``notes`` of the result)."""
    term = normalize(term)
    parts = term.split(" ")
    several = len(parts) > 1 and not exact
    best = 0.0
    matched: dict[str, list[str]] = {}
    found: set[str] = set()
    for column in columns:
        text = row.get(column)
        if not text:
            continue
        weight = WEIGHT[column]
        for value in text.split("\n") if "\n" in text else (text,):
            low = value.lower()
            if term not in low and not several:
                continue
            s = value_score(low, term, parts, exact)
            if s:
                best = max(best, s * weight)
                matched.setdefault(column, []).append(value)
            if several:
                found.update(p for p in parts if p in low)
    if not best and several and found.issuperset(parts):
        best = 0.1
    return round(best, 4), matched
