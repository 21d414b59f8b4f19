"""The resource surface (issue 13): `client.<tag>.<operation>(...)`, sync and async.

Most tests drive a regeneration of tests/specs/resources.yml (the `resources_copy` fixture): user
code runs in a fresh interpreter against that copy's package and talks HTTP to a FakeClerk, and
each test checks what the server received and what the call returned. The spec holds the
flattening edge cases: a required enum, a date-time, an array of strings, a nested object, a
Python keyword, properties named `timeout` and `extraHeaders`, a path parameter named like a body
property, a query parameter named `timeout`, a non-object body and a body-less answer.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from clerk_chat_client import AsyncClerkChatClient, ClerkChatClient
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk, Hang, RecordedRequest, Reply
from tests.support.repo_copy import REPO, RepoCopy
from tests.support.scripts import run_script, typecheck

MODES = ("sync", "async")
CREATED_AT = "2024-05-06T07:08:09Z"
MESSAGE = {"id": "msg-1", "body": "Hello", "status": "sent", "createdAt": CREATED_AT}
PARSED = {"type": "MessageResponse", "json": {"data": {**MESSAGE, "createdAt": "2024-05-06T07:08:09+00:00"}}}

_SCRIPT = """
import asyncio, datetime, json
from clerk_chat_client import AsyncClerkChatClient, ClerkChatClient
from clerk_chat_client.models import *
from clerk_chat_client.types import Response

def describe(value):
    if value is None:
        return None
    if isinstance(value, Response):
        return {{"type": "Response", "status": int(value.status_code), "parsed": describe(value.parsed)}}
    if hasattr(value, "to_dict"):
        return {{"type": type(value).__name__, "json": value.to_dict()}}
    return {{"type": type(value).__name__, "repr": repr(value)}}

def attempt(call):
    try:
        return describe(call())
    except Exception as exc:
        return {{"error": type(exc).__name__, "message": str(exc)}}

async def attempt_async(call):
    try:
        return describe(await call())
    except Exception as exc:
        return {{"error": type(exc).__name__, "message": str(exc)}}

def run_sync():
    with ClerkChatClient({options}) as client:
        return [{sync_calls}]

async def run_async():
    async with AsyncClerkChatClient({options}) as client:
        return [{async_calls}]

print(json.dumps(run_sync() if "{mode}" == "sync" else asyncio.run(run_async())))
"""


def run_calls(copy: RepoCopy, server: FakeClerk, mode: str, calls: Sequence[str], *, options: str = "") -> list[Any]:
    """Run each call expression (`client.messages.find_message("m")`) once in a fresh interpreter
    against the copy's package, awaiting it in async mode; what each returned or raised, in order."""
    sync_calls = ", ".join(f"attempt(lambda: {call})" for call in calls)
    async_calls = ", ".join(f"await attempt_async(lambda: {call})" for call in calls)
    code = _SCRIPT.format(options=options, sync_calls=sync_calls, async_calls=async_calls, mode=mode)
    env = {"CLERK_CHAT_API_KEY": API_KEY, "CLERK_CHAT_BASE_URL": server.url}
    result: list[Any] = run_script(code, package_parent=copy.package_parent, env=env).output
    server.wait_idle()
    return result


def body_of(request: RecordedRequest) -> Any:
    assert request.headers.get("content-type") == "application/json", request.headers
    return json.loads(request.body)


