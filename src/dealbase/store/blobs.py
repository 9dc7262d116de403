"""File contents on disk, under ``settings.files_dir``: one folder per company.

Rows (files, pictures, product images) keep only the key ``put`` returns; the bytes
live here. Keys are generated, never taken from a client; a key or company read back
(the public picture links carry both) is used only when it has the form ``put`` makes,
so nothing a client sends reaches the file system otherwise: no path outside the
folder, no name the file system refuses.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path

_COMPANY = re.compile(r"[1-9][0-9]{0,18}")
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _safe_suffix(suffix: str) -> str:
    return "".join(c for c in suffix.lower() if c.isalnum())[:10]


def _is_key(key: str) -> bool:
    token, dot, suffix = key.partition(".")
    return _TOKEN.fullmatch(token) is not None and (not dot or (suffix != "" and _safe_suffix(suffix) == suffix))


def _root(files_dir: str, company_id: int | str) -> Path:
    return Path(files_dir).resolve() / str(company_id)


def put(files_dir: str, company_id: int, data: bytes, suffix: str = "") -> str:
    """Store ``data``; the key to read it back with."""
    safe_suffix = _safe_suffix(suffix)
    key = secrets.token_hex(16) + (f".{safe_suffix}" if safe_suffix else "")
    write(files_dir, company_id, key, data)
    return key


def write(files_dir: str, company_id: int, key: str, data: bytes) -> None:
    """Store ``data`` under ``key``, a key ``put`` made (a saved file brought back)."""
    if not _is_key(key):
        raise ValueError(f"Not a stored file's key: {key!r}")
    root = _root(files_dir, company_id)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{key}.part"
    tmp.write_bytes(data)
    os.replace(tmp, root / key)


def keys(files_dir: str, company_id: int) -> list[str]:
    """The keys of every file the company has stored."""
    root = _root(files_dir, company_id)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if _is_key(p.name) and p.is_file())


def keep_only(files_dir: str, company_id: int, kept: set[str]) -> None:
    """Remove the company's stored files whose keys are not in ``kept``."""
    for key in keys(files_dir, company_id):
        if key not in kept:
            remove(files_dir, company_id, key)


def path(files_dir: str, company_id: int | str, key: str) -> Path | None:
    """Where the contents of ``key`` are, or None when it is gone or could not be a key."""
    if _COMPANY.fullmatch(str(company_id)) is None or not _is_key(key):
        return None
    found = _root(files_dir, company_id) / key
    return found if found.is_file() else None


def read(files_dir: str, company_id: int | str, key: str) -> bytes | None:
    found = path(files_dir, company_id, key)
    return found.read_bytes() if found else None


def remove(files_dir: str, company_id: int, key: str) -> None:
    found = path(files_dir, company_id, key)
    if found:
        found.unlink(missing_ok=True)


def remove_company(files_dir: str, company_id: int) -> None:
    """Every stored file of a company (a deleted one)."""
    if _COMPANY.fullmatch(str(company_id)) is not None:
        shutil.rmtree(_root(files_dir, company_id), ignore_errors=True)
