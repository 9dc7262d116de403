"""``/v1/callLogs``: add, get, the caller's list, delete, and a recording's upload
(``domain/call_logs.py``). The recording is a file: ``/v1/files/{id}/download`` gives it back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import orjson

from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError, envelope
from dealbase.api.handlers.files import stored_upload
from dealbase.api.paging import v1_pagination
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.api.uploads import uploaded
from dealbase.domain import call_logs
from dealbase.domain.files import FILE
from dealbase.errors import DomainError
from dealbase.store import blobs
from dealbase.store import repository as repo

handlers = Handlers()

# The error_info Pipedrive's call log errors carry.
ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


def _error(message: str, status: int) -> ApiError:
    return ApiError(message, status, error_info=ERROR_INFO)


@contextmanager
def _call_log_errors() -> Iterator[None]:
    """Refusals in the envelope Pipedrive's call log errors have (their longer error_info)."""
    try:
        yield
    except (ApiError, DomainError) as exc:
        err = envelope(exc)
        if err.status in (400, 403, 404):
            raise _error(err.error, err.status) from exc
        raise


def _done() -> Reply:
    """The spec's bare success body for a delete or an upload: no ``data`` key."""
    return Reply(200, orjson.dumps({"success": True}))


def _load(ctx: Ctx, *, deleted: bool = False) -> call_logs.Row:
    row = call_logs.live(ctx, ctx.path["id"])
    if row is None:
        raise _error("A resource required for this operation was not found.", 404)
    if row["is_deleted"]:
        if deleted:
            raise _error("The callLog you are trying to access is no longer available", 410)
        raise _error("A resource required for this operation was not found.", 404)
    return row


def _present(ctx: Ctx, rows: list[call_logs.Row]) -> list[dict]:
    files = ctx.rows(FILE.table, (row["file_id"] for row in rows))
    return [
        call_logs.present(row, (found := files.get(row["file_id"])) is not None and not found["is_deleted"])
        for row in rows
    ]


@handlers.operation("v1", "add_call_log", write=True)
def add_call_log(ctx: Ctx) -> Reply:
    """Logs a call (and its activity) for the caller or, with account settings access, another user."""
    with _call_log_errors():
        row = call_logs.add(ctx, call_logs.parse(ctx, ctx.body, ctx.user))
    return ok(_present(ctx, [row])[0])


@handlers.operation("v1", "get_call_log")
def get_call_log(ctx: Ctx) -> Reply:
    return ok(_present(ctx, [_load(ctx)])[0])


@handlers.operation("v1", "get_user_call_logs")
def get_user_call_logs(ctx: Ctx) -> Reply:
    """The caller's call logs, oldest first, at most 50 a page."""
    start = ctx.int_param("start", 0, minimum=0)
    limit = ctx.page_limit(call_logs.LIMIT_MAX, call_logs.LIMIT_MAX)
    table = call_logs.CALL_LOG.table
    where = [table.c.user_id == ctx.user_id, table.c.is_deleted.is_(False)]
    rows = repo.list_offset(ctx.conn, table, ctx.company_id, where, [table.c.id], start, limit + 1)
    # An empty v1 list's data is null, as Pipedrive's (and ``resources.list_v1``'s) are.
    return ok(_present(ctx, rows[:limit]) or None, {"pagination": v1_pagination(start, limit, len(rows) > limit)})


@handlers.operation("v1", "delete_call_log", write=True)
def delete_call_log(ctx: Ctx) -> Reply:
    """Deletes the call log and its recording; its activity stays."""
    with _call_log_errors():
        file = call_logs.delete(ctx, _load(ctx, deleted=True), ctx.user)
    if file is not None and file["blob_key"]:
        blobs.remove(ctx.settings.files_dir, ctx.company_id, file["blob_key"])
    return _done()


@handlers.operation("v1", "add_call_log_audio_file", write=True)
def add_call_log_audio_file(ctx: Ctx) -> Reply:
    """Stores the uploaded audio as the call's recording (one per call)."""
    row = _load(ctx)
    with _call_log_errors():
        upload = uploaded(ctx)
    if call_logs.recording(ctx, row) is not None:
        raise _error("A recording for this call already exists", 409)
    made = stored_upload(ctx, upload, f"recording-{row['id']}")
    try:
        call_logs.attach(ctx, row, made)
    except BaseException:
        blobs.remove(ctx.settings.files_dir, ctx.company_id, made["blob_key"])
        raise
    return _done()
