"""Check a parsed model's leaf values against its annotations.

The generated `from_dict` copies leaf values without looking at them, so `{"connectUrl": 12345}`
would become `connect_url=12345` behind a `str` annotation. Annotations are resolved once per
class, with the generated types and the models they name passed in: the models import them only
under TYPE_CHECKING. The models package is lazy (overrides/templates/models_init.py.jinja), so
only the models a class's annotations name are looked up, which imports those and no others.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import re
import types
import typing
from typing import Any

import attrs

from . import types as generated_types

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def _namespace(cls: type[Any]) -> dict[str, Any]:
    """What the class's annotations may name: the generated types, datetime, UUID, Any, and the
    models among the identifiers its annotations mention."""
    import uuid  # only annotations name it: not worth its import time for every user

    from . import models  # the models import this package's modules: resolve lazily

    named = {
        name
        for klass in cls.__mro__
        for annotation in inspect.get_annotations(klass).values()
        if isinstance(annotation, str)
        for name in _IDENTIFIER.findall(annotation)
    }
    used = {name: getattr(models, name) for name in sorted(named.intersection(getattr(models, "__all__", ())))}
    return {**vars(generated_types), **used, "datetime": datetime, "UUID": uuid.UUID, "Any": Any}


@functools.cache
def _field_types(cls: type[Any]) -> tuple[tuple[str, str, Any], ...]:
    hints = typing.get_type_hints(cls, localns=_namespace(cls))
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
