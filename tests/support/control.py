"""A test client of an app with the control plane on (``/_dealbase/``)."""

from __future__ import annotations

from starlette.testclient import TestClient

from dealbase.app import create_app

CONTROL_TOKEN = "control-secret-token"
BEARER = {"authorization": f"Bearer {CONTROL_TOKEN}"}


def control_client(engine, files_dir, base_settings, **settings) -> TestClient:
    """A client (enter it) of an app on ``engine`` with the control token and ``settings``."""
    update = {"database_url": str(engine.url), "files_dir": str(files_dir), "control_token": CONTROL_TOKEN}
    return TestClient(create_app(base_settings.model_copy(update=update | settings), engine=engine))
