"""Load and validate swagger.yml, catching what the generator would get silently wrong.

openapi-spec-validator checks the document's shape; on top of it we check what it misses and
what openapi-python-client would drop or merge without a word: `$ref`s that point nowhere and
duplicate operationIds. Every message names the file and, where the YAML parser knows it, the
line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase
from ruamel.yaml.error import YAMLError

from .errors import PipelineError
from .timings import step

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, with where it stands in the file."""

    method: str
    path: str
    operation_id: str | None
    tags: tuple[str, ...]
    line: int | None


@dataclass(frozen=True)
class Spec:
    path: Path
    document: dict[str, Any]  # plain JSON-compatible data
    lines: dict[tuple[str, ...], int]  # JSON pointer parts -> 1-based line

    def where(self, *pointer: str) -> str:
        line = self.lines.get(tuple(pointer))
        return f"{self.path.name}:{line}" if line else self.path.name

    def operations(self) -> Iterator[Operation]:
        for path, method, op in operation_objects(self.document):
            yield Operation(
                method=method,
                path=path,
                operation_id=op.get("operationId"),
                tags=tuple(op.get("tags") or ("default",)),
                line=self.lines.get(("paths", path, method)),
            )


def operation_objects(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation object) for every operation of a document, in file order."""
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                yield path, method, item[method]


def read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PipelineError(f"{path.name}: cannot read: {exc.strerror}") from exc


def load(path: Path, data: bytes | None = None) -> Spec:
    """Parse and validate `data` (else the file's bytes); raise PipelineError naming the first problem found."""
    try:
        text = (read(path) if data is None else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PipelineError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as read_text() gives
    try:
        with step("spec: parse YAML"):
            tree = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path.name}:{mark.line + 1}" if mark is not None else path.name
        raise PipelineError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(tree, dict):
        raise PipelineError(f"{path.name}: the document must be a mapping, not {type(tree).__name__}")
    lines: dict[tuple[str, ...], int] = {}
    with step("spec: to plain data"):
        document = _plain(tree, (), lines)
    spec = Spec(path=path, document=document, lines=lines)
    if isinstance(document.get("paths"), dict):
        # before the validator, which reports duplicates too but without a line
        _check_unique_operation_ids(spec)
    with step("spec: validate (openapi-spec-validator)"):
        _validate_shape(spec)
    with step("spec: check $refs"):
        _check_refs(spec)
    return spec


def _plain(node: Any, pointer: tuple[str, ...], lines: dict[tuple[str, ...], int]) -> Any:
    """Turn ruamel's round-trip nodes into plain data, remembering each key's line."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            child = (*pointer, str(key))
            if isinstance(node, CommentedBase):
                line, _col = node.lc.key(key)
                lines[child] = line + 1
            out[str(key)] = _plain(value, child, lines)
        return out
    if isinstance(node, list):
        return [_plain(value, (*pointer, str(i)), lines) for i, value in enumerate(node)]
    if isinstance(node, (str, bool, int, float)) or node is None:
        return json.loads(json.dumps(node))  # drops ruamel's scalar subclasses
    return str(node)


def _validate_shape(spec: Spec) -> None:
    # imported here: it takes a quarter of a second, and a spec found in the cache needs no validator
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(spec.document)
    except OpenAPIValidationError as exc:
        pointer = tuple(str(part) for part in getattr(exc, "absolute_path", ()))
        at = f" at /{'/'.join(pointer)}" if pointer else ""
        raise PipelineError(f"{spec.where(*pointer)}: invalid OpenAPI document{at}: {exc.message}") from exc


def _check_refs(spec: Spec) -> None:
    for pointer, ref in _refs(spec.document, ()):
        if not ref.startswith("#/"):
            raise PipelineError(f"{spec.where(*pointer)}: external $ref {ref!r} is not supported")
        target: Any = spec.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise PipelineError(f"{spec.where(*pointer)}: $ref {ref!r} points nowhere (no {part!r})")
            target = target[part]


def _refs(node: Any, pointer: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield (*pointer, key), value
            else:
                yield from _refs(value, (*pointer, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, (*pointer, str(i)))


def _check_unique_operation_ids(spec: Spec) -> None:
    seen: dict[str, Operation] = {}
    for op in spec.operations():
        if op.operation_id is None:
            continue
        first = seen.setdefault(op.operation_id, op)
        if first is not op:
            raise PipelineError(
                f"{spec.path.name}:{op.line}: operationId {op.operation_id!r} of {op.method.upper()} {op.path} "
                f"is already used by {first.method.upper()} {first.path} (line {first.line}); "
                "the generator would silently keep only one"
            )
