"""Auto-pagination (issue 14): paginated resource methods return pages that walk the whole list.

Against FakeClerk, scripted page by page, with the regeneration of tests/specs/resources.yml (its
list operations take `page` and `limit` and answer Clerk's `{data, links, total}`). Every case
walks the list twice in one fresh interpreter, with ClerkChatClient and with
AsyncClerkChatClient (`X-Mode` tells the server which, so each walk has its own script), and
checks the items seen, the error if any, and every request the server got: how many, the page
each asked for, and that every other argument was sent again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import API_KEY
from tests.support.fake_clerk import Behaviour, FakeClerk, RecordedRequest, Reply, ResetBeforeHeaders
from tests.support.repo_copy import REPO, RepoCopy
from tests.support.scripts import run_script, typecheck

MODES = ("sync", "async")
CREATED_AT = "2024-05-06T07:08:09Z"
ARGUMENTS = {"inbox_id": "inbox-123", "limit": 2, "status": "sent"}
QUERY = {"inboxId": ["inbox-123"], "limit": ["2"], "status": ["sent"]}  # sent with every page

_CLOCK = """
import time
from datetime import UTC, datetime, timedelta

class FastClock:  # a clerk_chat_client Clock: retry waits are recorded, not slept
    def __init__(self):
        self.offset = 0.0
    def monotonic(self):
        return time.monotonic() + self.offset
    def now(self):
        return datetime.now(UTC) + timedelta(seconds=self.offset)
    def sleep(self, seconds):
        self.offset += seconds
    async def async_sleep(self, seconds):
        self.offset += seconds
    def random(self):
        return 0.5
"""

_WALK = (
    _CLOCK
    + """
import asyncio, json
from clerk_chat_client import AsyncClerkChatClient, ClerkChatClient

arguments = {arguments!r}

def sync_walk():
    items = []
    with ClerkChatClient(clock=FastClock()) as client:
        try:
            for item in client.{operation}(**arguments, extra_headers={{"X-Mode": "sync"}}):
                items.append(item.id)
        except Exception as exc:
            return {{"items": items, "error": type(exc).__name__, "message": str(exc)}}
    return {{"items": items}}

async def async_walk():
    items = []
    async with AsyncClerkChatClient(clock=FastClock()) as client:
        try:
            async for item in await client.{operation}(**arguments, extra_headers={{"X-Mode": "async"}}):
                items.append(item.id)
        except Exception as exc:
            return {{"items": items, "error": type(exc).__name__, "message": str(exc)}}
    return {{"items": items}}

