"""The validator's segment scanner before the core tokenizer replaced it: the oracle of
tests/x12/test_core_batches.py (``Tokenizer(keep_trailing_blanks=True).feed_batches``).

It cut the stream as the tokenizer does (delimiters read from each ISA, a UTF-8 byte-order
mark and line breaks between segments ignored, the same errors for a missing or broken ISA and
a truncated stream) with three differences the validator needs:

- a malformed segment identifier is not an error here: the validator reports it where it is
  and carries on;
- spaces and tabs just before a segment terminator are kept: they are part of the last
  element (the tokenizer drops them when a line break follows), and an error there;
- segments come in batches of raw strings (``Batch``), not one object per segment.

Fed more than a byte at a time it loses the segments of a call that ends in an error (the
core returns them and raises on the next call).
"""

from __future__ import annotations

from typing import NamedTuple

from oracle_stream_head import WHITESPACE as _WS
from oracle_stream_head import check_stream_end, last_terminator, start_interchange
from sdohedi.x12.delimiters import Delimiters

_STRIP = "\r\n\t "
_CRLF = "\r\n"


class Batch(NamedTuple):
    """Consecutive segments of one interchange: the first has ordinal ``start + 1``."""

    start: int
    delimiters: Delimiters
    segments: list[str]  # raw segment text, terminator and surrounding line breaks removed


class Scanner:
    def __init__(self) -> None:
        self._buf = ""
        self._delims: Delimiters | None = None
        self._iea = ""
        self._position = 0
        self._started = False

    @property
    def position(self) -> int:
        """Ordinal of the last segment handed out."""
        return self._position

    def feed(self, chunk: bytes) -> list[Batch]:
        # latin-1 maps every byte to one character: no decode errors, no lost bytes; the
        # validator decides which characters are allowed.
        self._buf += chunk.decode("latin-1")
        return self._drain(final=False)

    def close(self) -> list[Batch]:
        out = self._drain(final=True)
        check_stream_end(self._buf, started=self._started, position=self._position + 1)
        self._buf = ""
        return out

    def _start_interchange(self, final: bool) -> bool:
        self._buf, d = start_interchange(self._buf, first=not self._started, final=final,
                                         position=self._position + 1)
        if d is None:
            return False
        self._delims = d
        self._iea = "IEA"
        self._started = True
        return True

    def _find_iea(self, buf: str, end: int) -> int:
        """Offset of the terminator of the first IEA segment before ``end``, or -1.

        An IEA segment starts the buffer or follows a terminator, with line breaks between them
        allowed; "IEA*" elsewhere is data. A bare "IEA" (its terminator right after the id) ends
        the interchange too, as it does for the core. ``str.find`` keeps this at memory speed.
        """
        term = self._delims.segment
        after = (self._delims.element, term)
        k = buf.find(self._iea, 0, end)
        while k >= 0:
            if buf[k + 3:k + 4] not in after or k + 3 >= len(buf):
                k = buf.find(self._iea, k + 1, end)
                continue
            j = k
            while j > 0 and buf[j - 1] in _STRIP:
                j -= 1
            if j == 0 or buf[j - 1] == term:
                stop = buf.find(term, k)
                return stop if 0 <= stop <= end else -1
            k = buf.find(self._iea, k + 1, end)
        return -1

    def _drain(self, final: bool) -> list[Batch]:
        out: list[Batch] = []
        while True:
            if self._delims is None and not self._start_interchange(final):
                return out
            d = self._delims
            term = d.segment
            buf = self._buf
            end = last_terminator(buf, term, self._position + 1)
            if end < 0:
                return out
            iea_end = self._find_iea(buf, end)
            closes = iea_end >= 0
            if closes:
                end = iea_end
            text = buf[:end]
            self._buf = buf[end + 1:]
            # Line breaks and indentation around segments go; a space before the terminator stays
            # (it belongs to the last element, where it is an error the validator reports).
            # A line break that is a delimiter (an ISA16 of LF, say) is data at a segment's end.
            tail = "".join(c for c in _CRLF if c not in (d.element, d.component, d.repetition, term))
            pieces = [p.lstrip(_STRIP).rstrip(tail) if p[:1] in _WS or p[-1:] in _CRLF else p
                      for p in text.split(term)]
            if "" in pieces:
                pieces = [p for p in pieces if p]
            out.append(Batch(self._position, d, pieces))
            self._position += len(pieces)
            if not closes:
                return out
            self._delims = None  # the next ISA may declare other delimiters
