"""Readable, collision-free operation module names (README, "Readable names").

An operation is generated as `clerk_chat_client.api.<tag package>.<module>`: the package is its
first tag's (`default` without tags), and the pair is its identity. The module name is chosen
by rules applied in order, the same way on every run:

1. Short name. An operationId of the form `<Name>Controller_<method>` (NestJS's default), also
   with a version after `Controller` (`UsersControllerV2_findAll`), becomes `<method>`; any
   other operationId is kept; an operation without one gets `<http method>_<path words>`.
2. Qualified name, for every operation whose short name is taken by another operation of the
   same package: controller ids keep their controller, without the word `Controller`
   (`users_find_all`, `users_v2_find_all`); other operations keep their short name.
3. Path name, for every operation whose name so far is still shared: `<http method>_<path
   words>` (`get_admin_users`), unique as long as the paths differ by more than punctuation.

Names are snake case with digits kept on their word (`v2`, `oauth2`, not `v_2`), and pass
through the generator's identifier rules (a builtin such as `list` becomes `list_`). Whatever
no rule tells apart fails generation, every such collision listed at once.

The chosen name becomes the operationId of a copy of the document handed to the generator
(swagger.yml is never touched). Where that name is not the operationId as written, or is used
in several packages, the operation's inline request-body, response and parameter schemas move
into components as `<Tag><Module><Suffix>` models, so that two operations named alike in two
tags do not both produce `SendBody`, a duplicate the generator would drop.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from openapi_python_client.strings import ClassName, PythonIdentifier

from .failure_locations import ORIGIN
from .spec import Operation, Problem, Spec, operation_objects

CONTROLLER_ID = re.compile(r"^(?P<controller>\w+?)Controller(?P<version>V\d+)?_(?P<method>[A-Za-z]\w*)$")
FIELD_PREFIX = "field_"  # openapi-python-client's default, used for names that are not identifiers
_WORD = re.compile(r"[A-Z]+(?![a-z])\d*|[A-Z]?[a-z]+\d*|\d+[a-z]*")
_SHORT, _QUALIFIED, _PATH = 0, 1, 2


def snake(text: str) -> str:
    """`findAllV2` -> `find_all_v2`, `user-groups/{groupId}` -> `user_groups_group_id`."""
    return "_".join(word.lower() for word in _WORD.findall(text))


def tag_package(tag: str) -> str:
    return str(PythonIdentifier(tag, prefix="tag"))


def _identifier(raw: str) -> str:
    return str(PythonIdentifier(raw, prefix=FIELD_PREFIX))


def candidates(op: Operation) -> tuple[str, str, str]:
    """The module names rules 1, 2 and 3 give this operation."""
    by_path = _identifier(f"{op.method}_{snake(op.path)}")
    if op.operation_id is None:
        return by_path, by_path, by_path
    match = CONTROLLER_ID.match(op.operation_id)
    if match is None:
        short = _identifier(snake(op.operation_id))
        return short, short, by_path
    qualifier = "_".join(part for part in (snake(match["controller"]), snake(match["version"] or "")) if part)
    method = snake(match["method"])
    return _identifier(method), _identifier(f"{qualifier}_{method}"), by_path


@dataclass(frozen=True)
class Naming:
    """Every operation's package and module, by (path, method)."""

    modules: dict[tuple[str, str], tuple[str, str]]

    def module(self, op: Operation) -> tuple[str, str]:
        return self.modules[(op.path, op.method)]


def choose(spec: Spec) -> Naming:
    """Apply the rules; raise PipelineError listing every collision no rule resolves."""
    operations = list(spec.operations())
    level = {op: _SHORT for op in operations}
    while True:
        taken: dict[tuple[str, str], list[Operation]] = defaultdict(list)
        for op in operations:
            taken[(tag_package(op.tags[0]), candidates(op)[level[op]])].append(op)
        clashes = [group for group in taken.values() if len(group) > 1]
        movable = [op for group in clashes for op in group if level[op] < _PATH]
        if not movable:
            break
        for op in movable:
            level[op] += 1
    if clashes:
        raise spec.error([_clash(spec, group) for group in clashes], what="naming collision")
    return Naming({(op.path, op.method): (tag_package(op.tags[0]), candidates(op)[level[op]]) for op in operations})


def _clash(spec: Spec, group: list[Operation]) -> Problem:
    first, *others = group
    package, module = tag_package(first.tags[0]), candidates(first)[_PATH]
    listed = ", ".join(f"{op.label()} at {spec.where(*op.pointer)}" for op in others)
    return Problem(
        first.pointer,
        f"{first.label()} and {listed} would {'both' if len(group) == 2 else 'all'} be generated as "
        f"clerk_chat_client.api.{package}.{module}, and no naming rule tells them apart; "
        "give one of them a distinct operationId",
    )


def with_readable_names(spec: Spec) -> dict[str, Any]:
    """A copy of the document whose operationIds are the chosen module names."""
    naming = choose(spec)
    packages_of: dict[str, set[str]] = defaultdict(set)
    for package, module in naming.modules.values():
        packages_of[module].add(package)
    document = copy.deepcopy(spec.document)
    problems: list[Problem] = []
    by_place = {(op.path, op.method): op for op in spec.operations()}
    for path, method, operation in operation_objects(document):
        op = by_place[(path, method)]
        _package, module = naming.module(op)
        renamed = op.operation_id is not None and _identifier(snake(op.operation_id)) != module
        if renamed or len(packages_of[module]) > 1:
            problems += _hoist_inline_schemas(document, op, operation, f"{op.tags[0]}_{module}")
        operation["operationId"] = module
    if problems:
        raise spec.error(problems, what="naming collision")
    return document


def _hoist_inline_schemas(
    document: dict[str, Any], op: Operation, operation: dict[str, Any], prefix: str
) -> list[Problem]:
    """Name an operation's inline models `<Tag><Module>...` instead of the generator's `<Module>...`."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    problems: list[Problem] = []

    def hoist(holder: dict[str, Any], suffix: str, pointer: tuple[str, ...]) -> None:
        schema = holder.get("schema")
        if not isinstance(schema, dict) or "$ref" in schema:
            return
        if schema.get("type") not in ("object", "array", None) and "enum" not in schema:
            return  # a plain scalar makes no model
        name = str(ClassName(f"{prefix}_{suffix}", prefix=FIELD_PREFIX))
        if name in schemas:
            problems.append(
                Problem(
                    (*pointer, "schema"),
                    f"an inline schema would be named {name}, which components/schemas already uses",
                )
            )
            return
        schemas[name] = {**schema, ORIGIN: [*pointer, "schema"]}
        holder["schema"] = {"$ref": f"#/components/schemas/{name}"}

    def hoist_content(holder: Any, suffix: str, pointer: tuple[str, ...]) -> None:
        if isinstance(holder, dict) and isinstance(holder.get("content"), dict):
            several = len(holder["content"]) > 1
            for content_type, media in holder["content"].items():
                if isinstance(media, dict):
                    where = (*pointer, "content", content_type)
                    hoist(media, f"{suffix}_{content_type}" if several else suffix, where)

    hoist_content(operation.get("requestBody"), "body", (*op.pointer, "requestBody"))
    for code, response in (operation.get("responses") or {}).items():
        hoist_content(response, f"response_{code}", (*op.pointer, "responses", str(code)))
    for index, parameter in enumerate(operation.get("parameters") or []):
        if isinstance(parameter, dict) and "name" in parameter:
            hoist(parameter, str(parameter["name"]), (*op.pointer, "parameters", str(index)))
    return problems
