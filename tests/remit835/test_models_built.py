"""The models the core builds (``Remit835Reader``, without validation) are the objects pydantic
would have made: every field in ``__dict__`` in declaration order, pydantic's slots set, and
they validate, dump, copy, pickle and print as validated ones do. The oracle is pydantic
itself: each object against ``model_validate`` of its own dump."""

from __future__ import annotations

import copy
import gc
import pickle
import weakref
from decimal import Decimal

import pytest
from pydantic import BaseModel, Field

from remit835_samples import CORPUS, SAMPLE
from sdohedi import _core
from sdohedi.models.build import model_specs
from sdohedi.models.remit import Remittance
from sdohedi.remit835 import parse_835, parse_835_claims
from sdohedi.remit835.parser import MODELS

CORPUS_835 = sorted((CORPUS / "835").glob("*.edi")) + sorted((CORPUS / "realworld").glob("*.835"))


BUILT = {spec[0] for spec in MODELS}  # findings (Problem) are validated as usual


def every_model(obj):
    """``obj`` and every model the core built that it holds, depth first."""
    yield obj
    for value in obj.__dict__.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if type(item) in BUILT:
                yield from every_model(item)


def read(data: bytes) -> list:
    return parse_835(data) + parse_835_claims(data)


@pytest.mark.parametrize("path", CORPUS_835, ids=lambda p: p.name)
def test_built_models_are_what_pydantic_makes(path):
    items = read(path.read_bytes())
    assert items
    for item in items:
        for obj in every_model(item):
            cls = type(obj)
            assert list(obj.__dict__) == list(cls.model_fields)
            assert obj.model_fields_set == set(cls.model_fields)
            assert obj.__pydantic_extra__ is None and obj.__pydantic_private__ is None
            validated = cls.model_validate(obj.model_dump())
            assert validated == obj
            assert validated.model_dump_json() == obj.model_dump_json()
            assert repr(validated) == repr(obj)
        assert pickle.loads(pickle.dumps(item)) == item
        assert copy.deepcopy(item) == item


def test_a_copy_with_changes_leaves_the_others_alone():
    (first,) = parse_835(SAMPLE.encode())
    (second,) = parse_835(SAMPLE.encode())
    changed = first.model_copy(update={"total_payment": Decimal("1.00")})
    assert changed.total_payment == Decimal("1.00")
    assert first == second and first.total_payment != Decimal("1.00")
    assert first.model_fields_set == set(Remittance.model_fields)
    with pytest.raises(Exception, match="frozen"):
        first.trace_number = "X"  # type: ignore[misc]


def test_built_models_are_freed_by_reference_counting():
    # They are left out of the cyclic collector (they cannot form cycles): reference counting
    # alone must free them, the collector off.
    gc.disable()
    try:
        (remittance,) = parse_835(SAMPLE.encode())
        (claim_event, end) = parse_835_claims(SAMPLE.encode())
        held = [remittance, remittance.claims[0], remittance.claims[0].services[0], remittance.payer,
                claim_event, claim_event.claim, end.remittance]
        assert not any(gc.is_tracked(obj) for obj in held)
        refs = [weakref.ref(obj) for obj in held]
        del remittance, claim_event, end, held
        assert [ref() for ref in refs] == [None] * len(refs)
    finally:
        gc.enable()


def test_the_reader_refuses_specs_of_other_classes():
    with pytest.raises(TypeError, match="Remittance"):
        _core.Remit835Reader(MODELS[1:])
    with pytest.raises(TypeError, match="Remittance"):
        _core.Remit835Reader(list(reversed(MODELS)))


def test_specs_are_read_off_the_annotations():
    class Leaf(BaseModel):
        code: str
        note: str | None = "x"

    class Node(BaseModel):
        leaf: Leaf | None = None
        leaves: list[Leaf] = Field(default_factory=list)
        other: dict = Field(default_factory=dict)

    with pytest.raises(TypeError, match="Node.other"):
        model_specs([Node, Leaf])

    class Shared(BaseModel):
        codes: list[str] = []  # pydantic copies it per instance; a template would share it

    with pytest.raises(TypeError, match="Shared.codes: a mutable default"):
        model_specs([Shared])

    class Tree(BaseModel):
        leaf: Leaf | None = None
        leaves: list[Leaf] = Field(default_factory=list)
        count: int = 0

    (tree, leaf) = model_specs([Tree, Leaf])
    assert tree == (Tree, {"leaf": None, "leaves": None, "count": 0}, ["leaves"], [("leaf", 1, False), ("leaves", 1, True)])
    assert leaf == (Leaf, {"code": None, "note": "x"}, [], [])
