"""Search: itemSearch, itemSearch/field and the per-entity searches, in both versions.

As Pipedrive: a term finds items by whole words and parts of words, case-insensitively;
``exact_match`` keeps whole values only; terms shorter than 2 characters (1 with
``exact_match``) are a 400; results carry a ``result_score`` and are best first.
"""

from __future__ import annotations

import pytest
from factories import data, error, make_deal, make_field, make_lead, make_org, make_person
from sqlalchemy import func, select

from dealbase.store.tables import search_items


def _items(response) -> list[dict]:
    return [entry["item"] for entry in data(response)["items"]]


def _ids(response, item_type: str = "deal") -> list:
    return [item["id"] for item in _items(response) if item["type"] == item_type]


def test_a_deal_is_found_by_a_word_of_its_title_in_both_versions(api):
    org = make_org(api, name="Initech")
    person = make_person(api, name="Peter Gibbons", org_id=org["id"])
    deal = make_deal(api, title="Rocket launch for Initech", value=1500, person_id=person["id"], org_id=org["id"])
    make_deal(api, title="Something else")
    for url in ("/api/v2/deals/search", "/v1/deals/search"):
        body = api.get(url, params={"term": "rocket"}).json()
        [entry] = body["data"]["items"]
        assert 0 < entry["result_score"] <= 1
        item = entry["item"]
        assert item["id"] == deal["id"] and item["type"] == "deal"
        assert item["title"] == "Rocket launch for Initech"
        assert item["value"] == 1500 and item["currency"] == deal["currency"] and item["status"] == "open"
        assert item["owner"] == {"id": 1} and item["stage"]["id"] == deal["stage_id"]
        assert item["person"] == {"id": person["id"], "name": "Peter Gibbons"}
        assert item["organization"] == {"id": org["id"], "name": "Initech", "address": None}
        assert item["custom_fields"] == [] and item["notes"] == [] and item["is_archived"] is False
    v1 = api.get("/v1/deals/search", params={"term": "ROCK"}).json()
    assert v1["additional_data"]["pagination"] == {"start": 0, "limit": 100, "more_items_in_collection": False}
    assert _ids(api.get("/v1/deals/search", params={"term": "ROCK"})) == [deal["id"]]
    assert api.get("/api/v2/deals/search", params={"term": "rocket"}).json()["additional_data"] == {"next_cursor": None}


def test_one_item_search_finds_a_deal_a_person_and_an_organization(api):
    org = make_org(api, name="Zephyr Holdings")
    person = make_person(api, name="Zoe Zephyr", org_id=org["id"])
    deal = make_deal(api, title="Zephyr upgrade", person_id=person["id"], org_id=org["id"])
    make_deal(api, title="Unrelated")
    for url in ("/api/v2/itemSearch", "/v1/itemSearch"):
        body = data(api.get(url, params={"term": "zephyr"}))
        found = {(e["item"]["type"], e["item"]["id"]) for e in body["items"]}
        assert found == {("deal", deal["id"]), ("person", person["id"]), ("organization", org["id"])}
        assert body["related_items"] == []
        scores = [e["result_score"] for e in body["items"]]
        assert scores == sorted(scores, reverse=True)
        person_item = next(e["item"] for e in body["items"] if e["item"]["type"] == "person")
        assert person_item["organization"]["name"] == "Zephyr Holdings"


def test_ranking_exact_before_prefix_before_substring_and_title_before_notes(api):
    inside = make_deal(api, title="Big apollo deal")
    prefix = make_deal(api, title="Apollo program")
    exact = make_deal(api, title="apollo")
    in_notes = make_deal(api, title="Quiet one")
    data(api.post("/v1/notes", json={"content": "<p>call about <b>Apollo</b></p>", "deal_id": in_notes["id"]}))
    entries = data(api.get("/api/v2/deals/search", params={"term": "Apollo"}))["items"]
    assert [e["item"]["id"] for e in entries] == [exact["id"], prefix["id"], inside["id"], in_notes["id"]]
    assert entries[0]["result_score"] == 1.0
    assert entries[-1]["item"]["notes"] == ["call about Apollo"]


