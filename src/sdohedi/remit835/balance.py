"""The 835 balancing rules, as findings that point at the segment to look at.

Per the balancing rules of the 005010X221A1 TR3:

* a service line: SVC02 (charge) - sum of its CAS amounts = SVC03 (paid);
* a claim: CLP03 (charge) - sum of claim-level and line-level CAS amounts = CLP04 (paid);
* the transaction: BPR02 (total paid) = sum of CLP04 - sum of PLB amounts (a positive PLB
  amount reduces the payment, a negative one increases it). With BPR03 = D (debit) the
  payee owes the payer and BPR02 is the amount taken back.

Also: CAS01 must be CO, OA, PI or PR; 5010 dropped the CR group (corrections are a CLP02 = 22
reversal plus a new claim). Nothing here raises: a remittance that does not balance is still
a remittance that was received, and the findings say where and by how much. An amount the
parser could not read (None) makes its rule a finding too: it cannot be checked, and says why.

A remittance read claim by claim (``Parser835.feed_claims``) is checked the same way with
:func:`stream_balance_findings` on each item: the transaction rule then uses the running sum
of CLP04 that ``RemittanceEnd`` carries.
"""

from __future__ import annotations

from decimal import Decimal

from ..models.remit import (
    ADJUSTMENT_GROUPS, Adjustment, ClaimPayment, Remittance, RemittanceClaim, RemittanceEnd,
)
from ..problems import Problem, problem

_ZERO = Decimal(0)


def _sum(values) -> Decimal:
    return sum(values, _ZERO)


def balance_findings(remittance: Remittance) -> list[Problem]:
    """Every balancing rule the remittance breaks (empty when it balances)."""
    findings: list[Problem] = []
    for claim in remittance.claims:
        findings += claim_balance_findings(claim, remittance)
    return findings + transaction_balance_findings(remittance, remittance.claims_paid)


def claim_balance_findings(claim: ClaimPayment, payment: Remittance) -> list[Problem]:
    """The line and claim rules (and CAS groups) for one claim; ``payment`` (the remittance or
    just its header, as in ``RemittanceClaim.payment``) gives the envelope ids."""
    envelope = {"interchange": payment.interchange_control_number, "group": payment.group_control_number,
                "transaction": payment.transaction_control_number}
    findings: list[Problem] = []

    def bad_groups(adjustments: list[Adjustment]) -> None:
        for adj in adjustments:
            if adj.group is not None and adj.group not in ADJUSTMENT_GROUPS:  # None: the parser said so
                findings.append(problem(
                    severity="error", rule="cas-group",
                    message=f"CAS group {adj.group[:2]} is not one of CO, OA, PI, PR (CR was dropped in 5010)",
                    position=adj.position, segment="CAS", element=1, **envelope))

    bad_groups(claim.adjustments)
    line_adjustments = _ZERO
    unknown_line_adjustments = False
    for svc in claim.services:
        bad_groups(svc.adjustments)
        adjusted, unknown_adjustment = _adjustment_sum(svc.adjustments)
        line_adjustments += adjusted
        charge, paid = svc.charge, svc.paid
        if charge is None or paid is None or unknown_adjustment:
            unknown_line_adjustments = unknown_line_adjustments or unknown_adjustment
            unknown = _unknown_amounts(("SVC02", charge), ("SVC03", paid), adjustment=unknown_adjustment)
            findings.append(problem(
                severity="error", rule="svc-balance",
                message=f"service line balance cannot be checked: {unknown} unreadable",
                position=svc.position, segment="SVC", element=3, **envelope))
        elif charge - adjusted != paid:
            findings.append(problem(
                severity="error", rule="svc-balance",
                message=(f"service line does not balance: charge {charge} - adjustments {adjusted} = "
                         f"{charge - adjusted}, but paid (SVC03) is {paid}"),
                position=svc.position, segment="SVC", element=3, **envelope))
    adjusted, unknown_adjustment = _adjustment_sum(claim.adjustments)
    adjusted += line_adjustments
    unknown_adjustment = unknown_adjustment or unknown_line_adjustments
    charge, paid = claim.charge, claim.paid
    if charge is None or paid is None or unknown_adjustment:
        unknown = _unknown_amounts(("CLP03", charge), ("CLP04", paid), adjustment=unknown_adjustment)
        findings.append(problem(
            severity="error", rule="clp-balance", message=f"claim balance cannot be checked: {unknown} unreadable",
            position=claim.position, segment="CLP", element=4, **envelope))
    elif charge - adjusted != paid:
        findings.append(problem(
            severity="error", rule="clp-balance",
            message=(f"claim does not balance: charge {charge} - adjustments {adjusted} = "
                     f"{charge - adjusted}, but paid (CLP04) is {paid}"),
            position=claim.position, segment="CLP", element=4, **envelope))
    return findings


