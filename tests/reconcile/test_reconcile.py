"""Reconciliation scenarios, with remittances built by hand and amounts worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from reconcile_support import (
    BACKENDS, CONFIG, FIVE_ROWS, bill, claim_of, open_backend, paid_then_recouped, remit, svc, write_rows,
)
from sdohedi import reconcile as rec
from sdohedi.models.remit import Adjustment, ClaimPayment


@pytest.fixture(params=BACKENDS)
def ledger(request, tmp_path):
    """The five rows below billed into a new ledger: SQLite, then PostgreSQL (the same expectations)."""
    lg = open_backend(request.param, request, tmp_path)
    summary = bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
    assert summary.billed_rows == 5
    yield lg
    lg.close()


def test_paid_partial_denied_and_disbursement(ledger):
    a, b, c = claim_of(ledger, "A1"), claim_of(ledger, "B1"), claim_of(ledger, "C1")
    r = remit("EFT1001", "100.00", [
        # A paid in full under contract: 61.50 - CO-45 1.50 = 60.00
        ClaimPayment(claim_id=a, status_code="1", charge=D("61.50"), paid=D("60.00"), payer_claim_number="ICN-A",
                     services=[svc("A1", "S5170", "41.00", "40.00", [("CO", "45", "1.00")]),
                               svc("A2", "S5170", "20.50", "20.00", [("CO", "45", "0.50")])]),
        # B partial: 56.00 - PR-3 copay 16.00 = 40.00
        ClaimPayment(claim_id=b, status_code="1", charge=D("56.00"), paid=D("40.00"), patient_responsibility=D("16.00"),
                     payer_claim_number="ICN-B", services=[svc("B1", "T2003", "56.00", "40.00", [("PR", "3", "16.00")])]),
        # C denied: no prior authorization
        ClaimPayment(claim_id=c, status_code="4", charge=D("64.20"), paid=D("0"), payer_claim_number="ICN-C",
                     adjustments=[Adjustment(group="CO", reason="197", amount=D("64.20"))],
                     services=[svc("C1", "T1016", "64.20", "0")]),
    ])
    result = rec.apply_remittance(ledger, r)
    assert dict(result.outcomes) == {"paid": 1, "partial": 1, "denied": 1}
    status = dict(ledger.execute("SELECT claim_id, status FROM claims"))
    assert (status[a], status[b], status[c]) == ("paid", "partial", "denied")
    assert ledger.execute("SELECT patient_responsibility, payer_claim_number FROM claims WHERE claim_id = ?",
                             (b,)).fetchone() == ("16.00", "ICN-B")
    denials = {(d["group"], d["reason"]): d for d in rec.denials(ledger)}
    assert denials[("CO", "197")]["amount"] == "64.20"
    assert "authorization" in denials[("CO", "197")]["description"].lower()
    owed = {(o["cbo"], o["payer"]): o for o in rec.disbursement(ledger, CONFIG)}
    # meals: 60.00 paid, 8% fee 4.80 -> 55.20; rides: 40.00, fee 3.20 -> 36.80; casemgmt: 0
    assert owed[("meals", "cascade")]["owed"] == "55.20"
    assert owed[("rides", "cascade")]["owed"] == "36.80"
    assert D(owed[("casemgmt", "cascade")]["owed"]) == 0
    out = [o["claim_id"] for o in rec.outstanding(ledger, dt.date(2026, 11, 1))]
    assert out == [claim_of(ledger, "E1")]


def test_same_835_twice_does_not_double_count(ledger):
    a = claim_of(ledger, "A1")
    r = remit("EFT2002", "60.00", [ClaimPayment(claim_id=a, status_code="1", charge=D("61.50"), paid=D("60.00"),
                                                services=[svc("A1", "S5170", "41.00", "40.00"),
                                                          svc("A2", "S5170", "20.50", "20.00")])])
    assert rec.apply_remittance(ledger, r).applied == 1
    again = rec.apply_remittance(ledger, r)
    assert again.applied == 0 and again.already_applied == 1
    assert ledger.execute("SELECT paid FROM claims WHERE claim_id = ?", (a,)).fetchone() == ("60.00",)
    assert sum(D(p) for (p,) in ledger.execute("SELECT paid FROM claim_lines WHERE claim_id = ?", (a,))) == D("60.00")


def test_reversal_then_repayment(ledger):
    b = claim_of(ledger, "B1")
    first = remit("EFT3001", "56.00", [ClaimPayment(claim_id=b, status_code="1", charge=D("56.00"), paid=D("56.00"),
                                                    payer_claim_number="ICN-B1",
                                                    services=[svc("B1", "T2003", "56.00", "56.00")])])
    reversal = remit("EFT3002", "-56.00", [ClaimPayment(claim_id=b, status_code="22", charge=D("-56.00"),
                                                        paid=D("-56.00"), payer_claim_number="ICN-B1",
                                                        services=[svc("B1", "T2003", "-56.00", "-56.00")])])
    repay = remit("EFT3003", "50.00", [ClaimPayment(claim_id=b, status_code="1", charge=D("56.00"), paid=D("50.00"),
                                                    payer_claim_number="ICN-B2",
                                                    adjustments=[Adjustment(group="CO", reason="45", amount=D("6"))],
                                                    services=[svc("B1", "T2003", "56.00", "50.00")])])
    rec.apply_all(ledger, [first])
    rec.apply_all(ledger, [reversal])
    assert ledger.execute("SELECT status, paid FROM claims WHERE claim_id = ?", (b,)).fetchone() == ("reversed", "0.00")
    rec.apply_all(ledger, [repay])
    assert ledger.execute("SELECT status, paid, payer_claim_number FROM claims WHERE claim_id = ?",
                             (b,)).fetchone() == ("paid", "50.00", "ICN-B2")
    owed = {(o["cbo"], o["payer"]): o for o in rec.disbursement(ledger, CONFIG)}
    assert owed[("rides", "cascade")]["owed"] == "46.00"  # 50.00 - 8% (4.00)


def test_plb_interest_and_recoupment(ledger):
    rec.apply_all(ledger, paid_then_recouped(claim_of(ledger, "A1")))
    owed = {(o["cbo"], o["payer"]): o for o in rec.disbursement(ledger, CONFIG)}
    # meals: 61.50 paid, fee 8% = 4.92, recoupment 20.50 traced to claim A -> 36.08
    assert owed[("meals", "cascade")] ["owed"] == "36.08"
    assert rec.network_adjustments(ledger) == [{"reason": "L6", "reference_id": "", "amount": "-1.25"}]


def test_unknown_claim_is_reported_not_applied(ledger):
    r = remit("EFT5001", "10.00", [ClaimPayment(claim_id="NOT-OURS-1", status_code="1", charge=D("10"), paid=D("10"))])
    result = rec.apply_remittance(ledger, r)
    assert result.unknown_claims == ["NOT-OURS-1"] and result.claims_matched == 0
    assert ledger.execute("SELECT matched FROM claim_payments").fetchone() == (0,)


def test_line_level_oa_makes_the_claim_partial(ledger):
    c = claim_of(ledger, "C1")
    r = remit("EFT6001", "54.20", [ClaimPayment(claim_id=c, status_code="1", charge=D("64.20"), paid=D("54.20"),
                                                services=[svc("C1", "T1016", "64.20", "54.20", [("OA", "23", "10.00")])])])
    assert dict(rec.apply_remittance(ledger, r).outcomes) == {"partial": 1}


def test_disbursement_by_service_month_and_for_some_claims(ledger, tmp_path):
    """By month: a claim's payment and its PLB in the month of its first date of service, the fee
    taken on each month's amount; ``claims`` keeps the others out (the dashboard's --from/--to)."""
    from reconcile_support import row

    bill(ledger, write_rows(tmp_path / "oct.csv", [row("F1", "M5", "meals", "S5170", "U6", "3", "2026-10-07")]),
         tmp_path / "out2")  # 30.75
    a, f = claim_of(ledger, "A1"), claim_of(ledger, "F1")
    pay, recoup = paid_then_recouped(a)
    rec.apply_remittance(ledger, pay)
    rec.apply_remittance(ledger, recoup)  # WO 20.50 traced to A (ICN-A9); L6 -1.25 stays with the network
    rec.apply_remittance(ledger, remit("EFT4003", "30.75", [
        ClaimPayment(claim_id=f, status_code="1", charge=D("30.75"), paid=D("30.75"),
                     services=[svc("F1", "S5170", "30.75", "30.75")])]))
    by_month = {(o["cbo"], o["month"]): o for o in rec.disbursement(ledger, CONFIG, by_month=True)}
    # September (claim A): 61.50, fee 8% 4.92, WO 20.50 -> 36.08; October (F): 30.75, fee 2.46 -> 28.29
    assert {k: (o["paid"], o["admin_fee"], o["provider_adjustments"], o["owed"]) for k, o in by_month.items()} == {
        ("meals", "2026-09"): ("61.50", "4.92", "20.50", "36.08"),
        ("meals", "2026-10"): ("30.75", "2.46", "0.00", "28.29")}
    (whole,) = rec.disbursement(ledger, CONFIG)
    assert (whole["paid"], whole["admin_fee"], whole["owed"]) == ("92.25", "7.38", "64.37")  # fee on 92.25
    (october,) = rec.disbursement(ledger, CONFIG, claims=lambda claim_id, first: first >= "2026-10-01")
    assert october == {k: v for k, v in by_month[("meals", "2026-10")].items() if k != "month"}
