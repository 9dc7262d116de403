"""Messaging channels (``/v1/channels``), as the Messaging app extension uses them.

An integration registers a channel under its own id (``provider_channel_id``); Pipedrive gives
the channel an id of its own (a UUID). Incoming messages name the channel by the provider's id
(the channel's own id is taken too), their conversation and sender by the provider's ids: the
first message of a conversation opens it, and a message delivered again (the same provider
message id in the same conversation) is that message's new state (its status moving from sent
to delivered to read), not a second message. Deleting a channel takes its conversations and
messages with it; a channel an OAuth app registered is that app's to change.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from dealbase.domain import service
from dealbase.domain.ids import new_uuid
from dealbase.domain.roles import json_object
from dealbase.errors import BadInput, NotAllowed
from dealbase.store import repository as repo
from dealbase.store.tables import channel_conversations as conversations
from dealbase.store.tables import channel_messages as messages
from dealbase.store.tables import channels

Row = dict[str, Any]

EVENT = "channel"
CONVERSATION_EVENT = "channelConversation"
MESSAGE_EVENT = "channelMessage"
PROVIDER_TYPES = ("facebook", "whatsapp", "other")
STATUSES = ("sent", "delivered", "read", "failed")
ADMIN_ONLY = "Only admins can register channels"
APP_OWNER_ONLY = "Only the app owner can delete conversations"


def _text(body: Row, key: str, *, required: bool = True, limit: int | None = 255) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise BadInput(f"{key} is required")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadInput(f"{key} must be a non-empty string" if required else f"{key} must be a string")
    if limit is not None and len(value) > limit:
        raise BadInput(f"{key} must be at most {limit} characters")
    return value


def _flag(body: Row, key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise BadInput(f"{key} must be a boolean")
    return value


def _choice(body: Row, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = body.get(key, default)
    if value not in choices:
        raise BadInput(f"{key} must be one of: {', '.join(choices)}")
    return value


def moment(body: Row, key: str, *, required: bool = True) -> str | None:
    """A time the provider sends (``YYYY-MM-DD HH:MM``, or ISO 8601 with seconds, fractions and
    an offset), in UTC, as ``YYYY-MM-DDTHH:MM:SS.mmmZ``; a time without an offset is UTC."""
    value = _text(body, key, required=required, limit=64)
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{key} must be a date and time (YYYY-MM-DD HH:MM, in UTC)") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_channel(body: Any) -> Row:
    body = json_object(body)
    return {
        "name": _text(body, "name"),
        "provider_channel_id": _text(body, "provider_channel_id"),
        "avatar_url": _text(body, "avatar_url", required=False, limit=None),
        "template_support": _flag(body, "template_support"),
        "provider_type": _choice(body, "provider_type", PROVIDER_TYPES, "other"),
    }


def add(unit, values: Row, app_id: int | None) -> Row:
    """Register a channel (admins only); a provider id already registered is refused."""
    if not unit.user.get("is_admin"):
        raise NotAllowed(ADMIN_ONLY)
    if _by_provider_id(unit, values["provider_channel_id"]) is not None:
        raise BadInput(f"A channel with provider_channel_id {values['provider_channel_id']} already exists")
    stamp = unit.clock()
    row = {**values, "id": new_uuid(), "user_id": unit.user_id, "app_id": app_id, "add_time": stamp}
    service.insert(unit, channels, row, event=EVENT, stamp=stamp)
    return get(unit, row["id"])


def _by_provider_id(unit, provider_channel_id: str) -> Row | None:
    return repo.first(unit.conn, channels, unit.company_id, channels.c.provider_channel_id == provider_channel_id)


def get(unit, channel_id: str) -> Row | None:
    return repo.first(unit.conn, channels, unit.company_id, channels.c.id == channel_id)


def find(unit, given: str, app_id: int | None) -> Row | None:
    """The channel ``given`` names (its own id or the provider's), if the caller may write it:
    a channel an OAuth app registered is refused to any other app."""
    row = get(unit, given) or _by_provider_id(unit, given)
    if row is not None and app_id is not None and row["app_id"] not in (None, app_id):
        raise NotAllowed(APP_OWNER_ONLY)
    return row


def conversation(unit, channel: Row, provider_conversation_id: str) -> Row | None:
    return repo.first(
        unit.conn,
        conversations,
        unit.company_id,
        conversations.c.channel_id == channel["id"],
        conversations.c.provider_conversation_id == provider_conversation_id,
    )


def _attachment(value: Any, at: int) -> Row:
    where = f"attachments[{at}]"
    if not isinstance(value, dict):
        raise BadInput(f"{where} must be an object")
    shown = {key: _text(value, key, limit=None) for key in ("id", "type", "url")}
    for key in ("name", "preview_url"):
        shown[key] = _text(value, key, required=False, limit=None)
    size = value.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int | float) or size < 0):
        raise BadInput(f"{where}.size must be a number of bytes")
    shown["size"] = size
    expires = value.get("link_expires", False)
    if not isinstance(expires, bool):
        raise BadInput(f"{where}.link_expires must be a boolean")
    shown["link_expires"] = expires
    return shown


def parse_message(body: Any) -> Row:
    """A received message's values, checked; ``channel_id`` and ``conversation_id`` as sent."""
    body = json_object(body)
    values = {key: _text(body, key) for key in ("id", "channel_id", "sender_id", "conversation_id")}
    if not isinstance(body.get("message"), str):  # empty is a message of attachments only
        raise BadInput("message is required" if body.get("message") is None else "message must be a string")
    values["message"] = body["message"]
    values["status"] = _choice(body, "status", STATUSES)
    values["created_at"] = moment(body, "created_at")
    values["reply_by"] = moment(body, "reply_by", required=False)
    values["conversation_link"] = _text(body, "conversation_link", required=False, limit=None)
    attachments = body.get("attachments", [])
    if attachments is None:
        attachments = []
    if not isinstance(attachments, list):
        raise BadInput("attachments must be a list")
    values["attachments"] = [_attachment(item, at) for at, item in enumerate(attachments)]
    return values


def receive(unit, channel: Row, values: Row) -> Row:
    """File a message in its conversation (opened by its first message); a message received
    again replaces what was kept of it. The message's row."""
    stamp = unit.clock()
    talk = conversation(unit, channel, values["conversation_id"])
    link = values["conversation_link"]
    if talk is None:
        row = {
            "channel_id": channel["id"],
            "provider_conversation_id": values["conversation_id"],
            "link": link,
            "add_time": stamp,
            "update_time": stamp,
        }
        service.insert(unit, conversations, row, event=CONVERSATION_EVENT, stamp=stamp)
        talk = conversation(unit, channel, values["conversation_id"])
    elif link is not None and link != talk["link"]:
        service.change(unit, conversations, talk, {"link": link, "update_time": stamp}, event=CONVERSATION_EVENT)
    kept = {
        "sender_id": values["sender_id"],
        "message": values["message"],
        "status": values["status"],
        "created_at": values["created_at"],
        "reply_by": values["reply_by"],
        "attachments": json.dumps(values["attachments"]),
    }
    old = _message(unit, talk, values["id"])
    if old is None:
        row = {**kept, "conversation_id": talk["id"], "provider_message_id": values["id"], "add_time": stamp}
        service.insert(unit, messages, {**row, "update_time": stamp}, event=MESSAGE_EVENT, stamp=stamp)
    else:
        changed = {k: v for k, v in kept.items() if old[k] != v}
        if changed:
            service.change(unit, messages, old, {**changed, "update_time": stamp}, event=MESSAGE_EVENT, stamp=stamp)
    return _message(unit, talk, values["id"])


def _message(unit, talk: Row, provider_message_id: str) -> Row | None:
    return repo.first(
        unit.conn,
        messages,
        unit.company_id,
        messages.c.conversation_id == talk["id"],
        messages.c.provider_message_id == provider_message_id,
    )


def messages_of(unit, talk: Row) -> list[Row]:
    """A conversation's messages, oldest first (by the provider's time, then arrival)."""
    return repo.all_rows(
        unit.conn,
        messages,
        unit.company_id,
        messages.c.conversation_id == talk["id"],
        order_by=[messages.c.created_at, messages.c.id],
    )


def conversations_of(unit, channel: Row) -> list[Row]:
    return repo.all_rows(
        unit.conn,
        conversations,
        unit.company_id,
        conversations.c.channel_id == channel["id"],
        order_by=[conversations.c.id],
    )


def delete_conversation(unit, talk: Row) -> None:
    stamp = unit.clock()
    gone = messages_of(unit, talk)
    where = messages.c.conversation_id == talk["id"]
    service.remove(unit, messages, where, event=MESSAGE_EVENT, rows=gone, stamp=stamp)
    service.remove(
        unit, conversations, conversations.c.id == talk["id"], event=CONVERSATION_EVENT, rows=[talk], stamp=stamp
    )


def delete(unit, channel: Row) -> None:
    """Remove a channel with its conversations and their messages."""
    for talk in conversations_of(unit, channel):
        delete_conversation(unit, talk)
    service.remove(unit, channels, channels.c.id == channel["id"], event=EVENT, rows=[channel], stamp=unit.clock())


def present(row: Row, client_id: str | None, company_id: int) -> Row:
    return {
        "id": row["id"],
        "name": row["name"],
        "avatar_url": row["avatar_url"],
        "provider_channel_id": row["provider_channel_id"],
        "marketplace_client_id": client_id,
        "pd_company_id": company_id,
        "pd_user_id": row["user_id"],
        "created_at": row["add_time"],
        "provider_type": row["provider_type"],
        "template_support": bool(row["template_support"]),
    }


def present_message(channel: Row, talk: Row, row: Row) -> Row:
    return {
        "id": row["provider_message_id"],
        "channel_id": channel["provider_channel_id"],
        "sender_id": row["sender_id"],
        "conversation_id": talk["provider_conversation_id"],
        "message": row["message"],
        "status": row["status"],
        "created_at": row["created_at"],
        "reply_by": row["reply_by"],
        "conversation_link": talk["link"],
        "attachments": json.loads(row["attachments"]),
    }
