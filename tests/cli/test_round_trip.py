"""The full loop on the bundled fixtures: encode -> adjudicate (payer simulator) -> reconcile."""

from __future__ import annotations

import csv
import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from pyx12_oracle import assert_pyx12_clean
from round_trip_support import encode_and_adjudicate, run
from sdohedi.models.config import load_config
from sdohedi.remit835 import parse_835_file

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("loop")
    ledger = tmp / "l.sqlite"
    summary, eras, acks = encode_and_adjudicate(ledger, tmp)
    rec = run("reconcile", *eras, *acks, "--ledger", ledger, "--config", FIX / "nle.toml", "--reports", tmp / "rep",
              "--format", "json")
    return summary, eras, acks, rec, tmp


def test_payer_files_pass_pyx12(loop):
    _, eras, acks, _, _ = loop
    for f in eras:
        assert_pyx12_clean(f.read_bytes())
    for f in acks:
        assert_pyx12_clean(f.read_bytes())


def test_every_claim_closed_and_balanced(loop):
    summary, eras, _, rec, tmp = loop
    assert rec.exit_code == 0, rec.output
    result = json.loads(rec.output)
    billed_claims = sum(ic["claims"] for ic in summary["interchanges"])
    assert result["claims_matched"] == billed_claims
    assert result["outstanding_claims"] == 0 and result["unknown_claims"] == 0
    for era in eras:
        for remit in parse_835_file(era):
            assert not remit.findings  # parsed and balanced
            assert remit.total_payment == sum(c.paid for c in remit.claims)
            for c in remit.claims:
                line_cas = sum(a.amount for s in c.services for a in s.adjustments)
                assert c.charge - line_cas - sum(a.amount for a in c.adjustments) == c.paid


def test_disbursement_equals_payer_paid_minus_admin_fee(loop):
    summary, eras, _, rec, tmp = loop
    config = load_config(FIX / "nle.toml")
    paid_by_payer = {}
    for ic, era in zip(summary["interchanges"], eras):
        paid_by_payer[ic["payer"]] = sum(r.total_payment for r in parse_835_file(era))
    rows = list(csv.DictReader(open(tmp / "rep" / "disbursement.csv")))
    for payer, paid in paid_by_payer.items():
        mine = [r for r in rows if r["payer"] == payer]
        assert sum(D(r["paid"]) for r in mine) == paid
        owed = sum(D(r["owed"]) for r in mine)
        fee = paid * config.payers[payer].admin_fee_percent / 100
        # the fee is rounded to cents once per CBO
        assert abs(paid - owed - fee) <= D("0.01") * len(mine)
        assert owed + sum(D(r["admin_fee"]) for r in mine) == paid


def test_denials_report_names_reasons(loop):
    *_, tmp = loop
    rows = list(csv.DictReader(open(tmp / "rep" / "denials.csv")))
    assert rows, "the rules produce CO-45 reductions at least"
    assert all(r["description"] for r in rows if r["reason"] in ("45", "119", "3"))
