"""The floors of the house (ARCHITECTURE.md) import only downwards.

Every module of ``src/dealbase`` is parsed, and every import in it is read, at any depth
(inside functions too), in each spelling: ``import x.y``, ``from x import y``, relative
``from ..x import y`` and ``importlib.import_module("x")``. The rules:

* ``domain/``, ``store/`` and ``events/`` import nothing from ``api/``;
* ``store/`` imports nothing from ``domain/``;
* the ground floor (``errors.py``, ``conditions.py``, ``clock.py``, ``settings.py``) imports
  nothing of ours;
* nothing but ``app.py``, ``cli.py`` and ``web/`` itself imports the web app (``web/``);
* a migration imports no ``dealbase`` module (it freezes what it needs, so it keeps
  producing what it produced when it was written); only alembic's ``migrations/env.py``
  reads the tables (``store/tables.py``), to compare them with the database.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dealbase"

# Modules every floor may import, which import nothing of ours themselves.
GROUND = ("errors.py", "conditions.py", "clock.py", "settings.py")
# (floor the importing module is in, the imports it may not make, why): the first that fits
RULES = (
    (("store/migrations",), ("dealbase",), "is a migration importing live code"),
    (GROUND, ("dealbase",), "is the ground floor importing ours"),
    (("domain", "store", "events"), ("dealbase.api",), "imports the API layer"),
    (("store",), ("dealbase.domain",), "imports the domain from the store"),
)
# The web app (``web/``) is a client of the API: only what serves it (app.py mounts it, the
# CLI sets passwords) and itself import it.
WEB = "dealbase.web"
WEB_IMPORTERS = ("app.py", "cli.py", "web")
# What a module may import all the same: alembic's env.py reads the tables' metadata.
ALLOWED = {"store/migrations/env.py": ("dealbase.store.tables",)}


def _module(path: str) -> str:
    """``domain/filters.py`` → ``dealbase.domain.filters`` (a package: its ``__init__``'s name)."""
    parts = ["dealbase", *path.removesuffix(".py").split("/")]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: str, source: str) -> list[tuple[int, str]]:
    """Every module ``source`` (the file at ``path`` under ``src/dealbase``) imports, with its
    line. ``from x import y`` counts as importing ``x`` and ``x.y`` (``y`` may be a module)."""
    package = _module(path) if path.endswith("__init__.py") else _module(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source, path)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return sorted(found, key=lambda item: item[0])


def violations(path: str, source: str) -> list[str]:
    """The imports of the module at ``path`` (under ``src/dealbase``) its floor forbids."""
    out = []
    allowed = ALLOWED.get(path, ())
    for line, name in imports(path, source):
        if any(name == a or name.startswith(a + ".") for a in allowed):
            continue
        if (name == WEB or name.startswith(WEB + ".")) and not any(
            path == floor or path.startswith(floor + "/") for floor in WEB_IMPORTERS
        ):
            out.append(f"src/dealbase/{path}:{line} imports the web app: {name}")
            continue
        for floors, forbidden, why in RULES:
            if not any(path == floor or path.startswith(floor + "/") for floor in floors):
                continue
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                out.append(f"src/dealbase/{path}:{line} {why}: {name}")
                break
    return out


def test_every_floor_imports_only_downwards():
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        found += violations(file.relative_to(PACKAGE).as_posix(), file.read_text())
    assert found == [], "upward imports:\n" + "\n".join(found)


