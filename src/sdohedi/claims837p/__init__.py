"""005010X222A1 professional claims: writer and reader, its mirror image."""

from .reader import (
    ClaimNotRead, InterchangeHeader, Reader837P, read_837p, read_837p_file,
)
from .writer import MAX_CLAIMS_PER_TRANSACTION, VERSION, EnvelopeInfo, WriteResult, write_837p, write_837p_lines

__all__ = [
    "MAX_CLAIMS_PER_TRANSACTION", "VERSION", "ClaimNotRead", "EnvelopeInfo", "InterchangeHeader", "Reader837P",
    "WriteResult", "read_837p", "read_837p_file", "write_837p", "write_837p_lines",
]