def test_persons_by_email_and_phone_and_fields_restrict_where_to_look(api):
    person = make_person(
        api,
        name="Kim Park",
        emails=[{"value": "kim@northwind.test", "primary": True}, {"value": "kp@home.test"}],
        phones=[{"value": "+372 5555 1234"}],
    )
    make_person(api, name="Somebody Else")
    assert _ids(api.get("/api/v2/persons/search", params={"term": "northwind"}), "person") == [person["id"]]
    [item] = _items(api.get("/v1/persons/search", params={"term": "5555 12"}))
    assert item["emails"] == ["kim@northwind.test", "kp@home.test"] and item["phones"] == ["+372 5555 1234"]
    exact = {"term": "KIM@northwind.test", "exact_match": "true"}
    assert _ids(api.get("/api/v2/persons/search", params=exact), "person") == [person["id"]]
    assert _ids(api.get("/api/v2/persons/search", params={**exact, "term": "kim@northwind"}), "person") == []
    assert _ids(api.get("/api/v2/persons/search", params={"term": "5555", "fields": "phone"}), "person") == [
        person["id"]
    ]
    assert _ids(api.get("/api/v2/persons/search", params={"term": "5555", "fields": "email,name"}), "person") == []
    assert _ids(api.get("/api/v2/itemSearch", params={"term": "northwind", "fields": "title"}), "person") == []


def test_searchable_custom_fields_are_searched(api):
    text = make_field(api, "deal", "varchar")
    money = make_field(api, "deal", "monetary")
    deal = make_deal(
        api,
        title="Plain title",
        custom_fields={text["field_code"]: "Blue Falcon", money["field_code"]: {"value": 4242, "currency": "EUR"}},
    )
    [entry] = data(api.get("/api/v2/deals/search", params={"term": "falcon"}))["items"]
    assert entry["item"]["id"] == deal["id"] and entry["item"]["custom_fields"] == ["Blue Falcon"]
    assert _ids(api.get("/v1/deals/search", params={"term": "4242"})) == [deal["id"]]
    assert _ids(api.get("/api/v2/deals/search", params={"term": "falcon", "fields": "title"})) == []
    fields = data(api.get("/v1/dealFields"))
    flags = {f["key"]: f["searchable_flag"] for f in fields}
    assert flags[text["field_code"]] is True
    # Written through v1's flat keys, found too.
    data(api.put(f"/v1/deals/{deal['id']}", json={text["field_code"]: "Red Heron"}))
    assert _ids(api.get("/api/v2/deals/search", params={"term": "heron"})) == [deal["id"]]
    assert _ids(api.get("/api/v2/deals/search", params={"term": "falcon"})) == []


def test_exact_match_and_the_minimum_term_length(api):
    moon = make_deal(api, title="Moon")
    make_deal(api, title="Moonbase alpha")
    x = make_deal(api, title="X")
    assert _ids(api.get("/api/v2/deals/search", params={"term": "moon", "exact_match": "true"})) == [moon["id"]]
    assert len(_ids(api.get("/api/v2/deals/search", params={"term": "moon"}))) == 2
    assert _ids(api.get("/v1/itemSearch", params={"term": "x", "exact_match": 1})) == [x["id"]]
    for url in ("/api/v2/itemSearch", "/v1/itemSearch", "/api/v2/deals/search", "/v1/persons/search"):
        assert "term" in error(api.get(url, params={"term": "m"}), 400)
        assert "term" in error(api.get(url), 400)
        assert "term" in error(api.get(url, params={"term": "  "}), 400)
    assert "term" in error(api.get("/api/v2/itemSearch", params={"term": "x" * 501}), 400)


