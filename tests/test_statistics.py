"""Statistics (v1): the deals timeline and a pipeline's conversion and movement statistics.

Every write happens at a moment the test sets (the server's clock is patched), so the
expected numbers below are worked out by hand from those moments.
"""

from __future__ import annotations

import pytest
from conftest import Api
from factories import data, error, make_deal, make_field, make_pipeline, make_stage, make_user, refused, refused_in_order
from support import spec
from test_filters import cond, field_id, make_filter, tree


def funnel(api) -> tuple[dict, list[dict]]:
    """A pipeline with deal probability on and three stages (20 %, 50 %, 100 %)."""
    pipeline = make_pipeline(api, is_deal_probability_enabled=True)
    stages = [make_stage(api, pipeline["id"], deal_probability=p) for p in (20, 50, 100)]
    return pipeline, stages


def move(api, deal_id: int, **fields) -> dict:
    return data(api.put(f"/v1/deals/{deal_id}", json=fields))


def timeline(api, path: str = "/v1/deals/timeline", **params) -> list[dict]:
    """The periods of a timeline. The real API answers a list of periods while the spec
    describes one period object: the answer is checked period by period against it."""
    unchecked = Api(api.client, api.token, check_schema=False)
    periods = data(unchecked.get(path, params=params))
    assert isinstance(periods, list)
    if spec.specs_available():
        for period in periods:
            spec.validate_response("GET", path, 200, {"success": True, "data": period})
    return periods


# -- deals timeline ----------------------------------------------------------------------


