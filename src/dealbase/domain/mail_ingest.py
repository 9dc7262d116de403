"""Smart BCC: one received RFC 5322 message into a company's mailbox (``domain/mail.py``).

As Pipedrive documents Smart BCC: a message sent from a user's address is *sent* mail, any
other is *received*; it joins the thread of the message it answers (``In-Reply-To``, then
``References``, newest first) or starts one; its addresses link to the persons who have them,
and a new thread to the open deal of the first such person (the deal updated last).

Mail is untrusted input. Nothing a message holds makes this raise anything but ``MailRefused``
(for what cannot be stored at all: an empty or oversized message); everything else is stored
as well as it can be, and what was wrong is kept with it (``problems``): undecodable headers
fall back to their raw text, a missing or absurd ``Date`` to the time received, an address
that is none is left out, a ``Message-ID`` already taken by another message is not reused for
threading, and ``References`` pointing at a thread that shares no address with the message
start a new thread instead (so a forged header cannot slip mail into another conversation).
A message delivered twice (same ``Message-ID``, sender, subject and date) is stored once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import EmailPolicy, default
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from itertools import islice
from typing import Any

import orjson

from dealbase.domain import mail, service
from dealbase.domain import mail_attachments as attach
from dealbase.errors import BadInput
from dealbase.store import mail as store
from dealbase.store.tables import mail_messages, mail_parties, mail_threads

Row = dict[str, Any]

MAX_SIZE = 25 * 1024 * 1024  # bytes of a whole message, as Pipedrive's mail limit
MAX_BODY = 1_000_000  # characters of a stored body
MAX_SUBJECT = 1000
MAX_PARTIES = 100  # per role
MAX_REFERENCES = 100
SNIPPET = 200
_KEY = re.compile(r"<([^<>\s]{1,250})>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TAG = re.compile(r"<[^>]*>")
_TIME = "%Y-%m-%d %H:%M:%S"


class _HeadersParsedOnce(EmailPolicy):
    """``policy.default``, but a header value is parsed once and the parsed header reused:
    the library parses it again on every read (``Content-Type`` a dozen times a message)."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        return _parsed_header(name, value)


@lru_cache(maxsize=4096)
def _parsed_header(name: str, value: str):
    # Parsed headers are immutable, so sharing one between messages changes nothing.
    return default.header_fetch_parse(name, value)


_POLICY = _HeadersParsedOnce()


class MailRefused(BadInput):
    """A message that cannot be stored at all; the reason says why."""


@dataclass
class Ingested:
    thread_id: int
    message_id: int
    duplicate: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Envelope:
    """What an SMTP delivery says besides the message (``smtp.py``); an import has none.

    ``sender``: the envelope's MAIL FROM ("" for the null sender); ``link``: the deal or
    lead whose own Smart BCC address it was sent to (``{"deal_id": 12}``)."""

    sender: str
    link: dict[str, Any] = field(default_factory=dict)


def ingest_bytes(unit, raw: bytes, files_dir: str, envelope: Envelope | None = None) -> Ingested:
    """Parse and store one message as received (the bytes of an .eml, an SMTP DATA); its
    attachments' contents go to the blob store under ``files_dir``."""
    if len(raw) > MAX_SIZE:
        raise MailRefused(f"The message is {len(raw)} bytes, over the limit of {MAX_SIZE}")
    if not raw.strip():
        raise MailRefused("The message is empty")
    try:
        msg = BytesParser(policy=_POLICY).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; this is a last guard
        raise MailRefused(f"The message cannot be parsed: {exc}") from None
    return ingest(unit, msg, len(raw), files_dir, envelope)  # type: ignore[arg-type]


@dataclass
class Report:
    """What a run of ``ingest_many`` did."""

    stored: int = 0
    duplicates: int = 0
    with_problems: int = 0
    # (position from 1, reason) of each message refused.
    refused: list[tuple[int, str]] = field(default_factory=list)


def ingest_many(unit, raws: Iterable[bytes], files_dir: str, chunk: int = 500) -> Report:
    """Ingest messages in order (an mbox's), ``chunk`` at a time in one batch of writes
    (``service.batch``: the counters are brought up to date once per item per chunk). A
    refused message is reported and skipped; the others are stored."""
    report = Report()
    raws = iter(raws)
    position = 0
    while True:
        taken = list(islice(raws, chunk))
        if not taken:
            return report
        with service.batch(unit):
            for raw in taken:
                position += 1
                try:
                    got = ingest_bytes(unit, raw, files_dir)
                except MailRefused as refused:
                    report.refused.append((position, str(refused)))
                    continue
                report.duplicates += got.duplicate
                report.stored += not got.duplicate
                report.with_problems += bool(got.problems)


