"""A person's picture: v1 add (multipart, with an optional crop) and delete, v2 get."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import orjson

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.inputs import coerce
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.api.uploads import form_of, uploaded
from dealbase.clock import now
from dealbase.domain import pictures, service
from dealbase.domain.entity import Field
from dealbase.domain.persons import PERSON
from dealbase.store import blobs
from dealbase.store import repository as repo
from dealbase.store.tables import pictures as table

handlers = Handlers()

CROP = ("crop_x", "crop_y", "crop_width", "crop_height")


def _crop(form: dict[str, Any]) -> str | None:
    given = {}
    for key in CROP:
        if form.get(key) not in (None, ""):
            value = coerce(Field(key, "int"), key, form[key], strict=False)
            if value < (1 if key in ("crop_width", "crop_height") else 0):
                raise BadRequest(f"Validation failed: {key}: must not be negative (width and height at least 1)")
            given[key] = value
    return orjson.dumps(given).decode() if given else None


def _current(ctx: Ctx, person: dict[str, Any]) -> dict[str, Any]:
    row = repo.get(ctx.conn, table, ctx.company_id, person["picture_id"]) if person["picture_id"] else None
    if row is None or row["is_deleted"]:
        raise NotFound("Picture not found")
    return row


def _set_picture(ctx: Ctx, person: dict[str, Any], picture_id: int | None, stamp: str) -> None:
    changed = {"picture_id": picture_id, "update_time": stamp}
    service.change(ctx, PERSON.table, person, changed, event="person", stamp=stamp)


def _drop(ctx: Ctx, row: dict[str, Any], stamp: str) -> None:
    service.retire(ctx, table, row, event="picture", stamp=stamp)
    if row["blob_key"]:
        blobs.remove(ctx.settings.files_dir, ctx.company_id, row["blob_key"])


@handlers.operation("v1", "add_person_picture", write=True)
def add_person_picture(ctx: Ctx):
    """Stores the image as the person's picture, in place of the one it had."""
    person = res.load(ctx, PERSON, ctx.path_id(), alive=True)
    upload = uploaded(ctx)
    suffix = PurePosixPath(upload.filename).suffix.lower().lstrip(".")
    if suffix not in pictures.IMAGE_TYPES:
        raise BadRequest(f"Validation failed: file: must be an image ({', '.join(pictures.IMAGE_TYPES)})")
    crop = _crop(form_of(ctx))
    stamp = now()
    files_dir = ctx.settings.files_dir
    key = blobs.put(files_dir, ctx.company_id, upload.data, suffix)
    try:
        if person["picture_id"]:
            old = repo.get(ctx.conn, table, ctx.company_id, person["picture_id"])
            if old is not None and not old["is_deleted"]:
                _drop(ctx, old, stamp)
        values = {
            "item_type": "person",
            "item_id": person["id"],
            "blob_key": key,
            "content_type": pictures.IMAGE_TYPES[suffix],
            "file_size": len(upload.data),
            "crop": crop,
            "added_by_user_id": ctx.user_id,
            "add_time": stamp,
            "update_time": stamp,
        }
        picture_id = service.insert(ctx, table, values, event="picture", stamp=stamp)
        _set_picture(ctx, person, picture_id, stamp)
    except BaseException:
        blobs.remove(files_dir, ctx.company_id, key)
        raise
    return ok(pictures.v1(ctx, repo.get(ctx.conn, table, ctx.company_id, picture_id)))


@handlers.operation("v1", "delete_person_picture", write=True)
def delete_person_picture(ctx: Ctx):
    person = res.load(ctx, PERSON, ctx.path_id(), alive=True)
    row = _current(ctx, person)
    stamp = now()
    _drop(ctx, row, stamp)
    _set_picture(ctx, person, None, stamp)
    return ok({"id": row["id"]})


@handlers.operation("v2", "get_person_picture")
def get_person_picture(ctx: Ctx):
    person = res.load(ctx, PERSON, ctx.path_id())
    return ok(pictures.v2(ctx, _current(ctx, person)))
