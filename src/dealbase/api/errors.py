"""Pipedrive's error envelope, the API's exceptions that produce it, and the envelope of
the domain's refusals (``dealbase/errors.py``)."""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.errors import BadInput, DomainError, NotAllowed

ERROR_INFO = "Please check developers.pipedrive.com"


class ApiError(Exception):
    """An error answered in Pipedrive's standard envelope."""

    status = 400
    # headers the response carries besides the usual ones (the rate limits')
    headers: list[tuple[bytes, bytes]] | None = None

    def __init__(self, error: str, status: int | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        if status is not None:
            self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": self.error,
            "error_info": ERROR_INFO,
            "data": None,
            "additional_data": None,
            **self.extra,
        }


class BadRequest(ApiError):
    status = 400


class NotFound(ApiError):
    status = 404


class GatewayError(ApiError):
    """An answer of Pipedrive's API gateway (credentials, scopes): its own body shape."""

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.error, "errorCode": self.status, "error_info": ERROR_INFO}


class Unauthorized(GatewayError):
    """The gateway's 401, exactly as Pipedrive sends it."""

    status = 401

    def __init__(self, error: str = "unauthorized access") -> None:
        super().__init__(error)


class ScopeMismatch(GatewayError):
    """An OAuth token none of whose scopes allows the operation."""

    status = 403

    def __init__(self) -> None:
        super().__init__("Scope and URL mismatch")


class MethodNotAllowed(ApiError):
    status = 405


class NotImplementedOperation(ApiError):
    status = 501

    def __init__(self, operation: str) -> None:
        super().__init__("Not implemented", operation=operation)


class PayloadTooLarge(ApiError):
    status = 413


# The status each kind of domain refusal is answered with.
_STATUS = ((BadInput, 400), (NotAllowed, 403))


def envelope(err: ApiError | DomainError) -> ApiError:
    """The API error answering ``err``: itself, or a domain refusal in the envelope."""
    if isinstance(err, ApiError):
        return err
    return ApiError(err.message, next(status for kind, status in _STATUS if isinstance(err, kind)))


def error_bytes(err: ApiError) -> bytes:
    return orjson.dumps(err.body())
