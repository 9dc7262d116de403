"""A company's clock (``domain/company_clock.py``), under ``/_dealbase/companies/{id}/clock``.

- ``GET``: ``{"now", "frozen"}``, ``now`` in RFC 3339 UTC (``2031-01-01T09:00:00Z``).
- ``PUT`` ``{"now"?, "frozen"?}``: ``now`` an RFC 3339 time (any, backwards too) or null
  (back to real time); ``frozen`` a boolean; what is not given stays.
- ``POST …/clock/advance`` ``{"seconds"}``: a positive integer; moves the time forward.

A ``PUT`` or an advance sends the company's webhook deliveries that became due by its new
time (a retry) before it answers: they are claimed in the transaction that moves the clock,
so no dispatcher takes them first (``events/dispatcher.py: send_due``).

An unknown company is a 404, a bad body a 400; either changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute

from dealbase.api.errors import BadRequest, NotFound
from dealbase.clock import parse_time, to_v2
from dealbase.control.plane import Call, Plane, off_loop, route
from dealbase.domain import company_clock
from dealbase.domain.company_clock import Setting
from dealbase.events import dispatcher

# The times the stored form holds (four-digit years), from the epoch on.
_EARLIEST, _LATEST = "1970-01-01 00:00:00", "9999-12-31 23:59:59"
_MAX_SECONDS = 100 * 366 * 86_400


def _shown(setting: Setting) -> dict[str, Any]:
    return {"now": to_v2(setting.now()), "frozen": setting.frozen}


def _put_body(call: Call) -> dict[str, Any]:
    call.only("now", "frozen")
    body = call.body
    given: dict[str, Any] = {}
    if "now" in body:
        raw = body["now"]
        stored = parse_time(raw) if isinstance(raw, str) else None
        if raw is not None and (stored is None or not _EARLIEST <= stored <= _LATEST):
            raise BadRequest("now must be an RFC 3339 time (2031-01-01T09:00:00Z) from 1970 on, or null")
        given["now"] = stored
    if "frozen" in body:
        if not isinstance(body["frozen"], bool):
            raise BadRequest("frozen must be true or false")
        given["frozen"] = body["frozen"]
    return given


def _seconds(call: Call) -> int:
    call.only("seconds")
    seconds = call.body.get("seconds")
    if isinstance(seconds, float) and seconds.is_integer():
        seconds = int(seconds)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= _MAX_SECONDS:
        raise BadRequest(f"seconds must be a positive integer (at most {_MAX_SECONDS})")
    return seconds


def _changing(
    plane: Plane,
    call: Call,
    change: Callable[[Any, int, Setting], Setting | None],
    then: Callable[[Any, int, Setting], None] | None = None,
) -> Callable[[], Any]:
    """One transaction: the company's clock read (404 if unknown), changed (``then`` done
    with the new clock), shown."""
    company_id = call.int_path("company_id")

    def work() -> dict[str, Any]:
        with plane.app.engine.connect().execution_options(dealbase_write=True) as conn:
            current = company_clock.read(conn, company_id)
            if current is None:
                raise NotFound(f"Unknown company: {company_id}")
            setting = change(conn, company_id, current) or current
            if then is not None:
                then(conn, company_id, setting)
            conn.commit()
        company_clock.forget(plane.app.shared, company_id)
        return _shown(setting)

    return work


async def _moving(plane: Plane, call: Call, change: Callable[[Any, int, Setting], Setting | None]) -> dict[str, Any]:
    """The clock changed, then the deliveries that became due sent."""
    app = plane.app
    sender = dispatcher.Sender(app.engine, app.settings, inline=app.inline)
    due: list[dict[str, Any]] = []

    def claim(conn: Any, company_id: int, setting: Setting) -> None:
        due.extend(sender.claim_due(conn, company_id, setting))

    # the sender holds nothing until it sends: if the change fails there is nothing to close
    shown = await off_loop(plane, _changing(plane, call, change, claim))
    await dispatcher.send_due(sender, call.int_path("company_id"), due)
    return shown


def routes(plane: Plane) -> list[BaseRoute]:
    async def get_clock(plane: Plane, call: Call) -> tuple[int, Any]:
        return 200, await off_loop(plane, _changing(plane, call, lambda conn, company_id, current: None))

    async def put_clock(plane: Plane, call: Call) -> tuple[int, Any]:
        given = _put_body(call)
        return 200, await _moving(plane, call, lambda conn, cid, current: company_clock.put(conn, cid, current, given))

    async def advance_clock(plane: Plane, call: Call) -> tuple[int, Any]:
        seconds = _seconds(call)
        return 200, await _moving(
            plane, call, lambda conn, cid, current: company_clock.advance(conn, cid, current, seconds)
        )

    return [
        route(plane, "/companies/{company_id}/clock", get_clock, ["GET"]),
        route(plane, "/companies/{company_id}/clock", put_clock, ["PUT"]),
        route(plane, "/companies/{company_id}/clock/advance", advance_clock, ["POST"]),
    ]
