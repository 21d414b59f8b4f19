"""The exceptions the client raises on purpose, named and shaped like the best Python SDKs'.

`ClerkChatError` is the base of all of them: a caller who catches it catches every failure of a
call, whether the server answered with an error, could not be reached, or sent something the
spec does not allow.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2

from . import _redaction

_BODY_IN_MESSAGE = 300  # characters of the response body quoted in an error message


class ClerkChatError(Exception):
    """Base class of every error raised by clerk_chat_client."""


class MissingAPIKeyError(ClerkChatError):
    """No API key was given, neither as `api_key=` nor in the environment."""


class MissingBaseURLError(ClerkChatError):
    """No base URL was given, neither as `base_url=` nor in the environment, and the spec names no server."""


class InsecureBaseURLError(ClerkChatError):
    """A plain-http base URL off this machine would send the key in clear text."""


class ResponseValidationError(ClerkChatError):
    """A success response whose body does not match the spec."""

    def __init__(self, operation: str, status_code: int, body: bytes, problem: str) -> None:
        self.operation = operation
        self.status_code = status_code
        self.body = body
        self.problem = _redaction.scrub(problem)
        super().__init__(f"{operation}: status {status_code} response does not match the spec: {self.problem}")


class PaginationError(ClerkChatError):
    """A paginated list misbehaved: the server sent a page again (its items, or its `links.self`),
    or a page past the last one was asked for. Iteration stops here rather than loop or repeat."""

    def __init__(self, operation: str, page: int, problem: str) -> None:
        self.operation = operation
        self.page = page
        super().__init__(f"{operation}: page {page}: {problem}")


class APIConnectionError(ClerkChatError):
    """The request could not be sent or its response could not be read."""

    def __init__(self, message: str, *, request: httpx2.Request) -> None:
        self.method = request.method
        self.url = _redaction.url(request.url)
        super().__init__(_redaction.scrub(f"{message} ({self.method} {self.url})"))


class APITimeoutError(APIConnectionError):
    """The request timed out (connecting, writing, reading, or waiting for a pooled connection)."""


class APIStatusError(ClerkChatError):
    """The server answered with a status >= 400 (after any retries)."""

    def __init__(self, *, request: httpx2.Request, response: httpx2.Response) -> None:
        self.status_code = response.status_code
        self.headers = _redaction.headers(response.headers)
        self.body: bytes = response.content
        self.json: Any = _json_or_none(response)
        self.method = request.method
        self.url = _redaction.url(request.url)
        reason = response.reason_phrase or "error"
        excerpt = _redaction.scrub(response.text[:_BODY_IN_MESSAGE]) if self.body else ""
        message = f"{self.status_code} {reason} for {self.method} {self.url}"
        super().__init__(f"{message}: {excerpt}" if excerpt else message)


class BadRequestError(APIStatusError):
    """400"""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403"""


class NotFoundError(APIStatusError):
    """404"""


class UnprocessableEntityError(APIStatusError):
    """422"""


class RateLimitError(APIStatusError):
    """429: `retry_after` is the wait the server asked for, in seconds, or None."""

    def __init__(self, *, request: httpx2.Request, response: httpx2.Response, retry_after: float | None = None) -> None:
        super().__init__(request=request, response=response)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """Any 5xx status, including ones outside the IANA list such as 520."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: UnprocessableEntityError,
}


def status_error(
    request: httpx2.Request, response: httpx2.Response, retry_after: float | None = None
) -> APIStatusError:
    """The typed exception for an error response whose body has been read."""
    status = response.status_code
    if status == 429:
        return RateLimitError(request=request, response=response, retry_after=retry_after)
    if status >= 500:
        return InternalServerError(request=request, response=response)
    return _BY_STATUS.get(status, APIStatusError)(request=request, response=response)


def _json_or_none(response: httpx2.Response) -> Any:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        return None
