"""ClerkChatClient and AsyncClerkChatClient: the generated AuthenticatedClient with safe defaults.

Both are subclasses, so every generated operation function accepts them. They share one
constructor, its options and `with_options` (`_ClerkChatClientBase`: an option added there is an
option of both) and differ only in their resources (`client.<tag>`, generated in `api/`): sync
methods on ClerkChatClient, coroutines on AsyncClerkChatClient. The key is kept as a `Secret` and
put on requests by the transport, never in the client's default headers; each httpx2 client gets
a `ClerkTransport` wrapped around a real transport configured with the caller's TLS and pool
settings (httpx2 ignores `verify` and friends once `transport=` is given).
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from typing import Any, Self

import httpx2
from httpx2._client import BaseClient

from . import _settings
from ._clock import Clock, SystemClock
from ._credentials import KeyStamp
from ._exceptions import APIConnectionError, InsecureBaseURLError, MissingAPIKeyError, MissingBaseURLError
from ._rate_gate import RateLimitGate
from ._rate_limits import RateLimitSnapshot, RateLimitStore, store_from_environment
from ._redaction import Secret
from ._retry_policy import RetrySettings
from ._tls import ssl_setting
from ._transport import AsyncClerkTransport, CallPolicy, ClerkTransport
from .api import AsyncResources, Resources
from .client import AuthenticatedClient

API_KEY_ENV = "CLERK_CHAT_API_KEY"
BASE_URL_ENV = "CLERK_CHAT_BASE_URL"
DEFAULT_TIMEOUT = httpx2.Timeout(30.0, connect=5.0)
# httpx_args that configure the connection rather than the client: they go to the inner transport.
_TRANSPORT_ARGS = ("cert", "http1", "http2", "limits", "proxy", "trust_env", "local_address", "uds")


_MAX_MERGED_URLS = 1024


class _MergedURLCache(BaseClient):
    """Reuse httpx2's base_url + path merge, which re-parses both on every request (about 40 µs, a
    third of a call's client CPU) while operations send the same few paths again and again.
    An entry holds while base_url is the same (immutable) object; bounded, since paths with
    parameters vary. `_merge_url` is private to httpx2: tests/test_client_internals.py pins it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._merged: dict[str, tuple[httpx2.URL, httpx2.URL]] = {}

    def _merge_url(self, url: httpx2.URL | str) -> httpx2.URL:
        if not isinstance(url, str):
            return super()._merge_url(url)
        base = self.base_url
        hit = self._merged.get(url)
        if hit is not None and hit[0] is base:
            return hit[1]
        merged = super()._merge_url(url)
        if len(self._merged) >= _MAX_MERGED_URLS:
            self._merged.clear()
        self._merged[url] = (base, merged)
        return merged


class _HTTPXClient(_MergedURLCache, httpx2.Client):
    """httpx2 follows redirects above the transport: map what it raises there (loops, bad Location)."""

    def send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        try:
            return super().send(request, **kwargs)
        except httpx2.HTTPError as exc:
            raise APIConnectionError(f"{type(exc).__name__}: {exc}", request=request) from exc


class _AsyncHTTPXClient(_MergedURLCache, httpx2.AsyncClient):
    async def send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        try:
            return await super().send(request, **kwargs)
        except httpx2.HTTPError as exc:
            raise APIConnectionError(f"{type(exc).__name__}: {exc}", request=request) from exc


