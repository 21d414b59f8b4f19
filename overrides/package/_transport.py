"""The transport every ClerkChatClient request goes through: key, retries, pacing, typed errors.

`CallPlan` holds the whole policy as a generator that never does I/O itself: it asks its driver
to send the request, to sleep, or to consult the rate-limit gate (which may live in Redis), and is
told what happened. The sync and async transports are two thin drivers of the same plan, so the
two paths cannot drift apart.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Generator, Iterator
from datetime import timedelta
from typing import NamedTuple

import httpx2

from ._clock import Clock
from ._credentials import KeyStamp
from ._exceptions import APIConnectionError, APITimeoutError, status_error
from ._rate_gate import RateLimitGate
from ._rate_headers import RateLimitReading, read_rate_limit
from ._rate_limits import Grant, Observation
from ._retry_policy import RetrySettings, backoff, error_retry_reason, requested_wait, status_retry_reason

logger = logging.getLogger("clerk_chat_client")

Outcome = httpx2.Response | httpx2.TransportError


# Small immutable records are NamedTuples: a frozen dataclass compiles its methods at import, about
# 0.7 ms each here, against 0.1 ms (see benchmarks: import time).
class Sleep(NamedTuple):
    seconds: float


class Acquire(NamedTuple):
    """Ask the gate before sending; the driver answers with its `Grant`."""

    now: float
    max_spacing: float


class Observe(NamedTuple):
    """Tell the gate what a response said about the budget."""

    now: float
    observation: Observation


SEND = None  # the plan's request to send the request once more
Step = Sleep | Acquire | Observe | None
Answer = Outcome | Grant | None


class CallPolicy(NamedTuple):
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

    def run(self) -> Generator[Step, Answer, httpx2.Response]:
        request, settings, clock, deadline = self._request, self._policy.settings, self._policy.clock, self.deadline
        retries = 0
        while True:
            refused_for = yield from self._pace(deadline)
            if refused_for is not None:
                return self._final(_not_sent(request, refused_for, settings.max_retry_wait), refused_for)
            self._cap_timeouts(deadline)
            outcome = yield SEND
            assert isinstance(outcome, httpx2.Response | httpx2.TransportError)
            if isinstance(outcome, httpx2.Response):
                reason = status_retry_reason(request, outcome.status_code)
                hint = requested_wait(outcome.headers, clock.now()) if reason else None
                reading = read_rate_limit(outcome.headers, clock.now)
                if reading is not None or (hint is not None and outcome.status_code == 429):
                    hint = yield from self._observe(outcome.status_code, reading, hint)
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

    def _pace(self, deadline: float) -> Generator[Step, Answer, float | None]:
        """Wait for the gate: through a 429's hold or a spent budget (returning the wait instead
        when it exceeds max_retry_wait), and for a spacing slot while the budget is low."""
        settings, clock, gate = self._policy.settings, self._policy.clock, self._policy.gate
        while True:
            now = clock.monotonic()
            if gate.idle(now):
                return None
            # Spacing may use half of what is left of the call's budget, never more: it must not
            # make the call time out.
            grant = yield Acquire(now, max(0.0, min(settings.max_retry_wait, (deadline - now) / 2)))
            assert isinstance(grant, Grant)
            if grant.wait <= 0:
                return None
            if grant.reserved:
                yield Sleep(grant.wait)
                return None
            if grant.wait > settings.max_retry_wait:
                return grant.wait
            if now + grant.wait > deadline:
                raise APITimeoutError(
                    "the client is rate limited past this call's total_timeout", request=self._request
                )
            yield Sleep(grant.wait)

    def _observe(
        self, status: int, reading: RateLimitReading | None, hint: float | None
    ) -> Generator[Step, Answer, float | None]:
        """Tell the gate what the response said; returns the retry wait. A Retry-After wins over
        the rate-limit headers; a 429 without one waits for the reset of the budget it spent."""
        budget = reading if hint is None else None
        if status == 429 and hint is None and reading is not None and reading.remaining == 0:
            hint = reading.reset_in
        hold = hint if status == 429 and hint is not None and hint <= self._policy.settings.max_retry_wait else None
        yield Observe(self._policy.clock.monotonic(), Observation(reading, budget, hold))
        return hint

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


def _not_sent(request: httpx2.Request, wait: float, max_retry_wait: float) -> httpx2.Response:
    """What a call gets when the key's budget is spent for longer than max_retry_wait: a 429 made
    here (no request was sent), so the caller sees the same RateLimitError as from the server."""
    message = (
        f"not sent: this API key's rate limit is spent for another {wait:.1f} s, "
        f"longer than max_retry_wait ({max_retry_wait:g} s)"
    )
    return httpx2.Response(429, headers={"Retry-After": str(math.ceil(wait))}, json={"error": message}, request=request)


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
        gate, clock = self._policy.gate, self._policy.clock
        try:
            step = next(plan)
            while True:
                if step is SEND:
                    step = plan.send(self._attempt(request, call.deadline))
                elif isinstance(step, Acquire):
                    step = plan.send(gate.acquire(step.now, step.max_spacing))
                elif isinstance(step, Observe):
                    gate.observe(step.now, step.observation)
                    step = plan.send(None)
                else:
                    clock.sleep(step.seconds)
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
        gate, clock = self._policy.gate, self._policy.clock
        try:
            step = next(plan)
            while True:
                if step is SEND:
                    step = plan.send(await self._attempt(request, call.deadline))
                elif isinstance(step, Acquire):
                    step = plan.send(await gate.acquire_async(step.now, step.max_spacing))
                elif isinstance(step, Observe):
                    await gate.observe_async(step.now, step.observation)
                    step = plan.send(None)
                else:
                    await clock.async_sleep(step.seconds)
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
