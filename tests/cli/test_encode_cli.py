"""End-to-end: sdohedi encode on the bundled fixtures and on hand-made logs."""

from __future__ import annotations

import csv
import importlib.util
import sqlite3
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyx12_oracle import assert_pyx12_clean
from sdohedi.cli import main
from sdohedi.x12 import iter_segments

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CONFIG = FIXTURES / "nle.toml"

_spec = importlib.util.spec_from_file_location("make_service_log", FIXTURES / "make_service_log.py")
make_service_log = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_service_log)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def segs(path: Path):
    return [s.elements for s in iter_segments([path.read_bytes()])]


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("encode")
    out, ledger = tmp / "outbox", tmp / "ledger.sqlite"
    result = run("encode", FIXTURES / "service_log.csv", "--config", CONFIG, "--out", out, "--ledger", ledger)
    return result, out, ledger


def test_fixture_run_bills_good_rows_and_rejects_bad(fixture_run):
    result, out, _ = fixture_run
    assert result.exit_code == 1, result.output  # some rows rejected
    files = sorted(out.glob("*.837"))
    assert [f.name.split("-")[0] for f in files] == ["cascade", "summit"]
    for f in files:
        assert_pyx12_clean(f.read_bytes())
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    rejects = list(csv.DictReader(open(out / "rejects.csv")))
    assert stat.S_IMODE((out / "rejects.csv").stat().st_mode) == 0o600
    # the generator plants one row per kind of reject, plus one duplicated service_id
    expected = sorted(col for col, _ in make_service_log.bad_rows({"payer": "cascade"})) + ["service_id"]
    assert sorted(r["column"] for r in rejects) == sorted(expected)
    assert not list(out.glob(".*.tmp"))


def test_summary_accounts_for_every_rejected_row(fixture_run):
    """One screen: up to 12 reasons, then the rest in one line; the counts add up to the rejects."""
    result, _, _ = fixture_run
    lines = result.output.splitlines()
    rejected = int(lines[0].split("rejected:")[1].split()[0].replace(",", ""))
    start = lines.index("rejected rows by reason:") + 1
    counts = [int(ln.split()[0].replace(",", "")) for ln in lines[start:] if not ln.startswith("rejects:")]
    assert len(counts) <= 13 and sum(counts) == rejected == 13


def test_every_billed_service_id_once_as_ref6r_and_totals_balance(fixture_run):
    _, out, _ = fixture_run
    rows = list(csv.DictReader(open(FIXTURES / "service_log.csv")))
    rejected = {(int(r["row_number"])) for r in csv.DictReader(open(out / "rejects.csv"))}
    billed = [r["service_id"] for n, r in enumerate(rows, 2) if n not in rejected]
    ref6r, clm_total, line_total = [], Decimal(0), Decimal(0)
    for f in out.glob("*.837"):
        for s in segs(f):
            if s[:2] == ["REF", "6R"]:
                ref6r.append(s[2])
            elif s[0] == "CLM":
                clm_total += Decimal(s[2])
            elif s[0] == "SV1":
                line_total += Decimal(s[2])
    assert sorted(ref6r) == sorted(billed)
    assert clm_total == line_total > 0


def test_claims_have_at_most_fifty_lines_and_unique_clm01(fixture_run):
    _, out, _ = fixture_run
    ids = []
    for f in out.glob("*.837"):
        for s in segs(f):
            if s[0] == "CLM":
                ids.append(s[1])
                assert len(s[1]) <= 17
    assert len(ids) == len(set(ids))


def test_no_phi_on_stdout(fixture_run):
    result, _, _ = fixture_run
    rows = list(csv.DictReader(open(FIXTURES / "service_log.csv")))
    for r in rows:
        for col in ("member_id", "member_birth_date"):
            assert r[col] not in result.output
        if r["member_last_name"]:
            assert f" {r['member_last_name']} " not in f" {result.output} "


def test_second_run_refuses_duplicates_and_never_reuses_numbers(fixture_run, tmp_path):
    _, out, ledger = fixture_run
    # copy the ledger so the module fixture stays as it was
    copy = tmp_path / "ledger.sqlite"
    src = sqlite3.connect(ledger)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close(), dst.close()
    out2 = tmp_path / "out2"
    result = run("encode", FIXTURES / "service_log.csv", "--config", CONFIG, "--out", out2, "--ledger", copy,
                 "--format", "json")
    assert result.exit_code == 1
    assert not list(out2.glob("*.837"))
    rejects = list(csv.DictReader(open(out2 / "rejects.csv")))
    assert sum("already billed" in r["reason"] for r in rejects) >= 400
    db = sqlite3.connect(copy)
    (n,) = db.execute("SELECT value FROM counters WHERE name = 'isa13:HARBORNLE'").fetchone()
    assert n >= 2  # the first run used 1 and 2; nothing is handed out twice


def test_dry_run_writes_nothing(tmp_path):
    out, ledger = tmp_path / "out", tmp_path / "l.sqlite"
    result = run("encode", FIXTURES / "service_log.csv", "--config", CONFIG, "--out", out, "--ledger", ledger,
                 "--dry-run")
    assert result.exit_code == 1
    assert "dry run" in result.output
    assert not out.exists() and not ledger.exists()


def test_bad_config_exits_2_and_names_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.read_text().replace('npi = "1234567893"', 'npi = "1234567890"'))
    result = CliRunner().invoke(main, ["encode", str(FIXTURES / "service_log.csv"), "--config", str(bad),
                                       "--out", str(tmp_path / "o"), "--ledger", str(tmp_path / "l")])
    assert result.exit_code == 2
    assert "billing_provider.npi" in result.output


def test_unreadable_input_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["encode", str(tmp_path / "missing.csv"), "--config", str(CONFIG),
                                       "--out", str(tmp_path / "o"), "--ledger", str(tmp_path / "l")])
    assert result.exit_code == 2
    assert "missing.csv" in result.output


def test_missing_columns_exit_2(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("service_id,member_id\n1,2\n")
    result = CliRunner().invoke(main, ["encode", str(log), "--config", str(CONFIG), "--out", str(tmp_path / "o"),
                                       "--ledger", str(tmp_path / "l")])
    assert result.exit_code == 2 and "payer" in result.output


def test_jsonl_input_gives_same_claims_as_csv(tmp_path):
    import json
    rows = list(csv.DictReader(open(FIXTURES / "service_log.csv")))[:60]
    jl = tmp_path / "log.jsonl"
    jl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cs = tmp_path / "log.csv"
    with open(cs, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    a = run("encode", jl, "--config", CONFIG, "--out", tmp_path / "a", "--ledger", tmp_path / "a.sqlite")
    b = run("encode", cs, "--config", CONFIG, "--out", tmp_path / "b", "--ledger", tmp_path / "b.sqlite")
    assert a.exit_code == b.exit_code
    strip = lambda p: [s for s in segs(p) if s[0] not in ("ISA", "GS", "BHT")]  # noqa: E731 - timestamps differ
    for fa in sorted((tmp_path / "a").glob("*.837")):
        fb = tmp_path / "b" / fa.name
        assert strip(fa) == strip(fb)


def test_a_ledger_in_a_folder_that_does_not_exist_is_one_line_and_exit_2(tmp_path):
    """Not a traceback: the ledger cannot be created, nothing is written."""
    result = run("encode", FIXTURES / "service_log.csv", "--config", CONFIG, "--out", tmp_path / "out",
                 "--ledger", tmp_path / "no-such-folder" / "ledger.sqlite")
    assert result.exit_code == 2
    assert "cannot create the ledger" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
