"""Rate limits: the daily token budget per company, the burst window per token, their headers
and the 429; counters in the process or shared through Redis by several server processes."""

from __future__ import annotations

import math
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import SimpleNamespace

import pytest
from conftest import OTHER_TOKEN, TOKEN, Api
from factories import OVER_LIMIT, data
from starlette.testclient import TestClient
from support import serve
from support.database import RIVAL, make_company

from dealbase.api.auth import Credential
from dealbase.api.rate_limits import WINDOW_SECONDS, RateLimiter, burst_identity
from dealbase.api.router import Operation
from dealbase.app import create_app
from dealbase.bootstrap import ensure_company
from dealbase.domain.company_clock import Standing
from dealbase.settings import Settings
from dealbase.store import repository as repo
from dealbase.store.db import create_db_engine

REDIS_URL = os.environ.get("DEALBASE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RATE_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-daily-ratelimit-token-limit",
    "x-daily-ratelimit-token-remaining",
)


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(
            f"no Redis answers at {REDIS_URL} ({exc}); set DEALBASE_TEST_REDIS_URL to run the shared-counter tests"
        )
    return client


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in Redis, removed afterwards."""
    client = _redis_or_skip()
    prefix = f"dealbase-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


class Clock:
    """A settable clock, started at local noon of a fixed day."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = (start or datetime(2026, 3, 10, 12, 0, 0)).timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(engine, company, files_dir, clock):
    """Make an app with rate limits on (and these settings), on the fake clock."""
    clients = []

    def make(**settings) -> TestClient:
        app = create_app(
            Settings(database_url=str(engine.url), files_dir=str(files_dir), rate_limits=True, **settings), engine
        )
        app.limits.clock = clock
        client = TestClient(app, raise_server_exceptions=True)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def rl(limited) -> Api:
    return Api(limited(), TOKEN)


def rates(response) -> dict[str, int]:
    return {name: int(response.headers[name]) for name in RATE_HEADERS}


def test_off_by_default_no_headers(api):
    response = api.get("/api/v2/deals")
    assert response.status_code == 200
    assert not [name for name in response.headers if name.startswith("x-ratelimit") or name.startswith("x-daily")]


def test_headers_count_down_per_request_and_cost(rl):
    first = rl.get("/api/v2/deals")  # a v2 list costs 10
    assert first.status_code == 200
    assert rates(first) == {
        "x-ratelimit-limit": 20,
        "x-ratelimit-remaining": 19,
        "x-ratelimit-reset": 2,
        "x-daily-ratelimit-token-limit": 30_000,
        "x-daily-ratelimit-token-remaining": 29_990,
    }
    deal = rl.post("/api/v2/deals", json={"title": "Rated"}).json()["data"]  # 5
    got = rl.get(f"/api/v2/deals/{deal['id']}")  # 1
    assert rates(got)["x-ratelimit-remaining"] == 17
    assert rates(got)["x-daily-ratelimit-token-remaining"] == 29_984
    v1_list = rl.get("/v1/deals")  # a v1 list costs 20
    assert rates(v1_list)["x-ratelimit-remaining"] == 16
    assert rates(v1_list)["x-daily-ratelimit-token-remaining"] == 29_964
    searched = rl.get("/api/v2/deals/search", params={"term": "Rated"})  # 20, in the search window
    assert searched.status_code == 200
    assert rates(searched)["x-ratelimit-limit"] == 10
    assert rates(searched)["x-ratelimit-remaining"] == 9
    assert rates(searched)["x-daily-ratelimit-token-remaining"] == 29_944


def test_errors_after_authentication_carry_the_headers_and_spend(rl, anonymous):
    missing = rl.get("/api/v2/deals/999999")
    assert missing.status_code == 404
    assert rates(missing)["x-daily-ratelimit-token-remaining"] == 29_999
    bad = rl.post("/api/v2/deals", json={"title": ""})
    assert bad.status_code == 400
    assert rates(bad)["x-ratelimit-remaining"] == 18
    assert rates(bad)["x-daily-ratelimit-token-remaining"] == 29_994
    # before authentication nothing is known of the caller: no headers, nothing spent
    unknown = Api(rl.client, "not-a-token").get("/api/v2/deals")
    assert unknown.status_code == 401
    assert "x-ratelimit-limit" not in unknown.headers
    assert rates(rl.get("/api/v2/deals/999999"))["x-daily-ratelimit-token-remaining"] == 29_993


