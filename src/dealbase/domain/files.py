"""Files: uploaded documents (contents in the blob store) and linked remote files,
attached to deals, persons, organizations, products, activities, notes or leads."""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath
from typing import Any

from dealbase.domain import counters
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, Param
from dealbase.domain.registry import ENTITIES, register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store.tables import files as table

# What a file can be attached to: (id key, referenced entity, v1 name key, the name column).
LINKS = (
    ("deal_id", "deal", "deal_name", "title"),
    ("person_id", "person", "person_name", "name"),
    ("org_id", "organization", "org_name", "name"),
    ("product_id", "product", "product_name", "name"),
    ("activity_id", "activity", None, None),
    ("note_id", "note", None, None),
    ("lead_id", "lead", "lead_name", "title"),
)
# Pipedrive's file_type by extension; anything else goes by its extension.
_TYPES = {
    **dict.fromkeys(("jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "tif", "tiff", "heic"), "img"),
    **dict.fromkeys(("doc", "docx", "odt", "rtf"), "doc"),
    **dict.fromkeys(("xls", "xlsx", "ods", "csv"), "xls"),
    **dict.fromkeys(("ppt", "pptx", "odp"), "ppt"),
    **dict.fromkeys(("zip", "rar", "7z", "gz", "tar"), "zip"),
    **dict.fromkeys(("mp3", "wav", "ogg", "m4a"), "audio"),
    **dict.fromkeys(("mp4", "mov", "avi", "mkv", "webm"), "video"),
}


def file_type(name: str) -> str:
    ext = PurePosixPath(name).suffix.lower().lstrip(".")
    return _TYPES.get(ext, ext[:32] or "other")


def stored_name(name: str) -> str:
    """A file's ``file_name``: unique like Pipedrive's stored names (not the blob key, which
    stays private)."""
    path = PurePosixPath(name)
    return f"{path.stem[:200]}_{secrets.token_hex(16)}{path.suffix[:16]}"


def download_url(ctx, file_id: int) -> str:
    base = ctx.settings.public_url or f"http://{ctx.settings.host}:{ctx.settings.port}"
    return f"{base.rstrip('/')}/v1/files/{file_id}/download"


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if old is None:
        values["user_id"] = ctx.user_id
        if all(values.get(key) is None for key, *_ in LINKS):
            raise BadInput(
                "Validation failed: a file must be attached to a deal, person, organization, product, activity, "
                "note or lead (deal_id, person_id, org_id, product_id, activity_id, note_id or lead_id)"
            )
    if "name" in values and not (values["name"] or "").strip():
        raise BadInput("Validation failed: name: must not be empty")
    return values


# Each live file counts on the deal, person and organization it is on.
counters.count_source("files", table, "files_count", counters.PARENT_COLUMNS, table.c.is_deleted.is_(False))


# v1 keys for what this server does not hold (S3 buckets, mail templates).
V1_NOTHING = {"cid": None, "s3_bucket": None, "mail_template_id": None, "log_id": None}


def v1_extra(ctx, rows, items) -> None:
    names: dict[str, dict[int, Any]] = {}
    for key, ref, name_key, column in LINKS:
        target = ENTITIES.get(ref)
        if name_key is not None and target is not None:
            found = ctx.rows(target.table, (r[key] for r in rows))
            names[name_key] = {i: row[column] for i, row in found.items()}
    for row, item in zip(rows, items):
        item.update(V1_NOTHING)
        # An e-mail attachment's message (domain/mail_ingest.py); the spec has the id as text.
        item["mail_message_id"] = None if row["mail_message_id"] is None else str(row["mail_message_id"])
        item["active_flag"] = not row["is_deleted"]
        item["url"] = download_url(ctx, row["id"]) if row["blob_key"] else None
        for key, _ref, name_key, _column in LINKS:
            if name_key is not None:
                item[name_key] = names.get(name_key, {}).get(row[key])


# -- lists ----------------------------------------------------------------------------------

LIMIT_MAX = 100  # Pipedrive's maximum page for file lists
# ``include_deleted_files``: the deleted files too.
WITH_DELETED = Param(
    "include_deleted_files",
    "bool",
    lambda deleted, unit: [] if deleted else [table.c.is_deleted.is_(False)],
    replaces_alive=True,
)
# The parents with a v1 ``/<items>/{id}/files`` list, and the file column naming them.
PARENTS = {"deal": "deal_id", "person": "person_id", "organization": "org_id", "product": "product_id"}
LISTS = (
    Listing("v1", "get_files", (WITH_DELETED,), limit_max=LIMIT_MAX),
    *(
        Listing("v1", f"get_{parent}_files", (WITH_DELETED,), limit_max=LIMIT_MAX, parent=parent, link=link)
        for parent, link in PARENTS.items()
    ),
)


FILE = register(
    Entity(
        name="file",
        plural="files",
        label="File",
        table=table,
        fields=[
            Field("id", "int", v2=None, writable=False),
            Field("user_id", "int", v2=None, writable=False),
            *[Field(key, "int", v2=None, ref=ref) for key, ref, *_ in LINKS if key != "lead_id"],
            Field("lead_id", "str", v2=None, ref="lead", max_length=36),
            Field("add_time", "time", v2=None, writable=False),
            Field("update_time", "time", v2=None, writable=False),
            Field("file_name", "str", v2=None, writable=False),
            Field("file_type", "str", v2=None, writable=False),
            Field("file_size", "int", v2=None, writable=False),
            Field("inline_flag", "bool", v2=None, writable=False),
            Field("remote_location", "str", v2=None, writable=False),
            Field("remote_id", "str", v2=None, writable=False),
            Field("name", "str", v2=None),
            Field("description", "str", v2=None, max_length=65_535),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
        ],
        sort_v1=(
            "id",
            "user_id",
            "deal_id",
            "person_id",
            "org_id",
            "product_id",
            "add_time",
            "update_time",
            "file_name",
            "file_type",
            "file_size",
        ),
        lists=LISTS,
        rules=rules,
        v1_extra=v1_extra,
        v1_refs="plain",
        after_write=counters.refresher("files"),
    )
)
