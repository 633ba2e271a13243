"""The Spark encode engine against the local one: the same bytes, rejects and ledger rows for
the same shuffled multi-file input; control numbers unique across partitions, runs and retried
tasks (a retried task rewrites the same bytes)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sdohedi.ledger import Ledger, open_ledger
from sdohedi.models.config import load_config
from sdohedi.pipeline.encode import encode
from sdohedi.x12 import iter_segments

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "fixtures" / "nle.toml")
TODAY = dt.date(2026, 11, 1)
STAMP = dt.datetime(2026, 11, 1, 9, 30)
MAX_LINES = 150


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> list[Path]:
    """~1,200 generated rows (with every kind of bad row), shuffled into three files of two
    formats, plus a service_id repeated across files."""
    tmp = tmp_path_factory.mktemp("logs")
    subprocess.run([sys.executable, str(ROOT / "fixtures" / "make_service_log.py"), "--rows", "1200", "--seed", "7",
                    "--out", str(tmp / "all.csv")], check=True)
    with open(tmp / "all.csv", newline="") as f:
        reader = csv.DictReader(f)
        columns, rows = reader.fieldnames, list(reader)
    random.Random(11).shuffle(rows)
    parts = [rows[:500], rows[500:900], rows[900:] + [dict(rows[3])]]
    paths = [tmp / "a.csv", tmp / "b.jsonl", tmp / "c.csv"]
    for path, part in zip(paths, parts):
        with open(path, "w", newline="") as f:
            if path.suffix == ".jsonl":
                f.writelines(json.dumps(r) + "\n" for r in part)
            else:
                w = csv.DictWriter(f, fieldnames=columns)
                w.writeheader()
                w.writerows(part)
    return paths


def _table(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(sql).fetchall(), key=repr)


@pytest.fixture(scope="module")
def parity(spark, logs, tmp_path_factory):
    from sdohedi.spark import encode_837p, read_service_logs

    tmp = tmp_path_factory.mktemp("parity")
    with Ledger(tmp / "local.sqlite") as ledger:
        local = encode(logs, CONFIG, out_dir=tmp / "local", ledger=ledger, today=TODAY, timestamp=STAMP,
                       max_lines_per_file=MAX_LINES)
    with Ledger(tmp / "spark.sqlite") as ledger:
        got = encode_837p(read_service_logs(spark, logs), str(tmp / "spark"), CONFIG, ledger, today=TODAY,
                          timestamp=STAMP, max_lines_per_file=MAX_LINES)
    return tmp, local, got


def test_same_files_byte_for_byte(parity):
    tmp, local, got = parity
    assert len(local.outputs) >= 6  # several units per payer: several partitions wrote them
    assert sorted(os.listdir(tmp / "spark")) == sorted(os.listdir(tmp / "local"))  # no staging or temp left
    for a, b in zip(local.outputs, got.outputs, strict=True):
        assert Path(a.path).name == Path(b.path).name
        assert Path(a.path).read_bytes() == Path(b.path).read_bytes()
        assert (a.payer, a.claims, a.lines, a.total_charge, a.sha256) == (b.payer, b.claims, b.lines,
                                                                           b.total_charge, b.sha256)
        assert os.stat(b.path).st_mode & 0o777 == 0o600


def test_same_rejects_and_summary(parity):
    tmp, local, got = parity
    assert local.rejected_rows >= 14  # every kind of bad row, the in-file and the cross-file duplicate
    assert got.rows == local.rows and got.billed_rows == local.billed_rows
    assert got.reject_reasons == local.reject_reasons
    ref = (tmp / "local" / "rejects.csv").read_text().splitlines()
    out = (tmp / "spark" / "rejects.csv").read_text().splitlines()
    assert out[0] == ref[0] and sorted(out[1:]) == sorted(ref[1:])
    assert any("b.jsonl" in line for line in out) and any("duplicate service_id in this run" in line for line in out)


def test_same_ledger_rows(parity):
    tmp, _, _ = parity
    queries = [
        "SELECT claim_id, payer_key, cbo_key, member_id, sender_id, isa13, gs06, st02, frequency, replaces,"
        " total_charge, first_service_date, last_service_date FROM claims",
        "SELECT * FROM claim_lines",
        "SELECT sender_id, isa13, receiver_id, gs06, payer_key, sha256, bytes, claims, lines, total_charge"
        " FROM interchanges",
        "SELECT * FROM transactions",
        "SELECT * FROM counters",
    ]
    for q in queries:
        assert _table(tmp / "spark.sqlite", q) == _table(tmp / "local.sqlite", q), q


def test_units_hold_at_most_n_lines_and_one_payer(parity):
    _, _, got = parity
    for o in got.outputs:
        segs = [s.elements for s in iter_segments([Path(o.path).read_bytes()])]
        assert sum(1 for s in segs if s[0] == "SV1") == o.lines <= MAX_LINES
        assert len({s[9] for s in segs if s[0] == "NM1" and s[1] == "PR"}) == 1


def _numbers(paths: list[Path]) -> tuple[list[str], list[str], list[str]]:
    isa, gs, clm = [], [], []
    for p in paths:
        for s in iter_segments([p.read_bytes()]):
            e = s.elements
            if e[0] == "ISA":
                isa.append(e[13])
            elif e[0] == "GS":
                gs.append(e[6])
            elif e[0] == "CLM":
                clm.append(e[1])
    return isa, gs, clm


def test_numbers_unique_across_partitions_runs_and_retried_tasks(spark, logs, tmp_path, request):
    """Every task fails once after writing its file; the retry writes the same bytes. A second run
    on the same ledger refuses what the first billed and shares no control number with it. The
    ledger is PostgreSQL when a server can be started here (as in CI), else SQLite."""
    from sdohedi.spark import encode_837p, read_service_logs

    try:
        url = request.getfixturevalue("pg_server").new_database("spark_retry")
    except pytest.skip.Exception:
        url = str(tmp_path / "ledger.sqlite")
    evidence = tmp_path / "first-attempts"
    evidence.mkdir()

    def fail_first_attempt(unit_id, staged):
        import shutil

        from pyspark import TaskContext

        if TaskContext.get().attemptNumber() == 0:
            if staged:
                shutil.copy(staged, os.path.join(str(evidence), f"{unit_id}.837"))
            raise RuntimeError("injected task failure")

    with open_ledger(url) as ledger:
        first = encode_837p(read_service_logs(spark, logs[:1]), str(tmp_path / "run1"), CONFIG, ledger, today=TODAY,
                            timestamp=STAMP, max_lines_per_file=MAX_LINES, _after_unit=fail_first_attempt)
        second = encode_837p(read_service_logs(spark, logs[:2]), str(tmp_path / "run2"), CONFIG, ledger,
                             today=TODAY, timestamp=STAMP, max_lines_per_file=MAX_LINES)
        recorded = {row[0]: row[1] for row in ledger.db.execute("SELECT path, sha256 FROM interchanges").fetchall()}
    assert len(first.outputs) >= 3
    retried = sorted(evidence.iterdir())
    assert len(retried) == len(first.outputs)
    for k, o in enumerate(first.outputs):  # the retry published the very bytes the failed attempt wrote
        assert (evidence / f"{k}.837").read_bytes() == Path(o.path).read_bytes()
    # the second run bills only the second file's rows: the first file's are in the ledger
    assert "service_id: duplicate-service" in second.reject_reasons
    assert second.billed_rows > 0 and first.billed_rows + second.billed_rows <= 900
    files = [Path(o.path) for o in first.outputs + second.outputs]
    isa, gs, clm = _numbers(files)
    assert len(isa) == len(set(isa)) == len(files)
    assert len(gs) == len(set(gs)) == len(files)
    assert len(clm) == len(set(clm)) == sum(o.claims for o in first.outputs + second.outputs)
    for p in files:
        assert recorded[str(p)] == hashlib.sha256(p.read_bytes()).hexdigest()
    for d in ("run1", "run2"):
        assert not [n for n in os.listdir(tmp_path / d) if n.startswith(".")]


def test_dry_run_writes_nothing_and_counts_like_local(spark, logs, tmp_path):
    from sdohedi.spark import encode_837p, read_service_logs

    local = encode(logs[2:], CONFIG, out_dir=tmp_path / "a", ledger=None, dry_run=True, today=TODAY,
                   max_lines_per_file=MAX_LINES)
    got = encode_837p(read_service_logs(spark, logs[2:]), str(tmp_path / "b"), CONFIG, None, dry_run=True,
                      today=TODAY, max_lines_per_file=MAX_LINES)
    assert not (tmp_path / "b").exists()
    assert [(o.payer, o.claims, o.lines, o.total_charge) for o in got.outputs] == \
        [(o.payer, o.claims, o.lines, o.total_charge) for o in local.outputs]
    assert got.reject_reasons == local.reject_reasons


def test_cli_engine_spark(spark, logs, tmp_path):
    from click.testing import CliRunner

    from sdohedi.cli import main

    result = CliRunner().invoke(main, ["encode", *map(str, logs), "--config", str(ROOT / "fixtures" / "nle.toml"),
                                       "--out", str(tmp_path / "out"), "--ledger", str(tmp_path / "l.sqlite"),
                                       "--engine", "spark", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output  # the planted bad rows
    summary = json.loads(result.output)
    assert summary["billed_rows"] > 1000 and len(summary["interchanges"]) == 2  # 100,000 lines per file
    assert (tmp_path / "out" / "rejects.csv").exists()
    missing = CliRunner().invoke(main, ["encode", str(tmp_path / "nope.csv"), "--config",
                                        str(ROOT / "fixtures" / "nle.toml"), "--out", str(tmp_path / "o2"),
                                        "--ledger", str(tmp_path / "l.sqlite"), "--engine", "spark"])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_resubmit_matches_local(spark, logs, tmp_path):
    """Replacement claims (frequency 7, REF*F8 from the ledger) and 'no payer claim number'
    rejects: the same on both engines, from copies of one ledger."""
    import shutil

    from sdohedi.spark import encode_837p, read_service_logs

    with Ledger(tmp_path / "a.sqlite") as ledger:
        encode(logs[2:], CONFIG, out_dir=tmp_path / "first", ledger=ledger, today=TODAY, timestamp=STAMP)
        # the payer answered for the odd-numbered claims only: the others cannot be replaced yet
        ledger.db.execute("UPDATE claims SET payer_claim_number = 'ICN' || claim_id"
                          " WHERE CAST(substr(claim_id, 2) AS INTEGER) % 2 = 1")
    shutil.copy(tmp_path / "a.sqlite", tmp_path / "b.sqlite")
    with Ledger(tmp_path / "a.sqlite") as ledger:
        local = encode(logs[2:], CONFIG, out_dir=tmp_path / "local", ledger=ledger, today=TODAY, timestamp=STAMP,
                       resubmit=True, max_lines_per_file=MAX_LINES)
    with Ledger(tmp_path / "b.sqlite") as ledger:
        got = encode_837p(read_service_logs(spark, logs[2:]), str(tmp_path / "spark"), CONFIG, ledger, today=TODAY,
                          timestamp=STAMP, resubmit=True, max_lines_per_file=MAX_LINES)
    assert "service_id: no-payer-claim-number" in local.reject_reasons and local.billed_rows > 0
    assert got.reject_reasons == local.reject_reasons
    for a, b in zip(local.outputs, got.outputs, strict=True):
        assert Path(a.path).read_bytes() == Path(b.path).read_bytes()
    assert b"REF*F8*ICN" in Path(got.outputs[0].path).read_bytes()
    for q in ("SELECT service_id, claim_id FROM line_history", "SELECT claim_id, frequency, replaces FROM claims",
              "SELECT service_id, claim_id, status FROM claim_lines"):
        assert sorted(_table(tmp_path / "b.sqlite", q), key=repr) == sorted(_table(tmp_path / "a.sqlite", q),
                                                                             key=repr), q
