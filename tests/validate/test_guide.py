"""The implementation-guide tables compiled from pyx12's maps."""

import pickle

import pytest

from oracle import memos
from sdohedi.validate.guide import (
    CompositeRule, ElementRule, LoopNode, control_guide, guide_for, load_guide, map_index,
)

P837 = "837.5010.X222.A1.xml"


@pytest.fixture(scope="module")
def g837():
    return load_guide(P837)


def test_maps_are_found_by_functional_id_and_version():
    index = map_index()
    assert index[("HC", "005010X222A1")] == P837
    assert index[("HP", "005010X221A1")] == "835.5010.X221.A1.xml"
    assert index[("FA", "005010X231A1")] == "999.5010X231.A1.xml"
    assert guide_for("HC", "005010X223A3") is None


def test_loops_segments_and_elements_come_from_the_map(g837):
    loop_2400 = next(lp for path, lp in g837.loops_by_path.items() if path.endswith("/2000B/2300/2400"))
    assert (loop_2400.usage, loop_2400.max_repeat) == ("R", 50)
    loop_2300 = loop_2400.parent
    assert (loop_2300.id, loop_2300.max_repeat) == ("2300", 100)
    sv1 = loop_2400.first_node.__class__  # LX opens the loop
    assert loop_2400.first_segment.id == "LX" and sv1.__name__ == "SegmentNode"
    clm = next(s for s in g837.segments if s.id == "CLM")
    clm01 = clm.elements[0]
    assert isinstance(clm01, ElementRule) and (clm01.data_ele, clm01.data_type, clm01.max_len) == ("1028", "AN", 38)
    clm05 = clm.elements[4]
    assert isinstance(clm05, CompositeRule) and clm05.components[0].external == "pos"
    sv1_node = next(s for s in g837.segments if s.id == "SV1")
    assert sv1_node.key[:2] == (1, 1) and "HC" in sv1_node.key[2]
    assert ("P", (3, 4)) in sv1_node.syntax
    assert {s.loop_id for s in g837.segments if s.id == "NM1"} >= {"1000A", "2010AA", "2310B", "2420A"}


def test_namesakes_at_one_position_get_their_own_counters(g837):
    pwk = [s.path.rsplit("/", 1)[1] for s in g837.segments if s.id == "PWK" and "/2000C/" not in s.path]
    assert sorted(pwk) == ["PWK", "PWK[03]", "PWK[CT]"]
    g999 = load_guide("999.5010X231.A1.xml")
    ctx = [s.path for s in g999.segments if s.id == "CTX" and s.parent.id == "2100"]
    assert len(ctx) == len(set(ctx)) == 2


def test_guides_pickle_with_fresh_memos(g837):
    assert len(g837.segments) == 386
    restored = pickle.loads(pickle.dumps(g837))
    assert [s.path for s in restored.segments] == [s.path for s in g837.segments]
    assert restored.key_locations == g837.key_locations
    assert memos.transitions(restored) == [{} for _ in restored.segments]  # the oracle's memos start empty


def test_control_map_validates_envelopes():
    ctl = control_guide()
    isa = ctl.segment("/ISA_LOOP/ISA")
    assert isa.elements[11].codes == frozenset({"00501"})
    assert isinstance(ctl.root.children[0][1][0], LoopNode)