def test_legacy_write_counter_on_post_and_put_only(rl):
    created = rl.post("/v1/deals", json={"title": "Counted"})
    assert created.status_code == 201
    assert created.headers["x-daily-requests-left"] == "9999"
    deal_id = created.json()["data"]["id"]
    updated = rl.put(f"/v1/deals/{deal_id}", json={"title": "Counted again"})
    assert updated.headers["x-daily-requests-left"] == "9998"
    patched = rl.patch(f"/api/v2/deals/{deal_id}", json={"title": "Not counted"})
    assert patched.status_code == 200
    assert "x-daily-requests-left" not in patched.headers
    assert "x-daily-requests-left" not in rl.get("/api/v2/deals").headers
    assert rl.post("/api/v2/deals", json={"title": "v2 too"}).headers["x-daily-requests-left"] == "9997"


def test_burst_over_the_window_gets_429_and_the_window_rolls(rl, clock):
    for i in range(10):
        assert rates(rl.get("/api/v2/deals"))["x-ratelimit-remaining"] == 19 - i
    clock.advance(1.0)
    for i in range(10):
        assert rates(rl.get("/api/v2/deals"))["x-ratelimit-remaining"] == 9 - i
    over = rl.get("/api/v2/deals")  # schema-checked as Pipedrive's gateway envelope by the Api client
    assert over.status_code == 429
    assert over.json() == OVER_LIMIT
    assert rates(over) == {
        "x-ratelimit-limit": 20,
        "x-ratelimit-remaining": 0,
        "x-ratelimit-reset": 1,  # the first ten leave the window in one second
        "x-daily-ratelimit-token-limit": 30_000,
        "x-daily-ratelimit-token-remaining": 30_000 - 20 * 10,  # a refused request spends nothing
    }
    assert over.headers["retry-after"] == "1"
    # a write is refused as well, and changes nothing
    assert rl.post("/api/v2/deals", json={"title": "Refused"}).status_code == 429
    clock.advance(1.0)  # the first ten have left the rolling window, the last ten have not
    back = rl.get("/api/v2/deals")
    assert back.status_code == 200
    assert rates(back)["x-ratelimit-remaining"] == 20 - 11
    assert rates(back)["x-ratelimit-reset"] == 1
    assert not rl.get("/api/v2/deals", params={"limit": 500}).json()["data"]
    clock.advance(2.0)
    assert rates(rl.get("/api/v2/deals"))["x-ratelimit-remaining"] == 19


def test_search_has_its_own_window_of_ten(rl):
    for i in range(10):
        response = rl.get("/v1/itemSearch", params={"term": "abc"})
        assert response.status_code == 200
        assert rates(response)["x-ratelimit-remaining"] == 9 - i
    over = rl.get("/api/v2/persons/search", params={"term": "abc"})
    assert over.status_code == 429
    assert over.json() == OVER_LIMIT
    assert rates(over)["x-ratelimit-limit"] == 10
    assert over.headers["retry-after"] == "2"
    other = rl.get("/api/v2/deals")
    assert other.status_code == 200
    assert rates(other)["x-ratelimit-remaining"] == 19


def test_each_token_has_its_own_window_and_each_company_its_own_budget(limited, other_company):
    client = limited()
    mine, theirs = Api(client, TOKEN), Api(client, OTHER_TOKEN)
    for _ in range(20):
        assert mine.get("/api/v2/deals").status_code == 200
    assert mine.get("/api/v2/deals").status_code == 429
    other = theirs.get("/api/v2/deals")
    assert other.status_code == 200
    assert rates(other)["x-ratelimit-remaining"] == 19
    assert rates(other)["x-daily-ratelimit-token-remaining"] == 29_990


def test_each_company_has_the_limits_of_its_own_plan_and_seats(limited, engine, company):
    growth = make_company(engine, **RIVAL, plan="growth", seats=5)
    third = {"name": "Third", "domain": "third", "admin_name": "Tess Third", "admin_email": "tess@third.test"}
    ultimate = make_company(engine, **third, plan="ultimate")
    client = limited(plan="premium", seats=3)  # the server's: for companies made without them
    response = Api(client, growth.token).get("/api/v2/deals")
    assert rates(response) == {
        "x-ratelimit-limit": 40,
        "x-ratelimit-remaining": 39,
        "x-ratelimit-reset": 2,
        "x-daily-ratelimit-token-limit": 300_000,  # 30,000 × 2 × 5
        "x-daily-ratelimit-token-remaining": 299_990,
    }
    other = rates(Api(client, ultimate.token).get("/api/v2/deals"))
    assert (other["x-ratelimit-limit"], other["x-daily-ratelimit-token-limit"]) == (120, 210_000)  # × 7 × 1
    # the test's company was made on Lite with one seat: the server's plan does not change it
    own = rates(Api(client, TOKEN).get("/api/v2/deals"))
    assert (own["x-ratelimit-limit"], own["x-daily-ratelimit-token-limit"]) == (20, 30_000)


