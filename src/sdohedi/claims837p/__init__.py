"""005010X222A1 professional claims: writer (and reader, its mirror image)."""

from .writer import MAX_CLAIMS_PER_TRANSACTION, VERSION, EnvelopeInfo, WriteResult, format_amount, write_837p

__all__ = ["MAX_CLAIMS_PER_TRANSACTION", "VERSION", "EnvelopeInfo", "WriteResult", "format_amount", "write_837p"]
