"""Readable operation module names, derived from NestJS-style operationIds.

Rule: an operationId of the form `<Anything>Controller_<method>` becomes `<method>`, so that
`PublicTwilioConnectorController_connect` (tag `Twilio`) is generated as
`clerk_chat_client.api.twilio.connect`. Other operationIds, and operations without one, keep the
generator's own naming. The rule rewrites a copy of the spec handed to the generator; swagger.yml
itself is never touched.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from openapi_python_client.parser.openapi import generate_operation_id
from openapi_python_client.schema.untrusted_string import UntrustedString
from openapi_python_client.strings import ClassName, PythonIdentifier

from .errors import PipelineError
from .spec import Operation, Spec, operation_objects

CONTROLLER_ID = re.compile(r"^(?P<controller>\w+?)Controller_(?P<method>[A-Za-z]\w*)$")
FIELD_PREFIX = "field_"  # openapi-python-client's default, used for names that are not identifiers


def readable_operation_id(operation_id: str) -> str:
    """The operationId the generator should see: the method part of a controller id, else as is."""
    match = CONTROLLER_ID.match(operation_id)
    return match["method"] if match else operation_id


def module_name(op: Operation) -> str:
    """The module the generator will write for this operation, under its first tag's package."""
    if op.operation_id is None:
        return str(generate_operation_id(path=UntrustedString(op.path), method=op.method, prefix=FIELD_PREFIX))
    return str(PythonIdentifier(readable_operation_id(op.operation_id), prefix=FIELD_PREFIX))


def tag_package(tag: str) -> str:
    return str(PythonIdentifier(tag, prefix="tag"))


def with_readable_names(spec: Spec) -> dict[str, Any]:
    """A copy of the document with controller operationIds shortened; collisions are errors."""
    taken: dict[tuple[str, str], Operation] = {}
    for op in spec.operations():
        key = (tag_package(op.tags[0]), module_name(op))
        other = taken.setdefault(key, op)
        if other is not op:
            raise PipelineError(
                f"{spec.path.name}:{op.line}: {op.method.upper()} {op.path} ({op.operation_id}) and "
                f"{other.method.upper()} {other.path} ({other.operation_id}, line {other.line}) would both be "
                f"generated as clerk_chat_client.api.{key[0]}.{key[1]}; rename one operationId"
            )
    document = copy.deepcopy(spec.document)
    for path, method, operation in operation_objects(document):
        operation_id = operation.get("operationId")
        if isinstance(operation_id, str) and readable_operation_id(operation_id) != operation_id:
            short = readable_operation_id(operation_id)
            tag = (operation.get("tags") or ["default"])[0]
            _hoist_inline_schemas(spec, document, f"{method.upper()} {path}", operation, f"{tag}_{short}")
            operation["operationId"] = short
    return document


def _hoist_inline_schemas(
    spec: Spec, document: dict[str, Any], where: str, operation: dict[str, Any], prefix: str
) -> None:
    """Name an operation's inline models `<Tag><Method>...` instead of the generator's `<Method>...`.

    The generator names inline request-body, response and parameter models after the operationId;
    shortened, `MessagesController_send` and `SmsController_send` would both give `SendBody`, a
    duplicate the generator drops with a warning. Moving such schemas into components under a
    tag-prefixed name keeps them apart.
    """
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})

    def hoist(holder: dict[str, Any], suffix: str) -> None:
        schema = holder.get("schema")
        if not isinstance(schema, dict) or "$ref" in schema:
            return
        if schema.get("type") not in ("object", "array", None) and "enum" not in schema:
            return  # a plain scalar makes no model
        name = str(ClassName(f"{prefix}_{suffix}", prefix=FIELD_PREFIX))
        if name in schemas:
            raise PipelineError(
                f"{spec.path.name}: {where}: an inline schema would be named {name}, "
                "which components/schemas already uses"
            )
        schemas[name] = schema
        holder["schema"] = {"$ref": f"#/components/schemas/{name}"}

    def hoist_content(holder: Any, suffix: str) -> None:
        if isinstance(holder, dict) and isinstance(holder.get("content"), dict):
            several = len(holder["content"]) > 1
            for content_type, media in holder["content"].items():
                if isinstance(media, dict):
                    hoist(media, f"{suffix}_{content_type}" if several else suffix)

    hoist_content(operation.get("requestBody"), "body")
    for code, response in (operation.get("responses") or {}).items():
        hoist_content(response, f"response_{code}")
    for parameter in operation.get("parameters") or []:
        if isinstance(parameter, dict) and "name" in parameter:
            hoist(parameter, str(parameter["name"]))
