"""What the validator reports: a :class:`Finding` with a precise :class:`Location`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]
Level = Literal["syntax", "guide", "balancing", "code-set"]
"""Which layer found it: X12 syntax and envelopes; the implementation guide (loops, order,
usage, repeats, code lists); balancing of amounts; external code sets (procedure, ICD-10-CM,
NPI, taxonomy). pyx12 checks the first two only."""


class Location(BaseModel):
    """Where a finding is. Every part is optional: a truncated file has no ST02, a missing
    trailer has no element.

    For a required segment or loop that is missing, ``segment`` and ``loop`` name what is
    missing and ``position`` the segment at which its absence became certain (as the 999's
    IK3 reports it).
    """

    model_config = ConfigDict(frozen=True)

    interchange: str | None = None  # ISA13
    group: str | None = None  # GS06
    transaction: str | None = None  # ST02
    position: int | None = None  # ordinal of the segment in the file (first segment = 1)
    transaction_position: int | None = None  # ordinal within its transaction set (ST = 1), as 999 IK302 wants
    loop: str | None = None  # TR3 loop id, e.g. "2400"; None in headers and envelopes
    segment: str | None = None  # segment id
    element: int | None = None  # 1-based element position
    component: int | None = None  # 1-based component position within a composite
    data_element: str | None = None  # X12 data element reference number (999 IK402)

    def reference(self) -> str:
        """'CLM02', 'SV101-2', 'HL' ..."""
        ref = self.segment or ""
        if self.element is not None:
            ref += f"{self.element:02d}"
            if self.component is not None:
                ref += f"-{self.component}"
        return ref


class Finding(BaseModel):
    """One problem in an interchange.

    ``message`` says what to fix without quoting free-text values (names, ids and dates
    may be protected health information); ``value`` is set only for code values (a
    qualifier, a procedure or diagnosis code), which the 999 may echo back.
    """

    model_config = ConfigDict(frozen=True)

    severity: Severity
    level: Level
    rule: str
    message: str
    location: Location
    value: str | None = None

    def __str__(self) -> str:
        loc = self.location
        where = []
        if loc.position is not None:
            where.append(f"segment {loc.position}")
        if loc.loop:
            where.append(f"loop {loc.loop}")
        ref = loc.reference()
        if ref:
            where.append(ref)
        prefix = f"{self.severity.upper()} [{self.rule}]"
        return f"{prefix} {', '.join(where)}: {self.message}" if where else f"{prefix} {self.message}"
