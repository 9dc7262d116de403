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
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-8000:]

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


def start(
    database_url: str, workdir: Path, token: str, env: dict[str, str] | None = None, name: str = "server"
) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / f"{name}-{port}.log"
    environ = {**os.environ, "DEALBASE_API_TOKEN": token, "PYTHONUNBUFFERED": "1", **(env or {})}
    cmd = [sys.executable, "-m", "dealbase", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--database-url", database_url]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=workdir, env=environ, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(proc, url, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"dealbase serve exited with {proc.returncode}:\n{server.output()}")
        request = urllib.request.Request(f"{url}/v1/users/me", headers={"x-api-token": token})
        try:
            with urllib.request.urlopen(request, timeout=2):
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    server.kill()
    raise AssertionError(f"dealbase serve did not answer within 30 s:\n{server.output()}")
