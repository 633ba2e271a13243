"""End-to-end: prior authorizations (``encode --authorizations``, ``authorization_required``,
``sdohedi authorizations``) on hand-made logs. Expected values are worked out by hand from the
rows and authorizations below; REF*G1 and units are read back with a plain split of the files."""

from __future__ import annotations

import csv
import sqlite3
import stat
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyx12_oracle import assert_pyx12_clean
from sdohedi.claims837p import read_837p_file
from sdohedi.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CONFIG = FIXTURES / "nle.toml"
MEMBER_A, MEMBER_B = "ZQ7700111", "ZQ7700222"

LOG_COLUMNS = ["service_id", "member_id", "member_last_name", "member_first_name", "member_birth_date", "member_sex",
               "member_address", "member_city", "member_state", "member_zip", "payer", "cbo", "service_date",
               "procedure_code", "modifiers", "units", "diagnosis_codes", "place_of_service", "prior_auth"]
AUTH_COLUMNS = ["auth_number", "payer", "member_id", "procedure_code", "modifiers", "units", "start_date", "end_date"]


def row(sid, day, units, *, member=MEMBER_A, code="T1016", modifiers="", payer="cascade", auth=""):
    last = "QUILLFEATHER" if member == MEMBER_A else "MARROWBY"
    return {"service_id": sid, "member_id": member, "member_last_name": last, "member_first_name": "ODA",
            "member_birth_date": "1961-04-05", "member_sex": "F", "member_address": "77 NE TILLAMOOK ST",
            "member_city": "PORTLAND", "member_state": "OR", "member_zip": "97212", "payer": payer,
            "cbo": "casemgmt", "service_date": day, "procedure_code": code, "modifiers": modifiers,
            "units": str(units), "diagnosis_codes": "Z59.01", "place_of_service": "12", "prior_auth": auth}


def write_csv(path: Path, columns, rows) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    return path


def auth(number, units, start="2026-10-01", end="2026-10-31", *, member=MEMBER_A, code="T1016", modifiers="",
         payer="cascade"):
    return {"auth_number": number, "payer": payer, "member_id": member, "procedure_code": code,
            "modifiers": modifiers, "units": str(units), "start_date": start, "end_date": end}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def encode(tmp, log_rows, auth_rows=None, *, out="out", ledger="ledger.sqlite", extra=()):
    log = write_csv(tmp / f"{out}-log.csv", LOG_COLUMNS, log_rows)
    args = ["encode", log, "--config", CONFIG, "--out", tmp / out, "--ledger", tmp / ledger, *extra]
    if auth_rows is not None:
        args += ["--authorizations", write_csv(tmp / f"{out}-auths.csv", AUTH_COLUMNS, auth_rows)]
    return run(*args)


def billed(out: Path) -> dict[str, tuple[str, str]]:
    """{REF*6R service id: (claim's REF*G1 or "", SV104 units)} by a plain split of every 837P."""
    found = {}
    for f in sorted(out.glob("*.837")):
        text = f.read_bytes().decode()
        assert_pyx12_clean(text.encode())
        g1, units = "", None
        for seg in text.replace("\n", "").split("~"):
            els = seg.split("*")
            if els[0] == "CLM":
                g1 = ""
            elif els[:2] == ["REF", "G1"]:
                g1 = els[2]
            elif els[0] == "SV1":
                units = els[4]
            elif els[:2] == ["REF", "6R"]:
                found[els[2]] = (g1, units)
    return found


def charges(out: Path) -> dict[str, str]:
    """{REF*6R service id: SV102 charge} by a plain split of every 837P."""
    found, charge = {}, None
    for f in sorted(out.glob("*.837")):
        for seg in f.read_text().replace("\n", "").split("~"):
            els = seg.split("*")
            if els[0] == "SV1":
                charge = els[2]
            elif els[:2] == ["REF", "6R"]:
                found[els[2]] = charge
    return found


def rejects(out: Path) -> dict[str, tuple[str, str]]:
    path = out / "rejects.csv"
    if not path.exists():
        return {}
    return {r["service_id"]: (r["column"], r["reason"]) for r in csv.DictReader(open(path))}


