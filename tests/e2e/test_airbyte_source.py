"""Airbyte's Pipedrive source (``airbyte-source-pipedrive``) reads dealbase as it reads Pipedrive:
its ``mail`` stream (each folder's threads by ``/v1/mailbox/mailThreads``, then each thread's
messages) and every other stream, through dealbase's in-process mock, without an error.

The source and its CDK live in ``.venv/clients/airbyte`` with dealbase (``.ci/run`` installs
them; the CDK pins dependencies of its own, kept out of the tests' environment), and run there
as a subprocess: ``airbyte_pipedrive.py`` beside this file. Without that environment these
tests skip and say so."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HERE = Path(__file__).parent
PYTHON = HERE.parents[1] / ".venv" / "clients" / "airbyte" / "bin" / "python"
# The CDK's own notice about the manifest's mail stream (a parent stream partitioned by
# folder), logged before any request: nothing dealbase answers.
CDK_NOTICE = "WARN: Parent state handling is not supported for CartesianProductStreamSlicer."


def _read(*streams: str) -> dict:
    if not PYTHON.exists():
        pytest.skip(f"{PYTHON} is missing: .ci/run installs airbyte-source-pipedrive there")
    probe = subprocess.run(
        [str(PYTHON), "-c", "import source_pipedrive, airbyte_cdk, dealbase.testing"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        pytest.skip(f"{PYTHON} cannot load the source, the CDK and dealbase: {probe.stderr.strip()[-300:]}")
    done = subprocess.run(
        [str(PYTHON), str(HERE / "airbyte_pipedrive.py"), *streams],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=HERE,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert result, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(result[-1].removeprefix("RESULT "))


def test_the_mail_stream_reads_every_folder_without_an_error():
    got = _read("mail")
    assert got["errors"] == []
    assert [line for line in got["logged"] if line != CDK_NOTICE] == []
    seeded = got["seeded"]
    assert {subject: thread["folder"] for subject, thread in seeded.items()} == {
        "Quote": "sent",
        "Question": "inbox",
        "Old news": "archive",
    }
    records = sorted((r["mail_thread_id"], r["subject"], r["sent_flag"]) for r in got["records"]["mail"])
    assert records == sorted(
        [
            (seeded["Quote"]["id"], "Quote", 1),
            (seeded["Question"]["id"], "Question", 0),
            (seeded["Old news"]["id"], "Old news", 0),
        ]
    )
    assert len({r["id"] for r in got["records"]["mail"]}) == 3
    assert all(r["smart_bcc_flag"] == 1 and r["body_url"].endswith("include_body=1") for r in got["records"]["mail"])


def test_every_stream_reads_without_an_error():
    got = _read("all")
    assert got["errors"] == []
    assert [line for line in got["logged"] if line != CDK_NOTICE] == []
    counts = {stream: len(records) for stream, records in got["records"].items()}
    assert len(counts) == 25, counts
    # The demo data (30 deals with their people, activities, notes, products), one role, the
    # three mails, and what every company starts with; files the demo has none of.
    empty = {stream for stream, n in counts.items() if n == 0}
    assert empty == {"files"}, counts
    assert counts["deals"] == 30 and counts["mail"] == 3 and counts["roles"] == 1
    assert counts["permission_sets"] == 7 and counts["users"] == 5
