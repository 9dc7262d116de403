"""Check HTTP responses against Pipedrive's official OpenAPI specs.

The specs are reference data that live outside the repository, in ``$DEALBASE_SPEC_DIR``
or ``<repo>/../shared/spec``; they are read at run time and never copied into the
project. Tests that need them skip with :data:`SKIP_REASON` when they are absent
(a fresh clone has no ``../shared``); see :func:`require_specs`.

Public API
----------
``find_operation(method, url)``
    The spec operation a request URL resolves to, or ``None``. ``/api/v2/...`` looks in
    the v2 spec; ``/v1/...`` and ``/api/v1/...`` in the current v1 spec, then in the
    legacy v1 spec (the legacy file is a superset holding the classic CRUD; where an
    operation is in both, the *current* definition wins); ``/oauth/...`` in the v1
    specs' ``/oauth/*`` paths. Query strings are ignored, trailing slashes are
    significant (``POST /oauth/token`` and ``POST /oauth/token/`` are different
    operations). Templates are matched segment by segment and, left to right, a
    literal segment beats a ``{param}`` segment, so ``/deals/summary`` never
    resolves to ``/deals/{id}``.
``validate_response(method, url, status, body)``
    Raise ``AssertionError`` (operation, status, JSON path, offending value) when
    ``body`` -- the *parsed* JSON of a response -- does not conform. Non-JSON
    responses (file downloads, the OAuth HTML page) are the caller's to skip: use
    ``is_json_response(method, url, status)``; when the documented response for that
    status has no JSON content, ``validate_response`` returns without checking.
``validate_error_envelope(body, status)``
    The check applied to undocumented error answers (see rules below); needs no specs.
``all_operations()``, ``response_spec(op, status)``, ``response_schema(...)``
    Every spec operation (:class:`Operation`: api, method, path template,
    operation_id, source file, ``responses``, ``path_params``, ``name`` as in
    ``OPERATIONS``); the documented response for a status; its converted schema.
``fill_path(template)``, ``param_is_uuid(template, name)``
    Sample URLs: ``{param}`` -> ``1``, or a UUID for UUID ids (leads, lead labels...).
``specs_available()``, ``require_specs()``, ``SKIP_REASON``, ``load_specs()``, ``LOAD_STATS``
    Lookups and validation raise :class:`SpecsUnavailable` without the specs, so a
    conftest that validates every response should guard with ``specs_available()``.

Rules
-----
* The schema is the documented response for that exact status code, else a
  ``4XX``-style range, else ``default``; only ``application/json`` content counts.
* A status >= 400 that the operation does not document (the specs document few
  errors) must carry Pipedrive's error envelope: an object with ``success: false``,
  ``error`` a string, optional ``error_info`` string, optional ``data`` /
  ``additional_data`` that are null. For 401/403/429 the API gateway variant
  ``{success: false, error, errorCode: <int>, error_info}`` is accepted as well.
* Any other undocumented status (a 200 where the spec says 201, a 3xx) fails.
* A URL that matches no operation passes only as a 404/405 with the error envelope.

Schema conversion (OpenAPI 3.0 -> JSON Schema draft 2020-12)
------------------------------------------------------------
* ``$ref`` to ``#/components/schemas/X`` becomes ``#/$defs/X`` (the converted
  components travel with every compiled schema); other local refs are inlined.
* ``nullable: true`` allows ``null`` (added to ``type`` and ``enum``, or an ``anyOf``
  with ``{"type": "null"}`` when the schema is a composition).
* ``oneOf`` is treated as ``anyOf``: Pipedrive's ``oneOf`` branches overlap (a value
  often matches several), which strict ``oneOf`` would reject.
* ``format`` is dropped (Pipedrive's date/date-time/email values are not reliably in
  the declared format); ``type``, ``enum``, ``required``, ``items``,
  ``additionalProperties`` (kept as the spec says, usually open) and the numeric /
  length bounds are kept. Annotations (``description``, ``example``...) are dropped.
* STRICTNESS -- where a response schema declares a top-level ``success`` property it
  is made *required*. The specs mark almost nothing ``required`` (2 of ~430 success
  schemas have any top-level ``required``), so without this an empty ``{}`` would pass
  for nearly every operation; the real API always sends ``success``. (The OAuth token
  responses and a few odd v1 schemas declare no ``success`` and are left alone.)
* LENIENCY -- every object *property* may be ``null``: Pipedrive's real API returns
  ``null`` in many properties its spec does not mark nullable (``won_time`` of an
  open deal, ``expected_close_date`` when unset, ...), so a server that mirrors the
  real API would fail a strict reading. The leniency does not apply to the
  top-level body, to array items, nor to any property named ``success``. (So a
  top-level ``"data": null`` passes too: assert on ``data`` in the test itself.)

The parsed YAML is slow to load (about 1.5 s with libyaml), so the converted index is
pickled under ``<repo>/.pytest_cache/d/dealbase-spec`` (or ``$DEALBASE_SPEC_CACHE_DIR``,
falling back to the temp dir), keyed by the spec files' size and mtime and by this
module's source. Validators are compiled once per (operation, status).
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR: Path = Path(os.environ.get("DEALBASE_SPEC_DIR") or REPO_ROOT.parent / "shared" / "spec")

#: source key -> file name. ``v1`` is the current v1 spec, ``v1-legacy`` the older,
#: larger one; both serve the ``v1`` and ``oauth`` APIs.
SPEC_FILES: dict[str, str] = {
    "v1": "pipedrive-v1-openapi.yml",
    "v1-legacy": "pipedrive-v1-legacy-openapi.yml",
    "v2": "pipedrive-v2-openapi.yml",
}

SKIP_REASON = (
    f"Pipedrive OpenAPI specs not found in {SPEC_DIR} (expected "
    + ", ".join(SPEC_FILES.values())
    + "); set DEALBASE_SPEC_DIR to the directory holding them"
)

METHODS = ("get", "post", "put", "patch", "delete")
JSON_CONTENT = "application/json"
GATEWAY_ERROR_STATUSES = frozenset({401, 403, 429})

# Bump when the pickled structure changes (the module source is hashed in as well).
_CACHE_FORMAT = 2


def specs_available() -> bool:
    """True when all three spec files are readable."""
    return all((SPEC_DIR / name).is_file() for name in SPEC_FILES.values())


def require_specs() -> None:
    """``pytest.skip`` with :data:`SKIP_REASON` unless the specs are available."""
    if not specs_available():
        import pytest

        pytest.skip(SKIP_REASON)


class SpecsUnavailable(RuntimeError):
    """Raised by lookups/validation when the spec files are absent."""


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class ResponseSpec:
    status: str  # "200", "4XX", "default"
    content_types: tuple[str, ...]
    schema: Any  # converted JSON Schema of the application/json content, or None
    examples: tuple[Any, ...] = field(default=(), repr=False)  # the spec's JSON examples

    @property
    def is_json(self) -> bool:
        return JSON_CONTENT in self.content_types


@dataclass(frozen=True)
class PathParam:
    name: str
    type: str | None
    format: str | None


@dataclass(frozen=True)
class Operation:
    api: str  # "v1" | "v2" | "oauth" (as in dealbase.api.operations.OPERATIONS)
    method: str  # upper case
    path: str  # spec template, e.g. "/deals/{id}"
    operation_id: str
    source: str  # key of SPEC_FILES the definition comes from
    responses: Mapping[str, ResponseSpec] = field(repr=False)
    path_params: tuple[PathParam, ...] = field(default=(), repr=False)

    @property
    def spec_file(self) -> str:
        return SPEC_FILES[self.source]

    @property
    def name(self) -> str:
        """The name used in ``dealbase.api.operations.OPERATIONS`` (snake-cased operationId)."""
        return snake_case(self.operation_id)

    def describe(self) -> str:
        return f"{self.api} {self.operation_id} ({self.method} {self.path}, {self.spec_file})"


def snake_case(name: str) -> str:
    """``getDealsSummary`` -> ``get_deals_summary``, ``get-tokens`` -> ``get_tokens``."""
    name = name.replace("-", "_")
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name).lower()


# ------------------------------------------------------------- OpenAPI -> JSON Schema

_NULL = {"type": "null"}
_DROPPED = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "default",
        "format",
        "nullable",
        "readOnly",
        "writeOnly",
        "deprecated",
        "xml",
        "externalDocs",
        "discriminator",
    }
)
_SCHEMA_VALUED = frozenset({"items", "additionalProperties", "not", "contains", "propertyNames"})
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_COMPOSITION = frozenset({"allOf", "anyOf", "oneOf", "not", "$ref", "const"})
_COMPONENT_PREFIX = "#/components/schemas/"


def _allow_null(schema: Any) -> Any:
    """``schema`` widened to also accept ``null``."""
    if not isinstance(schema, dict) or not schema:
        return schema  # True / {} accept null already; False stays False
    if _COMPOSITION & schema.keys():
        return {"anyOf": [schema, _NULL]}
    out = dict(schema)
    if "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        if "null" not in types:
            out["type"] = [*types, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def _declares_success(schema: Any) -> bool:
    """Whether the top level of ``schema`` (itself or an ``allOf`` branch) has ``success``."""
    if not isinstance(schema, dict):
        return False
    return "success" in (schema.get("properties") or {}) or any(
        _declares_success(branch) for branch in schema.get("allOf") or ()
    )


def _require_success(schema: Any) -> Any:
    """Make a declared top-level ``success`` required (see the module docstring)."""
    if _declares_success(schema) and "success" not in schema.get("required", ()):
        schema = {**schema, "required": [*schema.get("required", ()), "success"]}
    return schema


class _Converter:
    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        self._inlining: set[str] = set()

    def resolve(self, obj: Any) -> Any:
        """Follow ``$ref`` chains of non-schema objects (responses, media types)."""
        seen = set()
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            if ref in seen:
                raise ValueError(f"circular $ref {ref}")
            seen.add(ref)
            obj = self._pointer(ref)
        return obj

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, got {ref!r}")
        node: Any = self.spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def schema(self, s: Any) -> Any:
        if not isinstance(s, dict):
            return s  # boolean schemas (e.g. additionalProperties: true)
        if "$ref" in s:
            ref = s["$ref"]
            if ref.startswith(_COMPONENT_PREFIX) and "/" not in ref[len(_COMPONENT_PREFIX) :]:
                out: Any = {"$ref": "#/$defs/" + ref[len(_COMPONENT_PREFIX) :]}
            else:
                if ref in self._inlining:
                    raise ValueError(f"recursive $ref {ref} outside components/schemas")
                self._inlining.add(ref)
                try:
                    out = self.schema(self._pointer(ref))
                finally:
                    self._inlining.discard(ref)
            return _allow_null(out) if s.get("nullable") is True else out

        out = {}
        for key, value in s.items():
            if key in _DROPPED or key.startswith("x-"):
                continue
            if key == "properties" and isinstance(value, dict):
                out[key] = {
                    name: (self.schema(sub) if name == "success" else _allow_null(self.schema(sub)))
                    for name, sub in value.items()
                }
            elif key == "patternProperties" and isinstance(value, dict):
                out[key] = {pat: self.schema(sub) for pat, sub in value.items()}
            elif key in _SCHEMA_VALUED:
                out[key] = self.schema(value)
            elif key in _SCHEMA_LISTS and isinstance(value, list):
                branches = [self.schema(b) for b in value]
                target = "anyOf" if key == "oneOf" else key
                if target in out:  # e.g. both oneOf and anyOf on one schema
                    out.setdefault("allOf", []).append({target: branches})
                else:
                    out[target] = branches
            elif key == "required":
                if isinstance(value, list):  # `required: true` on a property is not JSON Schema
                    out[key] = value
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and bound in s:
                    out[key] = s[bound]
            elif key in ("minimum", "maximum") and s.get("exclusive" + key.title()) is True:
                continue  # expressed as exclusiveMinimum/Maximum above
            else:
                out[key] = value
        return _allow_null(out) if s.get("nullable") is True else out

    def operations(self, source: str) -> list[dict[str, Any]]:
        rows = []
        for path, item in self.spec.get("paths", {}).items():
            item = self.resolve(item)
            shared_params = item.get("parameters", [])
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                responses = {}
                for status, resp in (op.get("responses") or {}).items():
                    resp = self.resolve(resp)
                    content = resp.get("content") or {}
                    media = self.resolve(content.get(JSON_CONTENT)) if JSON_CONTENT in content else None
                    schema, examples = None, []
                    if isinstance(media, dict):
                        if "schema" in media:
                            schema = _require_success(self.schema(media["schema"]))
                        if "example" in media:
                            examples.append(media["example"])
                        for example in (media.get("examples") or {}).values():
                            example = self.resolve(example)
                            if isinstance(example, dict) and "value" in example:
                                examples.append(example["value"])
                    responses[str(status)] = (tuple(content), schema, examples)
                params: dict[str, tuple[str | None, str | None]] = {}
                for prm in [*shared_params, *op.get("parameters", [])]:
                    prm = self.resolve(prm)
                    if prm.get("in") == "path":
                        sch = self.resolve(prm.get("schema") or {})
                        params[prm["name"]] = (sch.get("type"), sch.get("format"))
                rows.append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "operation_id": op.get("operationId") or f"{method} {path}",
                        "source": source,
                        "responses": responses,
                        "path_params": [(n, t, f) for n, (t, f) in params.items()],
                    }
                )
        return rows

    def defs(self) -> dict[str, Any]:
        schemas = (self.spec.get("components") or {}).get("schemas") or {}
        return {name: self.schema(s) for name, s in schemas.items()}


# --------------------------------------------------------------------------- loading

#: How the last load went: {"from": "pickle" | "yaml", "seconds": float, "cache": path}
LOAD_STATS: dict[str, Any] = {}

_lock = threading.RLock()
_index: _Index | None = None


def _yaml_load(path: Path) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as fh:
        return yaml.load(fh, Loader=loader)  # noqa: S506 - safe loader


def _cache_key() -> str:
    h = hashlib.sha256()
    h.update(f"format={_CACHE_FORMAT}".encode())
    h.update(Path(__file__).read_bytes())
    for source, name in SPEC_FILES.items():
        st = (SPEC_DIR / name).stat()
        h.update(f"|{source}:{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:24]


def _owned(directory: Path) -> bool:
    """Only trust pickles in a directory of our own (the temp-dir fallback is shared)."""
    try:
        return not hasattr(os, "getuid") or directory.stat().st_uid == os.getuid()
    except OSError:
        return False


def _cache_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("DEALBASE_SPEC_CACHE_DIR"):
        dirs.append(Path(os.environ["DEALBASE_SPEC_CACHE_DIR"]))
    dirs.append(REPO_ROOT / ".pytest_cache" / "d" / "dealbase-spec")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    dirs.append(Path(tempfile.gettempdir()) / f"dealbase-spec-cache-{uid}")
    return dirs


def _ensure_dir(path: Path) -> None:
    pytest_cache = REPO_ROOT / ".pytest_cache"
    if path.is_relative_to(pytest_cache) and not pytest_cache.is_dir():
        # Created before pytest made it: add the files pytest would, so git ignores it.
        pytest_cache.mkdir(parents=True, exist_ok=True)
        (pytest_cache / ".gitignore").write_text("# Created by pytest automatically.\n*\n")
        (pytest_cache / "CACHEDIR.TAG").write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by pytest.\n"
        )
    path.mkdir(parents=True, exist_ok=True)


def _build_raw() -> dict[str, Any]:
    raw: dict[str, Any] = {"ops": {}, "defs": {}}
    for source, name in SPEC_FILES.items():
        conv = _Converter(_yaml_load(SPEC_DIR / name))
        raw["ops"][source] = conv.operations(source)
        raw["defs"][source] = conv.defs()
    return raw


def _load_raw() -> dict[str, Any]:
    started = time.perf_counter()
    key = _cache_key()
    filename = f"pipedrive-specs-{key}.pickle"
    for directory in _cache_dirs():
        if not _owned(directory):
            continue
        try:
            with (directory / filename).open("rb") as fh:
                raw = pickle.load(fh)
            LOAD_STATS.update({"from": "pickle", "cache": str(directory / filename)})
            break
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            continue
    else:
        raw = _build_raw()
        LOAD_STATS.update({"from": "yaml", "cache": None})
        for directory in _cache_dirs():
            try:
                _ensure_dir(directory)
                if not _owned(directory):
                    continue
                for old in directory.glob("pipedrive-specs-*.pickle"):
                    old.unlink(missing_ok=True)
                tmp = directory / f"{filename}.{os.getpid()}.tmp"
                with tmp.open("wb") as fh:
                    pickle.dump(raw, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, directory / filename)
                LOAD_STATS["cache"] = str(directory / filename)
                break
            except OSError:
                continue
    LOAD_STATS["seconds"] = time.perf_counter() - started
    return raw


_PARAM_SEGMENT = re.compile(r"\{([^{}/]+)\}")


def _segment_matcher(segment: str) -> tuple[bool, Any]:
    """(is_literal, matcher) for one template segment."""
    if "{" not in segment:
        return True, segment
    if _PARAM_SEGMENT.fullmatch(segment):
        return False, None
    pattern = "".join("[^/]+" if i % 2 else re.escape(part) for i, part in enumerate(_PARAM_SEGMENT.split(segment)))
    return False, re.compile(pattern)


class _Index:
    def __init__(self, raw: dict[str, Any]):
        self.defs = raw["defs"]
        self.operations: list[Operation] = []
        seen: set[tuple[str, str]] = set()
        # Order matters: current v1 before legacy v1, so the current definition wins.
        for source in ("v1", "v1-legacy", "v2"):
            for row in raw["ops"][source]:
                family = "v2" if source == "v2" else "v1"
                if (family, row["method"], row["path"]) in seen:
                    continue
                seen.add((family, row["method"], row["path"]))
                api = "oauth" if family == "v1" and row["path"].startswith("/oauth/") else family
                self.operations.append(
                    Operation(
                        api=api,
                        method=row["method"],
                        path=row["path"],
                        operation_id=row["operation_id"],
                        source=source,
                        responses={
                            status: ResponseSpec(status, ctypes, schema, tuple(examples))
                            for status, (ctypes, schema, examples) in row["responses"].items()
                        },
                        path_params=tuple(PathParam(*p) for p in row["path_params"]),
                    )
                )
        # (api, method) -> [(segments, op)]
        self.routes: dict[tuple[str, str], list[tuple[tuple[tuple[bool, Any], ...], Operation]]] = {}
        for op in self.operations:
            segments = tuple(_segment_matcher(s) for s in op.path.split("/")[1:])
            self.routes.setdefault((op.api, op.method), []).append((segments, op))

    def match(self, api: str, method: str, path: str) -> Operation | None:
        parts = path.split("/")[1:]
        best: tuple[tuple[int, ...], Operation] | None = None
        for segments, op in self.routes.get((api, method), ()):
            if len(segments) != len(parts):
                continue
            score = []
            for (literal, matcher), part in zip(segments, parts, strict=True):
                if literal:
                    if matcher != part:
                        break
                    score.append(1)
                elif not part or (matcher is not None and not matcher.fullmatch(part)):
                    break
                else:
                    score.append(0)
            else:
                key = tuple(score)
                if best is None or key > best[0]:
                    best = (key, op)
        return best[1] if best else None


def _get_index() -> _Index:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                if not specs_available():
                    raise SpecsUnavailable(SKIP_REASON)
                _index = _Index(_load_raw())
    return _index


def load_specs() -> None:
    """Load (or reuse) the parsed specs now; see :data:`LOAD_STATS` for the timing."""
    _get_index()


def all_operations() -> tuple[Operation, ...]:
    """Every operation of the three specs, each (api, method, path) once.

    v1 is current v1 ∪ legacy v1 (the current definition where both have it); paths
    under ``/oauth/`` have ``api == "oauth"``.
    """
    return tuple(_get_index().operations)


# --------------------------------------------------------------------------- lookup

#: Path parameters whose values are UUIDs (lead ids, lead label ids, ...). Derived from
#: the specs' ``format: uuid`` (tests check the two agree) so that it works without them.
UUID_PARAMS = frozenset({"conversion_id", "discount_id", "commentId"})
UUID_ID_AFTER = frozenset({"leads", "leadLabels", "userProviderLinks"})
SAMPLE_UUID = "adf21080-0e10-11eb-879b-05d71fb426ec"


def param_is_uuid(path: str, name: str) -> bool:
    """Whether path parameter ``name`` of template ``path`` takes a UUID."""
    if "uuid" in name.lower() or name in UUID_PARAMS:
        return True
    segments = path.split("/")
    token = "{" + name + "}"
    return token in segments and segments[segments.index(token) - 1] in UUID_ID_AFTER


def fill_path(path: str, value: str = "1") -> str:
    """``path`` with every ``{param}`` replaced by ``value``, or a UUID where one is due."""
    return _PARAM_SEGMENT.sub(lambda m: SAMPLE_UUID if param_is_uuid(path, m.group(1)) else value, path)


def split_url(url: str) -> tuple[str, str] | None:
    """``(api, path-within-api)`` for a request URL, or None when it is no API URL.

    >>> split_url("http://x/api/v1/deals/1?start=0")
    ('v1', '/deals/1')
    """
    path = urlsplit(url).path or "/"
    for prefix, api in (("/api/v2/", "v2"), ("/api/v1/", "v1"), ("/v1/", "v1")):
        if path.startswith(prefix):
            rest = path[len(prefix) - 1 :]
            # /v1/oauth/... is not where OAuth lives
            return None if rest.startswith("/oauth/") else (api, rest)
    if path.startswith("/oauth/"):
        return ("oauth", path)
    return None


@lru_cache(maxsize=8192)
def _find(method: str, url_path: str) -> Operation | None:
    split = split_url(url_path)
    if split is None:
        return None
    api, path = split
    return _get_index().match(api, method, path)


def find_operation(method: str, url: str) -> Operation | None:
    """The spec operation ``method url`` resolves to, or None (see module docstring)."""
    return _find(method.upper(), urlsplit(url).path)


def response_spec(op: Operation, status: int) -> ResponseSpec | None:
    """The documented response for ``status``: exact code, then ``4XX`` range, then default."""
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in op.responses:
            return op.responses[key]
    return None


def is_json_response(method: str, url: str, status: int) -> bool:
    """False when the documented response for this status is not JSON (e.g. a file download)."""
    op = find_operation(method, url)
    if op is None:
        return True
    resp = response_spec(op, status)
    return resp is None or resp.is_json or not resp.content_types


# ------------------------------------------------------------------------ validation

#: ``{"success": false, "error": "...", "error_info": "...", "data": null,
#: "additional_data": null}`` -- the body of Pipedrive's error answers.
ERROR_ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"type": "boolean", "const": False},
        "error": {"type": "string"},
        "error_info": {"type": "string"},
        "data": {"type": "null"},
        "additional_data": {"type": "null"},
    },
}

_validators: dict[Any, Any] = {}


def _make_validator(schema: Any) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema)


def _error_validator(status: int) -> Any:
    gateway = status in GATEWAY_ERROR_STATUSES
    key = ("envelope", gateway)
    if key not in _validators:
        schema: Any = copy.deepcopy(ERROR_ENVELOPE_SCHEMA)
        if gateway:
            # Pipedrive's API gateway answers 401/403/429 with {"success": false,
            # "error", "errorCode": <int>, "error_info"}: the envelope plus an integer
            # errorCode. A typed optional errorCode accepts both shapes and keeps the
            # error messages direct (no anyOf).
            schema["properties"]["errorCode"] = {"type": "integer"}
        _validators[key] = _make_validator(schema)
    return _validators[key]


def _response_validator(op: Operation, resp: ResponseSpec) -> Any:
    key = (op.source, op.method, op.path, resp.status)
    validator = _validators.get(key)
    if validator is None:
        schema = resp.schema
        defs = _get_index().defs.get(op.source) or {}
        if defs and isinstance(schema, dict):
            schema = {**schema, "$defs": defs}
        validator = _validators[key] = _make_validator(schema)
    return validator


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _leaf_errors(errors: Iterable[Any]) -> list[Any]:
    from jsonschema.exceptions import best_match, relevance

    errors = sorted(errors, key=relevance, reverse=True)
    out = []
    for err in errors:
        if err.context:  # anyOf/oneOf: report the most relevant branch failure
            out.append(best_match([err]) or err)
        else:
            out.append(err)
    return out


def _check(validator: Any, body: Any, headline: str) -> None:
    errors, seen = [], set()
    for err in _leaf_errors(validator.iter_errors(body)):
        if (err.json_path, err.message) not in seen:
            seen.add((err.json_path, err.message))
            errors.append(err)
    if not errors:
        return
    lines = [headline]
    for err in errors[:5]:
        lines.append(f"  at {err.json_path}: {err.message}")
        lines.append(f"      value: {_short(err.instance)}")
    if len(errors) > 5:
        lines.append(f"  ... and {len(errors) - 5} more error(s)")
    raise AssertionError("\n".join(lines))


def validate_error_envelope(body: Any, status: int, context: str = "") -> None:
    """Assert ``body`` is Pipedrive's error envelope (gateway variant too for 401/403/429)."""
    headline = f"{context}status {status}: body is not Pipedrive's error envelope".lstrip()
    _check(_error_validator(status), body, headline)


