"""What an 835 (005010X221A1) remittance carries, as pydantic models.

One :class:`Remittance` per ST/SE: the payment (BPR, TRN), who paid whom (N1 loops), the
claims paid (CLP loops with their service lines, SVC) and provider-level adjustments (PLB).
Money is :class:`~decimal.Decimal`, dates are :class:`datetime.date`.

A CAS segment holds up to six reason/amount/quantity triplets and a PLB segment up to six
reason/amount pairs; both are expanded here into one :class:`Adjustment` or
:class:`ProviderAdjustment` per triplet or pair, which is what balancing and posting need.

``position`` fields record where an object was read (1-based segment ordinal in the stream),
so findings can point at it. They are provenance, not value: equality ignores them, so a
remittance read back from what the writer wrote equals the one that was written.

The parser's models are built by the compiled core from the values it read and checked,
without validating them again (see ``sdohedi.models.build``); constructing them yourself
validates as usual. Either way they are the same objects (equality, dumps, copies, pickling).
A value the TR3 requires but the parser could not read (missing, not a number, not a date)
is None, with a finding that names the element: the claim is kept with what could be read.
Sums (``adjustment_total``, ``claims_paid``...) leave unknown amounts out.
Fields that may hold protected health information (names and ids in NM1 segments, REF
values) are left out of ``repr`` so that a model printed into a log does not leak them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..codes import describe
from ..problems import Problem

# Where an object was read, not what it is: ignored by equality and hashing.
PROVENANCE_FIELDS = frozenset({"position", "payment_position", "interchange_position", "trace_position"})
ADJUSTMENT_GROUPS = ("CO", "OA", "PI", "PR")  # CAS01 in 5010; CR was dropped


class RemitModel(BaseModel):
    """Base of the 835 models: frozen, no extra fields, equality without provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = self.__dict__, other.__dict__  # type: ignore[attr-defined]
        for name, value in mine.items():
            if name not in PROVENANCE_FIELDS and value != theirs.get(name):
                return False
        return True

    def __hash__(self) -> int:  # consistent with __eq__; models holding lists are unhashable
        return hash(tuple(v for k, v in self.__dict__.items() if k not in PROVENANCE_FIELDS))


# --------------------------------------------------------------------------------------------
# Small qualified values (REF, DTM, AMT, QTY, LQ, PER communication numbers)
# --------------------------------------------------------------------------------------------

class Reference(RemitModel):
    """REF: a qualifier (REF01, e.g. 1B, G2, EV) and an identifier (REF02).

    Left out of ``repr``: claim-level REFs may carry a member id (1W) or an SSN (SY).
    """

    qualifier: str
    value: str = Field(repr=False)


class QualifiedDate(RemitModel):
    """DTM: a qualifier (232 statement from, 233 to, 050 received, 036 coverage expiration) and a date."""

    qualifier: str
    date: dt.date


class QualifiedAmount(RemitModel):
    """AMT: a qualifier (AU coverage amount, B6 allowed, KH late filing reduction...) and an amount."""

    qualifier: str
    amount: Decimal


class QualifiedQuantity(RemitModel):
    """QTY: a qualifier and a quantity."""

    qualifier: str
    quantity: Decimal


class Remark(RemitModel):
    """LQ: a remark code; qualifier HE is a RARC (e.g. N290), RX an NCPDP reject code."""

    qualifier: str = "HE"
    code: str

    @property
    def description(self) -> str:
        text = describe("rarc", self.code) if self.qualifier == "HE" else ""
        return f"{self.code} {text}".rstrip()


class Communication(RemitModel):
    """One communication number of a PER segment: qualifier (TE, EM, UR, FX, EX) and number."""

    qualifier: str
    number: str


class Contact(RemitModel):
    """PER: contact function (BL technical, CX business, IC web site), name and numbers."""

    function: str
    name: str | None = None
    communications: list[Communication] = Field(default_factory=list)


class Address(RemitModel):
    """N3/N4. Loose on purpose: a remittance is read as sent, foreign addresses included."""

    line1: str
    line2: str | None = None
    city: str | None  # None when N401 is missing
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    country_subdivision: str | None = None


