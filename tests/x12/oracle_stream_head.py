"""The stream head of the old Python cutters (tests' oracles: oracle_tokenizer, oracle_splitter,
oracle_scanner), moved here from sdohedi.x12.delimiters when the core tokenizer replaced them:
where an interchange starts (a UTF-8 byte-order mark and blanks before it skipped), how much text
may wait for a terminator, and how a stream may end. rust/src/tokenizer.rs keeps these rules.
"""

from __future__ import annotations

from sdohedi.x12.delimiters import ISA_LENGTH, Delimiters
from sdohedi.x12.errors import X12SyntaxError

MAX_SEGMENT_LENGTH = 1 << 20  # refuse pathological input instead of buffering forever
BOM = "\xef\xbb\xbf"  # UTF-8 byte-order mark, as latin-1 decoding shows it
WHITESPACE = " \t\r\n\x0b\x0c"  # tolerated between segments
PADDING = WHITESPACE + "\x00\x1a"  # NUL/^Z padding is common at file ends


def start_interchange(buf: str, *, first: bool, final: bool, position: int) -> tuple[str, Delimiters | None]:
    """Read the delimiters of the ISA at the head of buffered stream text.

    Returns the text with the blanks before the ISA removed (and, when ``first``, a UTF-8
    byte-order mark), and the delimiters, or ``None`` when more data is needed. Raises
    :class:`X12SyntaxError` when the text cannot begin an interchange (``final``: no more data
    comes); ``position`` is the ordinal the ISA would have.
    """
    buf = buf.lstrip(WHITESPACE)
    if first:
        if buf.startswith(BOM):
            buf = buf[3:].lstrip(WHITESPACE)
        elif buf and BOM.startswith(buf) and not final:
            return buf, None
    if len(buf) < ISA_LENGTH:
        if (final or (buf[:3] and not "ISA".startswith(buf[:3]))) and buf.strip(PADDING):
            if buf.startswith("ISA"):
                raise X12SyntaxError("ISA segment is truncated", rule="isa-fixed-length", position=position)
            raise X12SyntaxError("expected an ISA segment", rule="isa-missing", position=position)
        return buf, None
    if not buf.startswith("ISA"):
        raise X12SyntaxError("expected an ISA segment", rule="isa-missing", position=position)
    return buf, Delimiters.from_isa(buf[:ISA_LENGTH], position=position)


def last_terminator(buf: str, term: str, position: int) -> int:
    """Offset of the last segment terminator in ``buf``, or -1 when none has arrived yet.

    Raises when that leaves more than :data:`MAX_SEGMENT_LENGTH` characters waiting:
    ``position`` is the ordinal of the segment that never ends.
    """
    end = buf.rfind(term)
    if end < 0 and len(buf) > MAX_SEGMENT_LENGTH:
        raise X12SyntaxError("segment longer than 1 MiB: no terminator found", rule="segment-length",
                             position=position)
    return end


def check_stream_end(rest: str, *, started: bool, position: int) -> None:
    """At the end of a stream: what is left unread (``rest``) may only be padding, and an
    interchange must have started. ``position`` is the ordinal of the next segment."""
    if rest.strip(PADDING):
        raise X12SyntaxError("stream ends inside a segment (no segment terminator)", rule="truncated",
                             position=position)
    if not started:
        raise X12SyntaxError("no ISA segment found: not an X12 interchange", rule="isa-missing", position=1)
