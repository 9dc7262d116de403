"""Smart BCC over SMTP: each company's address, and the receiver (``smtp.py``) that takes mail
sent to it, as a sender's mail server or Python's ``smtplib`` delivers it.

As Pipedrive: a company has one Smart BCC address built from its domain (a deal and a lead one
each, after a ``+``), shown as the ``cc_email`` of persons, organizations and deals; mail BCC'd
or forwarded to it lands in the company's mailbox, threaded and linked as ``mail_ingest`` links
it (tests/test_mailbox.py); a reply forwarded there joins its thread. Here, beyond Pipedrive:
the receiver refuses at RCPT what no company's address is, and what it accepts is stored or
answered with a temporary failure, never dropped."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage

import pytest
from factories import data, make_deal, make_lead, make_person
from support.api import Api
from support.database import RIVAL, make_company
from support.serve import free_port
from test_mailbox import ADA, message

from dealbase.domain import smart_bcc
from dealbase.domain.mail_ingest import MAX_SIZE
from dealbase.smtp import Receiver
from dealbase.store.tables import mail_messages, mail_threads

BEA = "bea@buyer.test"


def _cc_email(api, person_id: int) -> str:
    return data(api.get(f"/v1/persons/{person_id}"))["cc_email"]


# -- the addresses ----------------------------------------------------------------------------


def test_each_company_has_an_address_of_its_own_shown_where_pipedrive_shows_it(api, other_api, engine):
    person = make_person(api, name="Bea")
    deal = make_deal(api, title="Order", person_id=person["id"])
    lead = make_lead(api, title="Maybe")
    assert _cc_email(api, person["id"]) == "acme@pipedrivemail.com"
    assert data(api.get(f"/v1/deals/{deal['id']}"))["cc_email"] == f"acme+deal{deal['id']}@pipedrivemail.com"
    shown = data(api.get(f"/api/v2/deals/{deal['id']}", params={"include_fields": "smart_bcc_email"}))
    assert shown["smart_bcc_email"] == f"acme+deal{deal['id']}@pipedrivemail.com"
    assert data(api.get(f"/v1/leads/{lead['id']}"))["cc_email"] == f"acme+lead{lead['id']}@pipedrivemail.com"
    assert _cc_email(other_api, make_person(other_api, name="Rob")["id"]) == "rival@pipedrivemail.com"

    # A company whose domain another has already gets its id after it: one address, one company.
    twin = make_company(engine, **{**RIVAL, "token": "ab" * 20, "admin_email": "twin@rival.test"})
    twin_api = Api(api.client, "ab" * 20)
    assert _cc_email(twin_api, make_person(twin_api, name="Tia")["id"]) == f"rival-{twin.company_id}@pipedrivemail.com"

    with engine.connect() as conn:
        found = {
            address: smart_bcc.recipient(conn, address, "pipedrivemail.com")
            for address in (
                "acme@pipedrivemail.com",
                "<ACME@PipedriveMail.com>",
                f"acme+deal{deal['id']}@pipedrivemail.com",
                f"acme+lead{lead['id']}@pipedrivemail.com",
                "acme+anything@pipedrivemail.com",
                f"rival-{twin.company_id}@pipedrivemail.com",
                "acme@elsewhere.test",
                "nobody@pipedrivemail.com",
                "pipedrivemail.com",
            )
        }
    acme = api_company_id(api)
    assert found == {
        "acme@pipedrivemail.com": smart_bcc.Recipient(acme),
        "<ACME@PipedriveMail.com>": smart_bcc.Recipient(acme),
        f"acme+deal{deal['id']}@pipedrivemail.com": smart_bcc.Recipient(acme, deal_id=deal["id"]),
        f"acme+lead{lead['id']}@pipedrivemail.com": smart_bcc.Recipient(acme, lead_id=lead["id"]),
        "acme+anything@pipedrivemail.com": smart_bcc.Recipient(acme),
        f"rival-{twin.company_id}@pipedrivemail.com": smart_bcc.Recipient(twin.company_id),
        "acme@elsewhere.test": None,
        "nobody@pipedrivemail.com": None,
        "pipedrivemail.com": None,
    }


def api_company_id(api) -> int:
    return data(api.get("/v1/users/me"))["company_id"]


# -- the receiver, in this process ------------------------------------------------------------


@pytest.fixture
def smtp_port(engine, company, files_dir, base_settings):
    """A receiver on a free port for the test's database (a real one: ``slow``)."""
    settings = base_settings.model_copy(
        update={"smtp_port": free_port(), "smtp_domain": "mail.test", "files_dir": str(files_dir)}
    )
    receiver = Receiver(engine, settings)
    receiver.start()
    yield receiver.port
    receiver.stop()


