"""Rewrite the generator's copy of the document where openapi-python-client 0.29 would turn a
valid document into a wrong or missing client (swagger.yml itself is never touched).

- Untyped arrays. `type: array` without `items` gets `items: {}` (an array of anything): the
  generator refuses the former inside a oneOf.
- Nullable enums. The generator drops `nullable: true` from an enum whose values lack `null`, so
  the model raises on the `null` the server is allowed to send. Such a schema becomes a
  one-member `oneOf` marked nullable, the member titled with the name the generator would have
  given the enum anyway: the type is `ThingStatus | None`, and the class keeps its name.
- Inline model names. The generator names an inline object or enum after its parent and its
  property (`Thing.address` -> `ThingAddress`); when another model already has that name (a
  component `ThingAddress`), it drops the parent with a warning. The inline schema gets the
  title `<property>_inline` (`ThingAddressInline`; then `_inline2`, ... while still taken).
  Components keep their names; among inline schemas, the one met first in the file keeps it.

To do either, `sites()` walks the schemas the way the generator names them (components,
their properties, array items and union members, and each operation's parameters, body and
responses), computing each model's and enum's class name as the generator does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openapi_python_client.strings import ClassName, PythonIdentifier, pascal_case

from .source_map import Pointer
from .spec import operation_objects

FIELD_PREFIX = "field_"
_DESCRIPTIVE = ("nullable", "description", "default", "example")


@dataclass(frozen=True)
class Site:
    """A schema the generator may turn into a class, and the class name it would get."""

    pointer: Pointer
    schema: dict[str, Any]
    name: str  # the name the generator parses it under
    parent: str  # the class (or operation) it is named after; "" for components

    @property
    def class_name(self) -> str:
        title = self.schema.get("title")
        base = title if isinstance(title, str) and title else self.name
        return str(ClassName(f"{pascal_case(self.parent)}{pascal_case(base)}" if self.parent else base, FIELD_PREFIX))

    @property
    def is_enum(self) -> bool:
        return isinstance(self.schema.get("enum"), list)

    @property
    def is_model(self) -> bool:
        kind = self.schema.get("type")
        return not self.is_enum and (
            kind == "object" or "allOf" in self.schema or (kind is None and "properties" in self.schema)
        )


def for_generator(document: dict[str, Any]) -> dict[str, Any]:
    """Apply every normalisation, in place, and return the document."""
    _typed_arrays(document)
    _nullable_enums(document)
    _distinct_inline_names(document)
    return document


def sites(document: dict[str, Any]) -> Iterator[Site]:
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    for name, schema in (schemas if isinstance(schemas, dict) else {}).items():
        yield from _walk(("components", "schemas", name), schema, name, "")
    for path, method, operation in operation_objects(document):
        endpoint = str(PythonIdentifier(str(operation.get("operationId", "")), FIELD_PREFIX))
        here: Pointer = ("paths", path, method)
        for index, parameter in enumerate(operation.get("parameters") or []):
            if isinstance(parameter, dict) and isinstance(parameter.get("name"), str):
                yield from _walk(
                    (*here, "parameters", str(index), "schema"), parameter.get("schema"), parameter["name"], endpoint
                )
        body = operation.get("requestBody")
        content = body.get("content") if isinstance(body, dict) else None
        if isinstance(content, dict) and len(content) == 1:  # several: the generator adds the body kind
            ((media_type, media),) = content.items()
            if isinstance(media, dict):
                yield from _walk(
                    (*here, "requestBody", "content", media_type, "schema"), media.get("schema"), "body", endpoint
                )
        for code, response in (operation.get("responses") or {}).items():
            for media_type, media in ((response.get("content") or {}) if isinstance(response, dict) else {}).items():
                if isinstance(media, dict):
                    where = (*here, "responses", str(code), "content", media_type, "schema")
                    yield from _walk(where, media.get("schema"), f"response_{code}", endpoint)


def _walk(pointer: Pointer, schema: Any, name: str, parent: str) -> Iterator[Site]:
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    site = Site(pointer, schema, name, parent)
    yield site
    if site.is_model:
        for holder, at in [(schema, pointer)] + [
            (member, (*pointer, "allOf", str(i)))
            for i, member in enumerate(schema.get("allOf") or [])
            if isinstance(member, dict)
        ]:
            for key, prop in (holder.get("properties") or {}).items():
                yield from _walk((*at, "properties", key), prop, key, site.class_name)
        return
    if isinstance(schema.get("items"), dict):
        yield from _walk((*pointer, "items"), schema["items"], f"{name}_item", parent)
    members = [(kind, i, m) for kind in ("anyOf", "oneOf") for i, m in enumerate(schema.get(kind) or [])]
    for index, (kind, i, member) in enumerate(members):
        title = member.get("title") if isinstance(member, dict) else None
        subscript = title if isinstance(title, str) and title and title != schema.get("title") else f"type_{index}"
        yield from _walk((*pointer, kind, str(i)), member, f"{name}_{subscript}", parent)


def _typed_arrays(node: Any) -> None:
    """An array schema without `items` (OpenAPI 3.0 requires them; tools omit them) is an array
    of anything: `items: {}`. The generator would refuse it inside a oneOf."""
    if isinstance(node, dict):
        if node.get("type") == "array" and "items" not in node:
            node["items"] = {}
        for value in node.values():
            _typed_arrays(value)
    elif isinstance(node, list):
        for value in node:
            _typed_arrays(value)


def _nullable_enums(document: dict[str, Any]) -> None:
    found = [
        site
        for site in sites(document)
        if site.is_enum
        and site.schema.get("nullable") is True
        and None not in site.schema["enum"]
        and "oneOf" not in site.schema
    ]
    for site in found:
        schema = site.schema
        title = schema.get("title") if isinstance(schema.get("title"), str) and schema.get("title") else site.name
        member = {key: value for key, value in schema.items() if key not in _DESCRIPTIVE}
        member["title"] = title
        outer = {key: value for key, value in schema.items() if key in _DESCRIPTIVE}
        schema.clear()
        schema.update(outer, oneOf=[member])


def _distinct_inline_names(document: dict[str, Any]) -> None:
    """Rename one clashing inline schema at a time, walking again after each: a renamed model
    renames the inline schemas named after it."""
    while (clash := _first_clash(document)) is not None:
        base = clash.schema.get("title") or clash.name
        taken = {site.class_name for site in sites(document) if site.schema is not clash.schema}
        suffix = 1
        while clash.class_name in taken:
            clash.schema["title"] = f"{base}_inline{suffix if suffix > 1 else ''}"
            suffix += 1


def _first_clash(document: dict[str, Any]) -> Site | None:
    found = [site for site in sites(document) if site.is_model or site.is_enum]
    taken: dict[str, Site] = {site.class_name: site for site in found if not site.parent}
    for site in found:
        if not site.parent:
            continue
        other = taken.setdefault(site.class_name, site)
        if other is not site and _clash(site, other):
            return site
    return None


def _clash(site: Site, other: Site) -> bool:
    """Two enums with the same values become one class; anything else is a duplicate."""
    if site.is_enum and other.is_enum:
        return bool(site.schema["enum"] != other.schema["enum"])
    return True
