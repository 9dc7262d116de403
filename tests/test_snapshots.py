"""Snapshots of a company through the control plane: save, list, restore, delete.

Like LocalStack's saved states: a restore brings the whole company back as it was saved,
ids, custom field keys, files, tokens and webhooks included, and leaves every other
company alone.
"""

from __future__ import annotations

import pytest
import test_control_plane
from factories import UNAUTHORIZED, data, make_deal, make_field, make_person, refused
from sqlalchemy import select
from starlette.testclient import TestClient
from support.api import Api
from test_control_plane import bearer
from test_files import download, make_file

from dealbase.store import snapshots as store
from dealbase.store.tables import change_events

control = test_control_plane.control  # the fixture: a client of an app with the control plane on
HOOK = {"subscription_url": "https://example.com/hook", "event_action": "*", "event_object": "deal", "name": "h"}


@pytest.fixture
def client(control) -> TestClient:
    """The API on the app the control plane serves (conftest's ``api`` and ``other_api`` use it)."""
    return control


def snapshots_url(company_id: int) -> str:
    return f"/_dealbase/companies/{company_id}/snapshots"


def take(control, company_id: int, name: str) -> dict:
    got = control.post(snapshots_url(company_id), json={"name": name}, headers=bearer())
    assert got.status_code == 201, got.text
    return got.json()


def restore(control, company_id: int, name: str):
    return control.post(f"{snapshots_url(company_id)}/{name}/restore", headers=bearer())


def listed(control, company_id: int) -> list[dict]:
    got = control.get(snapshots_url(company_id), headers=bearer())
    assert got.status_code == 200, got.text
    return got.json()


def state(api: Api, deal_id: int, person_id: int, file_id: int) -> dict:
    """What the API answers about the company's items, as a client sees them."""
    return {
        "deal": data(api.get(f"/api/v2/deals/{deal_id}")),
        "deals": data(api.get("/api/v2/deals")),
        "person": data(api.get(f"/api/v2/persons/{person_id}")),
        "fields": data(api.get("/api/v2/dealFields")),
        "file": data(api.get(f"/v1/files/{file_id}")),
        "webhooks": data(api.get("/v1/webhooks")),
        "v1_deals": data(api.get("/v1/deals")),
    }


def test_a_restore_brings_the_company_back_as_it_was_saved(control, api, other_api, company, files_dir):
    field = make_field(api, field_type="varchar")
    person = make_person(api, name="Mia Tamm")
    deal = make_deal(api, title="Kept", person_id=person["id"], custom_fields={field["field_code"]: "blue"})
    second = make_deal(api, title="Second")
    made = make_file(api, content=b"the contract\n", name="contract.txt", deal_id=deal["id"])
    data(api.post("/v1/webhooks", json=HOOK), 201)
    theirs = make_deal(other_api, title="Theirs")
    before = state(api, deal["id"], person["id"], made["id"])
    assert before["deal"]["custom_fields"][field["field_code"]] == "blue"

    saved = take(control, company.company_id, "before")
    assert saved["name"] == "before" and saved["size"] > 0 and len(saved["created"]) == 19
    assert saved["counts"]["deals"] == 2 and saved["counts"]["fields"] == 1 and saved["counts"]["files"] == 1
    assert saved["counts"]["webhooks"] == 1 and saved["counts"]["api_tokens"] == 1

    # Everything changes after the snapshot.
    assert api.delete(f"/api/v2/deals/{deal['id']}").status_code == 200
    assert api.patch(f"/api/v2/persons/{person['id']}", json={"name": "Someone else"}).status_code == 200
    assert api.delete(f"/api/v2/dealFields/{field['field_code']}").status_code == 200
    assert api.delete(f"/v1/files/{made['id']}").status_code == 200
    hook_id = before["webhooks"][0]["id"]
    assert api.delete(f"/v1/webhooks/{hook_id}").status_code == 200
    later = make_deal(api, title="Made after the snapshot")
    stray = make_file(api, content=b"made later\n", name="later.txt", deal_id=later["id"])
    assert data(api.get("/v1/webhooks")) == []

    got = restore(control, company.company_id, "before")
    assert got.status_code == 200, got.text
    assert got.json() == saved

    assert state(api, deal["id"], person["id"], made["id"]) == before
    assert [d["id"] for d in data(api.get("/api/v2/deals"))] == [deal["id"], second["id"]]
    fetched = download(api, made["id"])
    assert fetched.status_code == 200 and fetched.content == b"the contract\n"
    assert api.get(f"/v1/files/{stray['id']}").status_code == 404
    assert len(list((files_dir / str(company.company_id)).iterdir())) == 1  # the later file's bytes went
    # Another company is untouched.
    assert data(other_api.get(f"/api/v2/deals/{theirs['id']}")) == theirs
    # A new create gets an id no restored row has, and none a create after the snapshot had.
    fresh = make_deal(api, title="After the restore")
    assert fresh["id"] > max(deal["id"], second["id"], theirs["id"])
    if api.client.app.engine.dialect.name == "postgresql":
        assert fresh["id"] > later["id"]
    assert data(api.get(f"/api/v2/deals/{fresh['id']}"))["title"] == "After the restore"
    fresh_field = make_field(api, field_type="varchar")
    assert fresh_field["field_code"] != field["field_code"]
    assert [f["field_code"] for f in data(api.get("/api/v2/dealFields")) if f["is_custom_field"]] == [
        field["field_code"],
        fresh_field["field_code"],
    ]


