"""Notes (classic v1 only), their comments and /v1/noteFields."""

from __future__ import annotations

import uuid

from conftest import Api
from factories import data, error, make_deal, make_org, make_person
from sqlalchemy import insert

from dealbase.clock import now
from dealbase.store.tables import api_tokens, users

MEMBER = "1111111111111111111111111111111111111111"


def make_note(api, **fields):
    return data(api.post("/v1/notes", json={"content": "A note", **fields}))


def count_of(api, kind: str, item_id: int) -> int:
    return data(api.get(f"/v1/{kind}/{item_id}"))["notes_count"]


def test_add_and_get_a_note_with_its_related_objects(api):
    org = make_org(api, name="Acme Ltd")
    person = make_person(api, name="Pat Doe", org_id=org["id"])
    deal = make_deal(api, title="Big one", person_id=person["id"], org_id=org["id"])
    html = '<p>Met <b>Pat</b> &amp; team</p><ul><li>price</li><li>terms</li></ul><a href="https://x.test/a">link</a>'
    note = make_note(
        api, content=html, deal_id=deal["id"], person_id=person["id"], org_id=org["id"], pinned_to_deal_flag=1
    )
    assert note["content"] == html.replace('">link', '" rel="noopener noreferrer">link')
    assert (note["deal_id"], note["person_id"], note["org_id"]) == (deal["id"], person["id"], org["id"])
    assert note["deal"] == {"title": "Big one"}
    assert note["person"] == {"name": "Pat Doe"} and note["organization"] == {"name": "Acme Ltd"}
    me = data(api.get("/v1/users/me"))
    assert note["user_id"] == me["id"] and note["last_update_user_id"] == me["id"]
    assert note["user"] == {"email": me["email"], "name": me["name"], "icon_url": me["icon_url"], "is_you": True}
    assert note["active_flag"] is True and note["pinned_to_deal_flag"] is True
    assert note["pinned_to_person_flag"] is False and note["lead_id"] is None
    assert len(note["add_time"]) == 19 and note["add_time"] == note["update_time"]
    again = data(api.get(f"/v1/notes/{note['id']}"))
    assert again == note


def test_content_is_sanitised_and_capped(api):
    deal = make_deal(api)
    note = make_note(
        api, deal_id=deal["id"], content='<p onclick="x()">Hi</p><script>alert(1)</script><style>p{}</style>'
    )
    assert note["content"] == "<p>Hi</p>"
    assert "content" in error(api.post("/v1/notes", json={"content": "<script>x</script>", "deal_id": deal["id"]}), 400)
    big = "<p>" + "x" * 100_000 + "</p>"
    assert "100000" in error(api.post("/v1/notes", json={"content": big, "deal_id": deal["id"]}), 400)
    near = "x" * 100_000
    assert data(api.post("/v1/notes", json={"content": near, "deal_id": deal["id"]}))["content"] == near
    assert count_of(api, "deals", deal["id"]) == 2


def test_a_note_needs_something_to_be_about(api):
    deal = make_deal(api)
    message = error(api.post("/v1/notes", json={"content": "Orphan"}), 400)
    assert "deal_id" in message and "lead_id" in message
    assert "content" in error(api.post("/v1/notes", json={"deal_id": deal["id"]}), 400)
    assert "pinned_to_person_flag" in error(
        api.post("/v1/notes", json={"content": "x", "deal_id": deal["id"], "pinned_to_person_flag": 1}), 400
    )
    assert "lead_id" in error(api.post("/v1/notes", json={"content": "x", "lead_id": "nope"}), 400)
    assert "deal_id" in error(api.post("/v1/notes", json={"content": "x", "deal_id": 999999}), 400)
    assert "deal_id" in error(api.post("/v1/notes", json={"content": "x", "deal_id": "abc"}), 400)
    note = make_note(api, deal_id=deal["id"])
    # Unlinking the only item is refused too.
    assert "a note must be attached" in error(api.put(f"/v1/notes/{note['id']}", json={"deal_id": None}), 400)
    assert data(api.get("/v1/notes")) == [note]


def test_lead_project_and_task_ids_are_kept_as_given(lead_id, api):
    note = make_note(api, lead_id=lead_id, pinned_to_lead_flag=1, project_id=7, task_id=9)
    assert note["lead_id"] == lead_id and note["project_id"] == 7 and note["task_id"] == 9
    assert data(api.get("/v1/notes", params={"lead_id": lead_id}))[0]["id"] == note["id"]
    assert data(api.get("/v1/notes", params={"project_id": 7}))[0]["id"] == note["id"]


