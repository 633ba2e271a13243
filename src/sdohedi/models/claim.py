"""What an 837P (005010X222A1) carries, as pydantic models.

The models enforce the implementation guide's rules that can be checked on one claim:
lengths, code lists, identifiers, CLM02 = sum of SV102, at most 50 lines, unique line
control numbers, diagnosis pointers that point at a diagnosis. An invalid claim cannot be
constructed, so it cannot be written.

Some rules are ours (CLM01 <= 20 characters, frequency 1/7/8, REF*6R <= 30 characters and
unique) or stated by the TR3 but not checked by its syntax (NPI check digits, NUCC taxonomy
codes, a street address in 2010AA), and files others send break them, the TR3's own examples
among them. Validated with ``context=LENIENT_CONTEXT`` (what ``Reader837P(lenient=True)``
does) a claim may break them within the TR3's own limits (CLM01 <= 38, REF02 <= 50, any
one-character frequency code, a taxonomy of 10 letters or digits); it then names them in
``Claim.deviations`` and ``write_837p`` refuses it.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Literal

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from .fields import (
    ICD9_PATTERN, ICD10_PATTERN, NPI, AnyDiagnosisCode, Identifier, Modifier, Money, Phone, PlaceOfService,
    ProcedureCode, ProviderTaxonomy, Quantity, StateCode, TaxId, Text, ZipCode, is_lenient, npi_check_digit_ok,
)

MAX_LINES_PER_CLAIM = 50
MAX_DIAGNOSES = 12
MAX_CLAIM_ID = 20  # CLM01: the TR3 allows 38, but receivers need keep only 20
MAX_TOTAL_CHARGE = Decimal(10) ** 16  # Money: 18 digits, 2 after the point
MAX_LINE_CONTROL_NUMBER = 30  # REF*6R: the TR3 allows 50 in REF02, but 30 for a line item control number
FREQUENCIES = ("1", "7", "8")  # CLM05-3 we write: original, replacement, void
_ICD10 = re.compile(ICD10_PATTERN)
_ICD9 = re.compile(ICD9_PATTERN)
_NUCC_TAXONOMY = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")


def _claim_id(value: str, info: ValidationInfo) -> str:
    if len(value) > MAX_CLAIM_ID and not is_lenient(info):
        raise ValueError(f"CLM01 must be at most {MAX_CLAIM_ID} characters")
    return value


def _frequency(value: str, info: ValidationInfo) -> str:
    if value not in FREQUENCIES and not is_lenient(info):
        raise ValueError("CLM05-3 frequency must be 1 (original), 7 (replacement) or 8 (void)")
    return value


def _line_control_number(value: str, info: ValidationInfo) -> str:
    if len(value) > MAX_LINE_CONTROL_NUMBER and not is_lenient(info):
        raise ValueError(f"REF*6R line control number must be at most {MAX_LINE_CONTROL_NUMBER} characters")
    return value


ClaimId = Annotated[Text(38), AfterValidator(_claim_id)]
FrequencyCode = Annotated[str, Field(pattern=r"^[0-9A-Z]$"), AfterValidator(_frequency)]
LineControlNumber = Annotated[Text(50), AfterValidator(_line_control_number)]


def is_po_box(address: "Address") -> bool:
    return address.line1.upper().replace(".", "").replace(" ", "").startswith(("POBOX", "LOCKBOX"))


class _Model(BaseModel):  # the 837P reader's fast path builds these with models.build.model_makers
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
    payer-assigned id, sent in 2010BB REF*G2 or REF*LU (``payer_assigned_id``). An individual
    provider (``entity_type`` 1, NM102) may have a first name and bill under an SSN (REF*SY).
    """

    entity_type: Literal["1", "2"] = "2"  # NM102: 1 person, 2 organization
    name: Text(60)  # NM103: organization or last name
    first_name: Text(35) | None = None  # NM104, persons only
    npi: NPI | None = None
    tax_id: TaxId
    tax_id_qualifier: Literal["EI", "SY"] = "EI"  # REF01: EI employer id (EIN), SY social security number
    taxonomy: ProviderTaxonomy | None = None
    address: Address
    payer_assigned_id: Text(50) | None = None
    payer_assigned_id_qualifier: Literal["G2", "LU"] = "G2"  # 2010BB REF01

    @model_validator(mode="after")
    def _atypical(self, info: ValidationInfo) -> "BillingProvider":
        if self.npi is None and self.payer_assigned_id is None:
            raise ValueError("an atypical billing provider (no NPI) needs payer_assigned_id for 2010BB REF*G2")
        if self.entity_type == "2" and self.first_name:
            raise ValueError("an organization (entity_type 2) has no first name")
        if self.payer_assigned_id is None:  # a qualifier with nothing to qualify is not sent
            object.__setattr__(self, "payer_assigned_id_qualifier", "G2")
        if is_po_box(self.address) and not is_lenient(info):
            raise ValueError("2010AA needs a street address, not a PO box or lockbox")
        return self