def test_a_restore_can_be_repeated_and_the_snapshot_stays(control, api, company):
    kept = make_deal(api, title="Kept")
    take(control, company.company_id, "one")
    for _ in range(2):
        make_deal(api, title="Gone again")
        assert restore(control, company.company_id, "one").status_code == 200
        assert [d["id"] for d in data(api.get("/api/v2/deals"))] == [kept["id"]]
    assert [s["name"] for s in listed(control, company.company_id)] == ["one"]


def test_v1_offset_pages_after_a_restore_are_those_of_the_restored_data(control, api, company, engine):
    from dealbase.store import repository as repo

    def change_version() -> int:
        with engine.connect() as conn:
            return repo.change_version(conn, company.company_id)

    ids = [make_deal(api, title=f"Deal {n}")["id"] for n in range(3)]
    take(control, company.company_id, "three")
    assert api.delete(f"/api/v2/deals/{ids[0]}").status_code == 200
    page = data(api.get("/v1/deals", params={"start": 0, "limit": 1}))  # remembers where start=1 is
    assert [d["id"] for d in page] == [ids[1]]
    remembered = change_version()
    assert restore(control, company.company_id, "three").status_code == 200
    # Writes after the restore must never bring the change version back to one a page was
    # remembered at (on SQLite a deleted event's id can be given again).
    while change_version() < remembered:
        assert api.patch(f"/api/v2/deals/{ids[2]}", json={"title": "Renamed"}).status_code == 200
    assert change_version() != remembered
    second = data(api.get("/v1/deals", params={"start": 1, "limit": 1}))
    assert [d["id"] for d in second] == [ids[1]]


def test_a_restore_moves_the_company_versions_forward(control, api, company, engine):
    from dealbase.store import repository as repo

    make_field(api)
    take(control, company.company_id, "s")
    with engine.connect() as conn:
        fields_before = repo.fields_version(conn, company.company_id)
        webhooks_before = repo.company_counter(conn, company.company_id, "webhooks_version")
        users_before = repo.company_counter(conn, company.company_id, "users_version")
        changes_before = repo.change_version(conn, company.company_id)
    assert restore(control, company.company_id, "s").status_code == 200
    with engine.connect() as conn:
        assert repo.fields_version(conn, company.company_id) > fields_before
        assert repo.company_counter(conn, company.company_id, "webhooks_version") > webhooks_before
        assert repo.company_counter(conn, company.company_id, "users_version") > users_before
        assert repo.change_version(conn, company.company_id) > changes_before


def test_a_snapshot_and_its_restore_are_stamped_in_the_companys_time(control, api, company, engine):
    clock = f"/_dealbase/companies/{company.company_id}/clock"
    assert control.put(clock, json={"now": "2031-01-01T09:00:00Z", "frozen": True}, headers=bearer()).status_code == 200
    saved = take(control, company.company_id, "new-year")
    assert saved["created"] == "2031-01-01 09:00:00"
    assert listed(control, company.company_id)[0]["created"] == "2031-01-01 09:00:00"
    control.post(f"{clock}/advance", json={"seconds": 3600}, headers=bearer())
    assert restore(control, company.company_id, "new-year").status_code == 200
    marker = select(change_events.c.time).where(
        change_events.c.company_id == company.company_id,
        change_events.c.entity == "company",
        change_events.c.action == "restore",
    )
    with engine.connect() as conn:
        assert list(conn.execute(marker).scalars()) == ["2031-01-01 10:00:00"]


