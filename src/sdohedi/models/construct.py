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

from pydantic import BaseModel

# The four slots every pydantic model instance has, set through their descriptors' own
# ``__set__``: about half the cost of ``object.__setattr__``, which looks the name up and
# checks the type's MRO on every call. Hot loops may bind these themselves.
set_dict, set_fields_set, set_extra, set_private = (
    BaseModel.__dict__[name].__set__
    for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"))


def unchecked_maker(cls: type) -> Callable[[dict], Any]:
    """A constructor of ``cls`` from a complete dict of field values, in field order.

    The values must be complete and valid: nothing is checked. All objects of a class share
    one fields-set; the models are frozen, so nothing adds to it.
    """
    fields_set = set(cls.model_fields)

    def make(values: dict, new=object.__new__, set_dict=set_dict, set_fields_set=set_fields_set,
             set_extra=set_extra, set_private=set_private) -> Any:
        obj = new(cls)
        set_dict(obj, values)
        set_fields_set(obj, fields_set)
        set_extra(obj, None)
        set_private(obj, None)
        return obj

    return make


def field_template(cls: type, **values: Any) -> dict[str, Any]:
    """Every field of ``cls`` at its default (None when required), in field order, to copy from."""
    template = {}
    for name, info in cls.model_fields.items():
        template[name] = None if info.is_required() else info.get_default(call_default_factory=True)
    template.update(values)
    return template
