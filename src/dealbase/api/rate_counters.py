"""The counters behind the rate limits: in this process, or in Redis for several processes.

Both keep the same three things and update them in one step per request:

- a rolling window per token: the times of its requests in the last ``window`` seconds;
- the tokens a company has spent on a day (its daily budget);
- the POST/PUT requests a user has made on a UTC day (the legacy fair-use counter).

A request the window refuses is not counted anywhere; one the window lets through always
counts in it, and spends its cost only while the budget is not yet exhausted.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from dataclasses import dataclass

import redis

from dealbase.api.errors import ApiError

log = logging.getLogger("dealbase")


@dataclass(slots=True)
class Hit:
    burst_ok: bool
    in_window: int  # requests in the window, this one included when it was let through
    oldest: float  # time of the oldest request in the window
    budget_ok: bool
    spent: int  # the company's tokens spent today, after this request
    writes: int  # the user's POST/PUT requests today, after this request (0 when not counted)


@dataclass(slots=True)
class Request:
    window_key: str
    window: float
    burst_limit: int
    budget_key: str
    budget: int
    cost: int
    budget_ttl: int  # seconds the day's budget counter must live
    writes_key: str | None  # None: this request is not a counted POST/PUT


class MemoryCounters:
    """One process's counters; a lock makes them safe for the thread pool."""

    _MAX_WINDOWS = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._spent: dict[str, int] = {}
        self._writes: dict[str, int] = {}

    def hit(self, req: Request, now: float) -> Hit:
        with self._lock:
            times = self._windows.get(req.window_key)
            if times is None:
                if len(self._windows) >= self._MAX_WINDOWS:
                    self._forget_idle(now - req.window)
                times = self._windows[req.window_key] = deque()
            start = now - req.window
            while times and times[0] <= start:
                times.popleft()
            if len(times) >= req.burst_limit:
                return Hit(False, len(times), times[0], False, self._spent.get(req.budget_key, 0), 0)
            times.append(now)
            spent = self._spent.get(req.budget_key, 0)
            budget_ok = spent < req.budget
            if budget_ok:
                if req.budget_key not in self._spent:
                    self._forget_other_days(req.budget_key)
                spent = self._spent[req.budget_key] = spent + req.cost
            writes = 0
            if budget_ok and req.writes_key is not None:
                if req.writes_key not in self._writes:
                    self._forget_other_days(req.writes_key)
                writes = self._writes[req.writes_key] = self._writes.get(req.writes_key, 0) + 1
            return Hit(True, len(times), times[0], budget_ok, spent, writes)

    def _forget_idle(self, start: float) -> None:
        for key in [k for k, times in self._windows.items() if not times or times[-1] <= start]:
            del self._windows[key]

    def _forget_other_days(self, key: str) -> None:
        # keys end in their day: a new day's first key drops the days before it
        day = key.rsplit(":", 1)[1]
        counters = self._spent if key.startswith("budget:") else self._writes
        for old in [k for k in counters if not k.endswith(day)]:
            del counters[old]


# KEYS: window, budget, writes (empty name: not counted).
# ARGV: now (ms), window (ms), burst limit, member, cost, budget, budget ttl (s).
# Returns: burst ok, in window, oldest (ms), budget ok, spent, writes.
_HIT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
local spent = tonumber(redis.call('GET', KEYS[2]) or '0')
if n >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
  return {0, n, tonumber(oldest), 0, spent, 0}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
redis.call('PEXPIRE', KEYS[1], window)
if spent >= tonumber(ARGV[6]) then
  return {1, n + 1, tonumber(oldest), 0, spent, 0}
end
spent = redis.call('INCRBY', KEYS[2], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[7])
local writes = 0
if KEYS[3] ~= '' then
  writes = redis.call('INCR', KEYS[3])
  redis.call('EXPIRE', KEYS[3], 90000)
end
return {1, n + 1, tonumber(oldest), 1, spent, writes}
"""


class RedisCounters:
    """Counters in Redis, shared by every server process that names the same prefix.

    One Lua script per request: Redis runs it atomically, so concurrent processes never
    both take the window's last place or both spend the budget's last tokens.
    """

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self._hit = self.client.register_script(_HIT)

    def hit(self, req: Request, now: float) -> Hit:
        now_ms = int(now * 1000)
        keys = [
            f"{self.prefix}:{req.window_key}",
            f"{self.prefix}:{req.budget_key}",
            f"{self.prefix}:{req.writes_key}" if req.writes_key else "",
        ]
        # a unique member: two requests in the same millisecond are two requests
        member = f"{now_ms}:{os.urandom(6).hex()}"
        args = [now_ms, int(req.window * 1000), req.burst_limit, member, req.cost, req.budget, req.budget_ttl]
        try:
            burst_ok, n, oldest, budget_ok, spent, writes = self._hit(keys=keys, args=args)
        except redis.RedisError as exc:
            # not counted is not limited: refuse rather than let the request through unseen
            log.error("rate limit counters unavailable in Redis: %s", exc)
            raise ApiError("Service temporarily unavailable", 503) from exc
        return Hit(bool(burst_ok), int(n), int(oldest) / 1000, bool(budget_ok), int(spent), int(writes))
