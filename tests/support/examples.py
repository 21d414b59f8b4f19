"""Values valid under a JSON schema of the spec, for requests the contract tests make.

Preferred, in order: the schema's `example`, its `default`, its first non-null `enum` value;
otherwise a value built from the type and its constraints: a string matching `pattern` (the
shortest one hypothesis finds) or of the `format` asked for, a number inside `minimum` /
`maximum` (exclusive or not) and on `multipleOf`, every required property of an object and, near
the top, the optional ones too; `format: binary` gives bytes (what a generated model's `File`
field is built from). Recursive schemas stop where the recursion may: an optional property or
an array that may be empty is left out or empty.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import find, settings
from hypothesis import strategies as st

Schema = dict[str, Any]
Resolver = Callable[[str], Any]

FULL_DEPTH = 3  # optional properties are filled down to this depth, then only required ones
MAX_DEPTH = 24
BINARY = b"contract test"
_STRING_FORMATS: dict[str, str] = {
    "date-time": "2024-05-06T07:08:09Z",
    "date": "2024-05-06",
    "time": "07:08:09Z",
    "uuid": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "email": "someone@example.com",
    "uri": "https://example.com/x",
    "url": "https://example.com/x",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "eA==",
}


class Recursive(Exception):
    """A schema that contains itself where the value cannot stop."""


@cache
def matching(pattern: str, min_length: int = 0, max_length: int | None = None) -> str:
    """The shortest string hypothesis finds that `pattern` matches (searched, not anchored, as
    JSON Schema reads patterns) within the length bounds."""
    fits = st.from_regex(pattern, fullmatch=False)
    return find(
        fits,
        lambda text: min_length <= len(text) and (max_length is None or len(text) <= max_length),
        settings=settings(database=None, max_examples=2000),
    )


class Synthesizer:
    """Builds values for one document; `resolve` follows a local `$ref`."""

    def __init__(self, resolve: Resolver, *, for_request: bool = True) -> None:
        self._resolve = resolve
        self._for_request = for_request

    def value(self, schema: Any, depth: int = 0, trail: frozenset[str] = frozenset()) -> Any:
        if depth > MAX_DEPTH:
            raise Recursive(f"schema nests deeper than {MAX_DEPTH}: {schema}")
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if ref in trail:
                raise Recursive(ref)
            return self.value(self._resolve(ref), depth, trail | {ref})
        if not isinstance(schema, dict):
            return "x"
        for key in ("example", "default", "const"):
            if key in schema:
                return schema[key]
        if isinstance(schema.get("enum"), list) and any(v is not None for v in schema["enum"]):
            return next(v for v in schema["enum"] if v is not None)
        if "allOf" in schema:
            return self._all_of(schema, depth, trail)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._first_that_works(schema[key], depth, trail)
        kind = _kind(schema)
        if kind == "object":
            return self._object(schema, depth, trail)
        if kind == "array":
            return self._array(schema, depth, trail)
        if kind in ("integer", "number"):
            return number(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema)

    def _first_that_works(self, options: list[Any], depth: int, trail: frozenset[str]) -> Any:
        failures: list[Recursive] = []
        for option in options:
            if isinstance(option, dict) and _kind(option) == "null":
                continue
            try:
                return self.value(option, depth + 1, trail)
            except Recursive as exc:
                failures.append(exc)
        raise Recursive(f"no alternative can be built: {failures}")

    def _all_of(self, schema: Schema, depth: int, trail: frozenset[str]) -> Any:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = self.value(part, depth + 1, trail)
            if not isinstance(value, dict):
                return value
            merged.update(value)
        rest = {key: value for key, value in schema.items() if key != "allOf"}
        if rest.get("properties"):
            merged.update(self._object(rest, depth, trail))
        return merged

    def _object(self, schema: Schema, depth: int, trail: frozenset[str]) -> dict[str, Any]:
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for name, sub in (schema.get("properties") or {}).items():
            resolved = self._peek(sub)
            if self._for_request and resolved.get("readOnly"):
                continue
            if name not in required and depth >= FULL_DEPTH:
                continue
            try:
                out[name] = self.value(sub, depth + 1, trail)
            except Recursive:
                if name in required:
                    raise
        return out

    def _array(self, schema: Schema, depth: int, trail: frozenset[str]) -> list[Any]:
        least = int(schema.get("minItems", 0))
        count = max(least, 1 if depth < FULL_DEPTH else 0)
        if count == 0:
            return []
        try:
            item = self.value(schema.get("items", {}), depth + 1, trail)
        except Recursive:
            if least:
                raise
            return []
        return [item] * count

    def _string(self, schema: Schema) -> Any:
        min_length, max_length = int(schema.get("minLength", 0)), schema.get("maxLength")
        if isinstance(schema.get("pattern"), str):
            return matching(schema["pattern"], min_length, max_length)
        if schema.get("format") == "binary":
            return BINARY
        text = _STRING_FORMATS.get(str(schema.get("format", "")), "x")
        text = text.ljust(min_length, "x")
        return text[:max_length] if isinstance(max_length, int) and not schema.get("format") else text

    def _peek(self, schema: Any) -> Schema:
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            schema = self._resolve(schema["$ref"])
        return schema if isinstance(schema, dict) else {}


def _kind(schema: Schema) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    return "object" if "properties" in schema else "string"


def number(schema: Schema, *, integer: bool) -> int | float:
    """A number inside the schema's bounds and on its `multipleOf`: 1 if it may, else the
    nearest fit to a bound (`minimum: 0` gives 0; exclusive 0 gives the next step up)."""
    low, high = schema.get("minimum"), schema.get("maximum")
    low_open, high_open = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(low_open, (int, float)) and not isinstance(low_open, bool):  # OpenAPI 3.1 form
        low, low_open = low_open, True
    if isinstance(high_open, (int, float)) and not isinstance(high_open, bool):
        high, high_open = high_open, True
    step = schema.get("multipleOf") or (1 if integer else 0.5)

    def fits(value: float) -> bool:
        above = low is None or (value > low if low_open else value >= low)
        below = high is None or (value < high if high_open else value <= high)
        on_step = "multipleOf" not in schema or math.isclose(value / step, round(value / step), abs_tol=1e-9)
        return above and below and on_step and (not integer or float(value).is_integer())

    seeds: list[float] = [1, 0]
    for bound in (low, high):
        if isinstance(bound, (int, float)):
            on_grid = round(bound / step) * step
            seeds += [bound, on_grid, on_grid + step, on_grid - step]
    if isinstance(low, (int, float)) and isinstance(high, (int, float)):
        seeds.append((low + high) / 2)
    for seed in seeds:
        if fits(seed):
            return int(seed) if integer else float(seed)
    raise AssertionError(f"no number fits {schema}")
