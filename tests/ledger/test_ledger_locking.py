"""The ledger under contention: a writer waits for another's transaction (SQLite's busy timeout,
PostgreSQL's billing lock), and what the database refuses comes out as one-line ``LedgerError``s."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from sdohedi.ledger import Ledger, LedgerError, open_ledger

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
CLI = [sys.executable, "-c", "import sys; from sdohedi.cli import main; sys.exit(main())"]
CLAIM = ("H1", "cascade", "meals", "M", "S", 1, 1, "0001", "1", None, "1", "2026-01-01", "2026-01-01")
LINE = ("SV1", "H1", 1, "meals", "S5170", "", "1", "1", "2026-01-01")


def hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Another connection holds SQLite's write lock (BEGIN IMMEDIATE) for ``seconds``."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("BEGIN IMMEDIATE")

    def release():
        time.sleep(seconds)
        db.execute("ROLLBACK")
        db.close()

    t = threading.Thread(target=release)
    t.start()
    return t


def test_encode_waits_for_another_runs_lock_then_bills(tmp_path):
    ledger = tmp_path / "l.sqlite"
    Ledger(ledger).close()
    holder = hold_write_lock(ledger, 2.0)
    start = time.monotonic()
    proc = subprocess.run(CLI + ["encode", str(FIX / "service_log.csv"), "--config", str(FIX / "nle.toml"),
                                 "--out", str(tmp_path / "out"), "--ledger", str(ledger)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    holder.join()
    assert time.monotonic() - start >= 2.0  # it waited for the lock rather than failing
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr  # the fixture's bad rows
    assert list((tmp_path / "out").glob("*.837"))
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT COUNT(*) FROM claim_lines").fetchone()[0] > 0


def test_lock_held_past_the_busy_timeout_is_one_line_ledger_error(tmp_path):
    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    holder = hold_write_lock(path, 1.0)
    with Ledger(path, busy_timeout=0.1) as ledger:
        with pytest.raises(LedgerError) as exc:
            ledger.reserve("isa13:X")
        holder.join()
        assert "still locked by another run" in str(exc.value) and "\n" not in str(exc.value)
        assert exc.value.__cause__ is None and exc.value.__suppress_context__
        assert ledger.reserve("isa13:X") == range(1, 2)  # nothing was taken by the failed attempt


def _double_bill(ledger) -> LedgerError:
    with ledger.transaction():
        ledger.record_claims([CLAIM], [LINE])
    with pytest.raises(LedgerError) as exc, ledger.transaction():
        ledger.record_claims([CLAIM[:1] + ("summit",) + CLAIM[2:]], [LINE])
    return exc.value


def test_sqlite_constraint_is_a_ledger_error_naming_no_value(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        err = _double_bill(ledger)
        assert "\n" not in str(err) and "SV1" not in str(err) and "H1" not in str(err)
        assert ledger.billed(["SV1"]) == {"SV1": "H1"}  # the first stands, the second rolled back


def test_postgres_constraint_is_a_ledger_error_naming_no_value(pg_server):
    url = pg_server.new_database("k" + uuid.uuid4().hex[:12])
    with open_ledger(url) as ledger:
        err = _double_bill(ledger)
        assert "\n" not in str(err) and "SV1" not in str(err) and "H1" not in str(err)
        assert "127.0.0.1" not in str(err)  # nor the URL
        assert ledger.billed(["SV1"]) == {"SV1": "H1"}


def _bill_under_lock(url: str, hold: float, started) -> None:
    with open_ledger(url) as ledger, ledger.transaction():
        ledger.lock_billing()
        started.set()
        time.sleep(hold)
        ledger.record_claims([CLAIM], [LINE])


def test_postgres_billing_lock_makes_the_second_run_wait(pg_server):
    url = pg_server.new_database("k" + uuid.uuid4().hex[:12])
    open_ledger(url).close()
    started = threading.Event()
    first = threading.Thread(target=_bill_under_lock, args=(url, 1.5, started))
    first.start()
    assert started.wait(60)
    begin = time.monotonic()
    with open_ledger(url) as ledger, ledger.transaction():
        ledger.lock_billing()  # waits until the first commits
        assert time.monotonic() - begin >= 1.0
        assert ledger.billed(["SV1"]) == {"SV1": "H1"}  # so the first's lines are seen, not raced
    first.join()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_statement_outside_a_transaction_fails_as_a_ledger_error(backend, tmp_path, request):
    """encode's admission check (``billed``) runs outside a transaction: its failures are LedgerErrors too."""
    if backend == "sqlite":
        ledger = Ledger(tmp_path / "l.sqlite")
    else:
        ledger = open_ledger(request.getfixturevalue("pg_server").new_database("k" + uuid.uuid4().hex[:12]))
    with ledger:
        with pytest.raises(LedgerError) as exc:
            ledger.execute("SELECT service_id FROM no_such_table")
        assert "\n" not in str(exc.value)
        with pytest.raises(LedgerError):
            ledger.executemany("INSERT INTO no_such_table VALUES (?)", [("x",)])
        assert ledger.billed(["A"]) == {}  # and the ledger goes on working
