"""The domain's refusals, at the bottom of the house: any layer may raise them, none is HTTP.

The message is what the caller reads, word for word; ``api/errors.py`` answers each kind in
Pipedrive's envelope (``BadInput`` a 400, ``NotAllowed`` a 403).
"""

from __future__ import annotations


class DomainError(Exception):
    """A request a rule of the domain refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(DomainError):
    """Values a rule does not accept (a missing, malformed or inconsistent value)."""


class NotAllowed(DomainError):
    """Something the caller's role may not do."""
