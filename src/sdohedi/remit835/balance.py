"""The 835 balancing rules, as findings that point at the segment to look at.

Per the balancing rules of the 005010X221A1 TR3:

* a service line: SVC02 (charge) - sum of its CAS amounts = SVC03 (paid);
* a claim: CLP03 (charge) - sum of claim-level and line-level CAS amounts = CLP04 (paid);
* the transaction: BPR02 (total paid) = sum of CLP04 - sum of PLB amounts (a positive PLB
  amount reduces the payment, a negative one increases it). With BPR03 = D (debit) the
  payee owes the payer and BPR02 is the amount taken back.

Also: CAS01 must be CO, OA, PI or PR; 5010 dropped the CR group (corrections are a CLP02 = 22
reversal plus a new claim). Nothing here raises: a remittance that does not balance is still
a remittance that was received, and the findings say where and by how much.
"""

from __future__ import annotations

from decimal import Decimal

from ..models.remit import ADJUSTMENT_GROUPS, Adjustment, Finding, Remittance

_ZERO = Decimal(0)


def _sum(values) -> Decimal:
    return sum(values, _ZERO)


def balance_findings(remittance: Remittance) -> list[Finding]:
    """Every balancing rule the remittance breaks (empty when it balances)."""
    envelope = {"isa13": remittance.interchange_control_number, "gs06": remittance.group_control_number,
                "st02": remittance.transaction_control_number}
    findings: list[Finding] = []

    def bad_groups(adjustments: list[Adjustment]) -> None:
        for adj in adjustments:
            if adj.group not in ADJUSTMENT_GROUPS:
                findings.append(Finding(
                    severity="error", rule="cas-group",
                    message=f"CAS group {adj.group[:2]} is not one of CO, OA, PI, PR (CR was dropped in 5010)",
                    position=adj.position, segment="CAS", element=1, **envelope))

    for claim in remittance.claims:
        bad_groups(claim.adjustments)
        line_adjustments = _ZERO
        for svc in claim.services:
            bad_groups(svc.adjustments)
            adjusted = svc.adjustment_total
            line_adjustments += adjusted
            if svc.charge - adjusted != svc.paid:
                findings.append(Finding(
                    severity="error", rule="service-balance",
                    message=(f"service line does not balance: charge {svc.charge} - adjustments {adjusted} = "
                             f"{svc.charge - adjusted}, but paid (SVC03) is {svc.paid}"),
                    position=svc.position, segment="SVC", element=3, **envelope))
        adjusted = _sum(a.amount for a in claim.adjustments) + line_adjustments
        if claim.charge - adjusted != claim.paid:
            findings.append(Finding(
                severity="error", rule="claim-balance",
                message=(f"claim does not balance: charge {claim.charge} - adjustments {adjusted} = "
                         f"{claim.charge - adjusted}, but paid (CLP04) is {claim.paid}"),
                position=claim.position, segment="CLP", element=4, **envelope))

    expected = remittance.claims_paid - remittance.provider_adjustment_total
    actual = -remittance.total_payment if remittance.credit_debit == "D" else remittance.total_payment
    if expected != actual:
        findings.append(Finding(
            severity="error", rule="transaction-balance",
            message=(f"payment does not balance: claims paid {remittance.claims_paid} - provider adjustments "
                     f"{remittance.provider_adjustment_total} = {expected}, but BPR02 is {remittance.total_payment}"
                     + (" (debit)" if remittance.credit_debit == "D" else "")),
            position=remittance.payment_position, segment="BPR", element=2, **envelope))
    return findings
