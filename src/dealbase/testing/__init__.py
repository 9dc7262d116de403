"""dealbase as a test double for code that talks to Pipedrive: ``mock_pipedrive()`` answers
``requests`` and httpx in-process (``mock.py``); the pytest plugin (``plugin.py``) gives each
test a fresh company (``pipedrive``)."""

from dealbase.testing.mock import Delivery, PipedriveMock, current, mock_pipedrive
from dealbase.testing.patches import NetworkRefused

__all__ = ["Delivery", "NetworkRefused", "PipedriveMock", "current", "mock_pipedrive"]
