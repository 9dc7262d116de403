"""No request schemathesis can make from the three specs gets a 5xx, on each backend.

Runs tools/fuzz.py (a bounded, seeded run: see its docstring) over the ``database_url``
fixture's fresh database, about three minutes per backend. Deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

try:
    from tests.support import spec
except ImportError:  # pytest put tests/ itself on sys.path
    from support import spec

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not spec.specs_available(), reason=spec.SKIP_REASON)]

# The whole run on one backend, spec loading included; the app's start and stop come on top.
SECONDS = 150


def _harness():
    path = Path(__file__).resolve().parent.parent / "tools" / "fuzz.py"
    module_spec = importlib.util.spec_from_file_location("dealbase_fuzz", path)
    module = sys.modules[module_spec.name] = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_no_operation_answers_a_server_error(database_url):
    fuzz = _harness()
    report = fuzz.fuzz(database_url, max_examples=25, seconds=SECONDS)
    print(report.summary())
    assert report.examples > report.operations
    assert report.errors == [], report.summary()
