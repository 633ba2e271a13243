"""Acknowledgments as typed results: the 999 (005010X231A1) and the 277CA (005010X214).

A 999 answers "was each transaction set syntactically and TR3-compliant?" per functional
group; a 277CA answers "was each claim accepted into adjudication?" per claim. Readers are
tolerant (a byte-order mark, a 6-digit GS05, an IEA02 that does not repeat ISA13 are read
anyway) and report what they noticed in ``findings`` instead of failing.

No patient names or member ids are carried: a claim is identified by its patient control
number (CLM01, echoed in the 277CA's patient-level TRN02) and the payer's claim number.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..problems import Problem as Finding

TransactionStatus = Literal["A", "E", "M", "R", "W", "X"]
GroupStatus = Literal["A", "E", "M", "P", "R", "W", "X"]

TRANSACTION_STATUS = {
    "A": "accepted", "E": "accepted, but errors were noted", "M": "rejected, message authentication code failed",
    "R": "rejected", "W": "rejected, assurance failed validity tests", "X": "rejected, content could not be analyzed",
}
GROUP_STATUS = dict(TRANSACTION_STATUS, P="partially accepted, at least one transaction set was rejected")
SEGMENT_ERRORS = {  # IK304, data element 620
    "1": "unrecognized segment ID", "2": "unexpected segment", "3": "required segment missing",
    "4": "loop occurs over maximum times", "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set", "7": "segment not in proper sequence",
    "8": "segment has data element errors", "I4": "implementation 'not used' segment present",
    "I6": "implementation dependent segment missing", "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use", "I9": "implementation dependent 'not used' segment present",
}
ELEMENT_ERRORS = {  # IK403, data element 621
    "1": "required data element missing", "2": "conditional required data element missing",
    "3": "too many data elements", "4": "data element too short", "5": "data element too long",
    "6": "invalid character in data element", "7": "invalid code value", "8": "invalid date", "9": "invalid time",
    "10": "exclusion condition violated", "12": "too many repetitions", "13": "too many components",
    "I6": "code value not used in implementation", "I9": "implementation dependent data element missing",
    "I10": "implementation 'not used' data element present", "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure", "I13": "implementation dependent 'not used' data element present",
}
TRANSACTION_ERRORS = {  # IK502-IK506, data element 718
    "1": "transaction set not supported", "2": "transaction set trailer missing",
    "3": "transaction set control number in header and trailer do not match",
    "4": "number of included segments does not match actual count", "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier", "7": "missing or invalid transaction set control number",
    "18": "transaction set not in functional group", "19": "invalid transaction set implementation convention "
    "reference", "23": "transaction set control number not unique within the functional group",
    "I5": "implementation one or more segments in error", "I6": "implementation convention not supported",
}
GROUP_ERRORS = {  # AK905-AK909, data element 716
    "1": "functional group not supported", "2": "functional group version not supported",
    "3": "functional group trailer missing", "4": "group control number in the header and trailer do not agree",
    "5": "number of included transaction sets does not match actual count",
    "6": "group control number violates syntax", "19": "functional group control number not unique within "
    "interchange",
}

ACCEPTED_CATEGORIES = frozenset({"A1", "A2"})
REJECTED_CATEGORIES = frozenset({"A3", "A6", "A7", "A8"})
CATEGORY_MEANINGS = {
    "A0": "forwarded to another entity", "A1": "received", "A2": "accepted into adjudication",
    "A3": "returned as unprocessable", "A4": "not found", "A5": "split claim", "A6": "rejected, missing information",
    "A7": "rejected, invalid information", "A8": "rejected, relational field in error",
}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# -- 999 ----------------------------------------------------------------------------------------------------------


class ElementError(_Model):
    """IK4: an element in error within the segment of its IK3."""

    position: int  # IK401-1
    component: int | None = None  # IK401-2
    repetition: int | None = None  # IK401-3
    data_element: str | None = None  # IK402
    code: str  # IK403
    bad_value: str | None = None  # IK404

    @property
    def description(self) -> str:
        return ELEMENT_ERRORS.get(self.code, "")


class SegmentError(_Model):
    """IK3 (with its CTX and IK4): a segment in error."""

    segment_id: str  # IK301
    position: int | None = None  # IK302, ordinal within the transaction set (ST = 1)
    loop: str | None = None  # IK303
    code: str | None = None  # IK304
    contexts: tuple[str, ...] = ()  # CTX segments, as sent
    elements: tuple[ElementError, ...] = ()

    @property
    def description(self) -> str:
        return SEGMENT_ERRORS.get(self.code or "", "")


class TransactionAck(_Model):
    """AK2 ... IK5: the verdict on one transaction set."""

    transaction_set: str  # AK201 (ST01 acknowledged)
    control_number: str  # AK202 (ST02 acknowledged)
    implementation: str | None = None  # AK203 (ST03 acknowledged)
    status: str  # IK501
    syntax_errors: tuple[str, ...] = ()  # IK502-IK506
    segment_errors: tuple[SegmentError, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status in ("A", "E")

    @property
    def status_description(self) -> str:
        return TRANSACTION_STATUS.get(self.status, "")


class GroupAck(_Model):
    """AK1 ... AK9: the verdict on one functional group."""

    functional_id: str  # AK101 (GS01 acknowledged)
    control_number: str  # AK102 (GS06 acknowledged)
    version: str | None = None  # AK103 (GS08 acknowledged)
    status: str | None = None  # AK901; None when the 999 lacks its AK9
    included: int | None = None  # AK902
    received: int | None = None  # AK903
    accepted_count: int | None = None  # AK904
    syntax_errors: tuple[str, ...] = ()  # AK905-AK909
    transactions: tuple[TransactionAck, ...] = ()
    ack_interchange: str | None = None  # ISA13 of the 999 itself
    ack_transaction: str | None = None  # ST02 of the 999 itself
    position: int | None = None  # ordinal of its AK1 segment in the file

    @property
    def status_description(self) -> str:
        return GROUP_STATUS.get(self.status or "", "")


class Ack999(_Model):
    """Everything a stream of 999s says, group by group."""

    groups: tuple[GroupAck, ...] = ()
    findings: tuple[Finding, ...] = ()  # what the reader noticed about the 999 itself
    segments: int = 0  # segments read (a truncated 999 ends after the last of them)

    def transaction(self, group_control_number: str, st02: str) -> TransactionAck | None:
        """The verdict on one of our transaction sets (by the GS06 and ST02 we sent)."""
        for g in self.groups:
            if g.control_number.lstrip("0") == group_control_number.lstrip("0"):
                for t in g.transactions:
                    if t.control_number == st02:
                        return t
        return None


# -- 277CA --------------------------------------------------------------------------------------------------------


class StatusCode(_Model):
    """One C043 composite of an STC (STC01, STC10 or STC11)."""

    category: str  # health care claim status category code (A1, A2, A7...)
    code: str | None = None  # health care claim status code (e.g. 20, 562)
    entity: str | None = None  # entity identifier code (e.g. 85 billing provider)

    @property
    def category_meaning(self) -> str:
        return CATEGORY_MEANINGS.get(self.category, "")


class StatusReport(_Model):
    """One STC segment."""

    codes: tuple[StatusCode, ...]
    date: dt.date | None = None  # STC02
    action: str | None = None  # STC03 (WQ accepted, U rejected, ...)
    charge: Decimal | None = None  # STC04 total claim (or line) charge
    payment: Decimal | None = None  # STC05
    free_text: str | None = None  # STC12


def _classify(reports: tuple[StatusReport, ...]) -> Literal["accepted", "rejected", "other"]:
    categories = {c.category for r in reports for c in r.codes}
    if categories & REJECTED_CATEGORIES:
        return "rejected"
    if categories & ACCEPTED_CATEGORIES:
        return "accepted"
    return "other"


class LineStatus(_Model):
    """2220D: a service line's status (SVC, STC, REF*FJ, DTP*472)."""

    procedure: str | None = None  # SVC01 as sent, e.g. "HC:S5170:U6"
    charge: Decimal | None = None  # SVC02
    line_item_control_number: str | None = None  # REF*FJ (echo of the 837's REF*6R)
    service_date: dt.date | None = None
    reports: tuple[StatusReport, ...] = ()

    @property
    def status(self) -> Literal["accepted", "rejected", "other"]:
        return _classify(self.reports)