def validate_response(method: str, url: str, status: int, body: Any) -> None:
    """Assert that ``body`` (parsed JSON) is what the spec allows for ``method url -> status``."""
    method = method.upper()
    request = f"{method} {url}"
    op = find_operation(method, url)
    if op is None:
        if status in (404, 405):
            validate_error_envelope(body, status, f"{request} (no spec operation): ")
            return
        raise AssertionError(
            f"{request} -> {status}: no operation in the Pipedrive specs matches this request "
            "(only a 404/405 with the error envelope is acceptable for an unknown route)"
        )
    resp = response_spec(op, status)
    if resp is None:
        if status >= 400:
            validate_error_envelope(body, status, f"{request} -> {op.describe()}, undocumented error ")
            return
        documented = ", ".join(sorted(op.responses)) or "none"
        raise AssertionError(
            f"{request} -> {status}: {op.describe()} does not document status {status} (documented: {documented})"
        )
    if resp.schema is None:
        return  # no JSON content documented (file download, HTML): nothing to check here
    headline = f"{request} -> {status}: response body does not conform to {op.describe()}, response '{resp.status}'"
    _check(_response_validator(op, resp), body, headline)


def response_schema(method: str, url: str, status: int) -> Any:
    """The converted JSON Schema used for this response (a copy), or None."""
    op = find_operation(method, url)
    resp = response_spec(op, status) if op else None
    return copy.deepcopy(resp.schema) if resp else None
