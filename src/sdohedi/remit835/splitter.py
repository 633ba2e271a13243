"""Cut a byte stream into segments (lists of element strings), a whole chunk at a time.

Same contract as :class:`sdohedi.x12.Tokenizer` (delimiters read from every ISA, chunks cut
anywhere, whitespace between segments ignored, memory bounded by the longest segment) but
built for throughput: a chunk is split with ``str.split`` in bulk, with no per-segment
object other than the list of elements. The shared tokenizer spends about 2.5 µs per segment
(a NamedTuple and a Python-level loop per segment), which caps it near 10 MB/s; this one
runs near the speed of a bare ``split``. Segment ids are not checked here: the parser
dispatches on them and checks the ones it does not know.
"""

from __future__ import annotations

from ..x12 import Delimiters, X12SyntaxError
from ..x12.delimiters import ISA_LENGTH

_BOM = "\xef\xbb\xbf"  # UTF-8 byte-order mark, as latin-1 decoding shows it
_WS = " \t\r\n\x0b\x0c"
_PADDING = _WS + "\x00\x1a"  # NUL / ^Z padding is common at file ends
MAX_SEGMENT_LENGTH = 1 << 20  # refuse pathological input instead of buffering forever


class SegmentSplitter:
    """``feed(chunk)`` returns the segments that chunk completed; ``close()`` checks the end."""

    def __init__(self) -> None:
        self._buf = ""
        self._delims: Delimiters | None = None
        self._started = False
        self.count = 0  # segments returned so far
        self.interchanges = 0  # ISA segments found (delimiter changes are allowed between them)

    @property
    def delimiters(self) -> Delimiters | None:
        return self._delims

    def feed(self, chunk: bytes) -> list[list[str]]:
        # latin-1 maps every byte to one character: no decode errors, no lost bytes.
        self._buf += chunk.decode("latin-1")
        return self._drain(final=False)

    def close(self) -> list[list[str]]:
        out = self._drain(final=True)
        rest = self._buf.strip(_PADDING)
        self._buf = ""
        if rest:
            raise X12SyntaxError("stream ends inside a segment (no segment terminator)", rule="truncated",
                                 position=self.count + 1)
        if not self._started:
            raise X12SyntaxError("no ISA segment found: not an X12 interchange", rule="isa-missing", position=1)
        return out

    # ----------------------------------------------------------------------------------------

    def _start_interchange(self, final: bool) -> bool:
        """Read the delimiters of the ISA at the head of the buffer; False when more data is needed."""
        buf = self._buf.lstrip(_WS)
        if not self._started and buf.startswith(_BOM[: len(buf)]):
            if len(buf) < len(_BOM) and not final:
                self._buf = buf
                return False
            if buf.startswith(_BOM):
                buf = buf[len(_BOM):].lstrip(_WS)
        self._buf = buf
        if len(buf) < ISA_LENGTH:
            if final or not "ISA".startswith(buf[:3]):
                if buf.strip(_PADDING):
                    truncated_isa = buf.startswith("ISA")
                    raise X12SyntaxError("ISA segment is truncated" if truncated_isa else "expected an ISA segment",
                                         rule="isa-fixed-length" if truncated_isa else "isa-missing",
                                         position=self.count + 1)
            return False
        if not buf.startswith("ISA"):
            raise X12SyntaxError("expected an ISA segment", rule="isa-missing", position=self.count + 1)
        self._delims = Delimiters.from_isa(buf[:ISA_LENGTH], position=self.count + 1)
        self._started = True
        self.interchanges += 1
        return True

    def _find_iea(self, text: str, sep: str, term: str) -> int:
        """Index of an IEA segment's start in ``text`` (or -1): 'IEA' + separator right after
        a terminator (whitespace allowed between) or at the start of the text."""
        needle = "IEA" + sep
        i = text.find(needle)
        while i >= 0:
            k = i
            while k > 0 and text[k - 1] in _WS:
                k -= 1
            if k == 0 or text[k - 1] == term:
                return i
            i = text.find(needle, i + 1)
        return -1

    def _split(self, region: str, out: list[list[str]]) -> None:
        d = self._delims
        assert d is not None
        sep = d.element
        pieces = region.split(d.segment)
        if "\n" in region or "\r" in region or "\t" in region:
            segs = [q.split(sep) for p in pieces if (q := p.strip(_WS))]
        else:
            segs = [p.split(sep) for p in pieces if p]
        self.count += len(segs)
        out.extend(segs)

    def _drain(self, final: bool) -> list[list[str]]:
        out: list[list[str]] = []
        while True:
            if self._delims is None and not self._start_interchange(final):
                return out
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
            end = text.rfind(term)
            if end < 0:
                if len(text) > MAX_SEGMENT_LENGTH:
                    raise X12SyntaxError("segment longer than 1 MiB: no terminator found", rule="segment-length",
                                         position=self.count + 1)
                return out
            self._buf = text[end + 1:]
            self._split(text[:end], out)
            return out
