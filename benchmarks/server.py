"""A minimal ASGI server for the benchmarks, run by uvicorn in a separate process.

Raw ASGI (no framework) and a pre-encoded response, so the server adds as little as possible to
each call and the client's own overhead is what differs between cases. It runs in its own
process so that it does not share the client's interpreter, GIL or event loop.

The child binds 127.0.0.1:0 itself and reports the port on stdout before serving: no race for a
"free" port between choosing it and binding it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx2

_REPO_ROOT = Path(__file__).resolve().parent.parent  # where `-m benchmarks.server` resolves
CONNECT_PATH = "/public/twilio-connector/connect"
CONNECT_URL = "wss://bench.example/stream"
_BODY = json.dumps({"data": {"connectUrl": CONNECT_URL}}).encode()
_OK_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(_BODY)).encode())]
_NOT_FOUND_HEADERS = [(b"content-type", b"text/plain"), (b"content-length", b"9")]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    """Answer POST /public/twilio-connector/connect; 404 for anything else."""
    if scope["type"] != "http":
        return
    more = True
    while more:  # drain the request body so the connection stays usable for keep-alive
        message = await receive()
        more = message.get("more_body", False) and message["type"] == "http.request"
    if scope["method"] == "POST" and scope["path"] == CONNECT_PATH:
        await send({"type": "http.response.start", "status": 200, "headers": _OK_HEADERS})
        await send({"type": "http.response.body", "body": _BODY})
    else:
        await send({"type": "http.response.start", "status": 404, "headers": _NOT_FOUND_HEADERS})
        await send({"type": "http.response.body", "body": b"not found"})


def http_protocol() -> str:
    """httptools when installed (faster parser), else h11 (always there with uvicorn)."""
    return "httptools" if importlib.util.find_spec("httptools") is not None else "h11"


def _serve() -> None:
    """Child process: bind, print the port, serve until terminated."""
    import uvicorn  # only the child needs it

    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # accepted sockets inherit it. With proto 0, the response's two writes (head, body) meet the
    # client's delayed ACK and every call takes 40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        http=http_protocol(),
        lifespan="off",
        ws="none",
        timeout_keep_alive=60,  # a case's connections idle while the other cases run their batches
        backlog=2048,
    )
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(config).run(sockets=[sock])


@contextlib.contextmanager
def running_server(startup_timeout: float = 20.0) -> Iterator[str]:
    """Start the server in a child process; yield its base URL; stop it on exit."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server"], stdout=subprocess.PIPE, text=True, env=env, cwd=_REPO_ROOT
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"benchmark server failed to start (exit code {process.poll()}, said {line!r})")
        base_url = f"http://127.0.0.1:{line}"
        _wait_until_serving(base_url, startup_timeout)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(base_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = httpx2.post(base_url + CONNECT_PATH, json={}, timeout=2.0)
            if response.json()["data"]["connectUrl"] == CONNECT_URL:
                return
        except httpx2.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"benchmark server at {base_url} did not answer within {timeout} s")
        time.sleep(0.05)


if __name__ == "__main__":
    _serve()
