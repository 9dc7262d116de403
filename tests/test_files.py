"""Files (classic v1): uploads, downloads, remote links, per-item lists; person pictures."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from factories import data, error, make_deal, make_org, make_person, refused
from sqlalchemy import select

from dealbase.domain.registry import ENTITIES
from dealbase.store import blobs
from dealbase.store.tables import change_events

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def upload(api, content: bytes = b"hello, world\n", name: str = "notes.txt", kind: str = "text/plain", **fields):
    return api.post("/v1/files", files={"file": (name, content, kind)}, data={k: str(v) for k, v in fields.items()})


def make_file(api, **fields):
    return data(upload(api, **fields))


def download(api, file_id: int):
    return api.client.get(f"/v1/files/{file_id}/download", headers={"x-api-token": api.token})


def files_count(api, kind: str, item_id: int) -> int:
    return data(api.get(f"/v1/{kind}/{item_id}"))["files_count"]


def test_upload_then_download_the_same_bytes(api, files_dir):
    deal = make_deal(api, title="Big one")
    content = bytes(range(256)) * 1000
    made = make_file(api, content=content, name="report 2024.pdf", kind="application/pdf", deal_id=deal["id"])
    assert made["name"] == "report 2024.pdf" and made["file_type"] == "pdf" and made["file_size"] == len(content)
    assert made["file_name"].startswith("report 2024_") and made["file_name"].endswith(".pdf")
    assert made["deal_id"] == deal["id"] and made["deal_name"] == "Big one" and made["person_name"] is None
    assert made["active_flag"] is True and made["inline_flag"] is False and made["remote_location"] is None
    assert made["url"].endswith(f"/v1/files/{made['id']}/download")
    assert made["user_id"] == data(api.get("/v1/users/me"))["id"]
    assert data(api.get(f"/v1/files/{made['id']}")) == made
    got = download(api, made["id"])
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith('attachment; filename="report 2024.pdf"')
    assert len(list(files_dir.rglob("*"))) == 2  # the company's folder and the one file


def test_uploads_count_on_their_items_and_list_per_item(api):
    org = make_org(api, name="Acme")
    person = make_person(api, name="Pat", org_id=org["id"])
    deal = make_deal(api, person_id=person["id"])
    a = make_file(api, deal_id=deal["id"], person_id=person["id"])
    b = make_file(api, name="pic.png", kind="image/png", content=PNG, org_id=org["id"], person_id=person["id"])
    assert b["file_type"] == "img" and b["org_name"] == "Acme" and b["person_name"] == "Pat"
    assert files_count(api, "deals", deal["id"]) == 1
    assert files_count(api, "persons", person["id"]) == 2
    assert files_count(api, "organizations", org["id"]) == 1
    v2 = data(api.get(f"/api/v2/persons/{person['id']}", params={"include_fields": "files_count"}))
    assert v2["files_count"] == 2

    def ids(url, **params):
        return [f["id"] for f in data(api.get(url, params=params)) or []]

    assert ids(f"/v1/deals/{deal['id']}/files") == [a["id"]]
    assert ids(f"/v1/persons/{person['id']}/files") == [a["id"], b["id"]]
    assert ids(f"/v1/persons/{person['id']}/files", sort="id DESC") == [b["id"], a["id"]]
    assert ids(f"/v1/organizations/{org['id']}/files") == [b["id"]]
    assert ids("/v1/files") == [a["id"], b["id"]]
    page = api.get("/v1/files", params={"limit": 1}).json()
    assert page["additional_data"]["pagination"]["next_start"] == 1 and len(page["data"]) == 1
    assert api.get("/v1/files", params={"limit": 1000}).json()["additional_data"]["pagination"]["limit"] == 100
    error(api.get("/v1/deals/999999/files"), 404)
    error(api.get("/v1/files", params={"sort": "blob_key ASC"}), 400)


def test_update_renames_and_describes_only(api):
    deal, other = make_deal(api), make_deal(api)
    made = make_file(api, deal_id=deal["id"])
    changed = data(api.put(f"/v1/files/{made['id']}", data={"name": "Renamed.txt", "description": "Minutes"}))
    assert changed["name"] == "Renamed.txt" and changed["description"] == "Minutes"
    assert changed["file_name"] == made["file_name"] and changed["update_time"] >= made["update_time"]
    ignored = data(api.put(f"/v1/files/{made['id']}", json={"deal_id": other["id"], "file_size": 1}))
    assert ignored["deal_id"] == deal["id"] and ignored["file_size"] == made["file_size"]
    assert "name" in error(api.put(f"/v1/files/{made['id']}", data={"name": ""}), 400)
    error(api.put("/v1/files/999999", data={"name": "x"}), 404)
    assert download(api, made["id"]).headers["content-disposition"].startswith('attachment; filename="Renamed.txt"')


def test_delete_is_soft_and_removes_the_contents(api, files_dir):
    deal = make_deal(api)
    made = make_file(api, deal_id=deal["id"])
    assert api.delete(f"/v1/files/{made['id']}").json() == {"success": True, "data": {"id": made["id"]}}
    assert [p for p in files_dir.rglob("*") if p.is_file()] == []
    assert files_count(api, "deals", deal["id"]) == 0
    gone = data(api.get(f"/v1/files/{made['id']}"))
    assert gone["active_flag"] is False and gone["url"] == made["url"]
    assert data(api.get("/v1/files")) is None
    listed = data(api.get("/v1/files", params={"include_deleted_files": 1}))
    assert [f["id"] for f in listed] == [made["id"]]
    assert download(api, made["id"]).status_code == 404
    error(api.delete(f"/v1/files/{made['id']}"), 404)


def test_bad_uploads_write_nothing(api, files_dir, other_api):
    deal = make_deal(api)
    assert "file" in error(api.post("/v1/files", data={"deal_id": str(deal["id"])}), 400)
    assert "file" in error(api.post("/v1/files", json={"deal_id": deal["id"]}), 400)
    assert "attached" in error(upload(api), 400)
    assert "deal_id" in error(upload(api, deal_id=999999), 400)
    assert "deal_id" in error(upload(api, deal_id="abc"), 400)
    assert "lead_id" in error(upload(api, lead_id="not-a-uuid"), 400)
    assert "note_id" in error(upload(api, note_id=999999), 400)
    # Another company's deal is not there for it.
    assert "deal_id" in error(upload(other_api, deal_id=deal["id"]), 400)
    assert data(api.get("/v1/files")) is None
    assert [p for p in files_dir.rglob("*") if p.is_file()] == []
    assert files_count(api, "deals", deal["id"]) == 0


def test_the_size_cap(client, app, api, files_dir):
    deal = make_deal(api)
    app.settings.max_upload_bytes = 1000
    assert data(upload(api, content=b"x" * 1000, deal_id=deal["id"]))["file_size"] == 1000
    assert "1000 bytes" in error(upload(api, content=b"x" * 1001, deal_id=deal["id"]), 413)
    assert error(upload(api, content=b"x" * 200_000, deal_id=deal["id"]), 413)
    assert len(data(api.get("/v1/files"))) == 1
    assert len([p for p in files_dir.rglob("*") if p.is_file()]) == 1


def test_attach_to_notes_leads_and_other_families(lead_id, api):
    deal = make_deal(api)
    note = data(api.post("/v1/notes", json={"content": "see file", "deal_id": deal["id"]}))
    on_note = make_file(api, note_id=note["id"])
    assert on_note["note_id"] == note["id"] and on_note["deal_id"] is None
    on_lead = make_file(api, lead_id=lead_id)
    assert on_lead["lead_id"] == lead_id
    if "activity" not in ENTITIES:  # activities are another family's: stored as given until then
        assert make_file(api, activity_id=12345)["activity_id"] == 12345
    if "product" not in ENTITIES:
        assert make_file(api, product_id=54321)["product_id"] == 54321


def test_another_companys_files_are_out_of_reach(api, other_api):
    made = make_file(api, deal_id=make_deal(api)["id"])
    error(other_api.get(f"/v1/files/{made['id']}"), 404)
    assert download(other_api, made["id"]).status_code == 404
    error(other_api.put(f"/v1/files/{made['id']}", data={"name": "x"}), 404)
    error(other_api.delete(f"/v1/files/{made['id']}"), 404)
    assert data(other_api.get("/v1/files")) is None
    assert download(api, made["id"]).status_code == 200


def test_remote_files(api):
    deal, org = make_deal(api, title="Remote deal"), make_org(api)
    form = {"file_type": "gdoc", "title": "Proposal", "item_type": "deal", "item_id": str(deal["id"])}
    made = data(api.post("/v1/files/remote", data={**form, "remote_location": "googledrive"}))
    assert made["name"] == "Proposal" and made["file_type"] == "gdoc" and made["remote_location"] == "googledrive"
    assert made["deal_id"] == deal["id"] and made["deal_name"] == "Remote deal" and made["url"] is None
    linked = data(
        api.post(
            "/v1/files/remoteLink",
            data={
                "item_type": "organization",
                "item_id": str(org["id"]),
                "remote_id": "1AbC",
                "remote_location": "googledrive",
            },
        )
    )
    assert linked["remote_id"] == "1AbC" and linked["org_id"] == org["id"]
    assert files_count(api, "deals", deal["id"]) == 1 and files_count(api, "organizations", org["id"]) == 1
    assert download(api, made["id"]).status_code == 404
    for bad in (
        {**form, "remote_location": "dropbox"},
        {**form, "remote_location": "googledrive", "file_type": "pdf"},
        {**form, "remote_location": "googledrive", "item_type": "product"},
        {**form, "remote_location": "googledrive", "item_id": "999999"},
        {**form, "remote_location": "googledrive", "title": ""},
    ):
        error(api.post("/v1/files/remote", data=bad), 400)
    error(api.post("/v1/files/remoteLink", data={"item_type": "deal", "item_id": str(deal["id"])}), 400)
    assert len(data(api.get("/v1/files"))) == 2


def test_product_files_follow_the_products_family(api):
    response = api.get("/v1/products/1/files")
    if "product" in ENTITIES:
        assert response.status_code == 404
    else:
        assert response.status_code == 501


# -- person pictures -----------------------------------------------------------------------


def add_picture(api, person_id: int, content: bytes = PNG, name: str = "me.png", **crop):
    return api.post(
        f"/v1/persons/{person_id}/picture",
        files={"file": (name, content, "image/png")},
        data={k: str(v) for k, v in crop.items()},
    )


def test_person_picture_add_get_and_delete(api, client):
    person = make_person(api)
    assert data(api.get(f"/v1/persons/{person['id']}"))["picture_id"] is None
    assert data(api.get(f"/api/v2/persons/{person['id']}"))["picture_id"] is None
    made = data(add_picture(api, person["id"], crop_x=0, crop_y=0, crop_width=10, crop_height=10))
    assert made["item_type"] == "person" and made["item_id"] == person["id"] and made["active_flag"] is True
    assert made["added_by_user_id"] == data(api.get("/v1/users/me"))["id"]
    url = made["pictures"]["128"]
    assert url and made["pictures"]["512"] == url
    got = client.get(urlsplit(url).path)
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    v1 = data(api.get(f"/v1/persons/{person['id']}"))
    assert v1["picture_id"] == made
    assert data(api.get(f"/api/v2/persons/{person['id']}"))["picture_id"] == made["id"]
    v2 = data(api.get(f"/api/v2/persons/{person['id']}/picture"))
    assert v2["id"] == made["id"] and v2["file_size"] == len(PNG) and v2["pictures"] == made["pictures"]
    # A new picture replaces the old one, whose image is gone.
    newer = data(add_picture(api, person["id"], content=PNG[::-1], name="new.jpg"))
    assert newer["id"] != made["id"]
    assert client.get(urlsplit(url).path).status_code == 404
    assert data(api.get(f"/api/v2/persons/{person['id']}"))["picture_id"] == newer["id"]
    assert api.delete(f"/v1/persons/{person['id']}/picture").json() == {"success": True, "data": {"id": newer["id"]}}
    assert data(api.get(f"/v1/persons/{person['id']}"))["picture_id"] is None
    error(api.get(f"/api/v2/persons/{person['id']}/picture"), 404)
    error(api.delete(f"/v1/persons/{person['id']}/picture"), 404)


def test_a_picture_link_that_could_not_be_a_stored_key_is_404(api, client, files_dir):
    made = data(add_picture(api, make_person(api)["id"]))
    company, key = urlsplit(made["pictures"]["128"]).path.rsplit("/", 2)[-2:]
    token = key.partition(".")[0]
    stored = sorted(files_dir.rglob("*"))
    bad = [
        f"{company}/{'a' * 4100}.png",  # longer than a file name may be: was a 500
        f"{company}/{token}.{'p' * 4100}.png",
        f"{'1' * 4000}/{key}",
        f"{'1' * 5000}/{key}",
        f"{company}/{token.upper()}.png",
        f"{company}/{token}x.png",
        f"{company}/{token}.PNG",
        f"{company}/.{key}.part",
        f"{company}/{token}%00.png",
        f"{company}/%2e%2e%2f{company}%2f{key}",
        f"{company}/..%2f..%2f{company}%2f{key}",
        f"%2e%2e/{company}/{key}",
        f"0{company}/{key}",
        f"%C2%B2/{key}",  # a digit to str.isdigit, not to int()
        f"-{company}/{key}",
    ]
    for name in bad:
        refused(client.get(f"/_dealbase/blobs/{name}"), "Not found", 404)
    assert sorted(files_dir.rglob("*")) == stored
    assert client.get(f"/_dealbase/blobs/{company}/{key}").content == PNG


def test_every_key_the_store_makes_reads_back(files_dir):
    for suffix in ("", "PNG", "tar.gz", "Ünïcödé-name", "x" * 40):
        key = blobs.put(str(files_dir), 1, b"bytes", suffix)
        assert blobs.read(str(files_dir), 1, key) == b"bytes" and blobs.read(str(files_dir), "1", key) == b"bytes"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "doc.pdf"},
        {"crop_x": -1},
        {"crop_width": 0},
        {"crop_y": "abc"},
    ],
)
def test_bad_pictures_are_400(api, kwargs):
    person = make_person(api)
    error(add_picture(api, person["id"], **kwargs), 400)
    assert data(api.get(f"/api/v2/persons/{person['id']}"))["picture_id"] is None


def test_pictures_of_missing_or_foreign_persons(api, other_api):
    person = make_person(api)
    error(add_picture(api, 999999), 404)
    error(add_picture(other_api, person["id"]), 404)
    data(add_picture(api, person["id"]))
    error(other_api.get(f"/api/v2/persons/{person['id']}/picture"), 404)
    error(other_api.delete(f"/v1/persons/{person['id']}/picture"), 404)
    assert "file" in error(api.post(f"/v1/persons/{person['id']}/picture", data={"crop_x": "1"}), 400)


def test_every_write_records_a_change_event(api, engine):
    deal, person = make_deal(api), make_person(api)
    note = data(api.post("/v1/notes", json={"content": "n", "deal_id": deal["id"]}))
    comment = data(api.post(f"/v1/notes/{note['id']}/comments", json={"content": "c"}))
    data(api.put(f"/v1/notes/{note['id']}/comments/{comment['uuid']}", json={"content": "d"}))
    made = make_file(api, deal_id=deal["id"])
    data(api.put(f"/v1/files/{made['id']}", data={"name": "x.txt"}))
    api.delete(f"/v1/files/{made['id']}")
    data(add_picture(api, person["id"]))
    api.delete(f"/v1/notes/{note['id']}")
    with engine.connect() as conn:
        rows = conn.execute(select(change_events).order_by(change_events.c.id)).mappings().all()
    mine = ("note", "note_comment", "file", "picture", "person")  # not the deal's, nor its followers'
    events = [(r["entity"], r["action"]) for r in rows if r["entity"] in mine][1:]  # after the person
    assert events == [
        ("note", "create"),
        ("note_comment", "create"),
        ("note_comment", "change"),
        ("file", "create"),
        ("file", "change"),
        ("file", "delete"),
        ("picture", "create"),
        ("person", "change"),
        ("note", "delete"),
    ]
