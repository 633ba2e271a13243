"""The streaming, sans-I/O X12 tokenizer: the compiled core's (``sdohedi._core``, rust/).

Feed it chunks of bytes cut at any boundary; it returns :class:`Segment` objects as soon as
their terminator arrives. Delimiters are read from each ISA, so one stream may hold several
interchanges, even with different delimiters. An ISA whose elements are not at their fixed
offsets is refused (``isa-fixed-length``), or with ``Tokenizer(lenient_isa=True)`` read by its
separators and reported in ``Tokenizer.findings``. A UTF-8 byte-order
mark, CR/LF and other whitespace between segments are ignored. Memory is bounded by the
longest segment (:data:`MAX_SEGMENT_LENGTH`), not by the stream. A broken rule raises
:class:`sdohedi.x12.X12SyntaxError`; the segments before it are returned first.

The readers take the same segments as text, a chunk at a time: ``feed_batches(chunk)`` (and
``close_batches()``) return :data:`Batch` tuples ``(start, delimiters, segments)``, one ``str``
per segment, which the reader splits into elements as it reads it (no object per element).
How that text is cut is chosen once: ``join_lines=True`` (the 835 parser, the 837P reader,
reconcile) also removes CR and LF inside segments, unless one is a delimiter, so values never
hold them; ``keep_trailing_blanks=True`` (the validator) keeps blanks before a terminator and
unusual whitespace before an id, which it reports. An error found after segments that a call
returns is raised by the next call; ``check()`` raises it when no call follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from .._core import MAX_SEGMENT_LENGTH, Segment, Tokenizer
from .delimiters import Delimiters

__all__ = ["MAX_SEGMENT_LENGTH", "READ_SIZE", "Batch", "Segment", "Tokenizer", "iter_segments", "read_chunks"]

Batch = tuple[int, Delimiters, list[str]]  # consecutive segments of one interchange; the first has ordinal start + 1

# The chunk size the readers use for files: 64 KiB read 5-15% faster than 1 MiB (a chunk's
# list of segment strings stays in the CPU caches; measured alternating 1 MiB to 8 KiB chunks
# on bench_parse_835.py's 10 MB file) and keeps claim-by-claim reading to one small chunk.
READ_SIZE = 1 << 16


def iter_segments(chunks: Iterable[bytes], *, strict: bool = True) -> Iterator[Segment]:
    """Tokenize an iterable of byte chunks (e.g. ``read_chunks(f)``)."""
    tok = Tokenizer(strict=strict)
    for chunk in chunks:
        yield from tok.feed(chunk)
    yield from tok.close()


def read_chunks(fileobj: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """Chunks of an open binary file, for :func:`iter_segments`."""
    return iter(lambda: fileobj.read(size), b"")
