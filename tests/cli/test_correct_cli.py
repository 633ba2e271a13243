"""End-to-end: encode the fixture log -> adjudicate -> reconcile -> correct -> adjudicate (with the
payer's earlier 835s, so it reverses what is replaced or voided) -> reconcile.

Amounts are read from a plain split of the 835 texts, never from our reader; every 837P and
835 written is checked by pyx12."""

from __future__ import annotations

import csv
import sqlite3
import stat
from decimal import Decimal as D
from pathlib import Path

import pytest

from pyx12_oracle import assert_pyx12_clean
from round_trip_support import FIX, encode_and_adjudicate, run

CONFIG = FIX / "nle.toml"


def split(path: Path) -> list[list[str]]:
    data = path.read_text()
    element, terminator = data[3], data[105]
    return [s.strip().split(element) for s in data.split(terminator) if s.strip()]


def signed_bpr02(path: Path) -> D:
    return sum((D(s[2]) * (-1 if s[3] == "D" else 1) for s in split(path) if s[0] == "BPR"), D(0))


def clp04_by_claim(path: Path) -> dict[tuple[str, str], D]:
    """{(CLP01, CLP02): CLP04} of an 835."""
    return {(s[1], s[2]): D(s[4]) for s in split(path) if s[0] == "CLP"}


def report(reports: Path, name: str) -> list[dict]:
    with open(reports / f"{name}.csv", newline="") as f:
        return list(csv.DictReader(f))


def log_rows(service_ids: set[str]) -> list[dict]:
    with open(FIX / "service_log.csv", newline="") as f:
        return [r for r in csv.DictReader(f) if r["service_id"] in service_ids]


