"""sdohedi: bill health plans for social care over X12 5010 (837P out, 835 back)."""

__version__ = "0.1.0"
