"""A small web server on 127.0.0.1 that publishes spec documents, for tests/test_update_spec.py.

stdlib `http.server` in a background thread, HTTPS when given a server-side SSL context (the
update refuses anything but https), plain HTTP otherwise (to see that nothing reaches it). Each
path answers with a route: a document, a redirect, a body that never ends, a stall or a drip; any
other path is a 404. Every request path is recorded.
"""

from __future__ import annotations

import http.server
import ssl
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import TypeAlias


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str = "application/yaml"


@dataclass(frozen=True)
class Moved:
    location: str
    status: int = 302


@dataclass(frozen=True)
class Endless:
    """200 with no Content-Length, sending chunks until the client hangs up (or `limit` bytes)."""

    limit: int


@dataclass(frozen=True)
class Declared:
    """200 declaring a Content-Length of `length`, then sending nothing until the client leaves."""

    length: int


@dataclass(frozen=True)
class Drip:
    """200 with no Content-Length, one byte every `interval` seconds until the client hangs up."""

    interval: float


Route: TypeAlias = Document | Moved | Endless | Declared | Drip
_CHUNK = b"x" * 65536


class SpecServer:
    """`with SpecServer(tls=context) as server:`; set `server.routes[path]`, read `server.requests`."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self._sent: dict[str, int] = {}  # Endless path -> bytes sent before the client hung up
        self._streamed = threading.Condition()
        self._tls = tls
        self._stopping = threading.Event()
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="SpecServer", daemon=True)

    def url(self, path: str) -> str:
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def streamed(self, path: str, timeout: float = 10.0) -> int:
        """Bytes an Endless route sent before the client hung up (waits for the stream to end)."""
        with self._streamed:
            if not self._streamed.wait_for(lambda: path in self._sent, timeout):
                raise TimeoutError(f"{path}: still streaming after {timeout} s")
            return self._sent[path]

    def __enter__(self) -> SpecServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                route = server.routes.get(self.path)
                try:
                    server._answer(self, route)
                except OSError:  # the client hung up (what size caps and timeouts do)
                    pass

        return Handler

    def _answer(self, handler: http.server.BaseHTTPRequestHandler, route: Route | None) -> None:
        if route is None:
            handler.send_error(404)
        elif isinstance(route, Document):
            handler.send_response(200)
            handler.send_header("Content-Type", route.content_type)
            handler.send_header("Content-Length", str(len(route.body)))
            handler.end_headers()
            handler.wfile.write(route.body)
        elif isinstance(route, Moved):
            handler.send_response(route.status)
            handler.send_header("Location", route.location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/yaml")
            if isinstance(route, Declared):
                handler.send_header("Content-Length", str(route.length))
            handler.end_headers()
            handler.wfile.flush()
            if isinstance(route, Endless):
                self._stream(handler, route)
            elif isinstance(route, Drip):
                while not self._stopping.wait(route.interval):
                    handler.wfile.write(b"#")
                    handler.wfile.flush()
            else:
                self._stopping.wait()

    def _stream(self, handler: http.server.BaseHTTPRequestHandler, route: Endless) -> None:
        sent = 0
        try:
            while sent < route.limit and not self._stopping.is_set():
                handler.wfile.write(_CHUNK)
                sent += len(_CHUNK)
        finally:
            with self._streamed:
                self._sent[handler.path] = sent
                self._streamed.notify_all()
