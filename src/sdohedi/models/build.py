"""Model instances built from values already checked, without validating them again.

A reader of the compiled core (``_core.Remit835Reader``) checks every value it reads and hands
the values over as model instances it builds itself (``rust/src/python/models.rs``); Python code
that has checked its values (the 837P reader's fast path) has :func:`model_makers`, the same
builder. Either way an instance is what ``model_construct`` makes with every field given: its
``__dict__`` holds every field in declaration order, pydantic's three slots are set, so it is an
ordinary pydantic object (equality, dumps, copies, pickling). :func:`model_specs` tells the core,
once, how: each class with its fields' defaults in declaration order, which fields default to a
new list, and which fields hold another of the classes (one, or a list of them), as the
annotations say.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

Spec = tuple[type[BaseModel], dict[str, Any], list[str], list[tuple[str, int, bool]]]


def _nested(annotation: Any) -> tuple[type | None, bool]:
    """The model class an annotation holds (``X``, ``X | None``, ``list[X]``) and whether a list."""
    origin = typing.get_origin(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation)
        inner, _ = _nested(item)
        return inner, True
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _nested(members[0])
        return None, False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def model_specs(classes: list[type[BaseModel]]) -> list[Spec]:
    """One spec per class, in the order given; a nested field's class must be among them to be
    built (a nested value of another class must come already built)."""
    index = {cls: i for i, cls in enumerate(classes)}
    specs: list[Spec] = []
    for cls in classes:
        template: dict[str, Any] = {}
        lists: list[str] = []
        children: list[tuple[str, int, bool]] = []
        for name, info in cls.model_fields.items():
            # Interned: the same object as the attribute names in code and the core's interned
            # keys, so a dict's keys compare by identity.
            name = sys.intern(name)
            if info.default_factory is list:
                lists.append(name)
                template[name] = None  # replaced by a new list unless given
            elif info.default_factory is not None:
                raise TypeError(f"{cls.__name__}.{name}: only list default factories can be built by the core")
            elif isinstance(info.default, (list, dict, set, bytearray, BaseModel)):
                # pydantic copies a mutable default for each instance; a template copy would
                # share one among them all.
                raise TypeError(f"{cls.__name__}.{name}: a mutable default cannot be built by the core")
            else:
                template[name] = None if info.default is PydanticUndefined else info.default
            nested, many = _nested(info.annotation)
            if nested is not None and nested in index:
                children.append((name, index[nested], many))
        specs.append((cls, template, lists, children))
    return specs


def model_makers(classes: list[type[BaseModel]]) -> list[Callable[[dict[str, Any]], Any]]:
    """One constructor per class, in the order given: ``make(values)`` is the instance whose fields
    are ``values``, not validated. A dict of as many keys as the class has fields must hold them
    all, in declaration order: it becomes the instance's own ``__dict__`` (the caller lets go of
    it); a smaller one is laid over the defaults. The values must be valid: nothing is checked."""
    from .._core import ModelBuilder

    builder = ModelBuilder(model_specs(classes), [cls.__name__ for cls in classes])
    return [builder.maker(i) for i in range(len(classes))]
