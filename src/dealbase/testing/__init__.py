"""dealbase as a test double for code that talks to Pipedrive: ``mock_pipedrive()`` answers
``requests`` and httpx in-process (``mock.py``); the pytest plugin (``plugin.py``) gives each
test a fresh company (``pipedrive``, or ``pipedrive_server`` on a real server: ``server.py``);
both reach the control plane's clock, faults, snapshots and journal (``control.py``)."""

from dealbase.testing.control import Clock, ControlRefused, Faults, Requests, Snapshots
from dealbase.testing.mock import Delivery, PipedriveMock, current, mock_pipedrive
from dealbase.testing.patches import NetworkRefused

__all__ = [
    "Clock",
    "ControlRefused",
    "Delivery",
    "Faults",
    "NetworkRefused",
    "PipedriveMock",
    "Requests",
    "Snapshots",
    "current",
    "mock_pipedrive",
]
