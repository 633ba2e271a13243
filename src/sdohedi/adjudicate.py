"""A documented payer simulator: adjudicate 837P claims against a fee schedule, giving 835s.

Rules (per service line, in this order):
1. a procedure code that is not in the fee schedule is not covered: denied, CO-96 for the charge;
2. a code listed in ``prior_auth_required`` on a claim without REF*G1: denied, CO-197;
3. allowed = min(charge, fee x units); the charge above it is CO-45;
4. units above ``unit_limits[code]``: allowed falls to min(charge, fee x limit) and the
   difference is CO-119 (benefit maximum reached);
5. a configured ``copays[code]`` is the patient's: PR-3 = min(copay, allowed);
6. paid = allowed - copay. Every line balances: charge - sum(CAS) = paid.
7. an encounter (an 837P whose BHT06 is RP: a capitated service reported) is priced so, then
   paid $0: what rule 6 would pay is CO-24 (covered under a capitation agreement).
A claim is CLP02 1 (processed as primary) when anything was allowed, 4 (denied) otherwise;
CLP03 = sum of charges, CLP04 = sum paid, CLP05 = sum PR; CLP07 is a payer claim number made
from the 835's control numbers. BPR02 = sum CLP04 (no PLB), so the 835 balances; when the sum is
negative (reversals take back more than is paid) BPR03 is D and BPR02 its absolute value.
Corrections, given the payer's earlier 835s (``prior``: CLP07 -> the claim as adjudicated): a
replacement (CLM05-3 7) or void (8) whose REF*F8 names a CLP07 there first gets that claim's
reversal (CLP02 22, CLP01 and CLP07 as before, every amount negated); a replacement is then
adjudicated as above, a void is not. A 7 or 8 whose REF*F8 names nothing known is denied whole,
CO-129 (prior processing information incorrect).
CLP06 is the 837P's SBR09 when that is also a CLP06 code; SBR09 has codes CLP06 lacks (CI, BL,
FI, 11), and for those the payer's own ``filing_indicator`` stands (``filing_indicator_of``).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .models.claim import Claim
from .models.config import ConfigError
from .models.remit import (
    Address, Adjustment, ClaimPayment, Communication, Contact, PartyName, Payee, Payer, Reference, Remittance, ServicePayment,
)
from .validate.guide import guide_for

CENT = Decimal("0.01")


@cache
def clp06_codes() -> frozenset[str]:
    """The CLP06 codes of 005010X221A1, from the map the validator checks 835s against."""
    clp = guide_for("HP", "005010X221A1").segment("/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/CLP")
    return next(e.codes for e in clp.elements if e.refdes == "CLP06")


class PayerRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    payer_id: str = Field(min_length=2, max_length=15)  # ISA06 / GS02 of the 835 and 999 we send
    tax_id: str = Field(pattern=r"^[0-9]{9}$")  # TRN03 = "1" + TIN
    address: dict[str, str]  # line1, city, state, zip (1000A N3/N4 are required)
    fee_schedule: dict[str, Decimal]
    prior_auth_required: list[str] = Field(default_factory=list)
    unit_limits: dict[str, Decimal] = Field(default_factory=dict)
    copays: dict[str, Decimal] = Field(default_factory=dict)
    payment_method: str = Field(default="ACH", pattern=r"^(ACH|CHK|BOP|FWT)$")
    contact_name: str = "PROVIDER SERVICES"  # 1000A PER*BL (required)
    contact_phone: str = Field(default="8005550100", pattern=r"^[0-9]{10}$")
    # CLP06 when the claim's SBR09 is not a CLP06 code (MC: Medicaid, what an NLE's payers mostly are)
    filing_indicator: str = "MC"

    @field_validator("filing_indicator")
    @classmethod
    def _clp06(cls, value: str) -> str:
        if value not in clp06_codes():
            raise ValueError(f"{value!r} is not a CLP06 code ({', '.join(sorted(clp06_codes()))})")
        return value

    def filing_indicator_of(self, claim: Claim) -> str:
        """CLP06 for ``claim``: its SBR09 when CLP06 has that code, else the payer's default."""
        sbr09 = claim.payer.claim_filing_indicator
        return sbr09 if sbr09 in clp06_codes() else self.filing_indicator

    def fee(self, code: str, modifiers: Iterable[str]) -> Decimal | None:
        mods = tuple(modifiers)
        for key in ((code + ":" + ":".join(mods)) if mods else None, code):
            if key and key in self.fee_schedule:
                return self.fee_schedule[key]
        return None


