"""Airbyte's Pipedrive source (``airbyte-source-pipedrive``, a declarative manifest on the Airbyte
CDK) reading from dealbase's in-process mock, which answers Pipedrive's hosts.

Run by the Python of ``.venv/clients/airbyte`` (where ``.ci/run`` installs the source, the CDK and
dealbase, apart from the test environment: the CDK pins its own dependencies), from
tests/e2e/test_airbyte_source.py: ``python airbyte_pipedrive.py STREAM…`` (or ``all``) ends with a
line ``RESULT {json}``: the mail it seeded, each stream's records, and the errors and warnings
the read logged.

Mail comes in as it does on a server: over SMTP to the company's Smart BCC address, on the
mock's own receiver (``smtp_port``); one received thread is then archived, so every folder the
source asks for but drafts (which nothing here writes) holds a thread.
"""

from __future__ import annotations

import json
import smtplib
import socket
import sys
import time
from email.message import EmailMessage

import requests
from airbyte_cdk.models import Level, SyncMode
from airbyte_cdk.sources.declarative.decoders.decoder import Decoder
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read

from dealbase.testing import mock_pipedrive

# The source (2.3.7) declares Python 3.10 and 3.11, but on 3.11 its extractor cannot load: a
# dataclass field defaults to a JsonDecoder, and 3.11's dataclasses refuse an unhashable default
# (the CDK's Decoder is a dataclass, so unhashable). dealbase needs 3.11; the decoders get
# object's hash back, which is all 3.10 asked of them, before the source's manifest loads it.
Decoder.__hash__ = object.__hash__  # type: ignore[method-assign]

from source_pipedrive import SourcePipedrive  # noqa: E402

RESULT = "RESULT "
ADMIN = "admin@sandbox.test"  # the mock's company admin (dealbase.testing.database.COMPANY)
CUSTOMER = "carol@customer.test"
MAILS = [  # subject, sender, recipient, key
    ("Quote", ADMIN, CUSTOMER, "quote@sandbox.test"),
    ("Question", CUSTOMER, ADMIN, "question@customer.test"),
    ("Old news", CUSTOMER, ADMIN, "old@customer.test"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed_mail(pd, port: int) -> dict[str, dict]:
    """Each mail over SMTP to the company's address; the thread of each by subject."""
    api = f"{pd.base_url}/v1"
    params = {"api_token": pd.api_token}
    bcc = requests.get(f"{api}/persons", params=params, timeout=30).json()
    person = requests.post(f"{api}/persons", params=params, json={"name": "Carol", "email": CUSTOMER}, timeout=30)
    address = person.json()["data"]["cc_email"]
    assert bcc["success"] is True
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for subject, sender, to, key in MAILS:
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = sender, to, subject, f"<{key}>"
            mail.set_content(f"{subject}: the body.")
            smtp.sendmail(sender, [address], mail.as_bytes())
    threads: dict[str, dict] = {}
    for folder in ("inbox", "sent"):
        listed = requests.get(f"{api}/mailbox/mailThreads", params={**params, "folder": folder}, timeout=30).json()
        threads.update({t["subject"]: t for t in listed["data"]})
    archived = threads["Old news"]["id"]
    put = requests.put(f"{api}/mailbox/mailThreads/{archived}", params=params, data={"archived_flag": 1}, timeout=30)
    assert put.json()["data"]["folders"] == ["archive"], put.text
    return {subject: {"id": t["id"], "folder": "archive" if t["id"] == archived else t["folders"][0]} for subject, t in threads.items()}


def main(streams: list[str]) -> None:
    port = _free_port()
    with mock_pipedrive(smtp_port=port, smtp_domain="mail.test") as pd:
        seeded = _seed_mail(pd, port)
        config = {"api_token": pd.api_token, "replication_start_date": "2017-01-25T00:00:00Z"}
        if streams == ["all"]:  # every stream, with the demo data and a role to read
            pd.seed(deals=30)
            role = requests.post(f"{pd.base_url}/v1/roles", params={"api_token": pd.api_token}, json={"name": "Sales"}, timeout=30)
            assert role.json()["success"] is True, role.text
            streams = [stream.name for stream in SourcePipedrive(None, config, None).streams(config)]
        catalog = CatalogBuilder()
        for name in streams:
            catalog = catalog.with_stream(name, SyncMode.full_refresh)
        started = time.monotonic()
        output = read(SourcePipedrive(catalog.build(), config, None), config, catalog.build())
        took = time.monotonic() - started
    records: dict[str, list] = {name: [] for name in streams}
    for message in output.records:
        records.setdefault(message.record.stream, []).append(message.record.data)
    logged = [m.log for m in output.logs if m.log.level in (Level.ERROR, Level.FATAL, Level.WARN)]
    print(  # the last line: the CDK prints its own messages to standard output too
        RESULT
        + json.dumps(
            {
                "seeded": seeded,
                "records": records,
                "errors": [m.trace.error.message for m in output.errors],
                "logged": [f"{m.level.name}: {m.message}" for m in logged],
                "seconds": round(took, 2),
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
