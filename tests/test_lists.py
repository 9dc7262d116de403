"""Lists declared on the entity (``domain/lists.py``, served by ``api/lists.py``): the
declarations hold together, and which answer a request with several parameters gets is
decided by their declared order, with ``filter_id`` read in place of what it overrides."""

from __future__ import annotations

from factories import data, make_deal, make_lead, make_person, make_pipeline, make_stage, refused
from test_filters import cond, field_id, make_filter, tree

import dealbase.domain  # noqa: F401  (every family declared)
from dealbase.api.operations import OPERATIONS
from dealbase.domain.participants import DEAL_PERSONS
from dealbase.domain.persons import PERSON
from dealbase.domain.registry import ENTITIES
from dealbase.domain.tasks import PROJECT_TASKS, TASK


def ids(response) -> list[int]:
    return [item["id"] for item in data(response) or []]


def test_every_listing_names_an_operation_its_parameters_and_columns():
    operations = {(api, name) for api, _method, _path, name in OPERATIONS}
    declared = [(e, listing) for e in ENTITIES.values() for listing in e.lists]
    declared += [(PERSON, DEAL_PERSONS), (TASK, PROJECT_TASKS)]
    served = [(listing.api, listing.operation) for _, listing in declared]
    assert len(served) == len(set(served)), "an operation declared twice"
    for entity, listing in declared:
        assert (listing.api, listing.operation) in operations
        assert (listing.paging == "v2") == (listing.api == "v2"), listing.operation
        names = [p.name for p in listing.params]
        assert len(names) == len(set(names)), listing.operation
        assert set(listing.filter_id or ()) <= set(names), listing.operation
        if listing.archived is not None:
            assert "is_archived" in entity.table.c
        if listing.parent is not None:
            assert listing.parent in ENTITIES
            assert not isinstance(listing.link, str) or listing.link in entity.table.c


def test_filter_id_stands_for_what_it_overrides_which_is_not_even_read(api):
    pipe = make_pipeline(api)
    stage = make_stage(api, pipe["id"])
    deal = make_deal(api, stage_id=stage["id"])
    f = make_filter(api, tree([cond(field_id(api, "stage_id"), "=", str(stage["id"]))]))
    overridden = {"filter_id": f["id"], "ids": "x", "owner_id": "x", "status": "bogus"}
    assert ids(api.get("/api/v2/deals", params=overridden)) == [deal["id"]]
    # without it, the first bad parameter declared is the one refused
    refused(
        api.get("/api/v2/deals", params={"status": "bogus", "owner_id": "x", "ids": "x"}),
        "Invalid 'ids' parameter: must be a comma-separated list of positive integers",
    )
    # what it does not override is still read (v1's status), after it
    refused(
        api.get("/v1/deals", params={"filter_id": f["id"], "status": "bogus"}),
        "Invalid 'status' parameter: must be one of open, won, lost, deleted, all_not_deleted",
    )
    refused(api.get("/v1/deals", params={"filter_id": 999999, "status": "bogus"}), "Filter not found", 404)


def test_filter_id_is_read_where_the_first_parameter_it_overrides_stands(api):
    # leads: archived_status comes first, then filter_id in place of the quick filters
    refused(
        api.get("/v1/leads", params={"archived_status": "bogus", "filter_id": 999999}),
        "Invalid 'archived_status' parameter: must be one of archived, not_archived, all",
    )
    refused(api.get("/v1/leads", params={"filter_id": 999999, "owner_id": "x"}), "Filter not found", 404)
    refused(api.get("/v1/leads", params={"owner_id": "x"}), "Invalid 'owner_id' parameter: must be an integer")


def test_a_sub_list_checks_its_parent_first(api):
    refused(api.get("/v1/persons/999999/deals", params={"status": "bogus"}), "Person not found", 404)
    person = make_person(api)
    deal = make_deal(api, person_id=person["id"])
    assert ids(api.get(f"/v1/persons/{person['id']}/deals")) == [deal["id"]]
    data(api.delete(f"/api/v2/persons/{person['id']}"))
    # a deleted parent still lists (only a write needs it alive)
    assert ids(api.get(f"/v1/persons/{person['id']}/deals")) == [deal["id"]]


def test_a_parameter_given_can_stand_for_the_alive_condition(api):
    a, b = make_deal(api), make_deal(api, status="won")
    data(api.delete(f"/api/v2/deals/{b['id']}"))
    assert ids(api.get("/api/v2/deals")) == [a["id"]]
    assert ids(api.get("/api/v2/deals", params={"status": "deleted"})) == [b["id"]]
    assert ids(api.get("/api/v2/deals", params={"status": "open,deleted"})) == [a["id"], b["id"]]
    assert ids(api.get("/api/v2/deals", params={"status": ""})) == [a["id"]]
    assert ids(api.get("/v1/deals", params={"status": "deleted"})) == [b["id"]]
    assert ids(api.get("/v1/deals")) == [a["id"]]


def test_archived_variants(api):
    lead, archived = make_lead(api), make_lead(api)
    data(api.patch(f"/v1/leads/{archived['id']}", json={"is_archived": True}))
    listed = [item["id"] for item in data(api.get("/v1/leads")) or []]
    assert listed == [lead["id"]]
    assert [item["id"] for item in data(api.get("/v1/leads/archived")) or []] == [archived["id"]]
    everything = data(api.get("/v1/leads", params={"archived_status": "all"}))
    assert [item["id"] for item in everything] == [lead["id"], archived["id"]]
