"""The encode side of the ledger, written once (``sdohedi.ledger.BaseLedger``): the same control
numbers and the same rows on a SQLite and a PostgreSQL ledger."""

from __future__ import annotations

import dataclasses
import uuid
import datetime as dt
from pathlib import Path

import pytest

from reconcile_support import BACKENDS, FIVE_ROWS, bill, claim_of, open_backend, write_rows
from sdohedi.ledger import POSTGRESQL, SQLITE

STAMP = dt.datetime(2026, 11, 1, 9, 30)
# the clock's columns, and paths (each backend bills into its own folder)
VARYING = {"created_at", "updated_at", "replaced_at", "path"}


@pytest.mark.parametrize("kind", BACKENDS)
def test_control_numbers(kind, request, tmp_path):
    with open_backend(kind, request, tmp_path) as lg:
        assert lg.reserve("gs06:X", 5) == range(1, 6)
        # asked for out of name order (taken in name order): answered in the order asked
        assert lg.reserve_many([("isa13:X", 2, 999), ("gs06:X", 1, 999)]) == [range(1, 3), range(6, 7)]
        with pytest.raises(OverflowError):
            lg.reserve_many([("gs06:X", 1, 999), ("isa13:X", 10, 5)])
        # all or nothing: gs06:X was not taken by the failed call
        assert lg.reserve_many([("gs06:X", 1, 999), ("isa13:X", 1, 999)]) == [range(7, 8), range(3, 4)]
        with pytest.raises(OverflowError):
            lg.reserve("claim_id", 3, maximum=2)
        assert lg.reserve("claim_id") == range(4, 5)  # a single reservation that overflowed stays burned


def _rows(lg, table: str) -> list[tuple]:
    cur = lg.execute(f"SELECT * FROM {table}")
    keep = [i for i, d in enumerate(cur.description) if d[0] not in VARYING]
    return sorted(tuple(r[i] for i in keep) for r in cur.fetchall())


def test_encode_records_the_same_rows_on_both_backends(request, tmp_path):
    """Billing, then billing again (duplicates refused), then resubmitting a claim with a payer claim number."""
    seen = {}
    for kind in BACKENDS:
        tmp = tmp_path / kind
        tmp.mkdir()
        with open_backend(kind, request, tmp) as lg:
            log = write_rows(tmp / "log.csv", FIVE_ROWS)
            first = bill(lg, log, tmp / "out", timestamp=STAMP)
            twice = bill(lg, log, tmp / "out2", timestamp=STAMP)
            a = claim_of(lg, "A1")
            lg.execute("UPDATE claims SET payer_claim_number = ? WHERE claim_id = ?", ("ICN-A", a))
            again = bill(lg, log, tmp / "out3", timestamp=STAMP, resubmit=True)
            claim = {k: v for k, v in lg.claim(claim_of(lg, "A1")).items() if k not in VARYING}
            seen[kind] = {
                "bills": [(b.billed_rows, b.rejected_rows) for b in (first, twice, again)],
                "files": [Path(o.path).read_bytes() for b in (first, again) for o in b.outputs],
                "billed": lg.billed(["A1", "B1", "NOPE"]),
                "claim": claim,
                "rows": {t: _rows(lg, t) for t in ("counters", "interchanges", "transactions", "claims",
                                                   "claim_lines", "line_history")},
            }
    sqlite, pg = seen["sqlite"], seen["postgresql"]
    for key in sqlite:
        assert pg[key] == sqlite[key], key
    assert sqlite["bills"] == [(5, 0), (0, 5), (2, 3)]
    assert sqlite["claim"]["frequency"] == "7" and sqlite["claim"]["replaces"] == sqlite["rows"]["line_history"][0][1]
    assert len(sqlite["rows"]["interchanges"]) == len(sqlite["files"]) == 2
    assert sqlite["billed"]["A1"] == sqlite["claim"]["claim_id"] and "NOPE" not in sqlite["billed"]


def test_where_in_chunks_for_each_backend():
    values = ["a", "b", "c"]
    assert list(dataclasses.replace(SQLITE, in_chunk=2).where_in("x", values)) == [
        ("x IN (?,?)", ("a", "b")), ("x IN (?)", ("c",))]
    assert list(dataclasses.replace(POSTGRESQL, in_chunk=2).where_in("x", iter(values))) == [
        ("x = ANY(?)", (["a", "b"],)), ("x = ANY(?)", (["c"],))]
    assert list(SQLITE.where_in("x", [])) == [] and SQLITE.in_chunk <= 999  # SQLite's oldest limit on ?s


