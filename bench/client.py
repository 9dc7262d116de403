"""One HTTP request to a server under test, with its API token."""

from __future__ import annotations

import http.client
import json
import urllib.parse


def request(
    base: str, path: str, token: str, *, method: str = "GET", body: dict | None = None, timeout: float = 30
) -> tuple[int, bytes, dict]:
    """(status, body, headers) of ``method path`` on ``base``; ``body`` is sent as JSON."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        headers = {"x-api-token": token}
        payload = None
        if body is not None:
            headers["content-type"] = "application/json"
            payload = json.dumps(body)
        conn.request(method, path, body=payload, headers=headers)
        r = conn.getresponse()
        return r.status, r.read(), dict(r.getheaders())
    finally:
        conn.close()
