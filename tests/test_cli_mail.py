"""``dealbase mail import``: .eml and mbox files taken in as Smart BCC takes mail
(``domain/mail_ingest.py``), on a database of the user's own."""

from __future__ import annotations

import pytest
from test_cli_companies import count, run  # noqa: F401  (the ``run`` fixture)

from dealbase.store.tables import mail_messages, mail_parties, mail_threads

pytestmark = pytest.mark.slow  # a fresh database and the CLI's own migrate


def _message(n: int, reply_to: int | None = None) -> str:
    lines = [
        f"From: Sam <sam{n % 2}@client.test>",
        "To: sales@acme.test",
        f"Subject: {'Re: ' if reply_to is not None else ''}Order {n}",
        f"Message-ID: <m{n}@client.test>",
        f"Date: Tue, 01 Dec 2026 10:{n:02d}:00 +0000",
    ]
    if reply_to is not None:
        lines.append(f"In-Reply-To: <m{reply_to}@client.test>")
    return "\n".join(lines) + f"\n\nBody {n}\n"


def test_an_mbox_and_an_eml_are_imported_threaded_and_a_refusal_is_reported(run, database_url, tmp_path):
    company_id = int(run("company", "create", "--name", "Mail Ltd").split()[1])
    box = tmp_path / "sent.mbox"
    entries = [_message(1), _message(2, reply_to=1), "", _message(3)]
    box.write_text("".join(f"From MAILER-DAEMON Thu Dec  3 10:00:00 2026\n{e}\n" for e in entries))
    eml = tmp_path / "one.eml"
    eml.write_text(_message(4, reply_to=3))

    out = run("mail", "import", str(box), str(eml), "--company", str(company_id))
    assert "message 3 refused: The message is empty" in out
    assert out.splitlines()[-1] == "4 messages stored (0 with problems noted), 0 already there, 1 refused."
    assert count(database_url, mail_threads, company_id=company_id) == 2
    assert count(database_url, mail_messages, company_id=company_id) == 4
    assert count(database_url, mail_parties, company_id=company_id) == 8

    again = run("mail", "import", str(eml), "--company", str(company_id))
    assert again.splitlines()[-1] == "0 messages stored (0 with problems noted), 1 already there, 0 refused."
    assert count(database_url, mail_messages, company_id=company_id) == 4
