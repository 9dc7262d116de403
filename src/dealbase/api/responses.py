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


def ok(data: Any, additional_data: Any = None, status: int = 200, **top: Any) -> Reply:
    body: dict[str, Any] = {"success": True, "data": data}
    if additional_data is not None:
        body["additional_data"] = additional_data
    body.update(top)
    return Reply(status, orjson.dumps(body))
