"""The finding benchmarks: itemSearch and a list through a saved two-condition filter.

Both are asked of the running dealbase server before timing, through its own API:

* ``search_paths.txt``: ``GET /api/v2/itemSearch?term=…`` for words people type into a
  search box here — organization names, people's names, product words — drawn from the
  same vocabularies ``deals.py`` builds the dataset from, common ones and rare ones.
* a saved filter ``stage = <the default pipeline's first stage> AND value > 1000`` made
  with ``POST /v1/filters`` (the stage field's id read from ``/v1/dealFields``), and the
  path ``/api/v2/deals?limit=100&filter_id=<id>``.

They run with one connection (``Bench.connections``), so p50 is the time of one request
rather than of a queue of 32: that is what the latency targets speak of. The primary-key
lookup is measured the same way beside them, for the ratio.
"""

from __future__ import annotations

import json
import random
import urllib.parse
from pathlib import Path

from client import request
from deals import FIRST_NAMES, LAST_NAMES, ORG_PREFIXES, PRODUCTS

FILTER_MIN_VALUE = 1000


def _request(base: str, method: str, path: str, token: str, body: dict | None = None) -> dict:
    status, raw, _ = request(base, path, token, method=method, body=body, timeout=120)
    doc = json.loads(raw)
    if status >= 300 or doc.get("success") is not True:
        raise RuntimeError(f"{method} {path}: HTTP {status}: {str(doc)[:300]}")
    return doc


def search_terms(seed: int = 7, n: int = 60) -> list[str]:
    rng = random.Random(seed)
    words = [*ORG_PREFIXES, *FIRST_NAMES, *LAST_NAMES, *(w for p in PRODUCTS for w in p.split() if len(w) > 2)]
    return [rng.choice(words) for _ in range(n)]


def write_search_paths(out: Path) -> str:
    terms = search_terms()
    out.write_text("".join(f"/api/v2/itemSearch?term={urllib.parse.quote(t)}\n" for t in terms))
    return f"{len(terms)} itemSearch terms from the dataset's vocabularies, e.g. {', '.join(terms[:4])}"


FILTER_NAME = "bench: stage and value"


def make_filter(base: str, token: str) -> tuple[str, str]:
    """The saved filter's list path, and a note saying what it selects. Made once: later
    runs on the same cached dataset find it by its name."""
    fields = _request(base, "GET", "/v1/dealFields?limit=500", token)["data"]
    stage_field = next(f["id"] for f in fields if f["key"] == "stage_id")
    value_field = next(f["id"] for f in fields if f["key"] == "value")
    pipelines = _request(base, "GET", "/api/v2/pipelines", token)["data"]
    stages = _request(base, "GET", f"/api/v2/stages?pipeline_id={pipelines[0]['id']}", token)["data"]
    stage = stages[0]["id"]
    conditions = {
        "glue": "and",
        "conditions": [
            {
                "glue": "and",
                "conditions": [
                    {"object": "deal", "field_id": str(stage_field), "operator": "=", "value": stage},
                    {"object": "deal", "field_id": str(value_field), "operator": ">", "value": FILTER_MIN_VALUE},
                ],
            },
            {"glue": "or", "conditions": []},
        ],
    }
    existing = _request(base, "GET", "/v1/filters?type=deals", token)["data"] or []
    made = next((f for f in existing if f["name"] == FILTER_NAME), None)
    if made is None:
        body = {"name": FILTER_NAME, "type": "deals", "conditions": conditions}
        made = _request(base, "POST", "/v1/filters", token, body)["data"]
    return (
        f"/api/v2/deals?limit=100&filter_id={made['id']}",
        f"filter {made['id']}: stage_id = {stage} AND value > {FILTER_MIN_VALUE}",
    )
