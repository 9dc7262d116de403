"""Bad input to the control plane (issue 12, acceptance 7): every route under ``/_dealbase/``
(``src/dealbase/control/*.py``), given a wrong or missing token, an unknown company, an id
that is no integer, malformed JSON, wrong types, unknown keys or values out of range,
answers a clear 4xx in the error envelope the control plane uses, never a 5xx, and changes
nothing: the rows of every table, the fault rules, the company's clock, its snapshots and
its journal are compared before and after each bad call (a sweep of every route compares
them once after the sweep: what a refused call changed would still be there).

A clock set backwards is not bad input (README, "A company's clock"): ``PUT …/clock`` sets
any time, frozen or not, so a test can go back and run a scenario again; ``advance`` only
moves forward.
"""

from __future__ import annotations

from typing import Any

import pytest
from factories import make_deal, refused
from sqlalchemy import select
from support.api import Api
from support.control import BEARER, CONTROL_TOKEN, control_client
from support.database import TOKEN

from dealbase.store.tables import companies, metadata

pytestmark = pytest.mark.slow  # a sweep of every control route (about 130 cases per backend): the full suite runs it

NOW = "2031-01-01T09:00:00Z"
UNKNOWN = 999_999

# Every control route: (method, path, a body it takes). ``{company}``, ``{fault}`` and the
# snapshot ``kept`` are the world's (``world``).
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/", None),
    ("POST", "/companies", {}),
    ("GET", "/companies", None),
    ("GET", "/companies/{company}", None),
    ("DELETE", "/companies/{company}", None),
    ("POST", "/companies/{company}/reset", {}),
    ("POST", "/companies/{company}/snapshots", {"name": "new"}),
    ("GET", "/companies/{company}/snapshots", None),
    ("POST", "/companies/{company}/snapshots/kept/restore", None),
    ("DELETE", "/companies/{company}/snapshots/kept", None),
    ("GET", "/companies/{company}/clock", None),
    ("PUT", "/companies/{company}/clock", {"now": "2030-01-01T00:00:00Z"}),
    ("POST", "/companies/{company}/clock/advance", {"seconds": 60}),
    ("GET", "/companies/{company}/webhooks/deliveries", None),
    ("POST", "/companies/{company}/webhooks/flush", None),
    ("GET", "/companies/{company}/requests", None),
    ("POST", "/faults", {"status": 503}),
    ("GET", "/faults", None),
    ("DELETE", "/faults", None),
    ("DELETE", "/faults/{fault}", None),
]
COMPANY_ROUTES = [r for r in ROUTES if "{company}" in r[1]]
WRITES = [r for r in ROUTES if r[0] in ("POST", "PUT")]


class World:
    """A company with a deal, a snapshot ``kept``, a fault rule and a frozen clock, and the
    control plane's client."""

    def __init__(self, control, engine, company_id: int) -> None:
        self.control, self.engine, self.company_id = control, engine, company_id
        make_deal(Api(control, TOKEN), title="Standing")
        assert self.call("POST", f"/companies/{company_id}/snapshots", {"name": "kept"}).status_code == 201
        rule = self.call("POST", "/faults", {"match": {"path": "/never"}, "status": 503})
        self.fault_id = rule.json()["id"]
        assert self.call("PUT", f"/companies/{company_id}/clock", {"now": NOW, "frozen": True}).status_code == 200

    def path(self, template: str, company: Any = None, fault: Any = None) -> str:
        company = self.company_id if company is None else company
        fault = self.fault_id if fault is None else fault
        return template.format(company=company, fault=fault)

    def call(self, method: str, path: str, body: Any = None, headers: dict | None = None, **given):
        if body is not None:
            given["json"] = body
        return self.control.request(
            method, f"/_dealbase{path}", headers=BEARER if headers is None else headers, **given
        )

    def state(self) -> dict[str, Any]:
        """Everything a control call could change."""
        with self.engine.connect() as conn:
            rows = {t.name: sorted(map(repr, conn.execute(select(*_columns(t))).all())) for t in metadata.sorted_tables}
        company = f"/companies/{self.company_id}"
        shown = {
            what: self.call("GET", path).json()
            for what, path in [
                ("faults", "/faults"),
                ("clock", f"{company}/clock"),
                ("snapshots", f"{company}/snapshots"),
                ("journal", f"{company}/requests?limit=5"),
            ]
        }
        return {"rows": rows, **shown}


