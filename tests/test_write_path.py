"""One write path: rows are written, and change events recorded, by the write service alone.

Every module of ``src/dealbase`` is parsed; a call of the repository's write functions or of
a change-event recorder (under any spelling: ``repo.insert_row(...)``, an imported
``insert_row(...)``) anywhere but in the modules below fails, naming the module and line.
Everything else writes through ``domain/service.py`` (``create`` / ``update`` / ``delete``
for entities; ``insert`` / ``change`` / ``remove`` / ``relink`` for the rows that are no
entity of their own), so every write has its change event and its hooks.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dealbase"

# The repository's writes of company rows, the search index's, and the change recorders.
WRITERS = frozenset(
    {
        "insert_row",
        "insert_rows",
        "update_row",
        "delete_rows",
        "reassign",
        "search_put",
        "search_put_many",
        "search_drop",
        "record_change",
        "record_changes",
        "record_create",
        "record_creates",
        "record_update",
        "record_delete",
        "changes_held",  # change events written at a batch's end: only the service batches
    }
)
# Where they may be called, and why.
ALLOWED = {
    "domain/service.py": "the write service",
    "domain/search_index.py": "the search index, rewritten by the service's hooks and reindex",
    "events/changes.py": "the change-event recorders themselves",
    # A new company's first rows (the company, its admin, pipeline, stages…) are written
    # before there is a user to act in a unit; each still gets its create event.
    "bootstrap.py": "a company's first rows, before it has an acting user",
}
# Where they may be called in the store: its own modules (the repository, OAuth's tables).
STORE = "store/"


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def direct_writes(path: str, source: str) -> list[str]:
    """The calls of a write function in the module at ``path`` (under ``src/dealbase``) that
    its place does not allow."""
    if path.startswith(STORE) or path in ALLOWED:
        return []
    out = []
    for node in ast.walk(ast.parse(source, path)):
        if isinstance(node, ast.Call) and _called(node) in WRITERS:
            out.append(f"src/dealbase/{path}:{node.lineno} writes directly: {_called(node)}(...)")
    return sorted(out)


def _modules() -> list[tuple[str, str]]:
    return [(p.relative_to(PACKAGE).as_posix(), p.read_text()) for p in sorted(PACKAGE.rglob("*.py"))]


def test_only_the_write_service_writes_rows_and_records_changes():
    found = [line for path, source in _modules() for line in direct_writes(path, source)]
    assert found == [], "write through domain/service.py instead:\n" + "\n".join(found)


def test_a_direct_write_is_found():
    source = "def add(ctx):\n    repo.insert_row(ctx.conn, t, ctx.company_id, {})\n"
    assert direct_writes("api/handlers/notes.py", source) == [
        "src/dealbase/api/handlers/notes.py:2 writes directly: insert_row(...)"
    ]
    recorded = "from dealbase.events.changes import record_update\nrecord_update(c, 1, 2, 'deal', {}, {}, 's')\n"
    assert direct_writes("domain/deals.py", recorded) == [
        "src/dealbase/domain/deals.py:2 writes directly: record_update(...)"
    ]
    assert direct_writes("domain/service.py", source) == []
