"""The ledger's bulk write path: PostgreSQL loads claims and lines with COPY into the same tables,
and the billing transaction checks its lines again exactly when another run committed since
they were first checked (SQLite's data_version says so; PostgreSQL always checks)."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import pytest

from sdohedi.ledger import Ledger, LedgerError, open_ledger
from sdohedi.models.config import load_config
from sdohedi.pipeline.encode import encode

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "fixtures" / "nle.toml")
LOG = ROOT / "fixtures" / "service_log.csv"
TODAY = dt.date(2026, 11, 1)
STAMP = dt.datetime(2026, 11, 1, 9, 30)
LOOKUP = "SELECT l.service_id, l.claim_id FROM json_each("  # billed's statement


def claim(claim_id: str) -> tuple:
    return (claim_id, "cascade", "meals", "M", "S", 1, 1, "0001", "1", None, "10", "2026-01-01", "2026-01-02")


def line(service_id: str, claim_id: str, n: int) -> tuple:
    return (service_id, claim_id, n, "meals", "S5170", "U1", "1", "5", f"2026-01-0{n}", None)


@pytest.fixture
def pg_url(pg_server):
    return pg_server.new_database("b" + uuid.uuid4().hex[:12])


def test_postgres_records_claims_and_lines_with_copy(pg_url, monkeypatch):
    claims = [claim("H2"), claim("H1")]
    lines = [line("SV9", "H2", 1), line("SV3", "H2", 2), line("SV5", "H1", 1)]
    with open_ledger(pg_url) as ledger:
        def no_row_by_row(sql, rows):
            raise AssertionError(f"row-by-row statement in the bulk path: {sql[:40]}")

        monkeypatch.setattr(ledger, "executemany", no_row_by_row)
        with ledger.transaction():
            ledger.record_claims(claims, lines)
        got_claims = ledger.execute("SELECT claim_id, payer_key, cbo_key, member_id, sender_id, isa13, gs06, st02,"
                                    " frequency, replaces, total_charge, first_service_date, last_service_date,"
                                    " submission, status FROM claims").fetchall()
        got_lines = ledger.execute("SELECT service_id, claim_id, line_number, cbo_key, procedure_code, modifiers,"
                                   " units, charge, service_date, prior_auth, paid, status FROM claim_lines").fetchall()
    assert sorted(got_claims) == sorted(c + ("claim", "submitted") for c in claims)
    assert sorted(got_lines) == sorted(ln + ("0", "submitted") for ln in lines)


def test_postgres_copy_of_a_billed_line_fails_whole_and_names_no_value(pg_url):
    with open_ledger(pg_url) as ledger:
        with ledger.transaction():
            ledger.record_claims([claim("H1")], [line("SV-SECRET-1", "H1", 1)])
        with pytest.raises(LedgerError) as err, ledger.transaction():
            ledger.record_claims([claim("H2")], [line("SV-NEW", "H2", 1), line("SV-SECRET-1", "H2", 2)])
        assert "SV-SECRET" not in str(err.value) and "\n" not in str(err.value)
        assert ledger.billed(["SV-NEW", "SV-SECRET-1", "SV-OTHER"]) == {"SV-SECRET-1": "H1"}
        assert ledger.claim("H2") is None


def test_postgres_lookups_are_planned_afresh_never_prepared(pg_url):
    """A prepared lookup's generic plan, made on an empty table, would stay in use as the billing
    transaction grows the table (a seq scan against every id): no statement is ever prepared."""
    with open_ledger(pg_url) as ledger:
        for _ in range(8):  # psycopg prepares a statement on its 5th run by default
            ledger.billed(["SV1", "SV2"])
        with ledger.transaction():
            ledger.record_claims([claim("H1")], [line("SV1", "H1", 1)])
            assert ledger.billed(["SV1", "SV2"]) == {"SV1": "H1"}
        assert ledger.execute("SELECT COUNT(*) FROM pg_prepared_statements").fetchone() == (0,)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_billed_finds_each_billed_id_once_in_bulk(backend, tmp_path, request):
    spec = tmp_path / "l.sqlite" if backend == "sqlite" else request.getfixturevalue("pg_url")
    ids = [f"SV{i:05d}" for i in range(12_000)]  # more than one chunk of either backend
    with open_ledger(spec) as ledger:
        with ledger.transaction():
            ledger.record_claims([claim("H1")], [line(sid, "H1", 1) for sid in ids[::3]])
        asked = ids[::-1] + ids[:50] + ["nope"]  # any order, repeats, unbilled
        assert ledger.billed(asked) == {sid: "H1" for sid in ids[::3]}
        assert ledger.billed([]) == {}


def _log_ids() -> list[str]:
    with open(LOG, newline="") as f:
        return [row["service_id"] for row in csv.DictReader(f)]


def _encode(ledger, out: Path):
    return encode([LOG], CONFIG, out_dir=out, ledger=ledger, today=TODAY, timestamp=STAMP)


def test_lines_another_run_billed_after_the_check_are_rejected_inside_the_transaction(tmp_path, monkeypatch):
    """Another connection bills every line of the log between encode's first check and its billing
    transaction: none is billed twice, each is counted as billed concurrently, no file is written."""
    with Ledger(tmp_path / "clean.sqlite") as clean:
        billable = _encode(clean, tmp_path / "clean").billed_rows
    assert billable > 0
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        reserve = ledger.reserve

        def reserve_after_another_run(*args, **kwargs):
            if not getattr(ledger, "_raced", False):
                ledger._raced = True
                with Ledger(path) as other, other.transaction():
                    other.record_claims([claim("OTHER1")], [line(sid, "OTHER1", 1) for sid in set(_log_ids())])
            return reserve(*args, **kwargs)

        monkeypatch.setattr(ledger, "reserve", reserve_after_another_run)
        summary = _encode(ledger, tmp_path / "out")
    assert summary.billed_rows == 0 and summary.billed_concurrently == billable
    assert not list((tmp_path / "out").glob("*.837"))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(DISTINCT claim_id) FROM claim_lines").fetchone() == (1,)


def test_billing_transaction_skips_the_second_check_when_no_other_run_committed(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        statements: list[str] = []
        ledger.db.set_trace_callback(statements.append)
        summary = _encode(ledger, tmp_path / "out")
        ledger.db.set_trace_callback(None)
    assert summary.billed_rows > 0 and summary.billed_concurrently == 0
    begins = [i for i, s in enumerate(statements) if s.startswith("BEGIN IMMEDIATE")]
    first_check = next(i for i, s in enumerate(statements) if s.startswith(LOOKUP))
    assert first_check < begins[0]  # lines were checked once, before any billing transaction
    assert not [s for s in statements[begins[0]:] if s.startswith(LOOKUP)]


def test_postgres_billing_transaction_always_checks_again(pg_url, tmp_path):
    """PostgreSQL cannot tell whether another run committed: its billing transaction checks again."""
    with open_ledger(pg_url) as ledger:
        asked_in_transaction = []
        billed = ledger.billed

        def spy(ids):
            ids = list(ids)
            if ledger.db.info.transaction_status != 0:  # inside a transaction
                asked_in_transaction.extend(ids)
            return billed(ids)

        ledger.billed = spy
        summary = _encode(ledger, tmp_path / "out")
    assert summary.billed_rows > 0 and len(asked_in_transaction) >= summary.billed_rows