def _columns(table) -> list:
    # a company's clock is in its row: compared as the clock shows it (``state``)
    return [c for c in table.c if not (table is companies and c.name.startswith("clock_"))]


@pytest.fixture
def world(engine, company, files_dir, base_settings):
    with control_client(engine, files_dir, base_settings, journal_size=20) as control:
        yield World(control, engine, company.company_id)


def refusal(got, status: int, message: str | None) -> None:
    """``got`` is a ``status`` in the control plane's envelope (``message``, when given, its
    error)."""
    assert got.status_code == status, (got.request.method, got.request.url, got.text)
    body = got.json()
    assert set(body) == {"success", "error", "error_info", "data", "additional_data"}, body
    assert body["success"] is False and body["error"] and body["error_info"] == "Please check developers.pipedrive.com"
    if message is not None:
        assert body["error"] == message


def refused_alone(world: World, got, status: int, message: str | None, before: dict) -> None:
    """``got`` is a refusal (``refusal``) and nothing changed."""
    refusal(got, status, message)
    assert world.state() == before


def refused_all(world: World, calls, status: int, message: str | None) -> None:
    """Every call of ``calls`` (``(method, path, keywords)``) is a refusal and, after them
    all, nothing changed: what a refused call changed would still be there (the state is
    read once, it costs what twenty calls do)."""
    before = world.state()
    for method, path, given in calls:
        refusal(world.call(method, path, **given), status, message)
    assert world.state() == before


def test_the_sweep_covers_every_control_route(world):
    listed = world.call("GET", "/").json()["routes"]
    named = {"{company}": "{company_id}", "{fault}": "{fault_id}", "/kept": "/{name}"}
    swept = set()
    for method, template, _ in ROUTES:
        for ours, theirs in named.items():
            template = template.replace(ours, theirs)
        swept.add((template, method))
    assert {(r["path"], r["methods"]) for r in listed} == swept


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"authorization": CONTROL_TOKEN}, {"authorization": f"Bearer {TOKEN}"}],
    ids=["missing", "wrong", "no-scheme", "api-token"],
)
def test_a_missing_or_wrong_token_is_a_401_and_does_nothing(world, headers):
    calls = [(m, world.path(t), {"body": b, "headers": headers}) for m, t, b in ROUTES]
    refused_all(world, calls, 401, "Control token missing or wrong")


def test_a_method_a_route_does_not_serve_is_a_405(world):
    served: dict[str, set[str]] = {}
    for method, template, _ in ROUTES:
        served.setdefault(world.path(template), set()).add(method)
    others = [(m, p, {}) for p, ms in served.items() for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m not in ms]
    refused_all(world, [(m, p, {"headers": {}}) for m, p, _ in others], 401, "Control token missing or wrong")
    before = world.state()
    for method, path, _ in others:
        refusal(world.call(method, path), 405, f"Method {method} is not allowed here")
    assert world.state() == before


def test_an_unknown_company_is_a_404_and_changes_nothing(world):
    calls = [(m, world.path(t, company=UNKNOWN), {"body": b}) for m, t, b in COMPANY_ROUTES]
    refused_all(world, calls, 404, f"Unknown company: {UNKNOWN}")


@pytest.mark.parametrize("raw", ["abc", "1.5", "-1", "0x1", "１", "9" * 30, "1e3"])
def test_an_id_that_is_no_integer_is_a_404(world, raw):
    refused_all(world, [(m, world.path(t, company=raw), {"body": b}) for m, t, b in COMPANY_ROUTES], 404, None)
    refused_all(world, [("DELETE", f"/faults/{raw}", {})], 404, f"Unknown fault: {raw}")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"{not json", "Malformed JSON in the request body"),
        (b'{"seconds": 60', "Malformed JSON in the request body"),
        (b'{"seconds": NaN}', "Malformed JSON in the request body"),
        (b"\xff\xfe", "Malformed JSON in the request body"),
        (b"[1]", "The body must be a JSON object"),
        (b'"text"', "The body must be a JSON object"),
        (b"null", "The body must be a JSON object"),
        (b"60", "The body must be a JSON object"),
    ],
)
def test_a_body_that_is_no_json_object_is_a_400(world, content, message):
    refused_all(world, [(m, world.path(t), {"content": content}) for m, t, _ in WRITES], 400, message)


def test_a_body_past_the_size_cap_is_a_413(world):
    too_big = b'{"name": "' + b"x" * 1_048_576 + b'"}'  # DEALBASE_MAX_BODY_BYTES: 1 MiB
    calls = [(m, world.path(t), {"content": too_big}) for m, t, _ in WRITES]
    refused_all(world, calls, 413, "Request body is larger than 1048576 bytes")


