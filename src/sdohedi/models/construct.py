"""Building models from values that are already checked, without validating them again.

pydantic's ``model_construct`` skips validation but still walks the fields; a reader or a
pipeline that has checked every value itself (and tests that its objects equal validated
ones) can do the same in a fraction of the time by setting the instance's ``__dict__`` alone
(:func:`unchecked_maker`). Models built that way derive from :class:`UncheckedModel`, which
answers for the three bookkeeping slots pydantic keeps beside ``__dict__`` (left unset) with
what ``model_construct`` would have put there, so the objects behave like validated ones
(equality, dumps, copies, pickling).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

# ``__dict__`` of a pydantic model instance, set through its descriptor's own ``__set__``:
# about half the cost of ``object.__setattr__``, which looks the name up and checks the type's
# MRO on every call. Hot loops may bind it themselves.
set_dict = BaseModel.__dict__["__dict__"].__set__


class UncheckedModel(BaseModel):
    """Base of the models :func:`unchecked_maker` may build."""

    def __getattr__(self, name: str) -> Any:
        # Objects built by setting __dict__ alone have pydantic's three bookkeeping slots
        # unset: they are read here as what model_construct would have put in them. Objects
        # built the usual way have the slots set and never come here for them.
        if name == "__pydantic_extra__" or name == "__pydantic_private__":
            return None
        if name == "__pydantic_fields_set__":
            return set(type(self).model_fields)
        return super().__getattr__(name)  # type: ignore[misc]


def unchecked_maker(cls: type[UncheckedModel]) -> Callable[[dict], Any]:
    """A constructor of ``cls`` from a complete dict of field values, in field order.

    The values must be complete and valid: nothing is checked. It costs about a quarter of
    ``model_construct``: one object and one slot set.
    """
    if not issubclass(cls, UncheckedModel):
        raise TypeError(f"{cls.__name__} does not derive from UncheckedModel: its unset slots would not be answered")

    def make(values: dict, new=object.__new__, set_dict=set_dict) -> Any:
        obj = new(cls)
        set_dict(obj, values)
        return obj

    return make


def shared_keys_dict(values: dict[str, Any], name: str = "Fields") -> dict[str, Any]:
    """A dict equal to ``values`` (same items, same order) whose keys table can be shared.

    CPython keeps an instance's attributes in a *split* dict: the keys live in one table shared
    by every instance of the class, each dict holds only its values. ``copy()`` of such a dict
    keeps the shared table and copies the values alone, and for a model's dozen or more fields
    the copy is far smaller (296 bytes instead of 464 for 11 to 19 keys, 832 for 25), so it is
    cheaper to make, to keep and to free (for a handful of keys it is larger). A template
    copied once per claim or line is built here for that: the attributes of an instance of a
    class made for it. It is a plain dict in every respect (a key it does not have turns it
    into an ordinary one); elsewhere than CPython it is simply a copy of ``values``.
    """
    holder = type(name, (), {})()
    for key, value in values.items():
        setattr(holder, key, value)
    return holder.__dict__


def field_template(cls: type, **values: Any) -> dict[str, Any]:
    """Every field of ``cls`` at its default (None when required), in field order, to copy from
    (a :func:`shared_keys_dict`)."""
    template = {}
    for name, info in cls.model_fields.items():
        template[name] = None if info.is_required() else info.get_default(call_default_factory=True)
    template.update(values)
    return shared_keys_dict(template, f"{cls.__name__}Fields")
