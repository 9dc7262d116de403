"""What other families do when an entity's rows are written, merged or duplicated.

The write service (``domain/service.py``, ``domain/merge.py``) calls every registered hook;
a family registers its own at import time, so the operations need no edits when one is
added. All hooks run in the write's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = dict[str, Any]

# (unit, entity, old row or None on create, new row)
AfterWrite = Callable[[Any, Any, Row | None, Row], None]
# (ctx, entity name, absorbed id, surviving id, stamp): move links that are not entity
# fields (those the merge moves itself, over the registry's ``Field.ref``s).
OnMerge = Callable[[Any, str, int, int, str], None]
# (ctx, entity name, original id, copy id, stamp): what a duplicate takes along.
OnDuplicate = Callable[[Any, str, int, int, str], None]

AFTER_WRITE: list[AfterWrite] = []
ON_MERGE: list[OnMerge] = []
ON_DUPLICATE: list[OnDuplicate] = []


def after_write(fn: AfterWrite) -> AfterWrite:
    AFTER_WRITE.append(fn)
    return fn


def on_merge(fn: OnMerge) -> OnMerge:
    ON_MERGE.append(fn)
    return fn


def on_duplicate(fn: OnDuplicate) -> OnDuplicate:
    ON_DUPLICATE.append(fn)
    return fn


# (ctx, entity, the row as it was): after an entity's row is deleted, in the transaction
# (what other families keep about it must go: its search texts).
AfterDelete = Callable[[Any, Any, Row], None]
AFTER_DELETE: list[AfterDelete] = []


def after_delete(fn: AfterDelete) -> AfterDelete:
    AFTER_DELETE.append(fn)
    return fn


# (unit, entity, values): before a create's rules, what a family fills in that the caller did
# not send (a role's default visibility, ``domain/roles.py``).
BeforeCreate = Callable[[Any, Any, Row], None]
BEFORE_CREATE: list[BeforeCreate] = []


def before_create(fn: BeforeCreate) -> BeforeCreate:
    BEFORE_CREATE.append(fn)
    return fn


# (unit, entity, values, the row as it was or None on create): before a create's or an
# update's rules, what a family refuses in the caller's values (a visibility the company's
# plan does not offer, ``domain/roles.py``).
BeforeWrite = Callable[[Any, Any, Row, Row | None], None]
BEFORE_WRITE: list[BeforeWrite] = []


def before_write(fn: BeforeWrite) -> BeforeWrite:
    BEFORE_WRITE.append(fn)
    return fn