@pytest.mark.parametrize(
    "method, template, body, message",
    [
        # a new company
        ("POST", "/companies", {"deals": -1}, "deals must be an integer of at least 0"),
        ("POST", "/companies", {"seed": "demo", "deals": 10**9}, "deals must be at most 100000"),
        ("POST", "/companies", {"deals": 10}, "seed_value and deals shape the demo data: give them with seed demo"),
        ("POST", "/companies", {"seed": "demo", "deals": 0}, None),
        ("POST", "/companies", {"seed_value": -1}, "seed_value must be an integer of at least 0"),
        ("POST", "/companies", {"seed_value": 1.5}, "seed_value must be an integer of at least 0"),
        ("POST", "/companies", {"seats": "3"}, "seats must be an integer of at least 1"),
        ("POST", "/companies", {"seats": 10**30}, "seats must be an integer of at least 1"),  # read as a float
        ("POST", "/companies", {"seats": -(10**18)}, "seats must be an integer of at least 1"),
        ("POST", "/companies", {"name": ["x"]}, "name must be a non-empty string"),
        ("POST", "/companies", {"name": "x" * 256}, "name must be at most 255 characters"),
        ("POST", "/companies", {"users": [{"name": "X" * 256, "email": "x@y.test"}]}, None),
        ("POST", "/companies", {"users": [{"name": "X", "email": "x@" + "y" * 300 + ".test"}]}, None),
        ("POST", "/companies", {"seed": None}, None),
        ("POST", "/companies", {"plan": 5}, None),
        ("POST", "/companies", {"name": "x", "colour": "red"}, "Unknown company key(s): colour"),
        # a reset
        ("POST", "/companies/{company}/reset", {"seed": "demo", "deals": -1}, "deals must be an integer of at least 0"),
        ("POST", "/companies/{company}/reset", {"seed": "demo", "deals": 10**9}, "deals must be at most 100000"),
        ("POST", "/companies/{company}/reset", {"seed_value": 3}, None),
        ("POST", "/companies/{company}/reset", {"seed": ["demo"]}, "seed must be one of: empty, demo"),
        ("POST", "/companies/{company}/reset", {"name": "x"}, "Unknown reset key(s): name"),
        # a snapshot
        ("POST", "/companies/{company}/snapshots", {}, None),
        ("POST", "/companies/{company}/snapshots", {"name": 5}, None),
        ("POST", "/companies/{company}/snapshots", {"name": ""}, None),
        ("POST", "/companies/{company}/snapshots", {"name": "a/b"}, None),
        ("POST", "/companies/{company}/snapshots", {"name": "x" * 101}, None),
        ("POST", "/companies/{company}/snapshots", {"name": "fine", "note": "x"}, "Unknown key: note (takes name)"),
        (
            "POST",
            "/companies/{company}/snapshots/kept/restore",
            {"at": "x"},
            "Unknown key: at (this call takes no body)",
        ),
        ("POST", "/companies/{company}/webhooks/flush", {"only": 1}, "Unknown key: only (this call takes no body)"),
        # the clock
        ("PUT", "/companies/{company}/clock", {"now": "2031-13-01T00:00:00Z"}, None),
        ("PUT", "/companies/{company}/clock", {"now": 1924851600}, None),
        ("PUT", "/companies/{company}/clock", {"now": "10000-01-01T00:00:00Z"}, None),
        ("PUT", "/companies/{company}/clock", {"now": "1969-12-31T23:59:59Z"}, None),
        ("PUT", "/companies/{company}/clock", {"now": "9999-12-31T23:59:59-05:00"}, None),
        ("PUT", "/companies/{company}/clock", {"now": "0001-01-01T00:00:00+01:00"}, None),
        ("PUT", "/companies/{company}/clock", {"now": "2031-01-01T09:00:00+25:00"}, None),
        ("PUT", "/companies/{company}/clock", {"now": ""}, None),
        ("PUT", "/companies/{company}/clock", {"frozen": 1}, "frozen must be true or false"),
        ("PUT", "/companies/{company}/clock", {"now": None, "frozen": True}, None),
        ("PUT", "/companies/{company}/clock", {"speed": 2}, None),
        ("POST", "/companies/{company}/clock/advance", {}, None),
        ("POST", "/companies/{company}/clock/advance", {"seconds": -60}, None),
        ("POST", "/companies/{company}/clock/advance", {"seconds": 0}, None),
        ("POST", "/companies/{company}/clock/advance", {"seconds": 1.5}, None),
        ("POST", "/companies/{company}/clock/advance", {"seconds": "60"}, None),
        ("POST", "/companies/{company}/clock/advance", {"seconds": True}, None),
        ("POST", "/companies/{company}/clock/advance", {"seconds": 10**30}, None),
        ("POST", "/companies/{company}/clock/advance", {"seconds": 10**18}, None),
        ("POST", "/companies/{company}/clock/advance", {"seconds": 60, "frozen": False}, None),
        # fault rules
        ("POST", "/faults", {"status": 429, "probability": 1.5}, "probability must be a number from 0 to 1"),
        ("POST", "/faults", {"status": 429, "probability": -0.1}, "probability must be a number from 0 to 1"),
        ("POST", "/faults", {"status": 429, "probability": "1"}, "probability must be a number from 0 to 1"),
        ("POST", "/faults", {"latency_ms": -1}, None),
        ("POST", "/faults", {"latency_ms": 10**30}, None),
        ("POST", "/faults", {"latency_ms": 10**18}, "latency_ms must be a number from 0 to 300000"),
        ("POST", "/faults", {"latency_ms": 1e300}, "latency_ms must be a number from 0 to 300000"),
        ("POST", "/faults", {"status": 503, "times": 0}, "times must be a positive integer"),
        ("POST", "/faults", {"status": 503, "times": -1}, "times must be a positive integer"),
        ("POST", "/faults", {"status": 503, "times": 1.5}, "times must be a positive integer"),
        ("POST", "/faults", {"status": 200}, "status must be an HTTP error status, 400 to 599"),
        ("POST", "/faults", {"status": 10**18}, "status must be an HTTP error status, 400 to 599"),
        ("POST", "/faults", {"status": "503"}, "status must be an HTTP error status, 400 to 599"),
        ("POST", "/faults", {"status": 503, "seed": 1}, "seed must be an integer, given with a probability"),
        ("POST", "/faults", {"status": 503, "headers": {"x": 1}}, None),
        ("POST", "/faults", {"status": 503, "headers": {"x-price": "€5"}}, None),
        ("POST", "/faults", {"status": 503, "headers": {"x-naïve": "v"}}, None),
        ("POST", "/faults", {"status": 503, "headers": {"x a": "v"}}, None),
        ("POST", "/faults", {"status": 503, "headers": {"x-a": "one\r\nset-cookie: b=c"}}, None),
        ("POST", "/faults", {"status": 503, "headers": {"": "v"}}, None),
        ("POST", "/faults", {"status": 503, "drop": True}, None),
        ("POST", "/faults", {"drop": "yes"}, "drop must be true or false"),
        ("POST", "/faults", {}, "A rule needs a status, latency_ms or drop"),
        ("POST", "/faults", {"match": [], "status": 503}, "match must be an object"),
        ("POST", "/faults", {"match": {"operation": "getDealz"}, "status": 503}, None),
        ("POST", "/faults", {"match": {"company_id": "1"}, "status": 503}, None),
        ("POST", "/faults", {"match": {"method": "TRACE"}, "status": 503}, None),
        ("POST", "/faults", {"match": {"host": "x"}, "status": 503}, "Unknown match field(s): host"),
        ("POST", "/faults", {"status": 503, "when": "now"}, "Unknown fault rule field(s): when"),
    ],
)
def test_a_bad_body_is_a_400_and_changes_nothing(world, method, template, body, message):
    before = world.state()
    refused_alone(world, world.call(method, world.path(template), body), 400, message, before)


