"""Claims the reader builds without validation (unchecked_maker: __dict__ set alone, pydantic's
bookkeeping slots answered by UncheckedModel) behave like the same claims validated by pydantic."""

import copy
import pickle
import platform
import sys

import pytest

from factories import CHILD, ENVELOPE, MEMBER_2, RECEIVER, RIDES_CBO, SUBMITTER, TIMESTAMP, claim, meal_line
from sdohedi.claims837p import Reader837P, write_837p
from sdohedi.models import Claim, ServiceLine
from sdohedi.models.construct import UncheckedModel, shared_keys_dict, unchecked_maker

CLAIMS = [claim("A1"), claim("A2", patient=CHILD),
          claim("B1", subscriber=MEMBER_2, lines=[meal_line(1), meal_line(2).model_copy(
              update={"rendering_provider": RIDES_CBO})])]


def read_back() -> list[Claim]:
    out = []
    write_837p(CLAIMS, out.append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
               interchange_control_number=5, group_control_number=5, timestamp=TIMESTAMP)
    reader = Reader837P()
    claims = reader.feed("".join(out).encode()) + reader.close()
    assert reader.errors == []
    return claims


def test_read_claims_are_built_unchecked():
    # the point of this file: the slots are really unset on what the reader returns
    for c in read_back():
        for obj in (c, c.subscriber, c.subscriber.address, c.lines[0]):
            for slot in ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
                with pytest.raises(AttributeError):
                    object.__getattribute__(obj, slot)


@pytest.mark.parametrize("k", range(len(CLAIMS)))
def test_unchecked_claims_behave_like_validated_ones(k):
    got = read_back()[k]
    validated = Claim.model_validate(got.model_dump())
    assert got == validated and validated == got and got == CLAIMS[k]
    assert hash(got) == hash(validated)
    assert repr(got) == repr(validated)
    assert got.model_dump() == validated.model_dump()
    assert got.model_dump_json() == validated.model_dump_json()
    assert got.model_fields_set == validated.model_fields_set == set(Claim.model_fields)
    assert got.lines[0].model_fields_set == set(ServiceLine.model_fields)
    for twin in (pickle.loads(pickle.dumps(got)), copy.copy(got), copy.deepcopy(got)):
        assert twin == validated and twin.model_dump_json() == validated.model_dump_json()
    changed = got.model_copy(update={"claim_id": "NEW1"})
    assert changed.claim_id == "NEW1" and changed.lines == got.lines and got.claim_id == CLAIMS[k].claim_id
    with pytest.raises(Exception):
        got.claim_id = "X"  # frozen, as validated ones


def test_unchecked_maker_refuses_models_that_cannot_answer_for_their_slots():
    from pydantic import BaseModel

    class Plain(BaseModel):
        x: int

    with pytest.raises(TypeError, match="UncheckedModel"):
        unchecked_maker(Plain)
    assert issubclass(Claim, UncheckedModel)


def test_shared_keys_dict_is_the_same_dict_and_its_copies_are_smaller():
    values = {"b": 1, "a": [2], "c": None} | {f"field{k}": k for k in range(10)}  # a model's dozen fields
    shared = shared_keys_dict(values)
    assert shared == values and list(shared) == list(values) and type(shared) is dict
    first, second = shared.copy(), shared.copy()
    first["a"] = 3
    second["d"] = 4  # a key it does not have: an ordinary dict from then on
    assert shared == values and first == values | {"a": 3} and list(second) == [*values, "d"]
    assert pickle.loads(pickle.dumps(first)) == first
    if platform.python_implementation() == "CPython":  # the point: a split table, values alone per copy
        assert sys.getsizeof(shared.copy()) < sys.getsizeof(dict(values))


def test_read_claims_and_lines_have_shared_keys_dicts_in_field_order():
    for c in read_back():
        for model in (c, *c.lines):
            assert list(model.__dict__) == list(type(model).model_fields)
            if platform.python_implementation() == "CPython":
                assert sys.getsizeof(model.__dict__) < sys.getsizeof(dict(model.__dict__))
