"""Every rule id the validator can report, its layer, severity and 999 (005010X231A1) codes.

The 999 says where a transaction failed: IK3 names a segment (IK304 = segment syntax error
code, element 620), IK4 an element within it (IK403 = element syntax error code, element
621), IK5 the transaction (IK502.. = transaction set syntax error codes, element 718), AK9
the group (AK905.. = functional group syntax error codes, element 716). Interchange-level
problems (ISA/IEA) belong in a TA1, not a 999; they are reported as findings only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .findings import Level, Severity

AckScope = Literal["segment", "element", "transaction", "group", "interchange"]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: Level
    severity: Severity
    scope: AckScope
    ik304: str | None = None  # segment syntax error code (IK3)
    ik403: str | None = None  # element syntax error code (IK4)
    code: str | None = None  # IK5 (transaction) or AK9 (group) syntax error code


def _r(id_: str, level: Level, scope: AckScope, ik304=None, ik403=None, code=None, severity: Severity = "error"):
    return Rule(id_, level, severity, scope, ik304, ik403, code)


_ALL = [
    # -- syntax: the stream itself (fatal: nothing after them can be read) -------------------------------------
    _r("isa-missing", "syntax", "interchange"),
    _r("isa-fixed-length", "syntax", "interchange"),
    _r("truncated", "syntax", "interchange"),
    _r("segment-length", "syntax", "interchange"),
    _r("delimiter-length", "syntax", "interchange"),
    _r("delimiter-distinct", "syntax", "interchange"),
    _r("delimiter-class", "syntax", "interchange"),
    _r("isa-element-count", "syntax", "interchange"),
    _r("byte-order-mark", "syntax", "interchange", severity="warning"),
    # -- syntax: segments and elements ---------------------------------------------------------------------------
    _r("segment-id", "syntax", "segment", "1"),
    _r("trailing-separator", "syntax", "segment", "8"),
    _r("too-many-elements", "syntax", "element", "8", "3"),
    _r("too-many-components", "syntax", "element", "8", "13"),
    _r("invalid-composite", "syntax", "element", "8", "6"),
    _r("element-too-short", "syntax", "element", "8", "4"),
    _r("element-too-long", "syntax", "element", "8", "5"),
    _r("control-character", "syntax", "element", "8", "6"),
    _r("invalid-character", "syntax", "element", "8", "6"),
    _r("trailing-spaces", "syntax", "element", "8", "6"),
    _r("invalid-number", "syntax", "element", "8", "6"),
    _r("invalid-decimal", "syntax", "element", "8", "6"),
    _r("invalid-date", "syntax", "element", "8", "8"),
    _r("invalid-time", "syntax", "element", "8", "9"),
    _r("syntax-paired", "syntax", "element", "8", "2"),
    _r("syntax-required", "syntax", "element", "8", "2"),
    _r("syntax-conditional", "syntax", "element", "8", "2"),
    _r("syntax-list-conditional", "syntax", "element", "8", "2"),
    _r("syntax-exclusive", "syntax", "element", "8", "10"),
    # -- syntax: envelopes ---------------------------------------------------------------------------------------
    _r("iea01-count", "syntax", "interchange"),
    _r("iea02-mismatch", "syntax", "interchange"),
    _r("isa13-duplicate", "syntax", "interchange"),
    _r("iea-missing", "syntax", "interchange"),
    _r("segment-outside-envelope", "syntax", "interchange"),
    _r("ge01-count", "syntax", "group", code="5"),
    _r("ge02-mismatch", "syntax", "group", code="4"),
    _r("gs06-duplicate", "syntax", "group", code="19"),
    _r("ge-missing", "syntax", "group", code="3"),
    _r("group-not-supported", "syntax", "group", code="1"),
    _r("group-version-not-supported", "syntax", "group", code="2"),
    _r("se01-count", "syntax", "transaction", code="4"),
    _r("se02-mismatch", "syntax", "transaction", code="3"),
    _r("st02-duplicate", "syntax", "transaction", code="23"),
    _r("se-missing", "syntax", "transaction", code="2"),
    _r("st03-mismatch", "syntax", "transaction", code="19"),
    _r("transaction-not-supported", "syntax", "transaction", code="1"),
    # -- implementation guide --------------------------------------------------------------------------------
    _r("segment-unexpected", "guide", "segment", "2"),
    _r("segment-unknown", "guide", "segment", "6"),
    _r("segment-missing", "guide", "segment", "3"),
    _r("loop-missing", "guide", "segment", "3"),
    _r("loop-max-repeat", "guide", "segment", "4"),
    _r("segment-max-use", "guide", "segment", "5"),
    _r("segment-not-used", "guide", "segment", "I4"),
    _r("loop-not-used", "guide", "segment", "I4"),
    _r("element-missing", "guide", "element", "8", "1"),
    _r("composite-missing", "guide", "element", "8", "1"),
    _r("element-not-used", "guide", "element", "8", "I10"),
    _r("composite-not-used", "guide", "element", "8", "I10"),
    _r("invalid-code", "guide", "element", "8", "7"),
    _r("pattern-mismatch", "guide", "element", "8", "I12"),
    _r("guide-max-length", "guide", "element", "8", "5"),
    _r("hl-sequence", "guide", "element", "8", "I12"),
    _r("hl-parent", "guide", "element", "8", "I12"),
    _r("lx-sequence", "guide", "element", "8", "I12"),
    _r("replacement-needs-f8", "guide", "segment", "I6"),
    # -- balancing -------------------------------------------------------------------------------------------
    _r("clm02-balance", "balancing", "element", "8", "I12"),
    _r("svc-balance", "balancing", "element", "8", "I12"),
    _r("clp-balance", "balancing", "element", "8", "I12"),
    _r("bpr-balance", "balancing", "element", "8", "I12"),
    # -- code sets ---------------------------------------------------------------------------------------
    _r("procedure-code", "code-set", "element", "8", "7", severity="warning"),
    _r("procedure-modifier", "code-set", "element", "8", "7", severity="warning"),
    _r("procedure-date", "code-set", "element", "8", "7", severity="warning"),
    _r("icd10-format", "code-set", "element", "8", "7"),
    _r("icd9-format", "code-set", "element", "8", "7"),
    _r("diagnosis-date", "code-set", "element", "8", "7"),
    _r("npi-check-digit", "code-set", "element", "8", "I12"),
    _r("taxonomy-format", "code-set", "element", "8", "I12"),
]

RULES: dict[str, Rule] = {r.id: r for r in _ALL}