def test_an_api_token_the_restore_removes_is_refused_at_once(control, api, company, engine):
    from dealbase.store import users as users_store

    take(control, company.company_id, "before-bo")
    bo = data(api.post("/v1/users", json={"email": "bo@acme.test"}))
    with engine.connect() as conn:
        as_bo = Api(control, users_store.api_token(conn, company.company_id, bo["id"]))
    assert data(as_bo.get("/v1/users/me"))["id"] == bo["id"]  # the server remembers the token
    assert restore(control, company.company_id, "before-bo").status_code == 200
    response = as_bo.get("/v1/users/me")
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert [u["email"] for u in data(api.get("/v1/users"))] == ["ada@acme.test"]


def test_snapshots_are_listed_oldest_first_and_deleted_by_name(control, api, company, other_company):
    make_deal(api)
    first = take(control, company.company_id, "first")
    make_deal(api)
    second = take(control, company.company_id, "v2.final_state-1")
    assert listed(control, company.company_id) == [first, second]
    assert first["counts"]["deals"] == 1 and second["counts"]["deals"] == 2
    assert listed(control, other_company.company_id) == []

    got = control.delete(f"{snapshots_url(company.company_id)}/first", headers=bearer())
    assert (got.status_code, got.json()) == (200, {"name": "first", "deleted": True})
    assert listed(control, company.company_id) == [second]
    refused(restore(control, company.company_id, "first"), "Unknown snapshot: first", 404)


def test_a_snapshot_name_is_unique_per_company(control, api, company, other_company):
    take(control, company.company_id, "same")
    got = control.post(snapshots_url(company.company_id), json={"name": "same"}, headers=bearer())
    refused(got, "A snapshot named same exists already", 409)
    assert len(listed(control, company.company_id)) == 1
    take(control, other_company.company_id, "same")  # another company's names are its own


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 7}, {"name": "a/b"}, {"name": "a b"}, {"name": "x" * 101}])
def test_a_bad_name_is_a_400_and_nothing_is_saved(control, company, body):
    got = control.post(snapshots_url(company.company_id), json=body, headers=bearer())
    refused(got, "Invalid snapshot name: name must be 1 to 100 letters, digits, '.', '_' or '-'", 400)
    assert listed(control, company.company_id) == []


def test_an_unknown_company_is_a_404_on_every_snapshot_route(control, company):
    base = snapshots_url(999_999)
    for method, url, body in [
        ("POST", base, {"name": "s"}),
        ("GET", base, None),
        ("POST", f"{base}/s/restore", None),
        ("DELETE", f"{base}/s", None),
    ]:
        got = control.request(method, url, json=body, headers=bearer())
        refused(got, "Unknown company: 999999", 404)
    refused(control.get(snapshots_url("abc"), headers=bearer()), "Unknown company: abc", 404)  # type: ignore[arg-type]


def test_a_missing_snapshot_is_a_404_and_nothing_changes(control, api, company, other_company):
    kept = make_deal(api, title="Kept")
    take(control, other_company.company_id, "theirs")
    refused(restore(control, company.company_id, "nothing"), "Unknown snapshot: nothing", 404)
    refused(restore(control, company.company_id, "theirs"), "Unknown snapshot: theirs", 404)
    got = control.delete(f"{snapshots_url(company.company_id)}/theirs", headers=bearer())
    refused(got, "Unknown snapshot: theirs", 404)
    assert data(api.get("/api/v2/deals")) == [data(api.get(f"/api/v2/deals/{kept['id']}"))]
    assert [s["name"] for s in listed(control, other_company.company_id)] == ["theirs"]


def test_the_snapshot_routes_need_the_control_token(control, company):
    got = control.post(snapshots_url(company.company_id), json={"name": "s"})
    assert got.status_code == 401
    assert listed(control, company.company_id) == []


def test_a_restore_that_fails_halfway_changes_nothing(control, api, company, monkeypatch):
    kept = make_deal(api, title="Kept")
    take(control, company.company_id, "s")
    later = make_deal(api, title="Later")

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_insert", broken)
    with pytest.raises(RuntimeError):
        restore(control, company.company_id, "s")
    assert [d["id"] for d in data(api.get("/api/v2/deals"))] == [kept["id"], later["id"]]


def test_every_table_with_company_rows_is_saved():
    from dealbase.store.tables import metadata

    saved = {t.name for t in store.company_tables()}
    with_company = {t.name for t in metadata.sorted_tables if "company_id" in t.c}
    assert saved == with_company - {"company_snapshots"}
    assert {"deals", "fields", "files", "api_tokens", "webhooks", "change_events", "search_items"} <= saved


