"""Property tests: whatever a server sends, the client's parsing path fails only with typed errors.

For every generated operation (discovered, not listed) and arbitrary bodies -- any JSON, bytes
that are not JSON, and dicts shaped like the spec's success schema with wrong leaves -- the
module's `_build_response` and the `sync`/`sync_detailed` path (through the client's transport,
via `httpx2.MockTransport`) may only raise `ClerkChatError` subclasses. And a body the client
accepts as a success must be one the spec allows.
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import clerk_chat_client.models
import httpx2
import pytest
from clerk_chat_client import ClerkChatClient, ClerkChatError, RateLimitError, ResponseValidationError, _validation
from clerk_chat_client._responses import parse_or_raise
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator

from tests.conftest import API_KEY
from tests.support.fake_clock import FakeClock
from tests.support.operations import Operation, discover_operations, example_value, resolve

OPERATIONS = discover_operations()
BY_OPERATION = [pytest.param(operation, id=operation.id) for operation in OPERATIONS]
WITH_SUCCESS_SCHEMA = [pytest.param(op, id=op.id) for op in OPERATIONS if op.success_schema() is not None]
MODELS = [
    pytest.param(model, id=name)
    for name in clerk_chat_client.models.__all__
    if hasattr(model := getattr(clerk_chat_client.models, name), "from_dict")
]
BASE_URL = "http://127.0.0.1:9"
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

# --- strategies --------------------------------------------------------------------------------

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: Python's json reads them
    | st.text(max_size=20)
)
any_json = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def shaped_like(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values with the schema's structure (its property names, arrays where it has arrays), any
    of whose parts may be missing, of the right type, or of any wrong type."""
    schema = resolve(schema)
    wrong = any_json if depth < 3 else json_leaves
    if depth > 6:
        return wrong
    if "properties" in schema or schema.get("type") == "object":
        properties = {name: shaped_like(sub, depth + 1) for name, sub in schema.get("properties", {}).items()}
        structure: st.SearchStrategy[Any] = st.fixed_dictionaries({}, optional=properties)
    elif schema.get("type") == "array":
        structure = st.lists(shaped_like(schema.get("items", {}), depth + 1), max_size=3)
    else:
        structure = st.just(example_value(schema))
    return st.one_of(structure, structure, wrong)  # mostly the shape; sometimes anything


def encoded(value: Any) -> bytes:
    return json.dumps(value).encode()


def bodies_for(operation: Operation) -> st.SearchStrategy[bytes]:
    schema = operation.success_schema()
    shaped = shaped_like(schema) if schema is not None else any_json
    return st.one_of(any_json.map(encoded), shaped.map(encoded), st.binary(max_size=40))


def statuses_for(operation: Operation) -> st.SearchStrategy[int]:
    return st.sampled_from(sorted({*operation.documented_statuses(), 200, 201, 204, 299, 404, 429, 500, 520, 599}))


# --- the client's path, with a server that answers whatever the test holds ---------------------


class Answer:
    """The response the mock server gives next: status, headers, body."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.body = b""

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(self.status, headers=self.headers, content=self.body)


def mock_client(answer: Callable[[httpx2.Request], httpx2.Response], **options: Any) -> ClerkChatClient:
    options.setdefault("max_retries", 0)
    options.setdefault("clock", FakeClock())
    transport = httpx2.MockTransport(answer)
    return ClerkChatClient(api_key=API_KEY, base_url=BASE_URL, httpx_args={"transport": transport}, **options)


def response_for(operation: Operation, answer: Answer) -> httpx2.Response:
    request = httpx2.Request(operation.method, f"{BASE_URL}{operation.path}")
    return httpx2.Response(answer.status, headers=answer.headers, content=answer.body, request=request)


def only_typed_errors(call: Callable[[], Any]) -> Any:
    """Run `call`; a ClerkChatError is an acceptable end, anything else propagates (and fails)."""
    try:
        return call()
    except ClerkChatError:
        return None


# --- properties --------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", BY_OPERATION)
def test_any_response_parses_or_raises_a_typed_error(operation: Operation) -> None:
    answer = Answer()
    arguments = operation.arguments()
    raising = mock_client(answer)
    lenient = mock_client(answer, raise_on_error=False)

    @PROPERTY_SETTINGS
    @given(status=statuses_for(operation), body=bodies_for(operation))
    def check(status: int, body: bytes) -> None:
        answer.status, answer.body = status, body
        response = response_for(operation, answer)
        only_typed_errors(functools.partial(operation.module._build_response, client=lenient, response=response))
        for client in (raising, lenient):
            only_typed_errors(functools.partial(operation.module.sync_detailed, client=client, **arguments))
            if operation.has_plain:
                only_typed_errors(functools.partial(operation.module.sync, client=client, **arguments))

    with raising, lenient:
        check()


@pytest.mark.parametrize("operation", WITH_SUCCESS_SCHEMA)
def test_a_success_the_client_accepts_is_one_the_spec_allows(operation: Operation) -> None:
    """The generated `from_dict` copies leaf values without looking at them: a `connectUrl` of
    12345 would come back as a "str" field holding an int. What `sync` returns must have come
    from a body the spec's schema accepts."""
    schema = operation.success_schema()
    assert schema is not None
    validator = OAS30Validator(inline(schema))
    success = min(code for code in operation.documented_statuses() if 200 <= code < 300)
    answer = Answer()
    answer.status = success
    arguments = operation.arguments()
    client = mock_client(answer)

    @PROPERTY_SETTINGS
    @given(value=shaped_like(schema))
    def check(value: Any) -> None:
        answer.body = encoded(value)
        result = only_typed_errors(lambda: operation.module.sync_detailed(client=client, **arguments))
        if result is not None:
            problems = [error.message for error in validator.iter_errors(json.loads(answer.body))]
            assert problems == [], f"accepted a body off the spec: {answer.body!r}: {problems}"

    with client:
        check()