@pytest.mark.parametrize(
    "template, query",
    [
        ("/companies/{company}/webhooks/deliveries", {"limit": "0"}),
        ("/companies/{company}/webhooks/deliveries", {"limit": "501"}),
        ("/companies/{company}/webhooks/deliveries", {"limit": "-1"}),
        ("/companies/{company}/webhooks/deliveries", {"limit": "9" * 30}),
        ("/companies/{company}/webhooks/deliveries", {"status": "lost"}),
        ("/companies/{company}/requests", {"limit": "0"}),
        ("/companies/{company}/requests", {"limit": "ten"}),
        ("/companies/{company}/requests", {"limit": "9" * 30}),
        ("/companies/{company}/requests", {"operation": "getDealz"}),
        ("/companies/{company}/requests", {"status": "99"}),
        ("/companies/{company}/requests", {"status": "9" * 30}),
        ("/companies/{company}/requests", {"limit": "9" * 5000}),
        ("/companies/{company}/requests", {"limit": "²"}),
        ("/companies/{company}/requests", {"status": "²"}),
        ("/companies/{company}/webhooks/deliveries", {"limit": "9" * 5000}),
        ("/companies/{company}/webhooks/deliveries", {"limit": "²"}),
    ],
)
def test_a_bad_query_is_a_400(world, template, query):
    before = world.state()
    refused_alone(world, world.call("GET", world.path(template), params=query), 400, None, before)


