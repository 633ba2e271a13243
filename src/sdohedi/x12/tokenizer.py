"""The streaming, sans-I/O X12 tokenizer: the compiled core's (``sdohedi._core``, rust/).

Feed it chunks of bytes cut at any boundary; it returns :class:`Segment` objects as soon as
their terminator arrives. Delimiters are read from each ISA, so one stream may hold several
interchanges, even with different delimiters. An ISA whose elements are not at their fixed
offsets is refused (``isa-fixed-length``), or with ``Tokenizer(lenient_isa=True)`` read by its
separators and reported in ``Tokenizer.findings``. A UTF-8 byte-order
mark, CR/LF and other whitespace between segments are ignored. Memory is bounded by the
longest segment (:data:`MAX_SEGMENT_LENGTH`), not by the stream. A broken rule raises
:class:`sdohedi.x12.X12SyntaxError`; the segments before it are returned first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from .._core import MAX_SEGMENT_LENGTH, Segment, Tokenizer

__all__ = ["MAX_SEGMENT_LENGTH", "Segment", "Tokenizer", "iter_segments", "read_chunks"]


def iter_segments(chunks: Iterable[bytes], *, strict: bool = True) -> Iterator[Segment]:
    """Tokenize an iterable of byte chunks (e.g. ``read_chunks(f)``)."""
    tok = Tokenizer(strict=strict)
    for chunk in chunks:
        yield from tok.feed(chunk)
    yield from tok.close()


def read_chunks(fileobj: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """Chunks of an open binary file, for :func:`iter_segments`."""
    return iter(lambda: fileobj.read(size), b"")
