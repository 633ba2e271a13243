"""End-to-end: the per-payer options of fixtures/nle.toml's lakeside payer, timely filing
(``timely_filing_days``, ``--allow-late``, ``--run-date``) and encounters (``submission``)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import stat
from pathlib import Path

from click.testing import CliRunner

from pyx12_oracle import assert_pyx12_clean
from sdohedi.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CONFIG = FIXTURES / "nle.toml"
RUN_DATE = dt.date(2026, 12, 1)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def fixture_rows() -> list[dict]:
    with open(FIXTURES / "service_log.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_log(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def lakeside_log(tmp_path: Path, ages: list[int]) -> Path:
    """One meals row of the fixture per age (days before RUN_DATE), billed to lakeside."""
    base = next(r for r in fixture_rows() if r["payer"] == "summit" and r["procedure_code"] == "S5170")
    rows = [dict(base, payer="lakeside", service_id=f"LK{i:04d}",
                 service_date=(RUN_DATE - dt.timedelta(days=age)).isoformat()) for i, age in enumerate(ages, 1)]
    return write_log(tmp_path / "log.csv", rows)


def segments(path: Path) -> list[list[str]]:
    """A plain split of the file (not our parser): ~ ends a segment, * splits elements."""
    return [s.strip().split("*") for s in path.read_text().split("~") if s.strip()]


def billed_ids(out: Path) -> list[str]:
    return sorted(s[2] for f in out.glob("*.837") for s in segments(f) if s[:2] == ["REF", "6R"])


# -- timely filing ------------------------------------------------------------------------------

def test_a_service_past_timely_filing_is_rejected_with_its_age(tmp_path):
    log = lakeside_log(tmp_path, [10, 90, 91, 400])
    out = tmp_path / "out"
    result = run("encode", log, "--config", CONFIG, "--out", out, "--ledger", tmp_path / "l.sqlite",
                 "--run-date", RUN_DATE)
    assert result.exit_code == 1, result.output
    assert billed_ids(out) == ["LK0001", "LK0002"]
    rejects = list(csv.DictReader(open(out / "rejects.csv")))
    assert [(r["service_id"], r["column"], r["reason"]) for r in rejects] == [
        ("LK0003", "service_date", "past timely filing: 91 days, limit 90"),
        ("LK0004", "service_date", "past timely filing: 400 days, limit 90")]
    assert "service_date: past-timely-filing" in result.output and "--allow-late" not in result.output
    for f in out.glob("*.837"):
        assert_pyx12_clean(f.read_bytes())
        assert stat.S_IMODE(f.stat().st_mode) == 0o600


def test_allow_late_bills_them_and_says_so(tmp_path):
    log = lakeside_log(tmp_path, [10, 91, 400])
    out = tmp_path / "out"
    result = run("encode", log, "--config", CONFIG, "--out", out, "--ledger", tmp_path / "l.sqlite",
                 "--run-date", RUN_DATE, "--allow-late")
    assert result.exit_code == 0, result.output
    assert billed_ids(out) == ["LK0001", "LK0002", "LK0003"]
    assert "2 rows were billed past their payer's timely filing limit (--allow-late)" in result.output
    assert not (out / "rejects.csv").exists()
    for f in out.glob("*.837"):
        assert_pyx12_clean(f.read_bytes())

    as_json = run("encode", log, "--config", CONFIG, "--dry-run", "--ledger", tmp_path / "other.sqlite",
                  "--run-date", RUN_DATE, "--allow-late", "--format", "json")
    assert json.loads(as_json.output)["billed_past_timely_filing"] == 2


def test_the_run_date_decides_and_payers_without_a_limit_take_old_services(tmp_path):
    """The same 91-day-old service is on time when the run date is a day earlier; summit has
    no limit, so its year-old service is billed."""
    log = lakeside_log(tmp_path, [91])
    earlier = run("encode", log, "--config", CONFIG, "--dry-run", "--ledger", tmp_path / "l.sqlite",
                  "--run-date", RUN_DATE - dt.timedelta(days=1), "--format", "json")
    assert json.loads(earlier.output)["billed_rows"] == 1
    rows = [dict(r, payer="summit") for r in csv.DictReader(open(log))]
    summit = write_log(tmp_path / "summit.csv", [dict(rows[0], service_date="2025-11-01")])
    result = run("encode", summit, "--config", CONFIG, "--dry-run", "--ledger", tmp_path / "l.sqlite",
                 "--run-date", RUN_DATE, "--format", "json")
    assert json.loads(result.output)["billed_rows"] == 1


# -- encounters ---------------------------------------------------------------------------------

def bht06(path: Path) -> list[str]:
    return [s[6] for s in segments(path) if s[0] == "BHT"]


def test_an_encounter_payer_gets_bht06_rp_and_is_priced_as_usual(tmp_path):
    """lakeside (submission = "encounter") gets RP, cascade CH; the lines are priced by the fee
    schedule all the same, and the ledger records which claims are encounters."""
    rows = fixture_rows()
    meals = next(r for r in rows if r["payer"] == "summit" and r["procedure_code"] == "S5170")
    cascade = next(r for r in rows if r["payer"] == "cascade" and r["procedure_code"] == "S5170")
    log = write_log(tmp_path / "log.csv", [dict(meals, payer="lakeside", service_id="LK1", units="3"),
                                           dict(cascade, service_id="CS1")])
    out, ledger = tmp_path / "out", tmp_path / "l.sqlite"
    result = run("encode", log, "--config", CONFIG, "--out", out, "--ledger", ledger, "--run-date", RUN_DATE)
    assert result.exit_code == 0, result.output
    (lake,), (casc,) = out.glob("lakeside-*.837"), out.glob("cascade-*.837")
    assert bht06(lake) == ["RP"] and bht06(casc) == ["CH"]
    assert [s[2] for s in segments(lake) if s[0] == "SV1"] == ["30"]  # 3 x S5170 at lakeside's 10.00
    for f in (lake, casc):
        assert_pyx12_clean(f.read_bytes())
    with sqlite3.connect(ledger) as db:
        assert dict(db.execute("SELECT payer_key, submission FROM claims")) == {"lakeside": "encounter",
                                                                                 "cascade": "claim"}


def test_reconcile_takes_an_encounter_paid_0_as_accepted_not_denied(tmp_path):
    """encode -> adjudicate (the payer simulator answers an RP 837P with $0 lines, CO-24) ->
    reconcile: the encounter is accepted, nothing of it is a denial or outstanding, its CBO is owed
    $0. A claim of another payer paid $0 (a code summit does not cover) is still a denial."""
    rows = fixture_rows()
    meals = next(r for r in rows if r["payer"] == "summit" and r["procedure_code"] == "S5170")
    log = write_log(tmp_path / "log.csv", [dict(meals, payer="lakeside", service_id="LK1", units="1"),
                                           dict(meals, payer="lakeside", service_id="LK2", units="1",
                                                service_date="2026-09-30"),
                                           dict(meals, payer="summit", service_id="SU1", procedure_code="T1017",
                                                cbo="casemgmt", units="1")])
    out, ledger, reports = tmp_path / "out", tmp_path / "l.sqlite", tmp_path / "reports"
    assert run("encode", log, "--config", CONFIG, "--out", out, "--ledger", ledger,
               "--run-date", RUN_DATE).exit_code == 0
    answers = []
    for name, rules in (("lakeside", "payer_lakeside.toml"), ("summit", "payer_summit.toml")):
        (claims,) = out.glob(f"{name}-*.837")
        r835, r999 = tmp_path / f"{name}.835", tmp_path / f"{name}.999"
        adj = run("adjudicate", claims, "--rules", FIXTURES / rules, "--out-835", r835, "--out-999", r999,
                  "--payment-date", "2026-12-02")
        assert adj.exit_code == 0, adj.output
        assert_pyx12_clean(r835.read_bytes())
        answers.append(r835)
    lake835 = segments(answers[0])
    assert [s[2:5] for s in lake835 if s[0] == "CLP"] == [["1", "20", "0"]]  # processed, $20 charged, $0 paid
    assert [s[1:4] for s in lake835 if s[0] == "CAS"] == [["CO", "24", "10"], ["CO", "24", "10"]]
    assert "encounters (BHT06 RP): 1" in run("adjudicate", next(out.glob("lakeside-*.837")), "--rules",
                                             FIXTURES / "payer_lakeside.toml", "--out-835", tmp_path / "x.835",
                                             "--out-999", tmp_path / "x.999").output

    result = run("reconcile", *answers, "--ledger", ledger, "--config", CONFIG, "--reports", reports,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["outcomes"] == {"encounter accepted": 1, "denied": 1}
    assert summary["outstanding_claims"] == 0
    denials = list(csv.DictReader(open(reports / "denials.csv")))
    assert [(d["group"], d["reason"]) for d in denials] == [("CO", "96")]  # summit's T1017; no CO-24
    owed = {d["payer"]: d["paid"] for d in csv.DictReader(open(reports / "disbursement.csv"))}
    assert owed == {"lakeside": "0.00", "summit": "0.00"}
    with sqlite3.connect(ledger) as db:
        assert dict(db.execute("SELECT service_id, status FROM claim_lines")) == {
            "LK1": "encounter accepted", "LK2": "encounter accepted", "SU1": "denied"}
    for f in reports.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
