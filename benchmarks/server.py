"""A minimal ASGI server for the benchmarks, run by uvicorn in a separate process.

Raw ASGI (no framework) and pre-encoded responses, so the server adds as little as possible to
each call and the client's own overhead is what differs between cases. It runs in its own
process so that it does not share the client's interpreter, GIL or event loop. It answers:
- `POST /public/twilio-connector/connect`: the connect answer, without rate-limit headers;
- the same under a prefix of `RATE_LIMITED` (`/ietf-rate-limit/public/...`): the same answer with
  that style of rate-limit headers, announcing a budget so large that pacing never waits;
- `GET /public/contacts?page=&limit=` (the first synthetic tag's paginated list): `PAGINATED_ITEMS`
  contacts in Clerk's `{data, links, total}` shape, in the item schema of benchmarks/synthetic_spec.py.

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
from urllib.parse import parse_qs

import httpx2

from .synthetic_spec import LIST_PATH

_REPO_ROOT = Path(__file__).resolve().parent.parent  # where `-m benchmarks.server` resolves
CONNECT_PATH = "/public/twilio-connector/connect"
CONNECT_URL = "wss://bench.example/stream"
_BODY = json.dumps({"data": {"connectUrl": CONNECT_URL}}).encode()
_JSON = (b"content-type", b"application/json")
_OK_HEADERS = [_JSON, (b"content-length", str(len(_BODY)).encode())]
_NOT_FOUND_HEADERS = [(b"content-type", b"text/plain"), (b"content-length", b"9")]

# A budget of a billion requests a minute, nearly all left: the client reads and records it on
# every response, and never waits for it.
RATE_LIMITED = {
    "/ietf-rate-limit": [
        (b"ratelimit", b'"default";r=999999999;t=60'),
        (b"ratelimit-policy", b'"default";q=1000000000;w=60'),
    ],
    "/x-rate-limit": [
        (b"x-ratelimit-limit", b"1000000000"),
        (b"x-ratelimit-remaining", b"999999999"),
        (b"x-ratelimit-reset", b"60"),
    ],
}
_RATE_LIMITED_HEADERS = {prefix + CONNECT_PATH: _OK_HEADERS + fields for prefix, fields in RATE_LIMITED.items()}

PAGINATED_ITEMS = 5000


def _contact(number: int) -> dict[str, object]:
    return {
        "id": f"contact-{number}",
        "name": f"Contact {number}",
        "status": ("active", "paused", "archived")[number % 3],
        "score": number % 100 + 0.5,
        "createdAt": "2024-05-06T07:08:09Z",
        "labels": ["customer", f"cohort-{number % 7}"],
        "owner": {"id": f"user-{number % 13}", "name": "Ada"},
    }


_CONTACTS = [_contact(number) for number in range(1, PAGINATED_ITEMS + 1)]
_pages: dict[tuple[int, int], bytes] = {}


def _page(query: bytes) -> bytes:
    """One page of the contacts, encoded once per (page, limit)."""
    asked = parse_qs(query.decode())
    number, limit = int(asked.get("page", ["1"])[0]), int(asked.get("limit", ["50"])[0])
    if (number, limit) not in _pages:
        last = -(-PAGINATED_ITEMS // limit)

        def link(page: int) -> str | None:
            return f"{LIST_PATH}?page={page}&limit={limit}" if 1 <= page <= last else None

        body = {
            "data": _CONTACTS[(number - 1) * limit : number * limit],
            "links": {"next": link(number + 1), "prev": link(number - 1), "self": link(number) or LIST_PATH},
            "total": PAGINATED_ITEMS,
        }
        _pages[(number, limit)] = json.dumps(body).encode()
    return _pages[(number, limit)]


Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    """Answer the routes above; 404 for anything else."""
    if scope["type"] != "http":
        return
    more = True
    while more:  # drain the request body so the connection stays usable for keep-alive
        message = await receive()
        more = message.get("more_body", False) and message["type"] == "http.request"
    method, path = scope["method"], scope["path"]
    if method == "POST" and (path == CONNECT_PATH or path in _RATE_LIMITED_HEADERS):
        headers = _OK_HEADERS if path == CONNECT_PATH else _RATE_LIMITED_HEADERS[path]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": _BODY})
    elif method == "GET" and path == LIST_PATH:
        body = _page(scope["query_string"])
        headers = [_JSON, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
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
