#!/usr/bin/env python3
"""What checking the users version costs a request an API token authenticates, in-process.

    python bench/token_check_cost.py [--batches 20] [--calls 2000] [--postgres URL]

A remembered API token is answered only while its company's ``users_version`` is the one
read with it (``api/auth.py``), so that a deactivated user is refused at once in every
process: a read request reads the version in the statement that reads the fields version
(for a get, the row's own statement) and is checked at its end. Against it, on one app and
a fresh SQLite database (``--postgres``: a database made for the run on that server,
dropped after), in alternating batches of ``GET /api/v2/deals/{id}``: the token remembered
with no check at all (the two-second cache this replaced, which let a deactivated user in
for up to two seconds per process), the version read first in a primary-key read of its
own (as before issue 13's perf work: 10-13 % of a get) and no memory at all (the token and
its user read every time). Prints each state's median calls per second and its paired cost
against the unchecked one.
"""

from __future__ import annotations

from _venv import use_project_venv

use_project_venv(__file__)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from in_process import batch, call, fresh_app  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--postgres", help="a PostgreSQL server's URL (postgresql://user@host:port)")
    args = ap.parse_args()

    from dealbase.api.auth import Authenticator

    class Unchecked(Authenticator):
        """A remembered token answered with no read (the version check left out)."""

        def holds(self, conn, token, version, caller, seen):
            return True

    class CheckedFirst(Authenticator):
        """The version read before the request runs, on its own (as main did before the
        check moved into the statements the request makes)."""

        def remembered(self, token):
            return None

    class Forgetful(Authenticator):
        """Nothing remembered: the token's user read on every request."""

        def remembered(self, token):
            return None

        def __call__(self, conn, token, authorization=None):
            self._cache.clear()
            return super().__call__(conn, token, authorization)

    with scratch_database(args.postgres) as url:
        run_states(args, fresh_app("dealbase-token-check-", url), Unchecked, CheckedFirst, Forgetful)


@contextmanager
def scratch_database(server: str | None):
    """None (SQLite), or a database made on ``server`` for the run and dropped after."""
    if server is None:
        yield None
        return
    from sqlalchemy import create_engine, text

    name = f"dealbase_token_check_{os.getpid()}"
    admin = create_engine(f"{server.rstrip('/')}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield f"{server.rstrip('/')}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def run_states(args, app, Unchecked, CheckedFirst, Forgetful) -> None:
    states = {
        "unchecked": Unchecked(shared=app.shared),
        "first": CheckedFirst(shared=app.shared),
        "checked": app.authenticate,
        "forgetful": Forgetful(shared=app.shared),
    }

    async def run() -> dict[str, list[float]]:
        assert await call(app, "POST", "/api/v2/deals", b'{"title": "Bench"}') == 200
        path = "/api/v2/deals/1"
        rates: dict[str, list[float]] = {name: [] for name in states}
        for authenticate in states.values():  # warm up
            app.authenticate = authenticate
            await batch(app, path, args.calls // 4)
        for n in range(args.batches):
            order = list(states.items())
            for name, authenticate in order if n % 2 == 0 else order[::-1]:
                app.authenticate = authenticate
                rates[name].append(await batch(app, path, args.calls))
        return rates

    rates = asyncio.run(run())
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"v2 get-by-id in-process on {backend}, {args.batches} alternating batches of {args.calls} calls")
    print(f"  {'':44} {'median':>9} {'paired cost':>12}")
    labels = {
        "unchecked": "remembered, unchecked (the old 2 s cache)",
        "first": "remembered, version read first, alone",
        "checked": "remembered, version read with the request (now)",
        "forgetful": "not remembered (token read each time)",
    }
    for name, label in labels.items():
        paired = statistics.median(1 - rate / base for rate, base in zip(rates[name], rates["unchecked"], strict=True))
        print(f"  {label:44} {statistics.median(rates[name]):9,.0f} {paired:+12.1%}")


if __name__ == "__main__":
    main()
