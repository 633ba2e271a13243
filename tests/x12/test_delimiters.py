"""The stream head of the old Python cutters (the oracles' shared helpers), and every reader on
the core saying the same of a head that is no interchange."""

import pytest

from oracle_stream_head import BOM, MAX_SEGMENT_LENGTH, check_stream_end, last_terminator, start_interchange
from sdohedi.x12 import X12SyntaxError

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261102*0930*^*00501*000000001*0*T*:~"


def test_isa_after_blanks_and_a_bom():
    rest, d = start_interchange(" \r\n" + BOM + "\n" + ISA + "GS*", first=True, final=False, position=1)
    assert rest == ISA + "GS*"
    assert (d.element, d.component, d.repetition, d.segment) == ("*", ":", "^", "~")


def test_a_bom_only_counts_before_the_first_interchange():
    with pytest.raises(X12SyntaxError) as e:  # after the first interchange a BOM is just text that is no ISA
        start_interchange(BOM + ISA, first=False, final=False, position=7)
    assert (e.value.rule, e.value.position) == ("isa-missing", 7)


@pytest.mark.parametrize("head, final", [("", False), ("\xef", False), ("\xef\xbb", False), ("IS", False),
                                         (ISA[:100], False), ("  \n", True), ("\x00\x1a", True)])
def test_more_data_needed(head, final):
    rest, d = start_interchange(head, first=True, final=final, position=1)
    assert d is None and rest == head.lstrip(" \n")


@pytest.mark.parametrize("head, final, rule", [
    ("GS*HC~", False, "isa-missing"),
    ("\xef\xbb", True, "isa-missing"),
    (ISA[:50], True, "isa-fixed-length"),
    (ISA.replace("*00501", "00501*"), False, "isa-fixed-length"),
    ("GS*HC*" + "X" * 120 + "~", False, "isa-missing"),  # long enough for an ISA, but none
])
def test_not_an_interchange(head, final, rule):
    with pytest.raises(X12SyntaxError) as e:
        start_interchange(head, first=True, final=final, position=3)
    assert (e.value.rule, e.value.position) == (rule, 3)


def test_last_terminator():
    assert last_terminator("A*1~B*2~C*", "~", 5) == 7
    assert last_terminator("C*" * 10, "~", 5) == -1
    with pytest.raises(X12SyntaxError) as e:
        last_terminator("x" * (MAX_SEGMENT_LENGTH + 1), "~", 5)
    assert (e.value.rule, e.value.position) == ("segment-length", 5)


def test_check_stream_end():
    check_stream_end(" \r\n\x00\x1a", started=True, position=9)
    with pytest.raises(X12SyntaxError) as e:
        check_stream_end("IEA*1", started=True, position=9)
    assert (e.value.rule, e.value.position) == ("truncated", 9)
    with pytest.raises(X12SyntaxError) as e:
        check_stream_end("", started=False, position=9)
    assert (e.value.rule, e.value.position) == ("isa-missing", 1)


@pytest.mark.parametrize("data", [
    b"GS*HC*" + b"X" * 120 + b"~", b"hello, this is not X12 at all", b"\xef\xbb\xbfGS*HC~" * 20,
    ISA.encode()[:60], ISA.replace("*00501", "00501*").encode(),
])
def test_every_reader_says_the_same_of_a_head_that_is_no_interchange(data):
    """The core tokenizer (under the 835 parser, the 837P reader and the validator, each with its
    own cut of the segment text), the readers and the old Python stream head (tests' oracles)
    say the same rule for the same bytes."""
    from oracle_splitter import SegmentSplitter
    from sdohedi.claims837p import Reader837P
    from sdohedi.remit835 import Parser835
    from sdohedi.x12 import Tokenizer

    def batches(**cut):
        tok = Tokenizer(strict=False, **cut)
        return type("Batches", (), {"feed": lambda self, d: tok.feed_batches(d), "close": lambda self: tok.close_batches()})

    rules = set()
    for make in (Tokenizer, SegmentSplitter, Reader837P, Parser835, batches(join_lines=True),
                 batches(keep_trailing_blanks=True)):
        reader = make()
        with pytest.raises(X12SyntaxError) as e:
            reader.feed(data)
            reader.close()
        rules.add(e.value.rule)
    assert len(rules) == 1, rules


def test_an_isa_off_its_fixed_offsets_is_read_by_the_core_with_a_finding():
    """Refused by default, as by every reader above; with lenient_isa the core tokenizer reads the
    ISA by its separators and reports the same rule as a finding."""
    from sdohedi.x12 import Tokenizer

    shifted = ISA.replace("*00501", "00501*").encode()
    with pytest.raises(X12SyntaxError) as e:
        Tokenizer().feed(shifted)
    assert e.value.rule == "isa-fixed-length"
    tok = Tokenizer(lenient_isa=True)
    segs = tok.feed(shifted) + tok.close()
    assert [s.id for s in segs] == ["ISA"]
    assert [(f.rule, f.position, f.segment) for f in tok.findings] == [("isa-fixed-length", 1, "ISA")]