class PartyName(RemitModel):
    """NM1 in a claim loop: patient (QC), insured (IL), corrected insured (74), rendering
    provider (82), crossover carrier (TT), corrected priority payer (PR), other subscriber (GB).

    ``last_name`` holds the organization name when ``entity_type`` is 2.
    """

    entity_code: str  # NM101
    entity_type: str  # NM102: 1 person, 2 organization
    last_name: str | None = Field(default=None, repr=False)
    first_name: str | None = Field(default=None, repr=False)
    middle_name: str | None = Field(default=None, repr=False)
    suffix: str | None = Field(default=None, repr=False)
    id_qualifier: str | None = None  # NM108: MI member id, XX NPI, HN, 34, ...
    identifier: str | None = Field(default=None, repr=False)  # NM109


class Payer(RemitModel):
    """Loop 1000A: who pays."""

    name: str | None  # None when N102 is missing
    id_qualifier: str | None = None  # N103: XV (CMS plan id) when sent
    id: str | None = None  # N104
    address: Address | None = None
    references: list[Reference] = Field(default_factory=list)  # REF 2U payer id, EO, HI, NF
    contacts: list[Contact] = Field(default_factory=list)

    @property
    def identifier(self) -> str | None:
        """N104, or else the additional payer identification REF*2U."""
        if self.id:
            return self.id
        return next((r.value for r in self.references if r.qualifier == "2U"), None)


class Payee(RemitModel):
    """Loop 1000B: who is paid, with its id (N103 XX = NPI, FI = TIN, XV = plan id)."""

    name: str | None  # N102; these three are None when the element is missing
    id_qualifier: str | None
    id: str | None
    address: Address | None = None
    references: list[Reference] = Field(default_factory=list)  # REF TJ (TIN), PQ, 0B, D3
    delivery_method: str | None = None  # RDM01
    delivery_name: str | None = None  # RDM02
    delivery_communication: str | None = None  # RDM03

    @property
    def npi(self) -> str | None:
        return self.id if self.id_qualifier == "XX" else None

    @property
    def tax_id(self) -> str | None:
        if self.id_qualifier == "FI":
            return self.id
        return next((r.value for r in self.references if r.qualifier == "TJ"), None)


# --------------------------------------------------------------------------------------------
# Adjustments
# --------------------------------------------------------------------------------------------

class Adjustment(RemitModel):
    """One reason/amount(/quantity) triplet of a CAS segment, with the segment's group."""

    group: str | None  # CAS01: CO, OA, PI, PR
    reason: str | None  # CARC
    amount: Decimal | None
    quantity: Decimal | None = None
    position: int | None = None

    @property
    def code(self) -> str:
        return f"{self.group or ''}-{self.reason or ''}"

    @property
    def description(self) -> str:
        """``CO-45 Charge exceeds fee schedule/maximum allowable...``"""
        return f"{self.code} {describe('carc', self.reason)}".rstrip()

    @property
    def group_description(self) -> str:
        return describe("cas_groups", self.group)


class ProviderAdjustment(RemitModel):
    """One reason/amount pair of a PLB segment. A positive amount reduces the payment."""

    provider_id: str | None  # PLB01
    fiscal_period_date: dt.date | None  # PLB02
    reason: str | None  # PLB03-1 (WO, FB, L6, 72, CS, ...)
    reference_id: str | None = None  # PLB03-2, e.g. the ICN of the claim recovered
    amount: Decimal | None
    position: int | None = None

    @property
    def description(self) -> str:
        return f"{self.reason} {describe('plb_reasons', self.reason)}".rstrip()


# --------------------------------------------------------------------------------------------
# Service line, claim, remittance
# --------------------------------------------------------------------------------------------

class ProcedureId(RemitModel):
    """A composite medical procedure identifier (SVC01 or SVC06)."""

    qualifier: str  # HC (HCPCS/CPT), AD (dental), ER, IV, N4, NU, WK, ...
    code: str
    modifiers: list[str] = Field(default_factory=list)


class ServicePayment(RemitModel):
    """Loop 2110: one service line as paid."""

    qualifier: str | None  # SVC01-1
    procedure_code: str | None  # SVC01-2
    modifiers: list[str] = Field(default_factory=list)  # SVC01-3..6
    charge: Decimal | None  # SVC02
    paid: Decimal | None  # SVC03
    revenue_code: str | None = None  # SVC04
    units: Decimal | None = Decimal(1)  # SVC05; 1 when absent, as the TR3 says; None when unreadable
    original_procedure: ProcedureId | None = None  # SVC06, when the payer paid another code
    original_units: Decimal | None = None  # SVC07
    service_date: dt.date | None = None  # DTM*472
    service_start: dt.date | None = None  # DTM*150
    service_end: dt.date | None = None  # DTM*151
    adjustments: list[Adjustment] = Field(default_factory=list)
    line_control_number: str | None = None  # REF*6R, echoes the 837's line control number
    references: list[Reference] = Field(default_factory=list)  # other REFs
    allowed_amount: Decimal | None = None  # AMT*B6
    amounts: list[QualifiedAmount] = Field(default_factory=list)  # other AMTs
    quantities: list[QualifiedQuantity] = Field(default_factory=list)
    remarks: list[Remark] = Field(default_factory=list)  # LQ
    position: int | None = None

    @property
    def date(self) -> dt.date | None:
        """Date of service: DTM*472, or else the start of the 150/151 period."""
        return self.service_date or self.service_start

    @property
    def remark_codes(self) -> list[str]:
        return [r.code for r in self.remarks]

    @property
    def adjustment_total(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.amount is not None), Decimal(0))


