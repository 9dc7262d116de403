"""The web app as a client of dealbase's own API: every read and write is an API operation
run in-process as the signed-in user (``DealbaseApp.call_as``), never a table touched here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dealbase.app import DealbaseApp


class Refused(Exception):
    """The API refused a call: its status and the envelope's ``error``, shown to the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Api:
    """The API as one web session's user sees it."""

    def __init__(self, app: DealbaseApp, session_digest: str) -> None:
        self.app = app
        self.session = session_digest

    async def _call(self, method: str, api: str, path: str, query: dict[str, str] | None, body: Any) -> Any:
        status, answer = await self.app.call_as(self.session, api, method, path, query, body)
        if status >= 400:
            error = answer.get("error") if isinstance(answer, dict) else None
            raise Refused(status, str(error or f"The server answered {status}"))
        return answer

    async def get(self, api: str, path: str, query: dict[str, str] | None = None) -> Any:
        return await self._call("GET", api, path, query, None)

    async def send(self, method: str, api: str, path: str, body: dict[str, Any]) -> Any:
        return await self._call(method, api, path, None, body)
