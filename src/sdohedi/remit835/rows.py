"""Flat rows for spreadsheets and data frames: one per service payment, or one per claim.

Each row carries its payment context (file, envelope control numbers, trace number, payer,
payment date) so rows from many files can be stacked. No patient names or member ids: the
claim id (CLP01, the biller's own number) and the payer's claim number identify the claim.

Lists are joined into one cell: modifiers and remark codes with ``:``, adjustments as
``GROUP-REASON:AMOUNT`` joined with ``;`` (``CO-45:12.50;PR-3:5``), their descriptions with
`` | ``. Amounts stay :class:`~decimal.Decimal` and dates :class:`datetime.date`; the
exporters decide how to write them. The ``claim_*`` functions make the rows of one claim, for
claims read one at a time (``Parser835.feed_claims``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..models.remit import Adjustment, ClaimPayment, Remittance
from .writer import format_amount

PAYMENT_COLUMNS = ["file", "isa13", "gs06", "st02", "trace_number", "payer_id", "payee_id", "payment_date",
                   "payment_amount"]
LINE_COLUMNS = ["line_control_number", "procedure_code", "modifiers", "charge", "paid", "allowed_amount", "units",
                "service_date", "adjustments", "adjustment_descriptions", "remark_codes"]
SERVICE_COLUMNS = PAYMENT_COLUMNS + [
    "claim_id", "status_code", "status_description", "payer_claim_number", "claim_charge", "claim_paid",
    "claim_adjustments",
] + LINE_COLUMNS
_NO_LINE = dict.fromkeys(LINE_COLUMNS) | {"modifiers": "", "adjustments": "", "adjustment_descriptions": "",
                                          "remark_codes": ""}
CLAIM_COLUMNS = PAYMENT_COLUMNS + [
    "claim_id", "status_code", "status_description", "charge", "paid", "patient_responsibility",
    "payer_claim_number", "filing_indicator", "service_lines", "adjustments", "adjustment_descriptions",
    "remark_codes",
]
MONEY_COLUMNS = frozenset({"payment_amount", "claim_charge", "claim_paid", "charge", "paid", "allowed_amount",
                           "patient_responsibility"})
QUANTITY_COLUMNS = frozenset({"units", "service_lines"})
DATE_COLUMNS = frozenset({"payment_date", "service_date"})


def adjustment_codes(adjustments: Sequence[Adjustment]) -> str:
    # An unreadable amount (None) leaves its place empty: ``CO-45:``.
    return ";".join(f"{a.code}:{'' if a.amount is None else format_amount(a.amount)}" for a in adjustments)


def adjustment_descriptions(adjustments: Sequence[Adjustment]) -> str:
    return " | ".join(a.description for a in adjustments)


def payment_row(remittance: Remittance, file: str) -> dict[str, Any]:
    """The payment columns of every row of ``remittance`` (or of its header alone)."""
    return {
        "file": file, "isa13": remittance.interchange_control_number, "gs06": remittance.group_control_number,
        "st02": remittance.transaction_control_number, "trace_number": remittance.trace_number,
        "payer_id": remittance.payer_id, "payee_id": remittance.payee.id, "payment_date": remittance.payment_date,
        "payment_amount": remittance.total_payment,
    }


def _claim_context(claim: ClaimPayment) -> dict[str, Any]:
    return {
        "claim_id": claim.claim_id, "status_code": claim.status_code,
        "status_description": claim.status_description, "payer_claim_number": claim.payer_claim_number,
    }


def claim_service_rows(payment: dict[str, Any], claim: ClaimPayment) -> Iterator[dict[str, Any]]:
    """The :func:`service_rows` of one claim, given its :func:`payment_row`."""
    context = payment | _claim_context(claim) | {
        "claim_charge": claim.charge, "claim_paid": claim.paid,
        "claim_adjustments": adjustment_codes(claim.adjustments),
    }
    if not claim.services:
        yield context | _NO_LINE
        return
    for svc in claim.services:
        yield context | {
            "line_control_number": svc.line_control_number, "procedure_code": svc.procedure_code,
            "modifiers": ":".join(svc.modifiers), "charge": svc.charge, "paid": svc.paid,
            "allowed_amount": svc.allowed_amount, "units": svc.units, "service_date": svc.date,
            "adjustments": adjustment_codes(svc.adjustments),
            "adjustment_descriptions": adjustment_descriptions(svc.adjustments),
            "remark_codes": ":".join(svc.remark_codes),
        }


def claim_row(payment: dict[str, Any], claim: ClaimPayment) -> dict[str, Any]:
    """The :func:`claim_rows` row of one claim, given its :func:`payment_row`."""
    adjustments = claim.all_adjustments
    remarks = list(claim.outpatient.remark_codes) if claim.outpatient else []
    for svc in claim.services:
        remarks += [code for code in svc.remark_codes if code not in remarks]
    return payment | _claim_context(claim) | {
        "charge": claim.charge, "paid": claim.paid, "patient_responsibility": claim.patient_responsibility,
        "filing_indicator": claim.filing_indicator, "service_lines": len(claim.services),
        "adjustments": adjustment_codes(adjustments),
        "adjustment_descriptions": adjustment_descriptions(adjustments), "remark_codes": ":".join(remarks),
    }


def service_rows(remittance: Remittance, file: str) -> Iterator[dict[str, Any]]:
    """One row per service payment; a claim without service lines gets one row with empty line cells."""
    payment = payment_row(remittance, file)
    for claim in remittance.claims:
        yield from claim_service_rows(payment, claim)


def claim_rows(remittance: Remittance, file: str) -> Iterator[dict[str, Any]]:
    """One row per claim; adjustments are the claim's and all its lines', in file order."""
    payment = payment_row(remittance, file)
    for claim in remittance.claims:
        yield claim_row(payment, claim)
