"""The X12 format, knowing nothing of health care: delimiters, tokenizer (sdohedi._core), lossless documents,
writer, envelopes."""

from .delimiters import DEFAULT_DELIMITERS, Delimiters
from .document import Document, iter_documents, iter_transactions, read_document
from .errors import X12EnvelopeError, X12Error, X12SyntaxError, X12ValueError
from .text import TextPolicy, UnrepresentableText, to_x12_text
from .tokenizer import READ_SIZE, Batch, Segment, Tokenizer, iter_segments, read_chunks
from .writer import FunctionalGroup, Interchange, SegmentWriter, Transaction

__all__ = [
    "DEFAULT_DELIMITERS", "READ_SIZE", "Batch", "Delimiters", "Document", "FunctionalGroup", "Interchange", "Segment",
    "SegmentWriter", "TextPolicy", "Tokenizer", "Transaction", "UnrepresentableText", "X12EnvelopeError", "X12Error",
    "X12SyntaxError", "X12ValueError", "iter_documents", "iter_segments", "iter_transactions", "read_chunks",
    "read_document", "to_x12_text",
]