class RenderingProvider(_Model):
    """2310B (or 2420A on a line): the CBO that delivered the service, with its taxonomy (PRV*PE).

    The TR3 makes PRV situational, so ``taxonomy`` may be absent on claims we read; the
    encode pipeline always gives it.
    """

    entity_type: Literal["1", "2"] = "2"
    name: Text(60)
    first_name: Text(35) | None = None
    npi: NPI | None = None
    taxonomy: ProviderTaxonomy | None = None
    secondary_id: Text(50) | None = None  # REF02, payer-assigned id for atypical CBOs
    secondary_id_qualifier: Literal["0B", "1G", "G2", "LU"] = "G2"  # REF01

    @model_validator(mode="after")
    def _ids(self) -> "RenderingProvider":
        if self.npi is None and self.secondary_id is None:
            raise ValueError("a rendering provider needs an NPI or a payer-assigned secondary_id")
        if self.entity_type == "2" and self.first_name:
            raise ValueError("an organization (entity_type 2) has no first name")
        if self.secondary_id is None:  # a qualifier with nothing to qualify is not sent
            object.__setattr__(self, "secondary_id_qualifier", "G2")
        return self


class Person(_Model):
    """A person's name, DMG (birth date and sex, sent together or not at all) and address."""

    last_name: Text(60)
    first_name: Text(35) | None = None
    birth_date: dt.date | None = None
    sex: Literal["M", "F", "U"] | None = None
    address: Address | None = None

    @model_validator(mode="after")
    def _demographics(self) -> "Person":
        if (self.birth_date is None) != (self.sex is None):
            raise ValueError("DMG carries birth date and sex together: give both or neither")
        return self


class Subscriber(Person):
    """2010BA: the member. Its DMG (birth date, sex) and N3/N4 are required only when the
    subscriber is the patient (``Claim`` checks that); the claim filing indicator SBR09 is on
    ``Payer``. ``payer_responsibility`` is SBR01 (P primary, S secondary, T tertiary, A-H and U
    for payers 4 to 11 and unknown)."""

    member_id: Text(80, 2)
    payer_responsibility: Literal["A", "B", "C", "D", "E", "F", "G", "H", "P", "S", "T", "U"] = "P"


class Patient(Person):
    """2010CA: only when the patient is not the subscriber. ``relationship`` is PAT01."""

    relationship: Literal["01", "19", "20", "21", "39", "40", "53", "G8"]
    birth_date: dt.date  # 2010CA DMG is required
    sex: Literal["M", "F", "U"]
    address: Address  # 2010CA N3/N4 are required


class Payer(_Model):
    """2010BB."""

    name: Text(60)
    payer_id: Text(80, 2)
    payer_id_qualifier: Literal["PI", "XV"] = "PI"  # NM108: PI payer id, XV CMS plan id
    claim_filing_indicator: Literal[
        "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM", "LM", "MA", "MB",
        "MC", "OF", "TV", "VA", "WC", "ZZ",
    ] = "MC"


