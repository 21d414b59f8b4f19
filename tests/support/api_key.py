"""The API key where `_settings.py` says it goes, whatever the spec's scheme: read back from a
request, or put on one made by hand (a header with its prefix, a query parameter or a cookie).
And what Prism makes of a request that carries only `Authorization: Bearer <key>`."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import httpx2
from clerk_chat_client import _settings

from tests.conftest import API_KEY
from tests.support.operations import Operation, load_spec

EXPECTED = _settings.API_KEY_PREFIX + API_KEY  # what the wire carries, prefix included


def sent_key(request: httpx2.Request) -> str | None:
    """The value at the key's place in `request`, or None."""
    name = _settings.API_KEY_NAME
    if _settings.API_KEY_LOCATION == "header":
        return request.headers.get(name)
    if _settings.API_KEY_LOCATION == "query":
        value: str | None = request.url.params.get(name)
        return value
    if _settings.API_KEY_LOCATION == "cookie":
        cookie = SimpleCookie(request.headers.get("cookie", ""))
        return cookie[name].value if name in cookie else None
    return None


def with_key(request: dict[str, Any]) -> dict[str, Any]:
    """`httpx2.Client.request` arguments (as `_get_kwargs` returns them) with the key added."""
    name, location = _settings.API_KEY_NAME, _settings.API_KEY_LOCATION
    assert location is not None, "the spec sends no key"
    headers = dict(request.get("headers", {}))
    params = dict(request.get("params", {}))
    if location == "header":
        headers[name] = EXPECTED
    elif location == "query":
        params[name] = EXPECTED
    else:
        headers["Cookie"] = f"{name}={EXPECTED}"
    return {**request, "headers": headers, "params": params}


def _bearer_token_satisfies(scheme: Any) -> bool:
    """Prism's checks that `Authorization: Bearer <token>` passes (its security handlers)."""
    if not isinstance(scheme, dict):
        return False
    kind = scheme.get("type")
    if kind == "http":
        return str(scheme.get("scheme", "")).lower() == "bearer"
    if kind in ("oauth2", "openIdConnect"):
        return True  # Prism checks these as bearer tokens
    return kind == "apiKey" and scheme.get("in") == "header" and str(scheme.get("name", "")).lower() == "authorization"


def accepts_a_bearer_token(operation: Operation) -> bool:
    """Whether Prism lets a request with only `Authorization: Bearer <key>` through."""
    schemes = load_spec().get("components", {}).get("securitySchemes", {})
    if operation.anonymous_allowed:
        return True
    return any(all(_bearer_token_satisfies(schemes.get(name)) for name in req) for req in operation.security())