def test_covered_row_is_billed_under_its_authorization_and_units_beyond_are_rejected(tmp_path):
    rows = [row("AU1", "2026-10-05", 4), row("AU2", "2026-10-12", 4), row("AU3", "2026-10-19", 4),
            row("AU4", "2026-11-02", 1)]  # outside the authorization's dates: billed without one
    result = encode(tmp_path, rows, [auth("PA-100", 10)])
    assert result.exit_code == 1, result.output + result.stderr
    # AU3 is billed for the 2 units left, its other 2 go to rejects.csv
    assert billed(tmp_path / "out") == {"AU1": ("PA-100", "4"), "AU2": ("PA-100", "4"), "AU3": ("PA-100", "2"),
                                        "AU4": ("", "1")}
    column, reason = rejects(tmp_path / "out")["AU3"]
    assert column == "units"
    assert reason == "exceeds authorization PA-100: 2 of 10 units left (the row has 4; 2 billed, 2 not billed)"
    # the billed part is charged for its units: half of what the same 4-unit service is charged
    paid_for = charges(tmp_path / "out")
    assert Decimal(paid_for["AU3"]) * 2 == Decimal(paid_for["AU1"]) > 0
    # the ledger records the authorization on the billed lines
    db = sqlite3.connect(tmp_path / "ledger.sqlite")
    assert dict(db.execute("SELECT service_id, prior_auth FROM claim_lines")) == {
        "AU1": "PA-100", "AU2": "PA-100", "AU3": "PA-100", "AU4": None}


def test_units_are_taken_in_service_date_order_whatever_the_row_order(tmp_path):
    rows = [row("LATE", "2026-10-20", 6), row("EARLY", "2026-10-03", 6)]
    result = encode(tmp_path, rows, [auth("PA-200", 8)])
    assert result.exit_code == 1
    assert billed(tmp_path / "out") == {"EARLY": ("PA-200", "6"), "LATE": ("PA-200", "2")}
    assert rejects(tmp_path / "out")["LATE"][1] == ("exceeds authorization PA-200: 2 of 8 units left "
                                                    "(the row has 6; 2 billed, 4 not billed)")


def test_a_later_run_counts_what_earlier_runs_billed(tmp_path):
    auths = [auth("PA-300", 5)]
    first = encode(tmp_path, [row("R1", "2026-10-02", 3)], auths, out="one")
    assert first.exit_code == 0, first.output + first.stderr
    second = encode(tmp_path, [row("R2", "2026-10-09", 3), row("R3", "2026-10-10", 2)], auths, out="two")
    assert second.exit_code == 1
    # R2 (the earlier service) takes the 2 units left; nothing is left for R3
    assert billed(tmp_path / "two") == {"R2": ("PA-300", "2")}
    assert rejects(tmp_path / "two")["R2"][1].startswith("exceeds authorization PA-300: 2 of 5 units left")
    assert rejects(tmp_path / "two")["R3"][1] == ("exceeds authorization PA-300: 0 of 5 units left "
                                                  "(the row has 2; not billed)")


def test_overlapping_authorizations_use_the_one_ending_first_then_the_next(tmp_path):
    auths = [auth("LONG", 10, "2026-09-01", "2026-12-31"), auth("SHORT", 3, "2026-10-01", "2026-10-15")]
    rows = [row("O1", "2026-10-02", 2), row("O2", "2026-10-03", 2), row("O3", "2026-10-20", 1)]
    result = encode(tmp_path, rows, auths)
    assert result.exit_code == 0, result.output + result.stderr
    # O1 takes SHORT (ends first); O2 does not fit what SHORT has left (1), so LONG; O3 is after SHORT ends
    assert billed(tmp_path / "out") == {"O1": ("SHORT", "2"), "O2": ("LONG", "2"), "O3": ("LONG", "1")}


def test_modifiers_must_match_when_the_authorization_gives_them(tmp_path):
    rows = [row("M1", "2026-10-02", 1, modifiers="U8"), row("M2", "2026-10-02", 1)]
    result = encode(tmp_path, rows, [auth("PA-U8", 5, modifiers="U8")])
    assert result.exit_code == 0, result.output + result.stderr
    assert billed(tmp_path / "out") == {"M1": ("PA-U8", "1"), "M2": ("", "1")}


