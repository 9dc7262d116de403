"""The pytest plugin (entry point ``pytest11``, loaded wherever dealbase is installed).

``pipedrive``: a fresh company per test inside ``mock_pipedrive`` (``mock.PipedriveMock``):
its database is a copy of a template made once per schema, so a test starts from the same
company, ids and token every time, in a few milliseconds.

``pipedrive_server`` (a real ``dealbase serve --sandbox`` per session, a company per test
through ``POST /_dealbase/companies``) is not here yet: it waits for that endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dealbase.testing.mock import PipedriveMock, mock_pipedrive


@pytest.fixture
def pipedrive() -> Iterator[PipedriveMock]:
    """Pipedrive answered in-process for this test, by a company of its own."""
    with mock_pipedrive() as mock:
        yield mock
