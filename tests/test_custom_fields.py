"""Custom fields: the fields APIs (v1 and v2) and custom values on deals, persons and
organizations in both versions."""

from __future__ import annotations

import re

import pytest
from factories import data, error, make_deal, make_field, make_org, make_person, refused

HEX40 = re.compile(r"^[0-9a-f]{40}$")


def _deal_fields(api):
    code = {}
    code["money"] = make_field(api, field_type="monetary", field_name="Budget")
    code["tier"] = make_field(api, field_type="enum", options=[{"label": "Gold"}, {"label": "Silver"}])
    code["tags"] = make_field(api, field_type="set", options=[{"label": "A"}, {"label": "B"}, {"label": "C"}])
    code["due"] = make_field(api, field_type="date")
    code["note"] = make_field(api, field_type="varchar")
    return code


def test_a_v2_field_is_listed_by_v1_with_id_and_key(api):
    made = make_field(api, field_type="enum", field_name="Tier", options=[{"label": "Gold"}, {"label": "Silver"}])
    assert HEX40.match(made["field_code"])
    assert made["field_name"] == "Tier" and made["field_type"] == "enum" and made["is_custom_field"] is True
    assert [o["label"] for o in made["options"]] == ["Gold", "Silver"]
    listed = data(api.get("/v1/dealFields"))
    by_key = {f["key"]: f for f in listed}
    field = by_key[made["field_code"]]
    assert field["name"] == "Tier" and field["edit_flag"] is True and isinstance(field["id"], int)
    assert field["options"] == made["options"]
    assert data(api.get(f"/v1/dealFields/{field['id']}")) == field
    for system in ("title", "value", "currency", "stage_id", "status"):
        assert by_key[system]["edit_flag"] is False
    assert by_key["value"]["field_type"] == "monetary"


def test_a_v1_field_is_listed_by_v2(api):
    made = data(api.post("/v1/dealFields", json={"name": "Region", "field_type": "varchar"}))
    assert made["edit_flag"] is True and HEX40.match(made["key"])
    got = data(api.get(f"/api/v2/dealFields/{made['key']}"))
    assert got == {
        "field_name": "Region",
        "field_code": made["key"],
        "description": "",
        "field_type": "varchar",
        "options": None,
        "subfields": None,
        "is_custom_field": True,
        "is_optional_response_field": False,
    }
    codes = [f["field_code"] for f in data(api.get("/api/v2/dealFields"))]
    assert made["key"] in codes and "title" in codes


def test_v2_field_list_pages_with_a_cursor(api):
    make_field(api)
    seen, cursor = [], None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v2/dealFields", params=params).json()
        seen += [f["field_code"] for f in body["data"]]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            break
    everything = [f["field_code"] for f in data(api.get("/api/v2/dealFields", params={"limit": 500}))]
    assert seen == everything and len(set(seen)) == len(seen)


def test_monetary_field_has_subfields(api):
    made = make_field(api, field_type="monetary", field_name="Budget")
    assert [s["field_code"] for s in made["subfields"]] == ["value", "currency"]
    v1 = data(api.get("/v1/dealFields", params={"limit": 500}))
    field = next(f for f in v1 if f["key"] == made["field_code"])
    assert [s["key"] for s in field["subfields"]] == [f"{made['field_code']}_currency"]


def test_values_set_in_v2_read_back_in_both_versions(api):
    f = _deal_fields(api)
    gold, _silver = (o["id"] for o in f["tier"]["options"])
    a, b, _c = (o["id"] for o in f["tags"]["options"])
    custom = {
        f["money"]["field_code"]: {"value": 500, "currency": "EUR"},
        f["tier"]["field_code"]: gold,
        f["tags"]["field_code"]: [a, b],
        f["due"]["field_code"]: "2025-03-01",
        f["note"]["field_code"]: "hello",
    }
    deal = make_deal(api, custom_fields=custom)
    assert deal["custom_fields"] == custom
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"] == custom
    v1 = data(api.get(f"/v1/deals/{deal['id']}"))
    money = f["money"]["field_code"]
    assert v1[money] == 500 and v1[f"{money}_currency"] == "EUR"
    assert v1[f["tier"]["field_code"]] == str(gold)
    assert v1[f["tags"]["field_code"]] == f"{a},{b}"
    assert v1[f["due"]["field_code"]] == "2025-03-01"
    assert v1[f["note"]["field_code"]] == "hello"
    listed = data(api.get("/v1/deals"))
    assert listed[0][money] == 500


