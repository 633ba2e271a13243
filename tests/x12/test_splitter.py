"""The core tokenizer's batches as the 835 parser and the 837P reader take them
(``Tokenizer(strict=False, join_lines=True).feed_batches``) against a plain reference: every
non-empty segment of the interchange, in order, however the bytes are cut and wherever doubled
terminators or line breaks stand between segments."""

from __future__ import annotations

from hypothesis import given, strategies as st

from conftest import CORPUS, cut_at
from sdohedi.x12 import Tokenizer

FILES = sorted((CORPUS / "835").glob("*.edi")) + sorted((CORPUS / "837p").glob("*.edi"))[:3]


def reference(text: str, term: str) -> list[str]:
    return [p for p in text.replace("\r", "").replace("\n", "").split(term) if p.strip(" \t")]


def split(data: bytes, cuts: list[int]) -> tuple[list[str], str]:
    tokenizer = Tokenizer(strict=False, join_lines=True)
    pieces: list[str] = []
    term = ""
    for chunk in cut_at(data, cuts):
        for start, delims, batch in tokenizer.feed_batches(chunk):
            assert start == len(pieces)
            pieces += batch
            term = delims.segment
    for start, delims, batch in tokenizer.close_batches():
        assert start == len(pieces)
        pieces += batch
        term = delims.segment
    tokenizer.check()
    return pieces, term


@given(index=st.integers(0, len(FILES) - 1), seed=st.randoms(use_true_random=False),
       cuts=st.lists(st.integers(0, 4000), max_size=8))
def test_pieces_are_the_non_empty_segments(index, seed, cuts):
    text = FILES[index].read_bytes().decode("latin-1").lstrip("\ufeff")
    term = text[105]  # ISA16 is followed by the segment terminator
    segments = [s for s in text.replace("\r", "").replace("\n", "").split(term) if s]
    # noise between segments: doubled terminators and line breaks, never inside the ISA's fixed width
    out = [segments[0]]
    for seg in segments[1:]:
        out.append(seed.choice(["", "", term, term + term, "\n", "\r\n" + term]))
        out.append(seg)
    noisy = term.join(out) + term + seed.choice(["", "\n", "\r\n"])  # after IEA: only padding
    pieces, found_term = split(noisy.encode("latin-1"), cuts)
    assert found_term == term
    assert pieces == reference(noisy, term) == segments


def test_every_single_cut_of_a_file_with_doubled_terminators():
    """A chunk may end between two terminators, so the next one starts with one."""
    text = FILES[0].read_bytes().decode("latin-1").lstrip("\ufeff")
    term = text[105]
    segments = [s for s in text.replace("\r", "").replace("\n", "").split(term) if s]
    noisy = (term + term).join(segments) + term
    data = noisy.encode("latin-1")
    for cut in range(1, len(data)):
        assert split(data, [cut])[0] == segments, cut
