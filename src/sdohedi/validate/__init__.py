"""Validate X12 5010 interchanges: syntax and envelopes, the implementation guide
(005010X222A1 837P and 005010X221A1 835, rules compiled from pyx12's maps), balancing and
code sets. Streaming, constant memory.

>>> for finding in validate_file("claims.x12"):  # doctest: +SKIP
...     print(finding)
"""

from .engine import Validator, validate_file, validate_stream
from .findings import Finding, Level, Location, Severity
from .guide import GuideUnavailable
from .results import GroupResult, InterchangeResult, TransactionResult
from .rules import RULES, Rule

__all__ = [
    "Finding", "GroupResult", "GuideUnavailable", "InterchangeResult", "Level", "Location", "RULES", "Rule",
    "Severity", "TransactionResult", "Validator", "validate_file", "validate_stream",
]
