"""Pages of the API's paginated lists: `SyncPage` and `AsyncPage`.

An operation is paginated when it takes integer `page` and `limit` query parameters and its 2xx
body is an object with an array `data` (Clerk's `{data: [...], links: {next, prev, self}, total}`);
its resource method returns a page. Iterating a page yields its items and those of every later
page, fetched lazily: each later request is the first one with `page` + 1 (every other argument,
the call's timeout and extra headers included), through the same client and transport (key,
retries, rate-limit gate, typed errors).

Iteration stops at an empty page, once `total` items were seen, or at a page whose `links` has no
`next`. A short page does not stop it, since a server may cap `limit` below what was asked. A
page that repeats an earlier one of the same walk (the same items, or the same `links.self`)
raises `PaginationError` instead of looping or yielding duplicates.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import httpx2

from ._exceptions import PaginationError
from ._responses import json_body, parsed_success

if TYPE_CHECKING:
    from ._resource import OperationModule
    from .client import AuthenticatedClient

__all__ = ["AsyncPage", "PaginationError", "SyncPage"]

T = TypeVar("T")
_FIRST_PAGE = 1  # the page a server answers when the request names none


@dataclass
class PageRequest:
    """One paginated call: its operation, client and first request; later pages differ only in
    `page`. `seen` maps each page's fingerprints to its number, to catch a repeated page."""

    operation: OperationModule
    client: AuthenticatedClient
    kwargs: dict[str, Any]
    seen: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def first_number(self) -> int:
        page = self.kwargs.get("params", {}).get("page")
        return page if isinstance(page, int) and not isinstance(page, bool) else _FIRST_PAGE

    def for_page(self, number: int) -> dict[str, Any]:
        return {**self.kwargs, "params": {**self.kwargs.get("params", {}), "page": number}}


# Small immutable records are NamedTuples: a frozen dataclass compiles its methods at import, about
# 0.7 ms each here, against 0.1 ms (see benchmarks: import time).
class _Contents(NamedTuple):
    """What one response says about its page."""

    data: list[Any]
    total: int | None
    has_links: bool
    next_link: bool


def _read(request: PageRequest, number: int, response: httpx2.Response) -> _Contents:
    operation = request.operation
    envelope = parsed_success(operation._OPERATION, response, operation._parse_response, request.client, none_ok=False)
    items = getattr(envelope, "data", None)
    data = list(items) if isinstance(items, list) else []
    body = json_body(response)  # parsed once, by the operation's parser above
    total = body.get("total")
    links = body.get("links")
    if data:
        _check_not_repeated(request, number, body.get("data"), links)
    return _Contents(
        data=data,
        total=total if isinstance(total, int) and not isinstance(total, bool) else None,
        has_links=isinstance(links, dict),
        next_link=isinstance(links, dict) and bool(links.get("next")),
    )


# The items' canonical JSON (keys sorted): equal items give equal text whatever order the server
# wrote their keys in. Compact and without the circular-reference check (parsed JSON has no
# cycles): a sixth cheaper than json.dumps, the same equality.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), check_circular=False)


def _check_not_repeated(request: PageRequest, number: int, items: Any, links: Any) -> None:
    digest = hashlib.sha256(_CANONICAL.encode(items).encode()).hexdigest()
    fingerprints = [(("items", digest), "the same items")]
    if isinstance(links, dict) and isinstance(links.get("self"), str):
        fingerprints.append((("self", links["self"]), f"the same links.self ({links['self']})"))
    for fingerprint, what in fingerprints:
        earlier = request.seen.setdefault(fingerprint, number)
        if earlier != number:
            raise PaginationError(
                request.operation._OPERATION,
                number,
                f"the server sent page {earlier} again ({what}); stopping instead of repeating it",
            )


class _Page(Generic[T]):
    """What sync and async pages share: their items and whether another page follows."""

    def __init__(self, request: PageRequest, number: int, contents: _Contents, seen_before: int) -> None:
        self._request = request
        self._number = number
        self._contents = contents
        self._seen = seen_before + len(contents.data)

    @property
    def data(self) -> list[T]:
        """This page's items."""
        return self._contents.data

    @property
    def total(self) -> int | None:
        """The number of items of the whole list, when the server sends it."""
        return self._contents.total

    def has_next_page(self) -> bool:
        contents = self._contents
        if not contents.data:
            return False
        if contents.total is not None and self._seen >= contents.total:
            return False
        return contents.next_link or not contents.has_links

    def _next_request(self) -> dict[str, Any]:
        if not self.has_next_page():
            raise PaginationError(
                self._request.operation._OPERATION, self._number, "this is the last page; check has_next_page() first"
            )
        return self._request.for_page(self._number + 1)

    @staticmethod
    def _before_first(request: PageRequest, contents: _Contents) -> int:
        """Items of the pages before the first one fetched (a walk may start at `page=3`), counted as
        full pages of its size, which never overcounts: `total` cannot stop the walk early."""
        return (request.first_number - _FIRST_PAGE) * len(contents.data)

    def __repr__(self) -> str:
        total = "" if self.total is None else f", total={self.total}"
        return f"{type(self).__name__}(page={self._number}, items={len(self.data)}{total})"


class SyncPage(_Page[T]):
    """A page of a paginated list: `.data`, `.total`; iterating it yields every item from here on."""

    def __init__(
        self,
        request: PageRequest,
        number: int,
        contents: _Contents,
        seen_before: int,
        send: Callable[[dict[str, Any]], httpx2.Response],
    ) -> None:
        super().__init__(request, number, contents, seen_before)
        self._send = send

    @classmethod
    def _first(
        cls, request: PageRequest, response: httpx2.Response, send: Callable[[dict[str, Any]], httpx2.Response]
    ) -> SyncPage[T]:
        number = request.first_number
        contents = _read(request, number, response)
        return cls(request, number, contents, cls._before_first(request, contents), send)

    def get_next_page(self) -> SyncPage[T]:
        """Fetch the page after this one (raises PaginationError when there is none)."""
        number = self._number + 1
        response = self._send(self._next_request())
        return SyncPage(self._request, number, _read(self._request, number, response), self._seen, self._send)

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page, then each later one, fetched as the loop reaches it."""
        page = self
        yield page
        while page.has_next_page():
            page = page.get_next_page()
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data


class AsyncPage(_Page[T]):
    """The async twin of SyncPage: `async for item in page`, `await page.get_next_page()`."""

    def __init__(
        self,
        request: PageRequest,
        number: int,
        contents: _Contents,
        seen_before: int,
        send: Callable[[dict[str, Any]], Awaitable[httpx2.Response]],
    ) -> None:
        super().__init__(request, number, contents, seen_before)
        self._send = send

    @classmethod
    def _first(
        cls,
        request: PageRequest,
        response: httpx2.Response,
        send: Callable[[dict[str, Any]], Awaitable[httpx2.Response]],
    ) -> AsyncPage[T]:
        number = request.first_number
        contents = _read(request, number, response)
        return cls(request, number, contents, cls._before_first(request, contents), send)

    async def get_next_page(self) -> AsyncPage[T]:
        """Fetch the page after this one (raises PaginationError when there is none)."""
        number = self._number + 1
        response = await self._send(self._next_request())
        return AsyncPage(self._request, number, _read(self._request, number, response), self._seen, self._send)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """This page, then each later one, fetched as the loop reaches it."""
        page = self
        yield page
        while page.has_next_page():
            page = await page.get_next_page()
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item
