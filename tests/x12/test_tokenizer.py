from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import CORPUS
from sdohedi.x12 import Delimiters, Tokenizer, X12Error, X12SyntaxError, iter_segments

SAMPLE = (
    b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261102*0930*^*00501*000000001*0*T*:~\r\n"
    b"GS*HC*S*R*20261102*0930*1*X*005010X222A1~\r\n"
    b"ST*837*0001*005010X222A1~BHT*0019*00*X*20261102*0930*CH~SE*3*0001~\n"
    b"GE*1*1~IEA*1*000000001~\n"
)


def tokens(data: bytes, cuts=()):
    tok = Tokenizer()
    out = []
    prev = 0
    for c in sorted(cuts):
        out += tok.feed(data[prev:c])
        prev = c
    out += tok.feed(data[prev:])
    out += tok.close()
    return [(s.position, s.elements) for s in out]


def test_sample_segments_and_positions():
    segs = tokens(SAMPLE)
    assert [s[1][0] for s in segs] == ["ISA", "GS", "ST", "BHT", "SE", "GE", "IEA"]
    assert [s[0] for s in segs] == [1, 2, 3, 4, 5, 6, 7]
    assert segs[0][1][16] == ":"  # ISA16 kept as the component separator
    assert segs[4][1] == ["SE", "3", "0001"]


def test_delimiters_from_isa():
    d = Delimiters.from_isa(SAMPLE[:106].decode())
    assert (d.element, d.component, d.repetition, d.segment) == ("*", ":", "^", "~")


@given(st.lists(st.integers(min_value=0, max_value=len(SAMPLE)), max_size=12))
def test_any_chunking_gives_same_segments(cuts):
    assert tokens(SAMPLE, cuts) == tokens(SAMPLE)


def test_two_interchanges_with_different_delimiters():
    other = SAMPLE.replace(b"*", b"|").replace(b"~", b"\n").replace(b"\r\n", b"").replace(b"\n\n", b"\n")
    segs = tokens(SAMPLE + other)
    assert [s[1][0] for s in segs].count("ISA") == 2
    assert segs[-1][1] == ["IEA", "1", "000000001"]
    assert len(segs) == 14


@pytest.mark.parametrize("path", sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent.name in
                                        ("835", "837p", "999", "277ca")), ids=lambda p: p.name)
def test_every_corpus_file_tokenizes(path: Path):
    data = path.read_bytes()
    segs = list(iter_segments([data]))
    ids = [s.id for s in segs]
    assert ids[0] == "ISA" and ids[-1] == "IEA"
    assert ids.count("ISA") == ids.count("IEA")
    # same segments whatever the chunk size
    assert [s.elements for s in iter_segments(data[i:i + 7] for i in range(0, len(data), 7))] == [s.elements for s in segs]


@pytest.mark.parametrize("data,rule", [
    (b"", "isa-missing"),
    (b"hello world, this is not X12 at all", "isa-missing"),
    (SAMPLE[:50], "isa-fixed-length"),
    (SAMPLE[:-5], "truncated"),
    (SAMPLE.replace(b"BHT*", b"B!T*"), "segment-id"),
])
def test_bad_input_gives_typed_error(data, rule):
    with pytest.raises(X12SyntaxError) as e:
        tokens(data)
    assert e.value.rule == rule


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.builds(lambda a, b: SAMPLE[:a] + b, st.integers(0, len(SAMPLE)), st.binary(max_size=60)))
def test_arbitrary_bytes_never_crash(data):
    try:
        tokens(data)
    except X12Error:
        pass


def test_bom_is_tolerated():
    assert tokens(b"\xef\xbb\xbf" + SAMPLE) == tokens(SAMPLE)


def test_segments_know_their_index_in_the_interchange_and_byte_offset():
    data = b"\xef\xbb\xbf" + SAMPLE + SAMPLE.replace(b"\r\n", b"")
    tok = Tokenizer()
    segs = tok.feed(data[:200]) + tok.feed(data[200:]) + tok.close()
    assert [s.position for s in segs] == list(range(1, 15))
    assert [s.index for s in segs] == list(range(1, 8)) * 2
    # the offset is where the segment id starts in the stream, BOM and line breaks counted
    for s in segs:
        assert data[s.offset:].startswith(s.id.encode() + b"*")
    assert segs[0].offset == 3 and segs[7].offset == 3 + len(SAMPLE)


def test_a_segment_over_one_mib_is_refused_even_when_its_terminator_is_in_the_same_chunk():
    from sdohedi.x12.tokenizer import MAX_SEGMENT_LENGTH

    data = SAMPLE[:108] + b"NTE*" + b"A" * MAX_SEGMENT_LENGTH + b"~" + SAMPLE[108:]
    tok = Tokenizer()
    with pytest.raises(X12SyntaxError) as e:
        tok.feed(data)
        tok.close()
    assert (e.value.rule, e.value.position) == ("segment-length", 2)
