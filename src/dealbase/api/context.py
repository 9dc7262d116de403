"""The request context handed to every operation handler."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from dealbase.api.errors import BadRequest
from dealbase.api.uploads import Upload
from dealbase.clock import parse_date, parse_time
from dealbase.domain.ids import INTEGER as _INT
from dealbase.domain.ids import parse_uuid
from dealbase.domain.unit import Unit
from dealbase.settings import Settings

_TRUE = {"true", "1"}
_FALSE = {"false", "0"}
NUL = "\x00"
T = TypeVar("T")


class Ctx(Unit):
    """What a handler knows of its request: version, caller, parameters, body, connection.

    A unit of work (``domain/unit.py``: connection, company, caller, clock, caches) with
    the request on top; the domain sees only the unit. v2 parses strictly; v1 coerces the
    way Pipedrive's v1 does (``"1"`` is a number, ``0``/``1`` are booleans).
    """

    __slots__ = ("api", "operation", "path", "query", "body", "settings", "extra")

    def __init__(
        self,
        api: str,
        operation: str,
        path: dict[str, str],
        query: dict[str, list[str]],
        body: Any,
        settings: Settings,
    ) -> None:
        if api != "oauth":  # the OAuth server refuses bad values itself, in OAuth's terms
            refuse_nul(path, query, body)
        super().__init__()
        self.api = api
        self.operation = operation
        self.path = path
        self.query = query
        self.body = body
        self.settings = settings
        # The request's own facts beside the unit (credential, headers, rate-limit headers).
        self.extra: dict[Any, Any] = {}

    @property
    def strict(self) -> bool:
        return self.api == "v2"

    # -- path and query parameters -------------------------------------------------

    def path_id(self, name: str = "id") -> int:
        raw = self.path[name]
        if not _INT.match(raw) or int(raw) <= 0:
            raise BadRequest(f"Invalid '{name}' parameter: must be a positive integer")
        return int(raw)

    def path_uuid(self, name: str) -> str:
        """A UUID path parameter, canonical (lower-case); 400 if it is not a UUID."""
        value = parse_uuid(self.path[name])
        if value is None:
            raise BadRequest(f"Invalid '{name}' parameter: must be a UUID")
        return value

    def raw(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def int_param(
        self, name: str, default: int | None = None, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        raw = self.raw(name)
        if raw is None or raw == "":
            return default
        if not _INT.match(raw.strip()):
            raise BadRequest(f"Invalid '{name}' parameter: must be an integer")
        value = int(raw)
        if minimum is not None and value < minimum:
            raise BadRequest(f"Invalid '{name}' parameter: must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise BadRequest(f"Invalid '{name}' parameter: must be at most {maximum}")
        return value

    def bool_param(self, name: str, default: bool | None = None) -> bool | None:
        raw = self.raw(name)
        if raw is None or raw == "":
            return default
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise BadRequest(f"Invalid '{name}' parameter: must be a boolean")

    def _parsed(self, name: str, parse: Any, form: str) -> Any:
        raw = self.raw(name)
        if not raw:
            return None
        value = parse(raw)
        if value is None:
            raise BadRequest(f"Invalid '{name}' parameter: must be {form}")
        return value

    def uuid_param(self, name: str) -> str | None:
        """A UUID query parameter (``lead_id``), canonical (lower-case); 400 if it is not a UUID."""
        return self._parsed(name, parse_uuid, "a UUID")

    def date_param(self, name: str) -> str | None:
        """A ``YYYY-MM-DD`` query parameter; 400 if it is not a date."""
        return self._parsed(name, parse_date, "a date (YYYY-MM-DD)")

    def required_date(self, name: str) -> date:
        """A ``YYYY-MM-DD`` query parameter that must be given."""
        return date.fromisoformat(required(name, self.date_param(name)))

    def date_range(self, first: str, last: str) -> tuple[date, date]:
        """Two dates that must be given, the second not before the first."""
        start, end = self.required_date(first), self.required_date(last)
        if end < start:
            raise BadRequest(f"Invalid '{last}' parameter: must not be before {first}")
        return start, end

    def time_param(self, name: str, form: str = "an RFC 3339 date-time") -> str | None:
        """A date-time query parameter as stored (UTC ``YYYY-MM-DD HH:MM:SS``); 400 naming
        ``form`` (how the operation describes it) if it is not one."""
        return self._parsed(name, parse_time, form)

    def list_param(self, name: str, maximum: int | None = None) -> list[str] | None:
        values = self.query.get(name)
        if not values:
            return None
        items = [part.strip() for value in values for part in value.split(",") if part.strip()]
        if maximum is not None and len(items) > maximum:
            raise BadRequest(f"Invalid '{name}' parameter: at most {maximum} values are allowed")
        return items

    def ids_param(self, name: str, maximum: int | None = None) -> list[int] | None:
        items = self.list_param(name, maximum)
        if items is None:
            return None
        if not all(_INT.match(i) and int(i) > 0 for i in items):
            raise BadRequest(f"Invalid '{name}' parameter: must be a comma-separated list of positive integers")
        return [int(i) for i in items]

    def choice_param(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        raw = self.raw(name)
        if raw is None or raw == "":
            return default
        if raw not in choices:
            raise BadRequest(f"Invalid '{name}' parameter: must be one of {', '.join(choices)}")
        return raw

    def page_limit(self, default: int = 100, maximum: int = 500) -> int:
        """``limit``: v2 rejects a value over the maximum, v1 clamps it as Pipedrive's v1 does."""
        if self.strict:
            return self.int_param("limit", default, minimum=1, maximum=maximum)  # type: ignore[return-value]
        value = self.int_param("limit", default, minimum=1)
        return min(value, maximum)  # type: ignore[type-var]


def required(name: str, value: T | None) -> T:
    """A parameter's parsed value, which must be given: ``required("amount", ctx.int_param("amount"))``."""
    if value is None or value == "":
        raise BadRequest(f"Invalid '{name}' parameter: is required")
    return value


def refuse_nul(path: dict[str, str], query: dict[str, list[str]], body: Any) -> None:
    """A NUL character anywhere in a request's parameters or body is a 400 naming where.

    PostgreSQL text cannot hold one (SQLite can), so refusing it at the door is what makes
    both backends answer alike, for every value however it is used later (the control
    plane's door too: ``control/plane.py``).
    """
    for name, value in path.items():
        if NUL in name or NUL in value:
            raise BadRequest(f"Invalid '{_shown(name)}' parameter: must not contain NUL characters")
    for name, values in query.items():
        if name == "api_token":  # a credential: authentication refuses a bad one (401)
            continue
        if NUL in name or any(NUL in v for v in values):
            raise BadRequest(f"Invalid '{_shown(name)}' parameter: must not contain NUL characters")
    where = _nul_in(body) if body is not None else None
    if where is not None:
        raise BadRequest(f"Validation failed: {where or 'body'}: must not contain NUL characters")


def _nul_in(body: Any) -> str | None:
    """Where the first string (or key) holding a NUL is in a parsed body (``emails[0].value``),
    else None. Iterative: a body may nest deeper than Python recurses."""
    stack = [("", body)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, Upload):
            value = value.filename
        if isinstance(value, str):
            if NUL in value:
                return where
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                place = f"{where}.{key}" if where else str(key)
                if NUL in str(key):
                    return _shown(place)
                stack.append((place, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in reversed(list(enumerate(value))))
    return None


def _shown(text: str) -> str:
    return text.replace(NUL, "\\u0000")
