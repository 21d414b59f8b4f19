"""Edits of a copy's `swagger.yml`, made in code from the document itself (tests/test_spec_changes.py).

Every edit finds what it changes by following the spec (the connect operation by its operationId,
its request and response schemas through their `$ref`s, the API-key scheme by the operations'
`security`), so the edits keep fitting the real document as it grows. Documents are read and
written with ruamel.yaml in round-trip mode: what an edit does not touch stays as it was.

`grow()` adds a programmatically built API (tags x NestJS-style operations mixing methods, path,
query and body parameters, enums, date-time and number fields) and returns, per operation, the
JSON body a server should answer with, so a fake server can serve all of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CONNECT_OPERATION_ID = "PublicTwilioConnectorController_connect"
Document = Any  # a ruamel CommentedMap


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def load(path: Path) -> Document:
    return _yaml().load(path.read_text(encoding="utf-8"))


def save(path: Path, document: Document) -> None:
    with path.open("w", encoding="utf-8") as stream:
        _yaml().dump(document, stream)


def edit(path: Path, change: Callable[[Document], Any]) -> Any:
    """Load the spec at `path`, apply `change`, write it back; return what `change` returned."""
    document = load(path)
    result = change(document)
    save(path, document)
    return result


# --- finding things in the document ----------------------------------------------------------


def operations(document: Document) -> Iterator[tuple[str, str, Document]]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def find_operation(document: Document, operation_id: str) -> tuple[str, str, Document]:
    for path, method, operation in operations(document):
        if operation.get("operationId") == operation_id:
            return path, method, operation
    raise LookupError(f"no operation {operation_id!r} in the spec")


def schema_name(node: Document) -> str:
    """The component name a `$ref` node points at."""
    ref = str(node["$ref"])
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        raise LookupError(f"not a component schema reference: {ref}")
    return ref.removeprefix(prefix)


def schema(document: Document, name: str) -> Document:
    return document["components"]["schemas"][name]


def connect_request_schema(document: Document) -> str:
    """The name of the connect operation's JSON request body schema (ConnectTwilioRequest)."""
    _path, _method, operation = find_operation(document, CONNECT_OPERATION_ID)
    return schema_name(operation["requestBody"]["content"]["application/json"]["schema"])


def connect_response_schema(document: Document) -> str:
    """The name of the connect operation's 200 response schema (TwilioConnectorResponse)."""
    _path, _method, operation = find_operation(document, CONNECT_OPERATION_ID)
    return schema_name(operation["responses"]["200"]["content"]["application/json"]["schema"])


def connect_url_owner(document: Document) -> str:
    """The schema holding `connectUrl` in the connect response (TwilioConnectorObject)."""
    response = schema(document, connect_response_schema(document))
    return schema_name(response["properties"]["data"])


def key_scheme(document: Document) -> Document:
    """The securitySchemes entry the connect operation (and so the client) uses for the API key."""
    _path, _method, operation = find_operation(document, CONNECT_OPERATION_ID)
    requirements = list(operation.get("security") or document.get("security") or [])
    (name,) = {scheme for requirement in requirements for scheme in requirement}
    return document["components"]["securitySchemes"][name]


def security_requirement(document: Document) -> list[dict[str, list[str]]]:
    """A fresh copy of the connect operation's `security` list, for new operations."""
    _path, _method, operation = find_operation(document, CONNECT_OPERATION_ID)
    return [{name: [] for name in requirement} for requirement in operation["security"]]


def _unused(taken: Callable[[str], bool], name: str) -> str:
    """`name`, or `name` with a numeric suffix if the real spec already uses it."""
    candidate, n = name, 1
    while taken(candidate):
        n += 1
        candidate = f"{name}{n}"
    return candidate


# --- edits -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddedOperation:
    method: str  # upper case
    path: str  # template, e.g. /public/messages/{messageId}
    operation_id: str
    tag: str
    response_schema: str
    query_parameter: str

    @property
    def tag_package(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.tag).lower()


