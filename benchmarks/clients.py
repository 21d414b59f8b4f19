"""The ways of making the same call that the benchmark compares, one factory function per case.

Each case is one `connect` call that ends with the websocket URL as a `str`, so every case does
the same useful work: raw httpx2 (the floor) and raw httpx (the old stack, a reference) parse the
JSON by hand, the generated functions go through the generated operation and its attrs models
(with the generated AuthenticatedClient, and with ClerkChatClient), the resource surface is
`client.twilio.connect(inbox_external_id=...)` on ClerkChatClient (sync) and AsyncClerkChatClient
(async), and the Stainless-made anthropic SDK goes through its generic `client.post(path,
body=..., cast_to=...)` (its retries, auth headers, idempotency key and pydantic parsing) into a
small model of the response. All clients get the same pool limits and the same `max_retries` (2),
so only the client code differs.

A case is a factory `(base_url, no_network) -> SyncCase` (or `base_url -> AsyncCase`, created
inside the event loop that uses it) listed in `SYNC_CASES` / `ASYNC_CASES`: a new way of calling
(a resource method, say) is one function and one line there. With `no_network` a sync case talks
to a MockTransport of its own stack instead, so what is timed is the client's own CPU.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import clerk_chat_client
import httpx
import httpx2
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models.connect_twilio_request import ConnectTwilioRequest

from .server import CONNECT_PATH, CONNECT_URL

API_KEY = "bench-key-not-a-secret"
INBOX = "inbox-1"
MAX_RETRIES = 2  # ClerkChatClient's default, given to the peers too
# What ConnectTwilioRequest(inbox_external_id=INBOX).to_dict() sends, so the raw and peer cases post the same bytes.
RAW_PAYLOAD = {"inboxExternalId": INBOX, "direction": "inbound"}

RAW = "raw httpx2"
RAW_HTTPX = "raw httpx"
GENERATED = "generated client"
CLERK = "ClerkChatClient, generated functions"
RESOURCE = "client.twilio.connect (resource)"  # ClerkChatClient sync, AsyncClerkChatClient async
ANTHROPIC = "anthropic client.post"


def pool_limits(stack: Any = httpx2) -> Any:
    """Room for 100 concurrent requests, every connection kept alive (no reconnect churn).

    keepalive_expiry is raised from httpx's 5 s: while the other cases run their batches, a case's
    idle connections would otherwise expire and its next batch would time reconnecting. It stays
    below the server's keep-alive timeout (60 s), so no client reuses a connection the server closed.
    """
    limits: Any = stack.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0)
    return limits


@dataclass(frozen=True)
class SyncCase:
    name: str
    call: Callable[[], str]
    close: Callable[[], None]


@dataclass(frozen=True)
class AsyncCase:
    name: str
    call: Callable[[], Awaitable[str]]
    close: Callable[[], Awaitable[None]]


_MOCK_BODY = json.dumps({"data": {"connectUrl": CONNECT_URL}}).encode()


def mock_transport(stack: Any = httpx2) -> Any:
    """The server's answer without a network: what is left to time is the client's own CPU."""
    return stack.MockTransport(
        lambda request: stack.Response(200, content=_MOCK_BODY, headers={"content-type": "application/json"})
    )


# --- raw httpx2 and raw httpx (one API, so one pair of factories) -------------------------------


def _raw_sync(name: str, stack: Any) -> Callable[[str, bool], SyncCase]:
    def factory(base_url: str, no_network: bool) -> SyncCase:
        url, headers = base_url + CONNECT_PATH, {"apiKey": API_KEY}
        raw = stack.Client(transport=mock_transport(stack)) if no_network else stack.Client(limits=pool_limits(stack))

        def call() -> str:
            url_value: str = raw.post(url, json=RAW_PAYLOAD, headers=headers).json()["data"]["connectUrl"]
            return url_value

        return SyncCase(name, call, raw.close)

    return factory


def _raw_async(name: str, stack: Any) -> Callable[[str], AsyncCase]:
    def factory(base_url: str) -> AsyncCase:
        url, headers = base_url + CONNECT_PATH, {"apiKey": API_KEY}
        raw = stack.AsyncClient(limits=pool_limits(stack))

        async def call() -> str:
            response = await raw.post(url, json=RAW_PAYLOAD, headers=headers)
            url_value: str = response.json()["data"]["connectUrl"]
            return url_value

        return AsyncCase(name, call, raw.aclose)

    return factory


# --- the generated functions, with the generated AuthenticatedClient and with ClerkChatClient ----


def _httpx_args(no_network: bool) -> dict[str, Any]:
    return {"transport": mock_transport()} if no_network else {"limits": pool_limits()}


def _generated_client(base_url: str, no_network: bool = False) -> clerk_chat_client.AuthenticatedClient:
    return clerk_chat_client.AuthenticatedClient(
        base_url=base_url, token=API_KEY, prefix="", auth_header_name="apiKey", httpx_args=_httpx_args(no_network)
    )


def _clerk_client(base_url: str, no_network: bool = False) -> clerk_chat_client.ClerkChatClient:
    return clerk_chat_client.ClerkChatClient(**_clerk_options(base_url, no_network))


def _functional_sync(
    name: str, make: Callable[[str, bool], clerk_chat_client.AuthenticatedClient]
) -> Callable[[str, bool], SyncCase]:
    def factory(base_url: str, no_network: bool) -> SyncCase:
        client = make(base_url, no_network)

        def call() -> str:
            return connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id=INBOX)).data.connect_url

        return SyncCase(name, call, client.get_httpx_client().close)

    return factory


def _functional_async(
    name: str, make: Callable[[str, bool], clerk_chat_client.AuthenticatedClient]
) -> Callable[[str], AsyncCase]:
    def factory(base_url: str) -> AsyncCase:
        client = make(base_url, False)

        async def call() -> str:
            body = ConnectTwilioRequest(inbox_external_id=INBOX)
            return (await connect.asyncio(client=client, body=body)).data.connect_url

        return AsyncCase(name, call, client.get_async_httpx_client().aclose)

    return factory


# --- the resource surface: client.twilio.connect on ClerkChatClient / AsyncClerkChatClient ------


def _clerk_options(base_url: str, no_network: bool) -> dict[str, Any]:
    # A `transport` in httpx_args becomes the client's inner transport, wrapped like the real one.
    return {"api_key": API_KEY, "base_url": base_url, "max_retries": MAX_RETRIES, "httpx_args": _httpx_args(no_network)}


def _resource_sync(name: str) -> Callable[[str, bool], SyncCase]:
    def factory(base_url: str, no_network: bool) -> SyncCase:
        client = clerk_chat_client.ClerkChatClient(**_clerk_options(base_url, no_network))
        twilio = client.twilio

        def call() -> str:
            return twilio.connect(inbox_external_id=INBOX).data.connect_url

        return SyncCase(name, call, client.close)

    return factory


def _resource_async(name: str) -> Callable[[str], AsyncCase]:
    def factory(base_url: str) -> AsyncCase:
        client = clerk_chat_client.AsyncClerkChatClient(**_clerk_options(base_url, False))
        twilio = client.twilio

        async def call() -> str:
            return (await twilio.connect(inbox_external_id=INBOX)).data.connect_url

        return AsyncCase(name, call, client.aclose)

    return factory


# --- the Stainless-made peer: anthropic's generic request method -------------------------------


class ConnectData(anthropic.BaseModel):  # anthropic parses only into its own pydantic base
    connectUrl: str


class ConnectResponse(anthropic.BaseModel):
    data: ConnectData


def _anthropic_sync(base_url: str, no_network: bool) -> SyncCase:
    http = anthropic.DefaultHttpxClient(**_httpx_args(no_network))
    client = anthropic.Anthropic(api_key=API_KEY, base_url=base_url, max_retries=MAX_RETRIES, http_client=http)

    def call() -> str:
        return client.post(CONNECT_PATH, body=RAW_PAYLOAD, cast_to=ConnectResponse).data.connectUrl

    return SyncCase(ANTHROPIC, call, client.close)


def _anthropic_async(base_url: str) -> AsyncCase:
    http = anthropic.DefaultAsyncHttpxClient(limits=pool_limits())
    client = anthropic.AsyncAnthropic(api_key=API_KEY, base_url=base_url, max_retries=MAX_RETRIES, http_client=http)

    async def call() -> str:
        return (await client.post(CONNECT_PATH, body=RAW_PAYLOAD, cast_to=ConnectResponse)).data.connectUrl

    return AsyncCase(ANTHROPIC, call, client.close)


# --- the cases, in the order of the table --------------------------------------------------------

SYNC_CASES: tuple[Callable[[str, bool], SyncCase], ...] = (
    _raw_sync(RAW, httpx2),
    _raw_sync(RAW_HTTPX, httpx),
    _functional_sync(GENERATED, _generated_client),
    _functional_sync(CLERK, _clerk_client),
    _resource_sync(RESOURCE),
    _anthropic_sync,
)
ASYNC_CASES: tuple[Callable[[str], AsyncCase], ...] = (
    _raw_async(RAW, httpx2),
    _raw_async(RAW_HTTPX, httpx),
    _functional_async(GENERATED, _generated_client),
    _functional_async(CLERK, _clerk_client),
    _resource_async(RESOURCE),
    _anthropic_async,
)


def sync_cases(base_url: str, *, no_network: bool = False) -> list[SyncCase]:
    return [factory(base_url, no_network) for factory in SYNC_CASES]


def async_cases(base_url: str) -> list[AsyncCase]:
    """Create inside the event loop that will use them."""
    return [factory(base_url) for factory in ASYNC_CASES]


# --- the resource call with and without rate-limit headers (server.RATE_LIMITED) ----------------

NO_RATE_LIMIT = "no rate-limit headers"
RATE_LIMIT_CASES = {  # case name -> the server's path prefix for that style of headers
    "RateLimit + RateLimit-Policy (IETF draft)": "/ietf-rate-limit",
    "X-RateLimit-Limit / -Remaining / -Reset": "/x-rate-limit",
}


def rate_limit_sync_cases(base_url: str) -> list[SyncCase]:
    """The resource call on ClerkChatClient's in-process gate, against each style of headers."""
    cases = {NO_RATE_LIMIT: "", **RATE_LIMIT_CASES}
    return [_resource_sync(name)(base_url + prefix, False) for name, prefix in cases.items()]


def rate_limit_async_cases(base_url: str) -> list[AsyncCase]:
    """The same on AsyncClerkChatClient; create inside the event loop that will use them."""
    cases = {NO_RATE_LIMIT: "", **RATE_LIMIT_CASES}
    return [_resource_async(name)(base_url + prefix) for name, prefix in cases.items()]
