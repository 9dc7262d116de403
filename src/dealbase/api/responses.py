"""Success envelopes for both versions."""

from __future__ import annotations

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