def test_search_finds_what_the_restore_brought_back_and_nothing_else(control, api, company):
    def found(term: str) -> list[int]:
        return [i["item"]["id"] for i in data(api.get("/api/v2/itemSearch", params={"term": term}))["items"]]

    kept = make_deal(api, title="Zeppelin voyage")
    renamed = make_deal(api, title="Harbour crane")
    take(control, company.company_id, "s")
    assert api.delete(f"/api/v2/deals/{kept['id']}").status_code == 200
    assert api.patch(f"/api/v2/deals/{renamed['id']}", json={"title": "Quayside lift"}).status_code == 200
    make_deal(api, title="Zebra crossing")
    assert found("Zeppelin") == [] and found("Quayside") == [renamed["id"]]
    assert restore(control, company.company_id, "s").status_code == 200
    assert found("Zeppelin") == [kept["id"]]
    assert found("Harbour") == [renamed["id"]]
    assert found("Quayside") == [] and found("Zebra") == []


def test_the_append_only_tables_are_never_updated():
    """A restore compares only the ids of ``store.APPEND_ONLY`` tables: no code may change a
    row of them once written."""
    import re
    from pathlib import Path

    names = "|".join(t.name for t in store.APPEND_ONLY)
    write = re.compile(rf"(update|update_row|change)\([^)]*\b({names})\b")
    package = Path(store.__file__).resolve().parents[1]
    found = [
        f"{p}:{n}"
        for p in package.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if write.search(line)
    ]
    assert found == []


def test_a_restore_where_a_saved_key_is_held_by_a_newer_row_rewrites_the_tables(control, api, company):
    deal = make_deal(api)
    url = f"/v1/deals/{deal['id']}/followers"
    before = data(api.get(url))
    take(control, company.company_id, "s")
    # The creator unfollows and follows again: a new row under the same unique key (after
    # another deal's follower row, which on SQLite takes the freed id).
    assert api.delete(f"/api/v2/deals/{deal['id']}/followers/1").status_code == 200
    make_deal(api)
    assert data(api.post(url, json={"user_id": 1}))["id"] != before[0]["id"]
    assert restore(control, company.company_id, "s").status_code == 200
    assert data(api.get(url)) == before
    assert data(api.get(f"/v1/deals/{deal['id']}"))["followers_count"] == 1


def test_a_reset_keeps_the_snapshots_and_one_brings_the_data_back(control, api, company):
    kept = make_deal(api, title="Before the reset")
    take(control, company.company_id, "before-reset")
    got = control.post(f"/_dealbase/companies/{company.company_id}/reset", json={}, headers=bearer())
    assert got.status_code == 200
    assert data(api.get("/api/v2/deals")) == []
    assert [s["name"] for s in listed(control, company.company_id)] == ["before-reset"]
    assert restore(control, company.company_id, "before-reset").status_code == 200
    assert [d["title"] for d in data(api.get("/api/v2/deals"))] == [kept["title"]]


def test_rows_that_differ_in_different_columns_each_come_back_whole(control, api, company):
    """A restore sets only the columns that differ, one statement per set of them: a deal
    renamed, one whose value and status changed, one deleted and one untouched all read back
    as saved."""
    deals = [make_deal(api, title=f"Deal {n}", value=100 * n) for n in range(4)]
    before = [data(api.get(f"/api/v2/deals/{d['id']}")) for d in deals]
    take(control, company.company_id, "s")
    renamed, revalued, deleted, _untouched = deals
    assert api.patch(f"/api/v2/deals/{renamed['id']}", json={"title": "Renamed"}).status_code == 200
    changed = {"value": 999, "status": "won"}
    assert api.patch(f"/api/v2/deals/{revalued['id']}", json=changed).status_code == 200
    assert api.delete(f"/api/v2/deals/{deleted['id']}").status_code == 200
    assert restore(control, company.company_id, "s").status_code == 200
    assert [data(api.get(f"/api/v2/deals/{d['id']}")) for d in deals] == before


@pytest.mark.parametrize("collector_on", [True, False])
def test_save_and_restore_leave_the_garbage_collector_as_they_found_it(control, company, collector_on):
    import gc

    was_on = gc.isenabled()
    try:
        if not collector_on:
            gc.disable()
        take(control, company.company_id, "s")
        assert gc.isenabled() is collector_on
        assert restore(control, company.company_id, "s").status_code == 200
        assert gc.isenabled() is collector_on
    finally:
        if was_on:
            gc.enable()
