"""Merging deals, persons and organizations, and duplicating deals (v1).

The path item is absorbed and deleted, ``merge_with_id`` survives: its values win, its
empty fields are filled from the absorbed one, and everything linked to the absorbed
item (deals, persons, followers, participants) moves to it.
"""

from __future__ import annotations

from factories import data, error, make_deal, make_field, make_org, make_person, make_user


def _followers(api, plural, item_id):
    return [f["user_id"] for f in data(api.get(f"/api/v2/{plural}/{item_id}/followers"))]


def test_merge_persons_moves_deals_followers_and_participants(api, engine):
    other = make_user(engine)
    org = make_org(api)
    keep = make_person(api, name="Kept", emails=[{"value": "k@x.test", "primary": True}])
    gone = make_person(
        api,
        name="Gone",
        org_id=org["id"],
        emails=[{"value": "g@x.test"}, {"value": "k@x.test"}],
        phones=[{"value": "1"}],
    )
    data(api.post(f"/api/v2/persons/{gone['id']}/followers", json={"user_id": other}), 201)
    deal = make_deal(api, person_id=gone["id"])
    both = make_deal(api, person_id=keep["id"])
    data(api.post(f"/v1/deals/{both['id']}/participants", json={"person_id": gone["id"]}))
    merged = data(api.put(f"/v1/persons/{gone['id']}/merge", json={"merge_with_id": keep["id"]}))
    assert merged["id"] == keep["id"] and merged["merge_what_id"] == gone["id"]
    assert merged["name"] == "Kept" and merged["org_id"] == org["id"]  # empty on the survivor: filled
    assert [e["value"] for e in merged["email"]] == ["k@x.test", "g@x.test"]
    assert [e["primary"] for e in merged["email"]] == [True, False]
    assert [p["value"] for p in merged["phone"]] == ["1"]
    assert merged["followers_count"] == 2 and merged["open_deals_count"] == 2
    error(api.put(f"/v1/persons/{gone['id']}/merge", json={"merge_with_id": keep["id"]}), 404)  # gone
    assert data(api.get(f"/api/v2/persons/{gone['id']}"))["is_deleted"] is True
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["person_id"] == keep["id"]
    assert _followers(api, "persons", keep["id"]) == [1, other]
    assert [p["person"]["id"] for p in data(api.get(f"/v1/deals/{deal['id']}/participants"))] == [keep["id"]]
    # The survivor was a participant already: it stays one, once.
    assert [p["person"]["id"] for p in data(api.get(f"/v1/deals/{both['id']}/participants"))] == [keep["id"]]
    assert data(api.get(f"/v1/deals/{both['id']}"))["participants_count"] == 1


def test_merge_organizations_moves_persons_and_deals(api):
    keep, gone = make_org(api, name="Keep"), make_org(api, name="Gone", address={"value": "Main St 1"})
    person = make_person(api, org_id=gone["id"])
    deal = make_deal(api, org_id=gone["id"])
    merged = data(api.put(f"/v1/organizations/{gone['id']}/merge", json={"merge_with_id": keep["id"]}))
    assert merged["id"] == keep["id"] and merged["name"] == "Keep" and merged["address"] == "Main St 1"
    assert data(api.get(f"/api/v2/persons/{person['id']}"))["org_id"] == keep["id"]
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["org_id"] == keep["id"]
    assert data(api.get(f"/v1/organizations/{keep['id']}"))["people_count"] == 1


def test_merge_deals_keeps_the_survivors_values_and_fills_its_custom_fields(api, engine):
    text, number = make_field(api, "deal", "varchar"), make_field(api, "deal", "double")
    a, b = make_person(api), make_person(api)
    keep = make_deal(api, title="Keep", value=10, custom_fields={text["field_code"]: "mine"})
    gone = make_deal(
        api,
        title="Gone",
        value=99,
        person_id=b["id"],
        custom_fields={text["field_code"]: "theirs", number["field_code"]: 5},
    )
    data(api.post(f"/v1/deals/{gone['id']}/participants", json={"person_id": a["id"]}))
    other = make_user(engine)
    data(api.post(f"/api/v2/deals/{gone['id']}/followers", json={"user_id": other}), 201)
    merged = data(api.put(f"/v1/deals/{gone['id']}/merge", json={"merge_with_id": str(keep["id"])}))
    assert merged["title"] == "Keep" and merged["value"] == 10 and merged["person_id"] == b["id"]
    assert merged["merge_what_id"] == gone["id"]
    assert merged["participants_count"] == 2 and merged["followers_count"] == 2
    got = data(api.get(f"/api/v2/deals/{keep['id']}"))
    assert got["custom_fields"][text["field_code"]] == "mine" and got["custom_fields"][number["field_code"]] == 5
    assert sorted(p["person"]["id"] for p in data(api.get(f"/v1/deals/{keep['id']}/participants"))) == sorted(
        [a["id"], b["id"]]
    )
    assert _followers(api, "deals", keep["id"]) == [1, other]
    assert data(api.get(f"/v1/deals/{gone['id']}"))["deleted"] is True
    assert data(api.get(f"/v1/deals/{gone['id']}"))["participants_count"] == 0


