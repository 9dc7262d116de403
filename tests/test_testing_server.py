"""The ``pipedrive_server`` fixture: a real ``dealbase serve --sandbox`` for the session, a
company of its own for each test, reached over a socket like Pipedrive."""

from __future__ import annotations

import pytest
import requests

pytest.importorskip("dealbase.sandbox", reason="needs sandbox mode (dealbase serve --sandbox)")
pytestmark = pytest.mark.slow  # a server process


def _deals(company) -> list[str]:
    got = requests.get(f"{company.base_url}/api/v2/deals", headers={"x-api-token": company.api_token}, timeout=30)
    assert got.status_code == 200
    return [d["title"] for d in got.json()["data"]]


def test_a_company_of_its_own(pipedrive_server):
    made = requests.post(
        f"{pipedrive_server.base_url}/api/v2/deals",
        headers={"x-api-token": pipedrive_server.api_token},
        json={"title": "Over the wire"},
        timeout=30,
    )
    assert made.status_code == 200 and made.json()["data"]["title"] == "Over the wire"
    assert _deals(pipedrive_server) == ["Over the wire"]


def test_the_next_test_gets_another_company(pipedrive_server, pipedrive_sandbox_server):
    assert _deals(pipedrive_server) == []
    listed = pipedrive_sandbox_server.control.get("/companies").json()
    assert pipedrive_server.id in [c["id"] for c in listed]


def test_the_company_goes_after_its_test(pipedrive_sandbox_server):
    with pipedrive_sandbox_server.company(name="Brief") as company:
        assert company.answer["name"] == "Brief"
    gone = pipedrive_sandbox_server.control.get(f"/companies/{company.id}")
    assert gone.status_code == 404
    stale = requests.get(f"{company.base_url}/api/v2/deals", headers={"x-api-token": company.api_token}, timeout=30)
    assert stale.status_code == 401


def test_the_control_plane_for_the_company(pipedrive_server, pipedrive_sandbox_server):
    headers = {"x-api-token": pipedrive_server.api_token}
    deals = f"{pipedrive_server.base_url}/api/v2/deals"
    requests.post(deals, headers=headers, json={"title": "Saved"}, timeout=30)
    assert pipedrive_server.snapshots.save("start")["counts"]["deals"] == 1

    rule = pipedrive_server.faults.add(match={"operation": "getDeals"}, status=503, times=1)
    assert rule["match"] == {"company_id": pipedrive_server.id, "operation": "getDeals"}
    assert requests.get(deals, headers=headers, timeout=30).status_code == 503
    assert [r["hits"] for r in pipedrive_server.faults.list()] == [1]

    requests.post(deals, headers=headers, json={"title": "Later"}, timeout=30)
    assert pipedrive_server.snapshots.restore("start")["name"] == "start"
    assert _deals(pipedrive_server) == ["Saved"]
    assert [r["status"] for r in pipedrive_server.requests.list(operation="getDeals")] == [200, 503]
    assert pipedrive_server.clock.freeze("2031-01-01T09:00:00Z")["frozen"] is True

    # another company's rules are not this company's
    with pipedrive_sandbox_server.company() as other:
        other.faults.add(status=500)
        assert [r["id"] for r in pipedrive_server.faults.list()] == [rule["id"]]
        assert _deals(pipedrive_server) == ["Saved"]
    assert [r["id"] for r in pipedrive_sandbox_server.call("GET", "/faults")[1]["faults"]] == [rule["id"]]