def test_unset_fields_are_null_in_both_versions(api):
    f = _deal_fields(api)
    deal = make_deal(api)
    assert deal["custom_fields"] == {x["field_code"]: None for x in f.values()}
    v1 = data(api.get(f"/v1/deals/{deal['id']}"))
    money = f["money"]["field_code"]
    assert v1[money] is None and v1[f"{money}_currency"] is None
    only = data(api.get(f"/api/v2/deals/{deal['id']}", params={"custom_fields": money}))
    assert only["custom_fields"] == {money: None}


def test_values_set_in_v1_read_back_in_v2(api):
    f = _deal_fields(api)
    gold = f["tier"]["options"][0]["id"]
    a, _b, c = (o["id"] for o in f["tags"]["options"])
    money, tier, tags, due, note = (f[k]["field_code"] for k in ("money", "tier", "tags", "due", "note"))
    deal = data(
        api.post(
            "/v1/deals",
            data={
                "title": "Form deal",
                money: "750.5",
                tier: str(gold),
                tags: f"{a},{c}",
                due: "2025-04-02",
                note: "via form",
                "0123456789abcdef0123456789abcdef01234567": "ignored",
            },
        ),
        201,
    )
    assert deal[money] == 750.5 and deal[f"{money}_currency"] == "USD"
    got = data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"]
    assert got == {
        money: {"value": 750.5, "currency": "USD"},
        tier: gold,
        tags: [a, c],
        due: "2025-04-02",
        note: "via form",
    }
    changed = data(api.put(f"/v1/deals/{deal['id']}", json={f"{money}_currency": "EUR", note: ""}))
    assert changed[money] == 750.5 and changed[f"{money}_currency"] == "EUR" and changed[note] is None


def test_patch_changes_only_the_keys_sent(api):
    f = _deal_fields(api)
    money, note = f["money"]["field_code"], f["note"]["field_code"]
    deal = make_deal(api, custom_fields={money: {"value": 10}, note: "keep"})
    assert deal["custom_fields"][money] == {"value": 10, "currency": "USD"}
    patched = data(api.patch(f"/api/v2/deals/{deal['id']}", json={"custom_fields": {money: {"value": 20}}}))
    assert patched["custom_fields"][money] == {"value": 20, "currency": "USD"}
    assert patched["custom_fields"][note] == "keep"
    cleared = data(api.patch(f"/api/v2/deals/{deal['id']}", json={"custom_fields": {note: None}}))
    assert cleared["custom_fields"][note] is None and cleared["custom_fields"][money]["value"] == 20


def test_bad_custom_values_are_400(api):
    f = _deal_fields(api)
    money, tier, tags, due = (f[k]["field_code"] for k in ("money", "tier", "tags", "due"))
    unknown = "ab" * 20
    message = error(api.post("/api/v2/deals", json={"title": "x", "custom_fields": {unknown: 1}}), 400)
    assert message == f"Validation failed: custom_fields: unknown custom field '{unknown}'"
    message = error(api.post("/api/v2/deals", json={"title": "x", "custom_fields": {tier: 999999}}), 400)
    assert message == f"Validation failed: custom field '{tier}': option id 999999 does not exist"
    message = error(api.post("/api/v2/deals", json={"title": "x", "custom_fields": {money: {"value": "100"}}}), 400)
    assert message == f"Validation failed: custom field '{money}': must be a number"
    message = error(api.post("/api/v2/deals", json={"title": "x", "custom_fields": {tags: []}}), 400)
    assert tags in message
    message = error(api.post("/api/v2/deals", json={"title": "x", "custom_fields": {due: "01/02/2025"}}), 400)
    assert message == f"Validation failed: custom field '{due}': must be a date (YYYY-MM-DD)"
    assert data(api.get("/api/v2/deals")) == []