def test_a_row_giving_a_listed_authorization_is_counted_and_must_fall_in_it(tmp_path):
    rows = [row("G1", "2026-10-02", 4, auth="PA-400"), row("G2", "2026-10-03", 1),
            row("G3", "2026-11-20", 1, auth="PA-400"),  # after its end date
            row("G4", "2026-10-04", 2, auth="OTHER-9")]  # not in the file: billed as the row says
    result = encode(tmp_path, rows, [auth("PA-400", 4)])
    assert result.exit_code == 1
    assert billed(tmp_path / "out") == {"G1": ("PA-400", "4"), "G4": ("OTHER-9", "2")}
    got = rejects(tmp_path / "out")
    assert got["G2"][1].startswith("exceeds authorization PA-400: 0 of 4 units left")
    assert got["G3"][0] == "prior_auth" and "does not cover this service" in got["G3"][1]


def test_authorization_required_code_without_authorization_is_rejected(tmp_path):
    # fixtures/nle.toml: cascade requires an authorization for H0043
    rows = [row("H1", "2026-10-02", 1, code="H0043", modifiers="U6"),
            row("H2", "2026-10-02", 1, code="H0043", modifiers="U6", member=MEMBER_B),
            row("H3", "2026-10-03", 1, code="H0043", modifiers="U6", member=MEMBER_B, auth="GIVEN-1")]
    result = encode(tmp_path, rows, [auth("PA-H", 2, code="H0043")])
    assert result.exit_code == 1
    assert billed(tmp_path / "out") == {"H1": ("PA-H", "1"), "H3": ("GIVEN-1", "1")}
    column, reason = rejects(tmp_path / "out")["H2"]
    assert column == "prior_auth" and "needs a prior authorization" in reason
    # without --authorizations too: only the row that gives one is billed
    plain = encode(tmp_path, rows, None, out="plain", ledger="plain.sqlite")
    assert plain.exit_code == 1
    assert set(billed(tmp_path / "plain")) == {"H3"}
    assert set(rejects(tmp_path / "plain")) == {"H1", "H2"}


def test_decode_reads_the_authorization_back(tmp_path):
    encode(tmp_path, [row("D1", "2026-10-05", 2)], [auth("PA-DEC", 3)])
    (f,) = (tmp_path / "out").glob("*.837")
    (claim,) = list(read_837p_file(f))
    assert claim.prior_authorization == "PA-DEC"


def test_resubmitting_a_line_counts_its_units_once(tmp_path):
    """A replacement takes the place of its billed line and of the units it was counted for."""
    auths = [auth("PA-RE", 4)]
    assert encode(tmp_path, [row("RS1", "2026-10-05", 3)], auths, out="one").exit_code == 0
    db = sqlite3.connect(tmp_path / "ledger.sqlite")
    (claim_id,) = db.execute("SELECT claim_id FROM claims").fetchone()
    db.execute("UPDATE claims SET payer_claim_number = 'ICN1' WHERE claim_id = ?", (claim_id,))
    db.commit()
    again = encode(tmp_path, [row("RS1", "2026-10-05", 4)], auths, out="two", extra=["--resubmit"])
    assert again.exit_code == 0, again.output + again.stderr
    assert billed(tmp_path / "two") == {"RS1": ("PA-RE", "4")}


def test_bad_authorization_rows_are_named_and_left_out_the_others_used(tmp_path):
    auths = [auth("PA-OK", 5), {**auth("PA-BAD-DATE", 5), "end_date": "2026-13-01"},
             {**auth("PA-BAD-UNITS", 5), "units": "lots"}, {**auth("PA-BAD-PAYER", 5), "payer": "nobody"}]
    result = encode(tmp_path, [row("B1", "2026-10-05", 1)], auths)
    assert result.exit_code == 1  # findings: the output is still written
    assert billed(tmp_path / "out") == {"B1": ("PA-OK", "1")}
    name = "out-auths.csv"
    assert f"{name}: row 3, column end_date" in result.stderr
    assert f"{name}: row 4, column units" in result.stderr
    assert f"{name}: row 5, column payer" in result.stderr
    assert MEMBER_A not in result.stderr + result.output


