"""Python client for the Clerk Chat Public API. Start with `ClerkChatClient` (or `AsyncClerkChatClient`)."""

from ._client import AsyncClerkChatClient, ClerkChatClient
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
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    UnprocessableEntityError,
)
from .client import AuthenticatedClient, Client
from .pagination import AsyncPage, SyncPage

__all__ = (
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClerkChatClient",
    "AsyncPage",
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
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "SyncPage",
    "UnprocessableEntityError",
)