class ClaimStatus277(_Model):
    """2200D: one claim's pre-adjudication status."""

    patient_control_number: str  # TRN02 at the patient level: the CLM01 we sent
    reports: tuple[StatusReport, ...] = ()
    payer_claim_number: str | None = None  # REF*1K, for replacements and voids (REF*F8)
    clearinghouse_trace: str | None = None  # REF*D9
    billing_provider_id: str | None = None  # 2100C NM109 (the NPI when NM108 = XX)
    service_date_start: dt.date | None = None  # DTP*472
    service_date_end: dt.date | None = None
    lines: tuple[LineStatus, ...] = ()
    position: int | None = None  # ordinal of its TRN segment in the file

    @property
    def status(self) -> Literal["accepted", "rejected", "other"]:
        """accepted (A1/A2), rejected (A3/A6/A7/A8) or other; rejection wins over acceptance."""
        return _classify(self.reports)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(c.category for r in self.reports for c in r.codes)

    @property
    def total_charge(self) -> Decimal | None:
        return next((r.charge for r in self.reports if r.charge is not None), None)


class LevelStatus(_Model):
    """A status above the claims: the information receiver (2200B) or a billing provider (2200C)."""

    level: Literal["receiver", "provider"]
    trace: str | None = None  # TRN02
    identifier: str | None = None  # NM109 of the level
    reports: tuple[StatusReport, ...] = ()
    accepted_quantity: int | None = None  # QTY*90
    rejected_quantity: int | None = None  # QTY*AA
    accepted_amount: Decimal | None = None  # AMT*YU
    rejected_amount: Decimal | None = None  # AMT*YY


class Status277CA(_Model):
    claims: tuple[ClaimStatus277, ...] = ()
    levels: tuple[LevelStatus, ...] = ()
    findings: tuple[Finding, ...] = Field(default=())
    # (ST position, its implementation guide: ST03, else GS08) of each transaction set;
    # 005010X214 for a 277CA
    guides: tuple[tuple[int, str], ...] = ()
    segments: int = 0  # segments read (a truncated 277CA ends after the last of them)

    def claim(self, patient_control_number: str) -> ClaimStatus277 | None:
        return next((c for c in self.claims if c.patient_control_number == patient_control_number), None)
