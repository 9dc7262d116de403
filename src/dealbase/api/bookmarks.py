"""Where v1 offset pages start, remembered while the company's data stays the same.

A classic v1 client pages with ``start``: 0, 100, 200, … Serving page N, the server
already knows the id the next page starts at (it reads one row more than the page), so
the next request can seek to that id instead of walking ``start`` rows. A bookmark is
only used while the company's change version (its newest change event, which every
write moves) is the one it was taken at, so it gives exactly what the offset would.
Pages in id order only (the default v1 order).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from dealbase.api.context import Ctx

MAX_BOOKMARKS = 20_000
_IGNORED = {"start", "limit", "api_token"}


class Bookmarks:
    def __init__(self) -> None:
        self._marks: OrderedDict[tuple[Any, ...], tuple[int, int]] = OrderedDict()
        # On PostgreSQL requests run in threads: keep the LRU's moves whole.
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], version: int) -> int | None:
        with self._lock:
            mark = self._marks.get(key)
            if mark is None or mark[0] != version:
                return None
            self._marks.move_to_end(key)
            return mark[1]

    def put(self, key: tuple[Any, ...], version: int, row_id: int) -> None:
        with self._lock:
            self._marks[key] = (version, row_id)
            self._marks.move_to_end(key)
            while len(self._marks) > MAX_BOOKMARKS:
                self._marks.popitem(last=False)


def of(ctx: Ctx) -> Bookmarks:
    # setdefault: two threads asking at once still share one.
    marks = ctx.shared.get("bookmarks")
    return marks if marks is not None else ctx.shared.setdefault("bookmarks", Bookmarks())


def query_key(ctx: Ctx, start: int) -> tuple[Any, ...]:
    """The page's identity: caller, operation, path and filters, and its start."""
    params = tuple(sorted((k, tuple(v)) for k, v in ctx.query.items() if k not in _IGNORED))
    return (ctx.company_id, ctx.user_id, ctx.api, ctx.operation, tuple(sorted(ctx.path.items())), params, start)
