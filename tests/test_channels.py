"""Messaging channels (``/v1/channels``) as the Messaging app extension uses them: channels an
integration registers, messages received into conversations, deleting a conversation and a
channel with what it holds."""

from __future__ import annotations

from itertools import count

from factories import data, make_user, refused
from support.rows import counts
from test_oauth import bearer, make_app, tokens_for  # noqa: F401  (make_app: a fixture)

from dealbase.store.tables import channel_conversations, channel_messages, channels

_tokens = (f"{n:040x}" for n in count(0xC4A000))
TABLES = (channels, channel_conversations, channel_messages)


def _channel(api, **body) -> dict:
    return data(api.post("/v1/channels", json={"name": "Shop chat", "provider_channel_id": "pc-1", **body}))


def _message(conversation="conv-1", message_id="m-1", **body) -> dict:
    return {
        "id": message_id,
        "channel_id": "pc-1",
        "sender_id": "sender-7",
        "conversation_id": conversation,
        "message": "Hello there",
        "status": "sent",
        "created_at": "2026-03-01 07:58",
        **body,
    }


def _held(engine) -> tuple[int, ...]:
    """How many channels, conversations and messages are kept."""
    return tuple(counts(engine, *TABLES).values())


def coded(response, status: int, message: str, code: str) -> None:
    """The Channels API's error envelope, its code included."""
    refused(response, message, status, additional_data={"code": code})


def test_a_channel_is_registered(api, company):
    channel = _channel(api, avatar_url="https://chat.test/icon.png", provider_type="whatsapp", template_support=True)
    assert len(channel["id"]) == 36 and channel["id"] != "pc-1"
    assert {k: v for k, v in channel.items() if k not in ("id", "created_at")} == {
        "name": "Shop chat",
        "avatar_url": "https://chat.test/icon.png",
        "provider_channel_id": "pc-1",
        "marketplace_client_id": None,
        "pd_company_id": company.company_id,
        "pd_user_id": 1,
        "provider_type": "whatsapp",
        "template_support": True,
    }
    assert len(channel["created_at"]) == 19
    plain = _channel(api, provider_channel_id="pc-2")
    assert (plain["provider_type"], plain["template_support"], plain["avatar_url"]) == ("other", False, None)


def test_two_messages_of_one_conversation_are_kept_in_it(api, engine):
    _channel(api)
    first = data(api.post("/v1/channels/messages/receive", json=_message(conversation_link="https://chat.test/c/1")))
    assert first == {
        "id": "m-1",
        "channel_id": "pc-1",
        "sender_id": "sender-7",
        "conversation_id": "conv-1",
        "message": "Hello there",
        "status": "sent",
        "created_at": "2026-03-01T07:58:00.000Z",
        "reply_by": None,
        "conversation_link": "https://chat.test/c/1",
        "attachments": [],
    }
    attachment = {"id": "a-1", "type": "image/png", "url": "https://chat.test/a/1.png", "size": 600}
    second = data(
        api.post(
            "/v1/channels/messages/receive",
            json=_message(
                message_id="m-2",
                sender_id="agent-1",
                message="",
                created_at="2026-03-01T08:00:05.250+02:00",
                reply_by="2026-03-02T08:00:00Z",
                attachments=[attachment],
            ),
        )
    )
    assert (second["created_at"], second["reply_by"], second["conversation_link"]) == (
        "2026-03-01T06:00:05.250Z",
        "2026-03-02T08:00:00.000Z",
        "https://chat.test/c/1",
    )
    assert second["attachments"] == [{**attachment, "name": None, "preview_url": None, "link_expires": False}]
    assert _held(engine) == (1, 1, 2)
    other = data(api.post("/v1/channels/messages/receive", json=_message(conversation="conv-2", message_id="m-1")))
    assert other["conversation_id"] == "conv-2"
    assert _held(engine) == (1, 2, 3)


def test_a_message_received_again_is_its_new_state(api, engine):
    channel = _channel(api)
    api.post("/v1/channels/messages/receive", json=_message())
    # the channel's own id names it as well as the provider's
    read = data(api.post("/v1/channels/messages/receive", json=_message(status="read", channel_id=channel["id"])))
    assert (read["status"], read["channel_id"]) == ("read", "pc-1")
    assert _held(engine) == (1, 1, 1)