def test_deleting_a_field_removes_it_from_payloads(api):
    f = _deal_fields(api)
    note = f["note"]["field_code"]
    deal = make_deal(api, custom_fields={note: "gone soon"})
    deleted = data(api.delete(f"/api/v2/dealFields/{note}"))
    assert deleted["field_code"] == note
    assert note not in data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"]
    assert note not in data(api.get(f"/v1/deals/{deal['id']}"))
    assert note not in [x["key"] for x in data(api.get("/v1/dealFields", params={"limit": 500}))]
    error(api.get(f"/api/v2/dealFields/{note}"), 404)
    error(api.patch(f"/api/v2/deals/{deal['id']}", json={"custom_fields": {note: "x"}}), 400)
    updated = data(api.put(f"/v1/deals/{deal['id']}", json={note: "ignored", "title": "still works"}))
    assert updated["title"] == "still works" and note not in updated


def test_v1_field_crud_and_bulk_delete(api):
    made = data(api.post("/v1/dealFields", json={"name": "Size", "field_type": "enum", "options": [{"label": "S"}]}))
    small = made["options"][0]
    changed = data(api.put(f"/v1/dealFields/{made['id']}", json={"name": "Size!", "options": [small, {"label": "M"}]}))
    assert changed["name"] == "Size!" and [o["label"] for o in changed["options"]] == ["S", "M"]
    assert changed["options"][0] == small
    other = data(api.post("/v1/dealFields", json={"name": "Other", "field_type": "text"}))
    assert data(api.delete("/v1/dealFields", params={"ids": f"{made['id']},{other['id']}"})) == {
        "id": [made["id"], other["id"]]
    }
    error(api.get(f"/v1/dealFields/{made['id']}"), 404)
    error(api.delete(f"/v1/dealFields/{made['id']}"), 404)
    title_id = next(f["id"] for f in data(api.get("/v1/dealFields")) if f["key"] == "title")
    error(api.delete(f"/v1/dealFields/{title_id}"), 400)


def test_v2_field_update_and_options(api):
    made = make_field(api, field_type="set", options=[{"label": "Red"}])
    code = made["field_code"]
    renamed = data(api.patch(f"/api/v2/dealFields/{code}", json={"field_name": "Colours"}))
    assert renamed["field_name"] == "Colours"
    added = data(api.post(f"/api/v2/dealFields/{code}/options", json=[{"label": "Green"}, {"label": "Blue"}]))
    assert [o["label"] for o in added] == ["Green", "Blue"]
    red = made["options"][0]["id"]
    green, blue = (o["id"] for o in added)
    assert len({red, green, blue}) == 3
    assert data(api.patch(f"/api/v2/dealFields/{code}/options", json=[{"id": red, "label": "Crimson"}])) == [
        {"id": red, "label": "Crimson"}
    ]
    deal = make_deal(api, custom_fields={code: [red, blue]})
    assert data(api.delete(f"/api/v2/dealFields/{code}/options", json=[{"id": blue}])) == [
        {"id": blue, "label": "Blue"}
    ]
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"][code] == [red]
    error(api.delete(f"/api/v2/dealFields/{code}/options", json=[{"id": blue}]), 400)
    got = data(api.get(f"/api/v2/dealFields/{code}"))
    assert got["options"] == [{"id": red, "label": "Crimson"}, {"id": green, "label": "Green"}]


def test_option_ids_are_unique_in_the_company(api):
    first = make_field(api, field_type="enum", options=[{"label": "A"}, {"label": "B"}])
    second = make_field(api, entity="person", field_type="set", options=[{"label": "A"}])
    ids = [o["id"] for o in first["options"] + second["options"]]
    assert len(set(ids)) == 3


