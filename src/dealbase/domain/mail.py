"""E-mail (``/v1/mailbox/…``): threads of messages, as Pipedrive's mailbox shows them.

Messages come in through Smart BCC (``domain/mail_ingest.py``); nothing here sends mail. A
thread is in one folder: ``archive`` when archived, else ``inbox`` once it has a received
message, else ``sent`` (``drafts`` stays empty: no draft is written here). A thread links to a
deal or a lead; each message's parties link to the persons whose addresses they are. Deals,
persons and organizations keep ``email_messages_count`` and the times of the last received and
sent message (``last_incoming_mail_time``, ``last_outgoing_mail_time``) as stored counters.
"""

from __future__ import annotations

from typing import Any

from dealbase.clock import to_iso
from dealbase.domain import counters, hooks, service
from dealbase.domain.ids import parse_uuid
from dealbase.domain.roles import integer, json_object
from dealbase.errors import BadInput
from dealbase.store import mail as store
from dealbase.store import repository as repo
from dealbase.store.tables import deals, leads, mail_messages, mail_parties, mail_threads, persons

Row = dict[str, Any]

THREAD_EVENT = "mailThread"
MESSAGE_EVENT = "mailMessage"
FOLDERS = ("inbox", "drafts", "sent", "archive")
ROLES = ("from", "to", "cc", "bcc")
SOURCE = "mail"
# What Pipedrive names the mail account of a message; here the company's Smart BCC mailbox.
ACCOUNT = "smart-bcc"


def _bad(key: str, what: str) -> BadInput:
    return BadInput(f"Validation failed: {key}: {what}")


def folder_of(row: Row) -> str:
    if row["archived_flag"]:
        return "archive"
    return "inbox" if row["last_received_time"] is not None else "sent"


# -- reads -----------------------------------------------------------------------------------


def thread(unit, thread_id: int) -> Row | None:
    row = repo.get(unit.conn, mail_threads, unit.company_id, thread_id)
    return row if row is not None and not row["is_deleted"] else None


def message(unit, message_id: int) -> Row | None:
    row = repo.get(unit.conn, mail_messages, unit.company_id, message_id)
    if row is None or row["is_deleted"] or thread(unit, row["thread_id"]) is None:
        return None
    return row


def threads_in(unit, folder: str, start: int, limit: int) -> list[Row]:
    """One page of a folder's live threads, the latest message first."""
    where = [mail_threads.c.folder == folder, mail_threads.c.is_deleted.is_(False)]
    order = [mail_threads.c.last_message_time.desc(), mail_threads.c.id.desc()]
    return repo.list_offset(unit.conn, mail_threads, unit.company_id, where, order, start, limit)


def messages_in(unit, thread_id: int) -> list[Row]:
    where = (mail_messages.c.thread_id == thread_id, mail_messages.c.is_deleted.is_(False))
    order = [mail_messages.c.message_time, mail_messages.c.id]
    return repo.all_rows(unit.conn, mail_messages, unit.company_id, *where, order_by=order)


def messages_of(unit, parent: str, parent_id: int, start: int, limit: int) -> list[Row]:
    """One page of the messages around a deal, person or organization, newest first."""
    return store.messages_of(unit.conn, unit.company_id, parent, parent_id, start, limit)


def parties_of(unit, message_ids: list[int]) -> dict[int, list[Row]]:
    """message id → its parties, in the order they were written."""
    found: dict[int, list[Row]] = {i: [] for i in message_ids}
    if message_ids:
        where = mail_parties.c.message_id.in_(message_ids)
        for row in repo.all_rows(unit.conn, mail_parties, unit.company_id, where, order_by=[mail_parties.c.id]):
            found[row["message_id"]].append(row)
    return found


def person_names(unit, parties: list[Row]) -> dict[int, str]:
    return {i: row["name"] for i, row in unit.rows(persons, {p["person_id"] for p in parties}).items()}


# -- writes ----------------------------------------------------------------------------------


def parse_update(unit, body: Any) -> Row:
    """The columns a thread update sets: its deal or lead link and its flags, checked."""
    body = json_object(body)
    values: Row = {}
    for key in ("read_flag", "shared_flag", "archived_flag"):
        if key in body:
            values[key] = _flag(body[key], key)
    if "deal_id" in body:
        values["deal_id"] = _deal_id(unit, body["deal_id"])
    if "lead_id" in body:
        values["lead_id"] = _lead_id(unit, body["lead_id"])
    if values.get("deal_id") is not None and values.get("lead_id") is not None:
        raise _bad("deal_id", "a thread links to a deal or a lead, not both")
    return values


