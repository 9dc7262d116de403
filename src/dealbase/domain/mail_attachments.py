"""An e-mail's attachments as files of its thread (``domain/mail_ingest.py``).

Each becomes a file (``files``, its contents in the blob store) carrying the message's id
(``mail_message_id``, as Pipedrive's files do) and attached to the thread's deal or lead and
to the first person the message names, so it shows among their files.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import PurePosixPath
from typing import Any

from dealbase.domain import counters, service
from dealbase.domain.files import file_type, stored_name
from dealbase.store import blobs
from dealbase.store.tables import files

MAX_DEPTH = 20  # of nested multiparts: deeper parts are left in the stored body's place


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes
    inline: bool


def leaves(part: Message, depth: int = 0) -> Iterator[Message]:
    """The message's parts that are no container (an attached message counts as one part)."""
    if part.get_content_type() == "message/rfc822" and depth > 0:
        yield part
    elif part.is_multipart():
        if depth < MAX_DEPTH:
            for sub in part.get_payload():
                if isinstance(sub, Message):
                    yield from leaves(sub, depth + 1)
    elif depth > 0 or part.get_content_maintype() != "text":
        yield part


def read(part: Message, n: int, clean: Callable[[str], str]) -> Attachment | None:
    """One part's name, type and bytes; None for an empty part."""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    if not data:
        return None
    try:
        raw_name = part.get_filename()
    except Exception:
        raw_name = None
    name = PurePosixPath(clean(raw_name or "").replace("\\", "/")).name.strip()
    content_type = part.get_content_type()
    if not name:
        name = f"attachment-{n}{mimetypes.guess_extension(content_type) or ''}"
    return Attachment(name[:255], content_type[:255], data, part.get_content_disposition() == "inline")


def store(
    unit, files_dir: str, message_id: int, user_id: int, links: dict[str, Any], attachments: list[Attachment]
) -> None:
    """Write the attachments' contents and files; a failure leaves no content behind."""
    keys: list[str] = []
    try:
        for item in attachments:
            path = PurePosixPath(item.name)
            key = blobs.put(files_dir, unit.company_id, item.data, path.suffix.lstrip("."))
            keys.append(key)
            stamp = unit.clock()
            row = {
                **links,
                "user_id": user_id,
                "mail_message_id": message_id,
                "name": item.name,
                "file_name": stored_name(item.name),
                "file_type": file_type(item.name),
                "file_size": len(item.data),
                "content_type": item.content_type,
                "inline_flag": item.inline,
                "blob_key": key,
                "add_time": stamp,
                "update_time": stamp,
            }
            service.insert(unit, files, row, event="file", stamp=stamp)
    except BaseException:
        for key in keys:
            blobs.remove(files_dir, unit.company_id, key)
        raise
    for parent, column in counters.PARENT_COLUMNS.items():
        counters.refresh(unit, "files", parent, [links.get(column)])
