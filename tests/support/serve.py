"""``dealbase serve`` as a subprocess, the way users run it: start, wait until it answers, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

# base URL -> (ready, what it answered)
Probe = Callable[[str], tuple[bool, str]]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 5):
    """(status, headers, detail) of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as response:
            return response.status, response.headers, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, f"HTTP {exc.code}: {exc.read()[:500]!r}"
    except OSError as exc:
        return 0, {}, str(exc)


def answers(path: str, status: int = 200, headers: dict[str, str] | None = None) -> Probe:
    """A probe: ready once ``GET path`` answers ``status``."""

    def probe(url: str) -> tuple[bool, str]:
        got, _headers, detail = get(f"{url}{path}", headers, timeout=2)
        return got == status, detail

    return probe


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    def output(self, limit: int = 8000) -> str:
        return self.log.read_text(errors="replace")[-limit:]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the server's own process group (this test made it) and wait for it."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc) -> None:
        self.kill(signal.SIGTERM)


def start(
    database_url: str,
    workdir: Path,
    token: str,
    env: dict[str, str] | None = None,
    name: str = "server",
    args: Sequence[str] = (),
    ready: Probe | None = None,
    timeout: float = 30,
) -> Server:
    """Starts the server in ``workdir`` on a free port; returns once ``ready`` (default: ``GET
    /v1/users/me`` with ``token`` answers 200) says so, fails the test when it exits or never does."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / f"{name}-{port}.log"
    environ = {**os.environ, "DEALBASE_API_TOKEN": token, "PYTHONUNBUFFERED": "1", **(env or {})}
    cmd = [sys.executable, "-m", "dealbase", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--database-url", database_url, *args]
    ready = ready or answers("/v1/users/me", headers={"x-api-token": token})
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=workdir, env=environ, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(proc, url, log)
    deadline = time.monotonic() + timeout
    last = "no attempt yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`{' '.join(cmd)}` exited with {proc.returncode}:\n{server.output()}")
        up, last = ready(url)
        if up:
            return server
        time.sleep(0.2)
    server.kill()
    pytest.fail(f"`{' '.join(cmd)}` did not answer within {timeout:.0f} s (last: {last}):\n{server.output()}")
