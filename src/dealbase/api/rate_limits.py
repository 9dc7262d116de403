"""Pipedrive's rate limits: the company's daily token budget and each token's burst window.

Each company has its own plan and seats (``companies.plan`` / ``seats``, set when it is made;
the server's ``DEALBASE_PLAN`` / ``DEALBASE_SEATS`` for one made without them). They come with
the company's clock, read once per two seconds per process (``company_clock.standing``).

- Budget: 30,000 tokens × the plan's multiplier × seats a day, shared by every user and app
  of the company; each operation spends its token cost (``operation_policy.POLICY``). Once it
  is exhausted every request is a 429 until midnight of the server's time zone.
- Burst: requests per token in a rolling 2-second window, by plan (four times as many for an
  OAuth access token); the Search API has its own window of 10.
- Headers on every response after authentication: ``x-ratelimit-limit`` / ``-remaining`` /
  ``-reset`` (the window), ``x-daily-ratelimit-token-limit`` / ``-remaining`` (the budget),
  and on API-token POST/PUT responses the legacy ``x-daily-requests-left`` (10,000 a user a
  UTC day, counted, never enforced). A 429 adds ``retry-after``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from dealbase.api.errors import ERROR_INFO, ApiError
from dealbase.api.operation_policy import POLICY
from dealbase.api.rate_counters import MemoryCounters, RedisCounters, Request
from dealbase.domain.company_clock import Standing
from dealbase.settings import Settings

BASE_BUDGET = 30_000
WINDOW_SECONDS = 2.0
OAUTH_BURST_FACTOR = 4
SEARCH_BURST = 10
WRITES_PER_DAY = 10_000

# plan → (budget multiplier, burst per window for an API token)
PLANS: dict[str, tuple[int, int]] = {
    "lite": (1, 20),
    "growth": (2, 40),
    "premium": (5, 100),
    "ultimate": (7, 120),
    # the plans' names before 2025
    "essential": (1, 20),
    "advanced": (2, 40),
    "professional": (3, 80),
    "power": (5, 100),
    "enterprise": (7, 120),
}


def limits(plan: str, seats: int) -> tuple[int, int]:
    """A plan's daily token budget for ``seats`` and its burst per window for an API token."""
    multiplier, burst = PLANS.get(plan, PLANS["lite"])
    return BASE_BUDGET * multiplier * seats, burst


class TooManyRequests(ApiError):
    """Pipedrive's 429, for the burst window and the exhausted budget alike."""

    status = 429

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        super().__init__("Request over limit")
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": self.error,
            "errorCode": 429,
            "error_info": ERROR_INFO,
            "data": None,
            "additional_data": None,
        }


def burst_identity(ctx: Any) -> tuple[str, bool]:
    """Whose window a request counts in, and whether it came with an OAuth access token.

    An API token's window is its user's (one token per user); an OAuth app's is the app's
    for that user, through every access token a refresh gives it.
    """
    credential = ctx.extra["credential"]
    if credential.kind == "oauth":
        return f"oauth:{credential.app_id}:{ctx.user['id']}", True
    return f"token:{credential.id}", False


def _is_search(path: str) -> bool:
    return path.endswith("/search") or path.startswith("/itemSearch")


class RateLimiter:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        if settings.redis_url:
            self.counters: MemoryCounters | RedisCounters = RedisCounters(settings.redis_url, settings.redis_prefix)
        else:
            self.counters = MemoryCounters()
        # (plan, seats) → (budget, burst, the budget as a header value)
        self._limits: dict[tuple[str, int], tuple[int, int, bytes]] = {}
        # (api, method, path) → (cost, search?)
        self._ops = {key: (cost, _is_search(key[2])) for key, (cost, _scopes) in POLICY.items()}
        self._day: tuple[tuple[int, int, int], str, float] | None = None

    def _local_day(self, now: float) -> tuple[str, float]:
        """The server's local date at ``now`` and its next midnight (a timestamp).

        Both follow from the local date and UTC offset alone, so they are worked out once
        per day (and offset change) rather than on every request.
        """
        moment = time.localtime(now)
        key = (moment.tm_year, moment.tm_yday, moment.tm_gmtoff)
        day = self._day
        if day is None or day[0] != key:
            local = datetime.fromtimestamp(now).astimezone()
            midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            day = self._day = (key, f"{local:%Y-%m-%d}", midnight.timestamp())
        return day[1], day[2]

    def _limits_of(self, company: Standing) -> tuple[int, int, bytes]:
        key = (company.plan, company.seats)
        found = self._limits.get(key)
        if found is None:
            budget, burst = limits(*key)
            found = self._limits[key] = (budget, burst, str(budget).encode())
        return found

    def charge(self, ctx: Any, op: Any, company: Standing) -> list[tuple[bytes, bytes]]:
        """Count the request under its company's plan and seats, at the company's time; its
        headers, or ``TooManyRequests`` carrying them."""
        cost, search = self._ops.get((op.api, op.method, op.path), (0, False))
        budget, burst, budget_limit = self._limits_of(company)
        identity, oauth = burst_identity(ctx)
        if search:
            limit, window_key = SEARCH_BURST, f"window:search:{identity}"
        else:
            limit, window_key = burst * (OAUTH_BURST_FACTOR if oauth else 1), f"window:{identity}"
        # A company with a clock of its own (the sandbox) counts its window and day by it.
        company_time = company.clock
        now = self.clock() if company_time.real_time else company_time.timestamp()
        today, midnight = self._local_day(now)
        to_midnight = max(1, math.ceil(midnight - now))
        counts_writes = not oauth and op.method in ("POST", "PUT")
        writes_key = None
        if counts_writes:
            writes_key = f"writes:{ctx.user['id']}:{datetime.fromtimestamp(now, UTC):%Y-%m-%d}"
        hit = self.counters.hit(
            Request(
                window_key=window_key,
                window=WINDOW_SECONDS,
                burst_limit=limit,
                budget_key=f"budget:{ctx.company_id}:{today}",
                budget=budget,
                cost=cost,
                budget_ttl=to_midnight + 3600,
                writes_key=writes_key,
            ),
            now,
        )
        reset = max(1, math.ceil(hit.oldest + WINDOW_SECONDS - now))
        headers = [
            (b"x-ratelimit-limit", str(limit).encode()),
            (b"x-ratelimit-remaining", str(max(0, limit - hit.in_window)).encode()),
            (b"x-ratelimit-reset", str(reset).encode()),
            (b"x-daily-ratelimit-token-limit", budget_limit),
            (b"x-daily-ratelimit-token-remaining", str(max(0, budget - hit.spent)).encode()),
        ]
        if counts_writes and hit.budget_ok:
            headers.append((b"x-daily-requests-left", str(max(0, WRITES_PER_DAY - hit.writes)).encode()))
        if not hit.burst_ok:
            headers.append((b"retry-after", str(reset).encode()))
            raise TooManyRequests(headers)
        if not hit.budget_ok:
            headers.append((b"retry-after", str(to_midnight).encode()))
            raise TooManyRequests(headers)
        ctx.extra["rate_headers"] = headers
        return headers
