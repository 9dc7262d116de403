"""The web app's board with many open deals, timed in Chromium (issue 14: 2,000 open deals
shown in under 1 s from navigation to the last card).

Starts ``dealbase serve`` on a fresh SQLite database (or ``--database-url``), adds the deals
through the API (spread over the default pipeline's five stages, each with an organization),
signs in with Playwright driving Debian's Chromium, then loads the board ``--runs`` times and
reports, for each load, the time from navigation to the last card in the page and the
browser's own navigation timing (response end, DOM content loaded, load event).

    python bench/web_board.py [--deals 2000] [--runs 5] [--database-url URL]
"""

from __future__ import annotations

from _venv import use_project_venv

use_project_venv(__file__)

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

TOKEN = "be9c" + "5eed" * 9
PASSWORD = "bench-board-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(url: str, deals: int) -> int:
    """``deals`` open deals over the first pipeline's stages; the last one's id."""
    api = requests.Session()
    api.headers["x-api-token"] = TOKEN
    stages = api.get(f"{url}/api/v2/stages", params={"pipeline_id": 1}).json()["data"]
    orgs = [
        api.post(f"{url}/api/v2/organizations", json={"name": f"Customer {n}"}).json()["data"]["id"]
        for n in range(min(deals, 200))
    ]
    last = 0
    for n in range(deals):
        body = {
            "title": f"Deal {n}",
            "value": 100 + n,
            "stage_id": stages[n % len(stages)]["id"],
            "org_id": orgs[n % len(orgs)],
        }
        answer = api.post(f"{url}/api/v2/deals", json=body)
        answer.raise_for_status()
        last = answer.json()["data"]["id"]
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--chromium", default=os.environ.get("DEALBASE_CHROMIUM") or shutil.which("chromium"))
    args = parser.parse_args()
    if not args.chromium:
        sys.exit("no Chromium: apt-get install chromium, or --chromium PATH")
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="dealbase-web-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DEALBASE_API_TOKEN": TOKEN, "DEALBASE_ADMIN_PASSWORD": PASSWORD}
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - open while the server runs
    server = subprocess.Popen(
        [sys.executable, "-m", "dealbase", "serve", "--port", str(port), "--database-url", database_url],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            try:
                if requests.get(f"{url}/v1/users/me", headers={"x-api-token": TOKEN}, timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        started = time.monotonic()
        last = _seed(url, args.deals)
        print(f"{args.deals} deals added through the API in {time.monotonic() - started:.1f} s")
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 900})
            page.goto(f"{url}/login")
            page.fill("#email", "admin@dealbase.local")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/")
            to_last, timings = [], []
            for _ in range(args.runs):
                began = time.perf_counter()
                page.goto(f"{url}/", wait_until="commit")
                try:
                    page.wait_for_selector(f"#deal-{last}", state="attached")
                except Exception:
                    print(page.url, page.content()[:2000])
                    raise
                to_last.append(time.perf_counter() - began)
                page.wait_for_load_state("load")
                timings.append(
                    page.evaluate(
                        "() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return [n.responseEnd, n.domContentLoadedEventEnd, n.loadEventEnd, n.transferSize]; }"
                    )
                )
            cards = page.locator("[data-deal-id]").count()
            browser.close()
        print(f"cards on the board: {cards}")
        for n, (seconds, (response, dom, load, size)) in enumerate(zip(to_last, timings), 1):
            print(
                f"run {n}: last card after {seconds * 1000:.0f} ms; response end {response:.0f} ms, "
                f"DOM content loaded {dom:.0f} ms, load {load:.0f} ms, {size / 1024:.0f} KiB"
            )
        print(f"median, navigation to the last card: {statistics.median(to_last) * 1000:.0f} ms")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
