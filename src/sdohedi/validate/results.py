"""Per-envelope outcome of a validation run: what a 999 acknowledges.

Kept only when asked for (``Validator(keep_results=True)``): one small record per
interchange, group and transaction set, plus the error findings of each transaction set
(capped at :data:`MAX_ERRORS_PER_TRANSACTION`, so a hopeless file cannot exhaust memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .findings import Finding

MAX_ERRORS_PER_TRANSACTION = 10_000


@dataclass
class TransactionResult:
    st01: str
    st02: str
    st03: str | None
    errors: list[Finding] = field(default_factory=list)  # severity "error" only
    error_count: int = 0
    syntax_codes: set[str] = field(default_factory=set)  # IK5 transaction set syntax error codes
    closed: bool = False

    def add(self, finding: Finding) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_PER_TRANSACTION:
            self.errors.append(finding)

    @property
    def accepted(self) -> bool:
        return self.error_count == 0 and not self.syntax_codes


@dataclass
class GroupResult:
    gs01: str
    gs02: str
    gs03: str
    gs06: str
    gs08: str
    transactions: list[TransactionResult] = field(default_factory=list)
    declared_count: int | None = None  # GE01
    syntax_codes: set[str] = field(default_factory=set)  # AK9 functional group syntax error codes
    envelope_errors: int = 0  # element problems in GS/GE themselves
    supported: bool = True


@dataclass
class InterchangeResult:
    isa05: str
    isa06: str
    isa07: str
    isa08: str
    isa13: str
    isa15: str
    groups: list[GroupResult] = field(default_factory=list)
