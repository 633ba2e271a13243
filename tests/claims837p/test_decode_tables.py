"""``sdohedi decode --tables``: the 837P tables as files, held to a plain split of the input
(tests/corpus_split.py), with the remit --tables contract: one 0600 file per table, a ``file``
column, nothing written when nothing could be read, findings named without values."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

pq = pytest.importorskip("pyarrow.parquet")

from conftest import CORPUS  # noqa: E402
from corpus_split import split  # noqa: E402
from sdohedi.cli import main  # noqa: E402

NAMES = ("claims", "service_lines", "diagnoses", "parties", "findings")
SAMPLE = CORPUS / "837p" / "stupidedi-ambulance.edi"


def run(*args):
    return CliRunner().invoke(main, ["decode", *map(str, args)])


def _cents(values) -> int:
    return sum(int(v * 100) for v in values if v is not None)


def test_parquet_tables_match_a_plain_split(tmp_path):
    data = SAMPLE.read_bytes()
    want = split(data)
    out = tmp_path / "claims.parquet"
    result = run(SAMPLE, "--out", out, "--tables")
    assert result.exit_code in (0, 1), result.stderr
    paths = {name: tmp_path / f"claims.{name}.parquet" for name in NAMES}
    for path in paths.values():
        assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not out.exists()
    claims = pq.read_table(paths["claims"])
    lines = pq.read_table(paths["service_lines"])
    assert claims.num_rows == want.ids["CLM"] > 0
    assert lines.num_rows == want.ids["SV1"]
    assert pq.read_table(paths["diagnoses"]).num_rows == want.hi_codes
    assert _cents(claims["clm02_charge"].to_pylist()) == want.clm02
    assert _cents(lines["sv102_charge"].to_pylist()) == want.sv102
    assert set(claims["file"].to_pylist()) == {str(SAMPLE)}
    assert claims.schema.names[0] == "file"
    assert f"{want.ids['CLM']} claims" in result.stdout


def test_jsonl_tables_have_one_line_per_row(tmp_path):
    want = split(SAMPLE.read_bytes())
    result = run(SAMPLE, "--out", tmp_path / "t.jsonl", "--tables")
    assert result.exit_code in (0, 1), result.stderr
    rows = [json.loads(line) for line in (tmp_path / "t.claims.jsonl").read_text().splitlines()]
    assert len(rows) == want.ids["CLM"]
    assert sum(int(round(float(r["clm02_charge"]) * 100)) for r in rows) == want.clm02
    lines = (tmp_path / "t.service_lines.jsonl").read_text().splitlines()
    assert len(lines) == want.ids["SV1"]


def test_a_bad_amount_is_a_finding_and_the_claim_is_kept(tmp_path):
    data = SAMPLE.read_bytes()
    term = data[105:106]
    segs = data.split(term)
    i = next(k for k, s in enumerate(segs) if s.lstrip().startswith(b"CLM*"))
    parts = segs[i].split(b"*")
    parts[2] = b"12X.00"
    segs[i] = b"*".join(parts)
    bad = tmp_path / "bad.837"
    bad.write_bytes(term.join(segs))
    result = run(bad, "--out", tmp_path / "t.parquet", "--tables")
    assert result.exit_code == 1
    assert "[invalid-decimal]" in result.stderr and "12X" not in result.stderr
    assert pq.read_table(tmp_path / "t.claims.parquet").num_rows == split(data).ids["CLM"]
    findings = pq.read_table(tmp_path / "t.findings.parquet").to_pylist()
    assert any(f["rule"] == "invalid-decimal" and f["segment"] == "CLM" and f["element"] == 2 for f in findings)


def test_nothing_readable_writes_nothing(tmp_path):
    junk = tmp_path / "junk.837"
    junk.write_bytes(b"not x12 at all")
    result = run(junk, "--out", tmp_path / "t.parquet", "--tables")
    assert result.exit_code == 2
    assert "nothing written" in result.stderr
    assert list(tmp_path.iterdir()) == [junk]


def test_unknown_extension_and_lenient_are_refused(tmp_path):
    result = run(SAMPLE, "--out", tmp_path / "t.xlsx", "--tables")
    assert result.exit_code == 2 and "use .parquet or .jsonl" in result.stderr
    result = run(SAMPLE, "--out", tmp_path / "t.parquet", "--tables", "--lenient")
    assert result.exit_code == 2 and "--lenient" in result.stderr
    assert not list(tmp_path.iterdir())


def test_a_second_run_replaces_the_tables_whole(tmp_path):
    out = tmp_path / "t.parquet"
    assert run(SAMPLE, "--out", out, "--tables").exit_code in (0, 1)
    first = pq.read_table(tmp_path / "t.claims.parquet").num_rows
    junk = tmp_path / "junk.837"
    junk.write_bytes(b"ISA*garbage")
    assert run(junk, "--out", out, "--tables").exit_code == 2
    assert pq.read_table(tmp_path / "t.claims.parquet").num_rows == first  # left as it was
