"""A fake Clerk Chat API server for tests: real HTTP/1.1 over TCP on 127.0.0.1.

Written by hand on asyncio streams (stdlib only) rather than with httpx2.MockTransport or a web
framework, so that it can misbehave at the byte level: reset connections, truncate bodies, stall
before headers, and so on. Those failures only exist below the HTTP layer, which is exactly what
the client's retry and timeout logic must survive.

Usage::

    with FakeClerk() as server:
        server.script(ResetBeforeHeaders(), Reply.json({"error": "busy"}, status=503))
        ...  # point the client at server.url
        assert [r.status for r in server.requests] == [None, 503, 200]

The server runs in a background thread with its own event loop, so it serves sync and async
clients alike.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import itertools
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, TypeAlias

__all__ = [
    "Behaviour",
    "FakeClerk",
    "Hang",
    "RecordedRequest",
    "Redirect",
    "Reply",
    "ResetAfterHeaders",
    "ResetBeforeHeaders",
    "Truncated",
    "free_port",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (e.g. for 'connection refused' tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, and what (if anything) it answered."""

    method: str
    path: str  # includes the query string
    headers: dict[str, str]  # lower-cased names
    body: bytes
    arrived_at: float  # time.monotonic() when the request head was fully read
    connection_id: int  # which TCP connection carried it (to count reuse)
    status: int | None = None  # status sent; None if the server reset or never answered
    headers_sent_at: float | None = None  # time.monotonic() when the status line was written


# --- behaviours --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A well-formed response, optionally slow to start (delay_headers) or to finish (delay_body).

    Content-Length is added unless the headers already carry Content-Length or Transfer-Encoding.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_headers: float = 0.0
    delay_body: float = 0.0

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 999:
            raise ValueError(f"status must be in 100..999, got {self.status}")

    @classmethod
    def json(cls, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        """A JSON body with Content-Type: application/json."""
        return cls(
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
            body=json.dumps(obj).encode(),
        )

    @classmethod
    def connect_ok(cls, url: str = "wss://example.test/stream") -> Reply:
        """The successful answer of POST /public/twilio-connector/connect."""
        return cls.json({"data": {"connectUrl": url}})


@dataclass(frozen=True)
class ResetBeforeHeaders:
    """Read the request, then reset the connection (TCP RST) without answering."""


@dataclass(frozen=True)
class ResetAfterHeaders:
    """Send the headers and part of the body, then reset the connection (TCP RST)."""

    status: int = 200
    declared_length: int = 100
    partial: bytes = b'{"data": '


@dataclass(frozen=True)
class Truncated:
    """Declare a longer Content-Length than the body sent, then close cleanly (FIN)."""

    status: int = 200
    body: bytes = b'{"data": {"conn'
    declared_length: int = 1000


@dataclass(frozen=True)
class Redirect:
    """A redirect to `location` with an empty body."""

    location: str
    status: int = 307


@dataclass(frozen=True)
class Hang:
    """Read the request and never answer, until the client gives up or the server stops."""


Behaviour: TypeAlias = Reply | ResetBeforeHeaders | ResetAfterHeaders | Truncated | Redirect | Hang


class _ConnectionDone(Exception):
    """Raised inside a connection handler when the connection must not be reused."""


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""  # e.g. 520, 599: an empty reason phrase is valid HTTP/1.1


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reset(writer: asyncio.StreamWriter) -> None:
    """Abort with SO_LINGER 0 so the peer sees a RST, not a FIN."""
    sock = writer.transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16):
        body += await reader.readexactly(size)
        await reader.readexactly(2)
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
        pass
    return bytes(body)


# --- server ------------------------------------------------------------------------------------