def test_every_spelling_of_an_import_is_seen():
    """The checker itself: what it must catch, and what it must let through."""
    source = """
import dealbase.api.errors
from dealbase.api import custom
from dealbase import api
from ..api.errors import BadRequest
from . import filter_sql
import importlib

def lazy():
    from dealbase.domain.filters import Cond
    importlib.import_module("dealbase.api.present")
"""
    assert violations("store/repository.py", source) == [
        "src/dealbase/store/repository.py:2 imports the API layer: dealbase.api.errors",
        "src/dealbase/store/repository.py:3 imports the API layer: dealbase.api",
        "src/dealbase/store/repository.py:3 imports the API layer: dealbase.api.custom",
        "src/dealbase/store/repository.py:4 imports the API layer: dealbase.api",
        "src/dealbase/store/repository.py:5 imports the API layer: dealbase.api.errors",
        "src/dealbase/store/repository.py:5 imports the API layer: dealbase.api.errors.BadRequest",
        "src/dealbase/store/repository.py:10 imports the domain from the store: dealbase.domain.filters",
        "src/dealbase/store/repository.py:10 imports the domain from the store: dealbase.domain.filters.Cond",
        "src/dealbase/store/repository.py:11 imports the API layer: dealbase.api.present",
    ]
    # the API and the domain may import what is below them; env.py may read the tables
    assert violations("api/custom.py", "from dealbase.domain.fields import Custom\nimport dealbase.store") == []
    assert violations("domain/deals.py", "from ..store import repository\nfrom dealbase.errors import BadInput") == []
    assert violations("store/migrations/env.py", "from dealbase.store.tables import metadata") == []
    assert violations("store/migrations/env.py", "from dealbase.store import db") == [
        "src/dealbase/store/migrations/env.py:1 is a migration importing live code: dealbase.store",
        "src/dealbase/store/migrations/env.py:1 is a migration importing live code: dealbase.store.db",
    ]
    assert violations("app.py", "from dealbase import web") == []
    assert violations("web/pages.py", "from dealbase.api import errors\nfrom dealbase.web import board") == []
    assert violations("api/handlers/deals.py", "from dealbase.web.board import read") == [
        "src/dealbase/api/handlers/deals.py:1 imports the web app: dealbase.web.board",
        "src/dealbase/api/handlers/deals.py:1 imports the web app: dealbase.web.board.read",
    ]
    assert violations("conditions.py", "from dealbase.domain.entity import Entity") == [
        "src/dealbase/conditions.py:1 is the ground floor importing ours: dealbase.domain.entity",
        "src/dealbase/conditions.py:1 is the ground floor importing ours: dealbase.domain.entity.Entity",
    ]
    assert violations("store/migrations/versions/0011_search.py", "from dealbase.domain.search import document") == [
        "src/dealbase/store/migrations/versions/0011_search.py:1 is a migration importing live code: dealbase.domain.search",
        "src/dealbase/store/migrations/versions/0011_search.py:1 is a migration importing live code: "
        "dealbase.domain.search.document",
    ]


# What only a request has (``api/context.py: Ctx``): the domain and the events get a unit of
# work (``domain/unit.py``) and a write's parsed ``Input``, never these.
REQUEST_ATTRIBUTES = frozenset({"body", "strict", "query", "path", "extra", "operation"})
REQUEST_METHODS = frozenset({"raw", "path_id", "path_uuid", "page_limit"})
# The names the domain gives its unit (``ctx`` where a function also serves the API's reads).
CONTEXT_NAMES = frozenset({"ctx", "unit"})


def request_uses(path: str, source: str) -> list[str]:
    """Where a module of ``domain/`` or ``events/`` reads the request off its context."""
    if not path.startswith(("domain/", "events/")):
        return []
    out = []
    for node in ast.walk(ast.parse(source, path)):
        if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
            continue
        if node.value.id not in CONTEXT_NAMES:
            continue
        called = node.attr in REQUEST_METHODS or node.attr.endswith("_param")
        if node.attr in REQUEST_ATTRIBUTES or called:
            out.append(f"src/dealbase/{path}:{node.lineno} reads the request: {node.value.id}.{node.attr}")
    return out


def test_the_domain_never_reads_the_request():
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        found += request_uses(file.relative_to(PACKAGE).as_posix(), file.read_text())
    assert found == [], "read the unit and the write's Input instead:\n" + "\n".join(found)


def test_a_request_read_is_found():
    source = "def rules(ctx, values, old, stamp, given):\n    if ctx.strict and 'x' in ctx.body:\n        ctx.int_param('a')\n"
    assert request_uses("domain/deals.py", source) == [
        "src/dealbase/domain/deals.py:2 reads the request: ctx.strict",
        "src/dealbase/domain/deals.py:2 reads the request: ctx.body",
        "src/dealbase/domain/deals.py:3 reads the request: ctx.int_param",
    ]
    assert request_uses("api/resources.py", source) == []
