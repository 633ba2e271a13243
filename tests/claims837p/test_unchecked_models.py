"""Claims the reader builds without validation (sdohedi.models.build.model_makers: the core's
model builder) are the objects pydantic makes: the same claims validated by pydantic."""

import copy
import pickle

import pytest

from factories import CHILD, ENVELOPE, MEMBER_2, RECEIVER, RIDES_CBO, SUBMITTER, TIMESTAMP, claim, meal_line
from sdohedi.claims837p import Reader837P, write_837p
from sdohedi.models import Claim, ServiceLine
from sdohedi.models.build import model_makers

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


def test_read_claims_have_every_pydantic_slot_set():
    for c in read_back():
        for obj in (c, c.subscriber, c.subscriber.address, c.lines[0]):
            assert object.__getattribute__(obj, "__pydantic_fields_set__") == set(type(obj).model_fields)
            assert object.__getattribute__(obj, "__pydantic_extra__") is None
            assert object.__getattribute__(obj, "__pydantic_private__") is None


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


def test_a_maker_lays_a_partial_dict_over_the_defaults_and_keeps_a_whole_one():
    make_line, = model_makers([ServiceLine])
    line = CLAIMS[0].lines[0]
    whole = dict(line.__dict__)
    built = make_line(whole)
    assert built == line and built.__dict__ is whole  # every field, in order: its own dict
    partial = {"procedure_code": line.procedure_code, "charge": line.charge, "units": line.units,
               "service_date": line.service_date}
    built = make_line(partial)
    assert list(built.__dict__) == list(ServiceLine.model_fields) and built.__dict__ is not partial
    assert built == ServiceLine.model_validate(partial)  # the defaults where the dict is silent
    with pytest.raises(TypeError, match="ServiceLine"):
        from sdohedi import _core
        from sdohedi.models.build import model_specs
        _core.ModelBuilder(model_specs([ServiceLine]), ["Claim"])


def test_read_claims_and_their_parts_hold_their_fields_in_declaration_order():
    for c in read_back():
        for model in (c, c.subscriber, c.subscriber.address, *c.lines):
            assert list(model.__dict__) == list(type(model).model_fields)