def _adjustment_sum(adjustments: list[Adjustment]) -> tuple[Decimal, bool]:
    """The sum of the known CAS amounts, and whether one is unknown (None)."""
    total = _ZERO
    unknown = False
    for adj in adjustments:
        amount = adj.amount
        if amount is None:
            unknown = True
        else:
            total += amount
    return total, unknown


def _unknown_amounts(*amounts: tuple[str, Decimal | None], adjustment: bool) -> str:
    """Which amounts of a rule are unreadable, as 'CLP03 and a CAS amount are'."""
    names = [name for name, value in amounts if value is None] + (["a CAS amount"] if adjustment else [])
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]} are"
    return f"{names[0]} is"


def transaction_balance_findings(remittance: Remittance, claims_paid: Decimal,
                                 claims_paid_unknown: int | None = None) -> list[Problem]:
    """BPR02 = sum of CLP04 - sum of PLB, with the CLP04 sum given: ``remittance.claims_paid``
    for a whole remittance, ``RemittanceEnd.claims_paid`` when read claim by claim (where
    ``remittance.claims`` is empty). ``claims_paid_unknown`` is how many claims have no
    readable CLP04 (``RemittanceEnd.claims_paid_unknown``); counted in ``remittance.claims``
    when not given."""
    if claims_paid_unknown is None:
        claims_paid_unknown = sum(1 for c in remittance.claims if c.paid is None)
    names = (["BPR02"] if remittance.total_payment is None else []) + (
        [f"CLP04 of {claims_paid_unknown} claim{'s' if claims_paid_unknown > 1 else ''}"]
        if claims_paid_unknown else []) + (
        ["a PLB amount"] if any(p.amount is None for p in remittance.provider_adjustments) else [])
    if names:
        return [problem(
            severity="error", rule="bpr-balance",
            message=f"payment balance cannot be checked: {' and '.join(names)} unreadable",
            position=remittance.payment_position, segment="BPR", element=2,
            interchange=remittance.interchange_control_number, group=remittance.group_control_number,
            transaction=remittance.transaction_control_number)]
    expected = claims_paid - remittance.provider_adjustment_total
    actual = -remittance.total_payment if remittance.credit_debit == "D" else remittance.total_payment
    if expected == actual:
        return []
    return [problem(
        severity="error", rule="bpr-balance",
        message=(f"payment does not balance: claims paid {claims_paid} - provider adjustments "
                 f"{remittance.provider_adjustment_total} = {expected}, but BPR02 is {remittance.total_payment}"
                 + (" (debit)" if remittance.credit_debit == "D" else "")),
        position=remittance.payment_position, segment="BPR", element=2, interchange=remittance.interchange_control_number,
        group=remittance.group_control_number, transaction=remittance.transaction_control_number)]


def stream_balance_findings(item: RemittanceClaim | RemittanceEnd) -> list[Problem]:
    """The balancing findings of one item of ``Parser835.feed_claims``: the claim's rules for a
    claim, the transaction rule (by the running CLP04 sum) for an end. Over a whole stream,
    the same findings in the same order as :func:`balance_findings` on every remittance."""
    if isinstance(item, RemittanceClaim):
        return claim_balance_findings(item.claim, item.payment)
    return transaction_balance_findings(item.remittance, item.claims_paid, item.claims_paid_unknown)