def add_message_operation(document: Document) -> AddedOperation:
    """GET /public/messages/{messageId} in a new tag: a path and a query parameter, a date-time in
    the response. Names get a suffix if the real spec already has them."""
    tags = {tag for _p, _m, operation in operations(document) for tag in operation.get("tags", [])}
    tag = _unused(lambda t: t in tags, "Messages")
    base = f"/public/{tag.lower()}"
    path = f"{base}/{{messageId}}"
    schemas = document["components"]["schemas"]
    message = _unused(lambda n: n in schemas, "MessageObject")
    response = _unused(lambda n: n in schemas, "MessageResponse")
    schemas[message] = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "ID of the message"},
            "body": {"type": "string"},
            "createdAt": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "body", "createdAt"],
    }
    schemas[response] = {
        "type": "object",
        "properties": {"data": {"$ref": f"#/components/schemas/{message}"}},
        "required": ["data"],
    }
    operation_id = f"Public{tag}Controller_getMessage"
    document["paths"][path] = {
        "get": {
            "tags": [tag],
            "summary": "Get a message",
            "operationId": operation_id,
            "parameters": [
                {"name": "messageId", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "includeMedia",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "boolean"},
                },
            ],
            "responses": {
                "200": {
                    "description": "",
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{response}"}}},
                },
                "404": {"description": "Resource not found"},
                "429": {"description": "Too many requests for this resource"},
            },
            "security": security_requirement(document),
        }
    }
    return AddedOperation("GET", path, operation_id, tag, response, "includeMedia")


def remove_operation(document: Document, method: str, path: str) -> None:
    item = document["paths"][path]
    del item[method.lower()]
    if not any(m in item for m in HTTP_METHODS):
        del document["paths"][path]


def add_optional_request_field(document: Document, name: str, description: str) -> str:
    """A new optional string property of the connect request; returns the schema name."""
    owner = connect_request_schema(document)
    properties = schema(document, owner)["properties"]
    assert name not in properties, f"{owner} already has {name}"
    properties[name] = {"type": "string", "description": description}
    return owner


def require_request_field(document: Document, name: str) -> str:
    owner = connect_request_schema(document)
    target = schema(document, owner)
    assert name in target["properties"], f"{owner} has no property {name}"
    required = target.setdefault("required", [])
    assert name not in required
    required.append(name)
    return owner


def remove_request_field(document: Document, name: str) -> str:
    owner = connect_request_schema(document)
    target = schema(document, owner)
    assert name in target["properties"], f"{owner} has no property {name}"
    del target["properties"][name]
    if name in target.get("required", []):
        target["required"].remove(name)
    return owner


def remove_enum_value(document: Document, field: str, value: str) -> str:
    owner = connect_request_schema(document)
    values = schema(document, owner)["properties"][field]["enum"]
    values.remove(value)
    return owner


def retype_response_field(document: Document, field: str, new_type: str) -> str:
    owner = connect_url_owner(document)
    schema(document, owner)["properties"][field]["type"] = new_type
    return owner


def rename_key_header(document: Document, new_name: str) -> str:
    """Rename the header the API key is sent in; returns the old name."""
    scheme = key_scheme(document)
    assert scheme["type"] == "apiKey" and scheme["in"] == "header", scheme
    old = str(scheme["name"])
    scheme["name"] = new_name
    return old


def template_pattern(template: str) -> re.Pattern[str]:
    """Matches a request target (path and query string) sent for a path template."""
    regex = re.sub(r"\\\{[^}]*\\\}", "[^/?]+", re.escape(template))
    return re.compile(f"^{regex}(\\?.*)?$")