def test_item_types_fields_and_include_fields_are_checked(api):
    person = make_person(api, name="Orion Belt")
    make_deal(api, title="Orion deal")
    found = _items(api.get("/api/v2/itemSearch", params={"term": "orion", "item_types": "person"}))
    assert [(i["type"], i["id"]) for i in found] == [("person", person["id"])]
    assert "item_types" in error(api.get("/api/v2/itemSearch", params={"term": "orion", "item_types": "deals"}), 400)
    assert "fields" in error(api.get("/api/v2/deals/search", params={"term": "orion", "fields": "email"}), 400)
    bad = {"term": "orion", "include_fields": "person.picture"}
    assert "include_fields" in error(api.get("/api/v2/deals/search", params=bad), 400)
    [item] = _items(api.get("/api/v2/deals/search", params={"term": "orion", "include_fields": "deal.cc_email"}))
    assert item["cc_email"] == f"acme+deal{item['id']}@pipedrivemail.com"
    assert _items(api.get("/api/v2/itemSearch", params={"term": "orion", "item_types": "project"})) == []


def test_paging_v2_cursor_and_v1_start(api):
    made = {make_deal(api, title=f"Paging deal {n}")["id"] for n in range(5)}
    seen: list[int] = []
    params = {"term": "paging", "limit": 2}
    while True:
        body = api.get("/api/v2/deals/search", params=params).json()
        seen += _ids_of(body)
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            break
        params = {**params, "cursor": cursor}
    assert len(seen) == 5 and set(seen) == made
    first = api.get("/v1/deals/search", params={"term": "paging", "limit": 3}).json()
    assert first["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 3,
        "more_items_in_collection": True,
        "next_start": 3,
    }
    rest = api.get("/v1/deals/search", params={"term": "paging", "limit": 3, "start": 3}).json()
    assert _ids_of(first) + _ids_of(rest) == seen
    assert rest["additional_data"]["pagination"]["more_items_in_collection"] is False
    assert "limit" in error(api.get("/api/v2/itemSearch", params={"term": "paging", "limit": 101}), 400)
    assert "cursor" in error(api.get("/api/v2/itemSearch", params={"term": "paging", "cursor": "nope"}), 400)


def _ids_of(body) -> list:
    return [e["item"]["id"] for e in body["data"]["items"]]


def test_another_companys_items_are_never_found(api, other_api):
    secret = make_deal(other_api, title="Secret merger")
    make_person(other_api, name="Secret Agent")
    for url in ("/api/v2/itemSearch", "/v1/itemSearch", "/api/v2/deals/search", "/v1/deals/search"):
        assert _items(api.get(url, params={"term": "secret"})) == []
    assert _ids(other_api.get("/api/v2/deals/search", params={"term": "secret"})) == [secret["id"]]
    assert (
        data(
            api.get(
                "/api/v2/itemSearch/field", params={"term": "Secret merger", "entity_type": "deal", "field": "title"}
            )
        )
        == []
    )


def test_updates_and_deletes_are_reflected_at_once(api, engine):
    deal = make_deal(api, title="Old name")
    person = make_person(api, name="Vanishing Person")
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Brand new name"}))
    assert _ids(api.get("/api/v2/deals/search", params={"term": "old name"})) == []
    assert _ids(api.get("/api/v2/deals/search", params={"term": "brand new"})) == [deal["id"]]
    data(api.delete(f"/api/v2/deals/{deal['id']}"))
    data(api.delete(f"/v1/persons/{person['id']}"))
    assert _items(api.get("/api/v2/itemSearch", params={"term": "brand new"})) == []
    assert _items(api.get("/api/v2/itemSearch", params={"term": "vanishing"})) == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(search_items)).scalar() == 0
    kept = make_deal(api, title="Status change")
    data(api.put(f"/v1/deals/{kept['id']}", json={"status": "deleted"}))
    assert _items(api.get("/api/v2/itemSearch", params={"term": "status change"})) == []


def test_notes_are_searched_and_follow_their_writes(api):
    deal = make_deal(api, title="Harbor deal")
    person = make_person(api, name="Nora Note")
    note = data(
        api.post("/v1/notes", json={"content": "<p>Discussed the <i>Kraken</i> contract</p>", "deal_id": deal["id"]})
    )
    [item] = _items(api.get("/api/v2/deals/search", params={"term": "kraken"}))
    assert item["id"] == deal["id"] and item["notes"] == ["Discussed the Kraken contract"]
    data(api.put(f"/v1/notes/{note['id']}", json={"person_id": person["id"], "deal_id": None}))
    assert _ids(api.get("/api/v2/deals/search", params={"term": "kraken"})) == []
    assert _ids(api.get("/api/v2/persons/search", params={"term": "kraken"}), "person") == [person["id"]]
    assert _ids(api.get("/api/v2/persons/search", params={"term": "kraken", "fields": "name"}), "person") == []
    data(api.delete(f"/v1/notes/{note['id']}"))
    assert _items(api.get("/api/v2/itemSearch", params={"term": "kraken"})) == []