def _send(port: int, raw: str | bytes, recipients: list[str], sender: str = ADA) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        return smtp.sendmail(sender, recipients, raw.encode() if isinstance(raw, str) else raw)


def _threads(api, folder: str) -> list[dict]:
    return data(api.get("/v1/mailbox/mailThreads", params={"folder": folder}))


@pytest.mark.slow
def test_recipients_that_are_no_company_address_are_refused_at_rcpt(api, smtp_port):
    raw = message(f"Ada <{ADA}>", BEA, "Offer", "m1@acme.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(smtp_port, raw, [BEA, "acme@pipedrivemail.com", "nobody@mail.test"])
    assert refused.value.recipients == {
        BEA: (550, f"5.1.1 <{BEA}>: no Smart BCC address here".encode()),
        "acme@pipedrivemail.com": (550, b"5.1.1 <acme@pipedrivemail.com>: no Smart BCC address here"),
        "nobody@mail.test": (550, b"5.1.1 <nobody@mail.test>: no Smart BCC address here"),
    }
    assert _threads(api, "sent") == []
    # One good recipient among them: the message is taken, the others named as refused.
    assert _send(smtp_port, raw, [BEA, "ACME@mail.test"]) == {
        BEA: (550, f"5.1.1 <{BEA}>: no Smart BCC address here".encode())
    }
    assert [t["subject"] for t in _threads(api, "sent")] == ["Offer"]


@pytest.mark.slow
def test_mail_to_two_companies_lands_in_each_and_a_message_id_of_another_company_threads_nothing(
    api, other_api, smtp_port
):
    rita = "rita@rival.test"
    _send(smtp_port, message(f"Rita <{rita}>", BEA, "Rival offer", "x1@rival.test"), ["rival@mail.test"], sender=rita)
    [rival_thread] = _threads(other_api, "sent")
    # A reply naming the rival's message, to Acme: Acme's own new thread; the rival's untouched.
    reply = message(BEA, ADA, "Re: Rival offer", "x2@buyer.test", reply_to="x1@rival.test")
    _send(smtp_port, reply, ["acme@mail.test"], sender=BEA)
    [acme_thread] = _threads(api, "inbox")
    assert acme_thread["message_count"] == 1 and acme_thread["subject"] == "Re: Rival offer"
    assert data(other_api.get(f"/v1/mailbox/mailThreads/{rival_thread['id']}"))["message_count"] == 1

    # The same message to both companies' addresses: one copy in each.
    both = message(BEA, ADA, "To both", "x3@buyer.test")
    _send(smtp_port, both, ["acme@mail.test", "rival@mail.test"], sender=BEA)
    assert sorted(t["subject"] for t in _threads(api, "inbox")) == ["Re: Rival offer", "To both"]
    assert [t["subject"] for t in _threads(other_api, "inbox")] == ["To both"]


@pytest.mark.slow
def test_mail_to_a_deal_or_lead_address_is_linked_to_it(api, smtp_port):
    person = make_person(api, name="Bea", emails=[{"value": BEA, "primary": True}])
    make_deal(api, title="Her open deal", person_id=person["id"])
    other = make_deal(api, title="The one named")
    lead = make_lead(api, title="A lead")
    _send(smtp_port, message(f"Ada <{ADA}>", BEA, "On the deal", "d1@acme.test"), [f"acme+deal{other['id']}@mail.test"])
    _send(smtp_port, message(f"Ada <{ADA}>", BEA, "On the lead", "l1@acme.test"), [f"acme+lead{lead['id']}@mail.test"])
    # A deal that is not there: the address still is the company's; linked as usual.
    _send(smtp_port, message(f"Ada <{ADA}>", BEA, "On no deal", "n1@acme.test"), ["acme+deal999999@mail.test"])
    shown = {t["subject"]: (t["deal_id"], t["lead_id"]) for t in _threads(api, "sent")}
    assert shown == {
        "On the deal": (other["id"], None),
        "On the lead": (None, lead["id"]),
        "On no deal": (make_deal_id_of(api, "Her open deal"), None),
    }
    assert data(api.get(f"/v1/deals/{other['id']}"))["email_messages_count"] == 1


def make_deal_id_of(api, title: str) -> int:
    return next(d["id"] for d in data(api.get("/api/v2/deals")) if d["title"] == title)


@pytest.mark.slow
def test_hostile_mail_is_stored_with_its_problems_or_refused_with_a_reason(api, engine, smtp_port):
    # A forged From: the admin's address, sent by an outsider's server. Received mail, not hers.
    forged = message(f"Ada <{ADA}>", BEA, "Wire the money", "f1@evil.test")
    _send(smtp_port, forged, ["acme@mail.test"], sender="mallory@evil.test")
    [thread] = _threads(api, "inbox")
    [kept] = data(api.get(f"/v1/mailbox/mailThreads/{thread['id']}/mailMessages"))
    assert thread["subject"] == "Wire the money" and kept["sent_flag"] == 0
    # Her own server's envelope: her sent mail.
    _send(smtp_port, message(f"Ada <{ADA}>", BEA, "Real offer", "f2@acme.test"), ["acme@mail.test"], sender=ADA.upper())
    assert [t["subject"] for t in _threads(api, "sent")] == ["Real offer"]

    # A header with a line break smuggled in an encoded word stays that header's text.
    smuggled = "=?utf-8?q?Hi=0D=0ABcc=3A_rita=40rival=2Etest?="
    _send(smtp_port, message(BEA, ADA, smuggled, "c1@buyer.test"), ["acme@mail.test"], sender=BEA)
    crlf = next(t for t in _threads(api, "inbox") if t["subject"].startswith("Hi"))
    assert crlf["subject"] == "Hi Bcc: rita@rival.test"
    [only] = data(api.get(f"/v1/mailbox/mailThreads/{crlf['id']}/mailMessages"))
    assert only["bcc"] == [] and [p["email_address"] for p in only["to"]] == [ADA]

    # Malformed: no headers worth the name, bytes that are no UTF-8, a line far over 1,000.
    malformed = b"Subject: \xff\xfe broken\r\nFrom: not an address\r\nDate: yesterday\r\n\r\n" + b"x" * 5000 + b"\r\n"
    _send(smtp_port, malformed, ["acme@mail.test"], sender="")
    with engine.connect() as conn:
        stored = conn.execute(mail_messages.select().where(mail_messages.c.subject.like("%broken"))).mappings().one()
    assert "Date 'yesterday' is no date" in stored["problems"] and "no usable Message-ID" in stored["problems"]

    # Oversized: refused at MAIL when the client says its size, at the end of DATA when not.
    big = b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * (MAX_SIZE // 1000 + 10)
    with pytest.raises(smtplib.SMTPSenderRefused) as early:
        _send(smtp_port, big, ["acme@mail.test"])
    assert early.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=60) as smtp:
        smtp.ehlo()
        assert smtp.mail(ADA)[0] == 250 and smtp.rcpt("acme@mail.test")[0] == 250
        assert smtp.data(big) == (552, b"Error: Too much mail data")
        # An empty message: nothing to store, said so.
        assert smtp.mail(ADA)[0] == 250 and smtp.rcpt("acme@mail.test")[0] == 250
        assert smtp.data(b"\r\n") == (554, b"5.6.0 The message is empty")
    with engine.connect() as conn:
        assert conn.execute(mail_threads.select()).all().__len__() == 4


# -- dealbase serve, as users run it ----------------------------------------------------------


def _serve_mail(database_url, tmp_path, token, smtp_port, workers: int = 1):
    from support import serve

    env = {
        "DEALBASE_SMTP_PORT": str(smtp_port),
        "DEALBASE_SMTP_DOMAIN": "mail.test",
        "DEALBASE_COMPANY_DOMAIN": "acme",
        "DEALBASE_ADMIN_EMAIL": ADA,
        "DEALBASE_FILES_DIR": str(tmp_path / "files"),
        "DEALBASE_WORKERS": str(workers),
    }
    return serve.start(database_url, tmp_path, token, env=env)


def _eventually(look, seconds: float = 2.0):
    """``look()``'s first truthy answer, and how long it took; fails after ``seconds``."""
    started = time.monotonic()
    while True:
        found = look()
        took = time.monotonic() - started
        if found:
            return found, took
        assert took < seconds, f"nothing after {seconds} s"
        time.sleep(0.05)


def _email(sender: str, to: str, subject: str, key: str, body: str, bcc: str = "", reply_to: str = "") -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = sender, to, subject, f"<{key}>"
    if bcc:
        mail["Bcc"] = bcc
    if reply_to:
        mail["In-Reply-To"] = mail["References"] = f"<{reply_to}>"
    mail.set_content(body)
    return mail


def test_smtplib_to_a_running_server_threads_links_and_counts(database_url, tmp_path):
    import httpx2

    token = "5" * 40
    smtp_port = free_port()
    with _serve_mail(database_url, tmp_path, token, smtp_port) as server, httpx2.Client(
        base_url=server.url, trust_env=False, timeout=30
    ) as http:
        api = Api(http, token)
        person = make_person(api, name="Bea Buyer", emails=[{"value": BEA, "primary": True}])
        deal = make_deal(api, title="Big order", person_id=person["id"])
        bcc = _cc_email(api, person["id"])
        assert bcc == "acme@mail.test"
        before = data(api.get(f"/v1/persons/{person['id']}"))
        assert before["email_messages_count"] == 0 and before["last_outgoing_mail_time"] is None

        # Ada writes to her customer, her Smart BCC address in Bcc: smtplib names both in the
        # envelope; the customer's is refused here (no address of ours), the message taken.
        offer = _email(f"Ada <{ADA}>", f"Bea Buyer <{BEA}>", "Offer", "offer@acme.test", "Our offer.", bcc=bcc)
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            assert smtp.send_message(offer) == {BEA: (550, f"5.1.1 <{BEA}>: no Smart BCC address here".encode())}
        [thread], took = _eventually(lambda: _threads(api, "sent"))
        assert took < 2.0
        assert (thread["subject"], thread["deal_id"], thread["message_count"]) == ("Offer", deal["id"], 1)
        assert [(p["email_address"], p["linked_person_id"]) for p in thread["parties"]["to"]] == [(BEA, person["id"])]

        # Her reply, forwarded to the same address: the same thread.
        reply = _email(BEA, ADA, "Re: Offer", "reply@buyer.test", "Yes please.", reply_to="offer@acme.test")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            assert smtp.sendmail(ADA, [bcc], reply.as_bytes()) == {}
        [joined], _took = _eventually(lambda: _threads(api, "inbox"))
        assert joined["id"] == thread["id"] and joined["message_count"] == 2 and _threads(api, "sent") == []
        messages = data(api.get(f"/v1/mailbox/mailThreads/{thread['id']}/mailMessages"))
        assert [(m["subject"], m["sent_flag"]) for m in messages] == [("Offer", 1), ("Re: Offer", 0)]

        for path in (f"/v1/persons/{person['id']}", f"/v1/deals/{deal['id']}"):
            after = data(api.get(path))
            assert after["email_messages_count"] == 2, path
            assert after["last_outgoing_mail_time"] is not None and after["last_incoming_mail_time"] is not None
            assert after["last_incoming_mail_time"] >= after["last_outgoing_mail_time"]

        # Hostile mail over the wire: forged From, malformed, oversized; none a 5xx crash.
        forged = _email(f"Ada <{ADA}>", BEA, "Forged", "forged@evil.test", "Pay now.")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            assert smtp.sendmail("mallory@evil.test", [bcc], forged.as_bytes()) == {}
            assert smtp.sendmail("", [bcc], b"From: ???\r\nSubject: \xff\r\n\r\nbody") == {}
            smtp.ehlo()
            assert smtp.mail(ADA)[0] == 250 and smtp.rcpt(bcc)[0] == 250
            assert smtp.data((b"z" * 998 + b"\r\n") * (MAX_SIZE // 1000 + 10))[0] == 552
        inbox, _took = _eventually(lambda: len(_threads(api, "inbox")) == 3 and _threads(api, "inbox"))
        forged_thread = next(t for t in inbox if t["subject"] == "Forged")
        [forged_message] = data(api.get(f"/v1/mailbox/mailThreads/{forged_thread['id']}/mailMessages"))
        assert forged_message["sent_flag"] == 0
        assert "Traceback" not in server.output()


def test_with_workers_one_receiver_holds_the_port(database_url, tmp_path):
    import httpx2

    token = "6" * 40
    smtp_port = free_port()
    with _serve_mail(database_url, tmp_path, token, smtp_port, workers=2) as server, httpx2.Client(
        base_url=server.url, trust_env=False, timeout=30
    ) as http:
        api = Api(http, token)
        for n in range(3):
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
                smtp.sendmail(ADA, ["acme@mail.test"], message(ADA, BEA, f"Note {n}", f"n{n}@acme.test").encode())
        threads, _took = _eventually(lambda: len(_threads(api, "sent")) == 3 and _threads(api, "sent"))
        assert sorted(t["subject"] for t in threads) == ["Note 0", "Note 1", "Note 2"]
        assert "address already in use" not in server.output().lower()
