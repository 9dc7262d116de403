#!/usr/bin/env python3
"""How long ``dealbase mail import`` takes for a large mbox (issue 15: 10,000 messages in under 30 s).

    python bench/mail_import.py [--messages 10000] [--addresses 300] [--persons 120] [--runs 1] [--profile]

Makes a deterministic mbox: threads started among a few hundred addresses, replies to earlier
messages (``In-Reply-To`` and ``References``), some sent from the company's admin address, a
part of the addresses belonging to persons (half of them with an open deal). Each run imports it
with the CLI on a fresh SQLite database and prints wall and CPU time and messages per second,
then the threads, messages and links it made (the same file gives the same counts).
``--profile`` runs the import once in this process under cProfile instead and prints the top
functions by cumulative time.
"""

from __future__ import annotations

from _venv import use_project_venv

use_project_venv(__file__)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import orjson  # noqa: E402
from in_process import exchange, fresh_app  # noqa: E402

ADMIN = "admin@dealbase.local"  # Settings' default admin e-mail: its mail is sent mail


def write_mbox(path: Path, messages: int, addresses: int, seed: int = 15) -> None:
    rng = random.Random(seed)
    people = [f"contact{n}@client{n % 40}.test" for n in range(addresses)]
    sent: list[tuple[int, str, str]] = []  # (number, key, subject) of messages so far
    with path.open("w") as f:
        for n in range(messages):
            other = people[rng.randrange(addresses)]
            outgoing = rng.random() < 0.3
            sender, recipient = (ADMIN, other) if outgoing else (other, ADMIN)
            lines = [f"From: Contact {n} <{sender}>", f"To: <{recipient}>"]
            if rng.random() < 0.2:
                lines.append(f"Cc: {people[rng.randrange(addresses)]}")
            subject = f"Order {n}"
            if sent and rng.random() < 0.6:
                number, parent, parent_subject = sent[max(0, len(sent) - 1 - int(rng.expovariate(1 / 50)))]
                subject = f"Re: {parent_subject}"
                lines += [f"In-Reply-To: <{parent}>", f"References: <m{number // 7}@client.test> <{parent}>"]
            key = f"m{n}@client.test"
            day, minute = divmod(n, 1440)
            lines += [
                f"Subject: {subject}",
                f"Message-ID: <{key}>",
                f"Date: {1 + day % 28:02d} Nov 2026 {minute // 60:02d}:{minute % 60:02d}:00 +0000",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
            ]
            body = f"Message {n} about order {rng.randrange(10000)}.\nRegards\n"
            f.write("From MAILER-DAEMON Thu Nov  5 10:00:00 2026\n" + "\n".join(lines) + "\n\n" + body + "\n")
            sent.append((n, key, subject))


def fresh_database(persons: int, addresses: int) -> tuple[str, str]:
    """A fresh SQLite database with a company, ``persons`` persons having the first addresses
    and open deals for every other one; its URL and files folder."""
    app = fresh_app("mail-bench-")

    async def post(path: str, body: dict) -> tuple[int, dict]:
        status, answer = await exchange(app, "POST", path, orjson.dumps(body))
        return status, orjson.loads(answer)

    async def fill() -> None:
        for n in range(persons):
            body = {"name": f"Contact {n}", "email": [{"value": f"contact{n}@client{n % 40}.test", "primary": True}]}
            status, created = await post("/v1/persons", body)
            assert status == 201, (status, created)
            if n % 2 == 0:
                status, _ = await post("/v1/deals", {"title": f"Deal {n}", "person_id": created["data"]["id"]})
                assert status == 201, status

    asyncio.run(fill())
    return app.settings.database_url, app.settings.files_dir


def counts(database_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        q = {
            "threads": "select count(*) from mail_threads",
            "messages": "select count(*) from mail_messages",
            "parties": "select count(*) from mail_parties",
            "parties with a person": "select count(*) from mail_parties where person_id is not null",
            "threads with a deal": "select count(*) from mail_threads where deal_id is not null",
        }
        got = {name: conn.execute(text(sql)).scalar() for name, sql in q.items()}
    engine.dispose()
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--addresses", type=int, default=300)
    ap.add_argument("--persons", type=int, default=120)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    workdir = Path(os.environ.get("TMPDIR", "/tmp"))
    box = workdir / f"dealbase-bench-{args.messages}.mbox"
    write_mbox(box, args.messages, args.addresses)
    print(f"mbox: {box} ({box.stat().st_size} bytes, {args.messages} messages)")

    if args.profile:
        _profile(box, args.persons, args.addresses)
        return
    walls, cpus = [], []
    for run in range(args.runs):
        database_url, files_dir = fresh_database(args.persons, args.addresses)
        env = {**os.environ, "DEALBASE_DATABASE_URL": database_url, "DEALBASE_FILES_DIR": files_dir}
        dealbase = Path(sys.executable).with_name("dealbase")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = subprocess.run([str(dealbase), "mail", "import", str(box)], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if out.returncode != 0:
            sys.exit(out.stderr)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {run + 1}: wall {wall:.2f} s, CPU {cpu:.2f} s, {args.messages / wall:.0f} messages/s")
        print("  " + out.stdout.strip().splitlines()[-1])
        print("  " + ", ".join(f"{k} {v}" for k, v in counts(database_url).items()))
    if args.runs > 1:
        wall = statistics.median(walls)
        print(f"median: wall {wall:.2f} s, CPU {statistics.median(cpus):.2f} s, {args.messages / wall:.0f} messages/s")


def _profile(box: Path, persons: int, addresses: int) -> None:
    from dealbase.cli import app as cli

    database_url, files_dir = fresh_database(persons, addresses)
    os.environ.update(DEALBASE_DATABASE_URL=database_url, DEALBASE_FILES_DIR=files_dir)
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        cli(["mail", "import", str(box)], standalone_mode=False)
    finally:
        profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
