"""Put the API key on each request that goes to the base URL's origin, and on no other.

Decided per request inside the transport, where every redirect hop is visible: httpx2 strips only
`Authorization` on a cross-origin redirect and copies every other header (the spec's `apiKey`
header included) to the next hop, so a hop to a foreign origin has the key taken off again.
"""

from __future__ import annotations

import httpx2

from . import _settings
from ._redaction import Secret

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
        value = _settings.API_KEY_PREFIX + self._key.reveal() if origin(request.url) == self._origin else None
        name = _settings.API_KEY_NAME
        if _settings.API_KEY_LOCATION == "header":
            if value is None:
                request.headers.pop(name, None)
            else:
                request.headers[name] = value
        elif _settings.API_KEY_LOCATION == "query":
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
