"""Building models from values that are already checked, without validating them again.

pydantic's ``model_construct`` skips validation but still walks the fields; a reader or a
pipeline that has checked every value itself (and tests that its objects equal validated
ones) can do the same in a fraction of the time by setting the instance's ``__dict__`` and
pydantic's three bookkeeping slots directly. The objects behave like validated ones
(equality, dumps, copies, pickling).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_new = object.__new__
_set = object.__setattr__


def unchecked_maker(cls: type) -> Callable[[dict], Any]:
    """A constructor of ``cls`` from a complete dict of field values, in field order.

    The values must be complete and valid: nothing is checked. All objects of a class share
    one fields-set; the models are frozen, so nothing adds to it.
    """
    fields_set = set(cls.model_fields)
    new = _new
    set_slot = _set

    def make(values: dict) -> Any:
        obj = new(cls)
        set_slot(obj, "__dict__", values)
        set_slot(obj, "__pydantic_fields_set__", fields_set)
        set_slot(obj, "__pydantic_extra__", None)
        set_slot(obj, "__pydantic_private__", None)
        return obj

    return make


def field_template(cls: type, **values: Any) -> dict[str, Any]:
    """Every field of ``cls`` at its default (None when required), in field order, to copy from."""
    template = {}
    for name, info in cls.model_fields.items():
        template[name] = None if info.is_required() else info.get_default(call_default_factory=True)
    template.update(values)
    return template