def _seats(engine, company_id: int) -> int:
    with engine.connect() as conn:
        return repo.get_company(conn, company_id)["seats"]


def test_an_active_user_beyond_the_seats_buys_a_seat_and_the_budget_follows(rl, engine, company):
    # Pipedrive bills a seat more rather than refusing the user: the seats rise to the
    # active users, never fall, and this process's budget follows on the next request
    assert _seats(engine, company.company_id) == 1
    bo = data(rl.post("/v1/users", json={"email": "bo@acme.test"}))
    assert _seats(engine, company.company_id) == 2
    assert rates(rl.get("/api/v2/deals"))["x-daily-ratelimit-token-limit"] == 60_000  # 30,000 × 1 × 2
    # an inactive user takes no seat, until they are activated
    cy = data(rl.post("/v1/users", json={"email": "cy@acme.test", "active_flag": False}))
    assert _seats(engine, company.company_id) == 2
    data(rl.put(f"/v1/users/{bo['id']}", json={"active_flag": False}))
    data(rl.put(f"/v1/users/{cy['id']}", json={"active_flag": True}))
    assert _seats(engine, company.company_id) == 2  # two active, two seats: none bought
    data(rl.put(f"/v1/users/{bo['id']}", json={"active_flag": True}))
    assert _seats(engine, company.company_id) == 3
    assert rates(rl.get("/api/v2/deals"))["x-daily-ratelimit-token-limit"] == 90_000
    data(rl.put(f"/v1/users/{bo['id']}", json={"active_flag": False}))
    assert _seats(engine, company.company_id) == 3  # a seat bought stays until the billing changes


def test_a_company_with_seats_to_spare_keeps_them(limited, engine):
    growth = make_company(engine, **RIVAL, plan="growth", seats=5)
    as_admin = Api(limited(), growth.token)
    data(as_admin.post("/v1/users", json={"email": "bo@rival.test"}))
    assert _seats(engine, growth.company_id) == 5
    assert rates(as_admin.get("/api/v2/deals"))["x-daily-ratelimit-token-limit"] == 300_000


def test_the_first_start_gives_the_first_company_the_servers_plan_and_seats(database_url, files_dir, clock):
    settings = Settings(
        database_url=database_url, files_dir=str(files_dir), rate_limits=True, plan="growth", seats=4, api_token=TOKEN
    )
    engine = create_db_engine(database_url)
    try:
        assert ensure_company(engine, settings) is not None
        app = create_app(settings, engine)
        app.limits.clock = clock
        with TestClient(app) as client:
            got = rates(Api(client, TOKEN).get("/api/v2/deals"))
    finally:
        engine.dispose()
    assert (got["x-ratelimit-limit"], got["x-daily-ratelimit-token-limit"]) == (40, 240_000)  # × 2 × 4


@pytest.mark.parametrize("counters", ["memory", "redis"])
def test_daily_budget_exhausts_by_cost_and_resets_at_midnight(counters, limited, clock, request):
    settings = {}
    if counters == "redis":
        settings = {"redis_url": REDIS_URL, "redis_prefix": request.getfixturevalue("redis_prefix")}
    clock.now = datetime(2026, 3, 10, 23, 58, 0).timestamp()
    rl = Api(limited(**settings), TOKEN)
    # the archived deals summary costs 80: 375 of them spend the 30,000 tokens of one Lite seat
    remaining = 30_000
    for _ in range(375):
        response = rl.get("/v1/deals/summary/archived")
        assert response.status_code == 200, response.text
        remaining -= 80
        assert rates(response)["x-daily-ratelimit-token-remaining"] == remaining
        clock.advance(0.11)  # under the burst window's 20 per 2 seconds
    assert remaining == 0
    clock.advance(2.0)  # an empty burst window: what follows is the budget's doing
    for url in ("/api/v2/deals/1", "/v1/users/me"):  # even the cheapest request now
        over = rl.get(url)
        assert over.status_code == 429
        assert over.json() == OVER_LIMIT
        assert rates(over)["x-daily-ratelimit-token-remaining"] == 0
        assert rates(over)["x-ratelimit-remaining"] > 0  # not the burst: the budget
        midnight = datetime(2026, 3, 11).timestamp()
        assert int(over.headers["retry-after"]) == math.ceil(midnight - clock.now)
    clock.now = datetime(2026, 3, 11, 0, 0, 1).timestamp()
    fresh = rl.get("/api/v2/deals")
    assert fresh.status_code == 200
    assert rates(fresh)["x-daily-ratelimit-token-remaining"] == 29_990