class ServiceLine(_Model):
    """2400: one service (SV1 with its HCPCS code), DTP*472, REF*6R and the 2420A rendering provider.

    ``unit_basis`` is SV103: UN units per the code's definition (what we bill), MJ minutes
    (anesthesia). ``line_control_number`` (REF*6R) is situational in the TR3; the encode
    pipeline always sets it (service_id) so 835 lines match back. A one-day range
    (``service_date_end`` equal to ``service_date``) is kept as a single date.
    """

    procedure_code: ProcedureCode
    modifiers: tuple[Modifier, ...] = Field(default=(), max_length=4)
    charge: Money
    unit_basis: Literal["UN", "MJ"] = "UN"
    units: Quantity
    service_date: dt.date
    service_date_end: dt.date | None = None
    diagnosis_pointers: tuple[int, ...] = Field(default=(1,), min_length=1, max_length=4)
    line_control_number: LineControlNumber | None = None
    place_of_service: PlaceOfService | None = None  # SV105, only when it differs from CLM05-1
    rendering_provider: RenderingProvider | None = None  # 2420A, only when it differs from the claim's 2310B
    pickup: Address | None = None  # 2420G ambulance pick-up location, only when it differs from 2310E
    dropoff: Address | None = None  # 2420H ambulance drop-off location, only when it differs from 2310F

    @model_validator(mode="after")
    def _check(self) -> "ServiceLine":
        if any(not 1 <= p <= MAX_DIAGNOSES for p in self.diagnosis_pointers):
            raise ValueError("diagnosis pointers must be 1..12")
        if len(set(self.diagnosis_pointers)) != len(self.diagnosis_pointers):
            raise ValueError("diagnosis pointers must not repeat")
        if self.service_date_end is not None:
            if self.service_date_end < self.service_date:
                raise ValueError("service_date_end is before service_date")
            if self.service_date_end == self.service_date:
                object.__setattr__(self, "service_date_end", None)  # D8 and a one-day RD8 mean the same
        return self


