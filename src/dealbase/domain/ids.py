"""UUID ids (leads, lead labels, conversion jobs): made time-ordered, read leniently.

New ids are version 7 UUIDs (48 bits of Unix milliseconds, then random bits): in text
they sort as they were made, so id order is creation order, and the engine's id-ordered
pages, keysets and bookmarks work on them as on integer ids. Within one millisecond a
process keeps them increasing.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid

_lock = threading.Lock()
_last = 0


def new_uuid() -> str:
    global _last
    with _lock:
        ms = time.time_ns() // 1_000_000
        rand = int.from_bytes(os.urandom(10), "big") & ((1 << 74) - 1)
        value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
        if value <= _last:  # same millisecond (or a clock step back): one past the last
            value = _last + 1
        _last = value
    return str(uuid.UUID(int=value))


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_uuid(text: object) -> str | None:
    """The canonical (lower-case) form of a UUID in its hyphenated text form (any case), or None."""
    if not isinstance(text, str) or not _UUID.fullmatch(text):
        return None
    return text.lower()