# (a NUL in a term is a 400 before any search: tests/test_hostile_input.py)
INJECTIONS = [
    "%%",
    "__",
    "%_%",
    "' OR 1=1 --",
    '" OR "',
    "NEAR(a b)",
    "foo*",
    "a AND b",
    "x OR y",
    "NOT xx",
    "{title}: zz",
    "title:abc",
    "^abc",
    "\\\\",
    '""""',
    "'; DROP TABLE deals; --",
    "( )",
]


@pytest.mark.parametrize("term", INJECTIONS)
def test_operator_like_terms_are_literal_text(api, term):
    make_deal(api, title="An ordinary deal")
    for url in ("/api/v2/itemSearch", "/v1/itemSearch", "/api/v2/deals/search", "/v1/persons/search"):
        response = api.get(url, params={"term": term})
        assert response.status_code == 200, response.text
        assert _items(response) == []


def test_special_characters_match_themselves(api):
    deal = make_deal(api, title='100% sure_thing "quoted" NEAR(x) a*b')
    make_deal(api, title="1000 surething")
    for term in ("100% s", "e_t", '"quoted"', "NEAR(x)", "a*b", "% sure"):
        assert _ids(api.get("/api/v2/deals/search", params={"term": term})) == [deal["id"]], term
    assert _ids(api.get("/v1/itemSearch", params={"term": "%", "exact_match": 1})) == []


def test_words_of_two_characters_match_at_word_starts_only(api):
    first = make_deal(api, title="Xu Li renewal")
    second = make_deal(api, title="Support for Anna-Xu")
    inside = make_deal(api, title="Maxum upgrade")
    assert sorted(_ids(api.get("/api/v2/deals/search", params={"term": "xu"}))) == [first["id"], second["id"]]
    assert _ids(api.get("/api/v2/deals/search", params={"term": "xu li"})) == [first["id"]]
    # three characters and more also match inside words
    assert _ids(api.get("/api/v2/deals/search", params={"term": "xum"})) == [inside["id"]]


def test_entity_filters_of_the_per_entity_searches(api):
    org = make_org(api, name="Filter Org")
    person = make_person(api, name="Filter Person", org_id=org["id"])
    with_person = make_deal(api, title="Comet one", person_id=person["id"])
    won = make_deal(api, title="Comet two", status="won")
    make_deal(api, title="Comet three")
    make_person(api, name="Filter Other")
    assert _ids(api.get("/api/v2/deals/search", params={"term": "comet", "person_id": person["id"]})) == [
        with_person["id"]
    ]
    assert _ids(api.get("/v1/deals/search", params={"term": "comet", "status": "won"})) == [won["id"]]
    assert _ids(api.get("/api/v2/deals/search", params={"term": "comet", "organization_id": org["id"]})) == []
    found = _ids(api.get("/api/v2/persons/search", params={"term": "filter", "organization_id": org["id"]}), "person")
    assert found == [person["id"]]
    assert "status" in error(api.get("/api/v2/deals/search", params={"term": "comet", "status": "deleted"}), 400)
    assert "person_id" in error(api.get("/api/v2/deals/search", params={"term": "comet", "person_id": "x"}), 400)


def test_related_items_of_found_persons_and_organizations(api):
    org = make_org(api, name="Nebula Corp")
    person = make_person(api, name="Staff Member", org_id=org["id"])
    deal = make_deal(api, title="Quiet deal", org_id=org["id"])
    lead = make_lead(api, title="Quiet lead", organization_id=org["id"], person_id=None)
    body = data(api.get("/api/v2/itemSearch", params={"term": "nebula", "search_for_related_items": "true"}))
    assert [(e["item"]["type"], e["item"]["id"]) for e in body["items"]] == [("organization", org["id"])]
    related = {(e["item"]["type"], e["item"]["id"]) for e in body["related_items"]}
    assert related == {("deal", deal["id"]), ("lead", lead["id"]), ("person", person["id"])}
    assert all(e["result_score"] == 0 for e in body["related_items"])


