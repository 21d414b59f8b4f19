"""The transport every ClerkChatClient request goes through: key, retries, typed errors.

`CallPlan` holds the whole policy as a generator that never does I/O itself: it asks its driver
to send the request or to sleep, and is told what happened. The sync and async transports are
two thin drivers of the same plan, so the two paths cannot drift apart.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx2

from ._clock import Clock
from ._credentials import KeyStamp
from ._exceptions import APIConnectionError, APITimeoutError, status_error
from ._rate_gate import RateLimitGate
from ._retry_policy import RetrySettings, backoff, error_retry_reason, requested_wait, status_retry_reason

logger = logging.getLogger("clerk_chat_client")

Outcome = httpx2.Response | httpx2.TransportError


@dataclass(frozen=True)
class Sleep:
    seconds: float


SEND = None  # the plan's request to send the request once more
Step = Sleep | None


@dataclass(frozen=True)
class CallPolicy:
    """What one client's transports share: settings, the rate-limit gate, the clock."""

    settings: RetrySettings
    gate: RateLimitGate
    clock: Clock
    raise_on_error: bool


class CallPlan:
    """One call: when to send, when to wait, and what the caller finally gets."""

    def __init__(self, request: httpx2.Request, policy: CallPolicy) -> None:
        self._request = request
        self._policy = policy
        total = policy.settings.total_timeout
        self.deadline = policy.clock.monotonic() + total if total is not None else math.inf

    def run(self) -> Generator[Step, Outcome | None, httpx2.Response]:
        request, settings, clock, deadline = self._request, self._policy.settings, self._policy.clock, self.deadline
        retries = 0
        while True:
            yield from self._hold_off(deadline)
            self._cap_timeouts(deadline)
            outcome = yield SEND
            assert outcome is not None
            if isinstance(outcome, httpx2.Response):
                reason = status_retry_reason(request, outcome.status_code)
                hint = requested_wait(outcome.headers, clock.now()) if reason else None
                if outcome.status_code == 429 and hint is not None and hint <= settings.max_retry_wait:
                    self._policy.gate.hold_until(clock.monotonic() + hint)  # even if this call stops here
            else:
                reason, hint = error_retry_reason(request, outcome), None
            if reason is None or retries >= settings.max_retries:
                return self._final(outcome, hint)
            if hint is not None and hint > settings.max_retry_wait:
                return self._final(outcome, hint)
            wait = hint if hint is not None else backoff(retries, clock.random(), settings)
            if clock.monotonic() + wait > deadline:
                return self._final(outcome, hint)
            retries += 1
            logger.info(
                "Retrying %s %s (retry %d of %d) in %.2f s: %s",
                request.method,
                request.url.path,
                retries,
                settings.max_retries,
                wait,
                reason,
            )
            yield Sleep(wait)

    def _hold_off(self, deadline: float) -> Generator[Step, Outcome | None, None]:
        """Wait while another request of this client was told to back off."""
        clock = self._policy.clock
        while (wait := self._policy.gate.wait_needed(clock.monotonic())) > 0:
            if clock.monotonic() + wait > deadline:
                raise APITimeoutError(
                    "the client is rate limited past this call's total_timeout", request=self._request
                )
            yield Sleep(wait)

    def _cap_timeouts(self, deadline: float) -> None:
        """No single attempt may run past the call's budget."""
        if math.isinf(deadline):
            return
        remaining = max(deadline - self._policy.clock.monotonic(), 0.001)
        timeouts = self._request.extensions.get("timeout", {})
        self._request.extensions["timeout"] = {
            key: remaining if value is None else min(value, remaining) for key, value in timeouts.items()
        }

    def _final(self, outcome: Outcome, retry_after: float | None) -> httpx2.Response:
        if isinstance(outcome, httpx2.TimeoutException):
            raise APITimeoutError(f"request timed out: {type(outcome).__name__}", request=self._request) from outcome
        if isinstance(outcome, httpx2.TransportError):
            raise APIConnectionError(f"connection failed: {type(outcome).__name__}", request=self._request) from outcome
        if self._policy.raise_on_error and outcome.status_code >= 400:
            raise status_error(self._request, outcome, retry_after)
        return outcome


