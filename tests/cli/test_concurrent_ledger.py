"""Several ``sdohedi`` processes on one ledger at once (SQLite and PostgreSQL): no traceback, the
loser of a race says so in one line and exits 1, no line is billed twice, no ISA13 is reused, and
the ledger records exactly the files on disk. Checked against the written files (a plain split)."""

from __future__ import annotations

import csv
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
CLI = [sys.executable, "-c", "import sys; from sdohedi.cli import main; sys.exit(main())"]
RUNS = 3  # processes at once
REPEATS = 3


@pytest.fixture(scope="module")
def big_log(tmp_path_factory) -> Path:
    """10,000 fixture-like rows: long enough that three runs check their lines before any commits."""
    path = tmp_path_factory.mktemp("log") / "log.csv"
    subprocess.run([sys.executable, str(FIX / "make_service_log.py"), "--rows", "10000", "--out", str(path)],
                   check=True, capture_output=True)
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_spec(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    server = request.getfixturevalue("pg_server")
    return server.new_database("c" + uuid.uuid4().hex[:12])


def start(*args) -> subprocess.Popen:
    return subprocess.Popen(CLI + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)


def finish(procs: list[subprocess.Popen]) -> list[tuple[int, str]]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        out.append((p.returncode, stdout + stderr))
    return out


def segments(path: Path) -> list[list[str]]:
    text = path.read_text("ascii")
    element, terminator = text[3], text[105]
    return [s.strip().split(element) for s in text.split(terminator) if s.strip()]


def ledger_rows(spec: str, sql: str) -> list[tuple]:
    if spec.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(spec) as conn:
            return conn.execute(sql).fetchall()
    with sqlite3.connect(spec) as db:
        return db.execute(sql).fetchall()


def billed_in_files(out_dirs: list[Path]) -> tuple[Counter, list[str], dict[str, str]]:
    """(REF*6R service ids, ISA13s, {path: sha256}) of every 837P written, from a plain split."""
    service_ids: Counter = Counter()
    isa13s: list[str] = []
    hashes: dict[str, str] = {}
    for d in out_dirs:
        for f in sorted(d.glob("*.837")):
            segs = segments(f)
            isa13s.append(segs[0][13])
            service_ids.update(s[2] for s in segs if s[0] == "REF" and s[1] == "6R")
            hashes[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return service_ids, isa13s, hashes


def assert_ledger_matches_files(spec: str, out_dirs: list[Path]) -> Counter:
    service_ids, isa13s, hashes = billed_in_files(out_dirs)
    assert service_ids and max(service_ids.values()) == 1, "a line billed twice"
    assert len(isa13s) == len(set(isa13s)), "an ISA13 reused"
    recorded = dict(ledger_rows(spec, "SELECT path, sha256 FROM interchanges"))
    assert recorded == hashes  # every file recorded, no record of a file not written
    lines = [r[0] for r in ledger_rows(spec, "SELECT service_id FROM claim_lines")]
    assert Counter(lines) == service_ids
    return service_ids


def encode_args(log: Path, out: Path, spec: str) -> list:
    return ["encode", log, "--config", FIX / "nle.toml", "--out", out, "--ledger", spec]


@pytest.mark.parametrize("repeat", range(REPEATS))
def test_concurrent_encodes_of_one_log(big_log, ledger_spec, tmp_path, repeat):
    outs = [tmp_path / f"out{i}" for i in range(RUNS)]
    results = finish([start(*encode_args(big_log, out, ledger_spec)) for out in outs])
    for code, text in results:
        assert "Traceback" not in text, text[-2000:]
        assert code == 1, text[-2000:]  # the log's planted bad rows, or lines another run billed
    billed = assert_ledger_matches_files(ledger_spec, outs)
    # every good line billed exactly once, by whichever run; the others refused it as already billed
    for out, (_, text) in zip(outs, results):
        with open(out / "rejects.csv", newline="") as f:
            refused = {r["service_id"] for r in csv.DictReader(f) if "already billed" in r["reason"]}
        mine = set(billed_in_files([out])[0])
        assert mine | refused == set(billed) and not mine & refused, text[-1000:]
        if refused:  # the summary says why, on one line
            assert "billed by another run" in text or "service_id: duplicate" in text, text[-1000:]


def test_concurrent_encodes_and_reconciles(big_log, ledger_spec, tmp_path):
    """Reconciles of the same 835s while other encodes bill: each remittance applied once."""
    first = tmp_path / "first"
    code, text = finish([start(*encode_args(FIX / "service_log.csv", first, ledger_spec))])[0]
    assert code == 1, text
    eras = []
    for n, x837 in enumerate(sorted(first.glob("*.837")), 1):
        payer = x837.name.split("-")[0]
        era = tmp_path / f"{payer}.835"
        code, text = finish([start("adjudicate", x837, "--rules", FIX / f"payer_{payer}.toml", "--out-835", era,
                                   "--out-999", tmp_path / f"{payer}.999", "--control-number", 800 + n,
                                   "--payment-date", "2026-11-15")])[0]
        assert code == 0, text
        eras.append(era)
    paid_in_eras = sum(Decimal(s[4]) for era in eras for s in segments(era) if s[0] == "CLP")
    outs = [tmp_path / f"out{i}" for i in range(2)]
    procs = [start(*encode_args(big_log, out, ledger_spec)) for out in outs]
    procs += [start("reconcile", *eras, "--ledger", ledger_spec, "--config", FIX / "nle.toml", "--reports",
                    tmp_path / f"rep{i}") for i in range(RUNS)]
    results = finish(procs)
    for code, text in results:
        assert "Traceback" not in text, text[-2000:]
        assert code in (0, 1), text[-2000:]
    assert_ledger_matches_files(ledger_spec, [first, *outs])
    paid = sum(Decimal(p) for (p,) in ledger_rows(ledger_spec, "SELECT paid FROM claim_lines"))
    assert paid == paid_in_eras  # applied once, whichever run applied it


def test_killed_encode_leaves_no_837_and_no_record(big_log, ledger_spec, tmp_path):
    """SIGKILL while the first file is being written (numbers reserved): no .837, nothing recorded;
    the next run bills every line with numbers the dead run never used."""
    out = tmp_path / "out"
    proc = start(*encode_args(big_log, out, ledger_spec))
    deadline = time.monotonic() + 300
    while not list(out.glob(".*.837.*.tmp")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    assert proc.poll() is None, "encode finished before its file was seen being written"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not list(out.glob("*.837"))
    assert ledger_rows(ledger_spec, "SELECT COUNT(*) FROM interchanges") == [(0,)]
    assert ledger_rows(ledger_spec, "SELECT COUNT(*) FROM claim_lines") == [(0,)]
    burned = ledger_rows(ledger_spec, "SELECT value FROM counters WHERE name LIKE 'isa13:%'")
    assert burned and burned[0][0] >= 1
    again = tmp_path / "again"
    code, text = finish([start(*encode_args(big_log, again, ledger_spec))])[0]
    assert code == 1 and "Traceback" not in text, text[-2000:]
    _, isa13s, _ = billed_in_files([again])
    assert min(int(n) for n in isa13s) > burned[0][0]
    assert_ledger_matches_files(ledger_spec, [again])
