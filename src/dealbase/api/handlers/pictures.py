"""A person's picture: v1 add (multipart, with an optional crop) and delete, v2 get
(``domain/pictures.py``)."""

from __future__ import annotations

from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.inputs import coerce
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.api.uploads import form_of, uploaded
from dealbase.domain import pictures
from dealbase.domain.entity import Field
from dealbase.domain.persons import PERSON

handlers = Handlers()

CROP = ("crop_x", "crop_y", "crop_width", "crop_height")


def _crop(form: dict[str, Any]) -> dict[str, int]:
    given = {}
    for key in CROP:
        if form.get(key) not in (None, ""):
            value = coerce(Field(key, "int"), key, form[key], strict=False)
            if value < (1 if key in ("crop_width", "crop_height") else 0):
                raise BadRequest(f"Validation failed: {key}: must not be negative (width and height at least 1)")
            given[key] = value
    return given


def _current(ctx: Ctx, person: dict[str, Any]) -> dict[str, Any]:
    row = pictures.current(ctx, person)
    if row is None:
        raise NotFound("Picture not found")
    return row


@handlers.operation("v1", "add_person_picture", write=True)
def add_person_picture(ctx: Ctx):
    """Stores the image as the person's picture, in place of the one it had."""
    person = res.load(ctx, PERSON, ctx.path_id(), alive=True)
    upload = uploaded(ctx)
    suffix = pictures.image_type(upload.filename)
    row = pictures.replace(ctx, ctx.settings.files_dir, person, upload.data, suffix, _crop(form_of(ctx)))
    return ok(pictures.v1(ctx, row))


@handlers.operation("v1", "delete_person_picture", write=True)
def delete_person_picture(ctx: Ctx):
    person = res.load(ctx, PERSON, ctx.path_id(), alive=True)
    row = _current(ctx, person)
    pictures.remove(ctx, ctx.settings.files_dir, person, row)
    return ok({"id": row["id"]})


@handlers.operation("v2", "get_person_picture")
def get_person_picture(ctx: Ctx):
    person = res.load(ctx, PERSON, ctx.path_id())
    return ok(pictures.v2(ctx, _current(ctx, person)))
