"""The emulator's control plane under ``/_dealbase/``: companies, reset, snapshots, the
clock, faults, the request journal and webhook deliveries (``control/<feature>.py``).

Each feature module has ``routes(plane) -> list[Route]``; ``build`` mounts them all behind
the control token (``control/plane.py``). The public picture links
(``/_dealbase/blobs/…``) are the API's, not the control plane's: they need no token.
"""

from __future__ import annotations

from importlib import import_module

from starlette.routing import BaseRoute

from dealbase.control.plane import Plane

# The feature modules serving control routes (each adds itself here).
MODULES: tuple[str, ...] = ("index", "companies", "snapshots", "clock", "deliveries", "faults", "journal")


def routes(plane: Plane) -> list[BaseRoute]:
    """Every control route, in the order of ``MODULES``."""
    out: list[BaseRoute] = []
    for name in MODULES:
        out += import_module(f"{__name__}.{name}").routes(plane)
    return out