def test_update_moves_the_note_and_the_counters_follow(api):
    first, second = make_deal(api), make_deal(api)
    person = make_person(api)
    note = make_note(api, deal_id=first["id"], person_id=person["id"], pinned_to_person_flag=1)
    assert count_of(api, "deals", first["id"]) == 1 and count_of(api, "persons", person["id"]) == 1
    moved = data(api.put(f"/v1/notes/{note['id']}", json={"deal_id": second["id"], "content": "<i>new</i>"}))
    assert moved["deal_id"] == second["id"] and moved["content"] == "<i>new</i>"
    assert moved["deal"] == {"title": second["title"]} and moved["pinned_to_person_flag"] is True
    assert count_of(api, "deals", first["id"]) == 0 and count_of(api, "deals", second["id"]) == 1
    unpinned = data(api.put(f"/v1/notes/{note['id']}", data={"person_id": "", "pinned_to_person_flag": "0"}))
    assert unpinned["person_id"] is None and unpinned["person"] is None
    assert count_of(api, "persons", person["id"]) == 0
    # v2 shows the stored counter on request.
    v2 = data(api.get(f"/api/v2/deals/{second['id']}", params={"include_fields": "notes_count"}))
    assert v2["notes_count"] == 1


def test_delete_answers_true_and_uncounts(api):
    org = make_org(api)
    note = make_note(api, org_id=org["id"])
    assert count_of(api, "organizations", org["id"]) == 1
    response = api.delete(f"/v1/notes/{note['id']}")
    assert response.json() == {"success": True, "data": True}
    assert count_of(api, "organizations", org["id"]) == 0
    error(api.get(f"/v1/notes/{note['id']}"), 404)
    error(api.delete(f"/v1/notes/{note['id']}"), 404)
    assert data(api.get("/v1/notes")) is None


def test_list_filters_sort_and_pages(api):
    deal, person = make_deal(api), make_person(api)
    a = make_note(api, deal_id=deal["id"], pinned_to_deal_flag=1, add_time="2024-01-05 10:00:00")
    b = make_note(api, deal_id=deal["id"], person_id=person["id"], add_time="2024-02-05 10:00:00")
    c = make_note(api, person_id=person["id"], content="zzz")

    def ids(**params):
        return [n["id"] for n in data(api.get("/v1/notes", params=params)) or []]

    assert ids() == [a["id"], b["id"], c["id"]]
    assert ids(deal_id=deal["id"]) == [a["id"], b["id"]]
    assert ids(person_id=person["id"]) == [b["id"], c["id"]]
    assert ids(deal_id=deal["id"], pinned_to_deal_flag=1) == [a["id"]]
    assert ids(deal_id=deal["id"], pinned_to_deal_flag=0) == [b["id"]]
    assert ids(start_date="2024-02-01", end_date="2024-02-05") == [b["id"]]
    assert ids(end_date="2024-01-31") == [a["id"]]
    assert ids(updated_since="2000-01-01T00:00:00Z") == [a["id"], b["id"], c["id"]]
    assert ids(updated_since="2999-01-01T00:00:00Z") == []
    assert ids(sort="content DESC") == [c["id"], a["id"], b["id"]]
    assert ids(sort="add_time DESC") == [c["id"], b["id"], a["id"]]
    me = data(api.get("/v1/users/me"))
    assert ids(user_id=me["id"]) == [a["id"], b["id"], c["id"]]
    page = api.get("/v1/notes", params={"limit": 2}).json()
    assert [n["id"] for n in page["data"]] == [a["id"], b["id"]]
    assert page["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 2,
        "more_items_in_collection": True,
        "next_start": 2,
    }
    assert ids(start=2, limit=2) == [c["id"]]
    error(api.get("/v1/notes", params={"sort": "secret DESC"}), 400)
    error(api.get("/v1/notes", params={"start_date": "yesterday"}), 400)
    error(api.get("/v1/notes", params={"pinned_to_deal_flag": "maybe"}), 400)


def _member(engine, company, client) -> tuple[int, Api]:
    """A second user of the company who is not an admin, and a client for them."""
    with engine.connect().execution_options(dealbase_write=True) as conn:
        user_id = conn.execute(
            insert(users)
            .values(
                company_id=company.company_id, name="Mo Member", email="mo@acme.test", is_admin=False, created=now()
            )
            .returning(users.c.id)
        ).scalar_one()
        conn.execute(
            insert(api_tokens).values(token=MEMBER, user_id=user_id, company_id=company.company_id, add_time=now())
        )
        conn.commit()
    return user_id, Api(client, MEMBER)


