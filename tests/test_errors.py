"""Issue 5: typed errors from every call style, typed success values, readable names."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import clerk_chat_client
import pytest
from clerk_chat_client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClerkChatClient,
    ClerkChatError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    UnprocessableEntityError,
)
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest, TwilioConnectorResponse

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk, Hang, Reply, free_port

BODY = ConnectTwilioRequest(inbox_external_id="inbox-123")
PATH = "/public/twilio-connector/connect"
Call = Callable[[ClerkChatClient], Awaitable[Any]]


async def _sync(client: ClerkChatClient) -> Any:
    return connect.sync(client=client, body=BODY)


async def _sync_detailed(client: ClerkChatClient) -> Any:
    return connect.sync_detailed(client=client, body=BODY)


async def _asyncio(client: ClerkChatClient) -> Any:
    return await connect.asyncio(client=client, body=BODY)


async def _asyncio_detailed(client: ClerkChatClient) -> Any:
    return await connect.asyncio_detailed(client=client, body=BODY)


CALLS = pytest.mark.parametrize("call", [_sync, _sync_detailed, _asyncio, _asyncio_detailed], ids=lambda c: c.__name__)
STATUSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, APIStatusError),
    (418, APIStatusError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (501, InternalServerError),
    (520, InternalServerError),
    (599, InternalServerError),
]


@pytest.mark.anyio
@CALLS
@pytest.mark.parametrize(("status", "error"), STATUSES)
async def test_error_statuses_raise_the_typed_exception_with_its_fields(
    server: FakeClerk, call: Call, status: int, error: type[APIStatusError]
) -> None:
    server.default = Reply.json({"message": "nope", "status": status}, status=status, headers={"X-Request-Id": "r-1"})
    async with ClerkChatClient(api_key=API_KEY, base_url=server.url, max_retries=0) as client:
        with pytest.raises(APIStatusError) as caught:
            await call(client)

    exc = caught.value
    assert type(exc) is error and isinstance(exc, ClerkChatError)
    assert exc.status_code == status
    assert exc.headers["x-request-id"] == "r-1"
    assert exc.json == {"message": "nope", "status": status}
    assert b'"nope"' in exc.body
    assert (exc.method, exc.url) == ("POST", f"{server.url}{PATH}")
    assert str(status) in str(exc) and "nope" in str(exc)


@pytest.mark.anyio
async def test_rate_limit_error_carries_retry_after(server: FakeClerk) -> None:
    server.default = Reply(429, headers={"Retry-After": "7"}, body=b"slow down")
    async with ClerkChatClient(api_key=API_KEY, base_url=server.url, max_retries=0) as client:
        with pytest.raises(RateLimitError) as caught:
            await connect.asyncio(client=client, body=BODY)

    assert caught.value.retry_after == 7.0
    assert caught.value.json is None and caught.value.body == b"slow down"


@pytest.mark.anyio
@CALLS
async def test_unreachable_server_is_a_connection_error_with_its_cause(call: Call) -> None:
    async with ClerkChatClient(api_key=API_KEY, base_url=f"http://127.0.0.1:{free_port()}", max_retries=0) as client:
        with pytest.raises(APIConnectionError) as caught:
            await call(client)

    assert not isinstance(caught.value, APITimeoutError)
    assert caught.value.__cause__ is not None and "ConnectError" in type(caught.value.__cause__).__name__


@pytest.mark.anyio
@CALLS
async def test_a_server_that_never_answers_is_a_timeout_error(server: FakeClerk, call: Call) -> None:
    server.default = Hang()
    async with ClerkChatClient(api_key=API_KEY, base_url=server.url, timeout=0.3, max_retries=0) as client:
        with pytest.raises(APITimeoutError) as caught:
            await call(client)

    assert isinstance(caught.value, APIConnectionError)
    assert "Timeout" in type(caught.value.__cause__).__name__


MALFORMED = {
    "not json": Reply(200, headers={"Content-Type": "application/json"}, body=b"<html>oops</html>"),
    "empty body": Reply(200, headers={"Content-Type": "application/json"}),
    "missing data": Reply.json({}),
    "missing connectUrl": Reply.json({"data": {}}),
    "data is a list": Reply.json({"data": ["wss://x"]}),
    "body is a list": Reply.json([1, 2, 3]),
    "body is a string": Reply.json("hello"),
    "data is null": Reply.json({"data": None}),
}


@pytest.mark.anyio
@CALLS
@pytest.mark.parametrize("reply", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_success_bodies_raise_response_validation_error(
    server: FakeClerk, call: Call, reply: Reply
) -> None:
    server.default = reply
    async with ClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await call(client)

    assert caught.value.operation == f"POST {PATH} (connect)"
    assert caught.value.status_code == 200
    assert "connect" in str(caught.value) and "does not match the spec" in str(caught.value)
    assert len(server.requests) == 1  # a bad body is not retried


def test_undocumented_success_status_is_not_returned_as_none(server: FakeClerk) -> None:
    server.default = Reply.json({"data": {"connectUrl": "wss://x"}}, status=201)
    with (
        ClerkChatClient(api_key=API_KEY, base_url=server.url) as client,
        pytest.raises(ResponseValidationError) as caught,
    ):
        connect.sync(client=client, body=BODY)

    assert "201 is not a documented success response" in str(caught.value)


@pytest.mark.anyio
async def test_raise_on_error_false_restores_the_generated_detailed_behaviour(server: FakeClerk) -> None:
    server.default = Reply.json({"message": "who are you"}, status=401)
    async with ClerkChatClient(api_key=API_KEY, base_url=server.url, raise_on_error=False) as client:
        sync_response = connect.sync_detailed(client=client, body=BODY)
        async_response = await connect.asyncio_detailed(client=client, body=BODY)
        with pytest.raises(AuthenticationError):
            connect.sync(client=client, body=BODY)  # returns the model or raises: never None

    for response in (sync_response, async_response):
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.parsed is None
        assert b"who are you" in response.content


def test_raise_on_error_false_still_types_statuses_outside_the_iana_list(server: FakeClerk) -> None:
    server.default = Reply(520, body=b"origin error")
    with ClerkChatClient(api_key=API_KEY, base_url=server.url, raise_on_error=False, max_retries=0) as client:
        with pytest.raises(InternalServerError) as caught:
            connect.sync_detailed(client=client, body=BODY)

    assert caught.value.status_code == 520


def test_success_returns_the_model(server: FakeClerk) -> None:
    with ClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
        result = connect.sync(client=client, body=BODY)
        detailed = connect.sync_detailed(client=client, body=BODY)

    assert isinstance(result, TwilioConnectorResponse)
    assert isinstance(detailed.parsed, TwilioConnectorResponse)
    assert detailed.status_code == HTTPStatus.OK


def test_operation_modules_have_readable_names() -> None:
    import clerk_chat_client.api.twilio as twilio

    modules = {path.stem for path in Path(twilio.__file__).parent.glob("*.py")} - {"__init__"}
    assert modules == {"connect"}


def test_every_exception_is_importable_from_the_package() -> None:
    names = {
        "ClerkChatError", "APIStatusError", "BadRequestError", "AuthenticationError", "PermissionDeniedError",
        "NotFoundError", "UnprocessableEntityError", "RateLimitError", "InternalServerError",
        "APIConnectionError", "APITimeoutError",
    }  # fmt: skip
    assert names <= set(clerk_chat_client.__all__)
    assert all(issubclass(getattr(clerk_chat_client, name), ClerkChatError) for name in names)


def test_user_code_type_checks_under_mypy_strict_without_casts(tmp_path: Path) -> None:
    script = tmp_path / "user_script.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio

            from clerk_chat_client import ClerkChatClient, RateLimitError
            from clerk_chat_client.api.twilio import connect
            from clerk_chat_client.models import ConnectTwilioRequest


            def stream_url(client: ClerkChatClient) -> str:
                result = connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id="inbox-123"))
                return result.data.connect_url


            async def stream_url_async(client: ClerkChatClient) -> str:
                result = await connect.asyncio(client=client, body=ConnectTwilioRequest(inbox_external_id="i"))
                return result.data.connect_url


            def retry_after(error: RateLimitError) -> float | None:
                return error.retry_after


            if __name__ == "__main__":
                print(stream_url(ClerkChatClient()), asyncio.run(stream_url_async(ClerkChatClient())))
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