def test_another_companys_field_codes_are_unknown(api, other_api):
    mine = make_field(api)
    code = mine["field_code"]
    error(other_api.get(f"/api/v2/dealFields/{code}"), 404)
    message = error(other_api.post("/api/v2/deals", json={"title": "x", "custom_fields": {code: "v"}}), 400)
    assert code in message
    theirs = make_field(other_api)
    assert theirs["field_code"] != code
    assert code not in [f["field_code"] for f in data(other_api.get("/api/v2/dealFields"))]


def test_person_custom_fields(api):
    field = make_field(api, entity="person", field_type="double", field_name="Score")
    code = field["field_code"]
    person = make_person(api, custom_fields={code: 4.5})
    assert person["custom_fields"] == {code: 4.5}
    assert data(api.get(f"/v1/persons/{person['id']}"))[code] == 4.5
    updated = data(api.put(f"/v1/persons/{person['id']}", json={code: "7"}))
    assert updated[code] == 7
    assert data(api.get(f"/api/v2/persons/{person['id']}"))["custom_fields"] == {code: 7}
    assert code in [f["key"] for f in data(api.get("/v1/personFields"))]
    assert code not in [f["key"] for f in data(api.get("/v1/dealFields"))]
    message = error(api.post("/api/v2/deals", json={"title": "x", "custom_fields": {code: 1}}), 400)
    assert code in message


def test_organization_custom_fields(api):
    address = make_field(api, entity="organization", field_type="address", field_name="HQ")
    owner = make_field(api, entity="organization", field_type="user", field_name="Account manager")
    daterange = make_field(api, entity="organization", field_type="daterange", field_name="Contract")
    a, u, d = address["field_code"], owner["field_code"], daterange["field_code"]
    org = make_org(
        api,
        custom_fields={
            a: {"value": "1 Main St, Springfield", "locality": "Springfield"},
            u: 1,
            d: {"value": "2025-01-01", "until": "2025-12-31"},
        },
    )
    assert org["custom_fields"][a]["value"] == "1 Main St, Springfield"
    assert org["custom_fields"][a]["locality"] == "Springfield" and org["custom_fields"][a]["route"] is None
    assert org["custom_fields"][u] == 1
    v1 = data(api.get(f"/v1/organizations/{org['id']}"))
    assert v1[a] == "1 Main St, Springfield" and v1[f"{a}_locality"] == "Springfield" and v1[f"{a}_route"] is None
    assert v1[u] == 1 and v1[d] == "2025-01-01" and v1[f"{d}_until"] == "2025-12-31"
    message = error(api.patch(f"/api/v2/organizations/{org['id']}", json={"custom_fields": {u: 999}}), 400)
    assert message == f"Validation failed: custom field '{u}': User with id 999 not found"
    moved = data(api.put(f"/v1/organizations/{org['id']}", json={f"{d}_until": "2026-06-30"}))
    assert moved[d] == "2025-01-01" and moved[f"{d}_until"] == "2026-06-30"


def test_field_writes_record_change_events(api, engine):
    from sqlalchemy import select

    from dealbase.store.tables import change_events

    made = make_field(api)
    data(api.patch(f"/api/v2/dealFields/{made['field_code']}", json={"field_name": "Renamed"}))
    data(api.delete(f"/api/v2/dealFields/{made['field_code']}"))
    with engine.connect() as conn:
        rows = conn.execute(select(change_events).where(change_events.c.entity == "dealField")).mappings().all()
    assert [r["action"] for r in rows] == ["create", "change", "delete"]


