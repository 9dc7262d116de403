"""E-mail: messages taken in as Smart BCC takes them (``domain/mail_ingest.py``, fed here
directly; the SMTP receiver's path, which ends in it, is tests/test_smtp.py), read and changed
through ``/v1/mailbox`` and the mail lists of deals, persons and organizations, with the
counters mail keeps on them.

As Pipedrive: mail from a user's address is sent mail, other mail received; a reply joins
its thread by In-Reply-To / References; a thread links to the open deal of the person its
addresses name."""

from __future__ import annotations

import pytest
from factories import data, make_deal, make_org, make_person, refused
from support.rows import counts

from dealbase.domain.mail_ingest import MAX_SIZE, MailRefused, ingest_bytes
from dealbase.domain.unit import Unit
from dealbase.store import repository as repo
from dealbase.store.tables import change_events, mail_messages, mail_parties, mail_threads, users

ADA = "ada@acme.test"  # the company's admin: mail from her is sent mail


def _unit(conn, company) -> Unit:
    return Unit(conn, company.company_id, repo.get(conn, users, company.company_id, company.user_id))


@pytest.fixture
def feed(engine, company, files_dir):
    """Ingest one message for the company, committed."""

    def ingest(raw: str | bytes):
        return _ingest(engine, company, files_dir, raw)

    return ingest


def _ingest(engine, company, files_dir, raw: str | bytes):
    with engine.connect().execution_options(dealbase_write=True) as conn:
        got = ingest_bytes(_unit(conn, company), raw.encode() if isinstance(raw, str) else raw, str(files_dir))
        conn.commit()
    return got


def message(
    sender: str,
    to: str,
    subject: str,
    key: str,
    *,
    date: str = "Tue, 01 Dec 2026 10:00:00 +0100",
    reply_to: str | None = None,
    body: str = "Hello there,\nthe offer stands.",
    extra: str = "",
) -> str:
    headers = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Message-ID: <{key}>", f"Date: {date}"]
    if reply_to is not None:
        headers += [f"In-Reply-To: <{reply_to}>", f"References: <{reply_to}>"]
    return "\r\n".join(headers) + "\r\n" + extra + "\r\n" + body + "\r\n"


@pytest.fixture
def buyer(api) -> dict:
    org = make_org(api, name="Buyer Inc")
    person = make_person(api, name="Bea Buyer", emails=[{"value": "Bea@Buyer.test", "primary": True}], org_id=org["id"])
    deal = make_deal(api, title="Big order", person_id=person["id"], org_id=org["id"])
    return {"org": org, "person": person, "deal": deal}


