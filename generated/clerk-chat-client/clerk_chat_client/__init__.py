"""Python client for the Clerk Chat Public API. Start with `ClerkChatClient`."""

from ._client import ClerkChatClient
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClerkChatError,
    InsecureBaseURLError,
    InternalServerError,
    MissingAPIKeyError,
    MissingBaseURLError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    UnprocessableEntityError,
)
from .client import AuthenticatedClient, Client

__all__ = (
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticatedClient",
    "AuthenticationError",
    "BadRequestError",
    "ClerkChatClient",
    "ClerkChatError",
    "Client",
    "InsecureBaseURLError",
    "InternalServerError",
    "MissingAPIKeyError",
    "MissingBaseURLError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "UnprocessableEntityError",
)
