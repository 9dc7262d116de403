"""The web app's routes: sign-in, sign-out, the board and its two actions, a deal's page and its actions."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from jinja2 import Environment, PackageLoader
from starlette import routing
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from dealbase.clock import now
from dealbase.store import web_sessions
from dealbase.web import accounts, deal_page
from dealbase.web import board as boards
from dealbase.web.calls import Api, Refused
from dealbase.web.throttle import Throttle

if TYPE_CHECKING:
    from dealbase.app import DealbaseApp

SESSION_COOKIE = "dealbase_session"
LOGIN_CSRF_COOKIE = "dealbase_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_BYTES = 64 * 1024
STATIC = Path(__file__).parent / "static"
# Pages load only their own stylesheet and script: an injected tag could run nothing.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class Signed:
    """The signed-in user of a request: their row, the session's digest and CSRF token."""

    user: dict[str, Any]
    digest: str
    csrf_token: str


def _same(sent: Any, expected: str | None) -> bool:
    return isinstance(sent, str) and bool(sent) and bool(expected) and hmac.compare_digest(sent, expected or "")


class WebApp:
    def __init__(self, app: DealbaseApp) -> None:
        from dealbase.app import NOT_FOUND

        self.app = app
        self.throttle = Throttle()
        self.templates = Environment(
            loader=PackageLoader("dealbase.web"), autoescape=True, trim_blocks=True, lstrip_blocks=True
        )
        self.router = routing.Router(
            [
                routing.Route("/", self.board, methods=["GET"]),
                routing.Route("/login", self.login_form, methods=["GET"]),
                routing.Route("/login", self.login, methods=["POST"]),
                routing.Route("/logout", self.logout, methods=["POST"]),
                routing.Route("/deals", self.add_deal, methods=["POST"]),
                routing.Route("/deals/{deal_id:int}/move", self.move_form, methods=["GET"]),
                routing.Route("/deals/{deal_id:int}/move", self.move_deal, methods=["POST"]),
                routing.Route("/deals/{deal_id:int}", self.deal, methods=["GET"]),
                routing.Route("/deals/{deal_id:int}/{action:str}", self.deal_action, methods=["POST"]),
                routing.Route(
                    "/deals/{deal_id:int}/{kind:str}/{item_id:int}/{action:str}",
                    self.deal_item_action,
                    methods=["POST"],
                ),
                routing.Mount("/static", app=StaticFiles(directory=STATIC)),
            ],
            redirect_slashes=False,
            default=NOT_FOUND,
        )

    # -- what every page shares ------------------------------------------------------------

    def page(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(**values)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    async def signed_in(self, request: Request) -> Signed | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 128:
            return None
        digest = accounts.digest(token)
        user = await self.app.in_transaction(lambda conn: web_sessions.session_user(conn, digest, now()), write=False)
        if user is None:
            return None
        return Signed(user, digest, user.pop("csrf_token"))

    @staticmethod
    def _secure(request: Request) -> bool:
        # uvicorn applies X-Forwarded-Proto from the proxies it trusts (--forwarded-allow-ips)
        return request.url.scheme == "https"

    async def _checked_form(self, request: Request, expected: str | None) -> FormData | Response:
        """The request's form when it carries the expected CSRF token, else the 403 page (a
        form too large, or not a form, a 413 or 400 page: its size is known before it is read)."""
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            return self.page("error.html", 413, message=f"A form sends at most {MAX_FORM_BYTES // 1024} KiB.")
        try:
            form = await request.form(max_files=0, max_fields=50)
        except (HTTPException, MultiPartException):
            return self.page("error.html", 400, message="That was not a form this page sends.")
        if not _same(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER), expected):
            return self.page(
                "error.html",
                403,
                message="This form has expired or did not come from dealbase. Go back, reload the page and try again.",
            )
        return form

    @staticmethod
    def _wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "")

    # -- sign-in ---------------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        """The sign-in form, with a fresh double-submit CSRF cookie."""
        if await self.signed_in(request) is not None:
            return RedirectResponse("/", 303)
        return self._login_page(request)

    def _login_page(self, request: Request, status: int = 200, error: str | None = None, email: str = "") -> Response:
        token = secrets.token_urlsafe(32)
        response = self.page("login.html", status, csrf_token=token, error=error, email=email)
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, path="/login", httponly=True, samesite="strict", secure=self._secure(request)
        )
        return response

    async def login(self, request: Request) -> Response:
        """E-mail and password: a new session and its cookie, then the board."""
        form = await self._checked_form(request, request.cookies.get(LOGIN_CSRF_COOKIE))
        if isinstance(form, Response):
            return form
        email = str(form.get("email") or "").strip()[:320]
        password = str(form.get("password") or "")
        client = request.client.host if request.client else "unknown"
        wait = self.throttle.wait(email, client)
        if wait:
            minutes = (wait + 59) // 60
            response = self._login_page(
                request, 429, f"Too many failed sign-ins. Try again in {minutes} minute(s).", email
            )
            response.headers["retry-after"] = str(wait)
            return response
        candidates = []
        if email:
            candidates = await self.app.in_transaction(
                lambda conn: web_sessions.sign_in_candidates(conn, email), write=False
            )
        found = await anyio.to_thread.run_sync(accounts.match, candidates, password)
        if found is None:
            self.throttle.failed(email, client)
            return self._login_page(request, 401, "The e-mail address or the password is not right.", email)
        hours = self.app.settings.session_hours
        session = await self.app.in_transaction(lambda conn: accounts.open_session(conn, found, hours), write=True)
        self.throttle.succeeded(email)
        response = RedirectResponse("/", 303)
        response.set_cookie(
            SESSION_COOKIE,
            session.token,
            max_age=hours * 3600,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self._secure(request),
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    async def logout(self, request: Request) -> Response:
        """The session ended on the server (its cookie is refused from now on)."""
        signed = await self.signed_in(request)
        response = RedirectResponse("/login", 303)
        if signed is not None:
            form = await self._checked_form(request, signed.csrf_token)
            if isinstance(form, Response):
                return form
            await self.app.in_transaction(lambda conn: web_sessions.end_session(conn, signed.digest), write=True)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=self._secure(request))
        return response

    # -- the board -------------------------------------------------------------------------

    async def board(self, request: Request) -> Response:
        signed = await self.signed_in(request)
        if signed is None:
            return RedirectResponse("/login", 303)
        return await self._board_page(signed, boards.View.read(request.query_params))

    async def _board_page(self, signed: Signed, view: boards.View, error: Refused | None = None) -> Response:
        try:
            shown = await boards.read(Api(self.app, signed.digest), view)
        except Refused as refused:
            return self._refused_page(refused)
        status = error.status if error is not None else 200
        return self.page(
            "board.html",
            status,
            board=shown,
            view_query=replace(view, pipeline=shown.pipeline["id"] if shown.pipeline else None).params(),
            user=signed.user,
            csrf_token=signed.csrf_token,
            error=error.message if error is not None else None,
        )

    def _refused_page(self, refused: Refused) -> Response:
        """What the API refused, as a page (signed out meanwhile: the sign-in form)."""
        if refused.status == 401:
            return RedirectResponse("/login", 303)
        return self.page("error.html", refused.status, message=refused.message)

    async def _act(self, request: Request, act) -> Response:
        """A board action: the CSRF token checked, the API called, then the board again
        (a redirect; a drag and drop's fetch gets JSON)."""
        signed = await self.signed_in(request)
        if signed is None:
            return (
                JSONResponse({"error": "Sign in again"}, 401)
                if self._wants_json(request)
                else RedirectResponse("/login", 303)
            )
        form = await self._checked_form(request, signed.csrf_token)
        if isinstance(form, Response):
            return form
        view = boards.View.read(request.query_params)
        try:
            deal = await act(Api(self.app, signed.digest), form)
        except Refused as refused:
            if self._wants_json(request):
                return JSONResponse({"error": refused.message}, refused.status, headers=SECURITY_HEADERS)
            return await self._board_page(signed, view, refused)
        if self._wants_json(request):
            return JSONResponse({"id": deal["id"], "stage_id": deal["stage_id"]}, headers=SECURITY_HEADERS)
        shown = replace(view, pipeline=deal["pipeline_id"])
        return RedirectResponse(f"/?{shown.params()}#deal-{deal['id']}", 303)

    async def move_form(self, request: Request) -> Response:
        """A card's move menu as a page of its own (the board's menu without its script)."""
        signed = await self.signed_in(request)
        if signed is None:
            return RedirectResponse("/login", 303)
        try:
            deal, stages = await boards.move_choices(Api(self.app, signed.digest), request.path_params["deal_id"])
        except Refused as refused:
            return self._refused_page(refused)
        view = replace(boards.View.read(request.query_params), pipeline=deal["pipeline_id"])
        current = next((stage for stage in stages if stage["id"] == deal["stage_id"]), None)
        return self.page(
            "move.html",
            deal=deal,
            stages=stages,
            current=current,
            csrf_token=signed.csrf_token,
            view_query=view.params(),
        )

    async def move_deal(self, request: Request) -> Response:
        deal_id = request.path_params["deal_id"]

        async def act(api: Api, form: FormData) -> dict[str, Any]:
            stage_id = boards.read_id(form.get("stage_id"))
            if stage_id is None:
                raise Refused(400, "Choose a stage to move the deal to")
            return await boards.move(api, deal_id, stage_id)

        return await self._act(request, act)

    async def add_deal(self, request: Request) -> Response:
        async def act(api: Api, form: FormData) -> dict[str, Any]:
            title = str(form.get("title") or "").strip()
            stage_id = boards.read_id(form.get("stage_id"))
            if not title or stage_id is None:
                raise Refused(400, "A deal needs a title and a stage")
            return await boards.add(api, title, str(form.get("value") or ""), stage_id)

        return await self._act(request, act)

    # -- a deal's page ---------------------------------------------------------------------

    async def deal(self, request: Request) -> Response:
        signed = await self.signed_in(request)
        if signed is None:
            return RedirectResponse("/login", 303)
        return await self._deal_page(signed, request.path_params["deal_id"])

    async def _deal_page(self, signed: Signed, deal_id: int, error: Refused | None = None) -> Response:
        try:
            shown = await deal_page.read(Api(self.app, signed.digest), deal_id)
        except Refused as refused:
            return self._refused_page(refused)
        return self.page(
            "deal.html",
            error.status if error is not None else 200,
            page=shown,
            deal=shown.deal,
            user=signed.user,
            csrf_token=signed.csrf_token,
            error=error.message if error is not None else None,
        )

    async def _deal_act(self, request: Request, act, anchor: str) -> Response:
        """A deal page's action: the CSRF token checked, one API call, then the page again
        (a redirect to the part acted on; what the API refused, on the page with its status)."""
        signed = await self.signed_in(request)
        if signed is None:
            return RedirectResponse("/login", 303)
        form = await self._checked_form(request, signed.csrf_token)
        if isinstance(form, Response):
            return form
        deal_id = request.path_params["deal_id"]
        try:
            await act(Api(self.app, signed.digest), deal_id, form)
        except Refused as refused:
            if refused.status == 401:
                return RedirectResponse("/login", 303)
            return await self._deal_page(signed, deal_id, refused)
        return RedirectResponse(f"/deals/{deal_id}#{anchor}", 303)

    async def deal_action(self, request: Request) -> Response:
        """POST /deals/{id}/field | status | activities | notes | products."""
        action = request.path_params["action"]

        async def field(api: Api, deal_id: int, form: FormData) -> Any:
            key = str(form.get("field") or "")
            return await deal_page.set_field(api, deal_id, key, [str(v) for v in form.getlist("value")])

        async def status(api: Api, deal_id: int, form: FormData) -> Any:
            return await deal_page.set_status(
                api, deal_id, str(form.get("status") or ""), str(form.get("lost_reason") or "")
            )

        async def activity(api: Api, deal_id: int, form: FormData) -> Any:
            return await deal_page.add_activity(
                api,
                deal_id,
                str(form.get("subject") or ""),
                str(form.get("type") or ""),
                str(form.get("due_date") or ""),
            )

        async def note(api: Api, deal_id: int, form: FormData) -> Any:
            return await deal_page.add_note(api, deal_id, str(form.get("content") or ""))

        async def product(api: Api, deal_id: int, form: FormData) -> Any:
            return await deal_page.add_product(api, deal_id, form)

        acts = {
            "field": (field, "fields"),
            "status": (status, "status"),
            "activities": (activity, "activities"),
            "notes": (note, "notes"),
            "products": (product, "products"),
        }
        if action not in acts:
            return self.page("error.html", 404, message="There is no such page.")
        act, anchor = acts[action]
        return await self._deal_act(request, act, anchor)

    async def deal_item_action(self, request: Request) -> Response:
        """POST /deals/{id}/activities/{activity}/done, /deals/{id}/notes/{note}/pin."""
        kind, action, item_id = (request.path_params[k] for k in ("kind", "action", "item_id"))

        async def done(api: Api, deal_id: int, form: FormData) -> Any:
            return await deal_page.mark_done(api, deal_id, item_id)

        async def pin(api: Api, deal_id: int, form: FormData) -> Any:
            return await deal_page.pin_note(api, deal_id, item_id, form.get("pinned") != "0")

        acts = {("activities", "done"): (done, "activities"), ("notes", "pin"): (pin, "notes")}
        if (kind, action) not in acts:
            return self.page("error.html", 404, message="There is no such page.")
        act, anchor = acts[(kind, action)]
        return await self._deal_act(request, act, anchor)
