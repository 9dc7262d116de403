"""The SMTP receiver of Smart BCC mail (aiosmtpd), on when ``DEALBASE_SMTP_PORT`` is set.

A message comes in as Pipedrive's Smart BCC takes it: sent, or forwarded, with a company's
address (``domain/smart_bcc.py``) among its envelope recipients. Each recipient is checked at
RCPT: one that is no company's address is refused there (550), so nothing accepted is dropped
later. At the end of DATA the message goes to ``domain/mail_ingest.py: ingest_bytes`` once per
company named, in a transaction of its own, the same path ``dealbase mail import`` takes, so the
two thread alike. What that refuses (an empty message; over 25 MB aiosmtpd already answers 552)
is answered 554 with the reason; a fault while storing is 451, so the sender tries again (a
company that stored it before the fault keeps one copy: ingest knows a delivery it has).

The server runs on a loop of its own in a thread (aiosmtpd's ``Controller``), so mail never
waits on the API's loop nor the API on mail; each ingest runs in a worker thread, one at a time
on SQLite (one writer there anyway), side by side on PostgreSQL. It is started and stopped by
the app's lifespan (``app.py``); ``dealbase serve`` with several workers runs it in the
supervising process instead, so that one receiver holds the port (``cli.py``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine

from dealbase.domain import company_clock, smart_bcc
from dealbase.domain.mail_ingest import MAX_SIZE, MailRefused, ingest_bytes
from dealbase.domain.mail_ingest import Envelope as Delivery
from dealbase.domain.unit import as_first_admin
from dealbase.settings import Settings
from dealbase.store.db import is_sqlite

log = logging.getLogger("dealbase.smtp")

MAX_RECIPIENTS = 100
# Longer than RFC 5321's 1,000: mail from careless senders is stored with its problems, not refused.
LINE_LIMIT = 1 << 20


@dataclass(frozen=True)
class Delivered:
    company_id: int
    thread_id: int
    message_id: int
    duplicate: bool


class _Server(SMTP):
    line_length_limit = LINE_LIMIT


class Handler:
    """aiosmtpd's hooks: RCPT checks the address, DATA stores the message."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.shared: dict[Any, Any] = {}
        self._one_writer = asyncio.Lock() if is_sqlite(str(engine.url)) else None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            found = await asyncio.to_thread(self._recipient, address)
        except Exception:
            log.exception("SMTP: looking up recipient %r failed", address)
            return "451 4.3.0 The recipient cannot be checked now: try again later"
        if found is None:
            return f"550 5.1.1 <{address[:200]}>: no Smart BCC address here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        _recipients(envelope).append(found)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        try:
            if self._one_writer is None:
                done = await asyncio.to_thread(self.deliver, raw, envelope.mail_from or "", _recipients(envelope))
            else:
                async with self._one_writer:
                    done = await asyncio.to_thread(self.deliver, raw, envelope.mail_from or "", _recipients(envelope))
        except MailRefused as refused:
            return f"554 5.6.0 {refused.message}"
        except Exception:
            log.exception("SMTP: storing a message from %r failed", envelope.mail_from)
            return "451 4.3.0 The message could not be stored now: try again later"
        threads = ", ".join(f"company {d.company_id} thread {d.thread_id}" for d in done)
        return f"250 2.0.0 OK: {threads}"

    def _recipient(self, address: str) -> smart_bcc.Recipient | None:
        with self.engine.connect() as conn:
            return smart_bcc.recipient(conn, address, self.settings.smtp_domain)

    def deliver(self, raw: bytes, sender: str, recipients: list[smart_bcc.Recipient]) -> list[Delivered]:
        """Store the message once for each company among the recipients (with the first deal or
        lead address of it that was named), each in a transaction of its own."""
        links: dict[int, dict[str, Any]] = {}
        for found in recipients:
            link = {"deal_id": found.deal_id} if found.deal_id else {"lead_id": found.lead_id} if found.lead_id else {}
            if not links.get(found.company_id):
                links[found.company_id] = link
        done = []
        for company_id, link in links.items():
            with self.engine.connect().execution_options(dealbase_write=True) as conn:
                unit = as_first_admin(conn, company_id, shared=self.shared)
                company_clock.attach(unit)  # the company's time, as its API requests have it
                got = ingest_bytes(unit, raw, self.settings.files_dir, Delivery(sender, link))
                conn.commit()
            done.append(Delivered(company_id, got.thread_id, got.message_id, got.duplicate))
        return done


def _recipients(envelope: Envelope) -> list[smart_bcc.Recipient]:
    found = getattr(envelope, "dealbase_recipients", None)
    if found is None:
        found = envelope.dealbase_recipients = []  # type: ignore[attr-defined]
    return found


class Receiver:
    """The SMTP server on ``settings.smtp_host``:``smtp_port``, on a thread of its own."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.handler = Handler(engine, settings)
        self.controller = _Controller(
            self.handler,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            data_size_limit=MAX_SIZE,
            enable_SMTPUTF8=True,
            ident="dealbase Smart BCC",
        )

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> None:
        self.controller.start()
        log.info("SMTP: taking Smart BCC mail on %s:%s", self.controller.hostname, self.controller.port)

    def stop(self) -> None:
        self.controller.stop()


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _Server(self.handler, **self.SMTP_kwargs)
