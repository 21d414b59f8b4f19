"""Point a failing generation step back at the spec: which operations and schemas caused it.

openapi-python-client names operations (`WARNING parsing POST /x within tag`) and schemas
(`/components/schemas/X`) in its warnings; mypy and ruff name generated files
(`clerk_chat_client/api/<tag>/<module>.py`, `clerk_chat_client/models/<module>.py`). Each is
translated to `file:line` and JSON pointer in the maintainer's spec. Schemas that naming.py
moved out of an operation into components carry their origin (`x-clerk-origin`), so they are
traced to the operation they were written in.
"""

from __future__ import annotations

import re
from typing import Any

from openapi_python_client.strings import ClassName, PythonIdentifier

from .source_map import Pointer
from .spec import Spec, json_pointer, operation_objects

ORIGIN = "x-clerk-origin"  # on a hoisted schema: the pointer, as parts, of where it was written
_OPERATION = re.compile(r"WARNING parsing (?P<method>[A-Z]+) (?P<path>\S+) within")
_SCHEMA = re.compile(r"/components/schemas/(?P<name>[^\s:'\"]+)")
_MODULE = re.compile(r"(?P<package>\w+)/(?P<kind>api/(?P<tag>\w+)|models)/(?P<module>\w+)\.py")


def described(output: str, spec: Spec, staged: dict[str, Any], package: str) -> str:
    """`output` followed by the spec locations it names, if any."""
    pointers = _pointers(output, staged, package)
    if not pointers:
        return output
    listed = "\n".join(f"  {spec.where(*pointer)}: {json_pointer(pointer)}" for pointer in pointers)
    return f"{output}\n\ncaused by, in {spec.path.name}:\n{listed}"


def _pointers(output: str, staged: dict[str, Any], package: str) -> list[Pointer]:
    found: list[Pointer] = []
    for match in _OPERATION.finditer(output):
        found.append(("paths", match["path"], match["method"].lower()))
    schemas = (staged.get("components") or {}).get("schemas") or {}
    for match in _SCHEMA.finditer(output):
        found.append(_origin(schemas, match["name"]))
    operations = {
        (str(PythonIdentifier((op.get("tags") or ["default"])[0], prefix="tag")), str(op.get("operationId"))): (
            path,
            method,
        )
        for path, method, op in operation_objects(staged)
    }
    models = {str(PythonIdentifier(str(ClassName(name, "field_")), "field_")): name for name in schemas}
    for match in _MODULE.finditer(output):
        if match["package"] != package:
            continue
        if match["tag"] is not None and (match["tag"], match["module"]) in operations:
            path, method = operations[(match["tag"], match["module"])]
            found.append(("paths", path, method))
        elif match["tag"] is None and match["module"] in models:
            found.append(_origin(schemas, models[match["module"]]))
    return list(dict.fromkeys(found))


def _origin(schemas: dict[str, Any], name: str) -> Pointer:
    schema = schemas.get(name)
    origin = schema.get(ORIGIN) if isinstance(schema, dict) else None
    return tuple(origin) if isinstance(origin, list) else ("components", "schemas", name)
