"""Share one API key's rate-limit gate and budget across processes and machines through Redis.

```python
from clerk_chat_client import ClerkChatClient
from clerk_chat_client.redis import RedisRateLimitStore

store = RedisRateLimitStore.from_url("redis://localhost:6379/0")
client = ClerkChatClient(rate_limit_store=store)  # or set CLERK_CHAT_RATE_LIMIT_REDIS_URL
```

Needs the extra: `pip install 'clerk-chat-client[redis]'` (redis-py, whose sync and asyncio
clients serve the client's sync and async calls). Each key's state is one Redis hash named by a
digest of the key (never the key), changed only by atomic Lua scripts (`_redis_scripts.py`) that
take the time from Redis `TIME`. Before sending, a request takes its share of the budget there;
after a response, what the response said goes there.

When Redis is unreachable or slower than `timeout`, one warning goes to the `clerk_chat_client`
logger, every client falls back to its own in-process gate, and Redis is tried again after
`retry_interval` seconds: an API call never fails because Redis did.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import threading
import time
import weakref
from typing import Any
from urllib.parse import urlsplit

try:
    import redis as redis_py
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ModuleNotFoundError as exc:
    raise ModuleNotFoundError(
        "clerk_chat_client.redis needs redis-py: pip install 'clerk-chat-client[redis]'", name=exc.name
    ) from exc

import redis.asyncio as redis_asyncio
from redis.asyncio.retry import Retry as AsyncRetry

from ._rate_limits import LOW_FRACTION, SAME_WINDOW, Grant, Observation
from ._redaction import Secret
from ._redis_scripts import ACQUIRE, OBSERVE

__all__ = ["RedisRateLimitStore"]

logger = logging.getLogger("clerk_chat_client")

DEFAULT_KEY_PREFIX = "clerk_chat_client:rate_limit:"
KEEP_SECONDS = 3600  # a key's state outlives its last reset or hold by this much, then Redis drops it
_DIGEST_CONTEXT = b"clerk-chat-client rate-limit budget\x00"


class RedisRateLimitStore:
    """Rate-limit state in Redis, shared by every client (any process, any machine) that uses it.

    Args:
        url: a redis-py URL (`redis://[[user]:password@]host[:port][/db]`, `rediss://`, `unix://`).
        timeout: seconds a Redis command may take before the clients go on without Redis.
        retry_interval: seconds to go on without Redis after it failed, before trying it again.
        key_prefix: prefix of the hash names (each ends in a digest of its API key).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 0.5,
        retry_interval: float = 10.0,
        key_prefix: str = DEFAULT_KEY_PREFIX,
    ) -> None:
        if timeout <= 0 or retry_interval < 0:
            raise ValueError("timeout must be > 0 and retry_interval >= 0")
        self._url = url
        self._where = _describe(url)
        self._timeout = timeout
        self._key_prefix = key_prefix
        self._health = _Health(self._where, retry_interval)
        # One quick second try for a pooled connection that died with a Redis restart; none for a
        # timeout: a slow Redis must not slow a call down twice. (Each flavour has its own Retry.)
        once = (NoBackoff(), 1, (redis_py.ConnectionError,))
        self._async_retry = AsyncRetry(*once)
        # Parses the URL: a bad one fails here.
        self._sync = redis_py.Redis.from_url(
            url, retry=Retry(*once), socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._sync_scripts = _scripts(self._sync)
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[redis_asyncio.Redis, _Scripts]]
        self._async = weakref.WeakKeyDictionary()
        self._async_lock = threading.Lock()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = 0.5,
        retry_interval: float = 10.0,
        key_prefix: str = DEFAULT_KEY_PREFIX,
    ) -> RedisRateLimitStore:
        """The store at `url` (arguments as for the class)."""
        return cls(url, timeout=timeout, retry_interval=retry_interval, key_prefix=key_prefix)

    def budget(self, api_key: Secret) -> _RedisBudget:
        """The shared budget of one API key (called by ClerkChatClient)."""
        digest = hashlib.sha256(_DIGEST_CONTEXT + api_key.reveal().encode()).hexdigest()[:32]
        return _RedisBudget(self, self._key_prefix + digest)

    def close(self) -> None:
        """Close the sync connection pool (the async ones: `aclose`, from their event loop)."""
        self._sync.close()

    async def aclose(self) -> None:
        """Close this event loop's connection pool, and the sync one."""
        found = self._async.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].aclose()
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._where!r})"

    __str__ = __repr__

    # -- used by _RedisBudget -------------------------------------------------------------------

    def run(self, script: str, name: str, args: list[float | str]) -> Any:
        """Run "acquire" or "observe" on hash `name`; None when Redis is out of use or fails."""
        if not self._health.usable():
            return None
        try:
            result = self._sync_scripts[script](keys=[name], args=args)
        except Exception as exc:  # whatever Redis or the network did, the API call goes on
            self._health.failed(exc)
            return None
        self._health.worked()
        return result

    async def run_async(self, script: str, name: str, args: list[float | str]) -> Any:
        if not self._health.usable():
            return None
        try:
            result = await self._scripts_for_this_loop()[script](keys=[name], args=args)
        except Exception as exc:  # as in `run`; cancellation (a BaseException) still propagates
            self._health.failed(exc)
            return None
        self._health.worked()
        return result

    def _scripts_for_this_loop(self) -> _Scripts:
        """redis-py's asyncio connections belong to one event loop: one pool per loop."""
        loop = asyncio.get_running_loop()
        with self._async_lock:
            found = self._async.get(loop)
            if found is None:
                client = redis_asyncio.Redis.from_url(
                    self._url,
                    retry=self._async_retry,
                    socket_timeout=self._timeout,
                    socket_connect_timeout=self._timeout,
                )
                found = self._async[loop] = (client, _scripts(client))
        return found[1]


