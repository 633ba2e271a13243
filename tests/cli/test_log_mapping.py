"""End-to-end: a referral platform's export (fixtures/platform_export.csv) encoded as it is,
through the ``[log]`` of fixtures/platform.toml (its column names and its date format)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyx12_oracle import assert_pyx12_clean
from sdohedi.cli import main
from sdohedi.ledger import Ledger
from sdohedi.models.config import load_config
from sdohedi.pipeline.encode import encode
from sdohedi.pipeline.ingest import Reject, read_rows
from row_checker import RowChecker

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
EXPORT = FIXTURES / "platform_export.csv"
CONFIG = FIXTURES / "platform.toml"
RUN_DATE = dt.date(2026, 12, 1)
STAMP = dt.datetime(2026, 12, 1, 9, 30)
# the mapping, written out independently of the code under test: our field -> the export's column
MAPPING = tomllib.loads(CONFIG.read_text())["log"]["columns"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def export_rows() -> list[dict]:
    with open(EXPORT, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def as_our_log(row: dict) -> dict | None:
    """An export row converted by hand: our column names, ISO dates; None when a date does not read."""
    out = {field: row[column] for field, column in MAPPING.items()}
    out["units"], out["minutes"] = row["Units"], row["Minutes"]  # not mapped: read by their own names
    for field in ("service_date", "member_birth_date"):
        try:
            out[field] = dt.datetime.strptime(out[field], "%m/%d/%Y").date().isoformat()
        except ValueError:
            return None
    return out


def segments(path: Path) -> list[list[str]]:
    """A plain split (not our parser)."""
    return [s.strip().split("*") for s in path.read_text().split("~") if s.strip()]


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_the_export_encodes_unchanged_and_rejects_name_its_columns(tmp_path):
    out = tmp_path / "out"
    result = run("encode", EXPORT, "--config", CONFIG, "--out", out, "--ledger", tmp_path / "l.sqlite",
                 "--run-date", RUN_DATE)
    assert result.exit_code == 1, result.output
    files = sorted(out.glob("*.837"))
    assert [f.name.split("-")[0] for f in files] == ["cascade", "lakeside"]
    ref6r = []
    for f in files:
        assert_pyx12_clean(f.read_bytes())
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        ref6r += [s[2] for s in segments(f) if s[:2] == ["REF", "6R"]]
    # the export's own service_id column (REF-7701 twice) is not ours: Invoice ID is
    assert sorted(ref6r) == [f"INV-3000{i}" for i in range(1, 6)]
    rejects = list(csv.DictReader(open(out / "rejects.csv")))
    assert stat.S_IMODE((out / "rejects.csv").stat().st_mode) == 0o600
    assert [(r["row_number"], r["service_id"], r["column"], r["reason"]) for r in rejects] == [
        ("7", "INV-30006", "Date of Service", "past timely filing: 139 days, limit 90"),
        ("8", "INV-30007", "Date of Service", "not a date in the [log] date_format %m/%d/%Y"),
        ("9", "INV-30008", "ICD-10 Codes", "diagnosis Z59.86 is not billable for services on or after 2025-10-01")]
    # no member's name or id on the terminal
    for row in export_rows():
        for column in ("Client ID", "Client Last Name", "Client DOB", "Street Address"):
            assert row[column] not in result.output


def test_mapped_rows_give_the_lines_of_the_same_rows_in_our_own_columns():
    """Row by row, through ``check`` (fast path, then the thorough one when it gives up): an export
    row gives exactly what the hand-converted row gives without a mapping."""
    mapped = RowChecker(load_config(CONFIG), today=RUN_DATE)
    plain = RowChecker(load_config(FIXTURES / "nle.toml"), today=RUN_DATE)
    fast = 0
    for (n, raw), row in zip(read_rows(EXPORT, log=mapped.log), export_rows(), strict=True):
        ours = as_our_log(row)
        got = mapped.check(n, raw, "x")
        if ours is None:
            assert got == Reject(n, row["Invoice ID"], "service_date", "not a date in the [log] date_format %m/%d/%Y",
                                     "x", "log-date-format")
            continue
        assert got == plain.check(n, ours, "x")
        renamed = mapped.log.rename(raw)[0]
        fast += plain._fast.check(n, ours, "x") is not None and mapped._fast.check(n, renamed, "x") is not None
    assert fast == 5  # the plain rows of the export take the fast path, mapped or not


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_json_lines_and_parquet_exports_write_the_bytes_of_our_own_log(tmp_path, fmt):
    """The export as CSV, JSON Lines or Parquet, and the same rows converted by hand into our own
    columns (without the row whose date does not read): the same 837P files, byte for byte."""
    rows = export_rows()
    path = tmp_path / f"export.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    ours = write_csv(tmp_path / "ours.csv", [r for r in map(as_our_log, rows) if r is not None])
    written = {}
    for name, source, config in (("csv", EXPORT, CONFIG), (fmt, path, CONFIG), ("ours", ours, FIXTURES / "nle.toml")):
        out = tmp_path / name
        summary = encode([source], load_config(config), out_dir=out, ledger=Ledger(tmp_path / f"{name}.sqlite"),
                         today=RUN_DATE, timestamp=STAMP)
        assert summary.billed_rows == 5
        written[name] = {f.name: f.read_bytes() for f in out.glob("*.837")}
    assert len(written["csv"]) == 2 and written["csv"] == written[fmt] == written["ours"]


def test_a_mapped_column_the_export_lacks_is_named_and_nothing_is_written(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "Invoice ID"} for r in export_rows()]
    log = write_csv(tmp_path / "export.csv", rows)
    out = tmp_path / "out"
    result = run("encode", log, "--config", CONFIG, "--out", out, "--ledger", tmp_path / "l.sqlite",
                 "--run-date", RUN_DATE)
    assert result.exit_code == 2
    assert 'columns the [log] of the config maps are not in the file: service_id = "Invoice ID"' in result.output
    assert not list(out.glob("*.837")) and "Traceback" not in result.output


@pytest.mark.parametrize("log, named", [
    ('[log.columns]\nservice_id = "Invoice ID"\nclient_name = "Client"\nsevice_date = "DOS"\n',
     "not service-log fields: client_name, sevice_date"),
    ('[log.columns]\nservice_id = "Invoice ID"\nmember_id = "invoice id "\n',
     "service_id and member_id are both mapped to the column 'invoice id'"),
    ('[log]\ndate_format = "%m/%m/%Y"\n', "'%m/%m/%Y' is not a strptime format that reads a date back"),
])
def test_a_bad_log_section_is_a_config_error_naming_it(tmp_path, log, named):
    text = (FIXTURES / "nle.toml").read_text() + "\n" + log
    config = tmp_path / "c.toml"
    config.write_text(text)
    result = run("encode", EXPORT, "--config", config, "--dry-run", "--ledger", tmp_path / "l.sqlite")
    assert result.exit_code == 2
    assert "invalid configuration" in result.output and named in result.output


def test_the_fixture_config_is_nle_toml_with_a_log_section():
    platform = tomllib.loads(CONFIG.read_text())
    del platform["log"]
    assert platform == tomllib.loads((FIXTURES / "nle.toml").read_text())


def test_duplicates_in_the_run_and_in_the_ledger_name_the_exports_column(tmp_path):
    rows = export_rows()
    log = write_csv(tmp_path / "export.csv", rows + [dict(rows[0], **{"Date of Service": "10/07/2026"})])
    out, ledger = tmp_path / "out", tmp_path / "l.sqlite"
    run("encode", log, "--config", CONFIG, "--out", out, "--ledger", ledger, "--run-date", RUN_DATE)
    dup = list(csv.DictReader(open(out / "rejects.csv")))[-1]
    assert (dup["row_number"], dup["column"], dup["reason"]) == (
        "10", "Invoice ID", "duplicate service_id in this run (first seen on row 2)")
    again = run("encode", EXPORT, "--config", CONFIG, "--out", tmp_path / "out2", "--ledger", ledger,
                "--run-date", RUN_DATE)
    assert again.exit_code == 1 and "Invoice ID: duplicate" in again.output
    rejects = list(csv.DictReader(open(tmp_path / "out2" / "rejects.csv")))
    assert {r["column"] for r in rejects} == {"Invoice ID", "Date of Service", "ICD-10 Codes"}
    assert sum(r["column"] == "Invoice ID" for r in rejects) == 5


def test_column_names_match_without_case_and_may_be_any_text(tmp_path):
    lines = EXPORT.read_text().splitlines()
    log = tmp_path / "export.csv"
    log.write_text("\n".join([lines[0].replace("Invoice ID", " Número de Factura ")] + lines[1:]) + "\n")
    config = tmp_path / "c.toml"
    config.write_text(CONFIG.read_text().replace('service_id = "Invoice ID"', 'service_id = "NÚMERO DE FACTURA"'))
    result = run("encode", log, "--config", config, "--dry-run", "--ledger", tmp_path / "l.sqlite",
                 "--run-date", RUN_DATE, "--format", "json")
    summary = json.loads(result.output)
    assert summary["billed_rows"] == 5 and summary["rejected_rows"] == 3