def test_values_written_before_a_field_change_read_right_after_it(api):
    first = make_field(api, field_type="varchar")
    deal = make_deal(api, custom_fields={first["field_code"]: "kept"})
    second = make_field(api, field_type="double")
    got = data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"]
    assert got == {first["field_code"]: "kept", second["field_code"]: None}
    data(api.delete(f"/api/v2/dealFields/{first['field_code']}"))
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"] == {second["field_code"]: None}
    assert first["field_code"] not in data(api.get(f"/v1/deals/{deal['id']}"))
    updated = data(api.patch(f"/api/v2/deals/{deal['id']}", json={"custom_fields": {second["field_code"]: 2.5}}))
    assert updated["custom_fields"] == {second["field_code"]: 2.5}
    listed = data(api.get("/api/v2/deals"))
    assert listed[0]["custom_fields"] == {second["field_code"]: 2.5}


def test_include_option_labels_gives_enum_and_set_values_their_labels(api):
    enum = make_field(api, field_type="enum", options=[{"label": "Low"}, {"label": "High"}])
    tags = make_field(api, field_type="set", options=[{"label": "A"}, {"label": "B"}])
    low, high = (o["id"] for o in enum["options"])
    a, b = (o["id"] for o in tags["options"])
    deal = make_deal(api, custom_fields={enum["field_code"]: high, tags["field_code"]: [a, b]})
    plain = data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"]
    assert plain[enum["field_code"]] == high and plain[tags["field_code"]] == [a, b]
    labelled = data(api.get(f"/api/v2/deals/{deal['id']}", params={"include_option_labels": "true"}))["custom_fields"]
    assert labelled[enum["field_code"]] == {"id": high, "label": "High"}
    assert labelled[tags["field_code"]] == [{"id": a, "label": "A"}, {"id": b, "label": "B"}]
    listed = data(api.get("/api/v2/deals", params={"include_option_labels": "true"}))[0]["custom_fields"]
    assert listed == labelled
    assert "include_option_labels" in error(api.get("/api/v2/deals", params={"include_option_labels": "maybe"}), 400)


def test_time_and_timerange_values_in_both_versions(api):
    at = make_field(api, "deal", "time")["field_code"]
    window = data(api.post("/v1/dealFields", json={"name": "Window", "field_type": "timerange"}))["key"]
    listed = {f["key"]: f for f in data(api.get("/v1/dealFields"))}
    assert listed[window]["field_type"] == "timerange"
    assert {s["id_suffix"] for s in listed[window]["subfields"]} == {"until", "timezone_id", "timezone_name"}

    body = {at: {"value": "09:30", "timezone_name": "Europe/Tallinn"}, window: {"value": "08:00", "until": "17:00"}}
    deal = data(api.post("/api/v2/deals", json={"title": "Times", "custom_fields": body}))
    tallinn = deal["custom_fields"][at]
    assert (tallinn["value"], tallinn["timezone_name"]) == ("09:30:00", "Europe/Tallinn")
    assert isinstance(tallinn["timezone_id"], int)
    # Without a zone: the acting user's (UTC here).
    assert deal["custom_fields"][window] == {
        "value": "08:00:00",
        "until": "17:00:00",
        "timezone_id": deal["custom_fields"][window]["timezone_id"],
        "timezone_name": "UTC",
    }

    v1 = data(api.get(f"/v1/deals/{deal['id']}"))
    assert (v1[at], v1[f"{at}_timezone_name"], v1[f"{at}_timezone_id"]) == (
        "09:30:00",
        "Europe/Tallinn",
        tallinn["timezone_id"],
    )
    assert (v1[window], v1[f"{window}_until"]) == ("08:00:00", "17:00:00")

    # v1 writes one subfield and keeps the rest; a zone by id replaces the zone.
    changed = data(api.put(f"/v1/deals/{deal['id']}", json={f"{window}_until": "18:15", f"{at}_timezone_id": 1}))
    assert (changed[window], changed[f"{window}_until"]) == ("08:00:00", "18:15:00")
    back = data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"]
    assert back[at]["value"] == "09:30:00" and back[at]["timezone_id"] == 1
    assert back[at]["timezone_name"] != "Europe/Tallinn"


