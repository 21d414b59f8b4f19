"""Render `clerk_chat_client/_settings.py`: what the client must know of the spec at run time.

Where the API key goes (header, query parameter or cookie, and with which prefix; see
security.py) and the servers come from `securitySchemes`, `security` and `servers`, so a spec
change flows through a regeneration without an override being edited.

- `API_KEY_LOCATION` is None when no operation takes the key: the client then needs none.
  Which operations get it is decided per operation and written into each generated
  `_get_kwargs` (endpoint_module.py.jinja), not here.
- `DEFAULT_BASE_URL` is the first server with an absolute http(s) URL (server variables
  replaced by their defaults), or None (`servers: []`, NestJS's default): the client then needs
  `base_url=` or `CLERK_CHAT_BASE_URL`.
"""

from __future__ import annotations

import re
from typing import Any

from .security import Decision
from .spec import Spec

_VARIABLE = re.compile(r"\{([^{}]+)\}")


def server_urls(spec: Spec) -> tuple[str, ...]:
    servers = spec.document.get("servers")
    return tuple(_url(server) for server in (servers if isinstance(servers, list) else []) if _has_url(server))


def _has_url(server: Any) -> bool:
    return isinstance(server, dict) and isinstance(server.get("url"), str)


def _url(server: dict[str, Any]) -> str:
    found = server.get("variables")
    variables: dict[str, Any] = found if isinstance(found, dict) else {}

    def default(match: re.Match[str]) -> str:
        variable = variables.get(match[1])
        return str(variable["default"]) if isinstance(variable, dict) and "default" in variable else match[0]

    return _VARIABLE.sub(default, str(server["url"]))


def default_base_url(servers: tuple[str, ...]) -> str | None:
    return next((url for url in servers if re.match(r"^https?://[^/{}]+", url) and "{" not in url), None)


def render(spec: Spec, decision: Decision) -> str:
    servers = server_urls(spec)
    placement = decision.placement
    return (
        '"""Read from swagger.yml by the pipeline at generation time (pipeline/settings_module.py)."""\n'
        "\n"
        f"SERVERS: tuple[str, ...] = {servers!r}\n"
        f"DEFAULT_BASE_URL: str | None = {default_base_url(servers)!r}\n"
        f"API_KEY_LOCATION: str | None = {placement.location if placement else None!r}\n"
        f"API_KEY_NAME: str = {placement.name if placement else ''!r}\n"
        f"API_KEY_PREFIX: str = {placement.prefix if placement else ''!r}\n"
    )
