"""Segments of a stream with the validator's findings on the side, for tolerant readers.

The 999 and 277CA readers want the segments whatever is wrong with them, and want to say
what was wrong without failing: this feeds each chunk to both the tokenizer and a
:class:`Validator`, in one pass over the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..x12 import Tokenizer, X12Error
from .engine import Validator
from .findings import Finding


class ValidatingReader:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._validator = Validator()
        self._scanner = Tokenizer(strict=False, keep_trailing_blanks=True)  # the validator's cut

    def segments(self, chunks: Iterable[bytes]) -> Iterator[tuple[int, list[str], str]]:
        """(position, elements, component separator) of each segment, in order."""
        failed = False
        for chunk in chunks:
            self.findings.extend(self._validator.feed(chunk))
            if failed:
                continue
            try:
                batches = self._scanner.feed_batches(chunk)
            except X12Error:
                failed = True  # the validator has reported why; keep what was read
                continue
            yield from _unpack(batches)
        self.findings.extend(self._validator.close())
        if not failed:
            try:
                batches = self._scanner.close_batches()
            except X12Error:
                return
            yield from _unpack(batches)


def _unpack(batches) -> Iterator[tuple[int, list[str], str]]:
    for start, delims, pieces in batches:
        sep, comp = delims.element, delims.component
        for i, raw in enumerate(pieces, start + 1):
            yield i, raw.split(sep), comp