def ingest(unit, msg: EmailMessage, size: int, files_dir: str, envelope: Envelope | None = None) -> Ingested:
    """Store a parsed message (``policy=default``) for the unit's company. Delivered over SMTP
    (``envelope``), mail whose From is a user's but whose envelope sender is none of the
    company's users is received mail, not the user's sent mail (a forged From names no one's
    outbox); mail to a deal's or lead's own address starts its thread linked to that item."""
    read = _Reader(msg)
    now = unit.clock()
    senders = read.addresses("From")
    if len(senders) > 1:
        read.problems.append("the From header names several addresses: the first is the sender")
    parties = {role: read.addresses(role.capitalize()) for role in mail.ROLES}
    parties["from"] = senders[:1]
    subject = read.header("Subject")[:MAX_SUBJECT]
    when = read.time(now)
    key = read.message_key()
    reply_keys = read.reply_keys()
    body, plain = read.body()
    attachments = read.attachments()

    addresses = {address for pairs in parties.values() for _, address in pairs}
    staff = _staff(unit, addresses)
    sender = staff.get(senders[0][1]) if senders else None
    if sender is not None and envelope is not None and not _is_staff(unit, envelope.sender):
        read.problems.append(
            f"From is user {sender['id']}'s address but the envelope sender {envelope.sender[:100]!r} is no user's: "
            "stored as received mail"
        )
        sender = None
    sent = sender is not None

    known = store.messages_with_keys(unit.conn, unit.company_id, ([key] if key else []) + reply_keys)
    if key is not None:
        taken = known.get(key)
        if taken is not None:
            if _same_delivery(unit, taken, senders, subject, when):
                return Ingested(taken["thread_id"], taken["id"], duplicate=True, problems=read.problems)
            read.problems.append(f"its Message-ID is already message {taken['id']}'s: not used for threading")
            key = None

    people = _persons(unit, addresses - set(staff))
    answered = [known[k] for k in reply_keys if k in known]
    parent = _parent_thread(unit, max(answered, key=lambda m: m["id"], default=None), addresses, read.problems)
    values = {
        "user_id": sender["id"] if sender else unit.user_id,
        "message_key": key,
        "reply_keys": orjson.dumps(reply_keys).decode(),
        "subject": subject,
        "snippet": _snippet(plain),
        "body": body,
        "sent_flag": sent,
        "message_time": when,
        "size": size,
        "attachment_count": len(attachments),
        "problems": orjson.dumps(read.problems).decode() if read.problems else None,
        "add_time": now,
        "update_time": now,
    }
    thread = _into_thread(unit, parent, values, now)
    if thread["deal_id"] is None and thread["lead_id"] is None:
        if not (envelope and envelope.link and _link_item(unit, thread, envelope.link, now, read.problems)):
            _link_deal(unit, thread, parties, people, now)
    message_id = service.insert(unit, mail_messages, {**values, "thread_id": thread["id"]}, event=mail.MESSAGE_EVENT)
    written = []
    for role in mail.ROLES:
        for name, address in parties[role]:
            person = people.get(address)
            party = {
                "message_id": message_id,
                "role": role,
                "address": address,
                "name": name or (person["name"] if person else ""),
                "person_id": person["id"] if person else None,
                "org_id": person["org_id"] if person else None,
            }
            service.insert(unit, mail_parties, party)
            written.append(party)
    thread = mail.thread(unit, thread["id"]) or thread
    if attachments:
        holder = next((p for p in written if p["person_id"] is not None), None)
        links = {
            "deal_id": thread["deal_id"],
            "lead_id": thread["lead_id"],
            "person_id": holder and holder["person_id"],
            "org_id": holder and holder["org_id"],
        }
        attach.store(unit, files_dir, message_id, values["user_id"], links, attachments)
    mail.refresh_counters(unit, [thread["deal_id"]], written)
    return Ingested(thread["id"], message_id, problems=read.problems)


def _staff(unit, addresses: set[str]) -> dict[str, Row]:
    """The company's active users among the addresses (all of them read once per unit: an
    import asks for every message)."""
    cached = unit.cache.get("mail_staff")
    if cached is None:
        cached = unit.cache["mail_staff"] = store.active_users_by_address(unit.conn, unit.company_id)
    return {a: cached[a] for a in addresses if a in cached}


def _is_staff(unit, address: str) -> bool:
    return bool(_staff(unit, {address.strip().lower()}))