def _flag(value: Any, key: str) -> bool:
    if isinstance(value, str) and value.strip() in ("0", "1"):
        value = int(value.strip())
    if value in (0, 1) and not isinstance(value, (bool, float)):
        return bool(value)
    raise _bad(key, "must be 0 or 1")


def _deal_id(unit, value: Any) -> int | None:
    if value in (None, ""):
        return None
    deal_id = integer(value, "deal_id")
    row = repo.get(unit.conn, deals, unit.company_id, deal_id)
    if row is None or row["is_deleted"]:
        raise _bad("deal_id", f"Deal with id {deal_id} not found")
    return deal_id


def _lead_id(unit, value: Any) -> str | None:
    if value in (None, ""):
        return None
    lead_id = parse_uuid(value)
    if lead_id is None:
        raise _bad("lead_id", "must be a UUID")
    row = repo.first(unit.conn, leads, unit.company_id, leads.c.id == lead_id)
    if row is None or row["is_deleted"]:
        raise _bad("lead_id", f"Lead with id {lead_id} not found")
    return lead_id


def update_thread(unit, old: Row, values: Row) -> None:
    changed = {k: v for k, v in values.items() if old[k] != v}
    # Linking to one clears the other link.
    if changed.get("deal_id") is not None and old["lead_id"] is not None:
        changed["lead_id"] = None
    if changed.get("lead_id") is not None and old["deal_id"] is not None:
        changed["deal_id"] = None
    if not changed:
        return
    folder = folder_of({**old, **changed})
    if folder != old["folder"]:
        changed["folder"] = folder
    stamp = unit.clock()
    service.change(unit, mail_threads, old, {**changed, "update_time": stamp}, event=THREAD_EVENT, stamp=stamp)
    if "deal_id" in changed:
        counters.refresh(unit, SOURCE, "deal", [old["deal_id"], changed["deal_id"]])


def delete_thread(unit, row: Row) -> None:
    """Delete a thread and its messages (kept, flagged): they leave every count."""
    stamp = unit.clock()
    parties: list[Row] = []
    for msg in messages_in(unit, row["id"]):
        service.retire(unit, mail_messages, msg, event=MESSAGE_EVENT, stamp=stamp)
        parties += parties_of(unit, [msg["id"]])[msg["id"]]
    service.retire(unit, mail_threads, row, event=THREAD_EVENT, stamp=stamp)
    refresh_counters(unit, [row["deal_id"]], parties)


def refresh_counters(unit, deal_ids: list[int | None], parties: list[Row]) -> None:
    counters.refresh(unit, SOURCE, "deal", deal_ids)
    counters.refresh(unit, SOURCE, "person", [p["person_id"] for p in parties])
    counters.refresh(unit, SOURCE, "organization", [p["org_id"] for p in parties])


# What a merge moves (the merge refreshes the counters of both items after).
_MERGED = {
    "deal": (mail_threads, "deal_id"),
    "person": (mail_parties, "person_id"),
    "organization": (mail_parties, "org_id"),
}


@hooks.on_merge
def _move_mail(unit, entity: str, absorbed: int, survivor: int, stamp: str) -> None:
    """A merged deal's threads, a merged person's or organization's addresses go to the survivor."""
    if entity not in _MERGED:
        return
    table, column = _MERGED[entity]
    if table is mail_threads:
        service.relink(unit, table, column, absorbed, survivor, event=THREAD_EVENT, stamp=stamp, update_time=stamp)
    else:
        service.relink(unit, table, column, absorbed, survivor)


@counters.source(SOURCE)
def _mail_counters(conn, company_id: int, parent: str, ids: list[int]) -> dict[int, Row]:
    found = store.totals(conn, company_id, parent, ids)
    empty = {"count": 0, "last_in": None, "last_out": None}
    return {
        i: {
            "email_messages_count": found.get(i, empty)["count"],
            "last_incoming_mail_time": found.get(i, empty)["last_in"],
            "last_outgoing_mail_time": found.get(i, empty)["last_out"],
        }
        for i in ids
    }


# -- presentation ----------------------------------------------------------------------------