class OutpatientAdjudication(RemitModel):
    """MOA: claim-level remark codes (e.g. MA130) and outpatient amounts."""

    reimbursement_rate: Decimal | None = None
    hcpcs_payable_amount: Decimal | None = None
    remark_codes: list[str] = Field(default_factory=list)  # MOA03..07
    esrd_payment_amount: Decimal | None = None
    nonpayable_professional_amount: Decimal | None = None


class ClaimPayment(RemitModel):
    """Loop 2100: one claim as adjudicated. ``claim_id`` (CLP01) echoes the 837's CLM01."""

    claim_id: str | None  # CLP01
    status_code: str | None  # CLP02
    charge: Decimal | None  # CLP03
    paid: Decimal | None  # CLP04
    patient_responsibility: Decimal | None = None  # CLP05
    filing_indicator: str | None = None  # CLP06
    payer_claim_number: str | None = None  # CLP07, the payer's ICN
    facility_code: str | None = None  # CLP08
    frequency: str | None = None  # CLP09
    header_number: str | None = None  # LX01 of the enclosing 2000 loop
    adjustments: list[Adjustment] = Field(default_factory=list)  # claim-level CAS
    patient: PartyName | None = None  # NM1*QC (required by the TR3)
    insured: PartyName | None = None  # NM1*IL
    corrected_insured: PartyName | None = None  # NM1*74
    rendering_provider: PartyName | None = None  # NM1*82
    crossover_carrier: PartyName | None = None  # NM1*TT
    corrected_priority_payer: PartyName | None = None  # NM1*PR
    other_subscriber: PartyName | None = None  # NM1*GB
    outpatient: OutpatientAdjudication | None = None  # MOA
    references: list[Reference] = Field(default_factory=list)
    dates: list[QualifiedDate] = Field(default_factory=list)
    amounts: list[QualifiedAmount] = Field(default_factory=list)
    quantities: list[QualifiedQuantity] = Field(default_factory=list)
    services: list[ServicePayment] = Field(default_factory=list)
    position: int | None = None

    @property
    def status_description(self) -> str:
        return describe("claim_status", self.status_code)

    def _date(self, qualifier: str) -> dt.date | None:
        return next((d.date for d in self.dates if d.qualifier == qualifier), None)

    @property
    def statement_start(self) -> dt.date | None:
        return self._date("232")

    @property
    def statement_end(self) -> dt.date | None:
        return self._date("233")

    @property
    def received_date(self) -> dt.date | None:
        return self._date("050")

    @property
    def all_adjustments(self) -> list[Adjustment]:
        """Claim-level adjustments, then every line's, in file order."""
        out = list(self.adjustments)
        for svc in self.services:
            out.extend(svc.adjustments)
        return out


Finding = Problem
"""Deprecated name of :class:`~sdohedi.problems.Problem`, which 835 findings are (kept for imports)."""


def finding_text(p: Problem) -> str:
    """A finding as ``remit`` and ``reconcile`` print it: the envelope ids first (ISA13, GS06,
    ST02), so the transaction set can be found, then the segment and element."""
    loc = p.location
    parts = [f"{name}={value}" for name, value in (("ISA13", loc.interchange), ("GS06", loc.group),
                                                    ("ST02", loc.transaction)) if value is not None]
    if loc.position is not None:
        parts.append(f"segment #{loc.position}")
    if loc.segment is not None:
        parts.append(loc.reference())
    where = " ".join(parts)
    return f"{p.severity} [{p.rule}] {where + ': ' if where else ''}{p.message}"


