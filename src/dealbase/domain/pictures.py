"""Pictures of items (a person's picture): the uploaded image and its public links.

The image is kept as uploaded: the crop asked for is recorded, not applied, and both
sizes (128 and 512) link to the same image, served at ``/_dealbase/blobs/...``.
"""

from __future__ import annotations

from typing import Any

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
