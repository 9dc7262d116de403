"""The mailbox (``/v1/mailbox/…``) and the mail of deals, persons and organizations, from
``domain/mail.py``. Mail gets in by Smart BCC (``domain/mail_ingest.py``), not through here."""

from __future__ import annotations

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import NotFound
from dealbase.api.paging import v1_pagination, v1_window
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import mail
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.store.tables import deals, mail_threads

handlers = Handlers()


def _thread(ctx: Ctx) -> mail.Row:
    thread_id = ctx.path_id()
    if (row := mail.thread(ctx, thread_id)) is None:
        raise NotFound(f"Mail thread {thread_id} not found")
    return row


def _shown_threads(ctx: Ctx, rows: list[mail.Row]) -> list[dict]:
    message_ids = {r["id"]: [m["id"] for m in mail.messages_in(ctx, r["id"])] for r in rows}
    parties = mail.parties_of(ctx, [i for ids in message_ids.values() for i in ids])
    deal_rows = ctx.rows(deals, {r["deal_id"] for r in rows})
    shown = []
    for row in rows:
        own = [p for i in message_ids[row["id"]] for p in parties[i]]
        deal = deal_rows.get(row["deal_id"])
        names = mail.person_names(ctx, own)
        shown.append(mail.present_thread(row, own, names, deal["status"] if deal else None))
    return shown


@handlers.operation("v1", "get_mail_threads")
def get_mail_threads(ctx: Ctx) -> Reply:
    """A folder's threads, the latest message first."""
    folder = ctx.choice_param("folder", mail.FOLDERS, "inbox")
    start, limit = v1_window(ctx)
    rows = mail.threads_in(ctx, folder, start, limit + 1)  # type: ignore[arg-type]
    return ok(_shown_threads(ctx, rows[:limit]), {"pagination": v1_pagination(start, limit, len(rows) > limit)})


@handlers.operation("v1", "get_mail_thread")
def get_mail_thread(ctx: Ctx) -> Reply:
    return ok(_shown_threads(ctx, [_thread(ctx)])[0])


@handlers.operation("v1", "update_mail_thread_details", write=True)
def update_mail_thread_details(ctx: Ctx) -> Reply:
    """Link a thread to a deal or lead, or set its read, shared or archived flag."""
    old = _thread(ctx)
    mail.update_thread(ctx, old, mail.parse_update(ctx, ctx.body))
    return ok(_shown_threads(ctx, [_thread(ctx)])[0])


@handlers.operation("v1", "delete_mail_thread", write=True)
def delete_mail_thread(ctx: Ctx) -> Reply:
    row = _thread(ctx)
    mail.delete_thread(ctx, row)
    return ok({"id": row["id"]})


def _shown_messages(ctx: Ctx, rows: list[mail.Row], *, listed: bool = False, body: bool = False) -> list[dict]:
    parties = mail.parties_of(ctx, [r["id"] for r in rows])
    names = mail.person_names(ctx, [p for own in parties.values() for p in own])
    threads = ctx.rows(mail_threads, {r["thread_id"] for r in rows})
    return [
        mail.present_message(
            r, parties[r["id"]], names, _read(r, threads.get(r["thread_id"])), body=body, listed=listed
        )
        for r in rows
    ]


def _read(row: mail.Row, thread: mail.Row | None) -> bool:
    """A sent message is read; a received one as its thread is."""
    return bool(row["sent_flag"]) or bool(thread and thread["read_flag"])


@handlers.operation("v1", "get_mail_thread_messages")
def get_mail_thread_messages(ctx: Ctx) -> Reply:
    """A thread's messages, oldest first, all on one page. The page is described as on the
    mailbox's other lists (``additional_data.pagination``), which the spec leaves out but
    clients read: Airbyte's Pipedrive source pages every list by its ``next_start``."""
    thread = _thread(ctx)
    rows = mail.messages_in(ctx, thread["id"])
    return ok(_shown_messages(ctx, rows, listed=True), {"pagination": v1_pagination(0, len(rows), False)})


@handlers.operation("v1", "get_mail_message")
def get_mail_message(ctx: Ctx) -> Reply:
    """One message; its body with ``include_body=1``."""
    body = ctx.choice_param("include_body", ("0", "1"), "0") == "1"
    message_id = ctx.path_id()
    if (row := mail.message(ctx, message_id)) is None:
        raise NotFound(f"Mail message {message_id} not found")
    return ok(_shown_messages(ctx, [row], body=body)[0])


def _item_messages(ctx: Ctx, entity: Entity, parent: str) -> Reply:
    item = res.load(ctx, entity, ctx.path_id())
    start, limit = v1_window(ctx)
    rows = mail.messages_of(ctx, parent, item["id"], start, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    parties = mail.parties_of(ctx, [r["id"] for r in rows])
    names = mail.person_names(ctx, [p for own in parties.values() for p in own])
    threads = ctx.rows(mail_threads, {r["thread_id"] for r in rows})
    items = [
        mail.present_item_message(r, parties[r["id"]], names, _read(r, threads.get(r["thread_id"])), ctx.company_id)
        for r in rows
    ]
    return ok(items or None, v1_pagination(start, limit, more))


@handlers.operation("v1", "get_deal_mail_messages")
def get_deal_mail_messages(ctx: Ctx) -> Reply:
    """The messages of the threads linked to a deal, newest first."""
    return _item_messages(ctx, DEAL, "deal")


@handlers.operation("v1", "get_person_mail_messages")
def get_person_mail_messages(ctx: Ctx) -> Reply:
    """The messages a person's addresses are on, newest first."""
    return _item_messages(ctx, PERSON, "person")


@handlers.operation("v1", "get_organization_mail_messages")
def get_organization_mail_messages(ctx: Ctx) -> Reply:
    """The messages the organization's persons are on, newest first."""
    return _item_messages(ctx, ORGANIZATION, "organization")