@pytest.mark.parametrize(
    "value",
    [
        {"value": "25:00"},
        {"value": "9am"},
        {"value": "09:00", "timezone_name": "Mars/Olympus"},
        {"value": "09:00", "timezone_id": 0},
        "09:00",
    ],
)
def test_bad_time_values_are_400(api, value):
    at = make_field(api, "deal", "time")["field_code"]
    deal = make_deal(api)
    assert at in error(api.patch(f"/api/v2/deals/{deal['id']}", json={"custom_fields": {at: value}}), 400)
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"][at] is None


def test_a_timerange_needs_both_ends(api):
    window = make_field(api, "deal", "timerange")["field_code"]
    message = error(api.post("/api/v2/deals", json={"title": "x", "custom_fields": {window: {"value": "10:00"}}}), 400)
    assert "until" in message


# -- v2 settings: ui_visibility, important_fields, required_fields -------------------------

EVERY_SETTING = {"include_fields": "ui_visibility,important_fields,required_fields"}


BAD_SETTINGS = [
    (
        "person",
        {"ui_visibility": {"show_in_add_deal_dialog": {"show": {"x": 1}, "order": [None, None]}}},
        "ui_visibility.show_in_add_deal_dialog.show: must be a boolean",
    ),
    (
        "person",
        {"ui_visibility": {"show_in_add_deal_dialog": {"show": True, "order": [None, None]}}},
        "ui_visibility.show_in_add_deal_dialog.order: must be a non-negative integer or null",
    ),
    (
        "person",
        {"ui_visibility": {"show_in_add_deal_dialog": 1}},
        "ui_visibility.show_in_add_deal_dialog: must be an object",
    ),
    ("person", {"ui_visibility": []}, "ui_visibility: must be an object"),
    (
        "person",
        {"important_fields": {"stage_ids": [1, "2"]}},
        "important_fields.stage_ids[1]: must be a positive integer id",
    ),
    ("person", {"required_fields": {"enabled": "yes"}}, "required_fields.enabled: must be a boolean"),
    (
        "organization",
        {"ui_visibility": {"show_in_add_person_dialog": {"order": 2**64}}},
        "ui_visibility.show_in_add_person_dialog.order: must be a non-negative integer or null",
    ),
    (
        "deal",
        {"required_fields": {"enabled": True, "statuses": {"1": ["bogus"]}}},
        "required_fields.statuses.1[0]: must be one of won, lost",
    ),
    ("deal", {"required_fields": {"statuses": {"1": "won"}}}, "required_fields.statuses.1: must be an array"),
    (
        "deal",
        {"required_fields": {"statuses": {"x": ["won"]}}},
        "required_fields.statuses.x: the key must be a pipeline id",
    ),
    (
        "deal",
        {"required_fields": {"statuses": ["won"]}},
        "required_fields.statuses: must be an object of pipeline ids to arrays of statuses",
    ),
    (
        "deal",
        {"required_fields": {"statuses": {"999": ["won"]}}},
        "required_fields.statuses: Pipeline with id 999 not found",
    ),
    ("deal", {"required_fields": {"stage_ids": [True]}}, "required_fields.stage_ids[0]: must be a positive integer id"),
    ("deal", {"important_fields": {"stage_ids": [999]}}, "important_fields.stage_ids: Stage with id 999 not found"),
    (
        "deal",
        {"ui_visibility": {"show_in_pipelines": {"show_in_all": False, "pipeline_ids": [1.5]}}},
        "ui_visibility.show_in_pipelines.pipeline_ids[0]: must be a positive integer id",
    ),
    (
        "deal",
        {"ui_visibility": {"show_in_pipelines": {"pipeline_ids": [1, 999]}}},
        "ui_visibility.show_in_pipelines.pipeline_ids: Pipeline with id 999 not found",
    ),
    (
        "deal",
        {"ui_visibility": {"projects_detail_visible_flag": 1}},
        "ui_visibility.projects_detail_visible_flag: must be a boolean",
    ),
    ("product", {"ui_visibility": {"add_visible_flag": None}}, "ui_visibility.add_visible_flag: must be a boolean"),
    (
        "project",
        {"important_fields": {"enabled": True, "stage_ids": 3}},
        "important_fields.stage_ids: must be an array",
    ),
]


