"""How a page is read (overrides/package/pagination.py): its JSON is parsed once, by the
operation's parser, and shared with the page's reader (total, links, the repeated-page check);
the repeated-page check compares items as JSON values, whatever order the server wrote their keys in.

Against FakeClerk, in a fresh interpreter on the regeneration of tests/specs/resources.yml
(tests/test_pagination.py covers what iteration yields; this file how the pages are read).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk, RecordedRequest, Reply
from tests.support.repo_copy import RepoCopy
from tests.support.scripts import run_script

CREATED_AT = "2024-05-06T07:08:09Z"

# Counts the parses of page bodies: httpx2's Response.json() calls json.loads.
_WALK = """
import json
from clerk_chat_client import ClerkChatClient

parses = 0
real_loads = json.loads

def counting_loads(text, *args, **kwargs):
    global parses
    parses += b'"data"' in (text if isinstance(text, bytes) else text.encode())
    return real_loads(text, *args, **kwargs)

json.loads = counting_loads
items, error = [], None
try:
    for message in ClerkChatClient().messages.find_messages(inbox_id="inbox-1", limit=2):
        items.append(message.id)
except Exception as exc:
    error = f"{type(exc).__name__}: {exc}"
json.loads = real_loads
print(json.dumps({"items": items, "parses": parses, "error": error}))
"""


def message(number: int, *, reversed_keys: bool = False) -> dict[str, Any]:
    fields = {"id": f"m{number}", "body": f"message {number}", "status": "sent", "createdAt": CREATED_AT}
    return dict(reversed(fields.items())) if reversed_keys else fields


def serve(server: FakeClerk, pages: dict[int, list[dict[str, Any]]], total: int) -> None:
    def answer(request: RecordedRequest) -> Reply:
        number = int(parse_qs(urlsplit(request.path).query).get("page", ["1"])[0])
        return Reply.json({"data": pages.get(number, []), "total": total})

    server.handle_with(answer)


def walk(copy: RepoCopy, server: FakeClerk) -> dict[str, Any]:
    env = {"CLERK_CHAT_API_KEY": API_KEY, "CLERK_CHAT_BASE_URL": server.url}
    out: dict[str, Any] = run_script(_WALK, package_parent=copy.package_parent, env=env).output
    return out


def test_each_page_is_parsed_once(resources_copy: RepoCopy, server: FakeClerk) -> None:
    serve(server, {1: [message(1), message(2)], 2: [message(3), message(4)], 3: [message(5)]}, total=5)

    out = walk(resources_copy, server)

    assert out == {"items": ["m1", "m2", "m3", "m4", "m5"], "parses": 3, "error": None}


def test_a_page_repeated_with_its_keys_in_another_order_is_still_a_repeat(
    resources_copy: RepoCopy, server: FakeClerk
) -> None:
    again = [message(1, reversed_keys=True), message(2, reversed_keys=True)]
    serve(server, {1: [message(1), message(2)], 2: again, 3: [message(5)]}, total=5)

    out = walk(resources_copy, server)

    assert out["items"] == ["m1", "m2"]
    assert out["error"] == (
        "PaginationError: GET /public/messages (find_messages): page 2: the server sent page 1 again "
        "(the same items); stopping instead of repeating it"
    )


def test_items_that_differ_in_one_value_are_not_a_repeat(resources_copy: RepoCopy, server: FakeClerk) -> None:
    changed = {**message(2), "body": "message 2, edited"}
    serve(server, {1: [message(1), message(2)], 2: [message(1), changed]}, total=4)

    out = walk(resources_copy, server)

    assert out == {"items": ["m1", "m2", "m1", "m2"], "parses": 2, "error": None}
