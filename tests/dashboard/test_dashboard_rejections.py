"""Claims a 999 rejects: not billed (they never reached the payer), first-pass failures; the
claims their released lines are billed again on are not first-pass claims."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from dashboard_support import CONFIG, cents, segments, split_837
from round_trip_support import FIX, run
from sdohedi.dashboard import figures
from sdohedi.ledger import open_ledger

ROWS = 8


def test_rejected_then_rebilled(tmp_path):
    with open(FIX / "service_log.csv", newline="") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["payer"] == "cascade"][:ROWS]
        columns = reader.fieldnames
    log = tmp_path / "log.csv"
    with open(log, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    ledger = str(tmp_path / "ledger.sqlite")
    common = ("--config", FIX / "nle.toml", "--ledger", ledger)

    def encode(out):
        r = run("encode", log, *common, "--out", tmp_path / out, "--format", "json")
        assert r.exit_code == 0, r.output
        (ic,) = json.loads(r.output)["interchanges"]
        return ic["path"]

    first = encode("first")
    r = run("adjudicate", first, "--rules", FIX / "payer_cascade.toml", "--out-835", tmp_path / "unused.835",
            "--out-999", tmp_path / "a.999")
    assert r.exit_code == 0, r.output
    # the payer's 999 turned into a rejection of the transaction set (IK5 R, AK9 R)
    text = (tmp_path / "a.999").read_text().replace("IK5*A", "IK5*R").replace("AK9*A*1*1*1", "AK9*R*1*1*0")
    (tmp_path / "r.999").write_text(text)
    assert [s[1] for s in segments(tmp_path / "r.999") if s[0] == "IK5"] == ["R"]
    assert run("reconcile", tmp_path / "r.999", *common, "--reports", tmp_path / "rep").exit_code == 0
    rejected = split_837(Path(first), "cascade")

    second = encode("second")  # the released lines, billed again on new claims
    rebilled = split_837(Path(second), "cascade")
    r = run("adjudicate", second, "--rules", FIX / "payer_cascade.toml", "--out-835", tmp_path / "b.835",
            "--out-999", tmp_path / "b.999")
    assert r.exit_code == 0, r.output
    assert run("reconcile", tmp_path / "b.999", tmp_path / "b.835", *common, "--reports", tmp_path / "rep").exit_code == 0

    with open_ledger(ledger, readonly=True) as lg:
        data = figures(lg, CONFIG)
    assert sum(r["claims"] for r in data["billed"]) == len(rebilled)  # the rejected claims are not billed
    assert sum(r["billed"] for r in data["billed"]) == sum(c.charge for c in rebilled)
    fp = {k: sum(r[k] for r in data["first_pass"]) for k in ("answered", "accepted", "adjudicated", "paid")}
    # only the first claims are first-pass: all answered (the 999), none accepted, none adjudicated
    assert fp == {"answered": len(rejected), "accepted": 0, "adjudicated": 0, "paid": 0}
    assert sum(r["paid"] for r in data["owed"] if r["month"] == "*") == sum(
        cents(s[4]) for s in segments(tmp_path / "b.835") if s[0] == "CLP")
