"""``multipart/form-data`` bodies: the file uploads of v1 ``/files``, person pictures and
product images. Text parts become strings, file parts ``Upload`` objects."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from python_multipart import parse_form
from python_multipart.exceptions import FormParserError

from dealbase.api.errors import BadRequest, PayloadTooLarge


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def parse_multipart(raw: bytes, content_type: bytes) -> dict[str, Any]:
    fields: dict[str, Any] = {}

    def on_field(part) -> None:
        name = (part.field_name or b"").decode("utf-8", "replace")
        fields[name] = (part.value or b"").decode("utf-8", "replace")

    def on_file(part) -> None:
        name = (part.field_name or b"").decode("utf-8", "replace")
        part.file_object.seek(0)
        fields[name] = Upload(
            filename=(part.file_name or b"").decode("utf-8", "replace"),
            content_type=getattr(part, "content_type", None) or "application/octet-stream",
            data=part.file_object.read(),
        )

    headers = {"Content-Type": content_type, "Content-Length": str(len(raw)).encode()}
    try:
        # Files stay in memory up to the body cap (settings.max_upload_bytes).
        parse_form(headers, io.BytesIO(raw), on_field, on_file)
    except (FormParserError, ValueError) as exc:
        raise BadRequest("Malformed multipart body") from exc
    return fields


def form_of(ctx) -> dict[str, Any]:
    """The request's form (multipart or urlencoded) or JSON object."""
    if not isinstance(ctx.body, dict):
        raise BadRequest("The request body must be a form or a JSON object")
    return ctx.body


def uploaded(ctx, key: str = "file") -> Upload:
    """The uploaded file part ``key``, within the size cap (``settings.max_upload_bytes``)."""
    upload = form_of(ctx).get(key)
    if not isinstance(upload, Upload):
        raise BadRequest(f"Validation failed: {key}: is required (a file part of a multipart/form-data body)")
    cap = ctx.settings.max_upload_bytes
    if len(upload.data) > cap:
        raise PayloadTooLarge(f"File is larger than the maximum of {cap} bytes")
    return upload
