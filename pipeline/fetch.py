"""Fetch a spec document for `nox -s update-spec`: an http(s) URL or a file path, within limits.

Whatever answers at the URL is untrusted until validated, so the download is bounded: a timeout
per network step and one for the whole download, a size cap enforced while streaming (a server
that never stops sending is cut off, not buffered), and redirects followed only while they stay
on https, since a document that decides where the API key goes must not arrive over plain HTTP.
Plain http is accepted only as the source itself and only on this machine (loopback: a local
mirror or a tunnel), where nobody sits between the two ends. Credentials in the URL are refused:
the URL is printed and lands in the pull request.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx2

from .errors import PipelineError

_ACCEPT = "application/yaml, application/x-yaml, application/json;q=0.9, */*;q=0.5"
_FILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Limits:
    timeout: float = 30.0  # seconds for each of connect, read, write, pool
    total: float = 120.0  # seconds for the whole download, redirects included
    max_bytes: int = 10 * 1024 * 1024  # Clerk's document is a few kB; a runaway body is refused
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    source: str  # the URL or path, as given
    name: str  # a file name for messages and staging: the URL's or path's last segment
    data: bytes


def is_url(source: str) -> bool:
    return "://" in source


def fetch(source: str, limits: Limits = Limits()) -> Fetched:
    """The document's bytes, exactly as served or stored; PipelineError naming the source otherwise."""
    if not is_url(source):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PipelineError(f"cannot read {source}: {exc.strerror or exc}") from exc
        if len(data) > limits.max_bytes:
            raise PipelineError(f"{source} is {len(data)} bytes, more than the {limits.max_bytes} a spec may be")
        return Fetched(source, _file_name(path.name), data)
    url = _checked_url(source)
    return Fetched(source, _file_name(PurePosixPath(url.path).name), _download(url, limits))


def _file_name(candidate: str) -> str:
    """The source's own name when it is a plain file name, so messages point into what was fetched."""
    return candidate if _FILE_NAME.fullmatch(candidate) else "swagger.yml"


def _checked_url(source: str) -> httpx2.URL:
    try:
        url = httpx2.URL(source)
    except httpx2.InvalidURL as exc:  # the text is not shown: it may hold credentials
        raise PipelineError(f"SOURCE is not a valid URL ({exc})") from exc
    if url.userinfo:
        raise PipelineError(
            "the spec URL carries credentials (user:password@host): refused, since the URL is printed "
            "and written into the change report"
        )
    if url.scheme == "http" and not _is_loopback(url.host):
        raise PipelineError(
            f"cannot fetch {source}: plain http is accepted only on this machine (localhost, 127.0.0.0/8, ::1), "
            "since the document decides where the API key goes; use https"
        )
    if url.scheme not in ("http", "https"):
        raise PipelineError(f"cannot fetch {source}: only http(s) URLs are accepted (or a file path)")
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _download(url: httpx2.URL, limits: Limits) -> bytes:
    deadline = time.monotonic() + limits.total
    hops: list[str] = []
    with httpx2.Client(timeout=limits.timeout, follow_redirects=False, headers={"Accept": _ACCEPT}) as client:
        request = client.build_request("GET", url)
        while True:
            shown = f"{request.url} (redirected from {hops[0]})" if hops else str(request.url)
            with _network_errors(shown, limits):
                response = client.send(request, stream=True)
            try:
                if response.next_request is None:
                    return _body(response, shown, limits, deadline)
                target = response.next_request.url
                if target.userinfo:
                    raise PipelineError(f"cannot fetch {shown}: it redirects to a URL with credentials: refused")
                if target.scheme != "https":
                    raise PipelineError(
                        f"cannot fetch {shown}: it redirects (HTTP {response.status_code}) to {target}, "
                        "which is not https: refused"
                    )
                if len(hops) == limits.max_redirects:
                    raise PipelineError(f"cannot fetch {shown}: more than {limits.max_redirects} redirects")
                hops.append(str(request.url))
                request = response.next_request
            finally:
                response.close()
            if time.monotonic() > deadline:
                raise PipelineError(f"cannot fetch {shown}: the download took more than {limits.total:g} s")


def _body(response: httpx2.Response, shown: str, limits: Limits, deadline: float) -> bytes:
    """The success response's body, read in chunks and given up past the size cap or deadline."""
    if not response.is_success:
        raise PipelineError(f"cannot fetch {shown}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise PipelineError(f"cannot fetch {shown}: it declares {declared} bytes, more than {limits.max_bytes}")
    body = bytearray()
    with _network_errors(shown, limits):
        for chunk in response.iter_bytes():  # each network read as it comes, so the checks run on time
            body += chunk
            if len(body) > limits.max_bytes:
                raise PipelineError(f"cannot fetch {shown}: the body exceeds {limits.max_bytes} bytes; stopped reading")
            if time.monotonic() > deadline:
                raise PipelineError(f"cannot fetch {shown}: the download took more than {limits.total:g} s")
    return bytes(body)


_TIMED_OUT = {
    httpx2.ConnectTimeout: "connecting",
    httpx2.ReadTimeout: "waiting for data",
    httpx2.WriteTimeout: "sending",
    httpx2.PoolTimeout: "waiting for a connection",
}


@contextmanager
def _network_errors(shown: str, limits: Limits) -> Iterator[None]:
    """httpx2's exceptions as one-line PipelineErrors naming the URL and what failed."""
    try:
        yield
    except httpx2.TimeoutException as exc:
        step = next((text for kind, text in _TIMED_OUT.items() if isinstance(exc, kind)), "waiting")
        raise PipelineError(f"cannot fetch {shown}: timed out {step} (limit {limits.timeout:g} s)") from exc
    except httpx2.ConnectError as exc:
        raise PipelineError(f"cannot fetch {shown}: connection failed ({exc})") from exc
    except httpx2.HTTPError as exc:
        raise PipelineError(f"cannot fetch {shown}: {type(exc).__name__} ({exc})") from exc