# --- flattening --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_json_object_body_is_flattened_into_keyword_arguments(
    resources_copy: RepoCopy, server: FakeClerk, mode: str
) -> None:
    server.script(Reply.json({"data": MESSAGE}, status=201))
    call = """client.messages.send_message(
        inbox_id="inbox-123",
        to=["+15550100", "+15550101"],
        body="Hello",
        channel="whatsapp",
        send_at=datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
        metadata=MessageMetadata(campaign_id="camp-1", tags=["spring", "vip"]),
        from_="+15550199",
        timeout_body=30,
        extra_headers_body=SendMessageRequestExtraHeaders.from_dict({"X-Mailer": "clerk"}),
        idempotency_key="key-1",
        extra_headers={"X-Request-Source": "tests"},
        timeout=20,
    )"""

    (result,) = run_calls(resources_copy, server, mode, [call])

    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/public/messages")
    assert body_of(request) == {
        "inboxId": "inbox-123",
        "to": ["+15550100", "+15550101"],
        "body": "Hello",
        "channel": "whatsapp",
        "sendAt": "2024-05-06T07:08:09+00:00",
        "metadata": {"campaignId": "camp-1", "tags": ["spring", "vip"]},
        "from": "+15550199",
        "timeout": 30,
        "extraHeaders": {"X-Mailer": "clerk"},
    }
    assert request.headers["idempotency-key"] == "key-1"
    assert request.headers["x-request-source"] == "tests"
    assert request.headers["apikey"] == API_KEY
    assert result == PARSED


@pytest.mark.parametrize("mode", MODES)
def test_optional_properties_are_not_sent_and_an_enum_takes_its_member_or_its_value(
    resources_copy: RepoCopy, server: FakeClerk, mode: str
) -> None:
    server.default = Reply.json({"data": MESSAGE}, status=201)
    required = 'inbox_id="inbox-1", to=["+15550100"], body="Hi"'
    calls = [
        f'client.messages.send_message({required}, channel="sms")',
        f"client.messages.send_message({required}, channel=SendMessageRequestChannel.SMS)",
        f'client.messages.send_message({required}, channel="fax")',
    ]

    sent_value, sent_member, unknown = run_calls(resources_copy, server, mode, calls)

    first, second = server.requests  # the unknown value never left the process
    expected = {"inboxId": "inbox-1", "to": ["+15550100"], "body": "Hi", "channel": "sms"}
    assert body_of(first) == body_of(second) == expected
    assert sent_value == sent_member == PARSED
    assert unknown == {"error": "ValueError", "message": "channel: 'fax' is not one of 'mms', 'sms', 'whatsapp'"}


@pytest.mark.parametrize("mode", MODES)
def test_path_parameters_come_first_and_a_body_property_named_like_one_gets_the_body_suffix(
    resources_copy: RepoCopy, server: FakeClerk, mode: str
) -> None:
    server.default = Reply.json({"data": MESSAGE})
    calls = [
        'client.messages.update_message("inbox-1", "msg-1", inbox_id_body="inbox-2", body="Moved")',
        'client.messages.update_message(message_id="msg-2", inbox_id="inbox-3")',
        'client.messages.find_message("msg 3/x")',
    ]

    moved, untouched, found = run_calls(resources_copy, server, mode, calls)

    first, second, third = server.requests
    assert (first.method, first.path) == ("PATCH", "/public/inboxes/inbox-1/messages/msg-1")
    assert body_of(first) == {"inboxId": "inbox-2", "body": "Moved"}
    assert (second.method, second.path) == ("PATCH", "/public/inboxes/inbox-3/messages/msg-2")
    assert body_of(second) == {}
    assert (third.method, third.path) == ("GET", "/public/messages/msg%203%2Fx")
    assert moved == untouched == found == PARSED


@pytest.mark.parametrize("mode", MODES)
def test_a_body_that_is_not_a_json_object_is_passed_as_body(
    resources_copy: RepoCopy, server: FakeClerk, mode: str
) -> None:
    server.script(Reply.json({"imported": 2}, status=201))
    call = 'client.contacts.import_contacts(body=[ContactInput("Ada", "+15550100"), ContactInput("Alan", "+15550101")])'

    (result,) = run_calls(resources_copy, server, mode, [call])

    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/public/contacts/import")
    assert body_of(request) == [{"name": "Ada", "phone": "+15550100"}, {"name": "Alan", "phone": "+15550101"}]
    assert result == {"type": "ImportResult", "json": {"imported": 2}}


