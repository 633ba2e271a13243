"""The core tokenizer (sdohedi._core, Rust) against its oracle, the pure-Python tokenizer it
replaced (tests/x12/oracle_tokenizer.py): random valid and mutated interchanges, cut into random
chunks, give the same segments and the same errors (rule and position) through both.

The oracle is fed one byte at a time, the one way of feeding it that is exact: fed bigger chunks
it drops the segments that came before an error in the same chunk (the core hands them out
first), and after an IEA it re-joins the rest of the chunk with CR/LF stripped around the old
terminator, which can change the next ISA (the core reads the bytes as they are). Even byte by
byte it loses segments completed by the same byte as an error: an ISA holding its own terminator
is cut only once its 106 bytes are in, so its pieces arrive together. Where the oracle fails, the
core must fail with the same rule at the same position, having handed out the oracle's segments
and then exactly those before that position.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import CORPUS, cut_at
from oracle_tokenizer import OracleTokenizer
from sdohedi.x12 import Tokenizer, X12Error

# (element, component, repetition, terminator) of the interchanges the generator writes
DELIMITER_SETS = [("*", ":", "^", "~"), ("|", ">", "^", "!"), ("*", ":", "U", "\n"), ("^", "\\", "{", "'"),
                  ("\x1d", "\x1f", "\x1e", "\x1c")]
IDS = ["GS", "ST", "BHT", "NM1", "N3", "N4", "REF", "CLM", "HI", "SV1", "DTP", "CLP", "CAS", "SE", "GE", "B2A"]
TEXT = st.text(st.sampled_from("ABCZ019 .-/#&éÿ"), max_size=12)
BLANKS = st.sampled_from(["", "", "", "\n", "\r\n", " ", "\t", "\r\n  ", "\x0b"])


def isa(d, control: int) -> str:
    el, comp, rep, _ = d
    fields = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ", "RECEIVER".ljust(15),
              "261102", "0930", rep, "00501", f"{control:09d}", "0", "T", comp]
    return el.join(fields)


@st.composite
def interchange(draw, control: int) -> str:
    d = draw(st.sampled_from(DELIMITER_SETS))
    el, _, _, term = d
    parts = [isa(d, control) + term]
    for _ in range(draw(st.integers(0, 12))):
        sid = draw(st.sampled_from(IDS))
        elements = draw(st.lists(TEXT.map(lambda s: s.replace(el, "").replace(term, "")), max_size=6))
        parts.append(draw(BLANKS) + el.join([sid, *elements]) + term)
    parts.append(draw(BLANKS) + el.join(["IEA", "1", f"{control:09d}"]) + term)
    return "".join(parts)


@st.composite
def stream(draw) -> bytes:
    text = "".join(draw(interchange(i + 1)) for i in range(draw(st.integers(1, 3))))
    head = draw(st.sampled_from(["", "", "\ufeff", "\n", " \ufeff"]))
    tail = draw(st.sampled_from(["", "", "\n", "\r\n", "\x00\x00", "\x1a"]))
    data = (head.encode() if head else b"") + text.encode("latin-1") + tail.encode()
    for _ in range(draw(st.integers(0, 3))):  # mutations: a byte changed, dropped, inserted, or the end cut
        kind = draw(st.sampled_from(["set", "drop", "insert", "cut"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        byte = bytes([draw(st.sampled_from(b"*~|!:\r\n \tIEAS\x00\xef") | st.integers(0, 255))])
        data = {"set": data[:at] + byte + data[at + 1:], "drop": data[:at] + data[at + 1:],
                "insert": data[:at] + byte + data[at:], "cut": data[:at]}[kind]
    return data


def run(make, data: bytes, cuts) -> tuple[list, tuple | None]:
    tok = make()
    out = []
    try:
        for chunk in cut_at(data, cuts):
            out += [(s.position, s.elements) for s in tok.feed(chunk)]
        out += [(s.position, s.elements) for s in tok.close()]
    except X12Error as exc:
        return out, (exc.rule, exc.position)
    return out, None


def assert_same(data: bytes, cuts, strict: bool) -> None:
    want, want_error = run(lambda: OracleTokenizer(strict=strict), data, range(1, len(data)))
    got, error = run(lambda: Tokenizer(strict=strict), data, cuts)
    assert error == want_error
    if error is None:
        assert got == want
    else:  # even byte by byte the oracle may lose segments just before an error (see above)
        assert got[:len(want)] == want
        assert len(got) == (error[1] or 1) - 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream(), st.lists(st.integers(0, 3000), max_size=8), st.booleans())
def test_same_segments_and_errors_as_the_oracle(data, cuts, strict):
    assert_same(data, cuts, strict)


@pytest.mark.parametrize("path", sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md"
                                        and p.parent.name != "licenses"), ids=lambda p: p.name)
def test_every_corpus_file_as_the_oracle_cuts_it(path):
    data = path.read_bytes()
    for strict in (True, False):
        assert_same(data, [], strict)
        assert_same(data, range(0, len(data), 4093), strict)
    if len(data) < 60_000:  # and against the oracle fed the whole file at once (it loses the
        got, error = run(Tokenizer, data, [])  # segments before an error: compare the error only)
        want, want_error = run(OracleTokenizer, data, [])
        assert error == want_error and (error or got == want)


def test_a_bad_id_after_good_segments_in_one_chunk():
    """The oracle raises at once and loses the chunk's good segments; the core returns them and
    raises on the next call, with the same rule and position."""
    data = (isa(DELIMITER_SETS[0], 1) + "~GS*HC~S-T*837~").encode()
    tok = Tokenizer()
    assert [s.id for s in tok.feed(data)] == ["ISA", "GS"]
    with pytest.raises(X12Error) as e:
        tok.close()
    assert (e.value.rule, e.value.position) == ("segment-id", 3)
    with pytest.raises(X12Error):
        OracleTokenizer().feed(data)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=500) | stream(), st.lists(st.integers(0, 600), max_size=6),
       st.booleans(), st.booleans())
def test_any_bytes_give_segments_or_a_typed_error(data, cuts, strict, lenient_isa):
    """Through the Python API: never another exception, and the segments are well formed."""
    tok = Tokenizer(strict=strict, lenient_isa=lenient_isa)
    segments = []
    try:
        for chunk in cut_at(data, cuts):
            segments += tok.feed(chunk)
        segments += tok.close()
    except X12Error as exc:
        assert exc.rule and (exc.position is None or exc.position == len(segments) + 1 or exc.position == 1)
    for seg in segments:
        assert seg.elements and all(isinstance(e, str) for e in seg.elements)
        assert data[seg.offset:seg.offset + len(seg.id)] == seg.id.encode("latin-1")
