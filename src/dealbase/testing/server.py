"""A real ``dealbase serve --sandbox`` in a subprocess on a free port, for clients in other
languages (or any that must go over a socket): one server, a fresh company for each
``company()`` through the control plane (``POST /_dealbase/companies``), deleted after."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from dealbase.testing.control import CompanyControls, ControlCall

STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class ServerCompany(CompanyControls):
    """A company on the server: where to send requests and with which token, and the
    control plane's features for it (``clock``, ``faults``, ``snapshots``, ``requests``:
    ``control.py``; its ``faults`` are the rules for this company alone, as the server's
    other companies are other tests')."""

    id: int
    base_url: str
    api_token: str
    domain: str
    answer: dict[str, Any]
    control: ControlCall = field(repr=False, compare=False)

    shared_faults = True

    @property
    def company_id(self) -> int:  # type: ignore[override]
        return self.id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.control_token = secrets.token_hex(16)
        self.process: subprocess.Popen | None = None
        self.control = httpx2.Client(
            base_url=f"{self.base_url}/_dealbase",
            headers={"authorization": f"Bearer {self.control_token}"},
            trust_env=False,
            timeout=30,
        )

    def start(self) -> SandboxServer:
        env = {
            **os.environ,
            "DEALBASE_DATABASE_URL": f"sqlite:///{self.directory / 'dealbase.db'}",
            "DEALBASE_FILES_DIR": str(self.directory / "files"),
            "DEALBASE_CONTROL_TOKEN": self.control_token,
        }
        command = [sys.executable, "-m", "dealbase", "serve", "--sandbox", "--port", str(self.port)]
        log = open(self.directory / "server.log", "wb")  # noqa: SIM115 - the server's for its life
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dealbase serve --sandbox stopped: see {self.directory / 'server.log'}")
            try:
                if self.control.get("/").status_code == 200:
                    return self
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dealbase serve --sandbox did not answer in {STARTUP_SECONDS:.0f} s")

    def stop(self) -> None:
        self.control.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """``method`` on the control plane's ``/_dealbase{path}``: (status, JSON answer)."""
        got = self.control.request(method, path, json=body)
        return got.status_code, got.json() if got.content else None

    @contextmanager
    def company(self, **given: Any) -> Iterator[ServerCompany]:
        """A new company (``given``: the body of ``POST /_dealbase/companies``), deleted
        after with its fault rules."""
        made = self.control.post("/companies", json=given)
        if made.status_code != 201:
            raise RuntimeError(f"POST /_dealbase/companies: {made.status_code} {made.text}")
        body = made.json()
        company = ServerCompany(body["id"], self.base_url, body["api_token"], body["domain"], body, self.call)
        try:
            yield company
        finally:
            company.faults.clear()
            self.control.delete(f"/companies/{body['id']}")