_Scripts = dict[str, Any]  # "acquire" / "observe" -> redis-py's Script or AsyncScript


def _scripts(client: redis_py.Redis | redis_asyncio.Redis) -> _Scripts:
    return {"acquire": client.register_script(ACQUIRE), "observe": client.register_script(OBSERVE)}


class _RedisBudget:
    """One API key's hash, through the store's scripts (satisfies `_rate_limits.SharedBudget`)."""

    def __init__(self, store: RedisRateLimitStore, name: str) -> None:
        self._store, self._name = store, name

    def acquire(self, max_spacing: float) -> Grant | None:
        return _grant(self._store.run("acquire", self._name, _acquire_args(max_spacing)))

    async def acquire_async(self, max_spacing: float) -> Grant | None:
        return _grant(await self._store.run_async("acquire", self._name, _acquire_args(max_spacing)))

    def observe(self, observation: Observation) -> None:
        args = _observe_args(observation)
        if args is not None:
            self._store.run("observe", self._name, args)

    async def observe_async(self, observation: Observation) -> None:
        args = _observe_args(observation)
        if args is not None:
            await self._store.run_async("observe", self._name, args)

    def __repr__(self) -> str:
        return f"_RedisBudget({self._store!r})"


def _acquire_args(max_spacing: float) -> list[float | str]:
    return [max_spacing, LOW_FRACTION, KEEP_SECONDS]


def _grant(reply: Any) -> Grant | None:
    if reply is None:
        return None
    try:
        return Grant(max(0.0, float(reply[0])), bool(int(reply[1])))
    except (TypeError, ValueError, IndexError):
        return None  # not what the script returns: go on with the local gate


def _observe_args(observation: Observation) -> list[float | str] | None:
    """The script's arguments ("" for absent), or None when the response told nothing to share."""
    budget, hold = observation.budget, observation.hold_for
    if hold is None and budget is None:
        return None
    fields: list[float | int | None] = [hold, None, None, None, None]
    if hold is None and budget is not None:
        fields[1:] = [budget.limit, budget.remaining, budget.reset_in, budget.window]
    return [("" if value is None else value) for value in fields] + [SAME_WINDOW, KEEP_SECONDS]


class _Health:
    """Whether to use Redis now: after a failure, not for `retry_interval` seconds. One warning per
    outage, and a note when Redis answers again."""

    def __init__(self, where: str, retry_interval: float) -> None:
        self._where, self._retry_interval = where, retry_interval
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down = False

    def usable(self) -> bool:
        return not self._down or time.monotonic() >= self._down_until

    def failed(self, error: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self._retry_interval
            first = not self._down
            self._down = True
        if first:
            logger.warning(
                "Redis rate-limit store %s failed (%s); each client paces itself alone until Redis "
                "answers again (next try in %.0f s)",
                self._where,
                type(error).__name__,
                self._retry_interval,
            )

    def worked(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                logger.info("Redis rate-limit store %s answers again; budgets are shared again", self._where)


def _describe(url: str) -> str:
    """The URL without credentials, for reprs and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


@functools.cache
def shared_store(url: str) -> RedisRateLimitStore:
    """One store per URL for a process's clients configured by CLERK_CHAT_RATE_LIMIT_REDIS_URL."""
    return RedisRateLimitStore.from_url(url)
