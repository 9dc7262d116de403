"""Search: how a term matches an item's texts, and how well.

Pipedrive's search looks for the term in parts of words as well as whole words ("ohn"
finds "John Smith"), case-insensitively; ``exact_match`` keeps only values equal to the
whole term (still case-insensitive). A term of several words matches an item when every
word is found in the fields searched; the whole term found in one value scores higher.

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

# The weight of each ``search_items`` column.
WEIGHT = {"title": 1.0, "email": 0.9, "phone": 0.9, "code": 0.9, "address": 0.7, "custom": 0.7, "notes": 0.5}

Matched = dict[str, list[str]]

_SPACE = re.compile(r"\s+")


def normalize(term: str) -> str:
    """The term as matched: lower-cased, runs of white space (and NULs) as one space, trimmed."""
    return _SPACE.sub(" ", term.replace("\x00", " ")).strip().lower()


def words(term: str) -> list[str]:
    return list(dict.fromkeys(normalize(term).split(" "))) if normalize(term) else []


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


def score(row: dict[str, Any], columns: list[str], term: str, exact: bool) -> tuple[float, Matched]:
    """The item's score for the term over the searched columns (0: no match), and the
    values that matched, by column (``custom_fields`` and ``notes`` of the result)."""
    term = normalize(term)
    parts = term.split(" ")
    several = len(parts) > 1 and not exact
    best = 0.0
    matched: Matched = {}
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
