"""dealbase as a test double for code that talks to Pipedrive: ``mock_pipedrive()`` answers
``requests`` and httpx in-process (``mock.py``); the pytest plugin (``plugin.py``) gives each
test a fresh company (``pipedrive``)."""

from dealbase.testing.mock import Clock, ControlRefused, Delivery, PipedriveMock, current, mock_pipedrive
from dealbase.testing.patches import NetworkRefused

__all__ = ["Clock", "ControlRefused", "Delivery", "NetworkRefused", "PipedriveMock", "current", "mock_pipedrive"]