def load_rules(path: str | Path) -> PayerRules:
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
        return PayerRules.model_validate(raw.get("payer", raw))
    except OSError as exc:
        raise ConfigError(str(path), [("(file)", exc.strerror or str(exc))]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [("(syntax)", str(exc))]) from None
    except ValidationError as exc:
        raise ConfigError(str(path), [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None


def _money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def adjudicate_claim(claim: Claim, rules: PayerRules, payer_claim_number: str, *,
                     encounter: bool = False) -> ClaimPayment:
    services = []
    claim_cas: list[Adjustment] = []
    allowed_any = False
    for line in claim.lines:
        charge = line.charge
        adj: list[Adjustment] = []
        fee = rules.fee(line.procedure_code, line.modifiers)
        if fee is None:
            adj.append(Adjustment(group="CO", reason="96", amount=charge))
            paid = Decimal(0)
        elif line.procedure_code in rules.prior_auth_required and not claim.prior_authorization:
            adj.append(Adjustment(group="CO", reason="197", amount=charge))
            paid = Decimal(0)
        else:
            full = min(charge, _money(fee * line.units))
            allowed = full
            limit = rules.unit_limits.get(line.procedure_code)
            if limit is not None and line.units > limit:
                allowed = min(charge, _money(fee * limit))
            if charge - full:
                adj.append(Adjustment(group="CO", reason="45", amount=charge - full))
            if full - allowed:
                adj.append(Adjustment(group="CO", reason="119", amount=full - allowed))
            copay = min(rules.copays.get(line.procedure_code, Decimal(0)), allowed)
            if copay:
                adj.append(Adjustment(group="PR", reason="3", amount=copay))
            paid = allowed - copay
            allowed_any = allowed_any or allowed > 0
            if encounter and paid:
                adj.append(Adjustment(group="CO", reason="24", amount=paid))
                paid = Decimal(0)
        services.append(ServicePayment(
            qualifier="HC", procedure_code=line.procedure_code, modifiers=list(line.modifiers), charge=charge,
            paid=paid, units=line.units, service_date=line.service_date, adjustments=adj,
            line_control_number=line.line_control_number,
        ))
    paid = sum((s.paid for s in services), Decimal(0))
    pr = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), Decimal(0))
    person = claim.patient or claim.subscriber
    patient = PartyName(entity_code="QC", entity_type="1", last_name=person.last_name, first_name=person.first_name,
                        id_qualifier="MI", identifier=claim.subscriber.member_id)
    return ClaimPayment(
        patient=patient, claim_id=claim.claim_id, status_code="1" if allowed_any else "4", charge=claim.total_charge, paid=paid,
        patient_responsibility=pr, filing_indicator=rules.filing_indicator_of(claim),
        payer_claim_number=payer_claim_number, frequency=claim.frequency, adjustments=claim_cas, services=services,
    )


def reversal_of(payment: ClaimPayment) -> ClaimPayment:
    """The payer's reversal (CLP02 22) of a claim it adjudicated: the same claim, amounts negated."""
    def neg(x):
        return None if x is None else -x

    def adjs(adjustments):
        return [a.model_copy(update={"amount": neg(a.amount)}) for a in adjustments]

    return payment.model_copy(update={
        "status_code": "22", "charge": neg(payment.charge), "paid": neg(payment.paid),
        "patient_responsibility": neg(payment.patient_responsibility), "adjustments": adjs(payment.adjustments),
        "services": [s.model_copy(update={"charge": neg(s.charge), "paid": neg(s.paid),
                                          "adjustments": adjs(s.adjustments)}) for s in payment.services],
        "position": None})


def _unknown_original(claim: Claim, rules: PayerRules, payer_claim_number: str) -> ClaimPayment:
    """A replacement or void whose REF*F8 names no claim this payer adjudicated: denied, CO-129."""
    payment = adjudicate_claim(claim, rules, payer_claim_number)
    return payment.model_copy(update={"status_code": "4", "paid": Decimal(0), "patient_responsibility": Decimal(0),
                                      "services": [s.model_copy(update={"paid": Decimal(0), "adjustments": [
                                          Adjustment(group="CO", reason="129", amount=s.charge)]})
                                          for s in payment.services]})


def _answer(claim: Claim, rules: PayerRules, payer_claim_number: str,
            prior: dict[str, ClaimPayment], *, encounter: bool = False) -> list[ClaimPayment]:
    if claim.frequency not in ("7", "8"):
        return [adjudicate_claim(claim, rules, payer_claim_number, encounter=encounter)]
    original = prior.get(claim.payer_claim_number or "")
    if original is None:
        return [_unknown_original(claim, rules, payer_claim_number)]
    out = [reversal_of(original)]
    if claim.frequency == "7":
        out.append(adjudicate_claim(claim, rules, payer_claim_number, encounter=encounter))
    return out


def adjudicate(claims: Iterable[Claim], rules: PayerRules, *, payee_name: str, payee_npi: str | None,
               payee_tax_id: str | None, receiver_id: str, control_number: int, payment_date: dt.date,
               prior: dict[str, ClaimPayment] | None = None,
               encounters: frozenset[int] = frozenset()) -> Remittance:
    """One 835 transaction paying ``claims`` (all to one payee); ``prior``: CLP07 -> an earlier
    adjudication, which a replacement or void of it reverses; ``encounters``: the positions
    (1-based) among them of the claims sent as encounters (BHT06 = RP)."""
    payments = [p for n, c in enumerate(claims, 1)
                for p in _answer(c, rules, f"{control_number:09d}{n:05d}", prior or {}, encounter=n in encounters)]
    signed = sum((p.paid for p in payments), Decimal(0))
    total = abs(signed)
    a = rules.address
    payee = (Payee(name=payee_name, id_qualifier="XX", id=payee_npi) if payee_npi
             else Payee(name=payee_name, id_qualifier="FI", id=payee_tax_id or "000000000"))
    return Remittance(
        interchange_control_number=f"{control_number:09d}", interchange_sender_id=rules.payer_id,
        interchange_receiver_id=receiver_id, group_control_number=str(control_number),
        application_sender=rules.payer_id, application_receiver=receiver_id, version="005010X221A1",
        transaction_control_number="0001", handling_code="I" if total > 0 else "H", total_payment=total,
        credit_debit="D" if signed < 0 else "C", payment_method=rules.payment_method if total > 0 else "NON", payment_date=payment_date,
        trace_number=f"{control_number:09d}", trace_payer_id="1" + rules.tax_id,
        payer=Payer(name=rules.name, address=Address(line1=a["line1"], city=a["city"], state=a["state"],
                                                     postal_code=a["zip"]),
                    contacts=[Contact(function="BL", name=rules.contact_name,
                                      communications=[Communication(qualifier="TE", number=rules.contact_phone)])]),
        payee=payee if not payee_tax_id or not payee_npi else payee.model_copy(
            update={"references": [Reference(qualifier="TJ", value=payee_tax_id)]}),
        claims=payments,
    )
