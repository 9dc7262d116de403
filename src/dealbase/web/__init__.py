"""The web app: server-rendered pages (Jinja2, autoescaped) for people, at ``/``.

    GET  /login            the sign-in form
    POST /login            e-mail and password: a session cookie, then the board
    POST /logout           the session ended on the server, the cookie cleared
    GET  /                 the board (``?pipeline=<id>``)
    POST /deals            a deal added from a column
    GET  /deals/{id}/move  a card's move menu as a page (for a browser without script)
    POST /deals/{id}/move  a card moved to another stage (the card's menu, or drag and drop)
    GET  /deals/{id}       a deal's page: fields, status, activities, notes, products, history
    POST /deals/{id}/field | status | activities | notes | products   its actions
    POST /deals/{id}/activities/{a}/done, /deals/{id}/notes/{n}/pin   an activity done, a note pinned
    GET  /static/…         the stylesheet and the one script (drag and drop, the cards' menus)

Every action is a plain HTML form, so the app works with the keyboard alone and without its
script; the script adds drag and drop, which posts what the card's menu posts, and makes
each card's menu from one template when it is opened. Every state-changing
request carries the session's CSRF token (the sign-in form a double-submit cookie's) or is
refused 403. Reads and writes are API operations run as the signed-in user (``calls.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dealbase.web.pages import WebApp

if TYPE_CHECKING:
    from dealbase.app import DealbaseApp

__all__ = ["WebApp", "mount"]


def mount(app: DealbaseApp) -> None:
    """Serve the web app at ``/``, behind the API's and the control plane's paths."""
    app.mount("", WebApp(app).router)
