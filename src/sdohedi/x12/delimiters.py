"""The four X12 delimiters, as declared by an ISA segment.

Streams are read by the Rust core (:class:`sdohedi.x12.Tokenizer`, rust/src/delimiters.rs keeps
the same rules); this is what the Python side needs of them: the writer's delimiters, and an
ISA read where no tokenizer runs (the validator's pre-check of a chunk's terminators).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import X12SyntaxError

ISA_LENGTH = 106  # ISA is fixed width: 105 characters plus the segment terminator


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
