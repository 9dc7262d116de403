"""Messaging channels (``/v1/channels``) from ``domain/channels.py``. A refusal with a status
the operation documents carries the error code Pipedrive's Channels API sends in
``additional_data.code``; any other is the plain envelope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import channels
from dealbase.errors import BadInput, NotAllowed
from dealbase.store import oauth

handlers = Handlers()


def _app_id(ctx: Ctx) -> int | None:
    """The OAuth app calling, if an app is."""
    credential = ctx.extra.get("credential")
    return credential.app_id if credential is not None and credential.kind == "oauth" else None


def _refusal(message: str, status: int, code: str | None) -> ApiError:
    return ApiError(message, status, additional_data={"code": code}) if code else ApiError(message, status)


@contextmanager
def _coded(invalid: str, forbidden: str | None = None) -> Iterator[None]:
    """The domain's refusals with the code the operation answers them with."""
    try:
        yield
    except BadInput as err:
        raise _refusal(err.message, 400, invalid) from None
    except NotAllowed as err:
        raise _refusal(err.message, 403, forbidden) from None


def _path(ctx: Ctx) -> list[str]:
    """The path's parameters in order: the route table names a segment by the first template
    that has one there (``{id}`` or ``{channel-id}``)."""
    return list(ctx.path.values())


def _channel(ctx: Ctx, given: str, code: str | None = None) -> channels.Row:
    row = channels.find(ctx, given, _app_id(ctx))
    if row is None:
        raise _refusal("Channel not found.", 404, code)
    return row


@handlers.operation("v1", "add_channel", write=True)
def add_channel(ctx: Ctx) -> Reply:
    """Register a channel of the calling integration."""
    with _coded("INVALID_BODY", forbidden="ADMIN_ONLY"):
        row = channels.add(ctx, channels.parse_channel(ctx.body), _app_id(ctx))
    client_id = oauth.client_id_of(ctx.conn, row["app_id"]) if row["app_id"] is not None else None
    return ok(channels.present(row, client_id, ctx.company_id))


@handlers.operation("v1", "delete_channel", write=True)
def delete_channel(ctx: Ctx) -> Reply:
    """Remove a channel with its conversations and messages."""
    with _coded("INVALID_BODY"):
        channels.delete(ctx, _channel(ctx, _path(ctx)[0]))
    return Reply(200, b'{"success":true}')


@handlers.operation("v1", "receive_message", write=True)
def receive_message(ctx: Ctx) -> Reply:
    """File an incoming message in its channel's conversation."""
    with _coded("INVALID_RECEIVE_MESSAGE_PAYLOAD"):
        values = channels.parse_message(ctx.body)
        channel = _channel(ctx, values["channel_id"])
        row = channels.receive(ctx, channel, values)
    talk = channels.conversation(ctx, channel, values["conversation_id"])
    return ok(channels.present_message(channel, talk, row))


@handlers.operation("v1", "delete_conversation", write=True)
def delete_conversation(ctx: Ctx) -> Reply:
    """Remove a conversation of a channel and its messages."""
    with _coded("INVALID_BODY", forbidden="FORBIDDEN_USER_REQUEST"):
        channel_id, conversation_id = _path(ctx)
        talk = channels.conversation(ctx, _channel(ctx, channel_id, "NOT_FOUND"), conversation_id)
        if talk is None:
            raise _refusal("Conversation not found.", 404, "NOT_FOUND")
        channels.delete_conversation(ctx, talk)
    return Reply(200, b'{"success":true}')
