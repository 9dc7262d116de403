"""Pictures of items (a person's picture): the uploaded image and its public links.

The image is kept as uploaded: the crop asked for is recorded, not applied, and both
sizes (128 and 512) link to the same image, served at ``/_dealbase/blobs/...``.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import orjson

from dealbase.domain import service
from dealbase.domain.entity import Entity, Field
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store import blobs
from dealbase.store import repository as repo
from dealbase.store.tables import persons
from dealbase.store.tables import pictures as table

Row = dict[str, Any]
BLOB_PATH = "/_dealbase/blobs"
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


def blob_url(ctx, key: str) -> str:
    """A public link to a blob of the caller's company (the key is unguessable)."""
    base = ctx.settings.public_url or f"http://{ctx.settings.host}:{ctx.settings.port}"
    return f"{base.rstrip('/')}{BLOB_PATH}/{ctx.company_id}/{key}"


def links(ctx, row: dict[str, Any]) -> dict[str, str | None]:
    url = blob_url(ctx, row["blob_key"]) if row["blob_key"] else None
    return {"128": url, "512": url}


def v1(ctx, row: dict[str, Any]) -> dict[str, Any]:
    """The picture as v1 gives it (``POST /persons/{id}/picture``, a person's ``picture_id``)."""
    return {
        "id": row["id"],
        "item_type": row["item_type"],
        "item_id": row["item_id"],
        "active_flag": not row["is_deleted"],
        "add_time": row["add_time"],
        "update_time": row["update_time"],
        "added_by_user_id": row["added_by_user_id"],
        "pictures": links(ctx, row),
    }


def v2(ctx, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "item_type": row["item_type"],
        "item_id": row["item_id"],
        "added_by_user_id": row["added_by_user_id"],
        "active_flag": not row["is_deleted"],
        "file_size": row["file_size"],
        "pictures": links(ctx, row),
    }


# -- the entity and its writes (through the write service) -------------------------------

# A child of the item it shows (``item_type`` + ``item_id``); the item points back at its
# current picture (``persons.picture_id``). Shown by ``v1`` / ``v2`` above, not by fields.
PICTURE = register(
    Entity(
        name="picture",
        plural="pictures",
        label="Picture",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("item_type", "str", writable=False),
            Field("item_id", "int", writable=False),
            Field("blob_key", "str", v1=None, v2=None, writable=False),
            Field("content_type", "str", v1=None, v2=None, writable=False),
            Field("file_size", "int", v1=None, writable=False),
            Field("crop", "json", v1=None, v2=None, writable=False),
            Field("added_by_user_id", "int", writable=False),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
            Field("add_time", "time", v2=None, writable=False),
            Field("update_time", "time", v2=None, writable=False),
        ],
    )
)


def image_type(filename: str) -> str:
    """The image's file type, by its name's suffix; a refusal for anything not an image."""
    suffix = PurePosixPath(filename).suffix.lower().lstrip(".")
    if suffix not in IMAGE_TYPES:
        raise BadInput(f"Validation failed: file: must be an image ({', '.join(IMAGE_TYPES)})")
    return suffix


def current(unit, person: Row) -> Row | None:
    """The person's live picture, if it has one."""
    row = repo.get(unit.conn, table, unit.company_id, person["picture_id"]) if person["picture_id"] else None
    return None if row is None or row["is_deleted"] else row


def _point(unit, person: Row, picture_id: int | None, stamp: str) -> None:
    changed = {"picture_id": picture_id, "update_time": stamp}
    service.change(unit, persons, person, changed, event="person", stamp=stamp)


def _drop(unit, files_dir: str, row: Row, stamp: str) -> None:
    service.delete(unit, PICTURE, row, stamp)
    if row["blob_key"]:
        blobs.remove(files_dir, unit.company_id, row["blob_key"])


def replace(unit, files_dir: str, person: Row, data: bytes, suffix: str, crop: dict[str, int] | None) -> Row:
    """The image as the person's picture, in place of the one it had (deleted, its file
    removed). The file is removed again when the write fails."""
    stamp = unit.clock()
    key = blobs.put(files_dir, unit.company_id, data, suffix)
    try:
        old = current(unit, person)
        if old is not None:
            _drop(unit, files_dir, old, stamp)
        values = {
            "item_type": "person",
            "item_id": person["id"],
            "blob_key": key,
            "content_type": IMAGE_TYPES[suffix],
            "file_size": len(data),
            "crop": orjson.dumps(crop).decode() if crop else None,
            "added_by_user_id": unit.user_id,
            "add_time": stamp,
            "update_time": stamp,
        }
        row = service.create(unit, PICTURE, Input(values, api="v1"))
        _point(unit, person, row["id"], stamp)
    except BaseException:
        blobs.remove(files_dir, unit.company_id, key)
        raise
    return row


def remove(unit, files_dir: str, person: Row, row: Row) -> None:
    """The person's picture deleted (its file removed); the person has none."""
    stamp = unit.clock()
    _drop(unit, files_dir, row, stamp)
    _point(unit, person, None, stamp)
