"""Issue 3: the key goes where the spec says, only to the base URL's origin, and nowhere else."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from clerk_chat_client import (
    ClerkChatClient,
    ClerkChatError,
    InsecureBaseURLError,
    MissingAPIKeyError,
    MissingBaseURLError,
    _settings,
)
from clerk_chat_client._credentials import SENDS_KEY
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk, RecordedRequest, Redirect, Reply
from tests.support.repo_copy import copy_repo

BODY = ConnectTwilioRequest(inbox_external_id="inbox-123")
KEY_HEADER = _settings.API_KEY_NAME.lower()


def test_sync_call_sends_the_key_in_the_spec_header(
    make_client: Callable[..., ClerkChatClient], server: FakeClerk
) -> None:
    result = connect.sync(client=make_client(), body=BODY)

    assert result.data.connect_url == "wss://example.test/stream"
    assert server.requests[-1].headers[KEY_HEADER] == API_KEY
    assert "authorization" not in server.requests[-1].headers


@pytest.mark.anyio
async def test_async_call_sends_the_key(server: FakeClerk) -> None:
    async with ClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
        result = await connect.asyncio(client=client, body=BODY)

    assert result.data.connect_url == "wss://example.test/stream"
    assert server.requests[-1].headers[KEY_HEADER] == API_KEY


def test_environment_alone_configures_the_client(monkeypatch: pytest.MonkeyPatch, server: FakeClerk) -> None:
    monkeypatch.setenv("CLERK_CHAT_API_KEY", "from-the-environment")
    monkeypatch.setenv("CLERK_CHAT_BASE_URL", server.url)

    with ClerkChatClient() as client:
        connect.sync(client=client, body=BODY)

    assert server.requests[-1].headers[KEY_HEADER] == "from-the-environment"


def test_arguments_beat_the_environment(monkeypatch: pytest.MonkeyPatch, server: FakeClerk) -> None:
    monkeypatch.setenv("CLERK_CHAT_API_KEY", "from-the-environment")
    monkeypatch.setenv("CLERK_CHAT_BASE_URL", "http://127.0.0.1:9")  # nothing listens there

    with ClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
        connect.sync(client=client, body=BODY)

    assert server.requests[-1].headers[KEY_HEADER] == API_KEY


def test_base_url_defaults_to_the_specs_first_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLERK_CHAT_BASE_URL", raising=False)

    assert ClerkChatClient(api_key=API_KEY).base_url == "https://web-api.clerk.chat" == _settings.SERVERS[0]


@pytest.mark.parametrize("empty", [None, ""])
def test_missing_key_is_a_clear_error_naming_both_sources(monkeypatch: pytest.MonkeyPatch, empty: str | None) -> None:
    monkeypatch.delenv("CLERK_CHAT_API_KEY", raising=False)
    if empty is not None:
        monkeypatch.setenv("CLERK_CHAT_API_KEY", empty)

    with pytest.raises(MissingAPIKeyError) as caught:
        ClerkChatClient(base_url="https://example.test")

    assert isinstance(caught.value, ClerkChatError)
    assert "api_key" in str(caught.value) and "CLERK_CHAT_API_KEY" in str(caught.value)


@pytest.mark.parametrize("url", ["http://api.example.test", "http://10.1.2.3:3000", "http://[2001:db8::1]/"])
def test_plain_http_off_this_machine_is_refused(url: str) -> None:
    with pytest.raises(InsecureBaseURLError, match="allow_insecure_http"):
        ClerkChatClient(api_key=API_KEY, base_url=url)


@pytest.mark.parametrize("url", ["http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:8080"])
def test_plain_http_on_loopback_is_allowed(url: str) -> None:
    assert ClerkChatClient(api_key=API_KEY, base_url=url).base_url == url


def test_allow_insecure_http_opts_in() -> None:
    client = ClerkChatClient(api_key=API_KEY, base_url="http://api.example.test", allow_insecure_http=True)

    assert client.base_url == "http://api.example.test"


def test_redirect_to_another_origin_goes_without_the_key(
    make_client: Callable[..., ClerkChatClient], server: FakeClerk
) -> None:
    with FakeClerk() as elsewhere:
        server.script(Redirect(f"{elsewhere.url}/public/twilio-connector/connect", status=307))
        result = connect.sync(client=make_client(), body=BODY)

        assert result.data.connect_url == "wss://example.test/stream"
        assert server.requests[-1].headers[KEY_HEADER] == API_KEY
        assert len(elsewhere.requests) == 1
        assert KEY_HEADER not in elsewhere.requests[0].headers
        assert elsewhere.requests[0].body == server.requests[-1].body  # a 307 keeps the body


@pytest.mark.anyio
async def test_async_redirect_to_another_origin_goes_without_the_key(server: FakeClerk) -> None:
    with FakeClerk() as elsewhere:
        server.script(Redirect(f"{elsewhere.url}/public/twilio-connector/connect", status=307))
        async with ClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
            await connect.asyncio(client=client, body=BODY)

        assert KEY_HEADER not in elsewhere.requests[0].headers


def test_redirect_back_to_the_origin_keeps_the_key(
    make_client: Callable[..., ClerkChatClient], server: FakeClerk
) -> None:
    server.script(Redirect("/public/twilio-connector/connect?moved=1", status=307))

    connect.sync(client=make_client(), body=BODY)

    assert [r.headers.get(KEY_HEADER) for r in server.requests] == [API_KEY, API_KEY]


def test_with_options_returns_a_configured_copy(make_client: Callable[..., ClerkChatClient], server: FakeClerk) -> None:
    original = make_client(max_retries=2)

    copy = original.with_options(max_retries=5, headers={"X-Trace": "1"})
    connect.sync(client=copy, body=BODY)

    assert (copy.max_retries, original.max_retries) == (5, 2)
    assert copy.base_url == original.base_url
    assert server.requests[-1].headers["x-trace"] == "1"
    assert server.requests[-1].headers[KEY_HEADER] == API_KEY
    with pytest.raises(TypeError, match="nonsense"):
        original.with_options(nonsense=1)


def test_the_key_never_shows_in_reprs_logs_or_errors(
    make_client: Callable[..., ClerkChatClient],
    server: FakeClerk,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx2 and httpcore included
    client = make_client(max_retries=1)
    server.script(
        Reply(429, headers={"Retry-After": "0"}),
        Reply.json({"message": f"key {API_KEY} is revoked"}, status=401),  # a server echoing the key
    )
    seen: list[str] = [repr(client), str(client), repr(vars(client)), repr(client.get_httpx_client())]
    with pytest.raises(ClerkChatError) as status_error:
        connect.sync(client=client, body=BODY)
    seen += [str(status_error.value), repr(status_error.value), repr(status_error.value.headers)]  # type: ignore[attr-defined]
    with pytest.raises(ClerkChatError) as connection_error:
        connect.sync(client=client.with_options(base_url="http://127.0.0.1:9"), body=BODY)
    seen += [str(connection_error.value), repr(connection_error.value)]

    captured = capsys.readouterr()
    seen += [caplog.text, captured.out, captured.err]
    assert server.requests[0].headers[KEY_HEADER] == API_KEY  # the key was really in play
    leaks = [text for text in seen if API_KEY in text]
    assert leaks == []


def _write_spec_with_header(spec: Path, header: str) -> None:
    text = spec.read_text(encoding="utf-8")
    assert "name: apiKey" in text
    spec.write_text(text.replace("name: apiKey", f"name: {header}"), encoding="utf-8")


def test_renaming_the_spec_header_and_regenerating_sends_the_new_header(tmp_path: Path, server: FakeClerk) -> None:
    repo = copy_repo(tmp_path / "repo")
    _write_spec_with_header(repo.spec, "X-Clerk-Key")

    result = repo.generate()
    assert result.returncode == 0, result.stderr

    script = textwrap.dedent(
        f"""
        from clerk_chat_client import ClerkChatClient
        from clerk_chat_client.api.twilio import connect
        from clerk_chat_client.models import ConnectTwilioRequest
        with ClerkChatClient(api_key={API_KEY!r}, base_url={server.url!r}) as client:
            print(connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id="i")).data.connect_url)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(repo.package_parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert server.requests[-1].headers["x-clerk-key"] == API_KEY
    assert "apikey" not in server.requests[-1].headers


PLACEMENTS: list[tuple[str, str, str, Callable[[RecordedRequest], bool]]] = [
    ("query", "api_key", "", lambda r: f"api_key={API_KEY}" in r.path),
    ("header", "Authorization", "Bearer ", lambda r: r.headers["authorization"] == f"Bearer {API_KEY}"),
    ("header", "Authorization", "ApiKey ", lambda r: r.headers["authorization"] == f"ApiKey {API_KEY}"),
    ("cookie", "session", "", lambda r: f"session={API_KEY}" in r.headers["cookie"]),
]


@pytest.mark.parametrize(
    ("location", "name", "prefix", "arrived"), PLACEMENTS, ids=["query", "bearer", "apikey-prefix", "cookie"]
)
def test_key_goes_to_query_bearer_or_cookie_when_the_scheme_says_so(
    monkeypatch: pytest.MonkeyPatch,
    server: FakeClerk,
    location: str,
    name: str,
    prefix: str,
    arrived: Callable[[RecordedRequest], bool],
) -> None:
    """The placement logic for every scheme kind the pipeline accepts (as _settings.py would say)."""
    monkeypatch.setattr(_settings, "API_KEY_LOCATION", location)
    monkeypatch.setattr(_settings, "API_KEY_NAME", name)
    monkeypatch.setattr(_settings, "API_KEY_PREFIX", prefix)

    with ClerkChatClient(api_key=API_KEY, base_url=server.url) as client:
        connect.sync(client=client, body=BODY)

    assert arrived(server.requests[-1]), server.requests[-1]


def test_a_request_whose_operation_is_public_goes_without_the_key_on_every_hop(
    make_client: Callable[..., ClerkChatClient], server: FakeClerk
) -> None:
    """Generated `_get_kwargs` say per operation whether the key goes (issue 18); a request
    built by hand, without the flag, gets it."""
    server.script(Redirect("/public/health?moved=1", status=307))
    client = make_client()

    client.get_httpx_client().request("GET", "/public/health", extensions={SENDS_KEY: False})
    client.get_httpx_client().request("GET", "/public/contacts", extensions={SENDS_KEY: True})
    client.get_httpx_client().request("GET", "/public/contacts")

    assert [r.headers.get(KEY_HEADER) for r in server.requests] == [None, None, API_KEY, API_KEY]


def test_an_api_without_security_needs_no_key(monkeypatch: pytest.MonkeyPatch, server: FakeClerk) -> None:
    monkeypatch.delenv("CLERK_CHAT_API_KEY", raising=False)
    monkeypatch.setattr(_settings, "API_KEY_LOCATION", None)

    with ClerkChatClient(base_url=server.url) as client:
        connect.sync(client=client, body=BODY)

    assert KEY_HEADER not in server.requests[-1].headers


def test_without_a_server_in_the_spec_a_missing_base_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLERK_CHAT_BASE_URL", raising=False)
    monkeypatch.setattr(_settings, "DEFAULT_BASE_URL", None)

    with pytest.raises(MissingBaseURLError) as caught:
        ClerkChatClient(api_key=API_KEY)

    assert isinstance(caught.value, ClerkChatError)
    assert "base_url" in str(caught.value) and "CLERK_CHAT_BASE_URL" in str(caught.value)


@pytest.mark.anyio
async def test_close_and_aclose_release_every_connection(server: FakeClerk) -> None:
    client = ClerkChatClient(api_key=API_KEY, base_url=server.url)
    connect.sync(client=client, body=BODY)
    await connect.asyncio(client=client, body=BODY)
    assert server.open_connections == 2

    await client.aclose()

    server.wait_idle()
    for _ in range(100):
        if server.open_connections == 0:
            break
        await anyio.sleep(0.02)
    assert server.open_connections == 0
    assert client.get_httpx_client().is_closed and client.get_async_httpx_client().is_closed
