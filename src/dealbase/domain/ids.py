"""Ids as clients write them: integers in ASCII digits; UUIDs (leads, lead labels,
conversion jobs), made time-ordered.

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

# An integer (ids, and every other integer of a path, query or body): ASCII digits only, for
# ``\d``, ``str.isdigit`` and ``int()`` also take other scripts' digits (``１``, ``١``, ``²``),
# which Pipedrive's services (Node.js: ``Number``, JSON-schema validators) do not read as
# numbers. Leading zeros are taken (``01`` is 1), as those do. ``\Z``, not ``$``: nothing
# may follow, not even a newline.
INTEGER = re.compile(r"^-?[0-9]{1,18}\Z")

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