def _party(row: Row, names: dict[int, str], *, listed: bool) -> Row:
    shown = {
        "id": row["id"],
        "email_address": row["address"],
        "name": row["name"],
        "linked_person_id": row["person_id"] or 0,
        "linked_person_name": names.get(row["person_id"], ""),
        "mail_message_party_id": row["id"],
    }
    if listed:
        shown["linked_organization_id"] = row["org_id"]
    return shown


def _flags(row: Row) -> Row:
    attachments = int(bool(row.get("attachment_count") or row.get("has_attachments")))
    return {
        "account_id": ACCOUNT,
        "user_id": row["user_id"],
        "subject": row["subject"],
        "snippet": row["snippet"],
        "mail_tracking_status": None,
        "mail_link_tracking_enabled_flag": 0,
        "has_attachments_flag": attachments,
        "has_inline_attachments_flag": 0,
        "has_real_attachments_flag": attachments,
        "deleted_flag": int(row["is_deleted"]),
        "synced_flag": 0,
        "smart_bcc_flag": 1,
        "add_time": to_iso(row["add_time"]),
        "update_time": to_iso(row["update_time"] or row["add_time"]),
    }


def present_message(
    row: Row, parties: list[Row], names: dict[int, str], read: bool, *, body: bool = False, listed: bool = False
) -> Row:
    """A message as ``/mailbox/mailMessages/{id}`` shows it (``listed``: as a thread's list does)."""
    shown: Row = {"id": row["id"]}
    for role in ROLES:
        shown[role] = [_party(p, names, listed=listed) for p in parties if p["role"] == role]
    shown.update(
        {
            "body_url": f"/v1/mailbox/mailMessages/{row['id']}?include_body=1",
            "mail_thread_id": row["thread_id"],
            **_flags(row),
            "read_flag": int(read),
            "draft": None if listed else "",
            "has_body_flag": int(row["body"] is not None),
            "sent_flag": int(row["sent_flag"]),
            "sent_from_pipedrive_flag": 0,
            "message_time": to_iso(row["message_time"]),
        }
    )
    if not listed:
        shown["draft_flag"] = 0
    if body:
        shown["body"] = row["body"] or ""
    return shown


def present_item_message(row: Row, parties: list[Row], names: dict[int, str], read: bool, company_id: int) -> Row:
    """A message in the mail list of a deal, person or organization: wrapped as a flow item."""
    data = present_message(row, parties, names, read)
    data.update(
        {
            "nylas_id": "",
            "s3_bucket": "",
            "s3_bucket_path": "",
            "external_deleted_flag": False,
            "mua_message_id": row["message_key"] or "",
            "template_id": 0,
            "timestamp": data["message_time"],
            "item_type": "mailMessage",
            "company_id": company_id,
        }
    )
    return {"object": "mailMessage", "timestamp": row["message_time"], "data": data}


def present_thread(row: Row, parties: list[Row], names: dict[int, str], deal_status: str | None) -> Row:
    latest: dict[str, Row] = {}
    for party in parties:  # oldest first: the last seen is the latest
        latest[party["address"] + "\0" + party["role"]] = party
    shown_parties: dict[str, list[Row]] = {"to": [], "from": []}
    for party in latest.values():
        role = "from" if party["role"] == "from" else "to"
        shown = _party(party, names, listed=True)
        shown.update({"latest_sent": False, "message_time": 0})
        shown_parties[role].append(shown)
    sent = row["last_sent_time"] is not None
    return {
        "id": row["id"],
        **_flags(row),
        "read_flag": int(row["read_flag"]),
        "parties": shown_parties,
        "drafts_parties": [],
        "folders": [row["folder"]],
        "version": 1,
        "snippet_draft": None,
        "snippet_sent": row["snippet"] if sent else "",
        "message_count": row["message_count"],
        "has_draft_flag": 0,
        "has_sent_flag": int(sent),
        "archived_flag": int(row["archived_flag"]),
        "shared_flag": int(row["shared_flag"]),
        "external_deleted_flag": 0,
        "first_message_to_me_flag": int(row["folder"] == "inbox"),
        "last_message_timestamp": to_iso(row["last_message_time"]),
        "first_message_timestamp": to_iso(row["first_message_time"]),
        "last_message_sent_timestamp": to_iso(row["last_sent_time"]),
        "last_message_received_timestamp": to_iso(row["last_received_time"] or row["last_message_time"]),
        "deal_id": row["deal_id"],
        "deal_status": deal_status,
        "lead_id": row["lead_id"],
        "all_messages_sent_flag": int(row["last_received_time"] is None),
    }