@pytest.fixture
def seeded(api, at):
    pipeline, (s1, s2, s3) = funnel(api)
    other_pipeline, (o1, _, _) = funnel(api)
    at("2026-01-05 10:00:00")
    a = make_deal(api, stage_id=s2["id"], value=100, currency="EUR")  # open at 50 %: 50
    at("2026-01-20 09:00:00")
    b = make_deal(api, stage_id=s1["id"], value=200, currency="USD")
    at("2026-02-03 12:00:00")
    move(api, b["id"], status="won")  # won: weighted at its value
    at("2026-02-10 08:00:00")
    c = make_deal(api, stage_id=s1["id"], value=300, currency="EUR")
    move(api, c["id"], status="lost")  # lost deals are not in the timeline
    at("2026-03-02 08:00:00")
    d = make_deal(api, stage_id=s3["id"], value=50, currency="EUR")
    at("2026-01-06 08:00:00")
    e = make_deal(api, stage_id=s1["id"], value=70, currency="EUR")
    move(api, e["id"], is_archived=True)
    f = make_deal(api, stage_id=o1["id"], value=10, currency="EUR")  # another pipeline, 20 %: 2
    return {"pipeline": pipeline, "other": other_pipeline, "a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


EMPTY_TOTALS = {
    "count": 0,
    "values": {},
    "weighted_values": {},
    "open_count": 0,
    "open_values": {},
    "weighted_open_values": {},
    "won_count": 0,
    "won_values": {},
}


def test_timeline_groups_open_and_won_deals_by_month(api, seeded):
    jan, feb = timeline(api, start_date="2026-01-01", interval="month", amount=2, field_key="add_time")
    assert (jan["period_start"], jan["period_end"]) == ("2026-01-01 00:00:00", "2026-01-31 23:59:59")
    assert (feb["period_start"], feb["period_end"]) == ("2026-02-01 00:00:00", "2026-02-28 23:59:59")
    ids = [seeded[k]["id"] for k in ("a", "f", "b")]  # by add_time, then id
    assert [d["id"] for d in jan["deals"]] == ids
    assert jan["totals"] == {
        "count": 3,
        "values": {"EUR": 110, "USD": 200},
        "weighted_values": {"EUR": 52, "USD": 200},
        "open_count": 2,
        "open_values": {"EUR": 110},
        "weighted_open_values": {"EUR": 52},
        "won_count": 1,
        "won_values": {"USD": 200},
    }
    deal = jan["deals"][0]
    assert deal["user_id"] == deal["creator_user_id"] and isinstance(deal["user_id"], int)  # plain ids
    assert deal["weighted_value"] == 50 and deal["formatted_value"] == "€100" and deal["status"] == "open"
    assert feb["deals"] == [] and feb["totals"] == EMPTY_TOTALS  # c was lost


def test_timeline_filters_fields_intervals_and_conversion(api, seeded):
    p = {"start_date": "2026-01-01", "interval": "quarter", "amount": 1, "field_key": "add_time"}
    (quarter,) = timeline(api, **p, pipeline_id=seeded["pipeline"]["id"])
    assert [d["id"] for d in quarter["deals"]] == [seeded[k]["id"] for k in ("a", "b", "d")]
    assert quarter["period_end"] == "2026-03-31 23:59:59"
    # exclude_deals keeps the totals; totals_convert_currency adds them in one currency.
    (quarter,) = timeline(api, **p, exclude_deals=1, totals_convert_currency="EUR")
    assert "deals" not in quarter and quarter["totals"]["count"] == 4
    converted = quarter["totals_converted"]
    assert converted["currency"] == "EUR" and converted["value"] == 360 and converted["weighted_value"] == 302
    assert converted["won_value"] == 200 and converted["open_value"] == 160
    (quarter,) = timeline(api, **p, exclude_deals=1, totals_convert_currency="default_currency")
    assert quarter["totals_converted"]["currency"] == "USD"
    # won_time by week; the archived timeline and the other one.
    (week,) = timeline(api, start_date="2026-02-02", interval="week", amount=1, field_key="won_time")
    assert [d["id"] for d in week["deals"]] == [seeded["b"]["id"]] and week["period_end"] == "2026-02-08 23:59:59"
    (day,) = timeline(
        api, "/v1/deals/timeline/archived", start_date="2026-01-06", interval="day", amount=1, field_key="add_time"
    )
    assert [d["id"] for d in day["deals"]] == [seeded["e"]["id"]] and day["deals"][0]["is_archived"] is True
    (day,) = timeline(api, start_date="2026-01-06", interval="day", amount=1, field_key="add_time")
    assert [d["id"] for d in day["deals"]] == [seeded["f"]["id"]]


def test_timeline_by_a_custom_date_field(api, seeded):
    field = make_field(api, "deal", "date")
    data(api.patch(f"/api/v2/deals/{seeded['d']['id']}", json={"custom_fields": {field["field_code"]: "2026-05-15"}}))
    data(api.patch(f"/api/v2/deals/{seeded['a']['id']}", json={"custom_fields": {field["field_code"]: "2026-05-16"}}))
    first, second = timeline(api, start_date="2026-05-15", interval="day", amount=2, field_key=field["field_code"])
    assert [d["id"] for d in first["deals"]] == [seeded["d"]["id"]]
    assert [d["id"] for d in second["deals"]] == [seeded["a"]["id"]]
    assert first["totals"]["weighted_values"] == {"EUR": 50}  # the last stage: 100 %


def test_timeline_by_owner(api, engine, seeded):
    other = make_user(engine, 1)
    move(api, seeded["a"]["id"], user_id=other)
    (jan,) = timeline(api, start_date="2026-01-01", interval="month", amount=1, field_key="add_time", user_id=other)
    assert [d["id"] for d in jan["deals"]] == [seeded["a"]["id"]]


def test_timeline_bad_input(api, other_api, seeded):
    p = {"start_date": "2026-01-01", "interval": "month", "amount": 1, "field_key": "add_time"}
    for wrong in (
        {"start_date": None},
        {"start_date": "2026-13-01"},
        {"interval": "year"},
        {"interval": None},
        {"amount": 0},
        {"amount": "x"},
        {"amount": 100000},
        {"field_key": "title"},
        {"field_key": "0" * 40},
        {"totals_convert_currency": "XYZ"},
        {"exclude_deals": "maybe"},
    ):
        params = {k: v for k, v in {**p, **wrong}.items() if v is not None}
        assert error(api.get("/v1/deals/timeline", params=params), 400)
    error(api.get("/v1/deals/timeline", params={**p, "filter_id": 5}), 404)
    # Another company sees none of these deals.
    (jan,) = timeline(other_api, **p)
    assert jan["deals"] == [] and jan["totals"] == EMPTY_TOTALS


# -- pipeline statistics -----------------------------------------------------------------


@pytest.fixture
def moved(api, at):
    """Deals moving through a three-stage pipeline (see each line)."""
    pipeline, (s1, s2, s3) = funnel(api)
    at("2026-02-01 00:00:00")
    d5 = make_deal(api, stage_id=s1["id"], value=5, currency="EUR")
    at("2026-02-10 00:00:00")
    move(api, d5["id"], stage_id=s2["id"])
    at("2026-03-01 00:00:00")
    d1 = make_deal(api, stage_id=s1["id"], value=100, currency="EUR")
    at("2026-03-02 00:00:00")
    d2 = make_deal(api, stage_id=s1["id"], value=200, currency="USD")
    d3 = make_deal(api, stage_id=s1["id"], value=300, currency="EUR")
    at("2026-03-03 00:00:00")
    move(api, d1["id"], stage_id=s2["id"])
    at("2026-03-04 00:00:00")
    move(api, d2["id"], stage_id=s2["id"])
    at("2026-03-05 00:00:00")
    move(api, d2["id"], status="lost")
    at("2026-03-06 00:00:00")
    move(api, d1["id"], stage_id=s3["id"])
    at("2026-03-08 00:00:00")
    move(api, d1["id"], status="won")
    at("2026-04-02 00:00:00")
    make_deal(api, stage_id=s1["id"], value=1, currency="EUR")  # after the period
    return {"pipeline": pipeline, "stages": [s1, s2, s3], "d1": d1, "d2": d2, "d3": d3, "d5": d5}


MARCH = {"start_date": "2026-03-01", "end_date": "2026-03-31"}


def test_conversion_statistics(api, moved):
    s1, s2, s3 = (s["id"] for s in moved["stages"])
    stats = data(api.get(f"/v1/pipelines/{moved['pipeline']['id']}/conversion_statistics", params=MARCH))
    # Entered in March: d1 (got to s3, won), d2 (s2, lost), d3 (s1): 3 reached s1, 2 s2, 1 s3.
    assert stats == {
        "stage_conversions": [
            {"from_stage_id": s1, "to_stage_id": s2, "conversion_rate": 67},
            {"from_stage_id": s2, "to_stage_id": s3, "conversion_rate": 50},
        ],
        "won_conversion": 33,
        "lost_conversion": 33,
    }
    february = {"start_date": "2026-02-01", "end_date": "2026-02-28"}
    stats = data(api.get(f"/v1/pipelines/{moved['pipeline']['id']}/conversion_statistics", params=february))
    assert [c["conversion_rate"] for c in stats["stage_conversions"]] == [100, 0]
    assert stats["won_conversion"] == 0 and stats["lost_conversion"] == 0


def test_movement_statistics(api, moved):
    s1, s2, s3 = (s["id"] for s in moved["stages"])
    d1, d2, d3, d5 = (moved[k]["id"] for k in ("d1", "d2", "d3", "d5"))
    stats = data(api.get(f"/v1/pipelines/{moved['pipeline']['id']}/movement_statistics", params=MARCH))
    assert stats["movements_between_stages"] == {"count": 3}
    assert stats["new_deals"] == {
        "count": 3,
        "deals_ids": [d1, d2, d3],
        "values": {"EUR": 400, "USD": 200},
        "formatted_values": {"EUR": "€400", "USD": "$200"},
    }
    assert stats["deals_left_open"]["deals_ids"] == [d5, d3] and stats["deals_left_open"]["values"] == {"EUR": 305}
    assert stats["won_deals"]["deals_ids"] == [d1] and stats["won_deals"]["values"] == {"EUR": 100}
    assert stats["lost_deals"]["deals_ids"] == [d2] and stats["lost_deals"]["values"] == {"USD": 200}
    # Days in each stage within March: s1 d1 2, d2 2, d3 30; s2 d5 31, d1 3, d2 1; s3 d1 2.
    # Per deal: d5 31, d1 7, d2 3, d3 30.
    assert stats["average_age_in_days"] == {
        "across_all_stages": 18,
        "by_stages": [{"stage_id": s1, "value": 11}, {"stage_id": s2, "value": 12}, {"stage_id": s3, "value": 2}],
    }


def test_pipeline_statistics_by_owner_and_moves_between_pipelines(api, engine, at, moved):
    other = make_user(engine, 1)
    at("2026-03-20 00:00:00")
    move(api, moved["d3"]["id"], user_id=other)
    params = {**MARCH, "user_id": other}
    stats = data(api.get(f"/v1/pipelines/{moved['pipeline']['id']}/movement_statistics", params=params))
    assert stats["new_deals"]["deals_ids"] == [moved["d3"]["id"]] and stats["won_deals"]["count"] == 0
    conv = data(api.get(f"/v1/pipelines/{moved['pipeline']['id']}/conversion_statistics", params=params))
    assert [c["conversion_rate"] for c in conv["stage_conversions"]] == [0, 0]
    # A deal moved into another pipeline arrives there as a new deal, not a move between stages.
    elsewhere, (e1, _, _) = funnel(api)
    at("2026-03-25 00:00:00")
    move(api, moved["d3"]["id"], stage_id=e1["id"])
    stats = data(api.get(f"/v1/pipelines/{elsewhere['id']}/movement_statistics", params=params))
    assert stats["new_deals"]["deals_ids"] == [moved["d3"]["id"]] and stats["movements_between_stages"]["count"] == 0
    assert stats["average_age_in_days"]["by_stages"][0]["value"] == 7  # 25th to April 1st
    # In its first pipeline, d3's stay in s1 now ends on the 25th: 23 days.
    stats = data(api.get(f"/v1/pipelines/{moved['pipeline']['id']}/movement_statistics", params=params))
    assert stats["average_age_in_days"] == {
        "across_all_stages": 23,
        "by_stages": [{"stage_id": moved["stages"][0]["id"], "value": 23}]
        + [{"stage_id": s["id"], "value": 0} for s in moved["stages"][1:]],
    }
    # Without user_id: the caller's deals, so d3 is no longer counted.
    stats = data(api.get(f"/v1/pipelines/{moved['pipeline']['id']}/movement_statistics", params=MARCH))
    assert moved["d3"]["id"] not in stats["new_deals"]["deals_ids"] and stats["new_deals"]["count"] == 2
    assert stats["average_age_in_days"]["by_stages"][0]["value"] == 2  # d1 and d2: 2 days each
    stats = data(api.get(f"/v1/pipelines/{elsewhere['id']}/movement_statistics", params=MARCH))
    assert stats["new_deals"]["count"] == 0


def test_pipeline_statistics_bad_input(api, other_api, moved):
    path = f"/v1/pipelines/{moved['pipeline']['id']}"
    for kind in ("conversion_statistics", "movement_statistics"):
        assert "start_date" in error(api.get(f"{path}/{kind}", params={"end_date": "2026-03-31"}), 400)
        assert "end_date" in error(api.get(f"{path}/{kind}", params={"start_date": "2026-03-01"}), 400)
        bad = {"start_date": "2026-03-31", "end_date": "2026-03-01"}
        assert "end_date" in error(api.get(f"{path}/{kind}", params=bad), 400)
        assert error(api.get(f"{path}/{kind}", params={**MARCH, "user_id": "me"}), 400)
        error(api.get(f"/v1/pipelines/999999/{kind}", params=MARCH), 404)
        error(other_api.get(f"{path}/{kind}", params=MARCH), 404)


def test_timeline_reads_filter_id_exclude_deals_then_owner_and_pipeline(api, seeded):
    p = {"start_date": "2026-01-01", "interval": "month", "amount": 1, "field_key": "add_time"}
    refusals = [
        ("filter_id", "999999", "Filter not found", 404),
        ("exclude_deals", "maybe", "Invalid 'exclude_deals' parameter: must be a boolean", 400),
        ("user_id", "x", "Invalid 'user_id' parameter: must be an integer", 400),
        ("pipeline_id", "x", "Invalid 'pipeline_id' parameter: must be an integer", 400),
    ]
    urls = ("/v1/deals/timeline", "/v1/deals/timeline/archived")
    refused_in_order(api, urls, refusals, **p, totals_convert_currency="XYZ")
    # a saved filter stands in for user_id, which is then not read; pipeline_id still is
    saved = make_filter(api, tree([cond(field_id(api, "title"), "=", "nothing of the kind")]))
    (jan,) = timeline(api, **p, filter_id=saved["id"], user_id="x")
    assert jan["deals"] == [] and jan["totals"] == EMPTY_TOTALS
    refused(
        api.get("/v1/deals/timeline", params={**p, "filter_id": saved["id"], "pipeline_id": "x"}),
        "Invalid 'pipeline_id' parameter: must be an integer",
    )
