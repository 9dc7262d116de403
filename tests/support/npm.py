"""npm packages a test folder pins (its package.json and package-lock.json), installed with
``npm ci`` once per session when node_modules is missing or stale."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from support.locks import exclusive

NPM_CI_TIMEOUT_S = 900


def tail(text: str, limit: int = 20_000) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def installed_matches_manifest(directory: Path) -> bool:
    """True when node_modules holds exactly the versions package.json pins."""
    manifest = json.loads((directory / "package.json").read_text())
    for name, spec in manifest.get("dependencies", {}).items():
        installed = directory / "node_modules" / name / "package.json"
        if not installed.is_file():
            return False
        version = json.loads(installed.read_text()).get("version")
        pinned = spec.rsplit("@", 1)[-1] if spec.startswith("npm:") else spec
        if version != pinned:
            return False
    return True


def install(directory: Path) -> Path:
    """``npm ci`` in ``directory`` unless its node_modules matches already (one xdist worker
    at a time); its node_modules. Skips the test, saying why, without npm."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm not found on PATH: the packages of {directory.name}/package.json cannot be installed")
    with exclusive(directory):
        if not installed_matches_manifest(directory):
            started = time.monotonic()
            try:
                result = subprocess.run(
                    [npm, "ci", "--no-audit", "--no-fund"],
                    cwd=directory,
                    capture_output=True,
                    text=True,
                    timeout=NPM_CI_TIMEOUT_S,
                )
            except subprocess.TimeoutExpired as exc:
                pytest.fail(
                    f"npm ci in {directory} did not finish within {NPM_CI_TIMEOUT_S} s:\n{exc.stdout}\n{exc.stderr}"
                )
            if result.returncode != 0:
                pytest.fail(
                    f"npm ci in {directory} failed (exit {result.returncode}):\n"
                    f"{tail(result.stdout)}\n{tail(result.stderr)}"
                )
            print(f"\n[npm] npm ci in {directory.name} took {time.monotonic() - started:.1f} s")
            assert installed_matches_manifest(directory), "npm ci ran but node_modules does not match package.json"
    return directory / "node_modules"
