"""The reader keeps the ambulance pick-up and drop-off locations (2310E/2310F, 2420G/2420H) of
files written by hand here (segments inserted by text, not by our writer's location code)."""

from __future__ import annotations

from factories import ENVELOPE, RECEIVER, SUBMITTER, TIMESTAMP, claim
from pyx12_oracle import assert_pyx12_clean
from sdohedi.claims837p import ClaimNotRead, Reader837P, write_837p
from sdohedi.models import Address

HOME = Address(line1="12 OAK AVE", city="SALEM", state="OR", zip="97301")
CLINIC = Address(line1="500 CLINIC WAY", line2="SUITE 2", city="SALEM", state="OR", zip="973021234")
PHARMACY = Address(line1="9 MARKET ST", city="KEIZER", state="OR", zip="97303")

PICKUP_HOME = "NM1*PW*2~\nN3*12 OAK AVE~\nN4*SALEM*OR*97301~\n"
DROPOFF_CLINIC = "NM1*45*2*SALEM CLINIC~\nN3*500 CLINIC WAY*SUITE 2~\nN4*SALEM*OR*973021234*US~\n"


def plain_claims(*claims) -> str:
    out = []
    write_837p(list(claims), out.append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
               interchange_control_number=7, group_control_number=7, timestamp=TIMESTAMP)
    return "".join(out)


def insert_after(text: str, anchor: str, segments: str) -> str:
    at = text.index(anchor) + len(anchor)
    return text[:at] + segments + text[at:]


def fix_se(text: str) -> str:
    """SE01 recounted by a plain split: the segments from ST to SE."""
    segs = text.split("~\n")
    st, se = next(i for i, s in enumerate(segs) if s.startswith("ST*")), next(
        i for i, s in enumerate(segs) if s.startswith("SE*"))
    segs[se] = f"SE*{se - st + 1}*" + segs[se].split("*")[2]
    return "~\n".join(segs)


def read(text: str):
    reader = Reader837P()
    claims = reader.feed(text.encode()) + reader.close()
    return claims, reader.errors


def test_claim_and_line_locations_are_read():
    text = plain_claims(claim("T1"))
    text = insert_after(text, "REF*G2*CBO-MEALS-1~\n", PICKUP_HOME + DROPOFF_CLINIC)  # after 2310B
    # line 2: the same pick-up as the claim (read as none) and another drop-off; line 3: another pick-up
    text = insert_after(text, "REF*6R*SVC-2~\n",
                        PICKUP_HOME + "NM1*45*2~\nN3*9 MARKET ST~\nN4*KEIZER*OR*97303~\n")
    text = insert_after(text, "REF*6R*SVC-3~\n", "NM1*PW*2~\nN3*9 MARKET ST~\nN4*KEIZER*OR*97303~\n")
    text = fix_se(text)
    assert_pyx12_clean(text)
    claims, errors = read(text)
    assert errors == [] and len(claims) == 1
    c = claims[0]
    assert (c.pickup, c.dropoff) == (HOME, CLINIC)
    assert [(ln.pickup, ln.dropoff) for ln in c.lines] == [(None, None), (None, PHARMACY), (PHARMACY, None)]
    # what is read is what the writer writes again: the same claim back
    again, errors = read(plain_claims(c))
    assert errors == [] and again == [c]


def test_a_location_without_its_n4_loses_only_its_claim():
    text = plain_claims(claim("T1"), claim("T2"))
    first_ref = text.index("REF*G2*CBO-MEALS-1~\n") + len("REF*G2*CBO-MEALS-1~\n")
    text = text[:first_ref] + "NM1*PW*2~\nN3*12 OAK AVE~\n" + text[first_ref:]
    text = fix_se(text)
    claims, errors = read(text)
    assert [c.claim_id for c in claims] == ["T2"]
    assert len(errors) == 1 and isinstance(errors[0], ClaimNotRead)
    position = text[:first_ref].count("~") + 1  # the NM1*PW, counted from the ISA as 1
    assert errors[0].position == position and errors[0].segment == "NM1"
    assert "2310E" in str(errors[0]) and "N4" in str(errors[0])


def test_a_line_location_equal_to_the_claims_is_refused_by_the_model():
    import pytest
    from pydantic import ValidationError

    from factories import meal_line

    with pytest.raises(ValidationError, match="2420G"):
        claim("T1", pickup=HOME, lines=[meal_line(1).model_copy(update={"pickup": HOME})])
    with pytest.raises(ValidationError, match="2420H"):
        claim("T1", dropoff=HOME, lines=[meal_line(1).model_copy(update={"dropoff": HOME})])
    # a different one is the line's own
    assert claim("T1", pickup=HOME, lines=[meal_line(1).model_copy(update={"pickup": CLINIC})]).lines[0].pickup == CLINIC
