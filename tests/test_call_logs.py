"""Call logs (``/v1/callLogs``): add, get, the caller's list, delete, and a recording's upload.

Pipedrive keeps each call log as a call activity (its "Calls" are activities too) and plays a
recording from a file; here the recording is a file of that activity, downloaded through
``/v1/files/{id}/download``."""

from __future__ import annotations

from itertools import count

from factories import data, make_deal, make_org, make_person, make_user
from support.rows import counts

from dealbase.store.tables import activities, call_logs, files

_tokens = (f"{n:040x}" for n in count(0xCA0000))
INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."
AUDIO = b"ID3\x03\x00" + bytes(range(256)) * 64


def _call(**body) -> dict:
    return {
        "to_phone_number": "+3725550100",
        "outcome": "connected",
        "start_time": "2026-03-02 10:00:00",
        "end_time": "2026-03-02 10:02:05",
        **body,
    }


def _add(api, **body) -> dict:
    return data(api.post("/v1/callLogs", json=_call(**body)))


def _refused(response, message: str, status: int = 400) -> None:
    """Call log refusals carry the longer error_info Pipedrive's call log errors show."""
    assert response.status_code == status, response.text
    assert response.json() == {
        "success": False,
        "error": message,
        "error_info": INFO,
        "data": None,
        "additional_data": None,
    }


def _record(api, log_id: str, content: bytes = AUDIO, name: str = "call.mp3"):
    return api.post(f"/v1/callLogs/{log_id}/recordings", files={"file": (name, content, "audio/mpeg")})


def _download(api, file_id: int):
    return api.client.get(f"/v1/files/{file_id}/download", headers={"x-api-token": api.token})


def test_a_call_log_is_added_with_its_activity_and_read_back(api):
    org = make_org(api, name="Acme")
    person = make_person(api, name="Pat", org_id=org["id"])
    deal = make_deal(api, title="Big one", person_id=person["id"], org_id=org["id"])
    log = _add(
        api,
        subject="Intro call",
        from_phone_number="+3725550199",
        deal_id=deal["id"],
        person_id=person["id"],
        org_id=org["id"],
        note="<p>Went well</p>",
    )
    assert len(log["id"]) == 32 and int(log["id"], 16) >= 0
    assert {k: v for k, v in log.items() if k not in ("id", "activity_id", "company_id")} == {
        "subject": "Intro call",
        "duration": "125",
        "outcome": "connected",
        "from_phone_number": "+3725550199",
        "to_phone_number": "+3725550100",
        "has_recording": False,
        "start_time": "2026-03-02T10:00:00.000Z",
        "end_time": "2026-03-02T10:02:05.000Z",
        "user_id": 1,
        "deal_id": deal["id"],
        "person_id": person["id"],
        "org_id": org["id"],
        "note": "<p>Went well</p>",
    }
    assert data(api.get(f"/v1/callLogs/{log['id']}")) == log

    activity = data(api.get(f"/v1/activities/{log['activity_id']}"))
    assert (activity["type"], activity["subject"], activity["done"]) == ("call", "Intro call", True)
    assert (activity["due_date"], activity["due_time"], activity["duration"]) == ("2026-03-02", "10:00", "00:03")
    assert (activity["deal_id"], activity["person_id"], activity["org_id"]) == (deal["id"], person["id"], org["id"])
    assert activity["note"] == "<p>Went well</p>"


def test_a_call_activity_becomes_a_call_log_with_its_items(api):
    person = make_person(api, name="Pat")
    activity = data(
        api.post("/v1/activities", json={"subject": "Ring Pat", "type": "call", "person_id": person["id"]}), 201
    )
    log = _add(api, activity_id=activity["id"], duration="42", deal_id=None)
    assert (log["activity_id"], log["person_id"], log["duration"]) == (activity["id"], person["id"], "42")
    assert "deal_id" not in log and "subject" not in log
    changed = data(api.get(f"/v1/activities/{activity['id']}"))
    assert (changed["subject"], changed["done"], changed["due_date"]) == ("Ring Pat", True, "2026-03-02")

    _refused(
        api.post("/v1/callLogs", json=_call(activity_id=activity["id"])),
        '"activity_id" refers to an activity that is already a call log.',
    )
    meeting = data(api.post("/v1/activities", json={"subject": "Lunch", "type": "meeting"}), 201)
    _refused(
        api.post("/v1/callLogs", json=_call(activity_id=meeting["id"])),
        '"activity_id" must refer to an activity of type call.',
    )


