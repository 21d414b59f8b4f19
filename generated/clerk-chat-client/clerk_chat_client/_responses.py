"""Helpers the generated endpoint modules call (see overrides/templates/endpoint_module.py.jinja).

They turn the generator's unguarded parsing into typed errors: a status outside the IANA list,
a body that is not the JSON the spec promises, or an error status reaching `sync()`/`asyncio()`.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

import httpx2

from ._exceptions import ResponseValidationError, status_error
from ._validation import check_model

T = TypeVar("T")
# What the generated `_parse_response` may raise on a body that does not match the spec.
_PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError)


def http_status(response: httpx2.Response) -> HTTPStatus:
    """HTTPStatus for the generated Response; a status outside the IANA list is an error."""
    try:
        return HTTPStatus(response.status_code)
    except ValueError:
        raise status_error(response.request, response) from None


_JSON_BODY = "clerk_chat_client.json_body"  # where json_body keeps a response's parsed JSON


def json_body(response: httpx2.Response) -> Any:
    """The response's JSON, parsed on first use and kept in its extensions: the generated parser
    and a page's reader (total, links, the repeated-page check) share one parse."""
    extensions = response.extensions
    if _JSON_BODY not in extensions:
        extensions[_JSON_BODY] = response.json()
    return extensions[_JSON_BODY]


def parse_or_raise(operation: str, response: httpx2.Response, parse: Callable[..., T], client: Any) -> T:
    try:
        parsed = parse(client=client, response=response)
        check_model(parsed)
        return parsed
    except _PARSE_ERRORS as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise ResponseValidationError(operation, response.status_code, response.content, problem) from exc


def parsed_success(
    operation: str, response: httpx2.Response, parse: Callable[..., T], client: Any, *, none_ok: bool
) -> T:
    """The parsed success model, or the typed error: what `sync()` and `asyncio()` promise."""
    if not response.is_success:
        raise status_error(response.request, response)
    parsed = parse_or_raise(operation, response, parse, client)
    if parsed is None and not none_ok:
        problem = f"status {response.status_code} is not a documented success response"
        raise ResponseValidationError(operation, response.status_code, response.content, problem)
    return parsed
