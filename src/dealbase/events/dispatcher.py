"""The webhook dispatcher: an asyncio task in each server process that sends the outbox.

It claims due deliveries for a lease (``store/webhooks.py: claim``: ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so several processes never send one row twice), POSTs each with
Pipedrive's rules, and records the outcome:

- success is any 2xx within the timeout (10 s); redirects are not followed;
- a failure is retried after 3, 30 and 150 s (``webhooks_retry_delays``), 4 tries in all;
- every failed first try counts towards a ban: at 10 the webhook is banned for 30 minutes
  (its events meanwhile are lost: the outbox writes none);
- a webhook with no successful delivery for 3 days is removed.

Everything is in the database, so a restarted process goes on where the last one stopped;
a process killed mid-send leaves its claim to expire, and the row is sent again (at least
once). Only the oldest pending delivery of an entity is due, so each entity's events
arrive in order.

``Sender`` sends one claimed delivery and records its outcome, for the loop and for
``flush`` (the control plane's: a company's pending deliveries at once, without waiting for
retry times or bans).

Retry times, bans and the 3 days are in the company's time (``domain/company_clock.py``):
for a company on real time that is real time; a company whose clock is set is claimed by
its own present, so a frozen clock's retries wait for the clock, and moving the clock
sends what became due (``send_due``, the control plane's, before its call answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
import httpx2 as httpx
import orjson
from sqlalchemy import Engine

from dealbase.domain import company_clock
from dealbase.domain.company_clock import Setting
from dealbase.events import outbox
from dealbase.settings import Settings
from dealbase.store import webhooks as store

log = logging.getLogger("dealbase.webhooks")

BAN_AFTER = 10  # failed first attempts
BATCH = 50  # deliveries in flight per process
REMOVE_REASON = "no successful deliveries in 3 days"


def stored_time(moment: float) -> str:
    """A Unix time in the stored form (UTC ``YYYY-MM-DD HH:MM:SS``)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S")