def test_the_list_is_the_callers_own_in_pages_of_at_most_fifty(api, client, engine):
    from conftest import Api

    token = next(_tokens)
    other_id = make_user(engine, token=token)
    other = Api(client, token)
    mine = [_add(api, to_phone_number=f"+37255501{n:02d}")["id"] for n in range(3)]
    theirs = _add(other)
    assert theirs["user_id"] == other_id

    page = api.get("/v1/callLogs", params={"limit": 2}).json()
    assert [log["id"] for log in page["data"]] == mine[:2]
    assert page["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 2,
        "more_items_in_collection": True,
        "next_start": 2,
    }
    rest = api.get("/v1/callLogs", params={"start": 2, "limit": 500}).json()
    assert [log["id"] for log in rest["data"]] == mine[2:]
    assert rest["additional_data"]["pagination"] == {"start": 2, "limit": 50, "more_items_in_collection": False}
    assert [log["id"] for log in data(other.get("/v1/callLogs"))] == [theirs["id"]]


def test_a_recording_is_stored_as_a_file_and_downloads_the_same_bytes(api, files_dir):
    person = make_person(api, name="Pat")
    log = _add(api, person_id=person["id"])
    response = _record(api, log["id"])
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert data(api.get(f"/v1/callLogs/{log['id']}"))["has_recording"] is True

    activity = data(api.get(f"/v1/activities/{log['activity_id']}"))
    recording = activity["file"]
    assert recording["clean_name"] == "call.mp3"
    assert recording["url"].endswith(f"/v1/files/{recording['id']}/download")
    file = data(api.get(f"/v1/files/{recording['id']}"))
    assert (file["activity_id"], file["person_id"], file["file_type"], file["file_size"]) == (
        log["activity_id"],
        person["id"],
        "audio",
        len(AUDIO),
    )
    downloaded = _download(api, recording["id"])
    assert downloaded.status_code == 200 and downloaded.content == AUDIO

    _refused(_record(api, log["id"], b"again"), "A recording for this call already exists", 409)
    assert data(api.get(f"/v1/files/{recording['id']}"))["file_size"] == len(AUDIO)


def test_deleting_a_call_log_deletes_its_recording_not_its_activity(api, files_dir):
    log = _add(api)
    _record(api, log["id"])
    file_id = data(api.get(f"/v1/activities/{log['activity_id']}"))["file"]["id"]
    response = api.delete(f"/v1/callLogs/{log['id']}")
    assert (response.status_code, response.json()) == (200, {"success": True})
    _refused(api.get(f"/v1/callLogs/{log['id']}"), "A resource required for this operation was not found.", 404)
    _refused(
        api.delete(f"/v1/callLogs/{log['id']}"), "The callLog you are trying to access is no longer available", 410
    )
    _refused(_record(api, log["id"]), "A resource required for this operation was not found.", 404)
    assert api.get("/v1/callLogs").json()["data"] is None
    assert _download(api, file_id).status_code == 404
    activity = data(api.get(f"/v1/activities/{log['activity_id']}"))
    assert activity["active_flag"] is True and activity["file"] is None