def test_leads_and_products_searches(api):
    lead = make_lead(api, title="Quasar opportunity", value={"amount": 300, "currency": "EUR"})
    for url in ("/api/v2/leads/search", "/v1/leads/search"):
        [item] = _items(api.get(url, params={"term": "quasar"}))
        assert item["id"] == lead["id"] and item["type"] == "lead" and item["title"] == "Quasar opportunity"
        assert item["value"] == 300 and item["currency"] == "EUR" and item["is_archived"] is False
    product = data(api.post("/api/v2/products", json={"name": "Widget Pro"}), 201)
    for url in ("/api/v2/products/search", "/v1/products/search"):
        [item] = _items(api.get(url, params={"term": "widget"}))
        assert item == {
            "id": product["id"],
            "type": "product",
            "name": "Widget Pro",
            "code": None,
            "visible_to": product["visible_to"],
            "owner": {"id": 1},
            "custom_fields": [],
        }
    coded = data(api.post("/api/v2/products", json={"name": "Gadget", "code": "GX-900"}), 201)
    [item] = _items(api.get("/api/v2/itemSearch", params={"term": "gx-9", "item_types": "product"}))
    assert item["id"] == coded["id"] and item["code"] == "GX-900"
    data(api.delete(f"/api/v2/products/{coded['id']}"))
    assert _items(api.get("/api/v2/itemSearch", params={"term": "gx-9"})) == []


def test_search_by_field(api):
    first = make_deal(api, title="Alpha one")
    second = make_deal(api, title="Alpha two")
    make_deal(api, title="alpha lower")
    params = {"term": "Alpha", "entity_type": "deal", "field": "title", "match": "beginning"}
    assert data(api.get("/api/v2/itemSearch/field", params=params)) == [
        {"id": first["id"], "title": "Alpha one"},
        {"id": second["id"], "title": "Alpha two"},
    ]
    exact = {**params, "match": "exact", "term": "Alpha two"}
    assert data(api.get("/api/v2/itemSearch/field", params=exact)) == [{"id": second["id"], "title": "Alpha two"}]
    middle = {**params, "match": "middle", "term": "pha t"}
    assert data(api.get("/api/v2/itemSearch/field", params=middle)) == [{"id": second["id"], "title": "Alpha two"}]
    v1 = {"term": "Alph", "field_type": "dealField", "field_key": "title", "return_item_ids": 1}
    assert [r["id"] for r in data(api.get("/v1/itemSearch/field", params=v1))] == [first["id"], second["id"]]
    values = data(api.get("/v1/itemSearch/field", params={**v1, "return_item_ids": 0}))
    assert values == [{"title": "Alpha one"}, {"title": "Alpha two"}]
    field = make_field(api, "person", "varchar")
    person = make_person(api, custom_fields={field["field_code"]: "Sapphire"})
    found = {"term": "Sapph", "entity_type": "person", "field": field["field_code"], "match": "beginning"}
    assert data(api.get("/api/v2/itemSearch/field", params=found)) == [
        {"id": person["id"], field["field_code"]: "Sapphire"}
    ]
    assert "field" in error(api.get("/api/v2/itemSearch/field", params={**params, "field": "nope"}), 400)
    assert "entity_type" in error(api.get("/api/v2/itemSearch/field", params={"term": "ab", "field": "title"}), 400)


def test_a_converted_lead_takes_its_notes_into_the_deals_search(api):
    lead = make_lead(api, title="Converted lead")
    data(api.post("/v1/notes", json={"content": "Talked about pelican crates", "lead_id": lead["id"]}))
    assert _ids(api.get("/api/v2/leads/search", params={"term": "pelican"}), "lead") == [lead["id"]]
    job = data(api.post(f"/api/v2/leads/{lead['id']}/convert/deal", json={}))
    status = data(api.get(f"/api/v2/leads/{lead['id']}/convert/status/{job['conversion_id']}"))
    [item] = _items(api.get("/api/v2/itemSearch", params={"term": "pelican"}))
    assert (
        item["type"] == "deal" and item["id"] == status["deal_id"] and item["notes"] == ["Talked about pelican crates"]
    )


