"""The validator's cut of the core tokenizer (``keep_trailing_blanks=True``, batches of segment
text) gives the segments of the x12 tokenizer, save the blanks it keeps for the validator to report."""

import pytest
from hypothesis import given, settings, strategies as st

from conftest import CORPUS
from sdohedi.x12 import Tokenizer, X12SyntaxError

FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent.name != "licenses" and p.suffix != ".md")


def _trimmed(segments):
    # The validator's cut keeps spaces before a terminator, which the tokenizer drops before a line break.
    return [(pos, els[:-1] + [els[-1].rstrip(" \t")]) for pos, els in segments]


def with_tokenizer(data: bytes, cuts=()):
    tok = Tokenizer(strict=False)
    out, prev = [], 0
    try:
        for c in sorted(cuts) + [len(data)]:
            out += [(s.position, s.elements) for s in tok.feed(data[prev:c])]
            prev = c
        out += [(s.position, s.elements) for s in tok.close()]
    except X12SyntaxError as exc:
        return out, exc.rule
    return out, None


def with_scanner(data: bytes, cuts=()):
    sc = Tokenizer(strict=False, keep_trailing_blanks=True)
    out, prev = [], 0

    def unpack(batches):
        for start, d, pieces in batches:
            for i, raw in enumerate(pieces, start + 1):
                out.append((i, raw.split(d.element)))

    try:
        for c in sorted(cuts) + [len(data)]:
            unpack(sc.feed_batches(data[prev:c]))
            prev = c
        unpack(sc.close_batches())
    except X12SyntaxError as exc:
        return out, exc.rule
    return out, None


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_segments_as_the_tokenizer(path):
    data = path.read_bytes()
    scanned, error = with_scanner(data)
    assert (_trimmed(scanned), error) == with_tokenizer(data)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(FILES), st.lists(st.integers(0, 4000), max_size=12))
def test_same_segments_however_the_bytes_are_cut(path, cuts):
    data = path.read_bytes()[:4000]
    cuts = [c for c in cuts if c < len(data)]
    scanned, error = with_scanner(data, cuts)
    assert (_trimmed(scanned), error) == with_tokenizer(data, cuts)


TWO_INTERCHANGES = (
    b"ISA*00*          *00*          *ZZ*S              *ZZ*R              *261102*0930*^*00501*000000001*0*T*:~\n"
    b"GS*HC*S*R*20261102*0930*1*X*005010X222A1~ST*837*0001*005010X222A1~SE*2*0001~GE*1*1~IEA*1*000000001~\r\n"
    b"ISA|00|          |00|          |ZZ|S              |ZZ|R              |261102|0930|^|00501|000000002|0|T|>!"
    b"GS|HC|S|R|20261102|0930|2|X|005010X222A1!IEA|1|000000002!"
)


def test_delimiters_change_with_each_interchange():
    segs, error = with_scanner(TWO_INTERCHANGES)
    assert error is None
    assert [e[0] for _, e in segs] == ["ISA", "GS", "ST", "SE", "GE", "IEA", "ISA", "GS", "IEA"]
    assert segs[-1] == (9, ["IEA", "1", "000000002"])


def test_bad_segment_ids_are_handed_out_not_raised():
    data = TWO_INTERCHANGES.replace(b"ST*837", b"S-T*837")
    segs, error = with_scanner(data)
    assert error is None and segs[2][1][0] == "S-T"
    assert with_tokenizer(data) == (segs, None)


def test_iea_text_inside_a_value_is_data():
    data = TWO_INTERCHANGES.replace(b"ST*837*0001*005010X222A1~", b"ST*837*0001*005010X222A1~NTE*ADD*IEA*X~")
    segs, error = with_scanner(data)
    assert error is None and ["NTE", "ADD", "IEA", "X"] in [e for _, e in segs]


@pytest.mark.parametrize("data, rule", [
    (b"GS*HC*S*R~", "isa-missing"),
    (b"ISA*00*  *00~", "isa-fixed-length"),
    (TWO_INTERCHANGES[:-30], "truncated"),
    (b"  \n", "isa-missing"),
])
def test_unreadable_streams_fail_like_the_tokenizer(data, rule):
    assert with_scanner(data)[1] == rule == with_tokenizer(data)[1]


def test_a_space_before_the_terminator_is_kept_and_reported():
    data = TWO_INTERCHANGES.replace(b"SE*2*0001~", b"SE*2*0001 ~")
    segs, _ = with_scanner(data)
    assert segs[3][1] == ["SE", "2", "0001 "]


def test_the_segments_before_a_fatal_error_are_validated():
    """Data after the last IEA that is no interchange stops the validator, but only there: the
    interchange before it is validated as it is without the trailer (the old scanner lost every
    segment of the 64 KiB slice the error was found in, and their findings)."""
    from sdohedi.validate import Validator

    data = (CORPUS / "835" / "stupidedi-era-sample.edi").read_bytes()
    se = data.index(b"SE*")
    data = data[:se] + b"SE*999" + data[data.index(b"*", se + 3):]  # a wrong segment count: a finding
    trailer = b"GARBAGE AFTER THE LAST INTERCHANGE, LONG ENOUGH TO BE TAKEN FOR AN ISA HEAD BY A READER~"

    def findings(stream: bytes) -> list[tuple]:
        v = Validator()
        return [(f.rule, f.location.position) for f in v.feed(stream) + v.close()]

    alone = findings(data)
    assert alone  # the wrong count
    with_trailer = findings(data + trailer)
    assert with_trailer[:len(alone)] == alone
    assert [rule for rule, _ in with_trailer[len(alone):]] == ["isa-missing"]