def _persons(unit, addresses: set[str]) -> dict[str, Row]:
    """The persons having the addresses, each address looked up once per unit (ingesting
    adds no person, so what an import found for an address stays true while it runs)."""
    cached = unit.cache.setdefault("mail_persons", {})
    missing = addresses - cached.keys()
    if missing:
        found = store.persons_by_address(unit.conn, unit.company_id, missing)
        cached.update({a: found.get(a) for a in missing})
    return {a: cached[a] for a in addresses if cached[a] is not None}


def _same_delivery(unit, taken: Row, senders: list[tuple[str, str]], subject: str, when: str) -> bool:
    if taken["subject"] != subject or taken["message_time"] != when:
        return False
    first = [p["address"] for p in mail.parties_of(unit, [taken["id"]])[taken["id"]] if p["role"] == "from"]
    return first == [address for _, address in senders[:1]]


def _parent_thread(unit, parent: Row | None, addresses: set[str], problems: list[str]) -> Row | None:
    """The thread of ``parent`` (the latest message the message answers), if it shares an
    address with it."""
    if parent is None:
        return None
    if not store.thread_has_address(unit.conn, unit.company_id, parent["thread_id"], addresses):
        problems.append(
            f"it answers a message of thread {parent['thread_id']}, which has none of its addresses: a new thread"
        )
        return None
    return mail.thread(unit, parent["thread_id"])


def _into_thread(unit, parent: Row | None, values: Row, now: str) -> Row:
    """The message's thread, made or brought up to date with it."""
    when, sent = values["message_time"], values["sent_flag"]
    if parent is None:
        row = {
            "user_id": values["user_id"],
            "subject": values["subject"],
            "snippet": values["snippet"],
            "message_count": 1,
            "has_attachments": values["attachment_count"] > 0,
            "first_message_time": when,
            "last_message_time": when,
            "last_sent_time": when if sent else None,
            "last_received_time": None if sent else when,
            "read_flag": sent,
            "archived_flag": False,
            "add_time": now,
            "update_time": now,
        }
        row["folder"] = mail.folder_of(row)
        thread_id = service.insert(unit, mail_threads, row, event=mail.THREAD_EVENT, stamp=now)
        return {**row, "id": thread_id, "deal_id": None, "lead_id": None}
    changed: Row = {
        "message_count": parent["message_count"] + 1,
        "first_message_time": min(parent["first_message_time"], when),
        "update_time": now,
    }
    if when >= parent["last_message_time"]:
        changed.update(last_message_time=when, snippet=values["snippet"])
    if values["attachment_count"]:
        changed["has_attachments"] = True
    column = "last_sent_time" if sent else "last_received_time"
    if parent[column] is None or when > parent[column]:
        changed[column] = when
    if not sent:
        changed["read_flag"] = False
    changed["folder"] = mail.folder_of({**parent, **changed})
    service.change(unit, mail_threads, parent, changed, event=mail.THREAD_EVENT, stamp=now)
    return {**parent, **changed}


def _link_deal(unit, thread: Row, parties: dict[str, list], people: dict[str, Row], now: str) -> None:
    """Link a thread with no deal or lead to the open deal of the first person it names
    (the other side first: the sender of received mail, the recipients of sent mail)."""
    order = ("from", "to", "cc", "bcc") if thread["last_received_time"] else ("to", "cc", "bcc", "from")
    for role in order:
        for _, address in parties[role]:
            person = people.get(address)
            deal_id = store.open_deal_of(unit.conn, unit.company_id, person["id"]) if person else None
            if deal_id is not None:
                service.change(unit, mail_threads, thread, {"deal_id": deal_id}, event=mail.THREAD_EVENT, stamp=now)
                thread["deal_id"] = deal_id
                return


def _link_item(unit, thread: Row, link: Row, now: str, problems: list[str]) -> bool:
    """Link a new thread to the deal or lead whose own address the mail was sent to; False
    (noted) when that item is not the company's live one."""
    try:
        values = mail.parse_update(unit, link)
    except BadInput as refused:
        problems.append(f"sent to the address of an item not found ({refused.message}): linked as usual")
        return False
    service.change(unit, mail_threads, thread, values, event=mail.THREAD_EVENT, stamp=now)
    thread.update(values)
    return True


def _snippet(plain: str) -> str:
    return " ".join(plain.split())[:SNIPPET]