def test_a_duplicated_product_is_found(api):
    product = data(api.post("/api/v2/products", json={"name": "Sprocket"}), 201)
    copy = data(api.post(f"/api/v2/products/{product['id']}/duplicate"), 201)
    found = _ids(api.get("/api/v2/products/search", params={"term": "sprocket"}), "product")
    assert sorted(found) == sorted([product["id"], copy["id"]])


def test_a_merge_leaves_the_survivor_with_the_absorbed_items_notes(api):
    keeper = make_person(api, name="Merge Keeper")
    gone = make_person(api, name="Merge Gone")
    data(api.post("/v1/notes", json={"content": "walrus tusk", "person_id": gone["id"]}))
    data(api.put(f"/v1/persons/{gone['id']}/merge", json={"merge_with_id": keeper["id"]}))
    assert _ids(api.get("/api/v2/persons/search", params={"term": "walrus"}), "person") == [keeper["id"]]
    assert _ids(api.get("/api/v2/persons/search", params={"term": "merge gone"}), "person") == []


def test_a_deleted_custom_field_is_searched_no_more(api):
    field = make_field(api, "deal", "text")
    deal = make_deal(api, title="Field owner", custom_fields={field["field_code"]: "Obsidian tower"})
    lead = make_lead(api, title="Lead with a value")
    data(api.patch(f"/v1/leads/{lead['id']}", json={field["field_code"]: "Obsidian lead"}))
    found = {(i["type"], i["id"]) for i in _items(api.get("/api/v2/itemSearch", params={"term": "obsidian"}))}
    assert found == {("deal", deal["id"]), ("lead", lead["id"])}
    data(api.delete(f"/api/v2/dealFields/{field['field_code']}"))
    assert _items(api.get("/api/v2/itemSearch", params={"term": "obsidian"})) == []
    assert _ids(api.get("/api/v2/deals/search", params={"term": "field owner"})) == [deal["id"]]


