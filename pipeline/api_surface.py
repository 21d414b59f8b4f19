"""Read a generated package into a description that two generations can be compared by.

The version bump after a spec change must follow what a *user of the Python package* sees, so
this reads the package, not the spec: the spec says little about how a change lands in Python
(a renamed operationId moves a module; a new enum value changes nothing a caller wrote). The
package is loaded statically with griffe (never imported: the staged project is not installed,
and importing two generations of one package in one process would collide); what griffe does
not model — the HTTP method and path an operation sends, which class attributes are attrs fields,
enum values, the spec-derived constants of `_settings.py` — is read from the same syntax trees.
"""

from __future__ import annotations

import ast
import re
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import griffe

from .errors import PipelineError

SETTINGS_MODULE = "_settings"
_ENUM_BASE = re.compile(r"(^|\.)(Str|Int)?Enum$")


@dataclass(frozen=True)
class Slot:
    """A parameter of an operation or a field of a model: what a caller passes or reads."""

    name: str
    annotation: str
    default: str | None  # source text of the default; None: the caller must pass it

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def accepts_unset(self) -> bool:
        """Optional in the spec: the generator adds `Unset` to the type of what may be left out."""
        return "Unset" in self._union

    @property
    def base_type(self) -> str:
        """The annotation without `Unset`: that part moves with optionality, reported apart."""
        return " | ".join(part for part in self._union if part != "Unset") or self.annotation

    @property
    def _union(self) -> list[str]:
        return [part.strip() for part in _split_union(self.annotation)]


@dataclass(frozen=True)
class Operation:
    method: str  # upper case, e.g. "POST"
    path: str  # the URL template as sent, e.g. "/public/twilio-connector/connect"
    module: str  # dotted, from the package root: "clerk_chat_client.api.twilio.connect"
    parameters: tuple[Slot, ...]  # of sync_detailed, without `client`
    returns: str  # annotation of `sync`: what the caller gets back

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Signature:
    """A public function or method as callers use it: what they pass, what they get back."""

    parameters: tuple[Slot, ...]  # without self/cls; `*args` and `**kwargs` keep their stars
    returns: str
    defined_at: str = field(default="", compare=False)  # where it is written (a private base class's method)


@dataclass(frozen=True)
class Model:
    """An attrs model (`fields`) or an enum (`values`, the wire values in source form)."""

    name: str
    module: str
    is_enum: bool
    fields: tuple[Slot, ...] = ()
    values: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True, eq=False)
class Surface:
    package: str
    operations: dict[str, Operation]  # by "METHOD /path"
    models: dict[str, Model]  # by class name; enums included
    settings: dict[str, str] | None  # constant -> source of its value; None: no _settings.py
    public: frozenset[str]  # dotted paths of every public object, for additions griffe cannot report
    signatures: dict[str, Signature]  # every public function and method, by dotted path as users reach it
    dependencies: dict[str, str]  # runtime requirements of the project: normalized name -> specifier
    module: griffe.Module  # the griffe tree, for griffe.find_breaking_changes


def read(package_dir: Path) -> Surface:
    """Describe the package in `package_dir` (the folder holding its `__init__.py`)."""
    if not (package_dir / "__init__.py").is_file():
        raise PipelineError(f"{package_dir}: not a Python package (no __init__.py)")
    loaded = griffe.load(
        package_dir.name,
        search_paths=[package_dir.parent],
        try_relative_path=False,
        allow_inspection=False,  # static only: never import generated code
        resolve_aliases=False,
    )
    if not isinstance(loaded, griffe.Module):
        raise PipelineError(f"{package_dir}: griffe did not load it as a module")
    public = _public_objects(loaded)
    return Surface(
        package=loaded.path,
        operations=_operations(loaded),
        models=_models(loaded),
        settings=_settings(package_dir / f"{SETTINGS_MODULE}.py"),
        public=frozenset(public),
        signatures={path: _signature(obj) for path, obj in public.items() if isinstance(obj, griffe.Function)},
        dependencies=_dependencies(package_dir.parent / "pyproject.toml"),
        module=loaded,
    )


def _submodules(module: griffe.Module) -> list[griffe.Module]:
    found: list[griffe.Module] = []
    for member in module.members.values():
        if not member.is_alias and isinstance(member, griffe.Module):
            found.append(member)
            found.extend(_submodules(member))
    return found


def _function(module: griffe.Module, name: str) -> griffe.Function | None:
    member = module.members.get(name)
    if member is None or member.is_alias or not isinstance(member, griffe.Function):
        return None
    return member


def _operations(package: griffe.Module) -> dict[str, Operation]:
    api = package.members.get("api")
    if api is None or not isinstance(api, griffe.Module):
        return {}
    operations: dict[str, Operation] = {}
    for module in _submodules(api):
        get_kwargs = _function(module, "_get_kwargs")
        detailed = _function(module, "sync_detailed")
        plain = _function(module, "sync") or detailed
        if get_kwargs is None or detailed is None or plain is None:
            continue
        method, path = _method_and_url(get_kwargs, module.path)
        parameters = tuple(
            _slot(param.name, param.annotation, param.default)
            for param in detailed.parameters
            if param.name != "client"
        )
        returns = str(plain.returns) if plain.returns is not None else "None"
        operation = Operation(method.upper(), path, module.path, parameters, returns)
        operations[operation.key] = operation
    return operations


