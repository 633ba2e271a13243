"""Ingest reports every fault of a row, each with its rule slug and column, and rejects.csv has a
line per fault; the fast path and the thorough check agree on such rows."""

from __future__ import annotations

import csv

import pytest

from sdohedi.ledger import Ledger
from sdohedi.pipeline.encode import encode
from sdohedi.pipeline.ingest import Reject
from row_checker import RowChecker
from sdohedi.problems import RULES

from test_fast_rows import BASE, CONFIG, TODAY

# (changes to a good row, the (column, rule) faults expected), each row with 2 to 4 faults
CASES = [
    ({"payer": "nope", "service_date": "2026-11-02"},
     {("payer", "unknown-payer"), ("service_date", "service-date-future")}),
    ({"member_zip": "9722", "cbo": "nope", "units": "0"},
     {("member_zip", "field-format"), ("cbo", "unknown-cbo"), ("units", "units-not-positive")}),
    ({"member_birth_date": "1961-13-03", "service_date": "2026-02-30", "place_of_service": "00"},
     {("member_birth_date", "invalid-date"), ("service_date", "invalid-date"), ("place_of_service", "place-of-service")}),
    ({"member_birth_date": "1899-12-31", "diagnosis_codes": "A00.0;Z59.1", "charge": "-5"},
     {("member_birth_date", "birth-date-before-1900"), ("diagnosis_codes", "diagnosis-not-billable"),
      ("diagnosis_codes", "diagnosis-date"), ("charge", "charge-not-positive")}),  # Z59.1 ended before 2026
    ({"member_id": "OR:1", "modifiers": "U6:U6"},
     {("member_id", "delimiter-in-value"), ("modifiers", "modifier-repeated")}),
    ({"member_last_name": "", "pickup_city": ""},
     {("member_last_name", "field-length"), ("pickup_city", "transport-location")}),
]


@pytest.mark.parametrize("changes, expected", CASES)
def test_every_fault_of_a_row_is_reported(changes, expected):
    checker = RowChecker(CONFIG, today=TODAY)
    row = dict(BASE, **changes)
    result = checker.check(4, row, "log")
    assert isinstance(result, Reject)
    assert {(f.column, f.rule) for f in result.faults} == expected
    assert (result.column, result.rule, result.reason) == (result.faults[0].column, result.faults[0].rule,
                                                           result.faults[0].reason)
    assert all(f.rule in RULES for f in result.faults)
    # both paths: the fast path gives up on the row, and the thorough check is what check returns
    assert checker._fast.check(4, row, "log") is None
    assert checker.check_thoroughly(4, row, "log") == result


def test_a_row_with_one_fault_keeps_the_first_fault_fields():
    result = RowChecker(CONFIG, today=TODAY).check(4, dict(BASE, payer="nope"), "log")
    assert isinstance(result, Reject) and result.more == ()
    assert (result.column, result.rule) == ("payer", "unknown-payer")
    [p] = result.problems()
    assert (p.rule, p.location.row, p.location.column, p.level, p.snip) == ("unknown-payer", 4, "payer", "ingest",
                                                                             None)


def test_rejects_csv_has_a_line_per_fault(tmp_path):
    header = list(BASE)
    rows = [dict(BASE, service_id="SVOK1"), dict(BASE, service_id="SVBAD1", **CASES[1][0]),
            dict(BASE, service_id="SVBAD2", **CASES[0][0])]
    log = tmp_path / "log.csv"
    with open(log, "w", newline="") as f:
        w = csv.DictWriter(f, header)
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "out"
    with Ledger(tmp_path / "l.sqlite") as ledger:
        summary = encode([log], CONFIG, out_dir=out, ledger=ledger, today=TODAY)
    assert summary.rejected_rows == 2
    with open(out / "rejects.csv", newline="") as f:
        lines = list(csv.DictReader(f))
    assert [(r["row_number"], r["service_id"], r["column"], r["rule"]) for r in lines] == [
        ("3", "SVBAD1", "member_zip", "field-format"), ("3", "SVBAD1", "cbo", "unknown-cbo"),
        ("3", "SVBAD1", "units", "units-not-positive"),
        ("4", "SVBAD2", "payer", "unknown-payer"), ("4", "SVBAD2", "service_date", "service-date-future")]
    assert all(r["file"] == str(log) or r["file"] == log.name for r in lines)
    assert summary.reject_reasons["cbo: unknown-cbo"] == 1
