"""The 2000B subscriber and 2000C patient loops, varied segment by segment (values of every
shape, segments missing, repeated, reordered or cut short), read by the core exactly as the
former pure-Python reader (``oracle_reader``, whose whole-block regular expressions they were
written against) reads them: the same claims (fields in the same order), the same errors at the
same positions, at any chunking."""

import oracle_reader
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import cut_at
from factories import CHILD, ENVELOPE, MEMBER_2, RECEIVER, SUBMITTER, TIMESTAMP, claim
from sdohedi.claims837p import reader as core_reader, write_837p
from sdohedi.x12 import X12Error

BLOCK = ("SBR*P*18*******MC~\nNM1*IL*1*RIVERA*ANA****MI*MBR000111~\nN3*12 OAK AVE~\nN4*SALEM*OR*97301~\n"
         "DMG*D8*19580314*F~\nNM1*PR*2*CASCADE HEALTH PLAN*****PI*CHP01~\n")


def encode(cs) -> str:
    out = []
    write_837p(cs, out.append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
               interchange_control_number=101, group_control_number=55, timestamp=TIMESTAMP)
    return "".join(out)


BASE = encode([claim("A1"), claim("A2", patient=CHILD), claim("B1", subscriber=MEMBER_2)])

# (what, the first subscriber block's text as sent); SE01 is not fixed up: both readers report it alike
VARIANTS = [
    ("as written", BLOCK),
    ("no N3/N4", BLOCK.replace("N3*12 OAK AVE~\nN4*SALEM*OR*97301~\n", "")),
    ("no DMG", BLOCK.replace("DMG*D8*19580314*F~\n", "")),
    ("N3 only", BLOCK.replace("N4*SALEM*OR*97301~\n", "")),
    ("N3 with two lines", BLOCK.replace("N3*12 OAK AVE~", "N3*12 OAK AVE*UNIT 4~")),
    ("N3 with an empty second line", BLOCK.replace("N3*12 OAK AVE~", "N3*12 OAK AVE*~")),
    ("N3 with three elements", BLOCK.replace("N3*12 OAK AVE~", "N3*12 OAK AVE*UNIT 4*X~")),
    ("N4 with a country", BLOCK.replace("N4*SALEM*OR*97301~", "N4*SALEM*OR*97301*US~")),
    ("zip+4", BLOCK.replace("*97301~", "*973011234~")),
    ("zip of 4 digits", BLOCK.replace("*97301~", "*9730~")),
    ("state in lower case", BLOCK.replace("*OR*", "*or*")),
    ("N4 before N3", BLOCK.replace("N3*12 OAK AVE~\nN4*SALEM*OR*97301~\n", "N4*SALEM*OR*97301~\nN3*12 OAK AVE~\n")),
    ("DMG before N3", BLOCK.replace("N3*12 OAK AVE~\nN4*SALEM*OR*97301~\nDMG*D8*19580314*F~\n",
                                    "DMG*D8*19580314*F~\nN3*12 OAK AVE~\nN4*SALEM*OR*97301~\n")),
    ("REF*G2 of 2010BB", BLOCK + "REF*G2*PAYER-ASSIGNED-7~\n"),
    ("REF*LU of 2010BB", BLOCK + "REF*LU*LOC 9~\n"),
    ("REF*G2 with an extra element", BLOCK + "REF*G2*PAYER-ASSIGNED-7*X~\n"),
    ("REF*G2 without a value", BLOCK + "REF*G2~\n"),
    ("REF*EI after NM1*PR", BLOCK + "REF*EI*931234567~\n"),
    ("two REF*G2", BLOCK + "REF*G2*ONE~\nREF*G2*TWO~\n"),
    ("PER inside the block", BLOCK.replace("NM1*PR", "PER*IC*X*TE*5035550100~\nNM1*PR")),
    ("SBR01 not a code", BLOCK.replace("SBR*P*", "SBR*Z*")),
    ("SBR cut short", BLOCK.replace("SBR*P*18*******MC~", "SBR*P~")),
    ("SBR with more elements", BLOCK.replace("*MC~", "*MC*X~")),
    ("SBR09 empty", BLOCK.replace("*MC~", "*~")),
    ("non-person subscriber", BLOCK.replace("NM1*IL*1*", "NM1*IL*2*")),
    ("NM108 not MI", BLOCK.replace("****MI*", "****II*")),
    ("NM1*IL with NM110", BLOCK.replace("*MBR000111~", "*MBR000111*X~")),
    ("no first name", BLOCK.replace("*RIVERA*ANA*", "*RIVERA**")),
    ("a middle name and suffix", BLOCK.replace("*RIVERA*ANA****", "*RIVERA*ANA*M**JR*")),
    ("last name of 61 characters", BLOCK.replace("*RIVERA*", "*" + "R" * 61 + "*")),
    ("last name of 60 characters", BLOCK.replace("*RIVERA*", "*" + "R" * 60 + "*")),
    ("a name with a blank at its end", BLOCK.replace("*RIVERA*", "*RIVERA *")),
    ("a name with a component separator", BLOCK.replace("*RIVERA*", "*RIV:ERA*")),
    ("member id of one character", BLOCK.replace("*MBR000111~", "*M~")),
    ("birth date that is no date", BLOCK.replace("19580314", "19581340")),
    ("birth date of 7 digits", BLOCK.replace("19580314", "1958031")),
    ("DMG without sex", BLOCK.replace("*19580314*F~", "*19580314~")),
    ("sex not M/F/U", BLOCK.replace("*19580314*F~", "*19580314*X~")),
    ("DMG01 not D8", BLOCK.replace("DMG*D8*", "DMG*D6*")),
    ("DMG with more elements", BLOCK.replace("*19580314*F~", "*19580314*F*X~")),
    ("payer name with a blank at its start", BLOCK.replace("*2*CASCADE", "*2* CASCADE")),
    ("payer id empty", BLOCK.replace("*PI*CHP01~", "*PI*~")),
    ("payer NM1 cut short", BLOCK.replace("NM1*PR*2*CASCADE HEALTH PLAN*****PI*CHP01~", "NM1*PR*2*CASCADE~")),
    ("no payer NM1", BLOCK.replace("NM1*PR*2*CASCADE HEALTH PLAN*****PI*CHP01~\n", "")),
    ("a blank before a segment id", BLOCK.replace("\nN4*", "\n N4*")),
    ("CR LF line ends", BLOCK.replace("~\n", "~\r\n")),
]