def test_only_an_admin_changes_the_author(api, engine, company, client):
    deal = make_deal(api)
    member_id, member = _member(engine, company, client)
    # The admin may write a note in another user's name.
    theirs = make_note(api, deal_id=deal["id"], user_id=member_id)
    assert theirs["user_id"] == member_id and theirs["user"]["is_you"] is False
    assert theirs["last_update_user_id"] == company.user_id
    assert "user_id" in error(api.post("/v1/notes", json={"content": "x", "deal_id": deal["id"], "user_id": 999}), 400)
    # A member writes as themself only.
    own = make_note(member, deal_id=deal["id"])
    assert own["user_id"] == member_id and own["user"]["is_you"] is True
    response = member.put(f"/v1/notes/{own['id']}", json={"user_id": company.user_id})
    assert error(response, 403) == "Only an admin can change the author of a note"
    edited = data(member.put(f"/v1/notes/{theirs['id']}", json={"content": "edited"}))
    assert edited["user_id"] == member_id and edited["last_update_user_id"] == member_id


def test_another_companys_notes_and_items_are_out_of_reach(api, other_api):
    deal = make_deal(api)
    note = make_note(api, deal_id=deal["id"])
    error(other_api.get(f"/v1/notes/{note['id']}"), 404)
    error(other_api.put(f"/v1/notes/{note['id']}", json={"content": "mine"}), 404)
    error(other_api.delete(f"/v1/notes/{note['id']}"), 404)
    assert "deal_id" in error(other_api.post("/v1/notes", json={"content": "x", "deal_id": deal["id"]}), 400)
    assert data(other_api.get("/v1/notes")) is None
    assert data(api.get(f"/v1/notes/{note['id']}"))["content"] == "A note"


def test_comments(api, other_api):
    deal = make_deal(api)
    note = make_note(api, deal_id=deal["id"])
    me = data(api.get("/v1/users/me"))
    made = data(api.post(f"/v1/notes/{note['id']}/comments", json={"content": "<b>Agreed</b><script>x</script>"}))
    assert uuid.UUID(made["uuid"]) and made["content"] == "<b>Agreed</b>"
    assert made["object_id"] == str(note["id"]) and made["object_type"] == "note"
    assert made["user_id"] == me["id"] and made["updater_id"] == me["id"] and made["company_id"] == me["company_id"]
    assert made["active_flag"] is True
    second = data(api.post(f"/v1/notes/{note['id']}/comments", data={"content": "Second"}))
    listed = api.get(f"/v1/notes/{note['id']}/comments").json()
    assert [c["uuid"] for c in listed["data"]] == [made["uuid"], second["uuid"]]
    assert listed["additional_data"]["pagination"]["more_items_in_collection"] is False
    url = f"/v1/notes/{note['id']}/comments/{made['uuid']}"
    assert data(api.get(url)) == made
    changed = data(api.put(url, json={"content": "Changed"}))
    assert changed["content"] == "Changed" and changed["uuid"] == made["uuid"]
    assert "content" in error(api.put(url, json={}), 400)
    assert api.delete(url).json() == {"success": True, "data": True}
    error(api.get(url), 404)
    assert [c["uuid"] for c in data(api.get(f"/v1/notes/{note['id']}/comments"))] == [second["uuid"]]
    # Wrong note, bad ids, no content, another company.
    other_note = make_note(api, deal_id=deal["id"])
    error(api.get(f"/v1/notes/{other_note['id']}/comments/{second['uuid']}"), 404)
    error(api.get(f"/v1/notes/{note['id']}/comments/not-a-uuid"), 400)
    error(api.post("/v1/notes/999999/comments", json={"content": "x"}), 404)
    assert "content" in error(api.post(f"/v1/notes/{note['id']}/comments", json={}), 400)
    error(other_api.get(f"/v1/notes/{note['id']}/comments/{second['uuid']}"), 404)
    error(other_api.post(f"/v1/notes/{note['id']}/comments", json={"content": "x"}), 404)
    assert data(api.get(f"/v1/notes/{other_note['id']}/comments")) is None


def test_note_fields(api):
    listed = api.get("/v1/noteFields").json()
    by_key = {f["key"]: f for f in listed["data"]}
    assert by_key["content"]["field_type"] == "text" and by_key["content"]["mandatory_flag"] is True
    assert by_key["content"]["name"] == "Content" and by_key["content"]["edit_flag"] is False
    assert by_key["deal_id"]["name"] == "Deal" and by_key["person_id"]["field_type"] == "people"
    assert by_key["org_id"]["field_type"] == "org" and by_key["lead_id"]["name"] == "Lead"
    assert by_key["user_id"]["field_type"] == "user"
    pinned = by_key["pinned_to_deal_flag"]
    assert pinned["field_type"] == "enum" and pinned["options"] == [{"id": 1, "label": "Yes"}, {"id": 0, "label": "No"}]
    assert "id" not in by_key and "is_deleted" not in by_key
    assert len({f["id"] for f in listed["data"]}) == len(listed["data"])
