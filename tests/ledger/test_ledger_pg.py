"""The PostgreSQL ledger against a real server: same behaviour as the SQLite ledger, and
concurrent reservations from several processes never overlap."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import uuid
from pathlib import Path

import pytest

from sdohedi.ledger import Ledger, open_ledger
from sdohedi.models.config import load_config
from sdohedi.pipeline.encode import encode

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "fixtures" / "nle.toml")
LOG = ROOT / "fixtures" / "service_log.csv"
TODAY = dt.date(2026, 11, 1)
STAMP = dt.datetime(2026, 11, 1, 9, 30)


@pytest.fixture
def pg_url(pg_server):
    return pg_server.new_database("t" + uuid.uuid4().hex[:12])


def _reserve_many(url, n, q):
    with open_ledger(url) as ledger:
        got = []
        for i in range(n):
            if i % 3 == 0:
                a, b = ledger.reserve_many([("isa13:X", 1, 999_999_999), ("claim_id", 7, 10**10 - 1)])
                got.append(("isa13:X", list(a)))
                got.append(("claim_id", list(b)))
            else:
                got.append(("isa13:X", list(ledger.reserve("isa13:X"))))
                got.append(("claim_id", list(ledger.reserve("claim_id", 3, maximum=10**10 - 1))))
        q.put(got)


def test_concurrent_reservations_from_several_processes_never_overlap(pg_url):
    open_ledger(pg_url).close()
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_reserve_many, args=(pg_url, 40, q)) for _ in range(4)]
    for p in procs:
        p.start()
    got = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    numbers: dict[str, list[int]] = {"isa13:X": [], "claim_id": []}
    for chunk in got:
        for name, block in chunk:
            numbers[name].extend(block)
    for name, values in numbers.items():
        assert len(values) == len(set(values)), name
        assert sorted(values) == list(range(1, len(values) + 1)), name  # nothing lost either
    assert len(numbers["isa13:X"]) == 160


def test_reserve_many_is_all_or_nothing(pg_url):
    with open_ledger(pg_url) as ledger:
        ledger.reserve("gs06:X", 5)
        with pytest.raises(OverflowError):
            ledger.reserve_many([("gs06:X", 1, 999), ("isa13:X", 10, 5)])
        assert ledger.reserve_many([("gs06:X", 2, 999), ("isa13:X", 1, 999)]) == [range(6, 8), range(1, 2)]


def test_encode_with_postgres_ledger_matches_sqlite_and_refuses_rerun(pg_url, tmp_path):
    with Ledger(tmp_path / "l.sqlite") as sqlite_ledger:
        ref = encode([LOG], CONFIG, out_dir=tmp_path / "sqlite", ledger=sqlite_ledger, today=TODAY, timestamp=STAMP)
    with open_ledger(pg_url) as ledger:
        got = encode([LOG], CONFIG, out_dir=tmp_path / "pg", ledger=ledger, today=TODAY, timestamp=STAMP)
        assert got.billed_rows == ref.billed_rows > 0 and got.rejected_rows == ref.rejected_rows
        for a, b in zip(ref.outputs, got.outputs, strict=True):
            assert Path(a.path).name == Path(b.path).name
            assert Path(a.path).read_bytes() == Path(b.path).read_bytes()
        (n_lines,) = ledger.db.execute("SELECT COUNT(*) FROM claim_lines").fetchone()
        assert n_lines == got.billed_rows
        (n_tx,) = ledger.db.execute("SELECT COUNT(*) FROM transactions").fetchone()
        assert n_tx == len(got.outputs)
        again = encode([LOG], CONFIG, out_dir=tmp_path / "pg2", ledger=ledger, today=TODAY, timestamp=STAMP)
        assert again.billed_rows == 0 and again.rejected_rows == again.rows
        assert "service_id: duplicate-service" in again.reject_reasons


def test_resubmit_replaces_lines_and_keeps_history(pg_url, tmp_path):
    with open_ledger(pg_url) as ledger:
        first = encode([LOG], CONFIG, out_dir=tmp_path / "a", ledger=ledger, today=TODAY, timestamp=STAMP)
        ledger.db.execute("UPDATE claims SET payer_claim_number = 'ICN' || claim_id")
        again = encode([LOG], CONFIG, out_dir=tmp_path / "b", ledger=ledger, today=TODAY, timestamp=STAMP,
                       resubmit=True)
        assert again.billed_rows == first.billed_rows
        (moved,) = ledger.db.execute("SELECT COUNT(*) FROM line_history").fetchone()
        assert moved == first.billed_rows
        (replacing,) = ledger.db.execute("SELECT COUNT(*) FROM claims WHERE frequency = '7'").fetchone()
        assert replacing > 0
        row = ledger.claim(ledger.db.execute("SELECT MIN(claim_id) FROM claims").fetchone()[0])
        assert row["payer_claim_number"].startswith("ICN")


def test_failed_transaction_records_nothing(pg_url):
    with open_ledger(pg_url) as ledger:
        claim = ("H1", "cascade", "meals", "M", "S", 1, 1, "0001", "1", None, "1", "2026-01-01", "2026-01-01")
        line = ("SV1", "H1", 1, "meals", "S5170", "", "1", "1", "2026-01-01")
        with pytest.raises(RuntimeError), ledger.transaction():
            ledger.record_claims([claim], [line])
            raise RuntimeError("boom")
        assert ledger.billed(["SV1"]) == {}
        with ledger.transaction():
            ledger.record_claims([claim], [line])
        assert ledger.billed(["SV1", "SV2"]) == {"SV1": "H1"}


def test_readonly_on_an_empty_database_bills_nothing(pg_url):
    with open_ledger(pg_url, readonly=True) as ledger:
        assert ledger.billed(["A"]) == {} and ledger.claim("H1") is None


def test_cli_encode_with_a_postgres_ledger(pg_url, tmp_path):
    from click.testing import CliRunner

    from sdohedi.cli import main

    args = ["encode", str(LOG), "--config", str(ROOT / "fixtures" / "nle.toml"), "--ledger", pg_url, "--format", "json"]
    first = CliRunner().invoke(main, args + ["--out", str(tmp_path / "a")], catch_exceptions=False)
    again = CliRunner().invoke(main, args + ["--out", str(tmp_path / "b")], catch_exceptions=False)
    assert first.exit_code == 1 and again.exit_code == 1  # the fixture's planted bad rows; then all duplicates
    assert '"billed_rows": 0' in again.output and not list((tmp_path / "b").glob("*.837"))
    with pytest.raises(ValueError):
        Ledger(pg_url)  # the SQLite class never makes a file named like a URL
    bad = CliRunner().invoke(main, args[:-2] + ["--ledger", "postgresql://nobody:secret@127.0.0.1:1/x",
                                                "--out", str(tmp_path / "c")])
    assert bad.exit_code == 2 and "secret" not in bad.output and "PostgreSQL ledger" in bad.output


# -- one schema for both backends ---------------------------------------------------------------

def _columns_sqlite(db) -> dict[str, list[tuple[str, bool]]]:
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    # (name, not null): a PostgreSQL primary key is NOT NULL by itself; SQLite's, for its history, is not
    return {t: [(c[1], bool(c[3] or c[5])) for c in db.execute(f"PRAGMA table_info({t})")] for t in tables}


def test_both_backends_take_their_tables_from_one_definition(pg_url, tmp_path):
    from sdohedi.ledger import POSTGRESQL, SQLITE, TABLES
    from sdohedi.ledger_pg import PG_SCHEMA

    assert PG_SCHEMA == POSTGRESQL.schema() and "BIGINT" in PG_SCHEMA and "BIGINT" not in SQLITE.schema()
    assert SQLITE.schema().startswith(TABLES.format(bigint="INTEGER"))
    with Ledger(tmp_path / "l.sqlite") as lite, open_ledger(pg_url) as pg:
        want = _columns_sqlite(lite.db)
        got: dict[str, list[tuple[str, bool]]] = {}
        for table, column, nullable in pg.execute(
                "SELECT table_name, column_name, is_nullable FROM information_schema.columns"
                " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"):
            got.setdefault(table, []).append((column, nullable == "NO"))
        assert got == want
        assert {"remittances", "claim_payments", "line_payments", "provider_adjustments"} <= set(want)


def test_placeholders_are_adapted_for_postgres(pg_url):
    from sdohedi.ledger import POSTGRESQL, SQLITE

    sql = "SELECT 'a%' || ? WHERE ? LIKE 'x%'"
    assert SQLITE.sql(sql) == sql
    assert POSTGRESQL.sql(sql) == "SELECT 'a%%' || %s WHERE %s LIKE 'x%%'"
    with open_ledger(pg_url) as ledger:
        assert ledger.execute(sql, ("b", "xy")).fetchone() == ("a%b",)
        assert ledger.execute("SELECT 1").fetchone() == (1,)


def test_ledgers_made_before_reconcile_tables_moved_gain_them_and_keep_their_rows(pg_url, tmp_path):
    """A ledger that encode made with the tables of old (no reconcile tables), then reconciled."""
    import sqlite3

    from sdohedi import reconcile as rec
    from sdohedi.ledger import POSTGRESQL, TABLES

    old_sqlite = tmp_path / "old.sqlite"
    with sqlite3.connect(old_sqlite) as db:
        db.executescript(TABLES.format(bigint="INTEGER"))
        db.execute("INSERT INTO counters VALUES ('claim_id', 41)")
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute(TABLES.format(bigint=POSTGRESQL.bigint))
        db.execute("INSERT INTO counters VALUES ('claim_id', 41)")
    for spec in (old_sqlite, pg_url):
        with open_ledger(spec) as ledger:
            assert ledger.reserve("claim_id") == range(42, 43)  # the counter as it was
            assert rec.denials(ledger) == [] and rec.network_adjustments(ledger) == []
            assert ledger.execute("SELECT COUNT(*) FROM remittances").fetchone() == (0,)