@pytest.mark.parametrize("content, says", [
    ("auth_number,payer,member_id\nX,cascade,ZZ1\n", "header lacks required columns: procedure_code"),
    (",".join(AUTH_COLUMNS) + f"\nP1,cascade,{MEMBER_A},T1016,,0,2026-10-01,2026-10-31\n",
     "row 2, column units"),
])
def test_unusable_authorizations_file_exits_2(tmp_path, content, says):
    bad = tmp_path / "auths.csv"
    bad.write_text(content)
    log = write_csv(tmp_path / "log.csv", LOG_COLUMNS, [row("U1", "2026-10-05", 1)])
    result = run("encode", log, "--config", CONFIG, "--out", tmp_path / "out", "--ledger", tmp_path / "l.sqlite",
                 "--authorizations", bad)
    assert result.exit_code == 2
    assert "auths.csv" in result.stderr and says in result.stderr
    assert MEMBER_A not in result.stderr
    assert "Traceback" not in result.stderr + result.output
    assert not (tmp_path / "out").exists()


def test_missing_authorizations_file_exits_2(tmp_path):
    log = write_csv(tmp_path / "log.csv", LOG_COLUMNS, [row("U1", "2026-10-05", 1)])
    result = run("encode", log, "--config", CONFIG, "--out", tmp_path / "out", "--ledger", tmp_path / "l.sqlite",
                 "--authorizations", tmp_path / "nope.csv")
    assert result.exit_code == 2 and "nope.csv: cannot read" in result.stderr


def test_spark_engine_refuses_authorizations(tmp_path):
    log = write_csv(tmp_path / "log.csv", LOG_COLUMNS, [row("S1", "2026-10-05", 1)])
    auths = write_csv(tmp_path / "a.csv", AUTH_COLUMNS, [auth("PA-S", 1)])
    result = run("encode", log, "--config", CONFIG, "--out", tmp_path / "out", "--ledger", tmp_path / "l.sqlite",
                 "--engine", "spark", "--authorizations", auths)
    assert result.exit_code == 2
    assert "--authorizations is not supported with --engine spark" in result.stderr


def test_old_ledger_gains_the_authorization_column(tmp_path):
    """A ledger made before claim_lines.prior_auth existed is upgraded on opening; its lines stay NULL."""
    ledger = tmp_path / "ledger.sqlite"
    assert encode(tmp_path, [row("OLD1", "2026-10-05", 1)], None, out="one").exit_code == 0
    db = sqlite3.connect(ledger)
    db.execute("ALTER TABLE claim_lines DROP COLUMN prior_auth")
    db.commit()
    db.close()
    result = encode(tmp_path, [row("NEW1", "2026-10-06", 2)], [auth("PA-UP", 3)], out="two")
    assert result.exit_code == 0, result.output + result.stderr
    db = sqlite3.connect(ledger)
    assert dict(db.execute("SELECT service_id, prior_auth FROM claim_lines")) == {"OLD1": None, "NEW1": "PA-UP"}


def test_authorizations_report_prints_used_and_remaining_without_member_ids(tmp_path):
    auths = [auth("PA-R1", 10), auth("PA-R2", 4, member=MEMBER_B), auth("PA-R3", 2, code="S5170")]
    rows = [row("P1", "2026-10-02", 3), row("P2", "2026-10-09", 2.5), row("P3", "2026-10-03", 4, member=MEMBER_B)]
    assert encode(tmp_path, rows, auths).exit_code == 0
    report = tmp_path / "usage.csv"
    result = run("authorizations", "--ledger", tmp_path / "ledger.sqlite", "--authorizations",
                 tmp_path / "out-auths.csv", "--out", report)
    assert result.exit_code == 0, result.output + result.stderr
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    got = {r["auth_number"]: (r["authorized_units"], r["used_units"], r["remaining_units"], r["member_id"])
           for r in csv.DictReader(open(report))}
    assert got == {"PA-R1": ("10", "5.5", "4.5", MEMBER_A), "PA-R2": ("4", "4", "0", MEMBER_B),
                   "PA-R3": ("2", "0", "2", MEMBER_A)}
    assert "PA-R1" in result.output and "4.5" in result.output
    assert MEMBER_A not in result.output + result.stderr and MEMBER_B not in result.output + result.stderr
    assert not list(tmp_path.glob(".usage.csv*"))


def test_authorizations_report_on_a_missing_ledger_exits_2(tmp_path):
    auths = write_csv(tmp_path / "a.csv", AUTH_COLUMNS, [auth("PA-X", 1)])
    result = run("authorizations", "--ledger", tmp_path / "none.sqlite", "--authorizations", auths,
                 "--out", tmp_path / "r.csv")
    assert result.exit_code == 2 and "none.sqlite" in result.stderr