print(json.dumps({{"sync": sync_walk(), "async": asyncio.run(async_walk())}}))
"""
)


def item(number: int) -> dict[str, Any]:
    return {"id": f"m{number}", "body": f"message {number}", "status": "sent", "createdAt": CREATED_AT}


def ids(first: int, count: int) -> list[str]:
    return [f"m{number}" for number in range(first, first + count)]


def page(first: int, count: int, *, total: int | None = None, links: dict[str, Any] | None = None) -> Reply:
    """A page of `count` messages numbered from `first`, with `total` and `links` when given."""
    body: dict[str, Any] = {"data": [item(number) for number in range(first, first + count)]}
    if total is not None:
        body["total"] = total
    if links is not None:
        body["links"] = links
    return Reply.json(body)


def links(number: int, *, last: bool = False) -> dict[str, Any]:
    """Clerk's links of page `number`; the last page's `next` is null."""
    return {
        "self": f"/public/messages?page={number}",
        "prev": f"/public/messages?page={number - 1}" if number > 1 else None,
        "next": None if last else f"/public/messages?page={number + 1}",
    }


def page_asked(request: RecordedRequest) -> int:
    return int(parse_qs(urlsplit(request.path).query).get("page", ["1"])[0])


@dataclass
class Script:
    """Per mode and page, the behaviours to answer with, in turn; the last one repeats."""

    pages: dict[int, list[Behaviour]]
    served: dict[tuple[str, int], int] = field(default_factory=dict)

    def __call__(self, request: RecordedRequest) -> Behaviour:
        mode, number = request.headers.get("x-mode", "?"), page_asked(request)
        behaviours = self.pages.get(number, [page(1000, 0)])
        turn = self.served.get((mode, number), 0)
        self.served[(mode, number)] = turn + 1
        return behaviours[min(turn, len(behaviours) - 1)]


def walk(
    copy: RepoCopy,
    server: FakeClerk,
    pages: dict[int, list[Behaviour]],
    *,
    operation: str = "messages.find_messages",
    arguments: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, list[RecordedRequest]]]:
    """Walk the list with both clients; what each saw, and the requests each made."""
    server.handle_with(Script(pages))
    code = _WALK.format(operation=operation, arguments=ARGUMENTS if arguments is None else arguments)
    env = {"CLERK_CHAT_API_KEY": API_KEY, "CLERK_CHAT_BASE_URL": server.url}
    seen: dict[str, Any] = run_script(code, package_parent=copy.package_parent, env=env).output
    server.wait_idle()
    requests = {mode: [r for r in server.requests if r.headers.get("x-mode") == mode] for mode in MODES}
    return seen, requests


@dataclass(frozen=True)
class Case:
    pages: dict[int, list[Behaviour]]
    items: list[str]
    pages_asked: list[int]  # the `page` of each request, retries included
    error: str | None = None


CASES = {
    "no items": Case({1: [page(1, 0, total=0, links=links(1, last=True))]}, [], [1]),
    "one item": Case({1: [page(1, 1, total=1, links=links(1, last=True))]}, ids(1, 1), [1]),
    "exactly one full page": Case({1: [page(1, 2, total=2, links=links(1, last=True))]}, ids(1, 2), [1]),
    "several pages": Case(
        {n: [page(2 * n - 1, 2, total=6, links=links(n, last=n == 3))] for n in (1, 2, 3)}, ids(1, 6), [1, 2, 3]
    ),
    "a last partial page": Case(
        {1: [page(1, 2, total=5)], 2: [page(3, 2, total=5)], 3: [page(5, 1, total=5)]}, ids(1, 5), [1, 2, 3]
    ),
    "total absent": Case(
        {n: [page(2 * n - 1, 2 if n < 3 else 1, links=links(n, last=n == 3))] for n in (1, 2, 3)},
        ids(1, 5),
        [1, 2, 3],
    ),
    "links absent": Case({n: [page(2 * n - 1, 2, total=6)] for n in (1, 2, 3)}, ids(1, 6), [1, 2, 3]),
    "total and links absent": Case(  # only an empty page can end it
        {1: [page(1, 2)], 2: [page(3, 2)], 3: [page(5, 1)], 4: [page(6, 0)]}, ids(1, 5), [1, 2, 3, 4]
    ),
    "links.next absent early": Case(
        {1: [page(1, 2, total=10, links=links(1))], 2: [page(3, 2, total=10, links=links(2, last=True))]},
        ids(1, 4),
        [1, 2],
    ),
    "an empty page before total": Case(
        {1: [page(1, 2, total=10)], 2: [page(3, 0, total=10)], 3: [page(3, 2, total=10)]}, ids(1, 2), [1, 2]
    ),
    "a repeated page": Case(  # a server that ignores `page`
        {n: [page(1, 2, total=10)] for n in range(1, 5)}, ids(1, 2), [1, 2], error="PaginationError"
    ),
    "a repeated links.self": Case(
        {1: [page(1, 2, total=10, links=links(1))], 2: [page(3, 2, total=10, links=links(1))]},
        ids(1, 2),
        [1, 2],
        error="PaginationError",
    ),
    "a 429 and a reset between pages": Case(
        {
            1: [page(1, 2, total=6)],
            2: [Reply.json({"message": "slow down"}, status=429, headers={"Retry-After": "0"}), page(3, 2, total=6)],
            3: [ResetBeforeHeaders(), page(5, 2, total=6)],
        },
        ids(1, 6),
        [1, 2, 2, 3, 3],
    ),
    "a 500 mid-way": Case(
        {1: [page(1, 2, total=6)], 2: [Reply.json({"message": "boom"}, status=500)], 3: [page(5, 2, total=6)]},
        ids(1, 2),
        [1, 2],
        error="InternalServerError",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_iteration_walks_every_page_once(resources_copy: RepoCopy, server: FakeClerk, case: Case) -> None:
    seen, requests = walk(resources_copy, server, case.pages)

    for mode in MODES:
        assert seen[mode]["items"] == case.items, mode  # no gap, no duplicate: the items already yielded stay
        assert seen[mode].get("error") == case.error, (mode, seen[mode])
        assert [page_asked(r) for r in requests[mode]] == case.pages_asked, mode
        for request in requests[mode]:
            query = parse_qs(urlsplit(request.path).query)
            assert {key: query[key] for key in QUERY} == QUERY, request.path  # every other argument kept
            assert request.headers["apikey"] == API_KEY


def test_a_repeated_page_names_the_operation_and_the_page(resources_copy: RepoCopy, server: FakeClerk) -> None:
    seen, _ = walk(resources_copy, server, CASES["a repeated page"].pages)

    for mode in MODES:
        message = seen[mode]["message"]
        assert message.startswith("GET /public/messages (find_messages): page 2: the server sent page 1 again"), message


def test_a_server_capping_limit_does_not_end_iteration_early(resources_copy: RepoCopy, server: FakeClerk) -> None:
    """Asked for 50, the server sends 20 a page: a short page is not the last one."""
    pages: dict[int, list[Behaviour]] = {
        1: [page(1, 20, total=45)],
        2: [page(21, 20, total=45)],
        3: [page(41, 5, total=45)],
    }

    seen, requests = walk(resources_copy, server, pages, arguments={**ARGUMENTS, "limit": 50})

    for mode in MODES:
        assert seen[mode] == {"items": ids(1, 45)}
        assert [page_asked(r) for r in requests[mode]] == [1, 2, 3]
        assert all(parse_qs(urlsplit(r.path).query)["limit"] == ["50"] for r in requests[mode])


def test_a_walk_starts_at_the_page_asked_for(resources_copy: RepoCopy, server: FakeClerk) -> None:
    """`page=3` of 4 with total 8: pages 3 and 4 only; the pages before count for `total`."""
    pages: dict[int, list[Behaviour]] = {n: [page(2 * n - 1, 2, total=8)] for n in (1, 2, 3, 4)}

    seen, requests = walk(resources_copy, server, pages, arguments={**ARGUMENTS, "page": 3})

    for mode in MODES:
        assert seen[mode] == {"items": ids(5, 4)}
        assert [page_asked(r) for r in requests[mode]] == [3, 4]


def test_other_list_shapes_paginate_too(resources_copy: RepoCopy, server: FakeClerk) -> None:
    """Admin users answer `{data, total}` without links; items are their own model."""
    users: dict[int, list[Behaviour]] = {
        n: [
            Reply.json(
                {"data": [{"id": f"u{i}", "email": f"u{i}@example.com"} for i in (2 * n - 1, 2 * n)], "total": 4}
            )
        ]
        for n in (1, 2)
    }

    seen, requests = walk(resources_copy, server, users, operation="admin_users.find_all", arguments={"limit": 2})

    for mode in MODES:
        assert seen[mode] == {"items": ["u1", "u2", "u3", "u4"]}
        assert [page_asked(r) for r in requests[mode]] == [1, 2]


_PAGE_API = (
    _CLOCK
    + """
