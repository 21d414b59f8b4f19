"""Synthetic specs in Clerk's style, to measure how the pipeline and the client scale with the API.

`grow(document, operations)` adds tags of ten operations each to a copy of a real spec (the
repository's swagger.yml) until it holds `operations` in all, the way the real API is laid out:
NestJS operationIds (`Public<Tag>Controller_<method>`), GET/POST/PATCH/DELETE with path and query
parameters, models with nested objects, enums, arrays and date-times, one paginated list per tag
in Clerk's `{data, links, total}` shape with `page`/`limit`, the real spec's error responses and
security requirement. Inline schemas (a request body, enum query parameters, nested objects) are
left inline where Clerk's spec has them, so the pipeline's hoisting and the generator's inline
models are exercised too. The real spec's operations stay as they are, so a call to one of them
(twilio connect) measures the same thing at every size.

Deterministic: the same arguments give the same document, so two runs time the same input.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from pipeline.spec import operation_objects

Document = dict[str, Any]

OPERATIONS_PER_TAG = 10
# (plural, singular): tag `Contacts`, paths /public/contacts/{contactId}. Past the list, a number
# is appended (Contacts2, ...), so any size gets distinct tags.
_NOUNS = (
    ("Contacts", "contact"),
    ("Messages", "message"),
    ("Campaigns", "campaign"),
    ("Inboxes", "inbox"),
    ("Conversations", "conversation"),
    ("Templates", "template"),
    ("Webhooks", "webhook"),
    ("AdminUsers", "adminUser"),
    ("Teams", "team"),
    ("Labels", "label"),
    ("Segments", "segment"),
    ("Sequences", "sequence"),
    ("PhoneNumbers", "phoneNumber"),
    ("Calls", "call"),
    ("Notes", "note"),
    ("Tasks", "task"),
    ("Reports", "report"),
    ("Integrations", "integration"),
    ("Workflows", "workflow"),
    ("Broadcasts", "broadcast"),
)
_ERRORS = {
    "400": "Invalid request body",
    "401": "Unauthorized request",
    "403": "You do not have permission to access this resource",
    "404": "Resource not found",
    "422": "Invalid request parameters",
    "429": "Too many requests for this resource",
    "500": "Internal server error",
}
_STATUSES = ["active", "paused", "archived"]
_PAGINATION_LINKS = "SyntheticPaginationLinks"


@dataclass(frozen=True)
class _Tag:
    name: str  # e.g. Contacts2
    slug: str  # e.g. contacts-2
    singular: str  # e.g. contact2

    @property
    def collection(self) -> str:
        return f"/public/{self.slug}"

    @property
    def one(self) -> str:
        return f"/public/{self.slug}/{{{self.singular}Id}}"

    def ref(self, model: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{self.name}{model}"}


def _tag(index: int) -> _Tag:
    plural, singular = _NOUNS[index % len(_NOUNS)]
    round_number = index // len(_NOUNS)
    suffix = str(round_number + 1) if round_number else ""
    slug = "".join(f"-{c.lower()}" if c.isupper() else c for c in plural).lstrip("-")
    return _Tag(f"{plural}{suffix}", f"{slug}-{suffix}" if suffix else slug, f"{singular}{suffix}")


# The paginated list of the first synthetic tag (GET /public/contacts, `client.contacts.find_all`):
# what the benchmark server answers page by page and benchmarks/pagination.py walks.
LIST_PATH = _tag(0).collection


def operation_count(document: Document) -> int:
    return sum(1 for _ in operation_objects(document))


def grow(document: Document, operations: int) -> Document:
    """A copy of `document` with synthetic tags added until it has `operations` operations.

    A document that already has as many is returned as a copy, unchanged.
    """
    grown = copy.deepcopy(document)
    missing = operations - operation_count(grown)
    if missing <= 0:
        return grown
    security = _security(grown)
    schemas: dict[str, Any] = grown.setdefault("components", {}).setdefault("schemas", {})
    paths: dict[str, Any] = grown.setdefault("paths", {})
    schemas.setdefault(_PAGINATION_LINKS, _pagination_links())
    index = 0
    while missing > 0:
        tag = _tag(index)
        index += 1
        if tag.name + "Item" in schemas or tag.collection in paths:
            continue  # the real spec has grown into this name: skip it
        schemas.update(_models(tag))
        for method, path, operation in _operations(tag)[:missing]:
            operation.update(tags=[tag.name], security=copy.deepcopy(security))
            operation["responses"].update({code: {"description": text} for code, text in _ERRORS.items()})
            paths.setdefault(path, {})[method] = operation
            missing -= 1
    return grown


def _security(document: Document) -> list[dict[str, list[str]]]:
    """The requirement the real operations use, so every synthetic one sends the key the same way."""
    for _path, _method, operation in operation_objects(document):
        if operation.get("security"):
            requirement: list[dict[str, list[str]]] = operation["security"]
            return requirement
    schemes = document.get("components", {}).get("securitySchemes", {})
    return [{name: []} for name in sorted(schemes)[:1]]


def _pagination_links() -> dict[str, Any]:
    link = {"type": "string", "nullable": True, "example": "/public/contacts?page=2&limit=50"}
    return {
        "type": "object",
        "properties": {"next": link, "prev": link, "self": {"type": "string"}},
        "required": ["self"],
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _models(tag: _Tag) -> dict[str, Any]:
    name = tag.name
    item = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "example": f"{tag.singular}-123"},
            "name": {"type": "string"},
            "status": {"type": "string", "enum": _STATUSES, "description": f"Lifecycle state of the {tag.singular}"},
            "score": {"type": "number"},
            "createdAt": {"type": "string", "format": "date-time"},
            "labels": {"type": "array", "items": {"type": "string"}},
            "owner": {  # a nested inline object with a nested inline object: two generated models
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "contact": {
                        "type": "object",
                        "properties": {"email": {"type": "string", "format": "email"}, "phone": {"type": "string"}},
                    },
                },
                "required": ["id"],
            },
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["id", "name", "status", "createdAt"],
    }
    event = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string", "enum": ["created", "updated", "archived", "deleted"]},
            "at": {"type": "string", "format": "date-time"},
            "actor": {"type": "object", "properties": {"id": {"type": "string"}, "kind": {"type": "string"}}},
        },
        "required": ["id", "type", "at"],
    }
    create: dict[str, Any] = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "example": f"new {tag.singular}"},
            "kind": {"type": "string", "enum": ["standard", "premium"], "default": "standard"},
            "score": {"type": "number"},
            "labels": {"type": "array", "items": {"type": "string"}},
            "startsAt": {"type": "string", "format": "date-time"},
        },
        "required": ["name"],
    }
    return {
        f"{name}Item": item,
        f"{name}ItemResponse": {"type": "object", "properties": {"data": tag.ref("Item")}, "required": ["data"]},
        f"{name}ListResponse": {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": tag.ref("Item")},
                "links": {"$ref": f"#/components/schemas/{_PAGINATION_LINKS}"},
                "total": {"type": "integer"},
            },
            "required": ["data", "total"],
        },
        f"{name}Event": event,
        f"{name}EventsResponse": {
            "type": "object",
            "properties": {"data": {"type": "array", "items": tag.ref("Event")}},
            "required": ["data"],
        },
        f"{name}CreateRequest": create,
        f"{name}UpdateRequest": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "score": {"type": "number"},
                "labels": {"type": "array", "items": {"type": "string"}},
            },
        },
        f"{name}DeleteResponse": {
            "type": "object",
            "properties": {"deleted": {"type": "boolean"}, "id": {"type": "string"}},
            "required": ["deleted", "id"],
        },
        f"{name}BulkCreateResponse": {
            "type": "object",
            "properties": {"data": {"type": "array", "items": tag.ref("Item")}, "created": {"type": "integer"}},
            "required": ["data", "created"],
        },
    }


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _operations(tag: _Tag) -> list[tuple[str, str, dict[str, Any]]]:  # (method, path, operation)
    """The tag's ten operations, the paginated list first (a partial tag keeps it)."""
    name, id_param = tag.name, f"{tag.singular}Id"
    controller = f"Public{name}Controller"

    def op(method: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"summary": summary, "operationId": f"{controller}_{method}", "responses": responses, **extra}

    ok = {"200": {"description": "", **_json(tag.ref("ItemResponse"))}}
    one_param = [_path(id_param)]
    return [
        (
            "get",
            tag.collection,
            op(
                "findAll",
                f"List {tag.slug}",
                {"200": {"description": "", **_json(tag.ref("ListResponse"))}},
                parameters=[
                    _query("page", {"type": "integer", "minimum": 1, "default": 1}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
                    _query("status", {"type": "string", "enum": _STATUSES}),
                    _query("search", {"type": "string"}),
                ],
            ),
        ),
        ("get", tag.one, op("findOne", f"Get one of {tag.slug}", ok, parameters=one_param)),
        (
            "post",
            tag.collection,
            op(
                "create",
                f"Create one of {tag.slug}",
                {"201": {"description": "", **_json(tag.ref("ItemResponse"))}},
                requestBody={"required": True, **_json(tag.ref("CreateRequest"))},
            ),
        ),
        (
            "patch",
            tag.one,
            op(
                "update",
                f"Update one of {tag.slug}",
                ok,
                parameters=one_param,
                requestBody=_json(tag.ref("UpdateRequest")),
            ),
        ),
        (
            "delete",
            tag.one,
            op(
                "remove",
                f"Delete one of {tag.slug}",
                {"200": {"description": "", **_json(tag.ref("DeleteResponse"))}},
                parameters=one_param,
            ),
        ),
        (
            "patch",
            f"{tag.one}/status",
            op(
                "updateStatus",
                f"Change the status of one of {tag.slug}",
                ok,
                parameters=one_param,
                requestBody={  # inline, as NestJS emits small DTOs: the pipeline hoists it
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "properties": {
                                "status": {"type": "string", "enum": _STATUSES},
                                "reason": {"type": "string"},
                            },
                            "required": ["status"],
                        }
                    ),
                },
            ),
        ),
        ("post", f"{tag.one}/archive", op("archive", f"Archive one of {tag.slug}", ok, parameters=one_param)),
        (
            "get",
            f"{tag.one}/events",
            op(
                "findEvents",
                f"Events of one of {tag.slug}",
                {"200": {"description": "", **_json(tag.ref("EventsResponse"))}},
                parameters=[
                    *one_param,
                    _query("since", {"type": "string", "format": "date-time"}),
                    _query("type", {"type": "string", "enum": ["created", "updated", "archived", "deleted"]}),
                ],
            ),
        ),
        (
            "post",
            f"{tag.collection}/bulk",
            op(
                "bulkCreate",
                f"Create many of {tag.slug}",
                {"201": {"description": "", **_json(tag.ref("BulkCreateResponse"))}},
                requestBody={
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "properties": {"items": {"type": "array", "items": tag.ref("CreateRequest")}},
                            "required": ["items"],
                        }
                    ),
                },
            ),
        ),
        (
            "delete",
            f"{tag.one}/labels/{{labelName}}",
            op(
                "removeLabel",
                f"Remove a label from one of {tag.slug}",
                {"204": {"description": "Label removed"}},
                parameters=[*one_param, _path("labelName")],
            ),
        ),
    ]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    return yaml


def load(path: Path) -> Document:
    document: Document = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    return document


def dump(document: Document) -> str:
    """Block-style YAML, as Clerk publishes its spec."""
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def write(base_spec: Path, operations: int, target: Path) -> int:
    """Write `base_spec` grown to `operations` operations to `target`; return the count written."""
    grown = grow(load(base_spec), operations)
    target.write_text(dump(grown), encoding="utf-8")
    return operation_count(grown)
