"""THE ORACLE: the pure-Python tokenizer that sdohedi.x12.Tokenizer was before the Rust core.

Kept only for the differential tests (tests/x12/test_core_tokenizer.py): the core must cut every
stream into the same segments, with the same errors. Not part of the package.

A streaming, sans-I/O X12 tokenizer.

Feed it chunks of bytes cut at any boundary; it yields :class:`Segment` objects as soon as
their terminator arrives. Delimiters are read from each ISA, so one stream may hold several
interchanges, even with different delimiters. CR/LF (and other whitespace) between segments
is ignored. Memory is bounded by the longest segment, not by the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from oracle_stream_head import WHITESPACE as _WS
from oracle_stream_head import check_stream_end, last_terminator, start_interchange
from sdohedi.x12.delimiters import Delimiters
from sdohedi.x12.errors import X12SyntaxError

_KNOWN_IDS: set[str] = set()  # segment ids already checked: most streams use a few dozen
_tuple_new = tuple.__new__  # builds a Segment without the NamedTuple's Python-level __new__


class Segment(NamedTuple):
    """One segment: its 1-based ordinal in the stream and its elements (``elements[0]`` is the id)."""

    position: int
    elements: list[str]

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, index: int, default: str = "") -> str:
        """Element ``index`` (1-based, as in 'CLP02'), or ``default`` when absent."""
        els = self.elements
        return els[index] if index < len(els) else default


class OracleTokenizer:
    """Incremental tokenizer. ``feed(chunk)`` returns the segments completed by that chunk;
    ``close()`` checks that the stream did not end inside a segment.

    ``strict=False`` yields segments whose identifier is malformed instead of raising, so
    that a validator can report them where they are and carry on.
    """

    def __init__(self, *, strict: bool = True) -> None:
        self._strict = strict
        self._buf = ""
        self._delims: Delimiters | None = None
        self._position = 0
        self._started = False
        self._closed = False

    @property
    def delimiters(self) -> Delimiters | None:
        return self._delims

    @property
    def position(self) -> int:
        """Ordinal of the last segment produced."""
        return self._position

    def feed(self, chunk: bytes) -> list[Segment]:
        if self._closed:
            raise X12SyntaxError("data fed after close()", rule="stream-closed")
        # latin-1 maps every byte to one character: no decode errors, no lost bytes;
        # the validator, not the tokenizer, decides which characters are allowed.
        self._buf += chunk.decode("latin-1")
        return self._drain(final=False)

    def close(self) -> list[Segment]:
        out = self._drain(final=True)
        self._closed = True
        check_stream_end(self._buf, started=self._started, position=self._position + 1)
        self._buf = ""
        return out

    def _start_interchange(self, final: bool) -> bool:
        """Find the ISA at the head of the buffer and read its delimiters.
        Returns False when more data is needed."""
        self._buf, d = start_interchange(self._buf, first=not self._started, final=final,
                                         position=self._position + 1)
        if d is None:
            return False
        self._delims = d
        self._started = True
        return True

    def _drain(self, final: bool) -> list[Segment]:
        out: list[Segment] = []
        while True:
            if self._delims is None:
                if not self._start_interchange(final):
                    return out
            d = self._delims
            assert d is not None
            term = d.segment
            buf = self._buf
            end = last_terminator(buf, term, self._position + 1)
            if end < 0:
                return out
            text = buf[:end]
            pieces = text.split(term)
            if "\n" in text or "\r" in text:  # CR/LF after terminators: the common pretty-printed form
                pieces = [p.strip("\r\n") for p in pieces]
            self._buf = buf[end + 1:]
            sep = d.element
            pos = self._position
            known = _KNOWN_IDS
            new = _tuple_new
            append = out.append
            for i, piece in enumerate(pieces):
                if not piece:
                    continue
                els = piece.split(sep)
                sid = els[0]
                if sid not in known:
                    if sid.strip(_WS) != sid:  # other whitespace between segments: tolerated
                        piece = piece.strip(_WS)
                        if not piece:
                            continue
                        els = piece.split(sep)
                        sid = els[0]
                    if 2 <= len(sid) <= 3 and sid.isalnum() and sid.isascii():
                        if len(known) < 4096:
                            known.add(sid)
                    elif self._strict:
                        self._position = pos
                        raise X12SyntaxError(
                            "segment identifier must be 2-3 letters or digits", rule="segment-id", position=pos + 1,
                        )
                pos += 1
                append(new(Segment, (pos, els)))
                if sid == "IEA":
                    # The next ISA may declare other delimiters: re-read them from there.
                    if i + 1 < len(pieces):
                        self._buf = term.join(pieces[i + 1:]) + term + self._buf
                    self._delims = None
                    break
            self._position = pos
