"""Errors raised by the X12 core. Each names where it happened and which rule was broken."""

from __future__ import annotations

from ..problems import Problem, problem


class X12Error(Exception):
    """Base class: a rule of the X12 format was broken.

    ``position`` is the 1-based ordinal of the segment in the stream (when known),
    ``segment`` its id, ``element`` the 1-based element index (and ``component`` within it),
    ``rule`` the rule's slug in :data:`sdohedi.problems.RULES`. Messages never echo element values,
    which may hold protected health information.
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        segment: str | None = None,
        position: int | None = None,
        element: int | None = None,
        component: int | None = None,
    ) -> None:
        self.message = message
        self.rule = rule
        self.segment = segment
        self.position = position
        self.element = element
        self.component = component
        super().__init__(self._render(message))

    @property
    def loc(self) -> tuple:
        """Location tuple in the style of pydantic's ``loc``."""
        parts: list = []
        if self.position is not None:
            parts.append(self.position)
        if self.segment is not None:
            parts.append(self.segment)
        if self.element is not None:
            parts.append(self.element)
        if self.component is not None:
            parts.append(self.component)
        return tuple(parts)

    @property
    def problem(self) -> Problem:
        """This error as the library's :class:`~sdohedi.problems.Problem`."""
        return problem(self.rule, self.message, position=self.position, segment=self.segment, element=self.element,
                       component=self.component)

    def _render(self, message: str) -> str:
        where = []
        if self.position is not None:
            where.append(f"segment #{self.position}")
        if self.segment is not None:
            ref = self.segment
            if self.element is not None:
                ref += f"{self.element:02d}"
                if self.component is not None:
                    ref += f"-{self.component}"
            where.append(ref)
        prefix = f"[{', '.join(where)}] " if where else ""
        return f"{prefix}{message} (rule: {self.rule})"


class X12SyntaxError(X12Error):
    """The byte stream is not well-formed X12 (no ISA, bad delimiters, truncated...)."""


class X12ValueError(X12Error):
    """A value cannot be written: it holds a delimiter, is not representable, or is too long."""


class X12EnvelopeError(X12Error):
    """Envelope rules: ISA/GS/ST nesting, trailer counts, control numbers."""