def _enforce_deadline(request: httpx2.Request, deadline: float, clock: Clock) -> None:
    """Between body chunks: past the deadline is a read timeout; else the next read may take
    only what is left (httpcore reads request.extensions["timeout"] before every read)."""
    remaining = deadline - clock.monotonic()
    if remaining <= 0:
        raise httpx2.ReadTimeout("the call's total_timeout ran out while reading the body", request=request)
    timeouts = request.extensions.get("timeout", {})
    read = timeouts.get("read")
    timeouts["read"] = remaining if read is None else min(read, remaining)


class _DeadlineStream(httpx2.SyncByteStream):
    """A body that trickles in cannot outlast the call's total_timeout."""

    def __init__(self, stream: httpx2.SyncByteStream, request: httpx2.Request, deadline: float, clock: Clock) -> None:
        self._stream, self._request, self._deadline, self._clock = stream, request, deadline, clock

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            _enforce_deadline(self._request, self._deadline, self._clock)
            yield chunk

    def close(self) -> None:
        self._stream.close()


class _AsyncDeadlineStream(httpx2.AsyncByteStream):
    def __init__(self, stream: httpx2.AsyncByteStream, request: httpx2.Request, deadline: float, clock: Clock) -> None:
        self._stream, self._request, self._deadline, self._clock = stream, request, deadline, clock

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            _enforce_deadline(self._request, self._deadline, self._clock)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


class ClerkTransport(httpx2.BaseTransport):
    """Sync driver of CallPlan around an inner transport."""

    def __init__(self, inner: httpx2.BaseTransport, stamp: KeyStamp, policy: CallPolicy) -> None:
        self._inner, self._stamp, self._policy = inner, stamp, policy

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self._stamp.apply(request)
        call = CallPlan(request, self._policy)
        plan = call.run()
        try:
            step = next(plan)
            while True:
                if step is SEND:
                    step = plan.send(self._attempt(request, call.deadline))
                else:
                    self._policy.clock.sleep(step.seconds)
                    step = plan.send(None)
        except StopIteration as done:
            response: httpx2.Response = done.value
            return response

    def _attempt(self, request: httpx2.Request, deadline: float) -> Outcome:
        """Send once and read the whole body here, so a broken body is a retryable outcome."""
        started = self._policy.clock.monotonic()
        try:
            response = self._inner.handle_request(request)
        except httpx2.TransportError as exc:
            return exc
        if not math.isinf(deadline) and isinstance(response.stream, httpx2.SyncByteStream):
            response.stream = _DeadlineStream(response.stream, request, deadline, self._policy.clock)
        try:
            response.read()
        except httpx2.TransportError as exc:
            response.close()
            return exc
        response.elapsed = timedelta(seconds=self._policy.clock.monotonic() - started)  # httpx2 sets it on close
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncClerkTransport(httpx2.AsyncBaseTransport):
    """Async driver of CallPlan around an inner transport."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, stamp: KeyStamp, policy: CallPolicy) -> None:
        self._inner, self._stamp, self._policy = inner, stamp, policy

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self._stamp.apply(request)
        call = CallPlan(request, self._policy)
        plan = call.run()
        try:
            step = next(plan)
            while True:
                if step is SEND:
                    step = plan.send(await self._attempt(request, call.deadline))
                else:
                    await self._policy.clock.async_sleep(step.seconds)
                    step = plan.send(None)
        except StopIteration as done:
            response: httpx2.Response = done.value
            return response

    async def _attempt(self, request: httpx2.Request, deadline: float) -> Outcome:
        started = self._policy.clock.monotonic()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx2.TransportError as exc:
            return exc
        if not math.isinf(deadline) and isinstance(response.stream, httpx2.AsyncByteStream):
            response.stream = _AsyncDeadlineStream(response.stream, request, deadline, self._policy.clock)
        try:
            await response.aread()
        except httpx2.TransportError as exc:
            await response.aclose()
            return exc
        response.elapsed = timedelta(seconds=self._policy.clock.monotonic() - started)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
