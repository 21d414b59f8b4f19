"""Check a parsed model's leaf values against its annotations.

The generated `from_dict` copies leaf values without looking at them, so `{"connectUrl": 12345}`
would become `connect_url=12345` behind a `str` annotation. Annotations are resolved once per
class, with the generated types and the models they name passed in: the models import them only
under TYPE_CHECKING. The models package is lazy (overrides/templates/models_init.py.jinja), so
only the models a class's annotations name are looked up, which imports those and no others.

Most responses are valid, so the check runs in two speeds: each annotation is compiled once into
a test that only answers yes or no (`_fits`), and only a value that fails it is walked again by
`_explain`, which builds the path and the message of the first mismatch. Both accept exactly the
same values; the walk decides what the error says.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import re
import types
import typing
from collections.abc import Callable
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
    if not _fits(value):
        _explain(value, where)


# --- the fast test: compiled once per class and annotation, yes or no ---------------------------

Test = Callable[[Any], bool]


def _fits(value: Any) -> bool:
    cls: type = type(value)
    return _model_test(cls)(value)


def _anything(value: Any) -> bool:
    return True


@functools.cache
def _model_test(cls: type) -> Test:
    if not attrs.has(cls):
        return _anything
    fields = tuple((name, _test(annotation)) for name, _alias, annotation in _field_types(cls))

    def fits(value: Any) -> bool:
        for name, test in fields:
            if not test(getattr(value, name)):
                return False
        return True

    return fits


def _test(annotation: Any) -> Test:
    """What `_check` accepts, as a predicate (the same branches, in the same order)."""
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        options = tuple(_test(option) for option in typing.get_args(annotation))

        def one_of(value: Any) -> bool:
            for test in options:
                if test(value):
                    return True
            return False

        return one_of
    if annotation is Any:
        return _anything
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        element = _test(item)
        return lambda value: isinstance(value, list) and all(element(each) for each in value)
    if origin is dict:
        return lambda value: isinstance(value, dict)
    if annotation is None or annotation is type(None):
        return lambda value: value is None
    if annotation is float:
        return lambda value: isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if isinstance(annotation, type) and not attrs.has(annotation):  # a leaf type: str, an enum, datetime, Unset
        return lambda value: type(value) is annotation or (_is_instance(value, annotation) and _fits(value))
    return lambda value: _is_instance(value, annotation) and _fits(value)


def _is_instance(value: Any, annotation: Any) -> bool:
    try:
        return isinstance(value, annotation)
    except TypeError:  # not a class: `_check` raises that very error, as the mismatch
        return False


# --- the explaining walk: the path and message of the first mismatch ----------------------------


def _explain(value: Any, where: str) -> None:
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
    _explain(value, where)