@pytest.mark.parametrize(("entity", "body", "message"), BAD_SETTINGS)
def test_v2_field_settings_out_of_shape_are_400_and_store_nothing(api, entity, body, message):
    made = make_field(api, entity=entity)
    url = f"/api/v2/{entity}Fields/{made['field_code']}"
    params = {"include_fields": "ui_visibility"} if entity == "product" else EVERY_SETTING
    before = data(api.get(url, params=params))
    refused(api.patch(url, json=body), f"Validation failed: {message}")
    assert data(api.get(url, params=params)) == before
    listed = data(api.get(f"/api/v2/{entity}Fields", params={"limit": 500}))
    refused(
        api.post(f"/api/v2/{entity}Fields", json={"field_name": "New", "field_type": "text", **body}),
        f"Validation failed: {message}",
    )
    assert data(api.get(f"/api/v2/{entity}Fields", params={"limit": 500})) == listed


def test_v2_field_settings_in_shape_are_stored_and_unknown_keys_dropped(api):
    pipeline = data(api.get("/api/v2/pipelines"))[0]["id"]
    stage = data(api.get("/api/v2/stages"))[0]["id"]
    made = make_field(api, entity="deal")
    url = f"/api/v2/dealFields/{made['field_code']}"
    body = {
        "ui_visibility": {
            "add_visible_flag": True,
            "show_in_pipelines": {"show_in_all": False, "pipeline_ids": [pipeline], "colour": "red"},
            "not_a_setting": {"x": 1},
        },
        "important_fields": {"enabled": True, "stage_ids": [stage], "why": 1},
        "required_fields": {"enabled": True, "statuses": {str(pipeline): ["won", "lost"]}},
    }
    answered = data(api.patch(url, json=body))
    expected = {
        "ui_visibility": {
            "add_visible_flag": True,
            "details_visible_flag": True,
            "show_in_pipelines": {"show_in_all": False, "pipeline_ids": [pipeline]},
        },
        "important_fields": {"enabled": True, "stage_ids": [stage]},
        "required_fields": {"enabled": True, "stage_ids": [], "statuses": {str(pipeline): ["won", "lost"]}},
    }
    assert {k: answered[k] for k in expected} == expected
    got = data(api.get(url, params=EVERY_SETTING))
    assert {k: got[k] for k in expected} == expected
    v1 = next(f for f in data(api.get("/v1/dealFields", params={"limit": 500})) if f["key"] == made["field_code"])
    assert (v1["add_visible_flag"], v1["important_flag"], v1["mandatory_flag"]) == (True, True, True)


def test_a_dialog_the_field_is_not_shown_in_has_no_order(api):
    made = make_field(api, entity="organization")
    url = f"/api/v2/organizationFields/{made['field_code']}"
    shown = {
        "show_in_add_deal_dialog": {"show": True, "order": 4},
        "show_in_add_person_dialog": {"show": False, "order": 2},
    }
    answered = data(api.patch(url, json={"ui_visibility": shown}))["ui_visibility"]
    assert answered["show_in_add_deal_dialog"] == {"show": True, "order": 4}
    assert answered["show_in_add_person_dialog"] == {"show": False, "order": None}


def test_product_fields_take_only_ui_visibility(api):
    made = make_field(api, entity="product")
    url = f"/api/v2/productFields/{made['field_code']}"
    answered = data(api.patch(url, json={"field_name": "Renamed", "important_fields": {"enabled": True}}))
    assert answered["field_name"] == "Renamed" and "important_fields" not in answered
    refused(
        api.get(url, params={"include_fields": "important_fields"}),
        "Invalid 'include_fields' parameter: unknown value(s) important_fields",
    )
    v1 = next(f for f in data(api.get("/v1/productFields", params={"limit": 500})) if f["key"] == made["field_code"])
    assert v1["important_flag"] is False