def test_bad_call_logs_are_refused_and_nothing_is_written(api, other_api, engine, lead_id):
    deal = make_deal(api)
    other_person = make_person(other_api, name="Not yours")
    before = counts(engine, call_logs, activities, files)
    cases = [
        ({"outcome": None}, '"outcome" is required.'),
        ({"to_phone_number": ""}, '"to_phone_number" is required.'),
        ({"start_time": None}, '"start_time" is required.'),
        (
            {"outcome": "hung_up"},
            '"outcome" must be one of [connected, no_answer, left_message, left_voicemail, wrong_number, busy].',
        ),
        ({"start_time": "yesterday"}, '"start_time" must be a date and time in UTC (YYYY-MM-DD HH:MM:SS).'),
        ({"end_time": "2026-02-30 10:00:00"}, '"end_time" must be a date and time in UTC (YYYY-MM-DD HH:MM:SS).'),
        ({"end_time": "2026-03-02 09:59:59"}, '"end_time" must not be before "start_time".'),
        ({"duration": "a while"}, '"duration" must be a number of seconds.'),
        ({"subject": 5}, '"subject" must be a string.'),
        ({"person_id": "x"}, '"person_id" must be a positive integer.'),
        (
            {"person_id": other_person["id"]},
            f"Validation failed: person_id: Person with id {other_person['id']} not found",
        ),
        ({"deal_id": 999999}, "Validation failed: deal_id: Deal with id 999999 not found"),
        ({"org_id": 999999}, "Validation failed: org_id: Organization with id 999999 not found"),
        ({"activity_id": 999999}, "Validation failed: activity_id: Activity with id 999999 not found"),
        ({"user_id": 999999}, "Validation failed: user_id: User with id 999999 not found"),
        ({"lead_id": 7}, '"lead_id" must be a UUID.'),
        ({"lead_id": "not-a-uuid"}, '"lead_id" must be a UUID.'),
        (
            {"lead_id": "0" * 8 + "-0000-4000-8000-" + "0" * 12},
            "Validation failed: lead_id: Lead with id 00000000-0000-4000-8000-000000000000 not found",
        ),
        ({"duration": -5}, '"duration" must be a number of seconds.'),
        (
            {"deal_id": deal["id"], "lead_id": lead_id},
            "A call log can be associated with either a deal or a lead, but not both at once.",
        ),
    ]
    for change, message in cases:
        _refused(api.post("/v1/callLogs", json=_call(**change)), message)
    _refused(api.post("/v1/callLogs", json=["not", "an", "object"]), "The request body must be a JSON object.")
    assert counts(engine, call_logs, activities, files) == before


def test_another_company_and_another_user_cannot_touch_a_call_log(api, other_api, client, engine):
    from conftest import Api

    log = _add(api)
    missing = "A resource required for this operation was not found."
    _refused(other_api.get(f"/v1/callLogs/{log['id']}"), missing, 404)
    _refused(other_api.delete(f"/v1/callLogs/{log['id']}"), missing, 404)
    _refused(_record(other_api, log["id"]), missing, 404)
    _refused(api.get("/v1/callLogs/" + "f" * 40), missing, 404)

    token = next(_tokens)
    make_user(engine, token=token)
    regular = Api(client, token)
    _refused(regular.delete(f"/v1/callLogs/{log['id']}"), "You don't have permission to change this resource.", 403)
    _refused(regular.post("/v1/callLogs", json=_call(user_id=1)), "You do not have permissions to do this.", 403)
    assert data(api.get(f"/v1/callLogs/{log['id']}"))["id"] == log["id"]
    assert regular.get("/v1/callLogs").json()["data"] is None


def test_a_call_on_a_lead_and_its_recording_in_the_list(api, lead_id, files_dir):
    log = _add(api, lead_id=lead_id, outcome="left_voicemail", duration=7)
    assert (log["lead_id"], log["outcome"], log["duration"]) == (lead_id, "left_voicemail", "7")
    assert data(api.get(f"/v1/activities/{log['activity_id']}"))["lead_id"] == lead_id
    _record(api, log["id"], name="voicemail.wav")
    listed = data(api.get("/v1/callLogs"))
    assert [(item["id"], item["has_recording"]) for item in listed] == [(log["id"], True)]
    file_id = data(api.get(f"/v1/activities/{log['activity_id']}"))["file"]["id"]
    assert data(api.get(f"/v1/files/{file_id}"))["lead_id"] == lead_id


def test_a_bad_upload_is_refused_and_nothing_is_written(api, engine, files_dir, app):
    log = _add(api)
    before = counts(engine, files)
    _refused(
        api.post(f"/v1/callLogs/{log['id']}/recordings", data={"file": "not a file"}),
        "Validation failed: file: is required (a file part of a multipart/form-data body)",
    )
    app.settings.max_upload_bytes = 10
    response = _record(api, log["id"], b"x" * 11)
    assert response.status_code == 413 and response.json()["success"] is False
    assert counts(engine, files) == before
    assert data(api.get(f"/v1/callLogs/{log['id']}"))["has_recording"] is False
    assert list(files_dir.rglob("*.mp3")) == []


def test_a_merge_moves_call_logs_to_the_surviving_person(api):
    kept, merged = make_person(api, name="Pat"), make_person(api, name="Pat again")
    log = _add(api, person_id=merged["id"])
    response = api.put(f"/v1/persons/{merged['id']}/merge", json={"merge_with_id": kept["id"]})
    assert response.status_code == 200, response.text
    assert data(api.get(f"/v1/callLogs/{log['id']}"))["person_id"] == kept["id"]
