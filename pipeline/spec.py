"""Load and validate a spec, reporting every problem at once, each with its pointer and position.

openapi-spec-validator checks the document's shape and some semantics (path parameters that
resolve, defaults that fit their schema); on top of it we check what it misses and what
openapi-python-client would get silently wrong: `$ref`s that point nowhere or outside the file,
and security requirements naming no defined scheme. Each problem carries its absolute JSON
pointer and the line (for JSON, line and column: see source_map.py) where it stands. The
validator's semantic checks say nothing of where they looked, so its keyword validators are
wrapped to record the node each error came from.

Duplicate operationIds are not refused: NestJS emits them for two controllers of one class
name, and naming.py resolves them by its collision rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from jsonschema_path import SchemaPath
from openapi_spec_validator.shortcuts import get_validator_cls
from openapi_spec_validator.validation import keywords
from openapi_spec_validator.validation.exceptions import DuplicateOperationIDError, ValidatorDetectError
from openapi_spec_validator.validation.validators import SpecValidator

from . import source_map
from .errors import PipelineError
from .source_map import Pointer, Position

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MESSAGE_LIMIT = 240  # jsonschema quotes whole instances; a path item in a message helps nobody


@dataclass(frozen=True)
class Problem:
    pointer: Pointer
    message: str


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, with where it stands in the file."""

    method: str
    path: str
    operation_id: str | None
    tags: tuple[str, ...]

    @property
    def pointer(self) -> Pointer:
        return ("paths", self.path, self.method)

    def label(self) -> str:
        return f"{self.method.upper()} {self.path}" + (f" ({self.operation_id})" if self.operation_id else "")


@dataclass(frozen=True)
class Spec:
    path: Path
    document: dict[str, Any]  # plain JSON-compatible data
    positions: dict[Pointer, Position]  # pointer -> 1-based line and column of its key or item
    is_json: bool = False

    def position(self, pointer: Pointer) -> Position | None:
        """Where `pointer` stands, or its nearest ancestor that has a place in the file."""
        for end in range(len(pointer), 0, -1):
            found = self.positions.get(pointer[:end])
            if found is not None:
                return found
        return None

    def where(self, *pointer: str) -> str:
        """`file:line` (`file:line:column` for JSON), or the file name alone."""
        found = self.position(pointer)
        if found is None:
            return self.path.name
        line, column = found
        return f"{self.path.name}:{line}:{column}" if self.is_json else f"{self.path.name}:{line}"

    def describe(self, problem: Problem) -> str:
        return f"{self.where(*problem.pointer)}: {json_pointer(problem.pointer)}: {problem.message}"

    def error(self, problems: Iterable[Problem], what: str = "problem") -> PipelineError:
        """One PipelineError listing every problem, in file order."""
        unique = {(p.pointer, p.message): p for p in problems}.values()
        ordered = sorted(unique, key=lambda p: (self.position(p.pointer) or (0, 0), p.pointer, p.message))
        lines = [self.describe(problem) for problem in ordered]
        if len(lines) == 1:
            return PipelineError(lines[0])
        listed = "\n".join(f"  {line}" for line in lines)
        return PipelineError(f"{self.path.name}: {len(lines)} {what}s:\n{listed}")

    def operations(self) -> Iterator[Operation]:
        for path, method, op in operation_objects(self.document):
            operation_id = op.get("operationId")
            yield Operation(
                method=method,
                path=path,
                operation_id=operation_id if isinstance(operation_id, str) else None,
                tags=tuple(str(tag) for tag in op.get("tags") or ("default",)),
            )


def json_pointer(pointer: Pointer) -> str:
    """RFC 6901 form; the document root, which has no parts, is shown as `(root)`."""
    if not pointer:
        return "(root)"
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in pointer)


