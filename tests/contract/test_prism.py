"""Contract tests: the client against Prism, an independent mock server built from swagger.yml.

Prism (`@stoplight/prism-cli`, pinned in `tests/contract/package.json`; install it with
`npm ci --prefix tests/contract`) checks every request against the spec, security included, and
answers with responses generated from the spec's schemas. It runs with `--errors`: a request
that violates the spec gets an error status instead of a mock answer flagged only by an
`sl-violations` header, so a violation cannot pass unnoticed even by a test that forgets to look.
Prism then answers with the operation's documented 401/422/400 plus the `sl-violations` header
or, when the spec documents none, with its own `application/problem+json` error whose `type` is
under `https://stoplight.io/prism/errors#`. The tests look anyway: every response of every
attempt (retries included) is recorded at the transport, and neither mark may appear on any.

Operations are not listed here: they are discovered by walking `clerk_chat_client.api`, and their
arguments are synthesized from the spec (see `tests/support/operations.py`), so an operation
added to swagger.yml is covered as soon as it is generated. Each is called as a function
(`connect.sync(client=..., body=...)`) and through its resource method
(`client.twilio.connect(...)`, sync, async and `with_raw_response`), with the same arguments.
Nothing here assumes Clerk's spec: the document Prism serves and arguments come from is
`CLERK_CHAT_CONTRACT_SPEC` (default swagger.yml), the package is whichever `clerk_chat_client` is
importable, and the key is looked for where that package's `_settings.py` puts it, on the
operations its generated code sends it on (tests/test_real_world_specs.py runs this module so
against every spec of tests/specs/).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from clerk_chat_client import (
    APIStatusError,
    AsyncClerkChatClient,
    AsyncPage,
    AuthenticatedClient,
    AuthenticationError,
    BadRequestError,
    ClerkChatClient,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SyncPage,
    UnprocessableEntityError,
    _settings,
)
from clerk_chat_client.types import Unset

from tests.conftest import API_KEY
from tests.support.api_key import EXPECTED, accepts_a_bearer_token, sent_key, with_key
from tests.support.fake_clerk import free_port
from tests.support.fake_clock import FakeClock
from tests.support.operations import (
    SPEC_PATH,
    Operation,
    discover_operations,
    returns_instance,
    spec_operations,
)

HERE = Path(__file__).resolve().parent
PRISM = HERE / "node_modules" / ".bin" / "prism"
INSTALL_HINT = "install it with `npm ci --prefix tests/contract` (needs Node.js >= 18.20.1 with npm)"
STARTUP_TIMEOUT = 60.0
VIOLATIONS = "sl-violations"
PRISM_ERROR = "stoplight.io/prism/errors#"

OPERATIONS = discover_operations()
MODES = ("sync", "async")
RESOURCE_STYLES = ("sync", "async", "raw-sync", "raw-async")  # client.<tag>.<method>, and .with_raw_response
# Retried statuses per the design: 429 always; 408/502/503/504 only for idempotent requests.
IDEMPOTENT_RETRIED = frozenset({408, 502, 503, 504})
EXPECTED_ERROR: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
ERROR_CASES = [
    pytest.param(operation, status, id=f"{operation.id}-{status}")
    for operation in OPERATIONS
    for status in operation.documented_statuses()
    if status >= 400
]
BY_OPERATION = [pytest.param(operation, id=operation.id) for operation in OPERATIONS]


# --- Prism -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prism:
    url: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: Prism and nothing else
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    """`prism mock swagger.yml --errors` on a free port of 127.0.0.1, for this module's tests."""
    if not PRISM.exists():
        pytest.fail(f"Prism is not installed ({PRISM} is missing): {INSTALL_HINT}", pytrace=False)
    port = free_port()
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    command = [str(PRISM), "mock", str(SPEC_PATH), "-h", "127.0.0.1", "-p", str(port), "--errors"]
    with log_path.open("wb") as log:
        try:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        except OSError as exc:
            pytest.fail(f"Prism could not be started ({exc}): {INSTALL_HINT}", pytrace=False)
    server = Prism(f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _listening(port):
            if process.poll() is not None:
                pytest.fail(
                    f"Prism exited with status {process.returncode} before listening; {INSTALL_HINT}\n"
                    f"{server.log_tail()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(f"Prism did not listen within {STARTUP_TIMEOUT:.0f} s\n{server.log_tail()}", pytrace=False)
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)


# --- recording every attempt -------------------------------------------------------------------


def objection(response: httpx2.Response) -> str | None:
    """Prism's complaint about the request that got this response, if any."""
    if VIOLATIONS in response.headers:
        return response.headers[VIOLATIONS]
    if "problem+json" in response.headers.get("content-type", "") and PRISM_ERROR in response.text:
        return response.text
    return None


@dataclass(frozen=True)
class Exchange:
    request: httpx2.Request
    status: int
    objection: str | None


@dataclass
class RecordingTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """The real transports, recording each attempt: the client's retries happen around this."""

    exchanges: list[Exchange] = field(default_factory=list)
    _sync: httpx2.HTTPTransport = field(default_factory=httpx2.HTTPTransport)
    _async: httpx2.AsyncHTTPTransport = field(default_factory=httpx2.AsyncHTTPTransport)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()  # a streamed (multipart) body, kept for the tests to compare
        response = self._sync.handle_request(request)
        response.read()
        self.exchanges.append(Exchange(request, response.status_code, objection(response)))
        return response

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        response = await self._async.handle_async_request(request)
        await response.aread()
        self.exchanges.append(Exchange(request, response.status_code, objection(response)))
        return response

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()

    def violations(self) -> list[str]:
        return [
            f"{e.request.method} {e.request.url} -> {e.status}: {e.objection}" for e in self.exchanges if e.objection
        ]


def clerk_client(
    prism: Prism, transport: RecordingTransport, client_class: type[ClerkChatClient] = ClerkChatClient, **options: Any
) -> ClerkChatClient:
    return client_class(api_key=API_KEY, base_url=prism.url, httpx_args={"transport": transport}, **options)


async def call(mode: str, operation: Operation, client: ClerkChatClient, *, detailed: bool = False) -> Any:
    """Call the operation once with spec-valid arguments, on a client closed afterwards.

    An operation without a plain `sync`/`asyncio` (no documented body) is called `_detailed`.
    """
    arguments = operation.arguments()
    module = operation.module
    detailed = detailed or not operation.has_plain
    if mode == "sync":
        with client:
            function = module.sync_detailed if detailed else module.sync
            return function(client=client, **arguments)
    async with client:
        coroutine = module.asyncio_detailed if detailed else module.asyncio
        return await coroutine(client=client, **arguments)


async def call_resource(style: str, operation: Operation, prism: Prism, transport: RecordingTransport) -> Any:
    """Call the operation's resource method once (`style`: sync, async, raw-sync, raw-async) with the
    synthesized arguments, flattened as the method takes them, on a client closed afterwards."""
    raw, mode = style.startswith("raw-"), style.removeprefix("raw-")
    if mode == "sync":
        with clerk_client(prism, transport) as client:
            method = operation.resource_method(client, raw=raw)
            return method(**operation.resource_arguments(method))
    async with AsyncClerkChatClient(
        api_key=API_KEY, base_url=prism.url, httpx_args={"transport": transport}
    ) as aclient:
        method = operation.resource_method(aclient, raw=raw)
        return await method(**operation.resource_arguments(method))


# --- tests -------------------------------------------------------------------------------------


def test_every_operation_in_the_spec_has_a_generated_module() -> None:
    assert OPERATIONS, "no operation module found under clerk_chat_client.api"
    assert {(operation.method, operation.path) for operation in OPERATIONS} == spec_operations()


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("generation", ["static", "dynamic"])
@pytest.mark.parametrize("operation", BY_OPERATION)
async def test_every_operation_succeeds_and_parses(
    prism: Prism, operation: Operation, mode: str, generation: str
) -> None:
    """Spec-valid calls pass Prism's checks, and Prism's answers parse into the success model.

    `static` answers come from the spec's examples; `dynamic` ones (`Prefer: dynamic=true`) are
    random data in the schema's shape, extra properties included.
    """
    headers = {"Prefer": "dynamic=true"} if generation == "dynamic" else {}
    transport = RecordingTransport()

    result = await call(mode, operation, clerk_client(prism, transport, headers=headers))
    detailed = await call(mode, operation, clerk_client(prism, transport, headers=headers), detailed=True)

    assert transport.violations() == []
    if operation.has_plain:
        assert returns_instance(operation.success_type(), result), f"{operation.id} returned {result!r}"
    assert 200 <= detailed.status_code < 300
    assert returns_instance(operation.success_type(), detailed.parsed)
    assert [e.status for e in transport.exchanges] == [detailed.status_code] * 2
    key_on_the_wire = EXPECTED if operation.secured else None
    assert [sent_key(e.request) for e in transport.exchanges] == [key_on_the_wire] * 2


@pytest.mark.anyio
@pytest.mark.parametrize("style", RESOURCE_STYLES)
@pytest.mark.parametrize("operation", BY_OPERATION)
async def test_every_operation_succeeds_through_its_resource_method(
    prism: Prism, operation: Operation, style: str
) -> None:
    """`client.<tag>.<method>(...)` with the arguments of the function call, flattened, sends the
    very request the function sends: Prism accepts it, and the answer parses the same."""
    transport = RecordingTransport()

    result = await call_resource(style, operation, prism, transport)
    functional = await call("sync", operation, clerk_client(prism, transport), detailed=True)

    assert transport.violations() == []
    by_resource, by_function = (exchange.request for exchange in transport.exchanges)
    assert (by_resource.method, by_resource.url, by_resource.content) == (
        by_function.method,
        by_function.url,
        by_function.content,
    )
    if style.startswith("raw-"):  # of a paginated method too: its first page's
        assert (result.status_code, result.parsed) == (functional.status_code, functional.parsed)
    elif isinstance(result, SyncPage | AsyncPage):  # a paginated operation: a page of the envelope's items
        assert (result.data, result.total) == (functional.parsed.data, _sent(functional.parsed.total))
    else:
        assert result == functional.parsed


def _sent(value: Any) -> Any:
    return None if isinstance(value, Unset) else value


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("operation", "status"), ERROR_CASES)
async def test_documented_error_statuses_raise_typed_errors(
    prism: Prism, operation: Operation, status: int, mode: str
) -> None:
    """`Prefer: code=N` makes Prism answer a documented error status: the client retries what
    the design says it retries (429 always), then raises the status's exception class."""
    max_retries = 3
    clock = FakeClock()
    transport = RecordingTransport()
    client = clerk_client(prism, transport, max_retries=max_retries, clock=clock)
    forced = client.with_headers({"Prefer": f"code={status}"})
    retried = status == 429 or (status in IDEMPOTENT_RETRIED and operation.idempotent)
    expected = EXPECTED_ERROR.get(status, InternalServerError if status >= 500 else APIStatusError)

    with pytest.raises(expected) as caught:
        await call(mode, operation, forced)

    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert caught.value.method == operation.method
    assert transport.violations() == []
    attempts = 1 + max_retries if retried else 1
    assert [e.status for e in transport.exchanges] == [status] * attempts
    assert len(clock.sleeps) == attempts - 1
    if status == 429:
        assert isinstance(caught.value, RateLimitError)
        assert caught.value.retry_after is None  # Prism sends no Retry-After: backoff was used
        assert all(0 < wait <= 8 for wait in clock.sleeps)