class Claim(_Model):
    """2300 with its 2400 lines, and the parties it is billed by, for and to.

    ``diagnosis_code_qualifier`` is HI01-1: ABK for ICD-10-CM (then ABF for the others), BK
    for ICD-9-CM (then BF), as older claims carry. CLM06-CLM09 are the provider signature,
    assignment/participation, benefits assignment and release-of-information codes.
    ``deviations`` is filled in by validation: the rules a leniently read claim breaks (empty
    for any claim we can write).
    """

    claim_id: ClaimId
    frequency: FrequencyCode = "1"
    payer_claim_number: Text(50) | None = None  # REF*F8, required for 7 and 8
    place_of_service: PlaceOfService
    diagnosis_code_qualifier: Literal["ABK", "BK"] = "ABK"
    diagnoses: tuple[AnyDiagnosisCode, ...] = Field(min_length=1, max_length=MAX_DIAGNOSES)
    prior_authorization: Text(50) | None = None  # REF*G1
    total_charge: Money | None = None  # CLM02; computed from the lines when omitted
    lines: tuple[ServiceLine, ...] = Field(min_length=1, max_length=MAX_LINES_PER_CLAIM)
    billing_provider: BillingProvider
    subscriber: Subscriber
    patient: Patient | None = None
    payer: Payer
    rendering_provider: RenderingProvider | None = None
    # 2310E/2310F: where an ambulance or non-emergency transport picked the patient up and
    # dropped them off ("required when billing for ambulance or non-emergency transportation
    # services"); a line whose trip differs carries its own (2420G/2420H).
    pickup: Address | None = None
    dropoff: Address | None = None
    provider_signature: Literal["N", "Y"] = "Y"  # CLM06
    assignment_participation: Literal["A", "B", "C"] = "A"  # CLM07
    benefits_assignment: Literal["N", "W", "Y"] = "Y"  # CLM08
    release_of_information: Literal["I", "Y"] = "Y"  # CLM09
    deviations: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "Claim":
        total = sum((ln.charge for ln in self.lines), Decimal(0))
        if self.total_charge is None:
            if total >= MAX_TOTAL_CHARGE:  # computed, so the field's own Money limit never saw it
                raise ValueError("CLM02 total_charge (the sum of line charges) must have at most 16 digits "
                                 "before the decimal point")
            object.__setattr__(self, "total_charge", total)
        elif self.total_charge != total:
            raise ValueError(f"CLM02 total_charge {self.total_charge} must equal the sum of line charges {total}")
        if self.patient is None:
            if self.subscriber.address is None:
                raise ValueError("the subscriber is the patient, so 2010BA needs the subscriber's address (N3/N4)")
            if self.subscriber.birth_date is None:
                raise ValueError("the subscriber is the patient, so 2010BA needs DMG (birth date and sex)")
        if self.frequency in ("7", "8") and not self.payer_claim_number:
            raise ValueError("a replacement (7) or void (8) claim needs payer_claim_number (REF*F8)")
        if self.frequency == "1" and self.payer_claim_number:
            raise ValueError("payer_claim_number (REF*F8) is only sent with frequency 7 or 8")
        for ln in self.lines:
            if max(ln.diagnosis_pointers) > len(self.diagnoses):
                raise ValueError("a diagnosis pointer points past the claim's diagnoses")
            if ln.rendering_provider is not None and ln.rendering_provider == self.rendering_provider:
                raise ValueError("a line's rendering provider (2420A) is sent only when it differs from the claim's")
            if ln.pickup is not None and ln.pickup == self.pickup:
                raise ValueError("a line's pick-up location (2420G) is sent only when it differs from the claim's 2310E")
            if ln.dropoff is not None and ln.dropoff == self.dropoff:
                raise ValueError("a line's drop-off location (2420H) is sent only when it differs from the claim's 2310F")
        code = _ICD10 if self.diagnosis_code_qualifier == "ABK" else _ICD9
        if not all(code.match(dx) for dx in self.diagnoses):
            kind = "ICD-10-CM (ABK)" if self.diagnosis_code_qualifier == "ABK" else "ICD-9-CM (BK)"
            raise ValueError(f"diagnosis codes must be {kind} codes without the dot")
        if len(set(self.diagnoses)) != len(self.diagnoses):
            raise ValueError("diagnosis codes must not repeat within the claim")
        found = claim_deviations(self)
        if found and not is_lenient(info):
            if found == ("line-control-number",):
                raise ValueError("line control numbers (REF*6R) must be unique within the claim")
            raise ValueError(f"the claim breaks rules only a lenient read accepts: {', '.join(found)}")
        # What a lenient read left out (a malformed id) or read past (another guide release) is
        # not in the values, so it cannot be found again: kept from the input, after what is.
        kept = tuple(d for d in self.deviations if d not in found and is_read_deviation(d))
        object.__setattr__(self, "deviations", found + kept)
        return self


READ_DEVIATIONS = frozenset({"rendering-provider-npi", "rendering-provider-taxonomy", "rendering-provider-not-kept"})


def is_read_deviation(name: str) -> bool:
    """A deviation the 837P reader records and the values cannot show: another guide release
    (``guide-<version>``) or a rendering provider's id left out."""
    return name in READ_DEVIATIONS or name.startswith("guide-005010X222")


def claim_deviations(claim: Claim) -> tuple[str, ...]:
    """Names of the rules of ours that ``claim`` breaks within the TR3's own limits (see the
    module docstring); an empty tuple for any claim ``write_837p`` may write."""
    found = []
    bp = claim.billing_provider
    renderers = [claim.rendering_provider] + [ln.rendering_provider for ln in claim.lines]
    providers = [bp] + [rp for rp in renderers if rp is not None]
    if any(p.npi is not None and not npi_check_digit_ok(p.npi) for p in providers):
        found.append("npi-check-digit")
    if any(p.taxonomy is not None and not _NUCC_TAXONOMY.fullmatch(p.taxonomy) for p in providers):
        found.append("taxonomy-format")
    if is_po_box(bp.address):
        found.append("billing-provider-po-box")
    if len(claim.claim_id) > MAX_CLAIM_ID:
        found.append("claim-id-length")
    if claim.frequency not in FREQUENCIES:
        found.append("frequency-code")
    numbers = [ln.line_control_number for ln in claim.lines if ln.line_control_number is not None]
    if len(set(numbers)) != len(numbers) or any(len(n) > MAX_LINE_CONTROL_NUMBER for n in numbers):
        found.append("line-control-number")
    return tuple(found)