import asyncio, json
from clerk_chat_client import AsyncClerkChatClient, ClerkChatClient, PaginationError, SyncPage, AsyncPage

out = {}
with ClerkChatClient(clock=FastClock()) as client:
    first = client.messages.find_messages(inbox_id="inbox-123", limit=2, extra_headers={"X-Mode": "sync"})
    out["first"] = [type(first).__name__, [m.id for m in first.data], first.total, first.has_next_page()]
    second = first.get_next_page()
    out["second"] = [[m.id for m in second.data], second.has_next_page()]
    out["pages"] = [[m.id for m in p.data] for p in first.iter_pages()]
    try:
        second.get_next_page()
    except PaginationError as exc:
        out["past_the_end"] = str(exc)
    raw = client.messages.with_raw_response.find_messages(inbox_id="inbox-123", limit=2, extra_headers={"X-Mode": "sync"})
    out["raw"] = [type(raw).__name__, int(raw.status_code), type(raw.parsed).__name__, len(raw.parsed.data)]

async def main():
    async with AsyncClerkChatClient(clock=FastClock()) as client:
        first = await client.messages.find_messages(inbox_id="inbox-123", limit=2, extra_headers={"X-Mode": "async"})
        second = await first.get_next_page()
        pages = [[m.id for m in p.data] async for p in first.iter_pages()]
        raw = await client.messages.with_raw_response.find_messages(inbox_id="inbox-123", extra_headers={"X-Mode": "async"})
        return [type(first).__name__, [m.id for m in second.data], second.has_next_page(), pages, int(raw.status_code)]

