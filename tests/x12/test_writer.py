import datetime as dt

import pytest
from hypothesis import given, strategies as st

from sdohedi.x12 import Interchange, SegmentWriter, UnrepresentableText, X12EnvelopeError, X12ValueError, iter_segments, to_x12_text


def test_delimiter_in_value_is_refused_and_nothing_written():
    out = []
    w = SegmentWriter(out.append)
    with pytest.raises(X12ValueError) as e:
        w.segment("NM1", "IL", "1", "SMITH*JONES")
    assert (e.value.segment, e.value.element, e.value.rule) == ("NM1", 3, "delimiter-in-value")
    assert "SMITH" not in str(e.value)  # values are never echoed: they may be PHI
    with pytest.raises(X12ValueError) as e:
        w.segment("SV1", ("HC", "S5170~"), "10")
    assert (e.value.element, e.value.component) == (1, 2)
    assert out == [] and w.count == 0


@pytest.mark.parametrize("value", ["a:b", "a^b", "a~b", "caf\u00e9", "line\nbreak"])
def test_each_forbidden_character_is_refused(value):
    with pytest.raises(X12ValueError):
        SegmentWriter(lambda s: None).segment("REF", "EI", value)


def test_envelope_counts_are_computed():
    out = []
    ic = Interchange(out.append, sender_id="S", receiver_id="R", control_number=7, usage="T",
                     timestamp=dt.datetime(2026, 1, 2, 3, 4))
    g = ic.group("HC", "S", "R", 9, "005010X222A1")
    for n in (1, 2):
        tx = g.transaction("837", n)
        for _ in range(n):
            tx.segment("REF", "EI", "123")
        tx.close()
    g.close()
    ic.close()
    segs = list(iter_segments(["".join(out).encode()]))
    by_id = [s.elements for s in segs]
    assert ["SE", "3", "0001"] in by_id and ["SE", "4", "0002"] in by_id
    assert by_id[-2] == ["GE", "2", "9"] and by_id[-1] == ["IEA", "1", "000000007"]
    assert len(by_id[0]) == 17 and len("".join(out).split("~")[0]) == 105


def test_envelope_nesting_errors():
    ic = Interchange(lambda s: None, sender_id="S", receiver_id="R", control_number=1)
    g = ic.group("HC", "S", "R", 1, "005010X222A1")
    g.transaction("837", 1)
    with pytest.raises(X12EnvelopeError):
        g.close()
    with pytest.raises(X12EnvelopeError):
        Interchange(lambda s: None, sender_id="S", receiver_id="R", control_number=0)
    with pytest.raises(X12ValueError):
        Interchange(lambda s: None, sender_id="A" * 16, receiver_id="R", control_number=1)


def test_transliteration_policy():
    assert to_x12_text("Jos\u00e9 Pe\u00f1a O\u2019Neil") == "Jose Pena O'Neil"
    assert to_x12_text("Stra\u00dfe") == "StraSSe"
    with pytest.raises(UnrepresentableText):
        to_x12_text("\u674e", "transliterate")
    with pytest.raises(UnrepresentableText):
        to_x12_text("Jos\u00e9", "refuse")
    with pytest.raises(UnrepresentableText) as e:
        to_x12_text("a\x07b")
    assert e.value.rule == "control-character"


@given(st.text(max_size=40))
def test_transliteration_gives_ascii_or_refuses(s):
    try:
        out = to_x12_text(s)
    except UnrepresentableText:
        return
    assert all(" " <= c <= "~" for c in out)
