"""277CA claim acknowledgments (005010X214): which claims the payer accepted into
adjudication, which it rejected and why, and the payer's claim numbers."""

from .reader import parse_stc, read_277ca

__all__ = ["parse_stc", "read_277ca"]
