"""The four X12 delimiters, as declared by an ISA segment, and reading them off the head of a stream.

:func:`start_interchange`, :func:`last_terminator` and :func:`check_stream_end` are the parts
that the Python readers share (:class:`sdohedi.x12.SegmentSplitter` under the 835 parser and the
837P reader, and the validator's scanner; :class:`sdohedi.x12.Tokenizer` is the Rust core's, which
keeps the same rules and is tested against the old Python tokenizer): where an interchange
starts (a UTF-8 byte-order mark and blanks before it skipped), how much text may wait for a
terminator, and how a stream may end. Each runs once per chunk or interchange, not per segment.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import X12SyntaxError

ISA_LENGTH = 106  # ISA is fixed width: 105 characters plus the segment terminator
MAX_SEGMENT_LENGTH = 1 << 20  # refuse pathological input instead of buffering forever
BOM = "\xef\xbb\xbf"  # UTF-8 byte-order mark, as latin-1 decoding shows it
WHITESPACE = " \t\r\n\x0b\x0c"  # tolerated between segments
PADDING = WHITESPACE + "\x00\x1a"  # NUL/^Z padding is common at file ends


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def __post_init__(self) -> None:
        chars = (self.element, self.component, self.repetition, self.segment)
        if any(len(c) != 1 for c in chars):
            raise X12SyntaxError("each delimiter must be exactly one character", rule="delimiter-length")
        if len(set(chars)) != 4:
            raise X12SyntaxError("delimiters must be four distinct characters", rule="delimiter-distinct")
        for c in chars:
            if c.isalnum() or c == " ":
                raise X12SyntaxError("a delimiter may not be a letter, digit or space", rule="delimiter-class")

    @property
    def all(self) -> str:
        return self.element + self.component + self.repetition + self.segment

    @classmethod
    def from_isa(cls, isa: str, *, position: int | None = None) -> "Delimiters":
        """Read delimiters from the first 106 characters of an ISA segment.

        ISA is fixed width, so the element separator is character 4, the repetition
        separator ISA11 is at offset 82, the component separator ISA16 at 104 and the
        segment terminator at 105.
        """
        if len(isa) < ISA_LENGTH or not isa.startswith("ISA"):
            raise X12SyntaxError(
                f"an interchange must begin with a {ISA_LENGTH}-character ISA segment",
                rule="isa-fixed-length", segment="ISA", position=position,
            )
        element = isa[3]
        # Fixed-width check: every ISA element boundary must hold the element separator.
        for offset in (6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103):
            if isa[offset] != element:
                raise X12SyntaxError(
                    "ISA elements are not at their fixed positions", rule="isa-fixed-length",
                    segment="ISA", position=position,
                )
        repetition = isa[82]
        if repetition == "U":  # 4010 and older put 'U' here; it is not a separator
            repetition = "^" if "^" not in (element, isa[104], isa[105]) else "\x1d"
        try:
            return cls(element, isa[104], repetition, isa[105])
        except X12SyntaxError as exc:
            raise X12SyntaxError(exc.message, rule=exc.rule, segment="ISA", position=position) from None


DEFAULT_DELIMITERS = Delimiters()


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
