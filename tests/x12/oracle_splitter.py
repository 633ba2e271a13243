"""The 835 parser's and 837P reader's segment splitter before the core tokenizer replaced it:
the oracle of tests/x12/test_core_batches.py (``Tokenizer(join_lines=True).feed_batches``).

Same contract as the tokenizer (delimiters read from every ISA, chunks cut anywhere, line
breaks between segments ignored) with the segments handed out as strings: a chunk is cut with
one ``str.split`` into a list of segment strings, with the delimiters they use. CR and LF are
removed from the text of an interchange (unless one of them is a delimiter). Unlike the core it
keeps blanks before a segment id and hands out a piece of blanks only as a segment (the core
drops whitespace between segments, as the tokenizer always has). Segment ids are not checked.
"""

from __future__ import annotations

from oracle_stream_head import WHITESPACE as _WS
from oracle_stream_head import check_stream_end, last_terminator, start_interchange
from sdohedi.x12.delimiters import Delimiters
from sdohedi.x12.errors import X12Error


class SegmentSplitter:
    """``feed(chunk)`` returns the segments that chunk completed; ``close()`` checks the end.

    An error found after segments that are complete (data after an IEA that is not an ISA, say)
    does not take them down with it: they are returned, and the error is raised by the next call
    (``feed``, ``close`` or ``check``). A reader calls ``check()`` after the batches of ``close()``.
    """

    def __init__(self) -> None:
        self._buf = ""
        self._delims: Delimiters | None = None
        self._started = False
        self.count = 0  # segments returned so far
        self.interchanges = 0  # ISA segments found (delimiter changes are allowed between them)
        self._pending: X12Error | None = None  # found after segments already returned

    @property
    def delimiters(self) -> Delimiters | None:
        return self._delims

    def feed(self, chunk: bytes) -> list[tuple[Delimiters, list[str]]]:
        """Segments completed by ``chunk``, as (delimiters, segment strings) batches: one batch
        per interchange the chunk touches, usually exactly one."""
        self.check()
        # latin-1 maps every byte to one character: no decode errors, no lost bytes.
        self._buf += chunk.decode("latin-1")
        out: list[tuple[Delimiters, list[str]]] = []
        self._keeping(out, self._drain, out, False)
        return out

    def close(self) -> list[tuple[Delimiters, list[str]]]:
        self.check()
        out: list[tuple[Delimiters, list[str]]] = []
        if self._keeping(out, self._drain, out, True):
            rest, self._buf = self._buf, ""
            self._keeping(out, check_stream_end, rest, started=self._started, position=self.count + 1)
        return out

    def check(self) -> list[tuple[Delimiters, list[str]]]:
        """Raise the error found after the segments already returned, if any; else []."""
        if self._pending is not None:
            error, self._pending = self._pending, None
            raise error
        return []

    def _keeping(self, out: list, step, *args, **kwargs) -> bool:
        """Run ``step``; an X12Error it raises once ``out`` holds segments waits in ``_pending``."""
        try:
            step(*args, **kwargs)
        except X12Error as exc:
            if not out:
                raise
            self._pending = exc
            return False
        return True

    # ----------------------------------------------------------------------------------------

    def _start_interchange(self, final: bool) -> bool:
        """Read the delimiters of the ISA at the head of the buffer; False when more data is needed."""
        self._buf, delims = start_interchange(self._buf, first=not self._started, final=final,
                                              position=self.count + 1)
        if delims is None:
            return False
        self._delims = delims
        self._started = True
        self.interchanges += 1
        return True

    def _find_iea(self, text: str, sep: str, term: str) -> int:
        """Index of an IEA segment's start in ``text`` (or -1): 'IEA' + separator right after
        a terminator (whitespace allowed between) or at the start of the text. A bare "IEA" (its
        terminator right after the id) ends the interchange too, as it does for the core."""
        # "IEA" is searched without the separator: a needle ending in a rare letter is skipped
        # through faster than one ending in the separator, which every segment holds.
        i = text.find("IEA")
        while i >= 0:
            if text[i + 3:i + 4] in (sep, term) and text[i + 3:i + 4]:
                k = i
                while k > 0 and text[k - 1] in _WS and text[k - 1] != term:  # the terminator may be a line break
                    k -= 1
                if k == 0 or text[k - 1] == term:
                    return i
            i = text.find("IEA", i + 1)
        return -1

    def _split(self, region: str, out: list[tuple[Delimiters, list[str]]]) -> None:
        d = self._delims
        assert d is not None
        for line_break in "\r\n":
            if line_break in region and line_break not in d.all:
                region = region.replace(line_break, "")
        term = d.segment
        pieces = region.split(term)
        # Empty pieces (doubled terminators, or nothing but line breaks between two) are dropped.
        # all() over the pieces costs a fifth of searching the text for a doubled terminator.
        if not all(pieces):
            pieces = [p for p in pieces if p]
        if pieces:
            self.count += len(pieces)
            out.append((d, pieces))

    def _drain(self, out: list[tuple[Delimiters, list[str]]], final: bool) -> None:
        while True:
            if self._delims is None and not self._start_interchange(final):
                return
            d = self._delims
            assert d is not None
            term = d.segment
            text = self._buf
            iea = self._find_iea(text, d.element, term)
            if iea >= 0:
                end = text.find(term, iea)
                if end >= 0:  # the interchange ends here; the next ISA may declare other delimiters
                    self._buf = text[end + 1:]
                    self._split(text[:end], out)
                    self._delims = None
                    continue
            end = last_terminator(text, term, self.count + 1)
            if end < 0:
                return
            self._buf = text[end + 1:]
            self._split(text[:end], out)
            return
