"""Call logs and their recordings go with a company's snapshot and its reset."""

from __future__ import annotations

import pytest
import test_control_plane
from factories import data, make_person
from starlette.testclient import TestClient
from test_call_logs import AUDIO, _add, _download, _record
from test_control_plane import bearer
from test_snapshots import restore, take

control = test_control_plane.control


@pytest.fixture
def client(control) -> TestClient:
    return control


def test_a_reset_takes_call_logs_and_a_restore_brings_them_back_with_their_audio(control, api, company, files_dir):
    person = make_person(api, name="Pat")
    log = _add(api, person_id=person["id"])
    _record(api, log["id"])
    file_id = data(api.get(f"/v1/activities/{log['activity_id']}"))["file"]["id"]
    take(control, company.company_id, "calls")

    got = control.post(f"/_dealbase/companies/{company.company_id}/reset", json={}, headers=bearer())
    assert got.status_code == 200, got.text
    assert api.get("/v1/callLogs").json()["data"] is None
    assert api.get(f"/v1/callLogs/{log['id']}").status_code == 404

    assert restore(control, company.company_id, "calls").status_code == 200
    assert data(api.get(f"/v1/callLogs/{log['id']}")) == {**log, "has_recording": True}
    assert _download(api, file_id).content == AUDIO
