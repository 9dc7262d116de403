"""The web app in a real browser (issue 14): Playwright for Python driving Debian's Chromium
against ``dealbase serve`` started the way users start it, on SQLite and PostgreSQL.

What a user does on the screens, and what the API then says: sign in (a wrong password
refused), the board's counts and sums, a deal dragged to another stage and one moved with the
keyboard alone (read back through ``GET /api/v2/deals/{id}``, and a webhook registered through
the API told of both), a deal added from a column, hostile titles shown as text with no
dialog, a POST without the CSRF token refused, the session cookie out of the page's reach,
and logout ending the session. axe-core (``package.json`` here, installed with ``npm ci``)
finds no serious or critical violation on the sign-in page and the board. Each test saves a
screenshot in ``tests/screenshots/``.

Chromium: ``DEALBASE_CHROMIUM``, else ``chromium`` on PATH (``.ci/run`` installs Debian's);
no Playwright browser download. Without it, or without the ``playwright`` package, these
tests skip and say why.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from support import npm, serve
from support.receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parent / "screenshots"
TOKEN = "b0a7" + "5eed" * 9
ADMIN_EMAIL = "admin@dealbase.local"
PASSWORD = "board-walk-42"


# -- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> str:
    path = os.environ.get("DEALBASE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path or not Path(path).exists():
        pytest.skip("no Chromium (set DEALBASE_CHROMIUM, or apt-get install chromium): the browser tests need one")
    return path


# Module-scoped, not session: Playwright's sync driver keeps an event loop running on the
# worker's thread while it is open, and tests of other modules the same worker runs later
# (the testing kit's asyncio.run) must not find one.
@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"], headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return (npm.install(HERE) / "axe-core" / "axe.min.js").read_text()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[serve.Server]:
    env = {
        "DEALBASE_ADMIN_PASSWORD": PASSWORD,
        "DEALBASE_WEBHOOKS_ALLOW_PRIVATE": "1",
        "DEALBASE_WEBHOOKS_POLL_SECONDS": "0.2",
        "DEALBASE_FILES_DIR": str(tmp_path / "files"),
    }
    with serve.start(database_url, tmp_path, TOKEN, env=env, name="web") as running:
        yield running


@pytest.fixture
def context(browser) -> Iterator[Any]:
    # bypass_csp: axe is injected as an inline script, and hostile titles must be harmless by
    # escaping alone (the pages' Content-Security-Policy is tested in tests/test_web.py)
    made = browser.new_context(bypass_csp=True, viewport={"width": 1500, "height": 900})
    yield made
    made.close()


@pytest.fixture
def page(context) -> Any:
    opened = context.new_page()
    opened.dialogs = []

    def dialog(shown) -> None:
        opened.dialogs.append(shown.message)
        shown.dismiss()

    opened.on("dialog", dialog)
    return opened


def shoot(page, request, name: str) -> Path:
    """The screen as the test left it, in tests/screenshots/ (one per backend)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("backend", "sqlite")
    path = SCREENSHOTS / f"{name}-{backend}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- the API beside it ------------------------------------------------------------------


class Rest:
    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["x-api-token"] = TOKEN

    def call(self, method: str, path: str, body: dict | None = None, status: int = 200, **params) -> Any:
        got = self.session.request(method, f"{self.url}{path}", json=body, params=params, timeout=10)
        assert got.status_code == status, got.text
        return got.json()["data"]

    def stages(self) -> list[dict]:
        return self.call("GET", "/api/v2/stages", pipeline_id=1)

    def deal(self, title: str, stage_id: int, **fields) -> dict:
        return self.call("POST", "/api/v2/deals", {"title": title, "stage_id": stage_id, **fields})


@pytest.fixture
def rest(server) -> Rest:
    return Rest(server.url)


