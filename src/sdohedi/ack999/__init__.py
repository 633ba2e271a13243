"""999 implementation acknowledgments (005010X231A1): write them from a validation run, read
the ones payers send back.

>>> from sdohedi.validate import Validator
>>> v = Validator(keep_results=True)  # doctest: +SKIP
>>> findings = v.feed(data) + v.close()  # doctest: +SKIP
>>> text = build_999(v.results)  # doctest: +SKIP
"""

from .reader import read_999
from .writer import build_999, write_999

__all__ = ["build_999", "read_999", "write_999"]