def test_two_apps_on_one_redis_share_window_and_budget(limited, redis_prefix):
    settings = {"redis_url": REDIS_URL, "redis_prefix": redis_prefix}
    one, two = Api(limited(**settings), TOKEN), Api(limited(**settings), TOKEN)
    for i in range(20):
        response = (one, two)[i % 2].get("/api/v2/deals")
        assert response.status_code == 200
        assert rates(response)["x-ratelimit-remaining"] == 19 - i
        assert rates(response)["x-daily-ratelimit-token-remaining"] == 30_000 - 10 * (i + 1)
    assert one.get("/api/v2/deals").status_code == 429
    assert two.get("/api/v2/deals").status_code == 429


def test_an_oauth_app_gets_four_times_the_window_of_its_own():
    limiter = RateLimiter(Settings(rate_limits=True), clock=lambda: 1_750_000_000.0)
    growth = Standing(plan="growth")
    op = Operation("v2", "GET", "/deals", "get_deals")
    api_ctx = SimpleNamespace(extra={"credential": Credential("token", 1)}, user={"id": 1}, company_id=1)
    oauth = Credential("oauth", 7, app_id=3, scopes=frozenset({"deals:read"}))
    oauth_ctx = SimpleNamespace(extra={"credential": oauth}, user={"id": 1}, company_id=1)
    assert dict(limiter.charge(api_ctx, op, growth))[b"x-ratelimit-limit"] == b"40"
    assert dict(limiter.charge(oauth_ctx, op, growth))[b"x-ratelimit-limit"] == b"160"
    assert dict(limiter.charge(oauth_ctx, op, growth))[b"x-ratelimit-remaining"] == b"158"
    # a refreshed access token (a new id) stays in the app's window for that user
    refreshed = SimpleNamespace(extra={"credential": oauth._replace(id=8)}, user={"id": 1}, company_id=1)
    assert dict(limiter.charge(refreshed, op, growth))[b"x-ratelimit-remaining"] == b"157"
    assert burst_identity(api_ctx) != burst_identity(oauth_ctx)
    assert burst_identity(refreshed) == burst_identity(oauth_ctx)


# ------------------------------------------------- two `dealbase serve` processes, one Redis


def _serve(database_url: str, redis_prefix: str, tmp_path, name: str) -> serve.Server:
    args = ["--files-dir", str(tmp_path / "files"), "--rate-limits", "--redis-url", REDIS_URL]
    args += ["--redis-prefix", redis_prefix]
    # no token: a 401 says the server is up without counting anything
    return serve.start(database_url, tmp_path, TOKEN, name=name, args=args, ready=serve.answers("/api/v2/deals", 401))


def _get(url: str, headers: dict[str, str]):
    """(status, headers) of a GET; (0, {}) when nothing answers."""
    return serve.get(url, headers)[:2]


def test_two_server_processes_share_one_budget_through_redis(database_url, redis_prefix, tmp_path):
    servers = []
    try:
        # one after the other: the first start makes the company and its token
        servers.append(_serve(database_url, redis_prefix, tmp_path, "first"))
        servers.append(_serve(database_url, redis_prefix, tmp_path, "second"))
        bases = [server.url for server in servers]
        headers = {"x-api-token": TOKEN}
        started = time.monotonic()
        seen = []
        for i in range(21):
            status, got = _get(f"{bases[i % 2]}/api/v2/deals", headers)
            seen.append((status, {name: int(got[name]) for name in RATE_HEADERS}))
        elapsed = time.monotonic() - started
        assert elapsed < 2.0, f"21 requests took {elapsed:.2f} s: longer than the window, the test proves nothing"
        for i, (status, got) in enumerate(seen[:20]):
            assert status == 200
            assert got["x-ratelimit-limit"] == 20
            assert got["x-ratelimit-remaining"] == 19 - i
            assert got["x-daily-ratelimit-token-remaining"] == 30_000 - 10 * (i + 1)
        status, got = seen[20]
        assert status == 429
        assert got["x-ratelimit-remaining"] == 0
        assert got["x-daily-ratelimit-token-remaining"] == 30_000 - 200

        # at once, 30 requests over both: the window's 20 places and the budget are taken
        # atomically, never twice
        time.sleep(WINDOW_SECONDS + 0.1)
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda i: _get(f"{bases[i % 2]}/api/v2/deals", headers), range(30)))
        passed = [got for status, got in answers if status == 200]
        assert sorted(int(got["x-ratelimit-remaining"]) for got in passed) == list(range(20))
        spent_before = 30_000 - 200
        assert sorted(int(got["x-daily-ratelimit-token-remaining"]) for got in passed) == [
            spent_before - 10 * k for k in range(20, 0, -1)
        ]
        assert sorted(status for status, _got in answers) == [200] * 20 + [429] * 10
    finally:
        for server in servers:
            server.kill(signal.SIGTERM)
