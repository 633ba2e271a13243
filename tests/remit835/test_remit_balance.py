"""Balancing findings on hand-made files that do not balance (amounts worked out by hand)."""

from __future__ import annotations

from decimal import Decimal as D

from remit835_samples import CLAIM, HEADER, SAMPLE, interchange, parse_all, replace_segment, transaction
from sdohedi.models.remit import finding_text
from sdohedi.remit835 import balance_findings


def findings_for(header=HEADER, claim=CLAIM, extra=()):
    (r,), _ = parse_all(interchange(transaction(list(header) + list(claim) + list(extra))))
    return balance_findings(r)


def test_sample_balances():
    (r,), _ = parse_all(SAMPLE)
    assert balance_findings(r) == []


def test_service_line_out_of_balance():
    # SVC 50 - (2.5 + 5) = 42.5, but SVC03 says 40; CLP and BPR still say 42.5 and balance
    (f,) = findings_for(claim=replace_segment(CLAIM, "SVC*", "SVC*HC:S5170:U6*50*40**4"))
    assert (f.rule, f.severity, f.location.segment, f.location.element, f.location.position) == \
        ("svc-balance", "error", "SVC", 3, 14)
    assert (f.location.interchange, f.location.group, f.location.transaction) == ("000000101", "55", "0001")
    assert "42.5" in f.message and "40" in f.message


def test_claim_out_of_balance_also_unbalances_the_payment():
    # CLP 50 - 7.5 = 42.5, but CLP04 says 45; BPR02 42.50 is then not the sum of CLP04 either
    claim = replace_segment(CLAIM, "CLP*", "CLP*CLM1001*1*50*45*5*MC*PAYER123")
    rules = [(f.rule, f.location.segment, f.location.element, f.location.position) for f in findings_for(claim=claim)]
    assert rules == [("clp-balance", "CLP", 4, 12), ("bpr-balance", "BPR", 2, 4)]


def test_claim_level_adjustments_count():
    # a claim-level CO-45 of 1.00 makes the claim 50 - 8.5 = 41.5: CLP04 41.5 and BPR 41.5 balance
    claim = CLAIM[:2] + ["CAS*CO*45*1"] + CLAIM[2:]
    claim = replace_segment(claim, "CLP*", "CLP*CLM1001*1*50*41.5*5*MC*PAYER123")
    header = replace_segment(HEADER, "BPR*", "BPR*I*41.5*C*CHK************20261030")
    assert findings_for(header=header, claim=claim) == []
    # without moving CLP04 the claim is 1.00 off (BPR02 still equals CLP04, so the payment balances)
    (f,) = findings_for(claim=CLAIM[:2] + ["CAS*CO*45*1"] + CLAIM[2:])
    assert f.rule == "clp-balance" and "41.5" in f.message


def test_payment_out_of_balance():
    (f,) = findings_for(header=replace_segment(HEADER, "BPR*", "BPR*I*45*C*CHK************20261030"))
    assert (f.rule, f.location.segment, f.location.element, f.location.position) == ("bpr-balance", "BPR", 2, 4)
    assert "42.5" in f.message and "45" in f.message


def test_plb_reduces_the_payment():
    plb = ["PLB*1234567893*20261231*WO:ICN778*2.5"]  # overpayment recovery of 2.50
    header = replace_segment(HEADER, "BPR*", "BPR*I*40*C*CHK************20261030")  # 42.5 - 2.5
    assert findings_for(header=header, extra=plb) == []
    (f,) = findings_for(extra=plb)  # BPR02 still 42.50: 2.50 too much
    assert f.rule == "bpr-balance"


def test_negative_plb_increases_the_payment():
    plb = ["PLB*1234567893*20261231*L6*-1.25"]  # interest paid: 42.5 + 1.25
    header = replace_segment(HEADER, "BPR*", "BPR*I*43.75*C*CHK************20261030")
    assert findings_for(header=header, extra=plb) == []


def test_debit_payment_of_a_reversal():
    # CLP02 22 reverses a payment of 42.5: the payee owes it back, BPR03 D
    header = replace_segment(HEADER, "BPR*", "BPR*I*42.5*D*NON************20261030")
    claim = ["LX*1", "CLP*CLM1001*22*-50*-42.5*-5*MC*PAYER123", "NM1*QC*1*RIVERA*ANA****MI*MBR000111",
             "CAS*CO*45*-2.5", "CAS*PR*3*-5"]
    assert findings_for(header=header, claim=claim) == []


def test_cr_group_is_not_5010():
    claim = replace_segment(CLAIM, "CAS*CO", "CAS*CR*45*2.5")
    (f,) = findings_for(claim=claim)
    assert (f.rule, f.location.segment, f.location.element, f.location.position) == ("cas-group", "CAS", 1, 16)
    assert "CR" in f.message


def test_findings_name_no_patient():
    claim = replace_segment(CLAIM, "SVC*", "SVC*HC:S5170:U6*50*40**4")
    for f in findings_for(claim=claim):
        assert "RIVERA" not in finding_text(f) and "MBR000111" not in finding_text(f)
        assert finding_text(f).startswith("error [svc-balance] ISA13=000000101 GS06=55 ST02=0001 segment #14 SVC03: ")


def test_balance_works_on_models_built_by_hand():
    (r,), _ = parse_all(SAMPLE)
    changed = r.model_copy(update={"total_payment": D("1")})
    assert [f.rule for f in balance_findings(changed)] == ["bpr-balance"]
