"""What an 837P (005010X222A1) carries, as pydantic models.

The models enforce the implementation guide's rules that can be checked on one claim:
lengths, code lists, identifiers, CLM02 = sum of SV102, at most 50 lines, unique line
control numbers, diagnosis pointers that point at a diagnosis. An invalid claim cannot be
constructed, so it cannot be written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .fields import (
    NPI, DiagnosisCode, Identifier, Modifier, Money, Phone, PlaceOfService, ProcedureCode, Quantity,
    StateCode, Taxonomy, TaxId, Text, ZipCode,
)

MAX_LINES_PER_CLAIM = 50
MAX_DIAGNOSES = 12


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(_Model):
    line1: Text(55)
    line2: Text(55) | None = None
    city: Text(30, 2)
    state: StateCode
    zip: ZipCode


class Submitter(_Model):
    """1000A: who sends the file (the NLE or its clearinghouse)."""

    name: Text(60)
    id: Identifier
    contact_name: Text(60) | None = None
    phone: Phone | None = None
    email: Text(80) | None = None

    @model_validator(mode="after")
    def _contact(self) -> "Submitter":
        if not (self.phone or self.email):
            raise ValueError("1000A PER needs a phone or an email")
        return self


class Receiver(_Model):
    """1000B: who receives the file (the payer or its clearinghouse)."""

    name: Text(60)
    id: Identifier


class BillingProvider(_Model):
    """2010AA: the Network Lead Entity that holds the plan contract.

    ``npi`` is situational: an atypical provider without NPI omits NM108/NM109 and gives the
    payer-assigned id, sent in 2010BB REF*G2 (``payer_assigned_id``).
    """

    name: Text(60)
    npi: NPI | None = None
    tax_id: TaxId
    taxonomy: Taxonomy | None = None
    address: Address
    payer_assigned_id: Text(50) | None = None

    @model_validator(mode="after")
    def _atypical(self) -> "BillingProvider":
        if self.npi is None and self.payer_assigned_id is None:
            raise ValueError("an atypical billing provider (no NPI) needs payer_assigned_id for 2010BB REF*G2")
        if self.address.line1.upper().replace(".", "").replace(" ", "").startswith(("POBOX", "LOCKBOX")):
            raise ValueError("2010AA needs a street address, not a PO box or lockbox")
        return self


class RenderingProvider(_Model):
    """2310B: the CBO that delivered the service, with its taxonomy (PRV*PE)."""

    entity_type: Literal["1", "2"] = "2"
    name: Text(60)
    first_name: Text(35) | None = None
    npi: NPI | None = None
    taxonomy: Taxonomy
    secondary_id: Text(50) | None = None  # REF*G2, payer-assigned id for atypical CBOs

    @model_validator(mode="after")
    def _ids(self) -> "RenderingProvider":
        if self.npi is None and self.secondary_id is None:
            raise ValueError("a rendering provider needs an NPI or a payer-assigned secondary_id")
        if self.entity_type == "2" and self.first_name:
            raise ValueError("an organization (entity_type 2) has no first name")
        return self


class Person(_Model):
    last_name: Text(60)
    first_name: Text(35) | None = None
    birth_date: dt.date
    sex: Literal["M", "F", "U"]
    address: Address | None = None


class Subscriber(Person):
    """2010BA: the member. ``claim_filing_indicator`` is SBR09 (MC Medicaid, HM HMO, CI commercial...)."""

    member_id: Text(80, 2)
    payer_responsibility: Literal["P", "S", "T"] = "P"


class Patient(Person):
    """2010CA: only when the patient is not the subscriber. ``relationship`` is PAT01."""

    relationship: Literal["01", "19", "20", "21", "39", "40", "53", "G8"]
    address: Address  # 2010CA N3/N4 are required


class Payer(_Model):
    """2010BB."""

    name: Text(60)
    payer_id: Text(80, 2)
    claim_filing_indicator: Literal[
        "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM", "LM", "MA", "MB",
        "MC", "OF", "TV", "VA", "WC", "ZZ",
    ] = "MC"


class ServiceLine(_Model):
    """2400: one service. SV103 is always UN (units per the code's definition)."""

    procedure_code: ProcedureCode
    modifiers: tuple[Modifier, ...] = Field(default=(), max_length=4)
    charge: Money
    units: Quantity
    service_date: dt.date
    service_date_end: dt.date | None = None
    diagnosis_pointers: tuple[int, ...] = Field(default=(1,), min_length=1, max_length=4)
    line_control_number: Text(30)
    place_of_service: PlaceOfService | None = None  # SV105, only when it differs from CLM05-1

    @model_validator(mode="after")
    def _check(self) -> "ServiceLine":
        if any(not 1 <= p <= MAX_DIAGNOSES for p in self.diagnosis_pointers):
            raise ValueError("diagnosis pointers must be 1..12")
        if len(set(self.diagnosis_pointers)) != len(self.diagnosis_pointers):
            raise ValueError("diagnosis pointers must not repeat")
        if self.service_date_end is not None and self.service_date_end < self.service_date:
            raise ValueError("service_date_end is before service_date")
        return self


class Claim(_Model):
    """2300 with its 2400 lines, and the parties it is billed by, for and to."""

    claim_id: Text(20)
    frequency: Literal["1", "7", "8"] = "1"
    payer_claim_number: Text(50) | None = None  # REF*F8, required for 7 and 8
    place_of_service: PlaceOfService
    diagnoses: tuple[DiagnosisCode, ...] = Field(min_length=1, max_length=MAX_DIAGNOSES)
    prior_authorization: Text(50) | None = None  # REF*G1
    total_charge: Money | None = None  # CLM02; computed from the lines when omitted
    lines: tuple[ServiceLine, ...] = Field(min_length=1, max_length=MAX_LINES_PER_CLAIM)
    billing_provider: BillingProvider
    subscriber: Subscriber
    patient: Patient | None = None
    payer: Payer
    rendering_provider: RenderingProvider | None = None

    @model_validator(mode="after")
    def _check(self) -> "Claim":
        total = sum((ln.charge for ln in self.lines), Decimal(0))
        if self.total_charge is None:
            object.__setattr__(self, "total_charge", total)
        elif self.total_charge != total:
            raise ValueError(f"CLM02 total_charge {self.total_charge} must equal the sum of line charges {total}")
        if self.patient is None and self.subscriber.address is None:
            raise ValueError("the subscriber is the patient, so 2010BA needs the subscriber's address (N3/N4)")
        if self.frequency in ("7", "8") and not self.payer_claim_number:
            raise ValueError("a replacement (7) or void (8) claim needs payer_claim_number (REF*F8)")
        if self.frequency == "1" and self.payer_claim_number:
            raise ValueError("payer_claim_number (REF*F8) is only sent with frequency 7 or 8")
        seen: set[str] = set()
        for ln in self.lines:
            if ln.line_control_number in seen:
                raise ValueError("line control numbers (REF*6R) must be unique within the claim")
            seen.add(ln.line_control_number)
            if max(ln.diagnosis_pointers) > len(self.diagnoses):
                raise ValueError("a diagnosis pointer points past the claim's diagnoses")
        if len(set(self.diagnoses)) != len(self.diagnoses):
            raise ValueError("diagnosis codes must not repeat within the claim")
        return self
