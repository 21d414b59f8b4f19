"""Render `clerk_chat_client/_settings.py`: what the client must know of the spec at run time.

Where the API key goes (header, query parameter or cookie, and with which prefix) and the default
server come from `securitySchemes` and `servers`, so a spec change flows through a regeneration
without an override being edited. Schemes the client cannot honour fail generation here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import PipelineError
from .spec import Spec, operation_objects


@dataclass(frozen=True)
class KeyPlacement:
    location: str  # "header" | "query" | "cookie"
    name: str
    prefix: str  # put before the key, e.g. "Bearer "


def key_placement(spec: Spec) -> KeyPlacement:
    """The one scheme the operations use for the API key."""
    schemes: dict[str, Any] = spec.document.get("components", {}).get("securitySchemes", {})
    used = sorted(_used_scheme_names(spec.document))
    if not used:
        used = sorted(schemes)
    if len(used) != 1:
        listed = ", ".join(used) or "none"
        raise PipelineError(
            f"{spec.where('components', 'securitySchemes')}: the client sends one API key, "
            f"but the spec's operations use these security schemes: {listed}"
        )
    name = used[0]
    if name not in schemes:
        raise PipelineError(f"{spec.where('components', 'securitySchemes')}: security scheme {name!r} is not defined")
    scheme = schemes[name]
    where = spec.where("components", "securitySchemes", name)
    kind = scheme.get("type")
    if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
        return KeyPlacement(location=scheme["in"], name=scheme["name"], prefix="")
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return KeyPlacement(location="header", name="Authorization", prefix="Bearer ")
    raise PipelineError(
        f"{where}: security scheme {name!r} ({kind}, {scheme.get('in') or scheme.get('scheme')}) cannot carry "
        "an API key; supported: apiKey in header, query or cookie, and http bearer"
    )


def _used_scheme_names(document: dict[str, Any]) -> set[str]:
    requirements: list[dict[str, Any]] = list(document.get("security") or [])
    for _path, _method, operation in operation_objects(document):
        requirements.extend(operation.get("security") or [])
    return {name for requirement in requirements for name in requirement}


def server_urls(spec: Spec) -> tuple[str, ...]:
    urls = tuple(str(server["url"]) for server in spec.document.get("servers", []) if "url" in server)
    if not urls:
        raise PipelineError(f"{spec.where('servers')}: the spec names no server, so the client has no default base URL")
    return urls


def render(spec: Spec) -> str:
    placement = key_placement(spec)
    servers = server_urls(spec)
    return (
        '"""Read from swagger.yml by the pipeline at generation time (pipeline/settings_module.py)."""\n'
        "\n"
        f"SERVERS: tuple[str, ...] = {servers!r}\n"
        f"DEFAULT_BASE_URL = {servers[0]!r}\n"
        f"API_KEY_LOCATION = {placement.location!r}\n"
        f"API_KEY_NAME = {placement.name!r}\n"
        f"API_KEY_PREFIX = {placement.prefix!r}\n"
    )
