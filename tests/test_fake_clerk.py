"""Self-tests of the fake Clerk server: each behaviour really happens on the wire."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator

import httpx2
import pytest

from tests.support.fake_clerk import (
    FakeClerk,
    Hang,
    RecordedRequest,
    Redirect,
    Reply,
    ResetAfterHeaders,
    ResetBeforeHeaders,
    Truncated,
    free_port,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Iterator[FakeClerk]:
    with FakeClerk() as s:
        yield s


def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """The server learns of a client's close asynchronously: poll briefly."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def raw(server: FakeClerk, request: bytes) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=2)
    sock.sendall(request)
    return sock


def recv_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


GET = b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n"


def test_reply_sends_status_headers_and_body(server: FakeClerk) -> None:
    server.default = Reply(201, {"X-Thing": "yes"}, b"hello")
    r = httpx2.post(f"{server.url}/a/b?q=1", content=b"payload", headers={"X-Key": "k"})
    assert (r.status_code, r.headers["x-thing"], r.content) == (201, "yes", b"hello")
    assert r.headers["content-length"] == "5"
    (rec,) = server.requests
    assert (rec.method, rec.path, rec.body, rec.status) == ("POST", "/a/b?q=1", b"payload", 201)
    assert rec.headers["x-key"] == "k"
    assert rec.headers_sent_at is not None and rec.headers_sent_at >= rec.arrived_at


def test_default_is_connect_ok_and_json_sets_content_type(server: FakeClerk) -> None:
    r = httpx2.post(f"{server.url}/public/twilio-connector/connect")
    assert r.json() == {"data": {"connectUrl": "wss://example.test/stream"}}
    assert r.headers["content-type"] == "application/json"
    server.default = Reply.json({"error": "nope"}, status=422, headers={"X-A": "1"})
    r = httpx2.get(server.url)
    assert (r.status_code, r.json(), r.headers["x-a"]) == (422, {"error": "nope"}, "1")


def test_script_in_order_then_default(server: FakeClerk) -> None:
    server.script(Reply(500), Reply(503), Reply(204))
    with httpx2.Client(base_url=server.url) as client:
        statuses = [client.get("/").status_code for _ in range(5)]
    assert statuses == [500, 503, 204, 200, 200]
    assert [r.status for r in server.requests] == statuses


def test_handle_with_beats_default_but_not_script(server: FakeClerk) -> None:
    seen: list[str] = []

    def decide(req: RecordedRequest) -> Reply:
        seen.append(req.path)
        return Reply(404 if req.path == "/missing" else 202)

    server.handle_with(decide)
    server.script(Reply(418))
    with httpx2.Client(base_url=server.url) as client:
        assert [client.get(p).status_code for p in ("/a", "/missing", "/b")] == [418, 404, 202]
    assert seen == ["/missing", "/b"]
    server.handle_with(None)
    assert httpx2.get(server.url).status_code == 200


def test_handler_error_becomes_500(server: FakeClerk) -> None:
    def broken(req: RecordedRequest) -> Reply:
        raise RuntimeError("boom")

    server.handle_with(broken)
    r = httpx2.get(server.url)
    assert r.status_code == 500 and b"boom" in r.content


@pytest.mark.parametrize("status", [520, 599])
def test_unusual_statuses_reach_httpx(server: FakeClerk, status: int) -> None:
    server.default = Reply(status, body=b"x")
    r = httpx2.get(server.url)
    assert (r.status_code, r.content) == (status, b"x")


def test_reply_rejects_impossible_status() -> None:
    with pytest.raises(ValueError):
        Reply(1000)


def test_reset_before_headers(server: FakeClerk) -> None:
    server.script(ResetBeforeHeaders())
    with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
        httpx2.get(server.url)
    assert [r.status for r in server.requests] == [None]
    assert server.requests[0].headers_sent_at is None
    # A real RST, not a FIN:
    server.script(ResetBeforeHeaders())
    with raw(server, GET) as sock, pytest.raises(ConnectionResetError):
        recv_all(sock)


def test_reset_after_headers_fails_while_reading_body(server: FakeClerk) -> None:
    server.script(ResetAfterHeaders(status=200, declared_length=100))
    with httpx2.Client() as client, client.stream("GET", server.url) as r:
        assert r.status_code == 200 and r.headers["content-length"] == "100"
        with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
            r.read()
    assert server.requests[0].status == 200
    server.script(ResetAfterHeaders(partial=b"abc"))
    with raw(server, GET) as sock:
        data = b""
        with pytest.raises(ConnectionResetError):
            while chunk := sock.recv(65536):
                data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"\r\n\r\nabc")


