"""Encounters on both ledgers: the ledger records which claims were sent as encounters (and a
ledger made before it did gets the column), and reconcile takes an encounter's $0 as accepted."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest

from reconcile_support import BACKENDS, CONFIG, FIVE_ROWS, bill, claim_of, open_backend, remit, svc, write_rows
from sdohedi import reconcile as rec
from sdohedi.ledger import open_ledger
from sdohedi.models.remit import ClaimPayment

LAKESIDE = [dict(r, payer="lakeside", modifiers="") for r in FIVE_ROWS[:2]]  # one claim: S5170 x 4 + x 2 = 60.00


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_ledger_from_before_submission_is_upgraded(kind, request, tmp_path):
    """Its claims are claims (the default); billing and reconciling go on as before."""
    if kind == "sqlite":
        spec = str(tmp_path / "old.sqlite")
    else:
        spec = request.getfixturevalue("pg_server").new_database("e" + uuid.uuid4().hex[:12])
    with open_ledger(spec) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS[:2]), tmp_path / "out")
        lg.execute("ALTER TABLE claims DROP COLUMN submission")  # the table as sdohedi made it before
    with open_ledger(spec) as lg:
        lg.create_tables()  # again: nothing more to do
        assert lg.execute("SELECT submission FROM claims").fetchall() == [("claim",)]
        bill(lg, write_rows(tmp_path / "lake.csv", [dict(r, service_id="L" + r["service_id"]) for r in LAKESIDE]),
             tmp_path / "out2")
        assert sorted(lg.execute("SELECT payer_key, submission FROM claims").fetchall()) == [
            ("cascade", "claim"), ("lakeside", "encounter")]


def _capitated(claim_id: str, sids: list[str], status: str = "1") -> ClaimPayment:
    lines = [svc(sids[0], "S5170", "40.00", "0", [("CO", "24", "40.00")]),
             svc(sids[1], "S5170", "20.00", "0", [("CO", "24", "20.00")])]
    return ClaimPayment(claim_id=claim_id, status_code=status, charge=D("60.00"), paid=D("0"), services=lines)


@pytest.mark.parametrize("kind", BACKENDS)
def test_an_encounter_paid_0_is_accepted_and_a_claim_paid_0_is_denied(kind, request, tmp_path):
    lg = open_backend(kind, request, tmp_path)
    with lg:
        bill(lg, write_rows(tmp_path / "lake.csv", LAKESIDE), tmp_path / "out")
        bill(lg, write_rows(tmp_path / "casc.csv", [dict(r, service_id="C" + r["service_id"]) for r in FIVE_ROWS[:2]]),
             tmp_path / "out2")
        enc, plain = claim_of(lg, "A1"), claim_of(lg, "CA1")
        result = rec.apply_remittance(lg, remit("T1", "0", [_capitated(enc, ["A1", "A2"]),
                                                            _capitated(plain, ["CA1", "CA2"])]))
        assert dict(result.outcomes) == {"encounter accepted": 1, "denied": 1}
        statuses = dict(lg.execute("SELECT claim_id, status FROM claims").fetchall())
        assert statuses == {enc: "encounter accepted", plain: "denied"}
        lines = dict(lg.execute("SELECT service_id, status FROM claim_lines").fetchall())
        assert lines == {"A1": "encounter accepted", "A2": "encounter accepted", "CA1": "denied", "CA2": "denied"}
        # only the claim's CO-24 is a denial: 60.00 over its two lines
        assert rec.denials(lg) == [{"group": "CO", "reason": "24", "description": rec.denials(lg)[0]["description"],
                                    "count": 2, "amount": "60.00"}]
        assert rec.outstanding(lg) == []
        assert {(d["payer"], d["paid"]) for d in rec.disbursement(lg, CONFIG)} == {("lakeside", "0.00"),
                                                                                  ("cascade", "0.00")}
        # an encounter the payer denies (CLP02 4) is a denial
        denied = rec.apply_remittance(lg, remit("T2", "0", [_capitated(enc, ["A1", "A2"], status="4")]))
        assert dict(denied.outcomes) == {"denied": 1}
        assert dict(lg.execute("SELECT claim_id, status FROM claims").fetchall())[enc] == "denied"
        assert rec.denials(lg)[0]["count"] == 4


def test_an_encounter_line_paid_0_on_an_encounter_paid_in_part_is_no_denial(tmp_path, request):
    lg = open_backend("sqlite", request, tmp_path)
    with lg:
        bill(lg, write_rows(tmp_path / "lake.csv", LAKESIDE), tmp_path / "out")
        enc = claim_of(lg, "A1")
        part = ClaimPayment(claim_id=enc, status_code="1", charge=D("60.00"), paid=D("20.00"), services=[
            svc("A1", "S5170", "40.00", "0", [("CO", "24", "40.00")]), svc("A2", "S5170", "20.00", "20.00")])
        rec.apply_remittance(lg, remit("T1", "20.00", [part]))
        assert dict(lg.execute("SELECT service_id, status FROM claim_lines").fetchall()) == {
            "A1": "encounter accepted", "A2": "paid"}
        assert rec.denials(lg) == []
