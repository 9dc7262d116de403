"""The OAuth consent page: what the app asks for, and a form to allow or cancel.

The user proves who they are with their API token (dealbase has no browser sessions);
the form posts to ``POST /oauth/authorize``, which redirects to the app's callback.
"""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:3em 1em;color:#1b1f23}
main{max-width:30em;margin:auto;background:#fff;border-radius:8px;padding:2em;box-shadow:0 1px 4px #0002}
h1{font-size:1.3em;margin-top:0} ul{padding-left:1.2em} code{background:#eef;padding:0 .2em}
label{display:block;margin:1.2em 0 .3em} input[type=password]{width:100%;padding:.5em;box-sizing:border-box}
.buttons{margin-top:1.5em;display:flex;gap:.8em} button{padding:.6em 1.2em;border-radius:4px;border:1px solid #888}
button[value=approve]{background:#1a7f37;color:#fff;border-color:#1a7f37}
"""


def _document(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_STYLE}</style>'
        f"</head><body><main>{body}</main></body></html>"
    )


def page(app: dict[str, Any], company_name: str, scopes: str, params: dict[str, str | None]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">'
        for name, value in params.items()
        if value is not None
    )
    items = "".join(f"<li><code>{escape(scope)}</code></li>" for scope in scopes.split(","))
    body = (
        f"<h1>{escape(app['name'])} asks for access to {escape(company_name)}</h1>"
        f"<p>If you allow it, the app may act on your behalf with these scopes:</p><ul>{items}</ul>"
        f'<form method="post" action="/oauth/authorize">{hidden}'
        '<label for="api_token">Your API token, to confirm it is you</label>'
        '<input type="password" id="api_token" name="api_token" autocomplete="off">'
        '<div class="buttons"><button type="submit" name="decision" value="approve">Allow and install</button>'
        '<button type="submit" name="decision" value="deny">Cancel</button></div></form>'
    )
    return _document(f"Authorize {app['name']}", body)


def error_page(message: str) -> str:
    return _document("Authorization failed", f"<h1>Authorization failed</h1><p>{escape(message)}</p>")
