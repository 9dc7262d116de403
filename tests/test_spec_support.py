"""The response validator in tests/support/spec.py: it must be able to fail.

Every test here that needs the Pipedrive specs skips with ``SKIP_REASON`` when they
are absent (a fresh clone has no ``../shared/spec``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

try:
    from tests.support import spec
except ImportError:  # tests/ is not a package on sys.path: pytest put tests/ itself there
    from support import spec

needs_specs = pytest.mark.skipif(not spec.specs_available(), reason=spec.SKIP_REASON)

DEAL_V2 = {
    "success": True,
    "data": {
        "id": 7,
        "title": "Big deal",
        "owner_id": 1,
        "person_id": None,
        "org_id": 3,
        "pipeline_id": 1,
        "stage_id": 1,
        "value": 1500,
        "currency": "EUR",
        "add_time": "2024-01-01T10:00:00Z",
        "update_time": "2024-01-01T10:00:00Z",
        "status": "open",
        "won_time": None,  # not nullable in the spec: allowed by the documented leniency
        "expected_close_date": None,
        "label_ids": [],
        "custom_fields": {},
    },
}


def deal(**changes):
    return {**DEAL_V2, "data": {**DEAL_V2["data"], **changes}}


def assert_fails(method, url, status, body, *fragments):
    with pytest.raises(AssertionError) as info:
        spec.validate_response(method, url, status, body)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


# --------------------------------------------------------------------- validation


@needs_specs
def test_minimal_v2_deal_passes():
    spec.validate_response("GET", "/api/v2/deals/7", 200, DEAL_V2)
    spec.validate_response("GET", "/api/v2/deals/7", 200, {"success": True, "data": {"id": 7}})


@needs_specs
def test_v2_deal_success_must_be_boolean():
    body = {**DEAL_V2, "success": "yes"}
    message = assert_fails("GET", "/api/v2/deals/7", 200, body, "getDeal", "$.success", "'yes'")
    assert "200" in message


@needs_specs
def test_v2_deal_id_must_be_integer():
    assert_fails("GET", "/api/v2/deals/7", 200, deal(id="7"), "$.data.id", "'7'", "integer")


@needs_specs
def test_enum_and_type_checks_are_kept():
    assert_fails("GET", "/api/v2/deals/7", 200, deal(value="1500"), "$.data.value")
    assert_fails("GET", "/api/v2/deals/7", 200, deal(label_ids=["a"]), "$.data.label_ids[0]")


@needs_specs
def test_success_is_required_where_the_schema_declares_it():
    assert_fails("GET", "/api/v2/deals/7", 200, {"data": DEAL_V2["data"]}, "'success' is a required")
    assert_fails("GET", "/api/v2/deals/7", 200, {}, "'success' is a required")


@needs_specs
def test_null_leniency_is_for_properties_only():
    # property values may be null (documented leniency) ...
    spec.validate_response("GET", "/api/v2/deals/7", 200, deal(title=None, value=None))
    # ... but not the body, not array items, not `success`
    assert_fails("GET", "/api/v2/deals/7", 200, None, "$:")
    assert_fails("GET", "/api/v2/deals/7", 200, deal(label_ids=[None]), "$.data.label_ids[0]")
    assert_fails("GET", "/api/v2/deals/7", 200, {**DEAL_V2, "success": None}, "$.success")


@needs_specs
def test_undocumented_2xx_status_fails():
    op = spec.find_operation("POST", "/api/v2/products")
    assert op is not None and set(op.responses) == {"201"}
    product = {"success": True, "data": {"id": 1, "name": "Widget"}}
    spec.validate_response("POST", "/api/v2/products", 201, product)
    assert_fails("POST", "/api/v2/products", 200, product, "does not document status 200", "201")


@needs_specs
def test_undocumented_error_needs_the_pipedrive_envelope():
    envelope = {
        "success": False,
        "error": "Bad request",
        "error_info": "Please check developers.pipedrive.com for more information.",
        "data": None,
        "additional_data": None,
    }
    op = spec.find_operation("GET", "/api/v2/deals/7")
    assert "400" not in op.responses
    spec.validate_response("GET", "/api/v2/deals/7", 400, envelope)
    spec.validate_response("GET", "/api/v2/deals/7", 400, {"success": False, "error": "Bad"})
    without_success = {k: v for k, v in envelope.items() if k != "success"}
    assert_fails("GET", "/api/v2/deals/7", 400, without_success, "envelope", "'success' is a required")
    assert_fails("GET", "/api/v2/deals/7", 400, {**envelope, "success": True}, "$.success")
    assert_fails("GET", "/api/v2/deals/7", 400, {**envelope, "error": None}, "$.error")
    assert_fails("GET", "/api/v2/deals/7", 500, {**envelope, "data": {"id": 1}}, "$.data")


@needs_specs
def test_gateway_error_variant_for_auth_and_rate_limit():
    gateway = {"success": False, "error": "unauthorized access", "errorCode": 401, "error_info": "x"}
    spec.validate_response("GET", "/api/v2/deals", 401, gateway)
    spec.validate_response("GET", "/api/v2/deals", 429, {**gateway, "errorCode": 429})
    assert_fails("GET", "/api/v2/deals", 401, {**gateway, "errorCode": "401"}, "$.errorCode")


@needs_specs
def test_documented_error_response_uses_its_own_schema():
    # v2 POST /deals/{id}/convert/lead documents a 404 (success: boolean, error: string)
    op = spec.find_operation("POST", "/api/v2/deals/1/convert/lead")
    assert "404" in op.responses
    spec.validate_response("POST", "/api/v2/deals/1/convert/lead", 404, {"success": False, "error": "x"})
    assert_fails("POST", "/api/v2/deals/1/convert/lead", 404, {"success": False, "error": 5}, "$.error")


@needs_specs
def test_unknown_route():
    assert spec.find_operation("GET", "/api/v2/no-such-thing") is None
    spec.validate_response("GET", "/api/v2/no-such-thing", 404, {"success": False, "error": "Not found"})
    spec.validate_response("PUT", "/api/v2/deals", 405, {"success": False, "error": "Not allowed"})
    assert_fails("GET", "/api/v2/no-such-thing", 404, {"detail": "Not Found"}, "'success' is a required")
    assert_fails("GET", "/api/v2/no-such-thing", 200, {"success": True}, "no operation")


@needs_specs
def test_non_json_responses_are_not_checked():
    assert not spec.is_json_response("GET", "/v1/files/1/download", 200)
    assert spec.is_json_response("GET", "/v1/files/1", 200)
    spec.validate_response("GET", "/v1/files/1/download", 200, None)


# ------------------------------------------------------------------------ lookup


@needs_specs
def test_classic_v1_deal_resolves_to_the_legacy_spec():
    op = spec.find_operation("GET", "/v1/deals/1")
    assert (op.api, op.method, op.path, op.operation_id) == ("v1", "GET", "/deals/{id}", "getDeal")
    assert op.source == "v1-legacy"
    assert op.spec_file == "pipedrive-v1-legacy-openapi.yml"


@needs_specs
@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/v1/deals/summary", "/deals/summary"),
        ("/v1/deals/archived", "/deals/archived"),
        ("/api/v2/deals/search?term=x", "/deals/search"),
        ("/api/v2/deals/archived", "/deals/archived"),
        ("/v1/deals/1", "/deals/{id}"),
    ],
)
def test_literal_segments_beat_parameters(url, path):
    assert spec.find_operation("GET", url).path == path


@needs_specs
def test_api_v1_prefix_and_query_strings():
    plain = spec.find_operation("GET", "/v1/deals")
    assert plain is not None and plain.path == "/deals"
    assert spec.find_operation("GET", "/api/v1/deals") is plain
    assert spec.find_operation("get", "/api/v1/deals?start=0&limit=10") is plain
    assert spec.find_operation("GET", "http://testserver/api/v1/deals") is plain


@needs_specs
def test_current_v1_definition_wins_over_legacy():
    # /users/me is in both v1 files with different definitions
    op = spec.find_operation("GET", "/v1/users/me")
    assert op.source == "v1"


@needs_specs
def test_oauth_and_trailing_slashes():
    assert spec.find_operation("POST", "/oauth/token").operation_id == "get-tokens"
    assert spec.find_operation("POST", "/oauth/token/").operation_id == "refresh-tokens"
    assert spec.find_operation("POST", "/oauth/token").api == "oauth"
    assert spec.find_operation("POST", "/v1/oauth/token") is None
    assert spec.find_operation("GET", "/v1/deals/") is None


@needs_specs
def test_every_operation_resolves_to_itself():
    wrong = []
    for op in spec.all_operations():
        prefix = {"v1": "/v1", "v2": "/api/v2", "oauth": ""}[op.api]
        url = prefix + spec.fill_path(op.path)
        if spec.find_operation(op.method, url) is not op:
            wrong.append(f"{op.method} {url} -> {spec.find_operation(op.method, url)}, not {op}")
    assert not wrong, "\n".join(wrong)


# -------------------------------------------------------------- spec-wide checks


@needs_specs
@pytest.mark.slow  # every example of the specs
def test_converted_schemas_are_valid_json_schema():
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import best_match

    # The converter only emits keywords that draft 7 shares with 2020-12 (plus $defs), and
    # draft 7's meta-schema checks them about 4x faster than 2020-12's dynamic-ref one.
    meta = Draft7Validator(Draft7Validator.META_SCHEMA)
    broken = []
    for op in spec.all_operations():
        for status, resp in op.responses.items():
            if resp.schema is not None:
                error = best_match(meta.iter_errors(resp.schema))
                if error is not None:
                    broken.append(f"{op.describe()} {status}: {error.json_path}: {error.message}")
    assert not broken, "\n".join(broken[:20])


@needs_specs
def test_spec_examples_pass_their_own_schema():
    """Pipedrive's documented example bodies must pass: guards against a too strict converter."""
    failures, checked = [], 0
    for op in spec.all_operations():
        prefix = {"v1": "/v1", "v2": "/api/v2", "oauth": ""}[op.api]
        url = prefix + spec.fill_path(op.path)
        for status, resp in op.responses.items():
            if resp.schema is None or not status.isdigit():
                continue
            for example in resp.examples:
                checked += 1
                try:
                    spec.validate_response(op.method, url, int(status), example)
                except AssertionError as exc:
                    failures.append(str(exc))
    assert checked > 300
    assert not failures, "\n\n".join(failures[:10])


@needs_specs
@pytest.mark.slow  # a timing: wants a machine not busy with other tests
def test_parsed_specs_are_cached_on_disk():
    spec.load_specs()
    cache = spec.LOAD_STATS["cache"]
    assert cache and Path(cache).is_file(), spec.LOAD_STATS
    raw = spec._load_raw()  # a second load must come from the pickle, fast
    assert spec.LOAD_STATS["from"] == "pickle", spec.LOAD_STATS
    assert spec.LOAD_STATS["seconds"] < 1.0, spec.LOAD_STATS
    assert set(raw["ops"]) == set(spec.SPEC_FILES)


@pytest.mark.slow  # a pytest run of its own
def test_skips_cleanly_without_specs(tmp_path: Path):
    """With no spec directory every spec test skips (with the reason) instead of failing."""
    env = {**os.environ, "DEALBASE_SPEC_DIR": str(tmp_path / "absent")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-q", "-rs", "-p", "no:cacheprovider", "-k", "not skips_cleanly"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" not in result.stdout.splitlines()[-1], result.stdout
    assert "Pipedrive OpenAPI specs not found" in result.stdout, result.stdout