class Remittance(RemitModel):
    """One 835 transaction set (ST/SE): one payment (or notice of no payment) to one payee."""

    # Envelope
    interchange_control_number: str  # ISA13
    interchange_sender_id: str  # ISA06, trailing blanks removed
    interchange_receiver_id: str  # ISA08
    group_control_number: str  # GS06
    application_sender: str  # GS02
    application_receiver: str  # GS03
    version: str  # GS08, 005010X221A1
    transaction_control_number: str  # ST02
    # BPR: the money
    handling_code: str | None  # BPR01: I remittance+payment, H notification only, C payment only...
    total_payment: Decimal | None  # BPR02
    credit_debit: str | None  # BPR03: C credit, D debit
    payment_method: str | None  # BPR04: ACH, CHK, BOP, FWT, NON
    payment_format: str | None = None  # BPR05: CCP, CTX
    sender_dfi_qualifier: str | None = None  # BPR06
    sender_dfi_id: str | None = None  # BPR07
    sender_account_qualifier: str | None = None  # BPR08
    sender_account_number: str | None = None  # BPR09
    originator_id: str | None = None  # BPR10, payer identifier
    originator_supplemental_code: str | None = None  # BPR11
    receiver_dfi_qualifier: str | None = None  # BPR12
    receiver_dfi_id: str | None = None  # BPR13
    receiver_account_qualifier: str | None = None  # BPR14
    receiver_account_number: str | None = None  # BPR15
    payment_date: dt.date | None  # BPR16: check issue or EFT effective date
    # TRN: ties the remittance to the money (check or EFT trace number)
    trace_type: str | None = "1"  # TRN01
    trace_number: str | None  # TRN02
    trace_payer_id: str | None  # TRN03: "1" + payer TIN, or the payer's id
    trace_supplemental_id: str | None = None  # TRN04
    currency: str | None = None  # CUR02
    references: list[Reference] = Field(default_factory=list)  # REF*EV receiver id, REF*F2 version
    production_date: dt.date | None = None  # DTM*405
    payer: Payer
    payee: Payee
    claims: list[ClaimPayment] = Field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = Field(default_factory=list)  # PLB, expanded
    findings: list[Problem] = Field(default_factory=list)  # what the parser noticed in this ST/SE
    position: int | None = None  # of the ST
    payment_position: int | None = None  # of the BPR
    interchange_position: int | None = None  # of the ISA
    trace_position: int | None = None  # of the TRN

    @property
    def payer_id(self) -> str | None:
        """The payer's id: N104, else REF*2U, else TRN03."""
        return self.payer.identifier or self.trace_payer_id

    @property
    def claims_paid(self) -> Decimal:
        return sum((c.paid for c in self.claims if c.paid is not None), Decimal(0))

    @property
    def provider_adjustment_total(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments if p.amount is not None), Decimal(0))


class RemittanceClaim(RemitModel):
    """One claim of a transaction set read claim by claim (``Parser835.feed_claims``), as its
    CLP loop completes, with the payment it belongs to.

    ``payment`` is the transaction's header as read before its first claim (envelope, BPR,
    TRN, CUR, REF, DTM, payer and payee); it is the same object for every claim of the
    transaction, and its ``claims``, ``provider_adjustments`` and ``findings`` are empty: PLB
    and the trailer come with the :class:`RemittanceEnd`. A claim is final when yielded, but
    the transaction is not: a posting job should commit its claims at the ``RemittanceEnd``.
    """

    payment: Remittance
    claim: ClaimPayment


class RemittanceEnd(RemitModel):
    """The end (SE) of a transaction set read claim by claim.

    ``remittance`` is the whole transaction except its claims (``claims`` is empty): header,
    provider adjustments (PLB) and the parser's findings for this ST/SE. ``claim_count`` and
    ``claims_paid`` (sum of CLP04) are what the claims yielded before it add up to, for the
    transaction balance (see ``sdohedi.remit835.balance.transaction_balance_findings``).
    """

    remittance: Remittance
    claim_count: int
    claims_paid: Decimal
    claims_paid_unknown: int = 0  # claims whose CLP04 could not be read (not in claims_paid)


__all__ = [
    "ADJUSTMENT_GROUPS", "Address", "Adjustment", "ClaimPayment", "Communication", "Contact", "Finding", "finding_text",
    "OutpatientAdjudication", "PartyName", "Payee", "Payer", "ProcedureId", "ProviderAdjustment",
    "QualifiedAmount", "QualifiedDate", "QualifiedQuantity", "Reference", "Remark", "Remittance", "RemittanceClaim",
    "RemittanceEnd", "RemitModel", "ServicePayment",
]