class _ClerkChatClientBase(AuthenticatedClient):
    """What ClerkChatClient and AsyncClerkChatClient share: construction, options, transports.

    Args:
        api_key: defaults to the `CLERK_CHAT_API_KEY` environment variable.
        base_url: defaults to `CLERK_CHAT_BASE_URL`, else the spec's first server.
        max_retries: retries after the first attempt (429, connection failures, and for
            idempotent requests 408/502/503/504 and read timeouts).
        max_retry_wait: a server-requested wait longer than this is not slept; the call raises
            `RateLimitError` with `retry_after` at once.
        total_timeout: seconds one call may take, every attempt and wait included (None: no cap).
        timeout: per-attempt httpx2 timeout.
        raise_on_error: raise `APIStatusError` subclasses for statuses >= 400 (False: the
            generated behaviour, `*_detailed` return the response).
        allow_insecure_http: permit a plain `http://` base URL that is not this machine.
        verify_ssl: True (the operating system's trust store, or `SSL_CERT_FILE` /
            `SSL_CERT_DIR` when set), a CA bundle file or directory, an `ssl.SSLContext`, or False.
        clock: time, sleep and randomness for the retry loop (tests).
        rate_limit_store: share the rate-limit gate and budget with other processes, e.g.
            `clerk_chat_client.redis.RedisRateLimitStore.from_url(...)`; defaults to the store
            named by `CLERK_CHAT_RATE_LIMIT_REDIS_URL`, else this client's own in-process gate.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 2,
        max_retry_wait: float = 60.0,
        total_timeout: float | None = 120.0,
        timeout: httpx2.Timeout | float | None = DEFAULT_TIMEOUT,
        raise_on_error: bool = True,
        allow_insecure_http: bool = False,
        headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        verify_ssl: str | bool | ssl.SSLContext = True,
        follow_redirects: bool = True,
        raise_on_unexpected_status: bool = False,
        httpx_args: dict[str, Any] | None = None,
        clock: Clock | None = None,
        rate_limit_store: RateLimitStore | None = None,
        _gate: RateLimitGate | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not key and _settings.API_KEY_LOCATION is not None:
            raise MissingAPIKeyError(f"no API key: pass api_key=... to {type(self).__name__} or set {API_KEY_ENV}")
        url = base_url or os.environ.get(BASE_URL_ENV) or _settings.DEFAULT_BASE_URL
        if not url:
            raise MissingBaseURLError(
                f"no base URL: the API's spec names no server; pass base_url=... to {type(self).__name__} "
                f"or set {BASE_URL_ENV}"
            )
        _refuse_insecure(httpx2.URL(url), allow_insecure_http)
        self._options: dict[str, Any] = {
            "max_retries": max_retries,
            "max_retry_wait": max_retry_wait,
            "total_timeout": total_timeout,
            "timeout": timeout,
            "raise_on_error": raise_on_error,
            "allow_insecure_http": allow_insecure_http,
            "headers": dict(headers or {}),
            "cookies": dict(cookies or {}),
            "verify_ssl": verify_ssl,
            "follow_redirects": follow_redirects,
            "raise_on_unexpected_status": raise_on_unexpected_status,
            "httpx_args": dict(httpx_args or {}),
            "clock": clock,
            "rate_limit_store": rate_limit_store,
        }
        self._api_key = Secret(key or "")
        self._policy = CallPolicy(
            settings=RetrySettings(max_retries=max_retries, max_retry_wait=max_retry_wait, total_timeout=total_timeout),
            gate=_gate or _new_gate(rate_limit_store, self._api_key),
            clock=clock or SystemClock(),
            raise_on_error=raise_on_error,
        )
        super().__init__(
            base_url=url,
            token="",  # the key lives in self._api_key; the generated header injection is bypassed
            prefix="",
            auth_header_name=_settings.API_KEY_NAME,
            cookies=dict(cookies or {}),
            headers=dict(headers or {}),
            timeout=timeout if isinstance(timeout, httpx2.Timeout) or timeout is None else httpx2.Timeout(timeout),
            verify_ssl=verify_ssl,
            follow_redirects=follow_redirects,
            raise_on_unexpected_status=raise_on_unexpected_status,
            httpx_args=dict(httpx_args or {}),
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def max_retries(self) -> int:
        return self._policy.settings.max_retries

    @property
    def rate_limit(self) -> RateLimitSnapshot | None:
        """The rate-limit budget the latest response announced (limit, remaining, reset_at on the
        monotonic clock, reset_in seconds), or None when no response carried rate-limit headers."""
        return self._policy.gate.snapshot(self._policy.clock.monotonic())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, max_retries={self.max_retries})"

    __str__ = __repr__

    def with_options(self, **changes: Any) -> Self:
        """A configured copy (the original is unchanged); it shares this client's rate-limit gate
        unless it talks to another server or with another key."""
        unknown = set(changes) - set(self._options) - {"api_key", "base_url"}
        if unknown:
            raise TypeError(f"with_options() got unknown options: {', '.join(sorted(unknown))}")
        options = {"api_key": self._api_key.reveal(), "base_url": self._base_url, **self._options, **changes}
        same_budget = (options["api_key"], options["base_url"], options["rate_limit_store"]) == (
            self._api_key.reveal(),
            self._base_url,
            self._options["rate_limit_store"],
        )
        return type(self)(**options, _gate=self._policy.gate if same_budget else None)

    def with_headers(self, headers: dict[str, str]) -> Self:
        return self.with_options(headers={**self._options["headers"], **headers})

    def with_cookies(self, cookies: dict[str, str]) -> Self:
        return self.with_options(cookies={**self._options["cookies"], **cookies})

    def with_timeout(self, timeout: httpx2.Timeout) -> Self:
        return self.with_options(timeout=timeout)

    def close(self) -> None:
        """Close the sync connection pool, if one was opened (the async one: `aclose`)."""
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close both connection pools that were opened."""
        self.close()
        if self._async_client is not None:
            await self._async_client.aclose()

    def get_httpx_client(self) -> httpx2.Client:
        if self._client is None:
            client_args, transport_args = self._split_httpx_args()
            inner = client_args.pop("transport", None) or httpx2.HTTPTransport(**transport_args)
            self._client = _HTTPXClient(
                transport=ClerkTransport(inner, self._stamp(), self._policy), **self._client_args(client_args)
            )
        return self._client

    def get_async_httpx_client(self) -> httpx2.AsyncClient:
        if self._async_client is None:
            client_args, transport_args = self._split_httpx_args()
            inner = client_args.pop("transport", None) or httpx2.AsyncHTTPTransport(**transport_args)
            self._async_client = _AsyncHTTPXClient(
                transport=AsyncClerkTransport(inner, self._stamp(), self._policy), **self._client_args(client_args)
            )
        return self._async_client

    def _stamp(self) -> KeyStamp:
        return KeyStamp(self._api_key, httpx2.URL(self._base_url))

    def _split_httpx_args(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """httpx_args for the httpx2 client, and those (with TLS) for the inner transport."""
        client_args = dict(self._httpx_args)
        transport_args = {name: client_args.pop(name) for name in _TRANSPORT_ARGS if name in client_args}
        cert = transport_args.pop("cert", None)
        transport_args["verify"] = ssl_setting(self._verify_ssl, cert, transport_args.get("trust_env", True))
        return client_args, transport_args

    def _client_args(self, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "base_url": self._base_url,
            "cookies": self._cookies,
            "headers": self._headers,
            "timeout": self._timeout,
            "follow_redirects": self._follow_redirects,
            **extra,
        }


class ClerkChatClient(_ClerkChatClientBase, Resources):
    """Client for the Clerk Chat Public API: `client.twilio.connect(...)`, one attribute per tag.

    Takes the options of `_ClerkChatClientBase` (api_key, base_url, max_retries, ...). Also a
    `client=` for the generated operation functions, sync and async; `with client:` closes its pool.
    """


class AsyncClerkChatClient(_ClerkChatClientBase, AsyncResources):
    """The async client: the same constructor, options and resources, whose methods are coroutines
    (`await client.twilio.connect(...)`); `async with client:` closes its pool."""


def _new_gate(store: RateLimitStore | None, api_key: Secret) -> RateLimitGate:
    shared = store if store is not None else store_from_environment()
    return RateLimitGate(shared.budget(api_key) if shared is not None else None)


def _refuse_insecure(url: httpx2.URL, allowed: bool) -> None:
    if url.scheme != "http" or allowed or _is_loopback(url.host):
        return
    raise InsecureBaseURLError(
        f"refusing plain-http base URL {url.scheme}://{url.host}: the API key would travel unencrypted; "
        "use https, or pass allow_insecure_http=True"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