def test_a_message_and_its_reply_make_one_thread_linked_to_the_person_and_deal(api, engine, company, buyer, feed):
    first = feed(message(f"Ada <{ADA}>", "Bea Buyer <bea@buyer.test>", "Offer", "m1@acme.test"))
    reply = feed(
        message(
            "Bea <BEA@buyer.test>",
            f"Ada <{ADA}>",
            "Re: Offer",
            "r1@buyer.test",
            date="Tue, 01 Dec 2026 12:30:00 +0000",
            reply_to="m1@acme.test",
            body="Yes please.",
        ),
    )
    assert reply.thread_id == first.thread_id and not reply.problems

    thread = data(api.get(f"/v1/mailbox/mailThreads/{first.thread_id}"))
    assert {k: thread[k] for k in ("subject", "snippet", "message_count", "deal_id", "folders", "read_flag")} == {
        "subject": "Offer",
        "snippet": "Yes please.",
        "message_count": 2,
        "deal_id": buyer["deal"]["id"],
        "folders": ["inbox"],
        "read_flag": 0,
    }
    assert thread["deal_status"] == "open" and thread["has_sent_flag"] == 1
    assert thread["first_message_timestamp"] == "2026-12-01T09:00:00.000Z"
    assert thread["last_message_received_timestamp"] == "2026-12-01T12:30:00.000Z"
    assert thread["last_message_sent_timestamp"] == "2026-12-01T09:00:00.000Z"
    assert {p["email_address"] for p in thread["parties"]["from"]} == {ADA, "bea@buyer.test"}
    assert [t["id"] for t in data(api.get("/v1/mailbox/mailThreads", params={"folder": "inbox"}))] == [thread["id"]]
    assert data(api.get("/v1/mailbox/mailThreads", params={"folder": "sent"})) == []

    page = api.get(f"/v1/mailbox/mailThreads/{first.thread_id}/mailMessages")
    listed = data(page)
    # The whole thread on one page, said as the other lists say it (clients page by it).
    assert page.json()["additional_data"] == {"pagination": {"start": 0, "limit": 2, "more_items_in_collection": False}}
    assert [(m["id"], m["sent_flag"], m["subject"]) for m in listed] == [
        (first.message_id, 1, "Offer"),
        (reply.message_id, 0, "Re: Offer"),
    ]
    assert listed[0]["to"][0]["linked_person_id"] == buyer["person"]["id"]
    assert listed[0]["to"][0]["linked_person_name"] == "Bea Buyer"
    assert listed[0]["to"][0]["linked_organization_id"] == buyer["org"]["id"]

    plain = data(api.get(f"/v1/mailbox/mailMessages/{reply.message_id}"))
    assert "body" not in plain and plain["has_body_flag"] == 1 and plain["mail_thread_id"] == first.thread_id
    full = data(api.get(f"/v1/mailbox/mailMessages/{reply.message_id}", params={"include_body": 1}))
    assert full["body"] == "Yes please.\n"
    assert [p["email_address"] for p in full["from"]] == ["bea@buyer.test"]

    for path in (
        f"/v1/deals/{buyer['deal']['id']}/mailMessages",
        f"/v1/persons/{buyer['person']['id']}/mailMessages",
        f"/v1/organizations/{buyer['org']['id']}/mailMessages",
    ):
        items = api.get(path).json()
        assert [(i["object"], i["data"]["id"]) for i in items["data"]] == [
            ("mailMessage", reply.message_id),
            ("mailMessage", first.message_id),
        ], path
        assert items["additional_data"] == {"start": 0, "limit": 100, "more_items_in_collection": False}
    one = api.get(f"/v1/deals/{buyer['deal']['id']}/mailMessages", params={"limit": 1}).json()
    assert [i["data"]["id"] for i in one["data"]] == [reply.message_id]
    assert one["additional_data"]["more_items_in_collection"] is True

    mail_state = {
        "email_messages_count": 2,
        "last_incoming_mail_time": "2026-12-01 12:30:00",
        "last_outgoing_mail_time": "2026-12-01 09:00:00",
    }
    for path in (f"/v1/deals/{buyer['deal']['id']}", f"/v1/persons/{buyer['person']['id']}"):
        shown = data(api.get(path))
        assert {k: shown[k] for k in mail_state} == mail_state, path
    # A v1 organization shows the count only (the times are kept on it as well).
    assert data(api.get(f"/v1/organizations/{buyer['org']['id']}"))["email_messages_count"] == 2
    include = {"include_fields": "email_messages_count,last_incoming_mail_time"}
    v2_person = data(api.get(f"/api/v2/persons/{buyer['person']['id']}", params=include))
    assert (v2_person["email_messages_count"], v2_person["last_incoming_mail_time"]) == (2, "2026-12-01T12:30:00Z")
    v2_deal = data(api.get(f"/api/v2/deals/{buyer['deal']['id']}", params=include))
    assert (v2_deal["email_messages_count"], v2_deal["last_incoming_mail_time"]) == (2, "2026-12-01T12:30:00Z")
    with engine.connect() as conn:
        events = repo.all_rows(
            conn, change_events, company.company_id, change_events.c.entity.in_(["mailThread", "mailMessage"])
        )
    assert {(e["entity"], e["entity_id"], e["action"]) for e in events} >= {
        ("mailThread", first.thread_id, "create"),
        ("mailMessage", first.message_id, "create"),
        ("mailMessage", reply.message_id, "create"),
    }


def test_flags_links_and_deletion_change_the_thread_and_the_counters(api, engine, company, buyer, lead_id, feed):
    got = feed(message("bea@buyer.test", ADA, "Question", "q1@buyer.test"))
    path = f"/v1/mailbox/mailThreads/{got.thread_id}"
    changed = data(api.put(path, data={"read_flag": 1, "shared_flag": "1", "archived_flag": 1}))
    assert (changed["read_flag"], changed["shared_flag"], changed["archived_flag"]) == (1, 1, 1)
    assert changed["folders"] == ["archive"]
    assert data(api.get("/v1/mailbox/mailThreads", params={"folder": "inbox"})) == []
    assert [t["id"] for t in data(api.get("/v1/mailbox/mailThreads", params={"folder": "archive"}))] == [got.thread_id]

    linked = data(api.put(path, data={"lead_id": lead_id}))
    assert (linked["lead_id"], linked["deal_id"], linked["deal_status"]) == (lead_id, None, None)
    assert data(api.get(f"/v1/deals/{buyer['deal']['id']}"))["email_messages_count"] == 0
    other = make_deal(api, title="Other")
    relinked = data(api.put(path, data={"deal_id": other["id"]}))
    assert (relinked["deal_id"], relinked["lead_id"]) == (other["id"], None)
    assert data(api.get(f"/v1/deals/{other['id']}"))["email_messages_count"] == 1

    assert data(api.delete(path)) == {"id": got.thread_id}
    refused(api.get(path), f"Mail thread {got.thread_id} not found", 404)
    refused(api.get(f"/v1/mailbox/mailMessages/{got.message_id}"), f"Mail message {got.message_id} not found", 404)
    assert data(api.get(f"/v1/deals/{other['id']}"))["email_messages_count"] == 0
    person = data(api.get(f"/v1/persons/{buyer['person']['id']}"))
    assert (person["email_messages_count"], person["last_incoming_mail_time"]) == (0, None)
    assert api.get(f"/v1/persons/{buyer['person']['id']}/mailMessages").json()["data"] is None