PATIENT = "PAT*19~\nNM1*QC*1*RIVERA*LUIS~\nN3*12 OAK AVE~\nN4*SALEM*OR*97301~\nDMG*D8*20120505*M~\n"

PATIENT_VARIANTS = [
    ("as written", PATIENT),
    ("relationship 01", PATIENT.replace("PAT*19~", "PAT*01~")),
    ("relationship not a code", PATIENT.replace("PAT*19~", "PAT*99~")),
    ("PAT with more elements", PATIENT.replace("PAT*19~", "PAT*19*X~")),
    ("no PAT", PATIENT.replace("PAT*19~\n", "")),
    ("NM1*QC without a first name element", PATIENT.replace("*RIVERA*LUIS~", "*RIVERA~")),
    ("NM1*QC with an empty first name", PATIENT.replace("*RIVERA*LUIS~", "*RIVERA*~")),
    ("NM1*QC with a middle name", PATIENT.replace("*RIVERA*LUIS~", "*RIVERA*LUIS*M~")),
    ("NM1*QC of an organization", PATIENT.replace("NM1*QC*1*", "NM1*QC*2*")),
    ("first name of 36 characters", PATIENT.replace("*LUIS~", "*" + "L" * 36 + "~")),
    ("no N3/N4", PATIENT.replace("N3*12 OAK AVE~\nN4*SALEM*OR*97301~\n", "")),
    ("no DMG", PATIENT.replace("DMG*D8*20120505*M~\n", "")),
    ("birth date that is no date", PATIENT.replace("20120505", "20120231")),
    ("sex not M/F/U", PATIENT.replace("*20120505*M~", "*20120505*Q~")),
    ("a PER inside", PATIENT.replace("N3*", "PER*IC*X*TE*5035550100~\nN3*")),
    ("city of one character", PATIENT.replace("N4*SALEM*", "N4*S*")),
]


def read(module, text: str, cuts, *, lenient: bool = False):
    reader = module.Reader837P(lenient=lenient)
    claims, fatal = [], None
    try:
        for chunk in cut_at(text.encode("latin-1"), cuts):
            claims += reader.feed(chunk)
        claims += reader.close()
    except X12Error as exc:  # a stream that cannot be read further: the same one either way
        fatal = (type(exc).__name__, str(exc))
    return ([(list(vars(c)), c.model_dump_json()) for c in claims], [(type(e).__name__, str(e)) for e in reader.errors],
            reader.claims_read, reader.claims_not_read, fatal)