@pytest.mark.parametrize("operation", WITH_SUCCESS_SCHEMA)
def test_the_fast_check_accepts_exactly_what_the_explaining_walk_accepts(operation: Operation) -> None:
    """`check_model` answers from tests compiled once per annotation and walks a value again only
    to say what is wrong with it: on every parsed body, valid or not, both must agree."""
    schema = operation.success_schema()
    assert schema is not None
    client = mock_client(Answer())
    success = min(code for code in operation.documented_statuses() if 200 <= code < 300)
    request = httpx2.Request(operation.method, f"{BASE_URL}{operation.path}")
    verdicts: set[bool] = set()

    @PROPERTY_SETTINGS
    @given(value=shaped_like(schema))
    def check(value: Any) -> None:
        response = httpx2.Response(success, content=encoded(value), request=request)
        try:
            parsed = operation.module._parse_response(client=client, response=response)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return  # from_dict refused it: nothing reaches the check
        try:
            _validation._explain(parsed, "body")
        except TypeError:
            walked = False
        else:
            walked = True
        assert _validation._fits(parsed) is walked, f"the two checks disagree on {value!r}"
        verdicts.add(walked)

    check()
    assert verdicts == {True, False}, "the bodies tried were all valid, or all invalid: the test showed nothing"


@pytest.mark.parametrize("model", MODELS)
def test_every_model_fails_to_parse_only_as_a_response_validation_error(model: type) -> None:
    """Through `parse_or_raise`, what every endpoint module wraps its parsing in: whatever
    `from_dict` trips over on any JSON must be turned into ResponseValidationError."""
    client = mock_client(Answer())
    request = httpx2.Request("GET", BASE_URL)

    def parse(*, client: Any, response: httpx2.Response) -> Any:
        return model.from_dict(response.json())  # type: ignore[attr-defined]

    @PROPERTY_SETTINGS
    @given(body=st.one_of(any_json.map(encoded), st.binary(max_size=40)))
    def check(body: bytes) -> None:
        response = httpx2.Response(200, content=body, request=request)
        try:
            parse_or_raise(f"parse {model.__name__}", response, parse, client)
        except ResponseValidationError:
            pass

    check()


retry_after_values = st.one_of(
    st.text(alphabet=string.printable.strip("\r\n\x0b\x0c"), max_size=30),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)).map(
        lambda moment: format_datetime(moment, usegmt=True)
    ),
)


def test_any_retry_after_ends_in_success_or_rate_limit_error() -> None:
    """A 429 with any Retry-After / retry-after-ms value: the call retries after a finite wait
    no longer than max_retry_wait and then succeeds, or raises RateLimitError; nothing else."""

    @PROPERTY_SETTINGS
    @given(name=st.sampled_from(["Retry-After", "retry-after-ms"]), value=retry_after_values)
    def check(name: str, value: str) -> None:
        answers = iter(
            [
                httpx2.Response(429, headers={name: value}),
                httpx2.Response(200, json={"data": {"connectUrl": "wss://example.test/stream"}}),
            ]
        )
        clock = FakeClock()
        with mock_client(lambda request: next(answers), max_retries=1, max_retry_wait=60, clock=clock) as client:
            try:
                client.get_httpx_client().post("/public/twilio-connector/connect", json={"inboxExternalId": "x"})
            except RateLimitError as exc:
                assert exc.retry_after is None or exc.retry_after >= 0
                return
        assert len(clock.sleeps) == 1 and 0 <= clock.sleeps[0] <= 60

    check()


def inline(node: Any, depth: int = 0) -> Any:
    """The schema with every `$ref` replaced by what it points to (for the validator)."""
    if depth > 30:
        return {}
    node = resolve(node)
    if isinstance(node, dict):
        return {key: inline(value, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [inline(item, depth + 1) for item in node]
    return node
