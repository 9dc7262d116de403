"""The tests' API client."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

try:
    from tests.support import spec
except ImportError:  # pytest put tests/ itself on sys.path
    from support import spec


class Api:
    """A client for one caller: checks every response against the official schema."""

    def __init__(self, client: TestClient, token: str | None, check_schema: bool = True) -> None:
        self.client = client
        self.token = token
        self.check_schema = check_schema

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict | None = None,
        headers: dict | None = None,
        content: bytes | str | None = None,
        data: dict | None = None,
        files: dict | None = None,
        token: bool = True,
    ):
        headers = dict(headers or {})
        if token and self.token:
            headers.setdefault("x-api-token", self.token)
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if json is not None:
            kwargs["json"] = json
        if content is not None:
            kwargs["content"] = content
        if data is not None:
            kwargs["data"] = data
        if files is not None:
            kwargs["files"] = files
        response = self.client.request(method, url, **kwargs)
        assert response.headers["content-type"].startswith("application/json"), response.text
        body = response.json()
        if self.check_schema and spec.specs_available():
            spec.validate_response(method, url, response.status_code, body)
        return response

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)

    def put(self, url, **kw):
        return self.request("PUT", url, **kw)

    def patch(self, url, **kw):
        return self.request("PATCH", url, **kw)

    def delete(self, url, **kw):
        return self.request("DELETE", url, **kw)