@pytest.mark.parametrize("operation", BY_OPERATION)
def test_prism_judges_the_requests_it_gets(prism: Prism, operation: Operation) -> None:
    """Prism rejects what the spec forbids, so the passing calls above mean something: a request
    without the key gets a 401 unless the operation may be called without credentials, and a
    body missing its required properties a 4xx, each with Prism's objection attached."""
    request = operation.module._get_kwargs(**operation.arguments())
    keyed = with_key(request) if _settings.API_KEY_LOCATION is not None else request
    with httpx2.Client(base_url=prism.url) as raw:
        no_key = raw.request(**request)
        keyed_answer = raw.request(**keyed)
        body_schema = _json_body_schema(operation)
        if body_schema is not None and body_schema.get("required") and "json" in request:
            empty_body = raw.request(**{**keyed, "json": {}})
            assert 400 <= empty_body.status_code < 500 and objection(empty_body), empty_body.text

    assert keyed_answer.is_success and objection(keyed_answer) is None, keyed_answer.text
    if operation.anonymous_allowed:
        assert no_key.is_success and objection(no_key) is None, no_key.text
    else:
        assert no_key.status_code == 401 and "security" in str(objection(no_key)), no_key.text

    # The generated client (no overrides) sends the key as `Authorization: Bearer <key>`: right
    # for a bearer scheme, wrong for an apiKey one, and Prism tells them apart.
    bearer = AuthenticatedClient(base_url=prism.url, token=API_KEY)
    with bearer:
        answer = operation.module.sync_detailed(client=bearer, **operation.arguments())
    assert (answer.status_code != 401) == accepts_a_bearer_token(operation), answer.content


def _json_body_schema(operation: Operation) -> dict[str, Any] | None:
    body = operation.request_body()
    return body[1] if body is not None and "json" in body[0] else None
