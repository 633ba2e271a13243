"""``sdohedi remit``: outputs in three formats, exit codes, atomic 0600 files, no PHI on stderr."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import stat
import sys
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from remit835_samples import CLAIM, CORPUS, HEADER, PHI, SAMPLE, interchange, replace_segment, transaction
from sdohedi.cli import main
from sdohedi.remit835 import atomic_write

CORPUS_835 = sorted((CORPUS / "835").glob("*.edi"))


def run(*args):
    result = CliRunner().invoke(main, ["remit", *map(str, args)])
    for word in PHI + ("BUDD", "SETTLE", "33344555510"):  # sample and corpus patient names / member ids
        assert word not in result.stderr
    return result


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "era.835"
    path.write_text(SAMPLE)
    return path


@pytest.fixture
def unbalanced(tmp_path):
    path = tmp_path / "unbalanced.835"
    path.write_text(interchange(transaction(HEADER + replace_segment(CLAIM, "SVC*", "SVC*HC:S5170:U6*50*40**4"))))
    return path


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_csv_one_row_per_service_line(tmp_path, sample):
    out = tmp_path / "payments.csv"
    result = run(sample, "--out", out)
    assert result.exit_code == 0, result.stderr
    (row,) = list(csv.DictReader(out.open()))
    assert row == {
        "file": str(sample), "isa13": "000000101", "gs06": "55", "st02": "0001", "trace_number": "CHK100200",
        "payer_id": "1930000000", "payee_id": "1234567893", "payment_date": "2026-10-30", "payment_amount": "42.5",  # BPR02 42.50: amounts as X12 decimal text
        "claim_id": "CLM1001", "status_code": "1", "status_description": "Processed as Primary",
        "payer_claim_number": "PAYER123", "claim_charge": "50", "claim_paid": "42.5", "claim_adjustments": "",
        "line_control_number": "SVC-1", "procedure_code": "S5170", "modifiers": "U6", "charge": "50",
        "paid": "42.5", "allowed_amount": "47.5", "units": "4", "service_date": "2026-10-03",
        "adjustments": "CO-45:2.5;PR-3:5", "adjustment_descriptions": row["adjustment_descriptions"],
        "remark_codes": "N290",
    }
    assert row["adjustment_descriptions"].startswith("CO-45 Charge exceeds fee schedule")
    assert " | PR-3 Co-payment Amount" in row["adjustment_descriptions"]
    assert mode(out) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def corpus_findings(stderr: str) -> set[str]:
    """The rules of the findings reading the corpus files together: the stupidedi examples reuse
    interchange control numbers and trace numbers across files, which is a repeat in one run."""
    return set(re.findall(r": (?:error|warning) \[([a-z0-9-]+)\]", stderr))


def test_corpus_to_csv_counts(tmp_path):
    out = tmp_path / "all.csv"
    result = run(*CORPUS_835, "--out", out)
    assert result.exit_code == 1 and corpus_findings(result.stderr) == {"repeated-interchange", "repeated-trace"}
    for path in CORPUS_835:  # each on its own is clean
        assert run(path, "--out", tmp_path / "one.csv").exit_code == 0
    rows = list(csv.DictReader(out.open()))
    # rows: separate 2 lines, together 2 claims without lines, era 5, multiple 33, higher-fee 1,
    # secondary 1 claim without lines + 2 lines, tertiary 1
    assert len(rows) == 2 + 2 + 5 + 33 + 1 + 3 + 1
    # SVC03 by file: 500 + 550 (claim-level CAS take 50 + 55 more off the claims), 132, 810.8, 34, 30 + 280, 187.5
    assert sum(D(r["paid"]) for r in rows if r["paid"]) == D("1050") + D("132") + D("810.8") + D("34") + D("310") + \
        D("187.5")
    together = [r for r in rows if r["st02"] == "1234"]
    assert [r["claim_adjustments"] for r in together] == ["CO-45:73348.57", "CO-45:3019.67"]
    assert all(r["procedure_code"] == "" for r in together)


def test_claims_option(tmp_path):
    out = tmp_path / "claims.jsonl"
    result = run(*CORPUS_835, "--out", out, "--claims")
    assert result.exit_code == 1 and corpus_findings(result.stderr) == {"repeated-interchange", "repeated-trace"}
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2 + 2 + 1 + 9 + 1 + 2 + 1
    first = rows[0]
    assert (first["claim_id"], first["charge"], first["paid"], first["patient_responsibility"]) == (
        "5554555444", "800", "450", "300")
    assert first["adjustments"] == "CO-A2:50;PR-1:300" and first["filing_indicator"] == "12"
    assert first["service_lines"] == 1
    moa = next(r for r in rows if r["claim_id"] == "777777")
    assert moa["remark_codes"] == "MA02" and moa["patient_responsibility"] is None


def test_parquet(tmp_path, sample):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "payments.parquet"
    result = run(sample, "--out", out)
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(out)
    (row,) = table.to_pylist()
    assert row["paid"] == D("42.5") and row["units"] == D("4") and row["service_date"] == dt.date(2026, 10, 3)
    assert str(table.schema.field("charge").type) == "decimal128(20, 4)"
    assert mode(out) == 0o600


def test_findings_exit_1_and_output_still_written(tmp_path, sample, unbalanced):
    out = tmp_path / "p.csv"
    result = run(sample, unbalanced, "--out", out)
    assert result.exit_code == 1
    assert f"{unbalanced}: error [svc-balance] ISA13=000000101 GS06=55 ST02=0001 segment #14 SVC03:" in \
        result.stderr
    assert len(list(csv.DictReader(out.open()))) == 2


def test_one_bad_file_does_not_stop_the_others(tmp_path, sample):
    out = tmp_path / "p.csv"
    not_835 = CORPUS / "837p" / "stupidedi-ambulance.edi"
    result = run(not_835, tmp_path / "missing.835", sample, "--out", out)
    assert result.exit_code == 1
    assert f"{not_835}: error [transaction-not-supported] segment #2 GS01:" in result.stderr
    assert f"{not_835}: error: no 835 transaction set" in result.stderr
    assert "missing.835: cannot read" in result.stderr
    assert [r["claim_id"] for r in csv.DictReader(out.open())] == ["CLM1001"]


def test_a_file_cut_off_half_way_keeps_what_was_read(tmp_path):
    path = tmp_path / "half.835"
    text = interchange(transaction(), transaction(st02="0002"))
    path.write_text(text[:text.index("SVC*", text.index("ST*835*0002"))])  # ends inside the 2nd ST
    out = tmp_path / "p.csv"
    result = run(path, "--out", out)
    assert result.exit_code == 1 and "(rule: truncated) (after 1 transaction sets)" in result.stderr
    assert [r["st02"] for r in csv.DictReader(out.open())] == ["0001"]


def test_an_st_inside_a_transaction_is_a_finding(tmp_path):
    """The walker follows the envelope: the broken transaction set's segments are findings, and the
    claims around it are read."""
    path = tmp_path / "st.835"
    bad = transaction(replace_segment(HEADER + CLAIM, "CLP*", "ST*835*0009"), st02="0002")
    path.write_text(interchange(transaction(), bad, transaction(st02="0003")))
    out = tmp_path / "p.csv"
    result = run(path, "--out", out)
    assert result.exit_code == 1 and "error [segment-missing]" in result.stderr
    assert [r["st02"] for r in csv.DictReader(out.open())] == ["0001", "0003"]


def test_nothing_readable_exit_2_and_old_output_kept(tmp_path):
    out = tmp_path / "p.csv"
    out.write_text("previous run\n")
    garbage = tmp_path / "garbage.835"
    garbage.write_bytes(b"\x00\x01not x12")
    result = run(garbage, "--out", out)
    assert result.exit_code == 2
    assert out.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.835", "p.csv"]


def test_unknown_extension_exit_2(tmp_path, sample):
    result = run(sample, "--out", tmp_path / "p.xlsx")
    assert result.exit_code == 2 and "use .csv, .jsonl or .parquet" in result.stderr
    assert not (tmp_path / "p.xlsx").exists()


@pytest.mark.parametrize("args", [("--out", "p.parquet"), ("--out", "p.jsonl", "--tables")], ids=["rows", "tables"])
def test_parquet_without_pyarrow_says_so(tmp_path, sample, monkeypatch, args):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    monkeypatch.chdir(tmp_path)
    result = run(sample, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == ["error: Parquet and table output need pyarrow: pip install 'sdohedi[parquet]'"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [sample.name]  # nothing written beside the input


def test_the_row_writer_reports_missing_pyarrow_as_its_own_error(tmp_path, monkeypatch):
    from sdohedi.remit835.export import ExportError, row_writer
    from sdohedi.table_files import TableFormatError

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ExportError, match="need pyarrow") as info:
        with row_writer(tmp_path / "p.parquet", ["a"]):
            pass
    assert not isinstance(info.value, TableFormatError)  # callers catch ExportError alone
    with row_writer(tmp_path / "p.csv", ["a"]) as sink:  # CSV needs no pyarrow
        sink.write([{"a": "1"}])
        sink.commit()
    assert (tmp_path / "p.csv").read_text().split() == ["a", "1"]


def test_envelope_findings_are_reported(tmp_path):
    path = tmp_path / "counts.835"
    path.write_text(interchange(transaction(se01=5), ge01=2))
    result = run(path, "--out", tmp_path / "p.csv")
    assert result.exit_code == 1
    assert "error [se01-count]" in result.stderr and "error [ge01-count]" in result.stderr


def test_atomic_write_leaves_target_alone_on_error(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write("new")
            raise RuntimeError("boom")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]
    with atomic_write(target) as f:
        f.write("new")
    assert target.read_text() == "new" and mode(target) == 0o600


@pytest.mark.parametrize("version,warned", [("005010X221", False), ("004010X091A1", True)])
def test_another_835_version_is_read_as_005010x221a1(tmp_path, version, warned):
    """The rows of an 835 whose GS08 names another version are the rows of the same file as
    005010X221A1 (the models' parser reads it so too); a version not 005010X221 is a warning."""
    paths = []
    for name, text in (("a1.835", SAMPLE), ("other.835", SAMPLE.replace("*X*005010X221A1~", f"*X*{version}~"))):
        paths.append(tmp_path / name)
        paths[-1].write_text(text)
    assert paths[1].read_text() != SAMPLE
    rows = []
    for path in paths:
        out = tmp_path / f"{path.stem}.csv"
        result = run(path, "--out", out)
        rows.append([{k: v for k, v in r.items() if k != "file"} for r in csv.DictReader(out.open())])
    assert rows[0] == rows[1] and len(rows[0]) == 1
    assert ("warning [group-version-not-supported]" in result.stderr) is warned
    assert result.exit_code == (1 if warned else 0)