def _method_and_url(function: griffe.Function, where: str) -> tuple[str, str]:
    """The literal "method" and "url" of the request dict built by `_get_kwargs`."""
    tree = ast.parse(textwrap.dedent(function.source))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        entries = {
            key.value: value
            for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        }
        method, url = entries.get("method"), entries.get("url")
        if isinstance(method, ast.Constant) and isinstance(method.value, str) and url is not None:
            if isinstance(url, ast.Call) and isinstance(url.func, ast.Attribute) and url.func.attr == "format":
                url = url.func.value  # "/items/{item_id}".format(item_id=...): the template is the path
            if isinstance(url, ast.Constant) and isinstance(url.value, str):
                return method.value, url.value
    raise PipelineError(f'{where}._get_kwargs: no literal "method" and "url" found; cannot name the operation')


def _slot(name: str, annotation: str | griffe.Expr | None, default: str | griffe.Expr | None) -> Slot:
    return Slot(name, str(annotation) if annotation is not None else "", str(default) if default is not None else None)


def _models(package: griffe.Module) -> dict[str, Model]:
    models_package = package.members.get("models")
    if models_package is None or not isinstance(models_package, griffe.Module):
        return {}
    found: dict[str, Model] = {}
    for module in _submodules(models_package):
        for member in module.members.values():
            if member.is_alias or not isinstance(member, griffe.Class) or not member.is_public:
                continue
            found[member.name] = _model(member, module.path)
    return found


def _model(cls: griffe.Class, module: str) -> Model:
    attributes = [
        member
        for member in cls.members.values()
        if not member.is_alias
        and isinstance(member, griffe.Attribute)
        and "property" not in member.labels
        and not member.name.startswith("_")
    ]
    if any(_ENUM_BASE.search(str(base)) for base in cls.bases):
        values = tuple(str(attribute.value) for attribute in attributes if attribute.value is not None)
        return Model(cls.name, module, is_enum=True, values=values)
    fields = tuple(
        _slot(attribute.name, attribute.annotation, attribute.value)
        for attribute in attributes
        if attribute.annotation is not None and "init=False" not in str(attribute.value)  # additional_properties
    )
    return Model(cls.name, module, is_enum=False, fields=fields)


def _settings(path: Path) -> dict[str, str] | None:
    """Module-level constants of `_settings.py`, whatever they are called, as source text."""
    if not path.is_file():
        return None
    constants: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            constants[node.targets[0].id] = ast.unparse(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            constants[node.target.id] = ast.unparse(node.value)
    return constants


def _public_objects(obj: griffe.Object, prefix: str | None = None) -> dict[str, griffe.Object | griffe.Alias]:
    """Public objects as users reach them, by dotted path. A class exported from a private module
    (ClerkChatClient from `_client`) is walked under its exported name, so a method added to it is
    seen; objects of public modules are walked where they stand."""
    prefix = prefix or obj.path
    found: dict[str, griffe.Object | griffe.Alias] = {}
    for name, member in _members(obj).items():
        if not member.is_public:
            continue
        path = f"{prefix}.{name}"
        if isinstance(member, griffe.Alias):
            try:
                target = member.final_target
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                found[path] = member  # listed (an addition is seen), not walked
                continue
            found[path] = target
            private_home = any(part.startswith("_") for part in target.path.split("."))
            if not (private_home and target.path.split(".")[0] == obj.path.split(".")[0]):
                continue
        else:
            target = member
            found[path] = target
        if isinstance(target, griffe.Module | griffe.Class):
            found.update(_public_objects(target, path))
    return found


def _members(obj: griffe.Object) -> dict[str, griffe.Object | griffe.Alias]:
    """A class's members, with those it inherits from private classes (ClerkChatClient's methods
    live in `_ClerkChatClientBase`): users reach them on the class only. Members inherited from
    public classes are walked where those classes stand."""
    members: dict[str, griffe.Object | griffe.Alias] = {}
    if isinstance(obj, griffe.Class):
        for base in reversed(obj.mro()):
            if base.name.startswith("_"):
                members.update(base.members)
    members.update(obj.members)
    return members


def _signature(function: griffe.Function) -> Signature:
    stars = {griffe.ParameterKind.var_positional: "*", griffe.ParameterKind.var_keyword: "**"}
    parameters = tuple(
        _slot(stars.get(param.kind, "") + param.name, param.annotation, param.default)
        for param in function.parameters
        if param.name not in ("self", "cls")
    )
    return Signature(parameters, str(function.returns) if function.returns is not None else "None", function.path)


def _dependencies(pyproject: Path) -> dict[str, str]:
    """`[project].dependencies` as name -> the rest of the requirement (version range, markers)."""
    if not pyproject.is_file():
        return {}
    listed = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("dependencies", [])
    found: dict[str, str] = {}
    for requirement in listed:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)", requirement)
        if match:
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2].strip()
    return found


def _split_union(annotation: str) -> list[str]:
    """Split `A | B[C | D] | E` at its top level only."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(annotation):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(annotation[start:index])
            start = index + 1
    parts.append(annotation[start:])
    return parts


def names_in(annotation: str) -> set[str]:
    """Identifiers an annotation mentions: which models a parameter, field or return refers to."""
    return set(re.findall(r"[A-Za-z_]\w*", annotation))
