"""Issue 18, case 1: which operations get the API key, where it goes, and what is refused
(pipeline/security.py). Decided at generation time from the spec; tests/test_real_world_specs.py
drives the resulting clients through Prism and FakeClerk.

Before, one scheme was demanded of the whole document: `swagger.yml:106: the client sends one API
key, but the spec's operations use these security schemes: api_key, oauth2` (alternatives), and
the same for a document with no scheme at all ("none") or one defining schemes nobody uses.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline import security
from pipeline import spec as spec_module
from pipeline.errors import PipelineError

SCHEMES: dict[str, Any] = {
    "api_key": {"type": "apiKey", "in": "header", "name": "apiKey"},
    "prefixed": {"type": "apiKey", "in": "header", "name": "Authorization", "x-prefix": "ApiKey"},
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "query_key": {"type": "apiKey", "in": "query", "name": "api_key"},
    "oauth2": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://x.test/t", "scopes": {}}}},
    "basic": {"type": "http", "scheme": "basic"},
}


def _document(operations: dict[str, Any], default: list[Any] | None = None, schemes: Any = SCHEMES) -> dict[str, Any]:
    paths = {}
    for path, requirements in operations.items():
        operation: dict[str, Any] = {
            "operationId": path.strip("/").replace("-", "_"),
            "responses": {"200": {"description": ""}},
        }
        if requirements != "inherit":
            operation["security"] = requirements
        paths[path] = {"get": operation}
    document: dict[str, Any] = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": paths}
    if default is not None:
        document["security"] = default
    if schemes:
        document["components"] = {"securitySchemes": copy.deepcopy(schemes)}
    return document


def _decide(tmp_path: Path, document: dict[str, Any]) -> security.Decision:
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return security.decide(spec_module.load(path))


def test_a_document_without_security_sends_no_key_anywhere(tmp_path: Path) -> None:
    decision = _decide(tmp_path, _document({"/a": "inherit", "/b": []}, schemes=None))

    assert decision.placement is None
    assert set(decision.sends_key.values()) == {None}


def test_schemes_no_operation_uses_change_nothing(tmp_path: Path) -> None:
    decision = _decide(tmp_path, _document({"/a": [{"api_key": []}]}))

    assert decision.placement == security.KeyPlacement("header", "apiKey", "")


def test_the_key_goes_where_each_operations_security_asks(tmp_path: Path) -> None:
    operations = {
        "/alternatives": [{"oauth2": []}, {"api_key": []}],
        "/inherited": "inherit",
        "/public": [],
        "/optional": [{}, {"api_key": []}],
        "/anonymous-or-oauth": [{}, {"oauth2": []}],
    }

    decision = _decide(tmp_path, _document(operations, default=[{"api_key": []}]))

    assert decision.sends_key == {
        ("/alternatives", "get"): "api_key",
        ("/inherited", "get"): "api_key",
        ("/public", "get"): None,
        ("/optional", "get"): "api_key",
        ("/anonymous-or-oauth", "get"): None,
    }


@pytest.mark.parametrize(
    ("scheme", "placement"),
    [
        ("prefixed", security.KeyPlacement("header", "Authorization", "ApiKey ")),
        ("bearer", security.KeyPlacement("header", "Authorization", "Bearer ")),
        ("query_key", security.KeyPlacement("query", "api_key", "")),
    ],
)
def test_placement_and_prefix_come_from_the_scheme(
    tmp_path: Path, scheme: str, placement: security.KeyPlacement
) -> None:
    assert _decide(tmp_path, _document({"/a": [{scheme: []}]})).placement == placement


def test_the_placement_most_operations_accept_wins(tmp_path: Path) -> None:
    operations: dict[str, Any] = {
        "/a": [{"bearer": []}, {"api_key": []}],
        "/b": [{"api_key": []}],
        "/c": [{"bearer": []}, {"api_key": []}],
    }

    decision = _decide(tmp_path, _document(operations))

    assert decision.placement == security.KeyPlacement("header", "apiKey", "")
    assert set(decision.sends_key.values()) == {"api_key"}


def test_the_staged_copy_states_each_operations_decision(tmp_path: Path) -> None:
    document = _document(
        {"/secured": "inherit", "/public": [], "/alternatives": [{"oauth2": []}, {"api_key": []}]}, [{"api_key": []}]
    )
    decision = _decide(tmp_path, document)

    staged = decision.apply(document)

    assert {path: item["get"]["security"] for path, item in staged["paths"].items()} == {
        "/secured": [{"api_key": []}],
        "/public": [],
        "/alternatives": [{"api_key": []}],
    }
    assert "security" not in document["paths"]["/secured"]["get"]  # a copy


def test_every_operation_without_a_usable_alternative_is_refused_with_its_line(tmp_path: Path) -> None:
    operations: dict[str, Any] = {
        "/fine": [{"api_key": []}],
        "/oauth-only": [{"oauth2": []}],
        "/basic-or-both": [{"basic": []}, {"api_key": [], "oauth2": []}],
        "/elsewhere": [{"query_key": []}],
    }
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(_document(operations), indent=1), encoding="utf-8")
    spec = spec_module.load(path)

    with pytest.raises(PipelineError) as caught:
        security.decide(spec)

    lines = str(caught.value).splitlines()
    assert lines[0] == "openapi.json: 3 security problems:"
    assert lines[1:] == [
        f"  {spec.where('paths', '/oauth-only', 'get', 'security')}: /paths/~1oauth-only/get/security: "
        "GET /oauth-only (oauth_only) accepts only oauth2 (oauth2), none of which the client can send; "
        "supported: apiKey in header, query or cookie, and http bearer",
        f"  {spec.where('paths', '/basic-or-both', 'get', 'security')}: /paths/~1basic-or-both/get/security: "
        "GET /basic-or-both (basic_or_both) accepts only basic (http basic) or api_key (apiKey header) + "
        "oauth2 (oauth2), none of which the client can send; supported: apiKey in header, query or cookie, and http bearer",
        f"  {spec.where('paths', '/elsewhere', 'get', 'security')}: /paths/~1elsewhere/get/security: "
        "GET /elsewhere (elsewhere) accepts only query_key (apiKey query), but the client sends its one key as "
        "<key> in header 'apiKey', where most secured operations want it",
    ]
