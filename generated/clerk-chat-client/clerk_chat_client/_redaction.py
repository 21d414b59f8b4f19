"""Keep the API key out of reprs, logs and exception text.

The client registers every key it is given; text that leaves the client for a human (exception
messages, log records, URLs and headers kept on errors) passes through `scrub`, so a server that
echoes the key back cannot leak it either.
"""

from __future__ import annotations

import threading

import httpx2

from . import _settings

REDACTED = "[redacted]"
_SENSITIVE_HEADERS = frozenset({_settings.API_KEY_NAME.lower(), "authorization", "proxy-authorization", "cookie"})
_known: set[str] = set()
_known_lock = threading.Lock()


class Secret:
    """A string that shows as [redacted] everywhere but `reveal()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        with _known_lock:
            _known.add(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def scrub(text: str) -> str:
    """Replace every registered key in `text`."""
    for secret in _known:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def url(value: httpx2.URL) -> str:
    if _settings.API_KEY_LOCATION == "query" and _settings.API_KEY_NAME in value.params:
        value = value.copy_set_param(_settings.API_KEY_NAME, REDACTED)
    return scrub(str(value))


def headers(value: httpx2.Headers) -> httpx2.Headers:
    return httpx2.Headers(
        [(name, REDACTED if name.lower() in _SENSITIVE_HEADERS else scrub(item)) for name, item in value.multi_items()]
    )
