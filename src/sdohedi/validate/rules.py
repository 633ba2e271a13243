"""The rule registry, as the validator and the 999 writer know it: see :mod:`sdohedi.problems`."""

from __future__ import annotations

from ..problems import RULES, AckScope, Rule

__all__ = ["RULES", "AckScope", "Rule"]
