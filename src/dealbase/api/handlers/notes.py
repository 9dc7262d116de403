"""``/v1/notes`` (classic v1 only: there is no v2 notes API), their comments and
``/v1/noteFields``; the lists are those notes and comments declare."""

from __future__ import annotations

import uuid

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.handlers import fields
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import service
from dealbase.domain.notes import COMMENT, NOTE
from dealbase.store import repository as repo

handlers = Handlers()

comments = COMMENT.table

res.bind(handlers, NOTE, "v1", ops=("get", "add", "update"))
lists.bind(handlers, NOTE)
lists.bind(handlers, COMMENT)


@handlers.operation("v1", "delete_note", write=True)
def delete_note(ctx: Ctx):
    """Deletes the note; v1 answers ``data: true``."""
    row = res.load(ctx, NOTE, ctx.path_id(), alive=True)
    service.delete(ctx, NOTE, row)
    return ok(True)


@handlers.operation("v1", "get_note_fields")
def get_note_fields(ctx: Ctx):
    """The note's system fields (notes have no custom fields)."""
    return fields.list_v1(ctx, NOTE)


# -- comments -----------------------------------------------------------------------------


def _note(ctx: Ctx) -> dict:
    return res.load(ctx, NOTE, ctx.path_id(), alive=True)


def _comment(ctx: Ctx) -> dict:
    note = _note(ctx)
    comment_id = ctx.path_uuid("commentId")
    row = repo.first(ctx.conn, comments, ctx.company_id, comments.c.uuid == comment_id)
    if row is None or row["note_id"] != note["id"] or row["is_deleted"]:
        raise NotFound("Comment not found")
    return row


@handlers.operation("v1", "add_note_comment", write=True)
def add_note_comment(ctx: Ctx):
    note = _note(ctx)
    return res.add(ctx, COMMENT, {"note_id": note["id"], "uuid": str(uuid.uuid4())})


@handlers.operation("v1", "get_comment")
def get_comment(ctx: Ctx):
    return res.reply_one(ctx, COMMENT, _comment(ctx))


@handlers.operation("v1", "update_comment_for_note", write=True)
def update_comment_for_note(ctx: Ctx):
    row = _comment(ctx)
    if not isinstance(ctx.body, dict) or ctx.body.get("content") in (None, ""):
        raise BadRequest("Validation failed: content: is required")
    return res.update(ctx, COMMENT, row)


@handlers.operation("v1", "delete_comment", write=True)
def delete_comment(ctx: Ctx):
    service.delete(ctx, COMMENT, _comment(ctx))
    return ok(True)
