"""Check a parsed model's leaf values against its annotations.

The generated `from_dict` copies leaf values without looking at them, so `{"connectUrl": 12345}`
would become `connect_url=12345` behind a `str` annotation. Annotations are resolved once per
class, with the generated types and models passed in: the models import them only under
TYPE_CHECKING.
"""

from __future__ import annotations

import datetime
import functools
import types
import typing
import uuid
from typing import Any

import attrs

from . import types as generated_types


@functools.cache
def _field_types(cls: type[Any]) -> tuple[tuple[str, str, Any], ...]:
    from . import models  # the models import this package's modules: resolve lazily

    namespace = {**vars(generated_types), **vars(models), "datetime": datetime, "UUID": uuid.UUID, "Any": Any}
    hints = typing.get_type_hints(cls, localns=namespace)
    return tuple(
        (field.name, field.alias or field.name, hints[field.name])
        for field in attrs.fields(cls)
        if field.name != "additional_properties"
    )


def check_model(value: Any, where: str = "body") -> None:
    """Raise TypeError naming the first value that does not match its annotation."""
    cls: type[Any] = type(value)
    if not attrs.has(cls):
        return
    for name, alias, annotation in _field_types(cls):
        _check(getattr(value, name), annotation, f"{where}.{alias}")


def _check(value: Any, annotation: Any, where: str) -> None:
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        problems: list[str] = []
        for option in typing.get_args(annotation):
            try:
                _check(value, option, where)
                return
            except TypeError as exc:
                problems.append(str(exc))
        raise TypeError(problems[0] if len(problems) == 1 else f"{where}: {value!r} matches none of {annotation}")
    if annotation is Any:
        return
    if origin is list:
        if not isinstance(value, list):
            raise TypeError(f"{where}: expected a list, got {type(value).__name__}")
        (item,) = typing.get_args(annotation) or (Any,)
        for index, element in enumerate(value):
            _check(element, item, f"{where}[{index}]")
        return
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(f"{where}: expected an object, got {type(value).__name__}")
        return
    if annotation is None or annotation is type(None):
        if value is not None:
            raise TypeError(f"{where}: expected null, got {type(value).__name__}")
        return
    if annotation is float:  # JSON has one number type: servers send 1 where 1.0 is due
        matches = isinstance(value, int | float) and not isinstance(value, bool)
    elif annotation is int:
        matches = isinstance(value, int) and not isinstance(value, bool)
    else:
        matches = isinstance(value, annotation)
    if not matches:
        raise TypeError(f"{where}: expected {getattr(annotation, '__name__', annotation)}, got {type(value).__name__}")
    check_model(value, where)
