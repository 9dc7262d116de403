"""``/v1/files``: uploads, remote (Google Drive) links, downloads, and the files of a deal,
person, organization or product."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import dealbase.domain  # noqa: F401  (every entity declared: the sub-lists go by what exists)
from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.responses import ok, raw
from dealbase.api.router import Handlers
from dealbase.api.uploads import Upload, form_of, uploaded
from dealbase.domain import service
from dealbase.domain.files import FILE, file_type, stored_name
from dealbase.store import blobs

handlers = Handlers()

# /files/remote and /files/remoteLink: the item a remote file goes on → the file's column.
REMOTE_ITEMS = {"deal": "deal_id", "organization": "org_id", "person": "person_id"}
REMOTE_TYPES = ("gdoc", "gslides", "gsheet", "gform", "gdraw")

lists.bind(handlers, FILE)


@handlers.operation("v1", "get_file")
def get_file(ctx: Ctx):
    return res.get_one(ctx, FILE)


def stored_upload(ctx: Ctx, upload: Upload, default_name: str = "file") -> dict[str, Any]:
    """Stores an upload's contents; the file row's values describing them (``blob_key`` too)."""
    name = PurePosixPath(upload.filename.replace("\\", "/")).name or default_name
    path = PurePosixPath(name)
    content_type = upload.content_type
    if content_type == "application/octet-stream":
        content_type = mimetypes.guess_type(name)[0] or content_type
    key = blobs.put(ctx.settings.files_dir, ctx.company_id, upload.data, path.suffix.lstrip("."))
    return {
        "name": name[:255],
        "file_name": stored_name(name),
        "file_type": file_type(name),
        "file_size": len(upload.data),
        "content_type": content_type[:255],
        "blob_key": key,
    }


@handlers.operation("v1", "add_file", write=True)
def add_file(ctx: Ctx):
    """Stores the uploaded contents and the file's row, attached to the items given."""
    made = stored_upload(ctx, uploaded(ctx))
    try:
        return res.add(ctx, FILE, made)
    except BaseException:
        blobs.remove(ctx.settings.files_dir, ctx.company_id, made["blob_key"])
        raise


def _remote(ctx: Ctx, values: dict[str, Any]) -> Any:
    """A remote file on the item the form names (``item_type`` + ``item_id``)."""
    form = form_of(ctx)
    item_type = form.get("item_type")
    if item_type not in REMOTE_ITEMS:
        raise BadRequest(f"Validation failed: item_type: must be one of {', '.join(REMOTE_ITEMS)}")
    if form.get("item_id") in (None, ""):
        raise BadRequest("Validation failed: item_id: is required")
    if form.get("remote_location") != "googledrive":
        raise BadRequest("Validation failed: remote_location: must be googledrive")
    # The item id is parsed and checked as the file's own reference (deal_id, …).
    ctx.body = {REMOTE_ITEMS[item_type]: form["item_id"]}
    return res.add(ctx, FILE, {"remote_location": "googledrive", "file_size": 0, **values})


def _text(form: dict[str, Any], key: str, limit: int = 255) -> str:
    value = form.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"Validation failed: {key}: is required")
    if len(value) > limit:
        raise BadRequest(f"Validation failed: {key}: must be at most {limit} characters")
    return value


@handlers.operation("v1", "add_file_and_link_it", write=True)
def add_file_and_link_it(ctx: Ctx):
    """Pipedrive creates an empty Google Drive document here; this server cannot reach Google
    Drive, so it records the remote file (without a ``remote_id``) on the item."""
    form = form_of(ctx)
    kind = form.get("file_type")
    if kind not in REMOTE_TYPES:
        raise BadRequest(f"Validation failed: file_type: must be one of {', '.join(REMOTE_TYPES)}")
    title = _text(form, "title")
    return _remote(ctx, {"name": title, "file_name": title, "file_type": kind})


@handlers.operation("v1", "link_file_to_item", write=True)
def link_file_to_item(ctx: Ctx):
    """Records an existing Google Drive file (by its ``remote_id``) on the item."""
    remote_id = _text(form_of(ctx), "remote_id")
    return _remote(ctx, {"remote_id": remote_id})


@handlers.operation("v1", "update_file", write=True)
def update_file(ctx: Ctx):
    """Only the name and the description change."""
    form = form_of(ctx)
    ctx.body = {k: form[k] for k in ("name", "description") if k in form}
    return res.update(ctx, FILE)


@handlers.operation("v1", "delete_file", write=True)
def delete_file(ctx: Ctx):
    """Marks the file deleted and removes its contents."""
    row = res.load(ctx, FILE, ctx.path_id(), alive=True)
    service.delete(ctx, FILE, row)
    if row["blob_key"]:
        blobs.remove(ctx.settings.files_dir, ctx.company_id, row["blob_key"])
    return ok({"id": row["id"]})


def attachment(name: str) -> bytes:
    """``Content-Disposition`` for a download named ``name`` (RFC 6266, any characters)."""
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}".encode("latin-1")


@handlers.operation("v1", "download_file")
def download_file(ctx: Ctx):
    """The file's contents, as they were uploaded."""
    row = res.load(ctx, FILE, ctx.path_id(), alive=True)
    data = blobs.read(ctx.settings.files_dir, ctx.company_id, row["blob_key"]) if row["blob_key"] else None
    if data is None:
        raise NotFound("File has no stored contents (a remote file, or its contents are gone)")
    name = row["name"] or row["file_name"] or f"file-{row['id']}"
    headers = [(b"content-disposition", attachment(name)), (b"x-content-type-options", b"nosniff")]
    return raw(data, row["content_type"] or "application/octet-stream", headers)