def test_fixture_authorizations_bill_the_fixture_log(tmp_path):
    """fixtures/authorizations.csv on fixtures/service_log.csv. By hand from the log: OR0100518's
    S5170:U6 rows (2, 1, 3, 1, 2, 1 units from 09-07 to 10-25) fill PA-FIX-0001's 10 units, so the 3
    units of 10-30 (SV2026000190) are left out; SH0101295's three September rides take PA-FIX-0002
    (it ends first), its October ones PA-FIX-0003."""
    out = tmp_path / "out"
    result = run("encode", FIXTURES / "service_log.csv", "--config", CONFIG, "--out", out,
                 "--ledger", tmp_path / "l.sqlite", "--authorizations", FIXTURES / "authorizations.csv")
    assert result.exit_code == 1
    got = billed(out)  # pyx12-clean, each file
    under = {}
    for sid, (g1, units) in got.items():
        if g1:
            under.setdefault(g1, []).append(sid)
    assert sorted(under["PA-FIX-0001"]) == ["SV2026000013", "SV2026000041", "SV2026000053", "SV2026000059",
                                            "SV2026000391", "SV2026000468"]
    assert sorted(under["PA-FIX-0002"]) == ["SV2026000202", "SV2026000301", "SV2026000461"]
    assert sorted(under["PA-FIX-0003"]) == ["SV2026000183", "SV2026000354", "SV2026000456"]
    assert rejects(out)["SV2026000190"] == (
        "units", "exceeds authorization PA-FIX-0001: 0 of 10 units left (the row has 3; not billed)")
    report = run("authorizations", "--ledger", tmp_path / "l.sqlite", "--authorizations",
                 FIXTURES / "authorizations.csv", "--out", tmp_path / "usage.csv", "--as-of", "2026-11-01")
    assert report.exit_code == 0
    assert [(r["auth_number"], r["used_units"], r["remaining_units"], r["status"])
            for r in csv.DictReader(open(tmp_path / "usage.csv"))] == [
        ("PA-FIX-0001", "10", "0", "used up"), ("PA-FIX-0002", "3", "1", "expired"),
        ("PA-FIX-0003", "3", "9", "active"), ("PA-FIX-0004", "0", "8", "active")]


def test_encode_and_report_on_a_postgresql_ledger(tmp_path, pg_server):
    url = pg_server.new_database("au" + uuid.uuid4().hex[:12])
    auths = [auth("PA-PG", 5)]
    first = encode(tmp_path, [row("PG1", "2026-10-02", 3)], auths, out="one", extra=["--ledger", url])
    assert first.exit_code == 0, first.output
    second = encode(tmp_path, [row("PG2", "2026-10-03", 3), row("PG3", "2026-10-04", 2)], auths, out="two",
                    extra=["--ledger", url])
    assert second.exit_code == 1
    assert billed(tmp_path / "two") == {"PG2": ("PA-PG", "2")}
    assert rejects(tmp_path / "two")["PG2"][1].startswith("exceeds authorization PA-PG: 2 of 5 units left")
    assert rejects(tmp_path / "two")["PG3"][1].startswith("exceeds authorization PA-PG: 0 of 5 units left")
    report = run("authorizations", "--ledger", url, "--authorizations", tmp_path / "two-auths.csv",
                 "--out", tmp_path / "usage.csv")
    assert report.exit_code == 0, report.output
    assert [(r["used_units"], r["remaining_units"]) for r in csv.DictReader(open(tmp_path / "usage.csv"))] == [
        ("5", "0")]


def test_authorization_required_holds_on_the_thorough_path_too(tmp_path):
    """JSON numbers send a row past the fast path, to the model and the rules one by one."""
    import json
    rows = [{**row("J1", "2026-10-02", 1, code="H0043", modifiers="U6"), "units": 1},
            {**row("J2", "2026-10-02", 1, code="H0043", modifiers="U6", auth="GIVEN-2"), "units": 1}]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = run("encode", log, "--config", CONFIG, "--out", tmp_path / "out", "--ledger", tmp_path / "l.sqlite")
    assert result.exit_code == 1
    assert set(billed(tmp_path / "out")) == {"J2"}
    assert rejects(tmp_path / "out")["J1"][0] == "prior_auth"
