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
        # The error is its Problem: one record of rule, level, severity and location, which the
        # attributes below read, so an error and the finding made from it can never disagree.
        self.problem: Problem = problem(rule, message, position=position, segment=segment, element=element,
                                        component=component)
        super().__init__(self._render(message))

    @property
    def message(self) -> str:
        return self.problem.message

    @property
    def rule(self) -> str:
        return self.problem.rule

    @property
    def segment(self) -> str | None:
        return self.problem.location.segment

    @property
    def position(self) -> int | None:
        return self.problem.location.position

    @property
    def element(self) -> int | None:
        return self.problem.location.element

    @property
    def component(self) -> int | None:
        return self.problem.location.component

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

    def __reduce__(self):
        # Spark workers and multiprocessing pickle exceptions; the keyword-only constructor cannot be
        # called with ``self.args``, so the error is rebuilt from its state.
        return _restore, (type(self), self.args, self.__dict__.copy())

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


def _restore(cls: type[X12Error], args: tuple, state: dict) -> X12Error:
    error = Exception.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class X12SyntaxError(X12Error):
    """The byte stream is not well-formed X12 (no ISA, bad delimiters, truncated...)."""


class X12ValueError(X12Error):
    """A value cannot be written: it holds a delimiter, is not representable, or is too long."""


class X12EnvelopeError(X12Error):
    """Envelope rules: ISA/GS/ST nesting, trailer counts, control numbers."""
