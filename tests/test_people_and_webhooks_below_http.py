"""Followers, deal participants, webhook subscriptions and the change-event readers as the
domain and events floors serve them with a plain ``Unit`` (no HTTP, no request context: what
a seed script, an import or the control plane calls), and the API's answers built on them,
key for key where Pipedrive's order is kept."""

from __future__ import annotations

import pytest

from dealbase.domain import followers, participants, webhooks
from dealbase.domain.deals import DEAL
from dealbase.errors import BadInput
from dealbase.events import history, recents

from factories import data, make_deal, make_person
from support.database import in_unit


def test_following_again_keeps_the_one_follower_and_the_changelog_shows_each_change(engine, company, api):
    deal = make_deal(api)  # its owner, the caller, follows it from the start
    row, new = in_unit(engine, company, lambda unit: followers.add(unit, "deal", deal["id"], company.user_id))
    assert (new, row["user_id"], row["object_id"]) == (False, company.user_id, deal["id"])

    def unfollow_and_follow_again(unit):
        followers.unfollow(unit, followers.record(unit, "deal", deal["id"], row["id"]))
        return followers.add(unit, "deal", deal["id"], company.user_id)

    again, new = in_unit(engine, company, unfollow_and_follow_again)
    assert new and again["user_id"] == company.user_id
    assert in_unit(engine, company, lambda unit: followers.user_ids(unit, "deal", deal["id"])) == [company.user_id]
    assert in_unit(engine, company, lambda unit: followers.record(unit, "person", deal["id"], again["id"])) is None

    log = data(api.get(f"/api/v2/deals/{deal['id']}/followers/changelog"))
    assert [list(entry) for entry in log] == [["action", "actor_user_id", "follower_user_id", "time"]] * 3
    assert [(e["action"], e["follower_user_id"]) for e in log] == [
        ("added", company.user_id),
        ("removed", company.user_id),
        ("added", company.user_id),
    ]
    assert data(api.get(f"/v1/deals/{deal['id']}"))["followers_count"] == 1


def test_a_person_joins_a_deal_once(engine, company, api):
    deal, person = make_deal(api), make_person(api)
    joined = in_unit(engine, company, lambda unit: participants.join(unit, deal["id"], person["id"]))
    assert (joined["deal_id"], joined["person_id"], joined["active_flag"]) == (deal["id"], person["id"], True)
    with pytest.raises(BadInput, match=f"^Person {person['id']} is already a participant of this deal$"):
        in_unit(engine, company, lambda unit: participants.join(unit, deal["id"], person["id"]))
    found = in_unit(engine, company, lambda unit: participants.of_deal(unit, deal["id"], joined["id"]))
    assert found["id"] == joined["id"]
    assert in_unit(engine, company, lambda unit: participants.of_deal(unit, deal["id"] + 1, joined["id"])) is None

    [shown] = data(api.get(f"/v1/deals/{deal['id']}/participants"))
    assert list(shown) == [
        "id",
        "person_id",
        "add_time",
        "active_flag",
        "related_item_data",
        "person",
        "added_by_user_id",
        "related_item_type",
        "related_item_id",
    ]
    log = data(api.get(f"/v1/deals/{deal['id']}/participantsChangelog"))
    assert [list(entry) for entry in log] == [["actor_user_id", "person_id", "action", "time"]]
    assert data(api.get(f"/v1/deals/{deal['id']}"))["participants_count"] == 1


def test_the_change_event_readers_page_as_the_api_does(engine, company, api):
    deal = make_deal(api, title="One")
    for title in ("Two", "Three", "Four"):
        data(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": title}))

    def read(unit):
        first, place = history.v1_changelog(unit, DEAL, deal["id"], 2, None)
        rest, end = history.v1_changelog(unit, DEAL, deal["id"], 10, place)
        v2, last = history.v2_changelog(unit, DEAL, deal["id"], 2, None)
        return first + rest, end, v2, last

    v1, end, v2, last = in_unit(engine, company, read)
    titles = [(e["old_value"], e["new_value"]) for e in v1 if e["field_key"] == "title"]
    assert titles == [("Three", "Four"), ("Two", "Three"), ("One", "Two")]
    assert end is None and v1 == data(api.get(f"/v1/deals/{deal['id']}/changelog"))
    assert [e["new_values"]["title"] for e in v2] == ["Four", "Three"] and last is not None


def test_what_recents_and_subscriptions_refuse(engine, company):
    with pytest.raises(BadInput, match="^Invalid 'since_timestamp' parameter: it is required$"):
        recents.since("  ")
    with pytest.raises(BadInput, match="must be a UTC time"):
        recents.since("2026-02-30 00:00:00")
    with pytest.raises(BadInput, match="^Invalid 'items' parameter: unknown item\\(s\\) deals$"):
        recents.entities(["deal", "deals"])
    assert recents.entities(["activityType", "deal", "deal"]) == ["activity_type", "deal"]

    given = {"subscription_url": "http://127.0.0.1:9/hook", "event_action": "*", "event_object": "deal", "name": "n"}
    with pytest.raises(webhooks.Invalid) as refused:
        in_unit(engine, company, lambda unit: webhooks.subscription(unit, given, None, allow_private=False))
    assert refused.value.errors == {"subscription_url": [webhooks.BAD_URL]}
    values = in_unit(engine, company, lambda unit: webhooks.subscription(unit, given, None, allow_private=True))
    assert (values["type"], values["version"], values["user_id"]) == ("general", "2.0", company.user_id)
    assert [webhooks.private_host(h) for h in ("10.0.0.1", "[::ffff:127.0.0.1]", "box.local", "93.184.216.34")] == [
        True,
        True,
        True,
        False,
    ]