def write_log(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("correct")
    ledger = tmp / "ledger.sqlite"
    _, eras, acks = encode_and_adjudicate(ledger, tmp)
    first = run("reconcile", *eras, "--ledger", ledger, "--config", CONFIG, "--reports", tmp / "r1")
    assert first.exit_code in (0, 1), first.output
    db = sqlite3.connect(ledger)
    # two cascade claims the payer paid: one to replace (a line's units changed), one to void
    paid = [r[0] for r in db.execute("SELECT claim_id FROM claims WHERE payer_key = 'cascade' AND status = 'paid'"
                                     " ORDER BY claim_id")]
    lines = {c: [s for (s,) in db.execute("SELECT service_id FROM claim_lines WHERE claim_id = ? ORDER BY line_number",
                                          (c,))] for c in paid}
    cbo = dict(db.execute("SELECT claim_id, cbo_key FROM claims"))
    db.close()
    by_id = {r["service_id"]: r for r in log_rows({s for c in paid for s in lines[c]})}
    # a claim with a line of 2 or more units (given as units) to lower by one, and another to void
    replaced = next(c for c in paid if any(by_id[s]["units"] not in ("", "1") for s in lines[c]))
    voided = next(c for c in paid if c != replaced)
    rows = [by_id[s] for s in lines[replaced] + lines[voided]]
    changed = next(r for r in rows if r["service_id"] in lines[replaced] and r["units"] not in ("", "1"))
    changed["units"] = str(int(changed["units"]) - 1)
    fix = write_log(tmp / "fix.csv", rows + [dict(rows[0], service_id="NOT-BILLED-1")])
    out = tmp / "fix"
    corrected = run("correct", fix, "--config", CONFIG, "--ledger", ledger, "--out", out,
                    "--void", lines[voided][0])
    [claims_file] = sorted(out.glob("*.837"))
    era = tmp / "fix.835"
    answer = run("adjudicate", claims_file, "--rules", FIX / "payer_cascade.toml", "--out-835", era, "--out-999",
                 tmp / "fix.999", "--control-number", 800, "--payment-date", "2026-12-01", *(
                     a for e in eras for a in ("--prior-835", e)))
    assert answer.exit_code == 0, answer.output
    second = run("reconcile", era, "--ledger", ledger, "--config", CONFIG, "--reports", tmp / "r2")
    return dict(tmp=tmp, ledger=ledger, eras=eras, era=era, claims_file=claims_file, corrected=corrected,
                replaced=replaced, voided=voided, lines=lines, cbo=cbo, second=second, out=out)


def test_correct_writes_a_replacement_and_a_void_pyx12_clean(chain):
    result = chain["corrected"]
    assert result.exit_code == 1, result.output  # one row refused
    assert "claims corrected: replacement: 1   void: 1   new original: 0" in result.output
    path = chain["claims_file"]
    assert_pyx12_clean(path.read_bytes())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    segs = split(path)
    clms = [s for s in segs if s[0] == "CLM"]
    assert sorted(s[5].split(":")[2] for s in clms) == ["7", "8"]
    f8 = [s[2] for s in segs if s[0] == "REF" and s[1] == "F8"]
    # REF*F8 = the CLP07 the payer gave each claim in its 835 (plain split)
    icns = {s[1]: s[7] for e in chain["eras"] for s in split(e) if s[0] == "CLP"}
    assert sorted(f8) == sorted([icns[chain["replaced"]], icns[chain["voided"]]])
    lines_sent = sum(1 for s in segs if s[0] == "LX")
    assert lines_sent == len(chain["lines"][chain["replaced"]]) + len(chain["lines"][chain["voided"]])


def test_refused_row_is_named_without_member_data(chain):
    rejects = list(csv.DictReader(open(chain["out"] / "rejects.csv", newline="")))
    assert [(r["service_id"], r["row_number"], r["reason"].split(":")[0]) for r in rejects] == [
        ("NOT-BILLED-1", str(len(rows_in(chain["tmp"] / "fix.csv")) + 1), "not billed")]
    # the terminal says how many and why, never a member's name or id
    output = chain["corrected"].output
    for r in log_rows(set(chain["lines"][chain["replaced"]])):
        assert r["member_last_name"] not in output and r["member_id"] not in output


def rows_in(path: Path) -> list[dict]:
    return list(csv.DictReader(open(path, newline="")))


def test_reconcile_follows_the_chain_and_accounts_for_every_cent(chain):
    assert chain["second"].exit_code == 0, chain["second"].output
    assert_pyx12_clean(chain["era"].read_bytes())
    era = clp04_by_claim(chain["era"])
    replaced, voided = chain["replaced"], chain["voided"]
    first_pay = {k: v for e in chain["eras"] for k, v in clp04_by_claim(e).items()}
    # the payer reversed both originals, each by what it had paid
    assert era[(replaced, "22")] == -first_pay[(replaced, "1")]
    assert era[(voided, "22")] == -first_pay[(voided, "1")]
    [(replacement, repaid)] = [(c, v) for (c, code), v in era.items() if code == "1"]
    before = {(r["cbo"], r["payer"]): D(r["paid"]) for r in report(chain["tmp"] / "r1", "disbursement")}
    after = {(r["cbo"], r["payer"]): D(r["paid"]) for r in report(chain["tmp"] / "r2", "disbursement")}
    change: dict[tuple[str, str], D] = {}
    for claim, amount in ((replaced, -first_pay[(replaced, "1")]), (voided, -first_pay[(voided, "1")])):
        key = (chain["cbo"][claim], "cascade")
        change[key] = change.get(key, D(0)) + amount
    key = (chain["cbo"][replaced], "cascade")
    change[key] = change.get(key, D(0)) + repaid
    assert {k: after[k] - before.get(k, D(0)) for k in after if after[k] != before.get(k, D(0))} == {
        k: v for k, v in change.items() if v}
    # nothing of the correction's 835 is unmatched; the reports account for every BPR02
    assert report(chain["tmp"] / "r2", "unmatched") == report(chain["tmp"] / "r1", "unmatched")
    owed = report(chain["tmp"] / "r2", "disbursement")
    accounted = (sum((D(o["paid"]) - D(o["provider_adjustments"]) for o in owed), D(0))
                 + sum((D(u["amount"]) for u in report(chain["tmp"] / "r2", "unmatched")), D(0))
                 - sum((D(n["amount"]) for n in report(chain["tmp"] / "r2", "network_adjustments")), D(0)))
    assert accounted == sum((signed_bpr02(e) for e in chain["eras"] + [chain["era"]]), D(0))


def test_voided_services_are_released_for_encode_not_correct(chain, tmp_path):
    # the payer's reversal settled the void: its lines are no longer billed, so correct refuses
    # them (nothing to correct) and encode bills them as a new original
    rows = log_rows(set(chain["lines"][chain["voided"]]))
    log = write_log(tmp_path / "again.csv", rows)
    refused = run("correct", log, "--config", CONFIG, "--ledger", chain["ledger"], "--out", tmp_path / "o")
    assert refused.exit_code == 1, refused.output
    assert "service_id: correction-not-billed" in refused.output
    assert not list((tmp_path / "o").glob("*.837"))
    billed = run("encode", log, "--config", CONFIG, "--ledger", chain["ledger"], "--out", tmp_path / "e")
    assert billed.exit_code == 0, billed.output
    [path] = sorted((tmp_path / "e").glob("*.837"))
    assert [s[5].split(":")[2] for s in split(path) if s[0] == "CLM"] == ["1"]


def test_correct_without_a_ledger_or_rows_exits_2(tmp_path):
    log = write_log(tmp_path / "l.csv", log_rows({"SV2026000002"}))
    result = run("correct", log, "--config", CONFIG, "--ledger", tmp_path / "none.sqlite", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "no ledger" in result.output
    assert not (tmp_path / "none.sqlite").exists()


def test_decode_reads_the_frequency_and_ref_f8_back(chain):
    from sdohedi.claims837p.reader import Reader837P

    reader = Reader837P()
    claims = reader.feed(chain["claims_file"].read_bytes())
    reader.close()
    segs = split(chain["claims_file"])
    f8_of = {}
    current = None
    for s in segs:  # plain split: CLM01 -> (CLM05-3, REF*F8)
        if s[0] == "CLM":
            current = s[1]
            f8_of[current] = [s[5].split(":")[2], None]
        elif s[0] == "REF" and s[1] == "F8":
            f8_of[current][1] = s[2]
    assert {c.claim_id: [c.frequency, c.payer_claim_number] for c in claims} == f8_of
