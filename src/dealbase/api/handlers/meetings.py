"""Meetings' user provider links (``/v1/meetings/userProviderLinks``) from ``domain/meetings.py``.

The operation's own refusals carry ``message`` as its spec shows them, beside the envelope."""

from __future__ import annotations

from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError, NotFound
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import meetings
from dealbase.domain.ids import parse_uuid
from dealbase.errors import NotAllowed

handlers = Handlers()

MISSING = "Missing user id or company id"
INCORRECT = "Incorrect parameter provided"


def _refused(message: str, status: int) -> ApiError:
    return ApiError(message, status, message=message)


@handlers.operation("v1", "save_user_provider_link", write=True)
def save_user_provider_link(ctx: Ctx) -> Reply:
    """Link a user to the video call integration they installed."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    if body.get("user_id") is None or body.get("company_id") is None:
        raise _refused(MISSING, 401)
    try:
        values = meetings.parse(ctx, body)
    except NotAllowed:
        raise _refused(INCORRECT, 403) from None
    meetings.save(ctx, values)
    return ok({"message": meetings.ADDED})


@handlers.operation("v1", "delete_user_provider_link", write=True)
def delete_user_provider_link(ctx: Ctx) -> Reply:
    """End a user's link to the video call integration."""
    given = parse_uuid(ctx.path["id"])
    if given is None:
        raise _refused(INCORRECT, 403)
    row = meetings.find(ctx, given)
    if row is None:
        raise NotFound("User provider link not found")
    meetings.delete(ctx, row)
    return ok({"message": meetings.REMOVED})