def test_bad_merges_write_nothing(api, other_api):
    keep, gone = make_deal(api), make_deal(api)
    url = f"/v1/deals/{gone['id']}/merge"
    assert "merge_with_id" in error(api.put(url, json={}), 400)
    assert "merge_with_id" in error(api.put(url, json={"merge_with_id": "x"}), 400)
    assert "merge_with_id" in error(api.put(url, json={"merge_with_id": gone["id"]}), 400)
    assert "merge_with_id" in error(api.put(url, json={"merge_with_id": 999}), 400)
    theirs = make_deal(other_api)
    assert "merge_with_id" in error(api.put(url, json={"merge_with_id": theirs["id"]}), 400)
    error(other_api.put(url, json={"merge_with_id": theirs["id"]}), 404)
    error(api.put("/v1/deals/999/merge", json={"merge_with_id": keep["id"]}), 404)
    data(api.delete(f"/api/v2/deals/{keep['id']}"))
    assert "merge_with_id" in error(api.put(url, json={"merge_with_id": keep["id"]}), 400)  # deleted
    assert data(api.get(f"/api/v2/deals/{gone['id']}"))["is_deleted"] is False


# -- duplicate -------------------------------------------------------------------------


def test_duplicate_deal_copies_fields_participants_and_followers(api, engine, other_api):
    field = make_field(api, "deal", "varchar")
    person, extra, org = make_person(api), make_person(api), make_org(api)
    deal = make_deal(
        api,
        title="Original",
        value=250,
        currency="EUR",
        person_id=person["id"],
        org_id=org["id"],
        expected_close_date="2030-01-02",
        custom_fields={field["field_code"]: "copied"},
    )
    data(api.post(f"/v1/deals/{deal['id']}/participants", json={"person_id": extra["id"]}))
    other = make_user(engine)
    data(api.post(f"/api/v2/deals/{deal['id']}/followers", json={"user_id": other}), 201)
    copy = data(api.post(f"/v1/deals/{deal['id']}/duplicate"))
    assert copy["id"] != deal["id"] and copy["title"] == "Original" and copy["value"] == 250
    assert copy["currency"] == "EUR" and copy["person_id"] == person["id"] and copy["org_id"] == org["id"]
    assert copy["expected_close_date"] == "2030-01-02" and copy["stage_id"] == deal["stage_id"]
    assert copy[field["field_code"]] == "copied"
    assert copy["participants_count"] == 2 and copy["followers_count"] == 2
    assert _followers(api, "deals", copy["id"]) == [1, other]
    error(api.post("/v1/deals/999/duplicate"), 404)
    error(other_api.post(f"/v1/deals/{deal['id']}/duplicate"), 404)
    error(api.post("/v1/deals/0/duplicate"), 400)


def test_merge_moves_the_rows_of_any_entity_declared_later(api, engine, monkeypatch):
    """A family built later (activities, notes…) needs no edit of the merge: its
    ``Field(ref="deal")`` is enough. Shown with a throwaway table and entity."""
    from sqlalchemy import Column, Integer, MetaData, Table

    from dealbase.domain.entity import Entity, Field
    from dealbase.domain.registry import ENTITIES
    from dealbase.store import repository as repo

    probe = Table(
        "merge_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("company_id", Integer, nullable=False),
        Column("deal_id", Integer, nullable=True),
    )
    probe.create(engine)
    try:
        entity = Entity("probe", "probes", "Probe", probe, [Field("id", "int"), Field("deal_id", "int", ref="deal")])
        monkeypatch.setitem(ENTITIES, "probe", entity)
        keep, gone = make_deal(api), make_deal(api)
        with engine.begin() as conn:
            row_id = repo.insert_row(conn, probe, 1, {"deal_id": gone["id"]})
        data(api.put(f"/v1/deals/{gone['id']}/merge", json={"merge_with_id": keep["id"]}))
        with engine.connect() as conn:
            assert repo.get(conn, probe, 1, row_id)["deal_id"] == keep["id"]
    finally:
        probe.drop(engine)


def test_merge_does_not_carry_the_absorbed_deals_state(api):
    keep = make_deal(api, title="Open one")
    gone = make_deal(api, title="Lost one", status="lost", lost_reason="Too pricey", expected_close_date="2031-05-06")
    merged = data(api.put(f"/v1/deals/{gone['id']}/merge", json={"merge_with_id": keep["id"]}))
    assert merged["status"] == "open" and merged["lost_time"] is None and merged["close_time"] is None
    assert merged["lost_reason"] is None and merged["expected_close_date"] == "2031-05-06"
