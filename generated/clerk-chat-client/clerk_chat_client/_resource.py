"""What the generated resource methods (`client.<tag>.<operation>(...)`) run on.

A method (written by overrides/templates/endpoint_init.py.jinja) turns its flattened arguments
into the request its operation module's `_get_kwargs` builds, and hands that here: this module
sends it through the client's httpx2 client (so through ClerkTransport: key, retries, rate-limit
gate, typed errors) with the call's own `timeout` / `extra_headers`, and turns the response into
what the method promises: the parsed 2xx model, a page, or (`with_raw_response`) the generated
`Response`. Sync and async resources differ only in how they wait for the response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Any, ParamSpec, Protocol, Self, TypeVar, cast

import httpx2

from ._responses import parsed_success
from .client import AuthenticatedClient, Client
from .pagination import AsyncPage, PageRequest, SyncPage

P = ParamSpec("P")
R = TypeVar("R")

Timeout = httpx2.Timeout | float | None
Headers = Mapping[str, str] | None


class OperationModule(Protocol):
    """What a generated operation module offers the resources (see endpoint_module.py.jinja)."""

    _OPERATION: str

    def _parse_response(self, *, client: AuthenticatedClient | Client, response: httpx2.Response) -> object: ...

    def _build_response(self, *, client: AuthenticatedClient | Client, response: httpx2.Response) -> object: ...


def as_enum(name: str, value: Any, *kinds: type[Enum]) -> Any:
    """The enum argument `name` given as its value ("outbound") becomes the member, element by
    element in a list; members, UNSET and None pass unchanged. A value no enum has is a
    ValueError naming the argument, before anything is sent."""
    if isinstance(value, list):
        return [as_enum(name, item, *kinds) for item in value]
    if isinstance(value, Enum) or isinstance(value, bool) or not isinstance(value, str | int):
        return value
    for kind in kinds:
        try:
            return kind(value)
        except ValueError:
            continue
    allowed = ", ".join(repr(member.value) for kind in kinds for member in kind)
    raise ValueError(f"{name}: {value!r} is not one of {allowed}")


def with_call_options(request: dict[str, Any], timeout: Timeout, extra_headers: Headers) -> dict[str, Any]:
    """The request with this call's timeout and extra headers (which win over generated ones,
    case-insensitively; the API key is stamped by the transport whatever they say)."""
    merged = dict(request)
    if extra_headers:
        headers = httpx2.Headers(request.get("headers"))
        headers.update(extra_headers)
        merged["headers"] = headers
    if timeout is not None:
        merged["timeout"] = timeout if isinstance(timeout, httpx2.Timeout) else httpx2.Timeout(timeout)
    return merged


def _result(
    operation: OperationModule, client: AuthenticatedClient, response: httpx2.Response, *, raw: bool, none_ok: bool
) -> Any:
    if raw:
        return operation._build_response(client=client, response=response)
    return parsed_success(operation._OPERATION, response, operation._parse_response, client, none_ok=none_ok)


class _Resource:
    def __init__(self, client: AuthenticatedClient, *, raw_response: bool = False) -> None:
        self._client = client
        self._raw_response = raw_response

    def _raw(self) -> Self:
        """This resource with methods that return the generated `Response` (`with_raw_response`)."""
        return type(self)(self._client, raw_response=True)

    def _page_request(
        self, operation: OperationModule, request: dict[str, Any], timeout: Timeout, extra_headers: Headers
    ) -> PageRequest:
        return PageRequest(operation, self._client, with_call_options(request, timeout, extra_headers))


class SyncAPIResource(_Resource):
    """Base of the sync resource classes, one per tag (`client.twilio` is a `TwilioResource`)."""

    def _send(self, request: dict[str, Any]) -> httpx2.Response:
        return self._client.get_httpx_client().request(**request)

    def _call(
        self,
        operation: OperationModule,
        request: dict[str, Any],
        timeout: Timeout,
        extra_headers: Headers,
        *,
        none_ok: bool,
    ) -> Any:
        response = self._send(with_call_options(request, timeout, extra_headers))
        return _result(operation, self._client, response, raw=self._raw_response, none_ok=none_ok)

    def _paginate(
        self, operation: OperationModule, request: dict[str, Any], timeout: Timeout, extra_headers: Headers
    ) -> Any:
        first = self._page_request(operation, request, timeout, extra_headers)
        response = self._send(first.kwargs)
        if self._raw_response:
            return operation._build_response(client=self._client, response=response)
        return SyncPage._first(first, response, self._send)


class AsyncAPIResource(_Resource):
    """Base of the async resource classes (`AsyncClerkChatClient().twilio` is an `AsyncTwilioResource`)."""

    async def _send(self, request: dict[str, Any]) -> httpx2.Response:
        return await self._client.get_async_httpx_client().request(**request)

    async def _call(
        self,
        operation: OperationModule,
        request: dict[str, Any],
        timeout: Timeout,
        extra_headers: Headers,
        *,
        none_ok: bool,
    ) -> Any:
        response = await self._send(with_call_options(request, timeout, extra_headers))
        return _result(operation, self._client, response, raw=self._raw_response, none_ok=none_ok)

    async def _paginate(
        self, operation: OperationModule, request: dict[str, Any], timeout: Timeout, extra_headers: Headers
    ) -> Any:
        first = self._page_request(operation, request, timeout, extra_headers)
        response = await self._send(first.kwargs)
        if self._raw_response:
            return operation._build_response(client=self._client, response=response)
        return AsyncPage._first(first, response, self._send)


def raw_method(method: Callable[P, object], build: Callable[..., R]) -> Callable[P, R]:
    """`method` of a raw resource, typed as what it returns there: what `build` (the operation
    module's `_build_response`) returns. `build` only carries the type."""
    del build
    return cast(Callable[P, R], method)


def async_raw_method(method: Callable[P, Awaitable[object]], build: Callable[..., R]) -> Callable[P, Awaitable[R]]:
    """The coroutine twin of `raw_method`."""
    del build
    return cast(Callable[P, Awaitable[R]], method)