def clean(text: str) -> str:
    """Text a database takes: valid UTF-8 (undecodable bytes as U+FFFD), no control characters."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("", text)


class _Reader:
    """The parts of a message, each read so that no malformed header or part raises;
    what could not be read as it should is noted in ``problems``."""

    def __init__(self, msg: EmailMessage) -> None:
        self.msg = msg
        self.problems: list[str] = []
        self._bodies: dict[str, Any] = {}
        if getattr(msg, "defects", None):
            self.problems.append("malformed message: " + "; ".join(type(d).__name__ for d in msg.defects[:5]))

    def _texts(self, name: str) -> list[str]:
        try:
            return [str(v) for v in self.msg.get_all(name) or []]
        except Exception:
            self.problems.append(f"the {name} header could not be decoded: its raw text is used")
            return [str(v) for k, v in self.msg.raw_items() if k.lower() == name.lower()]

    def header(self, name: str) -> str:
        texts = self._texts(name)
        if len(texts) > 1:
            self.problems.append(f"the message has {len(texts)} {name} headers: the first is used")
        return " ".join(clean(texts[0]).split()) if texts else ""

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, lower-case address) of a header's addresses, each once."""
        found: dict[str, str] = {}
        try:
            pairs = getaddresses(self._texts(name))
        except Exception:
            pairs = []
            self.problems.append(f"the {name} header's addresses could not be read")
        for display, address in pairs:
            address = clean(address).strip().lower()
            local, at, domain = address.rpartition("@")
            if not (at and local and "." in domain and len(address) <= 320) or any(c.isspace() for c in address):
                if address or display:
                    self.problems.append(f"{name}: {(address or display)[:100]!r} is no address: left out")
                continue
            if address not in found and len(found) < MAX_PARTIES:
                found[address] = " ".join(clean(display).split())[:255]
        return [(display, address) for address, display in found.items()]

    def time(self, now: str) -> str:
        text = self.header("Date")
        if not text:
            self.problems.append("no Date header: the time received is used")
            return now
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            self.problems.append(f"Date {text[:100]!r} is no date: the time received is used")
            return now
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        try:
            when = when.astimezone(UTC)
        except (ValueError, OverflowError):
            self.problems.append(f"Date {text[:100]!r} is out of range: the time received is used")
            return now
        received = datetime.strptime(now, _TIME).replace(tzinfo=UTC)
        if when.year < 1970 or when > received + timedelta(days=1):
            self.problems.append(f"Date {text[:100]!r} is not believable: the time received is used")
            return now
        return when.strftime(_TIME)

    def message_key(self) -> str | None:
        keys = _KEY.findall(self.header("Message-ID"))
        if not keys:
            self.problems.append("no usable Message-ID: replies to it cannot be threaded")
            return None
        return keys[0].lower()

    def reply_keys(self) -> list[str]:
        """The keys it answers: In-Reply-To, then References from the newest."""
        keys = _KEY.findall(self.header("In-Reply-To")) + _KEY.findall(self.header("References"))[::-1]
        return list(dict.fromkeys(k.lower() for k in keys))[:MAX_REFERENCES]

    def body(self) -> tuple[str | None, str]:
        """The body to keep (HTML when there is, else plain text) and its plain text."""
        html, plain = self._part("html"), self._part("plain")
        body = html if html is not None else plain
        if body is not None and len(body) > MAX_BODY:
            self.problems.append(f"the body is {len(body)} characters: the first {MAX_BODY} are kept")
            body = body[:MAX_BODY]
        text = plain if plain is not None else _TAG.sub(" ", html or "")
        return body, text[:MAX_BODY]

    def _part(self, kind: str) -> str | None:
        try:
            part = self._body_part(kind)
        except Exception:
            self.problems.append(f"the message's {kind} body could not be found")
            return None
        if part is None:
            return None
        try:
            content = part.get_content()
        except Exception:
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            self.problems.append(f"the {kind} body could not be decoded: kept with replacement characters")
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        return clean(content) if isinstance(content, str) else None

    def attachments(self) -> list[attach.Attachment]:
        """Every part that is not the chosen body: a named part, an attached message, any
        part that is not text."""
        bodies = {id(p) for p in (self._found_body("html"), self._found_body("plain")) if p is not None}
        found: list[attach.Attachment] = []
        try:
            for part in attach.leaves(self.msg):
                if id(part) in bodies:
                    continue
                named = part.get_filename() is not None or part.get_content_disposition() == "attachment"
                if part.get_content_maintype() == "text" and not named:
                    continue  # another rendering of the body
                got = attach.read(part, len(found) + 1, clean)
                if got is not None:
                    found.append(got)
        except Exception:
            self.problems.append("the attachments could not all be read")
        return found

    def _body_part(self, kind: str):
        """The part ``get_body`` finds for ``kind`` (searched once; raises as it does)."""
        if kind not in self._bodies:
            try:
                self._bodies[kind] = self.msg.get_body(preferencelist=(kind,))
            except Exception as exc:
                self._bodies[kind] = exc
        found = self._bodies[kind]
        if isinstance(found, Exception):
            raise found
        return found

    def _found_body(self, kind: str):
        try:
            return self._body_part(kind)
        except Exception:
            return None