class FakeClerk:
    """Context manager: `with FakeClerk() as server:` starts it on 127.0.0.1 on a free port in a
    background thread with its own event loop; exit stops it and closes every connection.

    Each request takes the next scripted behaviour; when the script is empty, the handle_with
    function (if any) decides, else `default`.
    """

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: a server-side context to serve HTTPS instead of plain HTTP."""
        self.default: Behaviour = Reply.connect_ok()
        self.url = ""
        self._tls = tls
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._script: collections.deque[Behaviour] = collections.deque()
        self._handler: Callable[[RecordedRequest], Behaviour] | None = None
        self._records: list[RecordedRequest] = []
        self._in_progress = 0
        self._open = 0
        self._total = 0
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # -- public API (called from the test's thread) --

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours: each incoming request takes the next one."""
        with self._lock:
            self._script.extend(behaviours)

    def handle_with(self, fn: Callable[[RecordedRequest], Behaviour] | None) -> None:
        """Decide per request (called in the server thread); None goes back to `default`."""
        with self._lock:
            self._handler = fn

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, in arrival order."""
        with self._lock:
            return list(self._records)

    @property
    def open_connections(self) -> int:
        """TCP connections currently open from the server's side."""
        with self._lock:
            return self._open

    @property
    def total_connections(self) -> int:
        """Connections accepted so far."""
        with self._lock:
            return self._total

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until no request is in progress (read but not yet fully answered or dropped)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_progress == 0, timeout):
                raise TimeoutError(f"{self._in_progress} request(s) still in progress")

    def __enter__(self) -> FakeClerk:
        self._thread = threading.Thread(target=self._run, name="FakeClerk", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._loop is not None and self._stop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)

    # -- server thread --

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced by __enter__ if startup failed
            self._startup_error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await self._connection(reader, writer)
            finally:
                tasks.discard(task)

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0, backlog=1024, ssl=self._tls)
        port = server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self._tls else 'http'}://127.0.0.1:{port}"
        self._ready.set()
        await self._stop.wait()
        server.close()
        for task in list(tasks):  # wakes sleeping and hanging behaviours
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self._open += 1
            self._total += 1
        connection_id = next(self._ids)
        try:
            while await self._exchange(reader, writer, connection_id):
                pass
            writer.close()  # clean FIN; every response was drained already
        except (_ConnectionDone, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # misbehaviour done, peer gone, or a request we cannot parse
        finally:  # a no-op if closed above; drops the connection on cancellation at server stop
            writer.transport.abort()
            with self._lock:
                self._open -= 1

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection_id: int) -> bool:
        """Serve one request; return whether the connection may carry another."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # the client closed between requests
        arrived_at = time.monotonic()
        request_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        method, path, version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        connection = {t.strip() for t in headers.get("connection", "").lower().split(",")}
        keep_alive = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)

        record = RecordedRequest(method, path, headers, body, arrived_at, connection_id)
        with self._lock:
            index = len(self._records)
            self._records.append(record)
            self._in_progress += 1
        try:
            behaviour = self._choose(record)
            return await self._respond(behaviour, writer, reader, index, method, keep_alive)
        finally:
            with self._idle:
                self._in_progress -= 1
                self._idle.notify_all()

    def _choose(self, record: RecordedRequest) -> Behaviour:
        with self._lock:
            if self._script:
                return self._script.popleft()
            handler = self._handler
        if handler is None:
            return self.default
        try:
            return handler(record)
        except Exception as exc:  # a broken handler should fail the test loudly, not hang it
            return Reply(500, {"Content-Type": "text/plain"}, repr(exc).encode())

    def _sent_headers(self, index: int, status: int) -> None:
        with self._lock:
            self._records[index] = dataclasses.replace(
                self._records[index], status=status, headers_sent_at=time.monotonic()
            )

    async def _respond(
        self,
        behaviour: Behaviour,
        writer: asyncio.StreamWriter,
        reader: asyncio.StreamReader,
        index: int,
        method: str,
        keep_alive: bool,
    ) -> bool:
        if isinstance(behaviour, Redirect):
            behaviour = Reply(behaviour.status, {"Location": behaviour.location})
        if isinstance(behaviour, Reply):
            headers = dict(behaviour.headers)
            framed = {name.lower() for name in headers} & {"content-length", "transfer-encoding"}
            if not framed:
                headers["Content-Length"] = str(len(behaviour.body))
            if not keep_alive:
                headers["Connection"] = "close"
            await asyncio.sleep(behaviour.delay_headers)
            writer.write(_head(behaviour.status, headers))
            self._sent_headers(index, behaviour.status)
            await writer.drain()
            if method != "HEAD":
                await asyncio.sleep(behaviour.delay_body)
                writer.write(behaviour.body)
                await writer.drain()
            asks_close = headers.get("Connection", headers.get("connection", "")).lower() == "close"
            return keep_alive and not asks_close
        if isinstance(behaviour, ResetBeforeHeaders):
            _reset(writer)
            raise _ConnectionDone
        if isinstance(behaviour, ResetAfterHeaders | Truncated):
            length = behaviour.declared_length
            writer.write(_head(behaviour.status, {"Content-Length": str(length)}))
            self._sent_headers(index, behaviour.status)
            sent = behaviour.partial if isinstance(behaviour, ResetAfterHeaders) else behaviour.body
            writer.write(sent)
            await writer.drain()
            if isinstance(behaviour, Truncated):
                writer.close()  # FIN after the short body
                raise _ConnectionDone
            await asyncio.sleep(0.05)  # let the peer read the head before the RST can discard it
            _reset(writer)
            raise _ConnectionDone
        # Hang: answer nothing; return once the client closes (or be cancelled at server stop).
        await reader.read()
        raise _ConnectionDone
