"""File contents on disk, under ``settings.files_dir``: one folder per company.

Rows (files, pictures, product images) keep only the key ``put`` returns; the bytes
live here. Keys are generated, never taken from a client, so no path a client sends
can reach outside the folder.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _root(files_dir: str, company_id: int) -> Path:
    return Path(files_dir).resolve() / str(int(company_id))


def put(files_dir: str, company_id: int, data: bytes, suffix: str = "") -> str:
    """Store ``data``; the key to read it back with."""
    safe_suffix = "".join(c for c in suffix.lower() if c.isalnum())[:10]
    key = secrets.token_hex(16) + (f".{safe_suffix}" if safe_suffix else "")
    root = _root(files_dir, company_id)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{key}.part"
    tmp.write_bytes(data)
    os.replace(tmp, root / key)
    return key


def path(files_dir: str, company_id: int, key: str) -> Path | None:
    """Where the contents of ``key`` are, or None when it is gone."""
    if not key or "/" in key or "\\" in key or key.startswith("."):
        return None
    found = _root(files_dir, company_id) / key
    return found if found.is_file() else None


def read(files_dir: str, company_id: int, key: str) -> bytes | None:
    found = path(files_dir, company_id, key)
    return found.read_bytes() if found else None


def remove(files_dir: str, company_id: int, key: str) -> None:
    found = path(files_dir, company_id, key)
    if found:
        found.unlink(missing_ok=True)
