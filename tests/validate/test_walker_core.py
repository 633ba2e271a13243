"""The core's guide walker (``sdohedi._core.GuideWalker``, rust/src/walker.rs) against its oracle,
``oracle.walker`` (once ``validate.walker``) driven as the validator drives it (``walker_reference``): on every corpus file
and on mangled ones, every segment lands on the same guide node (so the same loop and parent)
and the same structure problems are reported at the same positions, with the same messages."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import CORPUS, cut_at
from sdohedi._core import GuideWalker, Placement
from sdohedi.x12 import X12Error
from walker_reference import core_walk, reference_walk

FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md" and "licenses" not in p.parts)
CONTROL = "x12.control.00501.xml"
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_corpus_files_are_walked_as_the_python_walker_walks_them(path):
    data = path.read_bytes()
    expected = reference_walk([data])
    assert core_walk([data]) == expected
    # Groups of a guide the core lacks (277 X212, 837P X222A2) are walked as envelopes only, on both sides.
    if any(p[2] not in (None, CONTROL) for p in expected[0]):
        assert any(p[4] for p in expected[0]), "no segment placed in a TR3 loop: the file proves nothing"


def test_the_corpus_covers_every_structure_rule_and_guide():
    walks = [reference_walk([path.read_bytes()]) for path in FILES]
    rules = {p[1] for w in walks for p in w[1]}
    assert {p[2] for w in walks for p in w[0]} == {None, CONTROL, "837.5010.X222.A1.xml", "835.5010.X221.A1.xml",
                                                   "999.5010X231.A1.xml", "277.5010.X214.xml"}
    assert {"segment-missing", "loop-missing", "segment-max-use", "loop-max-repeat", "segment-unexpected"} <= rules


def test_a_segment_no_guide_has_is_unknown_and_gets_no_place():
    data = (CORPUS / "835" / "stupidedi-era-sample.edi").read_bytes().replace(b"~CLP*", b"~ZZZ*1~CLP*", 1)
    placed, problems, _ = expected = reference_walk([data])
    assert core_walk([data]) == expected
    position = next(p[0] for p in placed if p[1] == "ZZZ")
    assert (position, "segment-unknown", "ZZZ") in {p[:3] for p in problems}
    assert placed[position - 1][2:] == (None, None, None, None)


def test_placements_name_loop_parent_and_position():
    path = CORPUS / "837p" / "stupidedi-commercial-health-insurance.edi"
    w = GuideWalker()
    placed = w.feed(path.read_bytes()) + w.close()
    assert [p.position for p in placed] == list(range(1, len(placed) + 1))
    subscriber = next(p for p in placed if p.loop == "2010BA")
    assert subscriber.segment == "NM1" and subscriber.guide == "837.5010.X222.A1.xml"
    assert subscriber.loop_path.endswith("/DETAIL/2000A/2000B/2010BA") and subscriber.problems == []


# -- mangled files --------------------------------------------------------------------------------------------


def _segments(data: bytes) -> tuple[list[bytes], bytes, bytes]:
    data = data.lstrip()
    term, sep = data[105:106], data[3:4]
    return [s.strip(b"\r\n") for s in data.split(term) if s.strip(b"\r\n")], term, sep


BASES = [p for p in FILES if p.read_bytes().lstrip().startswith(b"ISA") and len(p.read_bytes()) < 200_000]


@st.composite
def mangled(draw):
    """A corpus file with segments deleted, repeated, moved, renamed or requalified (structure
    faults), or a few bytes hit."""
    segments, term, sep = _segments(draw(st.sampled_from(BASES)).read_bytes())
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["delete", "duplicate", "move", "rename", "requalify", "insert", "byte"]))
        k = draw(st.integers(1, len(segments) - 1)) if len(segments) > 1 else 0
        other = segments[draw(st.integers(0, len(segments) - 1))].split(sep)
        els = segments[k].split(sep)
        if kind == "delete" and len(segments) > 2:
            del segments[k]
        elif kind == "duplicate":
            segments[k:k] = [segments[k]] * draw(st.integers(1, 60))
        elif kind == "move":
            seg = segments.pop(k)
            segments.insert(draw(st.integers(1, len(segments))), seg)
        elif kind == "rename":
            els[0] = draw(st.sampled_from([other[0], b"ZZZ", b"N9", b"nm1", b"LX", b"HL", b"SE", b"ST", b"GS"]))
            segments[k] = sep.join(els)
        elif kind == "requalify" and len(els) > 1:
            i = draw(st.integers(1, min(3, len(els) - 1)))
            els[i] = other[i] if len(other) > i else b""
            segments[k] = sep.join(els)
        elif kind == "insert":
            segments.insert(k, sep.join([draw(st.sampled_from([b"HL", b"NM1", b"CLP", b"SVC", b"LX", b"XYZ"]))]
                                        + [draw(st.sampled_from([b"1", b"IL", b"85", b"QC", b""]))] * 3))
        elif kind == "byte":
            i = draw(st.integers(0, len(segments[k])))
            segments[k] = segments[k][:i] + draw(st.sampled_from([b"*", b":", b"~", b"\n", b"A", b"\xff"])) \
                + segments[k][i + 1:]
    return (term + b"\n").join(segments) + term + b"\n"


@settings(max_examples=400, **SETTINGS)
@given(mangled(), st.lists(st.integers(0, 30_000), max_size=4))
def test_mangled_files_are_walked_as_the_python_walker_walks_them(data, cuts):
    chunks = cut_at(data, cuts)
    assert core_walk(chunks) == reference_walk([data])


# -- no input fails the core ----------------------------------------------------------------------------------


@settings(max_examples=300, **SETTINGS)
@given(st.one_of(st.binary(max_size=3000), mangled()), st.lists(st.integers(0, 3000), max_size=5))
def test_any_bytes_give_placements_or_a_typed_error(data, cuts):
    w = GuideWalker()
    placed = []
    try:
        for chunk in cut_at(data, cuts):
            placed.extend(w.feed(chunk))
        placed.extend(w.close())
    except X12Error as exc:
        assert exc.rule and "ISA*" not in str(exc)
    assert all(isinstance(p, Placement) for p in placed)
    assert [p.position for p in placed] == list(range(1, len(placed) + 1))


# -- walker.py's deliberate differences from pyx12 hold in the core too -----------------------------------------


def test_a_repeated_plb_is_the_segment_repeating_not_its_footer_table():
    data = (CORPUS / "835" / "stupidedi-dollars-and-data-sent-together.edi").read_bytes()
    plb = data[data.index(b"PLB*"):data.index(b"~SE*") + 1]
    data = data.replace(plb, plb * 2).replace(b"SE*29*", b"SE*30*")
    placed, problems, _ = expected = reference_walk([data])
    assert core_walk([data]) == expected
    plbs = [p for p in placed if p[1] == "PLB"]
    assert len(plbs) == 2 and plbs[0][3] == plbs[1][3] and plbs[0][5].endswith("/FOOTER")
    assert problems == []  # pyx12: "Loop FOOTER exceeded max count"


def test_namesakes_at_one_position_are_told_apart_by_their_other_codes():
    """Both 2400 PWKs accept PWK01 = CT; only the DME certificate indicator (PWK[CT]) accepts
    PWK02 = AD. pyx12 takes the first (line supplemental information, PWK[03]) and faults PWK02."""
    data = (CORPUS / "837p" / "stupidedi-oxygen.edi").read_bytes()
    placed, problems, _ = expected = reference_walk([data])
    assert core_walk([data]) == expected
    pwk = [p for p in placed if p[1] == "PWK"]
    assert pwk and all(p[4] == "2400" and p[3].endswith("/2400/PWK[CT]") for p in pwk)
    assert not [p for p in problems if p[2] == "PWK"]


def test_a_placement_shows_no_data_in_its_repr():
    """A malformed id can be a run of data (a segment with no separator): its repr shows '?'."""
    data = (CORPUS / "835" / "stupidedi-era-sample.edi").read_bytes().replace(b"~CLP*", b"~JANE Q DOE~CLP*", 1)
    placed = GuideWalker().feed(data)
    odd = next(p for p in placed if p.segment == "JANE Q DOE")
    assert odd.loop is None and "JANE" not in repr(odd) and "segment=\"?\"" in repr(odd)
    assert all("DOE" not in repr(q) for p in placed for q in p.problems)
