"""Organization relationships (``/v1/organizationRelationships``): parent / daughter and
related organizations, each relationship seen from either of its two organizations."""

from __future__ import annotations

import orjson
from factories import data, make_org, refused
from sqlalchemy import select
from support.rows import counts

from dealbase.store.tables import change_events, org_relationships

URL = "/v1/organizationRelationships"


def _relate(api, owner: int, linked: int, kind: str = "parent", **body) -> dict:
    return data(api.post(URL, json={"type": kind, "rel_owner_org_id": owner, "rel_linked_org_id": linked, **body}))


def _events(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(change_events)
            .where(change_events.c.entity == "organizationRelationship")
            .order_by(change_events.c.id)
        )
        return [dict(r) | {"changes": orjson.loads(r["changes"])} for r in rows.mappings()]


def test_a_parent_relationship_is_read_from_both_organizations(api):
    parent = make_org(api, name="Holding")
    daughter = make_org(api, name="Subsidiary", address={"value": "Tallinn"})
    rel = _relate(api, parent["id"], daughter["id"], org_id=parent["id"])
    assert rel["type"] == "parent" and rel["active_flag"] == "true" and len(rel["add_time"]) == 19
    assert rel["rel_owner_org_id"] == {
        "name": "Holding",
        "people_count": 0,
        "owner_id": 1,
        "address": None,
        "active_flag": True,
        "cc_email": "acme@pipedrivemail.com",
        "value": parent["id"],
    }
    assert (rel["rel_linked_org_id"]["value"], rel["rel_linked_org_id"]["address"]) == (daughter["id"], "Tallinn")
    assert (rel["calculated_type"], rel["calculated_related_org_id"]) == ("daughter", daughter["id"])

    from_parent = data(api.get(URL, params={"org_id": parent["id"]}))
    from_daughter = data(api.get(URL, params={"org_id": daughter["id"]}))
    assert [(r["id"], r["calculated_type"], r["calculated_related_org_id"], r["related_organization_name"])
            for r in from_parent] == [(rel["id"], "daughter", daughter["id"], "Subsidiary")]  # fmt: skip
    assert [(r["id"], r["calculated_type"], r["calculated_related_org_id"], r["related_organization_name"])
            for r in from_daughter] == [(rel["id"], "parent", parent["id"], "Holding")]  # fmt: skip

    seen = api.get(f"{URL}/{rel['id']}", params={"org_id": daughter["id"]}).json()
    assert (seen["data"]["calculated_type"], seen["data"]["calculated_related_org_id"]) == ("parent", parent["id"])
    assert set(seen["related_objects"]["organization"]) == {str(parent["id"]), str(daughter["id"])}
    assert seen["related_objects"]["organization"][str(parent["id"])]["name"] == "Holding"
    plain = data(api.get(f"{URL}/{rel['id']}"))
    assert "calculated_type" not in plain and plain["rel_owner_org_id"]["value"] == parent["id"]


def test_related_organizations_are_related_both_ways_and_changed(api, engine):
    a, b, c = (make_org(api) for _ in range(3))
    rel = _relate(api, a["id"], b["id"], "related")
    assert "calculated_type" not in rel
    for org, other in ((a, b), (b, a)):
        (seen,) = data(api.get(URL, params={"org_id": org["id"]}))
        assert (seen["calculated_type"], seen["calculated_related_org_id"]) == ("related", other["id"])

    changed = data(
        api.put(f"{URL}/{rel['id']}", json={"type": "parent", "rel_linked_org_id": c["id"], "org_id": c["id"]})
    )
    assert (changed["type"], changed["rel_linked_org_id"]["value"]) == ("parent", c["id"])
    assert (changed["calculated_type"], changed["calculated_related_org_id"]) == ("parent", a["id"])
    assert data(api.get(URL, params={"org_id": b["id"]})) == []
    assert [r["id"] for r in data(api.get(URL, params={"org_id": c["id"]}))] == [rel["id"]]

    assert data(api.delete(f"{URL}/{rel['id']}")) == {"id": rel["id"]}
    refused(api.get(f"{URL}/{rel['id']}"), f"Organization relationship {rel['id']} not found", 404)
    assert data(api.get(URL, params={"org_id": a["id"]})) == []

    events = _events(engine)
    assert [e["action"] for e in events] == ["create", "change", "delete"]
    assert all(e["entity_id"] == rel["id"] and e["user_id"] == 1 for e in events)
    assert events[0]["changes"]["type"] == [None, "related"]
    assert events[1]["changes"]["type"] == ["related", "parent"]
    assert events[1]["changes"]["rel_linked_org_id"] == [b["id"], c["id"]]