out["async"] = asyncio.run(main())
print(json.dumps(out))
"""
)


def test_the_page_api(resources_copy: RepoCopy, server: FakeClerk) -> None:
    server.handle_with(Script({1: [page(1, 2, total=4)], 2: [page(3, 2, total=4)]}))
    env = {"CLERK_CHAT_API_KEY": API_KEY, "CLERK_CHAT_BASE_URL": server.url}

    out = run_script(_PAGE_API, package_parent=resources_copy.package_parent, env=env).output

    assert out["first"] == ["SyncPage", ["m1", "m2"], 4, True]
    assert out["second"] == [["m3", "m4"], False]
    assert out["pages"] == [["m1", "m2"], ["m3", "m4"]]
    assert "GET /public/messages (find_messages): page 2: this is the last page" in out["past_the_end"]
    assert out["raw"] == ["Response", 200, "MessageListResponse", 2]  # the first page's, and only it
    assert out["async"] == ["AsyncPage", ["m3", "m4"], False, [["m1", "m2"], ["m3", "m4"]], 200]
    sync_pages = [page_asked(r) for r in server.requests if r.headers.get("x-mode") == "sync"]
    async_pages = [page_asked(r) for r in server.requests if r.headers.get("x-mode") == "async"]
    # first, get_next_page, iter_pages (first is in hand: one fetch), raw; get_next_page past the end sends nothing
    assert sync_pages == [1, 2, 2, 1]
    assert async_pages == [1, 2, 2, 1]


_TYPED_PAGES = """
    from typing import Any, assert_type
    from clerk_chat_client import AsyncClerkChatClient, AsyncPage, ClerkChatClient, SyncPage
    from clerk_chat_client.models import AdminUserObject, MessageListResponse, MessageObject
    from clerk_chat_client.types import Response

    def sync_use(client: ClerkChatClient) -> None:
        page = client.messages.find_messages(inbox_id="i", limit=50)
        assert_type(page, SyncPage[MessageObject])
        assert_type(page.data, list[MessageObject])
        assert_type(page.total, int | None)
        for message in page:
            assert_type(message, MessageObject)
        for later in page.iter_pages():
            assert_type(later, SyncPage[MessageObject])
        assert_type(page.get_next_page(), SyncPage[MessageObject])
        assert_type(client.admin_users.find_all(), SyncPage[AdminUserObject])
        raw = client.messages.with_raw_response.find_messages(inbox_id="i")
        assert_type(raw, Response[Any | MessageListResponse])

    async def async_use(client: AsyncClerkChatClient) -> None:
        page = await client.messages.find_messages(inbox_id="i")
        assert_type(page, AsyncPage[MessageObject])
        async for message in page:
            assert_type(message, MessageObject)
        async for later in page.iter_pages():
            assert_type(later, AsyncPage[MessageObject])
        assert_type(await page.get_next_page(), AsyncPage[MessageObject])
"""


def test_pages_type_check_with_the_item_model(resources_copy: RepoCopy, tmp_path: Path) -> None:
    result = typecheck(_TYPED_PAGES, tmp_path, package_parent=resources_copy.package_parent)

    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_flags_a_page_used_as_its_envelope(resources_copy: RepoCopy, tmp_path: Path) -> None:
    code = """
        from clerk_chat_client import ClerkChatClient

        def use(client: ClerkChatClient) -> None:
            print(client.messages.find_messages(inbox_id="i").links)
            for message in client.messages.find_messages(inbox_id="i"):
                print(message.email)
    """

    result = typecheck(code, tmp_path, package_parent=resources_copy.package_parent)

    assert result.returncode == 1
    assert '"SyncPage[MessageObject]" has no attribute "links"' in result.stdout, result.stdout
    assert '"MessageObject" has no attribute "email"' in result.stdout, result.stdout


def _readme_block(heading: str) -> str:
    section = (REPO / "README.md").read_text(encoding="utf-8").split(f"\n{heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_pagination_example_runs_as_written(resources_copy: RepoCopy, server: FakeClerk) -> None:
    pages: dict[int, list[Behaviour]] = {1: [page(1, 2, total=3)], 2: [page(3, 1, total=3)]}
    server.handle_with(Script(pages))
    env = {"CLERK_CHAT_API_KEY": API_KEY, "CLERK_CHAT_BASE_URL": server.url}

    result = run_script(_readme_block("### Pagination"), package_parent=resources_copy.package_parent, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["message 1", "message 2", "message 3", "2 3 True"]
    assert [page_asked(r) for r in server.requests] == [1, 2, 1]
    assert all("limit=50" in r.path for r in server.requests)