def test_bad_updates_and_unknown_or_foreign_ids_are_refused_and_nothing_is_written(
    api, other_api, engine, company, buyer, feed
):
    got = feed(message("bea@buyer.test", ADA, "Question", "q2@buyer.test"))
    path = f"/v1/mailbox/mailThreads/{got.thread_id}"
    foreign_deal = make_deal(other_api, title="Theirs")
    before = counts(engine, mail_threads, mail_messages, mail_parties, change_events)
    refused(api.put(path, data={"read_flag": 2}), "Validation failed: read_flag: must be 0 or 1")
    refused(api.put(path, data={"deal_id": "x"}), "Validation failed: deal_id: must be an integer")
    refused(api.put(path, data={"deal_id": 999999}), "Validation failed: deal_id: Deal with id 999999 not found")
    refused(api.put(path, data={"lead_id": "nope"}), "Validation failed: lead_id: must be a UUID")
    refused(api.put("/v1/mailbox/mailThreads/999999", data={"read_flag": 1}), "Mail thread 999999 not found", 404)
    refused(other_api.get(path), f"Mail thread {got.thread_id} not found", 404)
    refused(other_api.delete(path), f"Mail thread {got.thread_id} not found", 404)
    refused(
        other_api.get(f"/v1/mailbox/mailMessages/{got.message_id}"), f"Mail message {got.message_id} not found", 404
    )
    assert other_api.get("/v1/mailbox/mailThreads").json()["data"] == []
    refused(
        api.put(path, data={"deal_id": foreign_deal["id"]}),
        f"Validation failed: deal_id: Deal with id {foreign_deal['id']} not found",
    )
    assert api.get("/v1/mailbox/mailThreads", params={"folder": "trash"}).status_code == 400
    assert api.get(f"/v1/deals/{foreign_deal['id']}/mailMessages").status_code == 404
    assert counts(engine, mail_threads, mail_messages, mail_parties, change_events) == before


def test_threads_are_paged_latest_message_first(api, engine, company, feed):
    for n in range(3):
        feed(
            message("x@out.test", ADA, f"S{n}", f"p{n}@out.test", date=f"Tue, 0{n + 1} Dec 2026 10:00:00 +0000"),
        )
    first = api.get("/v1/mailbox/mailThreads", params={"limit": 2}).json()
    assert [t["subject"] for t in first["data"]] == ["S2", "S1"]
    assert first["additional_data"]["pagination"]["more_items_in_collection"] is True
    rest = data(api.get("/v1/mailbox/mailThreads", params={"start": 2, "limit": 2}))
    assert [t["subject"] for t in rest] == ["S0"]