def test_a_conversation_and_a_channel_are_deleted_with_their_messages(api, engine):
    channel = _channel(api)
    _channel(api, provider_channel_id="pc-2")
    for conversation, message_id in (("conv-1", "m-1"), ("conv-1", "m-2"), ("conv-2", "m-3")):
        api.post("/v1/channels/messages/receive", json=_message(conversation, message_id))
    api.post("/v1/channels/messages/receive", json=_message("conv-1", "m-4", channel_id="pc-2"))
    assert api.delete("/v1/channels/pc-1/conversations/conv-1").json() == {"success": True}
    assert _held(engine) == (2, 2, 2)
    coded(api.delete("/v1/channels/pc-1/conversations/conv-1"), 404, "Conversation not found.", "NOT_FOUND")
    assert api.delete(f"/v1/channels/{channel['id']}").json() == {"success": True}
    assert _held(engine) == (1, 1, 1)
    refused(api.delete(f"/v1/channels/{channel['id']}"), "Channel not found.", 404)
    coded(api.delete("/v1/channels/pc-1/conversations/conv-2"), 404, "Channel not found.", "NOT_FOUND")


def test_bad_channels_and_messages_are_refused_and_nothing_is_written(api, other_api, client, engine):
    from conftest import Api

    _channel(api)
    api.post("/v1/channels/messages/receive", json=_message())
    before = _held(engine)
    for body, message in (
        ({"provider_channel_id": "x"}, "name is required"),
        ({"name": "x"}, "provider_channel_id is required"),
        ({"name": 5, "provider_channel_id": "x"}, "name must be a non-empty string"),
        (
            {"name": "x", "provider_channel_id": "x", "provider_type": "telegram"},
            "provider_type must be one of: facebook, whatsapp, other",
        ),
        ({"name": "x", "provider_channel_id": "x", "template_support": "yes"}, "template_support must be a boolean"),
        ({"name": "x", "provider_channel_id": "pc-1"}, "A channel with provider_channel_id pc-1 already exists"),
    ):
        coded(api.post("/v1/channels", json=body), 400, message, "INVALID_BODY")
    bad = "INVALID_RECEIVE_MESSAGE_PAYLOAD"
    receive = "/v1/channels/messages/receive"
    coded(api.post(receive, json=_message(sender_id=None)), 400, "sender_id is required", bad)
    coded(
        api.post(receive, json=_message(status="seen")),
        400,
        "status must be one of: sent, delivered, read, failed",
        bad,
    )
    coded(
        api.post(receive, json=_message(created_at="yesterday")),
        400,
        "created_at must be a date and time (YYYY-MM-DD HH:MM, in UTC)",
        bad,
    )
    coded(api.post(receive, json=_message(attachments=[{"id": "a"}])), 400, "type is required", bad)
    coded(api.post(receive, json=_message(attachments={"id": "a"})), 400, "attachments must be a list", bad)
    coded(api.post(receive, json=_message(message=None)), 400, "message is required", bad)
    refused(api.post(receive, json=_message(channel_id="nope", message_id="m-9")), "Channel not found.", 404)
    # another company's channel is not found
    refused(other_api.post(receive, json=_message(message_id="m-9")), "Channel not found.", 404)
    refused(other_api.delete("/v1/channels/pc-1"), "Channel not found.", 404)
    coded(other_api.delete("/v1/channels/pc-1/conversations/conv-1"), 404, "Channel not found.", "NOT_FOUND")
    # only admins register channels
    token = next(_tokens)
    make_user(engine, token=token)
    regular = Api(client, token)
    coded(
        regular.post("/v1/channels", json={"name": "x", "provider_channel_id": "pc-9"}),
        403,
        "Only admins can register channels",
        "ADMIN_ONLY",
    )
    assert _held(engine) == before


def test_a_channel_an_app_registered_is_that_apps(client, make_app, engine):  # noqa: F811

    mine = make_app(scopes=("messengers-integration",), name="Chat app")
    theirs = make_app(scopes=("messengers-integration",), name="Other chat app")
    app = bearer(client, tokens_for(client, mine)["access_token"])
    other = bearer(client, tokens_for(client, theirs)["access_token"])
    channel = _channel(app)
    assert channel["marketplace_client_id"] == mine["client_id"]
    app.post("/v1/channels/messages/receive", json=_message())
    refused_here = "Only the app owner can delete conversations"
    coded(other.delete("/v1/channels/pc-1/conversations/conv-1"), 403, refused_here, "FORBIDDEN_USER_REQUEST")
    refused(other.post("/v1/channels/messages/receive", json=_message("conv-1", "m-2")), refused_here, 403)
    refused(other.delete(f"/v1/channels/{channel['id']}"), refused_here, 403)
    assert _held(engine) == (1, 1, 1)
    assert app.delete("/v1/channels/pc-1/conversations/conv-1").json() == {"success": True}