def sign_in(page, url: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def column(page, stage: dict):
    return page.locator(f'section[data-stage-id="{stage["id"]}"]')


def titles(page, stage: dict) -> list[str]:
    return column(page, stage).locator("[data-title]").all_inner_texts()


# -- the tests ------------------------------------------------------------------------------


def test_sign_in_and_a_wrong_password_refused(page, server, request):
    sign_in(page, server.url, password="not the password")
    alert = page.get_by_role("alert")
    assert alert.inner_text() == "The e-mail address or the password is not right."
    assert page.url.endswith("/login")
    shoot(page, request, "sign-in-refused")
    sign_in(page, server.url)
    page.wait_for_url(f"{server.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Pipeline"
    assert page.get_by_text("Signed in as Admin").is_visible()
    shoot(page, request, "signed-in")


def test_the_board_shows_the_deals_with_their_counts_and_sums(page, server, rest, request):
    stages = rest.stages()
    org = rest.call("POST", "/api/v2/organizations", {"name": "Globex"})
    person = rest.call("POST", "/api/v2/persons", {"name": "Pat Doe"})
    rest.deal("Globex renewal", stages[0]["id"], value=1200, org_id=org["id"])
    rest.deal("Pat's first order", stages[0]["id"], value=300.25, person_id=person["id"])
    rest.deal("Pilot", stages[1]["id"], value=5000)
    rest.deal("Lost one", stages[1]["id"], value=70, status="lost")
    sign_in(page, server.url)
    page.wait_for_url(f"{server.url}/")
    first, second = column(page, stages[0]), column(page, stages[1])
    assert first.locator("[data-count]").inner_text() == "2 deals"
    assert first.locator("[data-sum]").all_inner_texts() == ["$1,500.25"]
    assert titles(page, stages[0]) == ["Globex renewal", "Pat's first order"]
    assert first.locator(".party").all_inner_texts() == ["Globex", "Pat Doe"]
    assert second.locator("[data-count]").inner_text() == "1 deal"
    assert second.locator("[data-sum]").all_inner_texts() == ["$5,000"]
    assert titles(page, stages[1]) == ["Pilot"]
    assert column(page, stages[4]).locator("[data-count]").inner_text() == "0 deals"
    shoot(page, request, "board")


def test_deals_moved_by_drag_and_drop_and_by_keyboard_reach_the_api_and_a_webhook(page, server, rest, request):
    receiver = Receiver().start()
    try:
        rest.call(
            "POST",
            "/v1/webhooks",
            {"subscription_url": receiver.url, "event_action": "change", "event_object": "deal", "name": "board"},
            status=201,
        )
        stages = rest.stages()
        dragged = rest.deal("Dragged deal", stages[0]["id"], value=10)
        keyed = rest.deal("Keyboard deal", stages[0]["id"], value=20)
        sign_in(page, server.url)
        page.wait_for_url(f"{server.url}/")

        # drag and drop onto the third column
        page.locator(f"#deal-{dragged['id']}").drag_to(column(page, stages[2]))
        page.wait_for_function(
            "([id, stage]) => document.querySelector(`section[data-stage-id='${stage}'] #deal-${id}`)",
            arg=[dragged["id"], stages[2]["id"]],
        )
        assert rest.call("GET", f"/api/v2/deals/{dragged['id']}")["stage_id"] == stages[2]["id"]

        # the keyboard alone: the card's Move menu opened, the fourth stage chosen
        card = page.locator(f"#deal-{keyed['id']}")
        menu = card.locator("summary")
        assert menu.get_attribute("aria-label") == "Move Keyboard deal"
        menu.focus()
        page.keyboard.press("Enter")
        choices = card.get_by_role("list", name="Move Keyboard deal to").get_by_role("button")
        choices.first.wait_for()  # the menu is made as it opens
        assert choices.all_inner_texts() == [s["name"] for s in stages[1:]]
        for _ in range(3):
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == stages[3]["name"]
        page.keyboard.press("Enter")
        page.wait_for_function(
            "([id, stage]) => document.querySelector(`section[data-stage-id='${stage}'] #deal-${id}`)",
            arg=[keyed["id"], stages[3]["id"]],
        )
        assert rest.call("GET", f"/api/v2/deals/{keyed['id']}")["stage_id"] == stages[3]["id"]
        assert titles(page, stages[2]) == ["Dragged deal"] and titles(page, stages[3]) == ["Keyboard deal"]
        assert column(page, stages[0]).locator("[data-count]").inner_text() == "0 deals"
        shoot(page, request, "board-moved")

        received = receiver.wait(2, timeout=20)
        told = {body["meta"]["entity_id"]: body for body in (r.body for r in received)}
        assert told[str(dragged["id"])]["data"]["stage_id"] == stages[2]["id"]
        assert told[str(keyed["id"])]["data"]["stage_id"] == stages[3]["id"]
        assert told[str(keyed["id"])]["previous"]["stage_id"] == stages[0]["id"]
    finally:
        receiver.stop()


def test_a_deal_added_from_a_column(page, server, rest, request):
    stages = rest.stages()
    sign_in(page, server.url)
    page.wait_for_url(f"{server.url}/")
    second = column(page, stages[1])
    second.get_by_text(f"Add a deal in {stages[1]['name']}").click()
    second.get_by_label("Title").fill("Made on the board")
    second.get_by_label("Value").fill("750")
    second.get_by_role("button", name="Add deal").click()
    page.wait_for_selector("text=Made on the board")
    assert titles(page, stages[1]) == ["Made on the board"]
    assert column(page, stages[1]).locator("[data-sum]").all_inner_texts() == ["$750"]
    made = [d for d in rest.call("GET", "/api/v2/deals") if d["title"] == "Made on the board"]
    assert [(d["value"], d["stage_id"], d["status"]) for d in made] == [(750, stages[1]["id"], "open")]
    shoot(page, request, "deal-added")


def test_hostile_titles_are_shown_as_text(page, server, rest, request):
    stages = rest.stages()
    hostile = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
    for title in hostile:
        rest.deal(title, stages[0]["id"])
    sign_in(page, server.url)
    page.wait_for_url(f"{server.url}/")
    page.wait_for_load_state("networkidle")
    assert titles(page, stages[0]) == hostile
    assert page.locator("img").count() == 0
    # the card's menu names it too, as text
    assert page.locator(".card summary").evaluate_all("all => all.map(s => s.getAttribute('aria-label'))") == [
        f"Move {title}" for title in hostile
    ]
    assert page.dialogs == []
    shoot(page, request, "hostile-titles")


def test_a_post_without_the_csrf_token_is_refused(page, server, rest, request):
    stages = rest.stages()
    sign_in(page, server.url)
    page.wait_for_url(f"{server.url}/")
    # with the session cookie but without the token: from the page's own script, and a form
    status = page.evaluate(
        """async (stage) => (await fetch('/deals', {method: 'POST',
            body: new URLSearchParams({title: 'Forged', stage_id: String(stage)})})).status""",
        stages[0]["id"],
    )
    assert status == 403
    refused = page.request.post(f"{server.url}/deals", form={"title": "Forged", "stage_id": str(stages[0]["id"])})
    assert refused.status == 403
    page.goto(f"{server.url}/")
    assert [d for d in rest.call("GET", "/api/v2/deals") if d["title"] == "Forged"] == []
    shoot(page, request, "csrf-refused")


def test_the_session_cookie_is_out_of_scripts_reach_and_logout_ends_it(browser, page, context, server, request):
    sign_in(page, server.url)
    page.wait_for_url(f"{server.url}/")
    [cookie] = [c for c in context.cookies() if c["name"] == "dealbase_session"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"], cookie["path"]) == (True, "Lax", False, "/")
    assert "dealbase_session" not in page.evaluate("document.cookie")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/login")
    shoot(page, request, "signed-out")
    # the old cookie, replayed in another browser, opens nothing
    replay = browser.new_context()
    try:
        replay.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
        other = replay.new_page()
        other.goto(f"{server.url}/")
        assert other.url == f"{server.url}/login"
    finally:
        replay.close()


def _serious(page, axe_source: str) -> list[str]:
    page.add_script_tag(content=axe_source)
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_violation_on_the_sign_in_page_and_the_board(page, server, rest, axe_source, request):
    stages = rest.stages()
    rest.deal("Accessible deal", stages[0]["id"], value=10)
    page.goto(f"{server.url}/login")
    assert _serious(page, axe_source) == []
    sign_in(page, server.url, password="wrong password!")
    assert _serious(page, axe_source) == []  # with its error shown
    # the keyboard alone: the e-mail field has the focus, Tab to the password, Enter
    page.goto(f"{server.url}/login")
    page.keyboard.type(ADMIN_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/")
    assert _serious(page, axe_source) == []
    assert re.fullmatch(r"Pipeline · dealbase", page.title())
    shoot(page, request, "board-checked")


def test_a_deals_page_custom_field_activity_note_and_product(page, server, rest, axe_source, request):
    stages = rest.stages()
    region = rest.call("POST", "/api/v2/dealFields", {"field_name": "Region", "field_type": "varchar"})
    product = rest.call("POST", "/api/v2/products", {"name": "Widget"}, status=201)
    deal = rest.deal("Page deal", stages[0]["id"], value=100)
    sign_in(page, server.url)
    page.wait_for_url(f"{server.url}/")
    page.get_by_role("link", name="Page deal").click()
    page.wait_for_url(f"{server.url}/deals/{deal['id']}")
    assert _serious(page, axe_source) == []
    # a custom field edited in place
    page.get_by_role("textbox", name="Region").fill("North")
    page.get_by_role("button", name="Save Region").click()
    page.wait_for_url(f"{server.url}/deals/{deal['id']}#fields")
    read = rest.call("GET", f"/api/v2/deals/{deal['id']}")
    assert read["custom_fields"][region["field_code"]] == "North"
    # an activity added with the keyboard alone, then marked done
    page.get_by_role("textbox", name="Subject").focus()
    page.keyboard.type("Call back")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Call back")
    [activity] = rest.call("GET", "/api/v2/activities", deal_id=deal["id"])
    assert (activity["subject"], activity["done"]) == ("Call back", False)
    page.get_by_role("button", name="Mark Call back as done").click()
    page.wait_for_selector("[data-done]")
    assert rest.call("GET", f"/api/v2/activities/{activity['id']}")["done"] is True
    # a note
    page.get_by_role("textbox", name="Note", exact=True).fill("Wants a demo")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_selector("text=Wants a demo")
    assert [n["content"] for n in rest.call("GET", "/v1/notes", deal_id=deal["id"])] == ["Wants a demo"]
    # a product: the deal's value follows
    page.get_by_role("combobox", name="Product", exact=True).select_option(str(product["id"]))
    page.get_by_role("spinbutton", name="Quantity").fill("2")
    page.get_by_role("spinbutton", name="Price", exact=True).fill("30")
    page.get_by_role("button", name="Add product").click()
    page.wait_for_selector("td[data-sum]")
    assert rest.call("GET", f"/api/v2/deals/{deal['id']}")["value"] == 60
    assert page.locator("[data-value]").inner_text() == "60"
    assert _serious(page, axe_source) == []
    shoot(page, request, "deal-page")