def test_truncated_fails_while_reading_body(server: FakeClerk) -> None:
    server.script(Truncated(body=b"short", declared_length=1000))
    with httpx2.Client() as client, client.stream("GET", server.url) as r:
        assert r.status_code == 200 and r.headers["content-length"] == "1000"
        with pytest.raises(httpx2.RemoteProtocolError):
            r.read()
    server.script(Truncated(body=b"short", declared_length=1000))
    with raw(server, GET) as sock:
        data = recv_all(sock)  # ends in a clean EOF, no reset
    assert b"Content-Length: 1000\r\n" in data and data.endswith(b"\r\n\r\nshort")


def test_redirect(server: FakeClerk) -> None:
    server.script(Redirect("/elsewhere"), Redirect("https://x.test/", status=301))
    with httpx2.Client(base_url=server.url) as client:
        r = client.get("/")
        assert (r.status_code, r.headers["location"]) == (307, "/elsewhere")
        r = client.get("/")
        assert (r.status_code, r.headers["location"]) == (301, "https://x.test/")


def test_delays_are_real(server: FakeClerk) -> None:
    server.script(Reply(delay_headers=0.3), Reply(body=b"late", delay_body=0.3))
    with httpx2.Client(base_url=server.url) as client:
        start = time.monotonic()
        client.get("/")
        assert time.monotonic() - start >= 0.3
        start = time.monotonic()
        with client.stream("GET", "/") as r:
            headers_at = time.monotonic()
            assert r.read() == b"late"
        assert headers_at - start < 0.25 and time.monotonic() - start >= 0.3
    first = server.requests[0]
    assert first.headers_sent_at is not None
    assert first.headers_sent_at - first.arrived_at >= 0.3


def test_keep_alive_and_connection_close(server: FakeClerk) -> None:
    with httpx2.Client(base_url=server.url) as client:
        client.get("/1")
        client.post("/2", json={"a": 1})
        client.get("/3", headers={"Connection": "close"})
        client.get("/4")
    ids = [r.connection_id for r in server.requests]
    assert ids[0] == ids[1] == ids[2] != ids[3]
    assert server.total_connections == 2
    with raw(server, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") as sock:
        data = recv_all(sock)  # the server closes: recv_all returns
    assert b"Connection: close\r\n" in data


def test_open_connections_return_to_zero(server: FakeClerk) -> None:
    clients = [httpx2.Client(base_url=server.url) for _ in range(3)]
    for client in clients:
        client.get("/")
    assert server.open_connections == 3
    for client in clients:
        client.close()
    eventually(lambda: server.open_connections == 0)
    assert server.total_connections == 3


def test_chunked_request_body(server: FakeClerk) -> None:
    def parts() -> Iterator[bytes]:
        yield b"hello "
        yield b"world"

    httpx2.post(server.url, content=parts())
    (rec,) = server.requests
    assert rec.headers["transfer-encoding"] == "chunked" and rec.body == b"hello world"


def test_hang_times_out_and_stop_does_not_hang() -> None:
    start = time.monotonic()
    with FakeClerk() as server:
        server.default = Hang()
        with pytest.raises(httpx2.ReadTimeout):
            httpx2.get(server.url, timeout=0.2)
        sock = raw(server, GET)  # still hanging when the server stops
        server.script(Reply(delay_headers=30))
        sock2 = raw(server, GET)
        eventually(lambda: len(server.requests) == 3)
        with pytest.raises(TimeoutError):
            server.wait_idle(timeout=0.1)
    assert time.monotonic() - start < 3
    assert [r.status for r in server.requests] == [None, None, None]
    assert server.open_connections == 0
    for s in (sock, sock2):
        with s:
            assert recv_all(s) == b""


def test_wait_idle(server: FakeClerk) -> None:
    server.default = Reply(delay_headers=0.2)
    with httpx2.Client() as client:
        client.get(server.url)
    server.wait_idle(timeout=1)
    assert server.requests[0].status == 200


def test_free_port_is_free() -> None:
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"http://127.0.0.1:{free_port()}")


@pytest.mark.anyio
async def test_200_concurrent_connections(server: FakeClerk) -> None:
    server.default = Reply.connect_ok()
    server.handle_with(lambda req: Reply(200, body=req.path.encode(), delay_headers=0.3))
    limits = httpx2.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx2.AsyncClient(base_url=server.url, limits=limits, timeout=10) as client:
        start = time.monotonic()
        responses = await asyncio.gather(*(client.get(f"/{i}") for i in range(200)))
        elapsed = time.monotonic() - start
    assert sorted(r.content for r in responses) == sorted(f"/{i}".encode() for i in range(200))
    assert elapsed < 3  # the delays overlapped: serially they would take 60 s
    assert len(server.requests) == 200 and server.total_connections == 200
    assert len({r.connection_id for r in server.requests}) == 200