def operation_objects(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation object) for every operation of a document, in file order."""
    paths = document.get("paths")
    for path, item in (paths if isinstance(paths, dict) else {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                yield path, method, item[method]


def load(path: Path, data: bytes | None = None) -> Spec:
    """Parse and validate `data` (else the file's bytes); raise PipelineError listing every problem found."""
    source = source_map.read(path, data)
    if not isinstance(source.document, dict):
        kind = type(source.document).__name__
        raise PipelineError(f"{path.name}: the document must be a mapping, not {kind}")
    spec = Spec(path=path, document=source.document, positions=source.positions, is_json=source.is_json)
    reference_problems = [*_ref_problems(spec.document)]
    shape_problems = _shape_problems(spec)
    problems = [*reference_problems, *shape_problems, *_security_problems(spec.document)]
    problems += _semantic_problems(spec, crash_matters=not problems)
    if problems:
        raise spec.error(problems)
    return spec


# --- references --------------------------------------------------------------------------------


def _ref_problems(document: dict[str, Any]) -> Iterator[Problem]:
    for pointer, ref in _refs(document, ()):
        if not ref.startswith("#/"):
            yield Problem(pointer, f"external $ref {ref!r} is not supported")
            continue
        target: Any = document
        for part in _ref_parts(ref):
            if not isinstance(target, dict) or part not in target:
                yield Problem(pointer, f"$ref {ref!r} points nowhere (no {part!r})")
                break
            target = target[part]


def _ref_parts(ref: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/")]


def _refs(node: Any, pointer: Pointer) -> Iterator[tuple[Pointer, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield (*pointer, key), value
            else:
                yield from _refs(value, (*pointer, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, (*pointer, str(i)))


def physical(document: dict[str, Any], logical: Iterable[str | int]) -> Pointer:
    """Where a path that walks through `$ref`s (as the validator's do) really lands in the file."""
    pointer: Pointer = ()
    node: Any = document
    for raw in logical:
        part = str(raw)
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and part not in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return pointer
            pointer, node = tuple(_ref_parts(ref)), document
            for step in pointer:
                node = node.get(step) if isinstance(node, dict) else None
        pointer = (*pointer, part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            node = None
    return pointer


# --- shape: the OpenAPI meta-schema ------------------------------------------------------------


def _validator_class(spec: Spec) -> type[SpecValidator] | Problem:
    if "swagger" in spec.document:
        return Problem(("swagger",), "Swagger 2.0 is not supported: convert the document to OpenAPI 3")
    try:
        return get_validator_cls(spec.document)
    except ValidatorDetectError:
        return Problem((), "no supported `openapi` version field (expected 3.0.x or 3.1.x)")


def _shape_problems(spec: Spec) -> list[Problem]:
    found = _validator_class(spec)
    if isinstance(found, Problem):
        return [found]
    return [_explained(spec.document, error) for error in found.schema_validator.iter_errors(spec.document)]


def _explained(document: dict[str, Any], error: ValidationError) -> Problem:
    """The most specific reason for a meta-schema error.

    "... is not valid under any of the given schemas" says little: the meta-schema offers each
    object as itself or as a `$ref`, and parameters as one of four locations. Descend into the
    alternatives while only one of them (the `$ref` one aside) applies; alternatives that all
    reject one value by `enum` are merged into one list of what is allowed.
    """
    while error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        real = [branch for branch in branches.values() if not _only_wants_a_ref(branch)]
        if len(real) == 1 and len(real[0]) == 1:
            error = real[0][0]
            continue
        enums = [sub for branch in real for sub in branch if sub.validator == "enum"]
        if enums and len({tuple(sub.absolute_path) for sub in enums}) == 1:
            allowed = [value for sub in enums if isinstance(sub.validator_value, list) for value in sub.validator_value]
            return Problem(physical(document, enums[0].absolute_path), f"{enums[0].instance!r} is not one of {allowed}")
        break
    return _problem(document, error.absolute_path, error)


def _only_wants_a_ref(branch: list[ValidationError]) -> bool:
    return all(sub.validator == "required" and sub.validator_value == ["$ref"] for sub in branch)


def _problem(document: dict[str, Any], logical: Iterable[str | int], error: ValidationError) -> Problem:
    message = error.message if len(error.message) <= _MESSAGE_LIMIT else error.message[:_MESSAGE_LIMIT] + " …"
    return Problem(physical(document, logical), message)


# --- security requirements ---------------------------------------------------------------------


def _security_problems(document: dict[str, Any]) -> Iterator[Problem]:
    components = document.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    defined = set(schemes) if isinstance(schemes, dict) else set()
    holders: list[tuple[Pointer, Any]] = [(("security",), document.get("security"))]
    holders += [(("paths", p, m, "security"), op.get("security")) for p, m, op in operation_objects(document)]
    for pointer, requirements in holders:
        for index, requirement in enumerate(requirements if isinstance(requirements, list) else []):
            for name in requirement if isinstance(requirement, dict) else ():
                if name not in defined:
                    yield Problem(
                        (*pointer, str(index), name), f"security scheme {name!r} is not defined in components"
                    )


# --- semantics: openapi-spec-validator's keyword validators, located ----------------------------


def _semantic_problems(spec: Spec, crash_matters: bool) -> list[Problem]:
    """The validator's semantic checks. They resolve `$ref`s and assume a well-formed document,
    so on a document with other problems they may crash part-way: what they found until then
    is kept, and the crash itself is reported only when nothing else explains it."""
    found = _validator_class(spec)
    if isinstance(found, Problem):
        return []  # _shape_problems reported it
    located: list[Problem] = []
    validator = _located(found)(spec.document)
    try:
        for error in validator.root_validator(validator.schema_path):
            if isinstance(error, DuplicateOperationIDError):
                continue  # naming.py resolves duplicates
            pointer = getattr(error, _POINTER, None)
            located.append(_problem(spec.document, pointer or (), error))
    except Exception as exc:  # a validator crash is reported, not a traceback
        if crash_matters:
            located.append(Problem((), f"openapi-spec-validator failed: {type(exc).__name__}: {exc}"))
    return located


_POINTER = "_clerk_pointer"


def _located(base: type[SpecValidator]) -> type[SpecValidator]:
    """`base` with every keyword validator stamping its errors with the node it was checking.

    The innermost validator that sees an error stamps it first; outer ones leave it be. Values
    checked against a schema (`default`) report paths inside the value, after the schema's.
    """
    wrapped = {name: _locating(cls) for name, cls in base.keyword_validators.items()}
    return type(f"Located{base.__name__}", (base,), {"keyword_validators": wrapped})


def _locating(cls: type[keywords.KeywordValidator]) -> type[keywords.KeywordValidator]:
    inside_value = ("default",) if issubclass(cls, keywords.ValueValidator) else ()
    checks: Any = cls.__call__  # every keyword validator is called with the node it checks

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Iterator[ValidationError]:
        node = next((arg for arg in args if isinstance(arg, SchemaPath)), None)
        for error in checks(self, *args, **kwargs):
            if node is not None and not hasattr(error, _POINTER):
                setattr(error, _POINTER, (*node.parts, *inside_value, *error.absolute_path))
            yield error

    return type(f"Located{cls.__name__}", (cls,), {"__call__": __call__})