def test_each_item_type_is_shown_whole(api):
    """Each item type's result item, every key (``domain/search.py``: its presenter)."""
    org = make_org(api, name="Vega Works", address={"value": "7 Star Road"})
    person = make_person(
        api,
        name="Vera Vega",
        org_id=org["id"],
        emails=[{"value": "vera@vega.test", "primary": True}],
        phones=[{"value": "555 0199", "primary": True}],
    )
    deal = make_deal(api, title="Vega launch", value=250, person_id=person["id"], org_id=org["id"])
    stage = data(api.get(f"/api/v2/stages/{deal['stage_id']}"))
    lead = make_lead(api, title="Vega lead", value={"amount": 40, "currency": "EUR"}, person_id=person["id"])
    product = data(
        api.post("/api/v2/products", json={"name": "Vega kit", "prices": [{"currency": "EUR", "price": 9}]}), 201
    )
    upload = api.post("/v1/files", files={"file": ("vega.txt", b"v", "text/plain")}, data={"deal_id": str(deal["id"])})
    file = data(upload)
    project = data(
        api.post("/api/v2/projects", json={"title": "Vega rollout", "deal_ids": [deal["id"]], "org_ids": [org["id"]]}),
        201,
    )
    params = {"term": "vega", "include_fields": "deal.cc_email,person.picture,product.price"}
    items = {i["type"]: i for i in _items(api.get("/v1/itemSearch", params=params))}
    vega_works = {"id": org["id"], "name": "Vega Works", "address": "7 Star Road"}
    vera = {"id": person["id"], "name": "Vera Vega"}
    no_hits = {"custom_fields": [], "notes": []}
    assert items == {
        "deal": {
            "id": deal["id"],
            "type": "deal",
            "title": "Vega launch",
            "value": 250,
            "currency": deal["currency"],
            "status": "open",
            "visible_to": deal["visible_to"],
            "owner": {"id": 1},
            "stage": {"id": stage["id"], "name": stage["name"]},
            "person": vera,
            "organization": vega_works,
            **no_hits,
            "is_archived": False,
            "cc_email": f"acme+deal{deal['id']}@pipedrivemail.com",
        },
        "person": {
            "id": person["id"],
            "type": "person",
            "name": "Vera Vega",
            "phones": ["555 0199"],
            "emails": ["vera@vega.test"],
            "visible_to": person["visible_to"],
            "owner": {"id": 1},
            "organization": vega_works,
            **no_hits,
            "picture": None,
        },
        "organization": {
            "id": org["id"],
            "type": "organization",
            "name": "Vega Works",
            "address": "7 Star Road",
            "visible_to": org["visible_to"],
            "owner": {"id": 1},
            **no_hits,
        },
        "product": {
            "id": product["id"],
            "type": "product",
            "name": "Vega kit",
            "code": None,
            "visible_to": product["visible_to"],
            "owner": {"id": 1},
            "custom_fields": [],
            "prices": [{"currency": "EUR", "price": 9}],
        },
        "lead": {
            "id": lead["id"],
            "type": "lead",
            "title": "Vega lead",
            "owner": {"id": 1},
            "person": vera,
            "organization": None,
            "phones": ["555 0199"],
            "emails": ["vera@vega.test"],
            **no_hits,
            "value": 40,
            "currency": "EUR",
            "visible_to": int(lead["visible_to"]),  # v1's lead shows it as a string
            "is_archived": False,
        },
        "file": {
            "id": file["id"],
            "type": "file",
            "name": "vega.txt",
            "url": f"/files/{file['id']}/download",
            "deal": {"id": deal["id"]},
            "person": None,
            "organization": None,
        },
        "project": {
            "id": project["id"],
            "type": "project",
            "title": "Vega rollout",
            "status": project["status"],
            "owner": {"id": 1},
            "board_id": project["board_id"],
            "phase": {"id": project["phase_id"], "name": "Planning"},
            "person": None,
            "organization": {"id": org["id"], "name": "Vega Works", "address": "7 Star Road"},
            "deal": {"id": deal["id"], "title": "Vega launch"},
            "deal_count": 1,
            "end_date": None,
            **no_hits,
        },
    }
    [seen] = _items(api.get("/v1/leads/search", params={"term": "vega", "include_fields": "lead.was_seen"}))
    assert seen == {**items["lead"], "was_seen": False}


def test_each_search_names_the_values_it_takes(api):
    """Pipedrive's order of each search's ``fields`` and ``include_fields`` in its 400."""
    for url, expected in (
        ("/v1/persons/search", "custom_fields, email, notes, phone, name"),
        ("/api/v2/organizations/search", "address, custom_fields, notes, name"),
        ("/api/v2/products/search", "code, custom_fields, name"),
        ("/api/v2/projects/search", "custom_fields, notes, title, description"),
        ("/v1/itemSearch", "address, code, custom_fields, email, name, notes, phone, title, description"),
    ):
        message = error(api.get(url, params={"term": "vega", "fields": "nope"}), 400)
        assert message == f"Invalid 'fields' parameter: must be one or more of {expected}"
    message = error(api.get("/api/v2/itemSearch", params={"term": "vega", "include_fields": "lead.was_seen"}), 400)
    assert message.endswith("must be one or more of deal.cc_email, person.picture, product.price")
    message = error(api.get("/v1/deals/search", params={"term": "vega", "status": "gone"}), 400)
    assert message == "Invalid 'status' parameter: must be one of open, won, lost"
    message = error(
        api.get("/v1/itemSearch/field", params={"term": "vega", "field_type": "x", "field_key": "title"}), 400
    )
    assert message.endswith(
        "must be one of dealField, leadField, personField, organizationField, productField, projectField"
    )
    message = error(
        api.get("/api/v2/itemSearch/field", params={"term": "vega", "entity_type": "file", "field": "name"}), 400
    )
    assert message.endswith("must be one of deal, lead, person, organization, product, project")
