"""Put the API key on each request that asks for it and goes to the base URL's origin, and on no other.

Decided per request inside the transport, where every redirect hop is visible: httpx2 strips only
`Authorization` on a cross-origin redirect and copies every other header (the spec's `apiKey`
header included) to the next hop, so a hop to a foreign origin has the key taken off again.

Whether an operation wants the key is decided from its security at generation time: every
generated `_get_kwargs` puts `SENDS_KEY` in the request's extensions (httpx2 carries them to each
redirect hop). A request without it (one built by hand on `get_httpx_client()`) gets the key, as
the API's secured operations would.
"""

from __future__ import annotations

import httpx2

from . import _settings
from ._redaction import Secret

SENDS_KEY = "clerk_chat_client.sends_key"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


class KeyStamp:
    """Adds or removes the key on a request, by where the spec says it goes."""

    __slots__ = ("_key", "_origin")

    def __init__(self, key: Secret, base_url: httpx2.URL) -> None:
        self._key = key
        self._origin = origin(base_url)

    def __repr__(self) -> str:
        return f"KeyStamp(origin={self._origin!r})"

    def apply(self, request: httpx2.Request) -> None:
        location = _settings.API_KEY_LOCATION
        if location is None:
            return  # no operation of the API takes a key
        wanted = request.extensions.get(SENDS_KEY, True) and origin(request.url) == self._origin
        value = _settings.API_KEY_PREFIX + self._key.reveal() if wanted else None
        name = _settings.API_KEY_NAME
        if location == "header":
            if value is None:
                request.headers.pop(name, None)
            else:
                request.headers[name] = value
        elif location == "query":
            without = request.url.copy_remove_param(name)
            request.url = without if value is None else without.copy_add_param(name, value)
        else:
            kept = [
                pair
                for pair in request.headers.get("cookie", "").split("; ")
                if pair and not pair.startswith(f"{name}=")
            ]
            cookies = kept if value is None else [*kept, f"{name}={value}"]
            if cookies:
                request.headers["cookie"] = "; ".join(cookies)
            else:
                request.headers.pop("cookie", None)