def test_malformed_forged_duplicate_and_oversized_mail(api, engine, company, buyer, feed):
    bad = feed(
        b"From: not an address\r\nTo: bea@buyer.test, @@\r\nSubject: =?utf-8?q?broken=ZZ?= \xff\xfe\r\n"
        b"Date: yesterday-ish\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!not base64\x00\xff",
    )
    stored = data(api.get(f"/v1/mailbox/mailMessages/{bad.message_id}", params={"include_body": 1}))
    assert stored["from"] == [] and [p["email_address"] for p in stored["to"]] == ["bea@buyer.test"]
    assert "\x00" not in stored["body"] and stored["mail_thread_id"] == bad.thread_id
    assert any("no usable Message-ID" in p for p in bad.problems)
    assert any("Date 'yesterday-ish' is no date" in p for p in bad.problems)
    assert any("is no address" in p for p in bad.problems)

    original = feed(message("bea@buyer.test", ADA, "Private", "own@buyer.test"))
    again = feed(message("bea@buyer.test", ADA, "Private", "own@buyer.test"))
    assert (again.duplicate, again.message_id) == (True, original.message_id)
    # Another message claiming the same Message-ID is kept, but not as the thread's root.
    forged_id = feed(message("eve@evil.test", ADA, "Hi", "own@buyer.test"))
    assert not forged_id.duplicate and forged_id.thread_id != original.thread_id
    assert any("already message" in p for p in forged_id.problems)
    # A reply from a stranger pointing into the thread starts its own.
    intruder = feed(
        message("eve@evil.test", "mallory@evil.test", "Re: Private", "e2@evil.test", reply_to="own@buyer.test"),
    )
    assert intruder.thread_id != original.thread_id
    assert any("a new thread" in p for p in intruder.problems)
    future = feed(message("bea@buyer.test", ADA, "Later", "f@buyer.test", date="Fri, 01 Jan 2100 00:00:00 +0000"))
    assert any("not believable" in p for p in future.problems)

    before = counts(engine, mail_threads, mail_messages, mail_parties)
    with pytest.raises(MailRefused, match="over the limit"):
        feed(b"Subject: big\r\n\r\n" + b"x" * MAX_SIZE)
    with pytest.raises(MailRefused, match="empty"):
        feed(b"  \r\n")
    assert counts(engine, mail_threads, mail_messages, mail_parties) == before
    assert data(api.get(f"/v1/persons/{buyer['person']['id']}"))["email_messages_count"] == 3


def test_a_merge_moves_the_mail_to_the_survivor(api, engine, company, buyer, feed):
    other = make_person(api, name="Bea again", emails=[{"value": "bea@home.test"}])
    other_deal = make_deal(api, title="Small order", person_id=other["id"])
    got = feed(message("bea@home.test", ADA, "From home", "h1@home.test"))
    assert data(api.get(f"/v1/persons/{other['id']}"))["email_messages_count"] == 1
    assert data(api.get(f"/v1/mailbox/mailThreads/{got.thread_id}"))["deal_id"] == other_deal["id"]

    data(api.put(f"/v1/persons/{other['id']}/merge", json={"merge_with_id": buyer["person"]["id"]}))
    data(api.put(f"/v1/deals/{other_deal['id']}/merge", json={"merge_with_id": buyer["deal"]["id"]}))
    person = data(api.get(f"/v1/persons/{buyer['person']['id']}"))
    assert (person["email_messages_count"], person["last_incoming_mail_time"]) == (1, "2026-12-01 09:00:00")
    assert data(api.get(f"/v1/deals/{buyer['deal']['id']}"))["email_messages_count"] == 1
    assert data(api.get(f"/v1/mailbox/mailThreads/{got.thread_id}"))["deal_id"] == buyer["deal"]["id"]
    listed = data(api.get(f"/v1/mailbox/mailMessages/{got.message_id}"))
    assert listed["from"][0]["linked_person_id"] == buyer["person"]["id"]


def test_attachments_become_files_of_the_thread_on_its_deal_and_person(api, buyer, feed):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "bea@buyer.test", ADA, "The contract"
    msg["Message-ID"], msg["Date"] = "<c1@buyer.test>", "Tue, 01 Dec 2026 10:00:00 +0000"
    msg.set_content("Signed copy attached.")
    msg.add_alternative("<p>Signed copy <b>attached</b>.</p>", subtype="html")
    pdf = b"%PDF-1.4 signed" + bytes(range(256))
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="../contract.pdf")
    msg.add_attachment("a,b\n1,2\n", filename="terms.csv")
    got = feed(msg.as_bytes())
    assert got.problems == []

    shown = data(api.get(f"/v1/mailbox/mailMessages/{got.message_id}", params={"include_body": 1}))
    assert shown["body"] == "<p>Signed copy <b>attached</b>.</p>\n" and shown["snippet"] == "Signed copy attached."
    assert (shown["has_attachments_flag"], shown["has_real_attachments_flag"]) == (1, 1)
    files = data(api.get(f"/v1/deals/{buyer['deal']['id']}/files"))
    assert sorted((f["name"], f["file_type"], f["file_size"], f["mail_message_id"]) for f in files) == [
        ("contract.pdf", "pdf", len(pdf), str(got.message_id)),  # the spec's v1 file has it as text
        ("terms.csv", "xls", 8, str(got.message_id)),
    ]
    assert {f["person_id"] for f in files} == {buyer["person"]["id"]}
    contract = next(f for f in files if f["name"] == "contract.pdf")
    downloaded = api.client.get(f"/v1/files/{contract['id']}/download", headers={"x-api-token": api.token})
    assert downloaded.content == pdf
    assert data(api.get(f"/v1/deals/{buyer['deal']['id']}"))["files_count"] == 2
