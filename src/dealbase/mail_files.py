"""The messages of files `dealbase mail import` is given: an .eml file holds one message, an
mbox file (Unix ``From `` lines between messages) many."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path


def is_mbox(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(5) == b"From "


def messages(path: Path) -> Iterator[bytes]:
    """Each message's bytes, in the file's order."""
    if not is_mbox(path):
        yield path.read_bytes()
        return
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            yield box.get_bytes(key)
    finally:
        box.close()
