"""The core builds a claim without pydantic only when its own checks pass (each narrower than
the models' rule): texts of every shape in every field it checks must read exactly as pydantic
validates them, whichever way the claim is built."""

import random
import re

import pytest

from hypothesis import given, settings, strategies as st

from factories import ENVELOPE, RECEIVER, SUBMITTER, TIMESTAMP, claim, meal_line
from sdohedi.claims837p import Reader837P, reader, write_837p
from sdohedi.models import Claim
from sdohedi.x12 import Delimiters


def encode(cs) -> str:
    out = []
    write_837p(cs, out.append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
               interchange_control_number=101, group_control_number=55, timestamp=TIMESTAMP)
    return "".join(out)


def read_text(text: str, lenient: bool = False):
    r = Reader837P(lenient=lenient)
    claims = r.feed(text.encode("latin-1")) + r.close()
    return claims, r.errors


def test_claims_with_and_without_control_numbers_read_as_pydantic_validates_them():
    unnumbered = meal_line(2).model_copy(update={"line_control_number": None})
    cs = [claim("A1"), claim("A2", lines=[meal_line(1), unnumbered]),
          claim("A3", lines=[unnumbered, unnumbered.model_copy(update={"service_date": meal_line(3, 9).service_date})])]
    claims, errors = read_text(encode(cs))
    assert errors == [] and claims == cs
    for c in claims:
        assert Claim.model_validate(c.model_dump()) == c


def test_a_line_break_inside_a_control_number_is_refused():
    """A line break can be in a value only when it is a delimiter (here the component
    separator): the joined check must not read it as two texts."""
    text = encode([claim("A1")])
    assert text[104] == ":" and text.count(":") == text[105:].count(":") + 1
    text = text[:104] + "\n" + text[105:].replace(":", "\n")
    claims, errors = read_text(text)
    assert [c.claim_id for c in claims] == ["A1"] and errors == []
    split_number = text.replace("REF*6R*SVC-2~", "REF*6R*SVC\n2~")
    for lenient in (False, True):
        claims, errors = read_text(split_number, lenient)
        assert claims == [] and len(errors) == 1
        assert "REF*6R (line_control_number)" in str(errors[0])


def test_a_control_number_equal_to_the_claim_id_reads_back():
    """CLM01 and the REF*6R values are checked for repeats together: a control number equal to
    CLM01 (allowed: only the lines' numbers must differ) then goes to pydantic, which takes it."""
    cs = [claim("SAME1", lines=[meal_line(1).model_copy(update={"line_control_number": "SAME1"}), meal_line(2)])]
    claims, errors = read_text(encode(cs))
    assert errors == [] and claims == cs
    two = [claim("R1", lines=[meal_line(1), meal_line(2)])]
    assert [line.line_control_number for line in two[0].lines] == ["SVC-1", "SVC-2"]
    claims, errors = read_text(encode(two).replace("REF*6R*SVC-2~", "REF*6R*SVC-1~"))
    assert claims == [] and len(errors) == 1 and "REF*6R" in str(errors[0])


@pytest.mark.parametrize("lenient", [False, True])
def test_texts_of_a_claim_with_an_unnumbered_line_are_checked_one_by_one(lenient):
    """A claim where some line has no REF*6R takes the other branch (each text on its own):
    a text pydantic would change or refuse must not pass unchanged."""
    unnumbered = meal_line(3).model_copy(update={"line_control_number": None})
    text = encode([claim("A3", lines=[meal_line(1), meal_line(2), unnumbered])])
    assert "REF*6R*SVC-2~" in text and "CLM*A3*" in text
    changed = {  # pydantic strips blanks around a Text
        "REF*6R*SVC-2 ~": lambda c: c.lines[1].line_control_number == "SVC-2",
        "CLM*A3 *": lambda c: c.claim_id == "A3",
    }
    for new, expect in changed.items():
        old = "REF*6R*SVC-2~" if new.startswith("REF") else "CLM*A3*"
        claims, errors = read_text(text.replace(old, new), lenient)
        assert errors == [] and len(claims) == 1 and expect(claims[0])
        assert Claim.model_validate(claims[0].model_dump()) == claims[0]
    for new, why in {"REF*6R*SVC-1~": "unique", "REF*6R*" + "X" * 31 + "~": "REF*6R"}.items():  # repeated; too long
        claims, errors = read_text(text.replace("REF*6R*SVC-2~", new), lenient)
        if lenient:  # kept, and said so
            assert errors == [] and claims[0].deviations == ("line-control-number",)
        else:
            assert claims == [] and len(errors) == 1 and why in str(errors[0])
