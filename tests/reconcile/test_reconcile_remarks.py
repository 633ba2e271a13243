"""Remark codes (RARC: a line's LQ*HE, a claim's MOA) are kept in the ledger as remittances are
applied, on either backend, with the CAS amounts they stand beside; a ledger made before they were
kept gets the column when opened for writing."""

from __future__ import annotations

import sqlite3
from decimal import Decimal as D

import pytest

from reconcile_support import BACKENDS, FIVE_ROWS, bill, claim_of, open_backend, remit, svc, write_rows
from sdohedi import reconcile as rec
from sdohedi.ledger import Ledger
from sdohedi.models.remit import ClaimPayment, OutpatientAdjudication, Remark


@pytest.mark.parametrize("kind", BACKENDS)
def test_remarks_are_kept_with_their_amounts(kind, request, tmp_path):
    with open_backend(kind, request, tmp_path) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
        a, b = claim_of(lg, "A1"), claim_of(lg, "B1")
        line = svc("A1", "S5170", "41.00", "30.00", [("CO", "119", "11.00")]).model_copy(
            update={"remarks": [Remark(qualifier="HE", code="N130"), Remark(qualifier="RX", code="75")]})  # RX: no RARC
        rec.apply_remittance(lg, remit("EFT7001", "100.50", [
            ClaimPayment(claim_id=a, status_code="1", charge=D("61.50"), paid=D("50.50"),
                         services=[line, svc("A2", "S5170", "20.50", "20.50")]),
            # a claim's MOA remarks count all of its CAS amounts (its lines' here)
            ClaimPayment(claim_id=b, status_code="1", charge=D("56.00"), paid=D("50.00"),
                         outpatient=OutpatientAdjudication(remark_codes=["MA01", "N381"]),
                         services=[svc("B1", "T2003", "56.00", "50.00", [("CO", "45", "6.00")])]),
        ]))
        rows = sorted(rec.remark_rows(lg))
    assert rows == sorted([(a, "N130", D("11.00")), (b, "MA01", D("6.00")), (b, "N381", D("6.00"))])


def test_an_old_ledger_gets_the_remarks_column(tmp_path):
    path = tmp_path / "old.sqlite"
    with Ledger(path):
        pass
    with sqlite3.connect(path) as db:
        for table in ("claim_payments", "line_payments"):
            db.execute(f"ALTER TABLE {table} DROP COLUMN remarks")
    with Ledger(path, readonly=True) as lg:  # read only: left as it is
        assert "remarks" not in {r[1] for r in lg.execute("PRAGMA table_info(line_payments)")}
    with Ledger(path) as lg:
        for table in ("claim_payments", "line_payments"):
            assert "remarks" in {r[1] for r in lg.execute(f"PRAGMA table_info({table})")}, table
        assert list(rec.remark_rows(lg)) == []