def test_bad_relationships_are_refused_and_nothing_is_written(api, other_api, engine):
    a, b = make_org(api), make_org(api)
    foreign = make_org(other_api)
    rel = _relate(api, a["id"], b["id"])
    before = counts(engine, org_relationships, change_events)
    body = {"type": "parent", "rel_owner_org_id": a["id"], "rel_linked_org_id": b["id"]}
    for sent, message in (
        ({**body, "type": "sister"}, "Validation failed: type: must be one of parent, related"),
        ({k: v for k, v in body.items() if k != "type"}, "Validation failed: type: is required"),
        ({**body, "rel_owner_org_id": None}, "Validation failed: rel_owner_org_id: is required"),
        ({**body, "rel_linked_org_id": "x"}, "Validation failed: rel_linked_org_id: must be an integer"),
        ({**body, "rel_linked_org_id": 999999}, "Validation failed: rel_linked_org_id: Organization with id 999999 not found"),
        ({**body, "rel_owner_org_id": foreign["id"]},
         f"Validation failed: rel_owner_org_id: Organization with id {foreign['id']} not found"),
        ({**body, "rel_linked_org_id": a["id"]}, "Validation failed: an organization cannot be related to itself"),
        ({**body, "type": "related", "rel_owner_org_id": b["id"], "rel_linked_org_id": a["id"]},
         f"Validation failed: organizations {b['id']} and {a['id']} are already related"),
    ):  # fmt: skip
        refused(api.post(URL, json=sent), message)
    c = make_org(api)
    before = counts(engine, org_relationships, change_events)
    refused(api.post(URL, json=[body]), "Validation failed: the body must be a JSON object")
    refused(
        api.post(URL, json={**body, "rel_linked_org_id": c["id"], "org_id": 999}),
        "Validation failed: org_id: organization 999 is not one of the relationship's two",
    )
    refused(
        api.put(f"{URL}/{rel['id']}", json={"rel_owner_org_id": b["id"]}),
        "Validation failed: an organization cannot be related to itself",
    )
    refused(
        api.put(f"{URL}/{rel['id']}", json={"rel_linked_org_id": c["id"], "org_id": b["id"]}),
        f"Validation failed: org_id: organization {b['id']} is not one of the relationship's two",
    )
    refused(
        api.get(f"{URL}/{rel['id']}", params={"org_id": c["id"]}),
        f"Validation failed: org_id: organization {c['id']} is not one of the relationship's two",
    )
    assert counts(engine, org_relationships, change_events) == before
    assert data(api.get(f"{URL}/{rel['id']}"))["rel_linked_org_id"]["value"] == b["id"]

    refused(api.get(URL), "Invalid 'org_id' parameter: is required")
    refused(api.get(URL, params={"org_id": 999999}), "Organization not found", 404)
    refused(api.get(URL, params={"org_id": foreign["id"]}), "Organization not found", 404)
    refused(api.get(f"{URL}/999999"), "Organization relationship 999999 not found", 404)
    refused(other_api.get(f"{URL}/{rel['id']}"), f"Organization relationship {rel['id']} not found", 404)
    refused(other_api.delete(f"{URL}/{rel['id']}"), f"Organization relationship {rel['id']} not found", 404)
    refused(
        other_api.put(f"{URL}/{rel['id']}", json={"type": "related"}),
        f"Organization relationship {rel['id']} not found",
        404,
    )
    assert counts(engine, org_relationships, change_events) == before


def test_a_deleted_organization_takes_its_relationships_and_a_merge_moves_them(api, engine):
    a, b, c, d = (make_org(api) for _ in range(4))
    gone = _relate(api, a["id"], b["id"])
    data(api.delete(f"/api/v2/organizations/{b['id']}"))
    refused(api.get(f"{URL}/{gone['id']}"), f"Organization relationship {gone['id']} not found", 404)
    assert data(api.get(URL, params={"org_id": a["id"]})) == []

    moved = _relate(api, c["id"], a["id"], "related")
    self_link = _relate(api, c["id"], d["id"])
    data(api.put(f"/v1/organizations/{d['id']}/merge", json={"merge_with_id": c["id"]}))
    (left,) = data(api.get(URL, params={"org_id": c["id"]}))
    assert left["id"] == moved["id"]
    refused(api.get(f"{URL}/{self_link['id']}"), f"Organization relationship {self_link['id']} not found", 404)

    e = make_org(api)
    kept = _relate(api, a["id"], e["id"])
    data(api.put(f"/v1/organizations/{a['id']}/merge", json={"merge_with_id": c["id"]}))
    (left,) = data(api.get(URL, params={"org_id": c["id"]}))  # c↔a would be c↔c: gone
    assert (left["id"], left["calculated_type"], left["calculated_related_org_id"]) == (kept["id"], "daughter", e["id"])
    events = _events(engine)
    assert [e["action"] for e in events if e["entity_id"] == moved["id"]] == ["create", "delete"]
    assert [e["changes"] for e in events if e["entity_id"] == kept["id"]][-1]["rel_owner_org_id"] == [a["id"], c["id"]]


def test_an_organization_counts_its_daughters_deals_as_related(api):
    from factories import make_deal

    parent, daughter, sister, partner = (make_org(api) for _ in range(4))
    _relate(api, parent["id"], daughter["id"])
    _relate(api, parent["id"], sister["id"])
    _relate(api, parent["id"], partner["id"], "related")
    make_deal(api, org_id=parent["id"])
    make_deal(api, org_id=daughter["id"])
    make_deal(api, org_id=daughter["id"], status="won")
    make_deal(api, org_id=sister["id"], status="lost")
    make_deal(api, org_id=partner["id"])  # related, not a daughter: not counted
    keys = ("open_deals_count", "related_open_deals_count", "related_won_deals_count", "related_lost_deals_count")
    counted = data(api.get(f"/v1/organizations/{parent['id']}"))
    assert [counted[k] for k in (*keys, "related_closed_deals_count")] == [1, 1, 1, 1, 2]
    v2 = data(api.get(f"/api/v2/organizations/{parent['id']}", params={"include_fields": ",".join(keys)}))
    assert [v2[k] for k in keys] == [1, 1, 1, 1]
    listed = {o["id"]: o for o in data(api.get("/v1/organizations"))}
    assert [listed[daughter["id"]][k] for k in keys] == [1, 0, 0, 0]
    assert listed[parent["id"]]["related_open_deals_count"] == 1