class Dispatcher:
    def __init__(self, engine: Engine, settings: Settings, *, inline: bool) -> None:
        self.settings = settings
        self.sender = Sender(engine, settings, inline=inline)
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: set[asyncio.Task] = set()
        self._stopping = False

    # -- life ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        outbox.WAKERS.append(self.wake)
        self._task = asyncio.create_task(self._run(), name="dealbase-webhooks")

    async def stop(self) -> None:
        # The flag as well as the cancel: a cancel can be lost (on Python 3.11 one that meets
        # wait_for's timeout comes out as TimeoutError; a wait on a worker thread is shielded),
        # and the loop would go on for ever. Seen as a hang at shutdown, about 1 run in 12.
        self._stopping = True
        with contextlib.suppress(ValueError):
            outbox.WAKERS.remove(self.wake)
        if self._wake is not None:
            self._wake.set()
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            done, _pending = await asyncio.wait(tasks, timeout=self.sender.lease)
            for task in done:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    task.result()
        await self.sender.aclose()

    def wake(self) -> None:
        """From any thread: deliveries were written (or one finished)."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            claimed = 0
            try:
                room = BATCH - len(self._inflight)
                if room > 0:
                    rows = await self.sender.db(self.sender.claim, room)
                    claimed = len(rows)
                    for row in rows:
                        task = asyncio.create_task(self._deliver(row))
                        self._inflight.add(task)
                        task.add_done_callback(self._inflight.discard)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away for a moment: try again later
                log.exception("webhook dispatcher: claiming deliveries failed")
            if claimed or self._stopping:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.webhooks_poll_seconds)
                # Woken by a write that may not have committed yet: give it a moment.
                await asyncio.sleep(0.02)
            except TimeoutError:
                pass
            self._wake.clear()

    async def _deliver(self, row: dict[str, Any]) -> None:
        await self.sender.deliver(row)
        self.wake()  # a retry or the entity's next event may be due now


class Sender:
    """Sends claimed deliveries and records what came of each: the one sender of the
    dispatcher's loop and of ``flush``."""

    def __init__(self, engine: Engine, settings: Settings, *, inline: bool) -> None:
        self.engine = engine
        self.settings = settings
        # SQLite: the database work runs on the event loop like the requests' (one writer
        # at a time in this process); PostgreSQL: in the thread pool.
        self.inline = inline
        self.token = str(uuid.uuid4())
        self.lease = settings.webhooks_timeout + 5.0
        self._client: httpx.AsyncClient | None = None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.inline:
            return fn(*args)
        return await anyio.to_thread.run_sync(fn, *args)

    # -- database -----------------------------------------------------------------------

    def claim(self, limit: int, company_id: int | None = None) -> list[dict[str, Any]]:
        """Due deliveries of every company, each by its own clock; with ``company_id``, every
        pending one of that company not yet tried by this sender, due or not
        (``store.claim``'s ``flush``)."""
        moment = time.time()
        with self.engine.connect() as conn:
            conn = conn.execution_options(dealbase_write=True)
            if company_id is not None:
                rows = store.claim(
                    conn, self.token, moment, stored_time(moment), self.lease, limit, company_id=company_id, flush=True
                )
            else:
                rows = store.claim(conn, self.token, moment, stored_time(moment), self.lease, limit)
                for clocked in store.clocked_pending(conn):
                    if len(rows) >= limit:
                        break
                    rows += self.claim_due(conn, clocked["id"], company_clock.from_row(clocked), limit - len(rows))
            conn.commit()
        return rows

    def claim_due(self, conn: Any, company_id: int, clock: Setting, limit: int = BATCH) -> list[dict[str, Any]]:
        """The company's deliveries due by its ``clock``, on ``conn`` (the caller commits: the
        control plane claims in the transaction that moves the clock, so no dispatcher takes
        them first; the claim skips locked rows, so taking it after the company's row, out of
        ``store/webhooks.py``'s lock order, waits for nobody)."""
        due = clock.timestamp()
        return store.claim(
            conn, self.token, time.time(), stored_time(due), self.lease, limit, company_id=company_id, due=due
        )

    def claim_company_due(self, company_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(dealbase_write=True)
            rows = self.claim_due(conn, company_id, company_clock.read(conn, company_id) or Setting())
            conn.commit()
        return rows

    def finish(self, row: dict[str, Any], status: int | None, error: str | None) -> str:
        """Record the outcome of a try; the delivery's status after it."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(dealbase_write=True)
            # the company's present: its retry times, ban and 3 days follow its clock
            moment = (company_clock.read(conn, row["company_id"]) or Setting()).timestamp()
            stamp = stored_time(moment)
            if error is None:
                store.delivered(conn, row, status, stamp)
                outcome = store.DELIVERED
            else:
                delays = self.settings.webhook_retry_delays
                attempt = row["attempts"]
                next_at = moment + delays[attempt - 1] if attempt <= len(delays) else None
                store.attempt_failed(conn, row, status, error, stamp, next_at)
                outcome = store.FAILED if next_at is None else store.PENDING
                if attempt == 1:
                    until = stored_time(moment + self.settings.webhooks_ban_seconds)
                    if store.count_first_failure(conn, row, BAN_AFTER, until):
                        log.warning("webhook %s banned until %s", row["webhook_id"], until)
                last_ok = row["last_success_time"] or row["webhook_add_time"]
                cutoff = datetime.fromtimestamp(moment, UTC) - timedelta(
                    seconds=self.settings.webhooks_remove_after_seconds
                )
                if last_ok < cutoff.strftime("%Y-%m-%d %H:%M:%S"):
                    store.remove(conn, row["company_id"], row["webhook_id"], stamp, REMOVE_REASON)
                    log.warning("webhook %s removed: %s", row["webhook_id"], REMOVE_REASON)
                    outcome = store.DROPPED if next_at is not None else outcome
            conn.commit()
        return outcome

    # -- sending ------------------------------------------------------------------------

    async def deliver(self, row: dict[str, Any]) -> Delivered:
        """Send one claimed delivery and record the outcome."""
        status, error = await self.send(row)
        outcome = store.PENDING  # if it cannot be recorded, the claim expires and it goes again
        try:
            outcome = await self.db(self.finish, row, status, error)
        except Exception:
            log.exception("webhook dispatcher: recording delivery %s failed", row["id"])
        return Delivered(row["id"], row["subscription_url"], outcome, status, error)

    async def send(self, row: dict[str, Any]) -> tuple[int | None, str | None]:
        """POST the delivery: (HTTP status, None) on success, else (status or None, why)."""
        if self._client is None:  # made on first use: it costs tens of milliseconds
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        payload = orjson.loads(row["payload"])
        if payload.get("v") == 1:
            payload["retry"] = row["attempts"] - 1
        else:
            payload["meta"]["attempt"] = row["attempts"]
        url = row["subscription_url"]
        if not self.settings.webhooks_allow_private and await _private(url):
            return None, "receiver address is not public"
        auth = None
        if row["http_auth_user"] is not None or row["http_auth_password"] is not None:
            auth = httpx.BasicAuth(row["http_auth_user"] or "", row["http_auth_password"] or "")
        try:
            response = await self._client.post(
                url,
                content=orjson.dumps(payload),
                headers={"content-type": "application/json", "user-agent": "dealbase webhooks"},
                auth=auth,
                timeout=self.settings.webhooks_timeout,
            )
        except httpx.TimeoutException:
            return None, "timeout"
        except (httpx.HTTPError, OSError) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:255]
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"


@dataclass(frozen=True)
class Delivered:
    """What came of one try: the delivery's status after it, the receiver's HTTP status."""

    delivery_id: int
    url: str
    status: str
    response_status: int | None
    error: str | None


async def _private(url: str) -> bool:
    """A receiver's name resolving to a non-public address is refused at each send too
    (the name may have changed since it was registered)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443)
        except OSError:
            return False  # unresolvable: the send itself fails and says so
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    return any(not a.is_global for a in addresses)


async def flush(engine: Engine, settings: Settings, company_id: int, *, inline: bool) -> list[Delivered]:
    """Send every pending delivery of the company now, retry times and bans not waited for,
    and answer what came of each.

    Each is tried once, in rounds: a round sends the oldest pending delivery of each item at
    once, so an item's events still arrive in order, and one that fails holds the item's
    later ones back (they stay pending, as in the loop). Rows a running dispatcher holds are
    left to it.
    """
    sender = Sender(engine, settings, inline=inline)
    done: list[Delivered] = []
    try:
        while rows := await sender.db(sender.claim, BATCH, company_id):
            done += await asyncio.gather(*(sender.deliver(row) for row in rows))
    finally:
        await sender.aclose()
    return done


async def send_due(sender: Sender, company_id: int, claimed: list[dict[str, Any]]) -> list[Delivered]:
    """Send ``claimed`` (the company's deliveries a clock change made due, claimed with it),
    then, round by round, what became due after them (an item's next event once its earlier
    one is delivered); what came of each."""
    done: list[Delivered] = []
    try:
        rows = claimed
        while rows:
            done += await asyncio.gather(*(sender.deliver(row) for row in rows))
            rows = await sender.db(sender.claim_company_due, company_id)
    finally:
        await sender.aclose()
    return done