# reconcile's tables as sdohedi made them before remittances were keyed by content
RECONCILE_V1 = """
CREATE TABLE remittances (
    trace_payer_id TEXT NOT NULL, trace_number TEXT NOT NULL, isa13 TEXT NOT NULL, st02 TEXT NOT NULL,
    payer_id TEXT, payment_date TEXT, total_payment TEXT NOT NULL, source TEXT, applied_at TEXT NOT NULL,
    PRIMARY KEY (trace_payer_id, trace_number));
CREATE TABLE claim_payments (
    trace_payer_id TEXT NOT NULL, trace_number TEXT NOT NULL, seq INTEGER NOT NULL, claim_id TEXT NOT NULL,
    matched INTEGER NOT NULL, status_code TEXT NOT NULL, outcome TEXT NOT NULL, charge TEXT NOT NULL,
    paid TEXT NOT NULL, patient_responsibility TEXT NOT NULL, payer_claim_number TEXT, adjustments TEXT NOT NULL,
    PRIMARY KEY (trace_payer_id, trace_number, seq));
CREATE TABLE line_payments (
    trace_payer_id TEXT NOT NULL, trace_number TEXT NOT NULL, claim_seq INTEGER NOT NULL, line_seq INTEGER NOT NULL,
    claim_id TEXT NOT NULL, service_id TEXT, matched INTEGER NOT NULL, procedure_code TEXT NOT NULL,
    charge TEXT NOT NULL, paid TEXT NOT NULL, adjustments TEXT NOT NULL,
    PRIMARY KEY (trace_payer_id, trace_number, claim_seq, line_seq));
CREATE INDEX line_payments_service ON line_payments(service_id);
CREATE TABLE provider_adjustments (
    trace_payer_id TEXT NOT NULL, trace_number TEXT NOT NULL, seq INTEGER NOT NULL, provider_id TEXT,
    reason TEXT NOT NULL, reference_id TEXT, amount TEXT NOT NULL, claim_id TEXT,
    PRIMARY KEY (trace_payer_id, trace_number, seq));
"""


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_ledger_from_before_content_keys_is_upgraded(kind, request, tmp_path):
    """Its remittances, payments and PLBs are kept (and count in the reports); the same 835 applied
    again is still already applied."""
    from reconcile_support import CONFIG, remit, svc
    from sdohedi import reconcile as rec
    from sdohedi.ledger import open_ledger
    from sdohedi.models.remit import ClaimPayment
    from decimal import Decimal as D

    if kind == "sqlite":
        spec = str(tmp_path / "old.sqlite")
    else:
        spec = request.getfixturevalue("pg_server").new_database("u" + uuid.uuid4().hex[:12])
    with open_ledger(spec) as lg:
        bill(lg, write_rows(tmp_path / "log.csv", FIVE_ROWS), tmp_path / "out")
        a = claim_of(lg, "A1")
        with lg.transaction():
            for table in ("remittances", "claim_payments", "line_payments", "provider_adjustments"):
                lg.execute(f"DROP TABLE {table}")
            for statement in RECONCILE_V1.split(";"):
                if statement.strip():
                    lg.execute(statement)
            lg.execute("INSERT INTO remittances VALUES ('1930000000', 'EFT1', '000000900', '0001', NULL,"
                       " '2026-10-20', '60.00', 'old.835', '2026-10-21T00:00:00+00:00')")
            lg.execute("INSERT INTO claim_payments VALUES ('1930000000', 'EFT1', 1, ?, 1, '1', 'paid', '61.50',"
                       " '61.50', '0', NULL, '[]')", (a,))
            lg.execute("INSERT INTO line_payments VALUES ('1930000000', 'EFT1', 1, 1, ?, 'A1', 1, 'S5170', '41.00',"
                       " '41.00', '[]')", (a,))
            lg.execute("INSERT INTO provider_adjustments VALUES ('1930000000', 'EFT1', 1, '1234567893', 'L6', NULL,"
                       " '-1.50', NULL)")
    with open_ledger(spec) as lg:
        lg.create_tables()  # again: nothing more to do
        indexes = ("SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
                   if kind == "sqlite" else "SELECT tablename, indexname FROM pg_indexes WHERE indexname NOT LIKE '%pkey'")
        assert {("line_payments", "line_payments_service")} <= set(
            lg.execute(indexes).fetchall())
        assert lg.execute("SELECT remittance_key, trace_number, claims_paid FROM remittances").fetchall() == [
            ("trace:1930000000:EFT1", "EFT1", None)]
        assert lg.execute("SELECT remittance_key, seq, paid FROM claim_payments").fetchall() == [
            ("trace:1930000000:EFT1", 1, "61.50")]
        meals = {o["cbo"]: o for o in rec.disbursement(lg, CONFIG)}["meals"]
        assert (meals["paid"], meals["claim_level"]) == ("61.50", "20.50")
        assert rec.network_adjustments(lg) == [{"reason": "L6", "reference_id": "", "amount": "-1.50"}]
        assert rec.unmatched(lg) == []  # BPR02's balance is not known for it
        again = rec.apply_remittance(lg, remit("EFT1", "61.50", [ClaimPayment(
            claim_id=a, status_code="1", charge=D("61.50"), paid=D("61.50"),
            services=[svc("A1", "S5170", "41", "41")])]))
        assert (again.applied, again.already_applied) == (0, 1)
