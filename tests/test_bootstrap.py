"""First start (``bootstrap.ensure_company``, what ``dealbase serve`` runs before serving): an
empty database gets a company, its admin and API token, and the rows a company starts with;
a ``DEALBASE_API_TOKEN`` not known yet is given to the first admin on a later start."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from dealbase.bootstrap import ensure_company
from dealbase.settings import Settings
from dealbase.store import companies
from dealbase.store.db import create_db_engine
from dealbase.store.tables import api_tokens, change_events

FIRST = "a" * 40
LATER = "b" * 40


def test_first_start_makes_the_company_and_a_later_token_goes_to_its_admin(database_url):
    engine = create_db_engine(database_url)
    try:
        made = ensure_company(engine, Settings(database_url=database_url, api_token=FIRST))
        assert made is not None and made.token == FIRST
        assert ensure_company(engine, Settings(database_url=database_url, api_token=LATER)) is None
        assert ensure_company(engine, Settings(database_url=database_url, api_token=LATER)) is None
        with engine.connect() as conn:
            assert companies.first_id(conn) == made.company_id
            assert [companies.api_token_user(conn, token)["id"] for token in (FIRST, LATER)] == [made.user_id] * 2
            assert companies.api_token_user(conn, "c" * 40) is None
            assert len(conn.execute(select(api_tokens)).all()) == 2
            events = conn.execute(select(change_events.c.entity, change_events.c.action)).all()
    finally:
        engine.dispose()
    # every first row has its create event, as if written through the service
    assert {action for _, action in events} == {"create"}
    assert Counter(entity for entity, _ in events) == {
        "user": 1,
        "pipeline": 1,
        "stage": 5,
        "activity_type": 6,
        "lead_label": 3,
        "project_board": 1,
        "project_phase": 3,
        "project_template": 2,
    }


def test_a_configured_plan_and_seats_become_the_first_companys_on_a_later_start(database_url):
    engine = create_db_engine(database_url)
    try:
        made = ensure_company(engine, Settings(database_url=database_url, api_token=FIRST))
        assert made is not None

        def standing() -> tuple[str, int]:
            with engine.connect() as conn:
                row = companies.standing(conn, made.company_id)
            return row["plan"], row["seats"]

        assert standing() == ("lite", 1)
        ensure_company(engine, Settings(database_url=database_url))  # nothing configured: left as it is
        assert standing() == ("lite", 1)
        ensure_company(engine, Settings(database_url=database_url, plan="growth", seats=3))
        assert standing() == ("growth", 3)
        ensure_company(engine, Settings(database_url=database_url, seats=5))  # only what is set changes
        assert standing() == ("growth", 5)
    finally:
        engine.dispose()