def assert_read_alike(text: str, first: str, after: str, lenient: bool) -> None:
    """The core and the oracle read ``text`` alike, unchunked and cut at, around and between the
    terminators of the block from ``first`` to ``after``."""
    start, end = text.index(first), text.index(after)
    terminators = [k for k in range(start, end) if text[k] == "~"]
    cuts = {c for k in terminators for c in (k, k + 1, k + 2, k + 5)} | {start, start + 1, end - 1}
    for chunking in [()] + [(k,) for k in sorted(cuts)] + [tuple(terminators)]:
        assert read(core_reader, text, chunking, lenient=lenient) == read(oracle_reader, text, chunking,
                                                                              lenient=lenient), chunking


def test_the_usual_blocks_are_read():
    claims = read(core_reader, BASE, ())
    assert [c[1].count('"claim_id"') for c in claims[0]] == [1, 1, 1] and claims[1] == [] and claims[2] == 3


@pytest.mark.parametrize("what, block", VARIANTS, ids=[v[0] for v in VARIANTS])
@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_read_alike(what, block, lenient):
    assert BASE.count(BLOCK) == 1
    assert_read_alike(BASE.replace(BLOCK, block), "HL*2*1*22*0", "CLM*A1", lenient)


def test_delimiters_that_text_may_hold():
    # element separator '|' and terminator '!' are both characters a Text value may hold
    text = BASE.replace("*", "|").replace("~", "!")
    new = read(core_reader, text, ())
    assert new == read(oracle_reader, text, ())
    assert new[2] == 3 and new[1] == []


@pytest.mark.parametrize("what, block", PATIENT_VARIANTS, ids=[v[0] for v in PATIENT_VARIANTS])
@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_patients_read_alike(what, block, lenient):
    assert BASE.count(PATIENT) == 1
    assert_read_alike(BASE.replace(PATIENT, block), "HL*4*3*23*0", "CLM*A2", lenient)


BASES = [BASE.split("~\n"), BASE.replace(BLOCK, BLOCK + "REF*G2*PAYER-ASSIGNED-7~\n").split("~\n")]
SEGMENTS = BASES[0]
# where the member blocks are (HL, SBR/PAT ... up to the CLM): most mutations land there
NEAR_BLOCKS = [k for k, seg in enumerate(SEGMENTS)
               if seg.startswith(("HL*", "SBR*", "PAT*", "NM1*IL", "NM1*PR", "NM1*QC", "N3*", "N4*", "DMG*"))]
VALUES = ["", "X", "1", "2", "18", "19", "MI", "PR", "IL", "QC", "D8", "G2", "LU", "20261340", "19580314", "A:B", "  ",
          "R" * 61]
# segments the member blocks may hold or meet that BASE itself does not send
EXTRA = ["REF*G2*PAYER-ASSIGNED-7", "REF*LU*LOC 9", "REF*EI*931234567", "PER*IC*X*TE*5035550100", "N3*1 ELM ST*UNIT 2",
         "N4*BEND*OR*977011234", "DMG*D8*19700101*U", "NM1*IL*1*DOE*JO****MI*M2", "PAT*01", "SBR*S*18*******CI"]


@st.composite
def mutated_files(draw):
    """BASE with a few segments duplicated, dropped, swapped, replaced by another of its segments,
    or with an element changed, cut off or added: mostly inside and around the member blocks."""
    segments = list(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.sampled_from(NEAR_BLOCKS) | st.integers(7, len(segments) - 5))  # not the envelope
        k = min(k, len(segments) - 5)
        op = draw(st.integers(0, 5))
        if op == 0:
            segments.insert(k, segments[k])
        elif op == 1:
            del segments[k]
        elif op == 2:
            segments[k], segments[k + 1] = segments[k + 1], segments[k]
        elif op == 3:
            segments.insert(k, draw(st.sampled_from(SEGMENTS[7:-4] + EXTRA)))
        else:
            elements = segments[k].split("*")
            i = draw(st.integers(0, len(elements)))
            if op == 4 and i < len(elements):
                elements[i] = draw(st.sampled_from(VALUES))
            else:
                elements = elements[:i] if i else elements + [draw(st.sampled_from(VALUES))]
            segments[k] = "*".join(elements) or "X"
    return "~\n".join(segments)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated_files(), cut=st.integers(0, 4000))
def test_any_mutated_file_reads_alike(text, cut):
    assert read(core_reader, text, (cut,)) == read(oracle_reader, text, (cut,))
