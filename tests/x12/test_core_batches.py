"""The core tokenizer's batches of segment text (``Tokenizer.feed_batches``) against the two Python
cutters they replaced, kept as oracles: the readers' splitter (tests/x12/oracle_splitter.py) for
``join_lines=True`` and the validator's scanner (tests/x12/oracle_scanner.py) for
``keep_trailing_blanks=True``. Random valid and mutated interchanges (test_core_tokenizer's
generator) and every corpus file, the core cut into random chunks: the same segments at the same
positions, and the same errors (rule and position).

Where the oracles' contracts differ from the core's the comparison says so:
- the splitter kept blanks before a segment id (its readers stripped them) and handed out a
  piece of blanks only as a segment: the core drops whitespace between segments as the
  tokenizer does, so the splitter's pieces are compared trimmed that way, and its positions
  less the blank pieces it counted;
- the scanner lost the segments of a call that ended in an error, so it is fed one byte at a
  time (as the tokenizer's oracle is), and where it fails the core must have handed out its
  segments and then exactly those before the error's position.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import CORPUS, cut_at
from oracle_scanner import Scanner
from oracle_splitter import SegmentSplitter
from oracle_stream_head import WHITESPACE
from sdohedi.x12 import Tokenizer, X12Error
from test_core_tokenizer import stream

FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md" and p.parent.name != "licenses")
CUTS = {"join_lines": True}, {"keep_trailing_blanks": True}, {}


def core(data: bytes, cuts, **cut) -> tuple[list[tuple[int, str, str]], tuple | None]:
    """(position, element separator, text) of each segment, and (rule, position) of the error."""
    tok = Tokenizer(strict=False, **cut)
    out: list[tuple[int, str, str]] = []

    def take(batches):
        for start, d, segments in batches:
            assert start == len(out) and segments  # batches follow each other, none empty
            out.extend((start + i, d.element, s) for i, s in enumerate(segments, 1))

    try:
        for chunk in cut_at(data, cuts):
            take(tok.feed_batches(chunk))
        take(tok.close_batches())
        tok.check()
    except X12Error as exc:
        return out, (exc.rule, exc.position)
    return out, None


def splitter(data: bytes) -> tuple[list[tuple[int, str, str]], tuple | None]:
    """The splitter's segments as the core cuts them: blanks touching the id trimmed, pieces of
    blanks dropped (and not counted in the positions after them)."""
    sp = SegmentSplitter()
    out: list[tuple[int, str, str]] = []
    dropped = 0

    def take(batches):
        nonlocal dropped
        for d, pieces in batches:
            for p in pieces:
                sid = p.split(d.element, 1)[0]
                # An empty id ('' is "in" every string) has no blank to strip.
                if sid and (sid[:1] in WHITESPACE or sid[-1:] in WHITESPACE):
                    p = p.strip(WHITESPACE)
                if not p:
                    dropped += 1
                    continue
                out.append((len(out) + 1, d.element, p))

    try:
        take(sp.feed(data))
        take(sp.close())
        sp.check()
    except X12Error as exc:
        return out, (exc.rule, exc.position if exc.position in (None, 1) else exc.position - dropped)
    return out, None


def scanner(data: bytes) -> tuple[list[tuple[int, str, str]], tuple | None]:
    sc = Scanner()
    out: list[tuple[int, str, str]] = []

    def take(batches):
        for start, d, pieces in batches:
            out.extend((start + i, d.element, p) for i, p in enumerate(pieces, 1))

    try:
        for i in range(len(data)):
            take(sc.feed(data[i:i + 1]))
        take(sc.close())
    except X12Error as exc:
        return out, (exc.rule, exc.position)
    return out, None


def assert_as_the_oracles(data: bytes, cuts) -> None:
    got, error = core(data, cuts, join_lines=True)
    assert (got, error) == splitter(data)
    got, error = core(data, cuts, keep_trailing_blanks=True)
    want, want_error = scanner(data)
    assert error == want_error
    if error is None:
        assert got == want
    else:
        assert got[:len(want)] == want
        assert len(got) == (error[1] or 1) - 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream(), st.lists(st.integers(0, 3000), max_size=8))
def test_same_segments_and_errors_as_the_oracles(data, cuts):
    assert_as_the_oracles(data, cuts)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_corpus_file_as_the_oracles_cut_it(path):
    data = path.read_bytes()
    assert_as_the_oracles(data, range(0, len(data), 4093))


def test_a_file_wrapped_at_80_columns_reads_as_if_it_were_not():
    """What the readers rely on (``join_lines``): no CR or LF inside a value; the validator's cut
    keeps them, to report them."""
    flat = (CORPUS / "835" / "stupidedi-era-sample.edi").read_bytes().replace(b"\r", b"").replace(b"\n", b"")
    # after the ISA, which is fixed width
    wrapped = flat[:106] + b"\r\n".join(flat[i:i + 80] for i in range(106, len(flat), 80))
    assert core(wrapped, [1000], join_lines=True) == core(flat, [], join_lines=True)
    kept = [s for _, _, s in core(wrapped, [], keep_trailing_blanks=True)[0]]
    # a break next to a terminator lies between segments: only the others are inside one
    inside = sum(1 for i in range(186, len(flat), 80) if b"~" not in flat[i - 1:i + 1])
    assert sum(s.count("\r\n") for s in kept) == inside > 0


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=600), stream()), st.lists(st.integers(0, 3000), max_size=8),
       st.sampled_from(CUTS))
def test_any_bytes_cut_anywhere_give_the_same_segments_or_the_same_typed_error(data, cuts, cut):
    assert core(data, cuts, **cut) == core(data, [], **cut)


def test_an_error_after_good_segments_waits_for_the_next_call():
    """The segments a chunk completed before an error are returned; the error comes next, from
    whichever call follows (``check()`` when none does)."""
    data = (CORPUS / "835" / "stupidedi-era-sample.edi").read_bytes() + b"GARBAGE AFTER THE INTERCHANGE~"
    tok = Tokenizer(strict=False, join_lines=True)
    batches = tok.feed_batches(data)
    assert batches and batches[-1][2][-1].startswith("IEA")
    with pytest.raises(X12Error) as e:
        tok.check()
    assert e.value.rule == "isa-missing"
    for call in (lambda: tok.feed_batches(b"ISA"), tok.close_batches, tok.check):
        with pytest.raises(X12Error):
            call()
