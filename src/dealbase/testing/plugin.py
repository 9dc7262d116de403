"""The pytest plugin (entry point ``pytest11``, loaded wherever dealbase is installed).

``pipedrive``: a fresh company per test inside ``mock_pipedrive`` (``mock.PipedriveMock``):
its database is a copy of a template made once per schema, so a test starts from the same
company, ids and token every time, in a few milliseconds.

``pipedrive_server``: one real ``dealbase serve --sandbox`` per session on a free port
(``server.py``), a fresh company per test through ``POST /_dealbase/companies``
(``base_url``, ``api_token``), for clients in other languages.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dealbase.testing.mock import PipedriveMock, mock_pipedrive
from dealbase.testing.server import SandboxServer, ServerCompany


@pytest.fixture
def pipedrive() -> Iterator[PipedriveMock]:
    """Pipedrive answered in-process for this test, by a company of its own."""
    with mock_pipedrive() as mock:
        yield mock


@pytest.fixture(scope="session")
def pipedrive_sandbox_server(tmp_path_factory) -> Iterator[SandboxServer]:
    """The session's ``dealbase serve --sandbox``."""
    server = SandboxServer(tmp_path_factory.mktemp("dealbase-sandbox")).start()
    yield server
    server.stop()


@pytest.fixture
def pipedrive_server(pipedrive_sandbox_server) -> Iterator[ServerCompany]:
    """A company of this test's own on the session's server."""
    with pipedrive_sandbox_server.company() as company:
        yield company