def resolve(document: Document, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = schema(document, schema_name(node))
    return node


def sample(document: Document, node: Any) -> Any:
    """A JSON value valid under a (simple) schema: examples, defaults and first enum values first."""
    node = resolve(document, node)
    for key in ("example", "default"):
        if key in node:
            return node[key]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type") or ("object" if "properties" in node else "string")
    if kind == "object":
        return {name: sample(document, sub) for name, sub in node.get("properties", {}).items()}
    if kind == "array":
        return [sample(document, node.get("items", {}))]
    if node.get("format") == "date-time":
        return _CREATED_AT
    return {"integer": 1, "number": 1.5, "boolean": True}.get(kind, "x")


def success_response(document: Document, operation: Document) -> tuple[int, Any]:
    """The first 2xx status of an operation and a sample JSON body for it (None: no JSON body)."""
    for code in sorted(str(code) for code in operation.get("responses", {})):
        if code.startswith("2"):
            content = operation["responses"][code].get("content", {})
            media = content.get("application/json")
            return int(code), None if media is None else sample(document, media.get("schema", {}))
    raise LookupError(f"{operation.get('operationId')}: no success response")


# --- a grown API -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GrownOperation:
    method: str  # upper case
    path: str  # template
    operation_id: str
    status: int  # the success status
    response_schema: str  # the class the call must return
    body: dict[str, Any]  # what the server answers with

    @property
    def pattern(self) -> re.Pattern[str]:
        return template_pattern(self.path)


GROWN_TAGS = ("Contacts", "Campaigns", "AdminUsers", "Webhooks")
_CREATED_AT = "2024-05-06T07:08:09Z"


def grow(document: Document, tags: tuple[str, ...] = GROWN_TAGS) -> list[GrownOperation]:
    """Add len(tags) x 6 operations (GET list, GET one, POST, PUT, PATCH, DELETE) to the document."""
    schemas = document["components"]["schemas"]
    security = security_requirement(document)
    grown: list[GrownOperation] = []
    for tag in tags:
        assert f"{tag}Item" not in schemas, f"the spec already has {tag}Item"
        slug = re.sub(r"(?<!^)(?=[A-Z])", "-", tag).lower()
        collection, one = f"/public/{slug}", f"/public/{slug}/{{{tag[0].lower()}{tag[1:-1]}Id}}"
        status_values = ["active", "paused", "archived"]
        schemas[f"{tag}Item"] = {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "status": {"type": "string", "enum": status_values},
                "score": {"type": "number"},
                "createdAt": {"type": "string", "format": "date-time"},
                "labels": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["id", "name", "status", "createdAt"],
        }
        schemas[f"{tag}ItemResponse"] = _data_of(f"#/components/schemas/{tag}Item")
        schemas[f"{tag}ListResponse"] = {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{tag}Item"}},
                "total": {"type": "integer"},
            },
            "required": ["data", "total"],
        }
        schemas[f"{tag}DeleteResponse"] = {
            "type": "object",
            "properties": {"deleted": {"type": "boolean"}, "id": {"type": "string"}},
            "required": ["deleted", "id"],
        }
        schemas[f"Create{tag}Request"] = {
            "type": "object",
            "properties": {
                "name": {"type": "string", "example": f"new {slug}"},
                "score": {"type": "number", "example": 2.5},
                "kind": {"type": "string", "enum": ["standard", "premium"]},
                "startsAt": {"type": "string", "format": "date-time"},
            },
            "required": ["name"],
        }
        schemas[f"Update{tag}Request"] = {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "score": {"type": "number"},
                "labels": {"type": "array", "items": {"type": "string"}},
            },
        }
        schemas[f"Update{tag}StatusRequest"] = {
            "type": "object",
            "properties": {"status": {"type": "string", "enum": status_values}},
            "required": ["status"],
        }
        item = {"id": "id-1", "name": "a name", "status": "paused", "score": 3, "createdAt": _CREATED_AT}
        id_param = one.rsplit("{", 1)[1].rstrip("}")
        path_param = {"name": id_param, "in": "path", "required": True, "schema": {"type": "string"}}
        specs: list[tuple[str, str, str, list[dict[str, Any]], str | None, int, str, dict[str, Any]]] = [
            (
                "get",
                collection,
                "findAll",
                [
                    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "example": 20}},
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": status_values},
                    },
                    {
                        "name": "since",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "date-time"},
                    },
                ],
                None,
                200,
                f"{tag}ListResponse",
                {"data": [item, {**item, "id": "id-2", "labels": ["x"]}], "total": 2},
            ),
            ("get", one, "findOne", [path_param], None, 200, f"{tag}ItemResponse", {"data": item}),
            ("post", collection, "create", [], f"Create{tag}Request", 201, f"{tag}ItemResponse", {"data": item}),
            ("put", one, "update", [path_param], f"Update{tag}Request", 200, f"{tag}ItemResponse", {"data": item}),
            (
                "patch",
                f"{one}/status",
                "updateStatus",
                [path_param],
                f"Update{tag}StatusRequest",
                200,
                f"{tag}ItemResponse",
                {"data": item},
            ),
            (
                "delete",
                one,
                "remove",
                [path_param, {"name": "force", "in": "query", "required": False, "schema": {"type": "boolean"}}],
                None,
                200,
                f"{tag}DeleteResponse",
                {"deleted": True, "id": "id-1"},
            ),
        ]
        for method, path, name, parameters, request, status, response, body in specs:
            operation_id = f"Public{tag}Controller_{name}"
            operation: dict[str, Any] = {
                "tags": [tag],
                "summary": f"{name} ({tag})",
                "operationId": operation_id,
                "parameters": parameters,
            }
            if request is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{request}"}}},
                }
            operation["responses"] = {
                str(status): {
                    "description": "",
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{response}"}}},
                },
                "400": {"description": "Invalid request"},
                "429": {"description": "Too many requests for this resource"},
            }
            operation["security"] = [dict(requirement) for requirement in security]
            document["paths"].setdefault(path, {})[method] = operation
            grown.append(GrownOperation(method.upper(), path, operation_id, status, response, body))
    return grown


def _data_of(ref: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"data": {"$ref": ref}}, "required": ["data"]}
