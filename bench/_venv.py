"""Run bench scripts with the project's own environment (the servers and the dataset
builder import dealbase): re-execute under ``.venv/bin/python`` when that exists."""

from __future__ import annotations

import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
_VENV_PYTHON = REPO / ".venv" / "bin" / "python"


def use_project_venv(script: str) -> None:
    if (
        _VENV_PYTHON.exists()
        and Path(sys.prefix).resolve() != _VENV_PYTHON.parent.parent.resolve()
        and not os.environ.get("BENCH_NO_REEXEC")
    ):
        os.execv(str(_VENV_PYTHON), [str(_VENV_PYTHON), script, *sys.argv[1:]])
