"""005010X222A1 professional claims: writer and reader, its mirror image."""

from .reader import (
    ClaimNotRead, InterchangeHeader, Reader837P, read_837p, read_837p_file,
)
from .tables import Tables837P, iter_837p_tables, read_837p_tables
from .writer import MAX_CLAIMS_PER_TRANSACTION, VERSION, EnvelopeInfo, WriteResult, write_837p, write_837p_lines

__all__ = [
    "MAX_CLAIMS_PER_TRANSACTION", "VERSION", "ClaimNotRead", "EnvelopeInfo", "InterchangeHeader", "Reader837P",
    "Tables837P", "WriteResult", "iter_837p_tables", "read_837p", "read_837p_file", "read_837p_tables", "write_837p", "write_837p_lines",
]
