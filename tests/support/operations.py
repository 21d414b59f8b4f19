"""Every operation of the generated client, found by walking `clerk_chat_client.api`, and valid
arguments for it synthesized from the spec, so tests cover operations added later unchanged.

The spec is `swagger.yml`, or the document `CLERK_CHAT_CONTRACT_SPEC` names (the runner in
tests/test_real_world_specs.py points it at a spec of tests/specs/ and puts that spec's
regenerated `clerk_chat_client` first on the path). Each generated operation module declares
`_OPERATION = "METHOD /path (name)"`; that ties it to its operation object in the spec.
Arguments are built from the spec's schemas (tests/support/examples.py) and converted to what
the function's signature asks for (a model via `from_dict`, an enum, a datetime, a `File`, ...).
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import inspect
import io
import os
import pkgutil
import re
import types
import typing
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import clerk_chat_client.api
import yaml
from clerk_chat_client._credentials import SENDS_KEY
from clerk_chat_client.types import File, Unset

from tests.support.examples import BINARY, Synthesizer

REPO = Path(__file__).resolve().parents[2]
SPEC_ENV = "CLERK_CHAT_CONTRACT_SPEC"
SPEC_PATH = Path(os.environ.get(SPEC_ENV) or REPO / "swagger.yml")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
_OPERATION_LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<path>\S+) \((?P<name>[^)]+)\)$")

Schema = dict[str, Any]


@cache
def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))  # JSON is YAML
    return spec


def spec_operations() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the spec."""
    return {
        (method.upper(), path)
        for path, item in load_spec()["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }


@dataclass(frozen=True)
class Operation:
    module: types.ModuleType
    method: str  # upper case
    path: str  # the spec's path template
    name: str  # the operation's name in `_OPERATION`

    @property
    def id(self) -> str:
        """e.g. `twilio.connect`: the module's name under `clerk_chat_client.api`."""
        return self.module.__name__.removeprefix("clerk_chat_client.api.")

    @property
    def spec(self) -> dict[str, Any]:
        operation: dict[str, Any] = load_spec()["paths"][self.path][self.method.lower()]
        return operation

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS

    @property
    def secured(self) -> bool:
        """Whether the client sends the key on this operation: the flag its generated
        `_get_kwargs` puts on the request, from the security decided at generation time."""
        return bool(self.module._get_kwargs(**self.arguments())["extensions"][SENDS_KEY])

    def security(self) -> list[dict[str, list[str]]]:
        """The operation's effective security requirements: its own, else the document's."""
        requirements = self.spec["security"] if "security" in self.spec else load_spec().get("security")
        return list(requirements or [])

    @property
    def anonymous_allowed(self) -> bool:
        """Whether the spec lets the operation be called without credentials."""
        requirements = self.security()
        return not requirements or any(not requirement for requirement in requirements)

    def documented_statuses(self) -> list[int]:
        return sorted(int(code) for code in self.spec.get("responses", {}) if str(code).isdigit())

    def success_schema(self) -> Schema | None:
        """The JSON schema of the first documented 2xx response with a JSON body, resolved."""
        for code in self.documented_statuses():
            if 200 <= code < 300:
                content = resolve(self.spec["responses"][str(code)]).get("content", {})
                for media_type, media in content.items():
                    if "json" in media_type and "schema" in media:
                        return resolve_schema(media["schema"])
        return None

    @property
    def has_plain(self) -> bool:
        """Whether the module has `sync`/`asyncio` (the generator omits them when no documented
        response has a body, e.g. a lone 204; `sync_detailed`/`asyncio_detailed` are always there)."""
        return hasattr(self.module, "sync")

    def success_type(self) -> Any:
        """What `sync()` promises to return; without `sync`, what `.parsed` of `sync_detailed()` holds."""
        if self.has_plain:
            return typing.get_type_hints(self.module.sync)["return"]
        (parsed,) = typing.get_args(typing.get_type_hints(self.module.sync_detailed)["return"]) or (Any,)
        return parsed

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments (besides `client`) that make a spec-valid request."""
        hints = typing.get_type_hints(self.module.sync_detailed)
        arguments: dict[str, Any] = {}
        for name in inspect.signature(self.module.sync_detailed).parameters:
            if name == "client":
                continue
            schema = self.request_body_schema() if name == "body" else self._parameter_schema(name)
            arguments[name] = to_python(hints[name], example_value(schema))
        return arguments

    @property
    def tag(self) -> str:
        """The client attribute of the operation's tag (`twilio` of `twilio.connect`)."""
        return self.id.split(".")[0]

    @property
    def method_name(self) -> str:
        """The resource method's name: the module's (`connect`)."""
        return self.id.rsplit(".", 1)[-1]

    def resource_method(self, client: Any, *, raw: bool = False) -> Any:
        """`client.<tag>.<method>`, or `client.<tag>.with_raw_response.<method>`."""
        resource = getattr(client, self.tag)
        return getattr(resource.with_raw_response if raw else resource, self.method_name)

    def resource_arguments(self, method: Any) -> dict[str, Any]:
        """`arguments()` as the resource method takes them: a JSON object body's set fields become
        keyword arguments, each under the argument name the method gives it (`x_body` when the
        name clashes), as do parameters renamed for a clash (`timeout_query`)."""
        accepted = inspect.signature(method).parameters
        arguments = self.arguments()
        body = arguments.pop("body", None)
        flat = {_argument_name(name, accepted, _LOCATION_SUFFIXES): value for name, value in arguments.items()}
        if "body" in accepted and re.search(rf"\b{type(body).__name__}\b", str(accepted["body"].annotation)):
            flat["body"] = body  # passed whole: not a JSON object body (a property named `body` is flattened)
        elif body is not None and attrs.has(type(body)):
            for field in attrs.fields(type(body)):
                value = getattr(body, field.name)
                if field.name != "additional_properties" and not isinstance(value, Unset):
                    flat[_argument_name(field.name, accepted, ("_body",))] = value
        return flat

    def request_body(self) -> tuple[str, Schema] | None:
        """(content type, schema) of the body the generated function sends: the first documented."""
        body = resolve(self.spec.get("requestBody"))
        if not isinstance(body, dict) or not body.get("content"):
            return None
        content_type, media = next(iter(body["content"].items()))
        return content_type, resolve_schema(media.get("schema", {}))

    def request_body_schema(self) -> Schema:
        found = self.request_body()
        assert found is not None, f"{self.id} takes a body the spec does not describe"
        return found[1]

    def _parameter_schema(self, python_name: str) -> Schema:
        path_level = load_spec()["paths"][self.path].get("parameters", [])
        for parameter in [*path_level, *self.spec.get("parameters", [])]:
            parameter = resolve(parameter)
            if _normalized(parameter["name"]) == _normalized(python_name):
                return resolve_schema(parameter.get("schema", {}))
        raise LookupError(f"{self.id}: no spec parameter for argument {python_name!r}")


_LOCATION_SUFFIXES = ("_path", "_query", "_header", "_cookie")


def _argument_name(name: str, accepted: typing.Mapping[str, inspect.Parameter], suffixes: tuple[str, ...]) -> str:
    return next((name + suffix for suffix in suffixes if name + suffix in accepted), name)


def _normalized(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def discover_operations() -> list[Operation]:
    """Every generated operation module, in a stable order."""
    found: list[Operation] = []
    package = clerk_chat_client.api
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        module = importlib.import_module(info.name)
        line = getattr(module, "_OPERATION", None)
        if line is None:
            continue
        match = _OPERATION_LINE.match(line)
        if match is None:
            raise AssertionError(f"{info.name}._OPERATION is not 'METHOD /path (name)': {line!r}")
        path = _spec_path(match["path"], info.name)
        found.append(Operation(module, match["method"], path, match["name"]))
    return sorted(found, key=lambda operation: operation.id)


def _template_key(path: str) -> str:
    """A path template with its placeholder names normalized (`{messageId}` ~ `{message_id}`)."""
    return re.sub(r"\{([^}]*)\}", lambda m: "{" + _normalized(m[1]) + "}", path)


def _spec_path(path: str, module: str) -> str:
    """The spec's spelling of a path template (`_OPERATION` spells placeholders the Python way)."""
    for candidate in load_spec()["paths"]:
        if _template_key(candidate) == _template_key(path):
            return str(candidate)
    raise AssertionError(f"{module}: path {path!r} is not in {SPEC_PATH.name}")


# --- schemas -----------------------------------------------------------------------------------


def resolve(node: Any) -> Any:
    """Follow a local `$ref` (repeatedly)."""
    while isinstance(node, dict) and "$ref" in node:
        node = _target(node["$ref"])
    return node


def _target(ref: str) -> Any:
    target: Any = load_spec()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def resolve_schema(node: Any) -> Schema:
    schema = resolve(node)
    assert isinstance(schema, dict), f"not a schema: {schema!r}"
    return schema


def example_value(schema: Schema) -> Any:
    """A JSON value valid under `schema` (see tests/support/examples.py)."""
    return Synthesizer(_target).value(schema)


def to_python(annotation: Any, value: Any) -> Any:
    """Turn a JSON value into what a generated function's parameter annotation asks for."""
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in typing.get_args(annotation) if arg not in (Unset, type(None))]
        errors: list[Exception] = []
        for option in options:
            try:
                return to_python(option, value)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                errors.append(exc)
        raise TypeError(f"{value!r} fits none of {annotation}: {errors}")
    if origin is list:
        (item,) = typing.get_args(annotation)
        return [to_python(item, element) for element in value]
    if annotation is Any or not isinstance(annotation, type):
        return value
    if hasattr(annotation, "from_dict"):
        return annotation.from_dict(value)
    if issubclass(annotation, enum.Enum):
        return annotation(value)
    if annotation is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if annotation is dt.date:
        return dt.date.fromisoformat(value)
    if annotation is uuid.UUID:
        return uuid.UUID(value)
    if annotation is File:
        return File(payload=io.BytesIO(BINARY), file_name="upload.bin", mime_type="application/octet-stream")
    if not isinstance(value, annotation) and not (annotation is float and isinstance(value, int)):
        raise TypeError(f"{value!r} is not a {annotation.__name__}")
    return value


def returns_instance(annotation: Any, value: Any) -> bool:
    """Whether `value` is an instance of the (possibly union) return annotation."""
    if annotation is Any:
        return True
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        return any(returns_instance(arg, value) for arg in typing.get_args(annotation))
    if annotation is None or annotation is type(None):
        return value is None
    origin = typing.get_origin(annotation)
    return isinstance(value, origin or annotation)