@pytest.mark.parametrize(
    "method, template, body, message",
    [
        ("POST", "/companies", {"name": "Nul\x00Co"}, "Validation failed: name: must not contain NUL characters"),
        (
            "POST",
            "/companies",
            {"users": [{"name": "X", "email": "x\x00@y.test"}]},
            "Validation failed: users[0].email: must not contain NUL characters",
        ),
        ("POST", "/companies/{company}/snapshots/a%00b/restore", None, None),
        ("DELETE", "/companies/{company}/snapshots/a%00b", None, None),
        ("GET", "/companies/{company}/requests?operation=get%00Deals", None, None),
        ("POST", "/faults", {"match": {"path": "/api/\x00"}, "status": 503}, None),
    ],
)
def test_a_nul_anywhere_is_a_400(world, method, template, body, message):
    """PostgreSQL text cannot hold a NUL (SQLite can): refused at the door on both."""
    before = world.state()
    refused_alone(world, world.call(method, world.path(template), body), 400, message, before)


def test_a_missing_snapshot_is_a_404_and_a_taken_name_a_409(world):
    before = world.state()
    snapshots = f"/companies/{world.company_id}/snapshots"
    for name in ["x" * 300, "a b", "ü"]:  # names no snapshot can have
        refused_alone(
            world, world.call("POST", f"{snapshots}/{name}/restore"), 404, f"Unknown snapshot: {name}", before
        )
        refused_alone(world, world.call("DELETE", f"{snapshots}/{name}"), 404, f"Unknown snapshot: {name}", before)
    refused_alone(world, world.call("POST", f"{snapshots}/gone/restore"), 404, "Unknown snapshot: gone", before)
    refused_alone(world, world.call("DELETE", f"{snapshots}/gone"), 404, "Unknown snapshot: gone", before)
    taken = world.call("POST", snapshots, {"name": "kept"})
    refused_alone(world, taken, 409, "A snapshot named kept exists already", before)


def test_an_unknown_fault_is_a_404(world):
    before = world.state()
    refused_alone(world, world.call("DELETE", "/faults/424242"), 404, "Unknown fault: 424242", before)


def test_a_rule_for_an_unknown_company_is_a_404(world):
    before = world.state()
    rule = {"match": {"company_id": UNKNOWN}, "status": 503}
    refused_alone(world, world.call("POST", "/faults", rule), 404, f"Unknown company: {UNKNOWN}", before)


def test_an_advance_past_the_year_9999_is_a_400(world):
    clock = f"/companies/{world.company_id}/clock"
    assert world.call("PUT", clock, {"now": "9999-12-31T00:00:00Z"}).status_code == 200
    before = world.state()
    refused_alone(world, world.call("POST", f"{clock}/advance", {"seconds": 86_400}), 400, None, before)


def test_a_frozen_clock_set_backwards_moves_back_and_rewrites_nothing(world):
    """The decision (README): allowed, so a scenario can run again from its start."""
    clock = f"/companies/{world.company_id}/clock"
    before = world.state()
    got = world.call("PUT", clock, {"now": "2030-06-01T00:00:00Z"})
    assert (got.status_code, got.json()) == (200, {"now": "2030-06-01T00:00:00Z", "frozen": True})
    assert world.state() == {**before, "clock": {"now": "2030-06-01T00:00:00Z", "frozen": True}}
    # going forward again is the same call, or an advance; an advance never goes back
    refused(
        world.call("POST", f"{clock}/advance", {"seconds": -1}),
        "seconds must be a positive integer (at most 3162240000)",
    )
    assert world.call("PUT", clock, {"now": NOW}).json() == {"now": NOW, "frozen": True}
    assert world.state() == before
    assert "earlier too, frozen or not" in world.call("GET", "/").json()["notes"]["clock"]
