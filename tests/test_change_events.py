"""Every write records a change event in its own transaction."""

from __future__ import annotations

import ast
from pathlib import Path

import orjson
from factories import data, make_deal
from sqlalchemy import select

from dealbase.store.tables import change_events


def _events(engine):
    with engine.connect() as conn:
        rows = conn.execute(select(change_events).order_by(change_events.c.id)).mappings().all()
    return [dict(r) | {"changes": orjson.loads(r["changes"])} for r in rows]


def test_create_update_delete_each_record_an_event(api, engine):
    deal = make_deal(api, title="Tracked", value=5)
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"value": 7, "title": "Tracked"}))
    data(api.put(f"/v1/deals/{deal['id']}", json={"stage_id": 2}))
    data(api.delete(f"/api/v2/deals/{deal['id']}"))
    events = [e for e in _events(engine) if e["entity"] == "deal"]
    assert [e["action"] for e in events] == ["create", "change", "change", "delete"]
    assert all(e["entity_id"] == deal["id"] and e["user_id"] == 1 and e["company_id"] == 1 for e in events)
    assert events[0]["changes"]["title"] == [None, "Tracked"]
    assert events[1]["changes"] == {"value": [5, 7]}
    assert events[2]["changes"]["stage_id"] == [1, 2] and "stage_change_time" in events[2]["changes"]
    assert events[3]["changes"] == {"is_deleted": [False, True]}


def test_an_update_that_changes_nothing_records_nothing(api, engine):
    deal = make_deal(api, title="Same")
    before = len(_events(engine))
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Same"}))
    assert len(_events(engine)) == before


SRC = Path(__file__).resolve().parent.parent / "src" / "dealbase"
BUILDERS = {"select", "insert", "update", "delete", "text", "exec_driver_sql"}


def test_sql_is_built_only_in_the_store_layer():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("store/"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                offenders += [f"{rel}:{node.lineno} {a.name}" for a in node.names if a.name in BUILDERS]
            if isinstance(node, ast.Attribute) and node.attr == "exec_driver_sql":
                offenders.append(f"{rel}:{node.lineno} exec_driver_sql")
    assert offenders == [], "SQL outside store/ (the repository scopes every statement by company): " + ", ".join(
        offenders
    )
