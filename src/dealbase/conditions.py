"""A saved filter's resolved condition tree: what ``domain/filters.py`` makes of a filter's
conditions and ``store/filter_sql.py`` compiles into SQL. Plain data, so both may use it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """A field a condition can test: its filter type and where its value is.

    ``column``: the row's column; ``path``: the keys into that column's JSON (custom
    values: ``("<key>",)`` into ``custom_fields``, then e.g. ``"value"``); ``value``: how
    values compare (``num``, ``text``, ``day`` (a date or a date-time), ``clock``, ``id``,
    ``ids``, ``bool``, ``choice``); ``end_path``: where a range ends.
    """

    field_id: int
    key: str
    ftype: str
    value: str
    column: str
    path: tuple[str, ...] = ()
    end_path: tuple[str, ...] | None = None
    choices: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Cond:
    """A resolved condition on a field of ``entity`` (the entity's name). ``link``: how that
    entity reaches the filtered rows (None: they are its rows). ``value``: parsed — a number,
    text, id, bool, ``(lo, hi)`` day strings for day fields, ``HH:MM:SS`` for clock fields,
    None for the emptiness tests."""

    entity: str
    link: tuple[str, str] | None
    target: Target
    op: str
    value: Any


@dataclass(frozen=True)
class Group:
    glue: str
    items: tuple[Group | Cond, ...]


@dataclass(frozen=True)
class Sight:
    """Which items of one type a user who is not an admin sees, as ``domain/visibility.py``
    works it out and ``store/visibility.py`` turns into a condition on the items' table.

    ``item_type``: the items' name among the followers (``deal``). An item is seen when its
    owner is ``user_id``, the user follows it (``followed``: items of the type have followers), its ``visible_to`` is one of ``everyone``
    (the entire company), or — on plans with visibility groups — it is ``group`` (3) and its
    owner is in the user's role, or ``subgroups`` (5) and its owner is in the user's role or
    a role above it. ``role_ids``: the user's role first, then those above it; empty: the
    user is in the default role (no assignment), which has none above it.
    ``hidden_pipelines``: the pipelines the user's role hides; items in them (deals) are not
    seen whatever else holds.
    ``sparse``: the user sees few of the items (``domain/visibility.py`` counts them, at most
    a few thousand, now and then): the condition is then the items' ids gathered from the
    indexes, not a test of each row walked in order (which would walk the whole table).
    """

    user_id: int
    item_type: str
    everyone: tuple[int, ...]
    followed: bool = True  # whether such items have followers (leads have none)
    groups: bool = False
    role_ids: tuple[int, ...] = ()
    group: int = 3
    subgroups: int = 5
    hidden_pipelines: tuple[int, ...] = ()
    sparse: bool = False