@pytest.mark.parametrize("mode", MODES)
def test_untagged_operations_are_under_default_and_a_query_parameter_named_timeout_is_renamed(
    resources_copy: RepoCopy, server: FakeClerk, mode: str
) -> None:
    server.default = Reply.json({"status": "ok"})
    calls = ["client.default.check(timeout_query=5)", "client.default.check()"]

    with_query, without = run_calls(resources_copy, server, mode, calls)

    assert [request.path for request in server.requests] == ["/public/health?timeout=5", "/public/health"]
    assert with_query == without == {"type": "HealthResponse", "json": {"status": "ok"}}


@pytest.mark.parametrize("mode", MODES)
def test_an_answer_without_a_documented_body_returns_none(
    resources_copy: RepoCopy, server: FakeClerk, mode: str
) -> None:
    server.script(Reply(204))

    (result,) = run_calls(resources_copy, server, mode, ['client.messages.delete_message("msg-1")'])

    assert [(r.method, r.path, r.status) for r in server.requests] == [("DELETE", "/public/messages/msg-1", 204)]
    assert result is None


# --- per-call options, raw responses, errors ---------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_timeout_applies_to_its_call_only(resources_copy: RepoCopy, server: FakeClerk, mode: str) -> None:
    server.script(Hang(), dataclasses.replace(Reply.json({"status": "ok"}), delay_headers=0.3))
    calls = ["client.default.check(timeout=0.1)", "client.default.check()"]

    timed_out, patient = run_calls(resources_copy, server, mode, calls, options="max_retries=0")

    assert timed_out["error"] == "APITimeoutError", timed_out
    assert patient == {"type": "HealthResponse", "json": {"status": "ok"}}  # the client's 30 s timeout
    assert len(server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_extra_headers_win_over_generated_headers_but_never_over_the_key(
    resources_copy: RepoCopy, server: FakeClerk, mode: str
) -> None:
    server.default = Reply.json({"data": MESSAGE}, status=201)
    call = (
        'client.messages.send_message(inbox_id="i", to=["+1"], body="b", channel="sms", idempotency_key="generated",'
        ' extra_headers={"idempotency-key": "chosen", "apiKey": "forged"})'
    )

    run_calls(resources_copy, server, mode, [call])

    (request,) = server.requests
    assert request.headers["idempotency-key"] == "chosen"  # one header, the call's
    assert request.headers["apikey"] == API_KEY


@pytest.mark.parametrize("mode", MODES)
def test_with_raw_response_returns_the_generated_response(
    resources_copy: RepoCopy, server: FakeClerk, mode: str
) -> None:
    server.script(Reply.json({"data": MESSAGE}, status=201), Reply(204))
    calls = [
        'client.messages.with_raw_response.send_message(inbox_id="i", to=["+1"], body="b", channel="mms")',
        'client.messages.with_raw_response.delete_message("msg-1")',
    ]

    sent, deleted = run_calls(resources_copy, server, mode, calls)

    assert sent == {"type": "Response", "status": 201, "parsed": PARSED}
    assert deleted == {"type": "Response", "status": 204, "parsed": None}
    assert body_of(server.requests[0])["channel"] == "mms"


@pytest.mark.parametrize("mode", MODES)
def test_errors_are_the_typed_exceptions(resources_copy: RepoCopy, server: FakeClerk, mode: str) -> None:
    server.default = Reply.json({"message": "no such message"}, status=404)
    calls = [
        'client.messages.find_message("gone")',
        'client.with_options(raise_on_error=False).messages.find_message("gone")',
        'client.with_options(raise_on_error=False).messages.with_raw_response.find_message("gone")',
    ]

    raised, unraised, raw = run_calls(resources_copy, server, mode, calls)

    assert raised["error"] == unraised["error"] == "NotFoundError"  # a resource method returns 2xx models only
    assert "404" in raised["message"] and "/public/messages/gone" in raised["message"]
    assert raw == {"type": "Response", "status": 404, "parsed": None}


# --- laziness and types ------------------------------------------------------------------------


def test_importing_the_package_imports_no_tag_and_touching_a_tag_imports_that_tag_only(
    resources_copy: RepoCopy,
) -> None:
    code = """
        import json, sys
        def tags():
            return sorted({name.split(".")[2] for name in sys.modules if name.startswith("clerk_chat_client.api.")})
        import clerk_chat_client
        out = {"after_import": tags(), "models": "clerk_chat_client.models" in sys.modules}
        client = clerk_chat_client.ClerkChatClient(api_key="k")
        async_client = clerk_chat_client.AsyncClerkChatClient(api_key="k")
        out["after_clients"] = tags()
        client.messages
        out["after_messages"] = tags()
        async_client.contacts.find_contacts
        out["after_contacts"] = tags()
        out["cached"] = client.messages is client.messages
        print(json.dumps(out))
    """
    out = run_script(code, package_parent=resources_copy.package_parent).output

    assert out["after_import"] == out["after_clients"] == []
    assert out["models"] is False
    assert out["after_messages"] == ["messages"]
    assert out["after_contacts"] == ["contacts", "messages"]
    assert out["cached"] is True


_TYPED_USE = """
    from typing import Any, assert_type

    from clerk_chat_client import AsyncClerkChatClient, ClerkChatClient
    from clerk_chat_client.models import ImportResult, MessageResponse, SendMessageRequestChannel, ContactInput
    from clerk_chat_client.types import Response

    def sync_use(client: ClerkChatClient) -> None:
        sent = client.messages.send_message(inbox_id="i", to=["+1"], body="b", channel="sms", timeout=5)
        assert_type(sent, MessageResponse)
        assert_type(sent.data.body, str)
        assert_type(client.messages.send_message(inbox_id="i", to=[], body="b", channel=SendMessageRequestChannel.MMS), MessageResponse)
        assert_type(client.contacts.import_contacts(body=[ContactInput("Ada", "+1")]), ImportResult)
        raw = client.messages.with_raw_response.find_message("m")
        assert_type(raw, Response[Any | MessageResponse])

    async def async_use(client: AsyncClerkChatClient) -> None:
        sent = await client.messages.send_message(inbox_id="i", to=["+1"], body="b", channel="whatsapp")
        assert_type(sent, MessageResponse)
        raw = await client.messages.with_raw_response.update_message("i", "m", body="x")
        assert_type(raw.parsed, Any | MessageResponse | None)
"""

_TYPE_ERRORS = {
    'client.messages.send_message(inbox_id="i", to="+1", body="b", channel="sms")': 'Argument "to"',
    'client.messages.send_message(inbox_id="i", to=["+1"], body="b", channel="fax")': 'Argument "channel"',
    'client.messages.send_message(inbox_id="i", to=["+1"], channel="sms")': 'Missing named argument "body"',
    "client.messages.find_message(42)": 'Argument 1 to "find_message"',
    'client.default.check(timeout="soon")': 'Argument "timeout"',
    'client.messages.update_message("i", "m", inbox_id="j")': 'multiple values for keyword argument "inbox_id"',
}


def test_user_code_type_checks_with_the_precise_types(resources_copy: RepoCopy, tmp_path: Path) -> None:
    result = typecheck(_TYPED_USE, tmp_path, package_parent=resources_copy.package_parent)

    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_flags_wrong_arguments(resources_copy: RepoCopy, tmp_path: Path) -> None:
    lines = "\n".join(f"    {call}  # case {index}" for index, call in enumerate(_TYPE_ERRORS))
    code = f"from clerk_chat_client import ClerkChatClient\n\ndef use(client: ClerkChatClient) -> None:\n{lines}\n"

    result = typecheck(code, tmp_path, package_parent=resources_copy.package_parent)

    assert result.returncode == 1, result.stdout + result.stderr
    for index, (call, message) in enumerate(_TYPE_ERRORS.items()):
        line = index + 4
        assert re.search(rf"user_script\.py:{line}: error: .*{re.escape(message)}", result.stdout), (
            call,
            result.stdout,
        )


# --- the real spec: both clients, the functional style, the README -----------------------------


def test_both_clients_share_one_constructor_and_their_options() -> None:
    assert inspect.signature(AsyncClerkChatClient) == inspect.signature(ClerkChatClient)
    client = AsyncClerkChatClient(api_key=API_KEY, max_retries=4)
    copy = client.with_options(timeout=3)

    assert type(copy) is AsyncClerkChatClient and copy.max_retries == 4
    assert copy._policy.gate is client._policy.gate  # one rate-limit gate for a client and its copies
    assert API_KEY not in repr(copy) and repr(copy).startswith("AsyncClerkChatClient(")


@pytest.mark.anyio
async def test_the_async_client_calls_and_closes_its_pool(server: FakeClerk) -> None:
    async with AsyncClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
        stream = await client.twilio.connect(inbox_external_id="inbox-123", direction="outbound")
        functional = await connect.asyncio(client=client, body=ConnectTwilioRequest("inbox-9"))
        pool = client.get_async_httpx_client()

    assert stream.data.connect_url == functional.data.connect_url == "wss://example.test/stream"
    assert [body_of(r) for r in server.requests] == [
        {"inboxExternalId": "inbox-123", "direction": "outbound"},
        {"inboxExternalId": "inbox-9", "direction": "inbound"},
    ]
    assert pool.is_closed


def test_the_sync_client_keeps_the_functional_style(server: FakeClerk) -> None:
    with ClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
        resource = client.twilio.connect(inbox_external_id="inbox-1")
        functional = connect.sync(client=client, body=ConnectTwilioRequest("inbox-1"))

    assert resource == functional
    assert body_of(server.requests[0]) == {"inboxExternalId": "inbox-1"}  # `direction` not sent: the server's default


def _python_block_after(heading: str, readme: Path) -> str:
    text = readme.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no python block under {heading} in {readme}"
    return match[1]


@pytest.mark.parametrize(
    "readme", [REPO / "README.md", REPO / "generated" / "clerk-chat-client" / "README.md"], ids=["top", "generated"]
)
def test_the_readme_quickstart_runs_as_written(server: FakeClerk, readme: Path) -> None:
    code = _python_block_after("## Quickstart", readme)

    result = run_script(code, env={"CLERK_CHAT_API_KEY": API_KEY, "CLERK_CHAT_BASE_URL": server.url})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wss://example.test/stream"
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/public/twilio-connector/connect")
    assert request.headers["apikey"] == API_KEY
    assert body_of(request) == {"inboxExternalId": "inbox-123", "direction": "outbound"}


def test_the_generated_reference_marks_the_paginated_methods_and_no_other(resources_copy: RepoCopy) -> None:
    readme = (resources_copy.root / "generated" / "clerk-chat-client" / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"(?m)^#### `client\.([\w.]+)`(.*)$", readme.split("\n## API reference\n", 1)[1])

    marked = {call for call, rest in headings if rest == " (paginated)"}
    assert marked == {"messages.find_messages", "contacts.find_contacts", "admin_users.find_all"}, headings
    assert all(rest in ("", " (paginated)") for _, rest in headings), headings
    assert len(headings) > len(marked)


def test_the_generated_readme_lists_every_operation_with_its_call() -> None:
    readme = (REPO / "generated" / "clerk-chat-client" / "README.md").read_text(encoding="utf-8")
    reference = readme.split("\n## API reference\n", 1)[1]

    assert "#### `client.twilio.connect`" in reference
    assert (
        textwrap.dedent(
            """\
        client.twilio.connect(
            *,
            inbox_external_id: str,
            direction: ConnectTwilioRequestDirection | Literal["inbound", "outbound"] | Unset = UNSET,
        ) -> TwilioConnectorResponse
        """
        )
        in reference
    )
