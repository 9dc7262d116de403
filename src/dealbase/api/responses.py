"""Success envelopes for both versions."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] | None = None
    content_type: bytes = b"application/json"


def ok(data: Any, additional_data: Any = None, status: int = 200, **top: Any) -> Reply:
    body: dict[str, Any] = {"success": True, "data": data}
    if additional_data is not None:
        body["additional_data"] = additional_data
    body.update(top)
    return Reply(status, orjson.dumps(body))


def raw(data: bytes, content_type: str, headers: list[tuple[bytes, bytes]] | None = None) -> Reply:
    """A body that is not JSON (a file download), sent as it is."""
    return Reply(200, data, headers, content_type.encode("latin-1"))


def new_correlation_id() -> str:
    """A random (version 4) UUID as ``str(uuid.uuid4())`` writes it, at a fraction of its cost
    (made for every response, sent as ``x-correlation-id``)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
