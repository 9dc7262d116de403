#!/usr/bin/env python3
"""What checking the users version costs a request an API token authenticates, in-process.

    python bench/token_check_cost.py [--batches 20] [--calls 2000]

A remembered API token is answered only while its company's ``users_version`` is the one
read with it (``api/auth.py``): one primary-key read per request, so that a deactivated
user is refused at once in every process. Against it, on one app and a fresh SQLite
database, in alternating batches of ``GET /api/v2/deals/{id}``: the token remembered with no
read at all (the two-second cache this replaced, which let a deactivated user in for up to
two seconds per process) and no memory at all (the token and its user read every time).
Prints each state's median calls per second and its paired cost against the unchecked one.
"""

from __future__ import annotations

from _venv import use_project_venv

use_project_venv(__file__)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402

from in_process import batch, call, fresh_app  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()

    from dealbase.api.auth import Authenticator

    class Unchecked(Authenticator):
        """A remembered token answered with no read (the version check left out)."""

        def __call__(self, conn, token, authorization=None):
            hit = self._cache.get(token) if token else None
            return hit[1] if hit is not None else super().__call__(conn, token, authorization)

    class Forgetful(Authenticator):
        """Nothing remembered: the token's user read on every request."""

        def __call__(self, conn, token, authorization=None):
            self._cache.clear()
            return super().__call__(conn, token, authorization)

    app = fresh_app("dealbase-token-check-")
    states = {
        "unchecked": Unchecked(shared=app.shared),
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
    print(f"v2 get-by-id in-process, {args.batches} alternating batches of {args.calls} calls")
    print(f"  {'':44} {'median':>9} {'paired cost':>12}")
    labels = {
        "unchecked": "remembered, unchecked (the old 2 s cache)",
        "checked": "remembered, users version checked (now)",
        "forgetful": "not remembered (token read each time)",
    }
    for name, label in labels.items():
        paired = statistics.median(1 - rate / base for rate, base in zip(rates[name], rates["unchecked"], strict=True))
        print(f"  {label:44} {statistics.median(rates[name]):9,.0f} {paired:+12.1%}")


if __name__ == "__main__":
    main()
