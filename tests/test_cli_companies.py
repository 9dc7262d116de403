"""The sandbox's commands, run as a user runs them on a database of their own: ``dealbase
company create|list|reset|delete``, ``dealbase seed`` and ``dealbase serve --sandbox``."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dealbase import cli
from dealbase.store.db import create_db_engine
from dealbase.store.tables import companies, deals, users

runner = CliRunner()


@pytest.fixture
def run(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DEALBASE_DATABASE_URL", database_url)
    monkeypatch.setenv("DEALBASE_FILES_DIR", str(tmp_path / "files"))

    def invoke(*args: str, code: int = 0) -> str:
        got = runner.invoke(cli.app, list(args))
        assert got.exit_code == code, got.output
        return got.output

    return invoke


def count(database_url: str, table, **where) -> int:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            stmt = select(func.count()).select_from(table)
            for column, value in where.items():
                stmt = stmt.where(table.c[column] == value)
            return conn.execute(stmt).scalar_one()
    finally:
        engine.dispose()


def test_company_create_list_reset_and_delete(run, database_url, tmp_path):
    made = run("company", "create", "--name", "Harbour Ltd", "--seed", "demo")
    first_line, token_line = made.splitlines()[:2]
    company_id = int(re.fullmatch(r"Company (\d+) 'Harbour Ltd' \(harbour-ltd-[0-9a-f]{6}\)", first_line)[1])
    token = token_line.removeprefix("API token: ")
    assert re.fullmatch(r"[0-9a-f]{40}", token)
    assert f"(admin): {token}" in made
    demo_deals = count(database_url, deals, company_id=company_id)
    assert demo_deals > 0
    other = int(run("company", "create").split()[1])

    listed = [line.split("\t") for line in run("company", "list").splitlines()]
    assert [row[0] for row in listed] == [str(company_id), str(other)]
    assert listed[0][1] == "Harbour Ltd" and listed[0][3:] == ["1", token]

    assert token in run("company", "reset", str(company_id))
    assert count(database_url, deals, company_id=company_id) == 0
    run("company", "reset", str(company_id), "--seed", "demo")
    assert count(database_url, deals, company_id=company_id) == demo_deals

    assert run("company", "delete", str(company_id)) == f"Deleted company {company_id}.\n"
    assert count(database_url, companies, id=company_id) == 0
    assert count(database_url, users, company_id=company_id) == 0
    assert count(database_url, companies, id=other) == 1


def test_company_create_with_a_plan_and_seats(run, database_url, monkeypatch):
    made = run("company", "create", "--plan", "growth", "--seats", "3")
    assert made.splitlines()[2] == "Plan: growth, 3 seat(s)"
    monkeypatch.setenv("DEALBASE_PLAN", "premium")  # the default of a company made without them
    assert run("company", "create").splitlines()[2] == "Plan: premium, 1 seat(s)"
    assert count(database_url, companies, plan="growth", seats=3) == 1
    assert count(database_url, companies, plan="premium", seats=1) == 1
    assert "seats must be an integer of at least 1" in run("company", "create", "--seats", "0", code=2)
    assert "plan must be one of: lite" in run("company", "create", "--plan", "gold", code=2)
    assert count(database_url, companies) == 2


def test_unknown_companies_and_seeds_are_refused(run, database_url):
    assert "No company with id 42." in run("company", "delete", "42", code=1)
    assert "No company with id 42." in run("company", "reset", "42", code=1)
    assert "seed must be one of: empty, demo" in run("company", "create", "--seed", "all", code=2)
    assert "deals must be an integer of at least 0" in run("company", "create", "--deals", "-3", code=2)
    assert count(database_url, companies) == 0


def test_seed_fills_the_first_company(run, database_url):
    assert "No company yet" in run("seed", code=1)
    first = int(run("company", "create").split()[1])
    run("company", "create")
    assert run("seed") == f"Seeded company {first} with the demo data.\n"
    assert count(database_url, deals, company_id=first) > 0
    assert count(database_url, deals) == count(database_url, deals, company_id=first)


def test_serve_sandbox_turns_the_control_plane_on_and_seeds_the_first_company(run, database_url, monkeypatch):
    import uvicorn

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.update(kwargs))
    monkeypatch.setattr(os, "environ", os.environ.copy())  # serve hands its settings to the workers there
    monkeypatch.delenv("DEALBASE_CONTROL_TOKEN", raising=False)

    printed = run("serve", "--sandbox", "--port", "8765")
    token = re.search(r"Control token: ([0-9a-f]{40})", printed)[1]
    assert "Control plane at http://127.0.0.1:8765/_dealbase/" in printed
    assert os.environ["DEALBASE_CONTROL_TOKEN"] == token
    assert os.environ["DEALBASE_WEBHOOKS_ALLOW_PRIVATE"] == "True"
    assert served["port"] == 8765
    demo_deals = count(database_url, deals)
    assert demo_deals > 0  # the demo data, in the first company

    # a restart keeps the data as it is, and a control token given is the one used
    monkeypatch.setenv("DEALBASE_CONTROL_TOKEN", "my-control-token")
    printed = run("serve", "--sandbox")
    assert "Control token: my-control-token" in printed and "API token" not in printed
    assert count(database_url, deals) == demo_deals


def test_plain_serve_has_no_control_plane(run, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(os, "environ", os.environ.copy())
    monkeypatch.delenv("DEALBASE_CONTROL_TOKEN", raising=False)
    monkeypatch.delenv("DEALBASE_SANDBOX", raising=False)
    assert "Control plane" not in run("serve")
    assert "DEALBASE_CONTROL_TOKEN" not in os.environ
