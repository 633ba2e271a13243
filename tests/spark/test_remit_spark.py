"""read_835 on Spark against the local parser: the same payments table (rows, values, types)
from whole files (single-line 835s, several interchanges in one file, a broken file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sdohedi.cli import main
from sdohedi.models.remit import finding_text
from sdohedi.remit835 import balance_findings, parse_835_file
from sdohedi.remit835.rows import CLAIM_COLUMNS, SERVICE_COLUMNS, claim_rows, service_rows
from sdohedi.x12 import X12Error

pytestmark = pytest.mark.spark

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


@pytest.fixture(scope="module")
def eras(tmp_path_factory) -> list[Path]:
    corpus = sorted((CORPUS / "835").glob("*.edi"))
    assert corpus  # the repository carries them (tests/data/corpus)
    tmp = tmp_path_factory.mktemp("eras")
    out = []
    for p in corpus:  # single-line files, as the corpus has them
        out.append(tmp / p.name)
        out[-1].write_bytes(p.read_bytes())
    data = corpus[0].read_bytes()
    (tmp / "lines.835").write_bytes(data.replace(b"~", b"~\n"))  # one segment per line
    (tmp / "two.835").write_bytes(data + corpus[1].read_bytes())  # two interchanges in one file
    (tmp / "broken.835").write_bytes(data[: len(data) // 2])  # truncated: rows before the break, then an error
    return out + [tmp / "lines.835", tmp / "two.835", tmp / "broken.835"]


def _local(paths: list[Path], claims: bool = False) -> tuple[list[dict], list[tuple[str, str]]]:
    """What the local command reads: payment rows and the problems it prints."""
    to_rows = claim_rows if claims else service_rows
    rows, problems = [], []
    for p in paths:
        name = str(p)
        envelope: list = []
        read = 0
        try:
            for remit in parse_835_file(p, findings=envelope):
                read += 1
                problems += [(name, finding_text(f)) for f in remit.findings + balance_findings(remit)]
                rows += list(to_rows(remit, name))
        except X12Error as exc:
            problems.append((name, f"error: {exc}" + (f" (after {read} transaction sets)" if read else "")))
        problems += [(name, finding_text(f)) for f in envelope]
    return rows, problems


def _norm(row: dict, columns: list[str]) -> tuple:
    return tuple(row.get(c) for c in columns)


@pytest.mark.parametrize("claims", [False, True])
def test_same_table_as_the_local_parser(spark, eras, claims):
    from sdohedi.spark import read_835

    columns = CLAIM_COLUMNS if claims else SERVICE_COLUMNS
    df = read_835(spark, [str(p) for p in eras], claims=claims, names={str(p): str(p) for p in eras})
    assert df.columns == columns + ["problem"]
    got = [r.asDict() for r in df.collect()]
    rows, problems = _local(eras, claims)
    assert len(rows) > 20 and any(p[1].startswith("error:") for p in problems)
    payments = [r for r in got if r["problem"] is None]
    # decimals compare by value (12.5 == 12.5000), dates as dates, text as text; order within a file is kept
    assert sorted(map(lambda r: _norm(r, columns), payments), key=repr) == \
        sorted(map(lambda r: _norm(r, columns), rows), key=repr)
    for name in {r["file"] for r in rows}:
        assert [_norm(r, columns) for r in payments if r["file"] == name] == \
            [_norm(r, columns) for r in rows if r["file"] == name]
    assert sorted((r["file"], r["problem"]) for r in got if r["problem"] is not None) == sorted(problems)
    assert all(set(r) - {"file", "problem"} and all(r[c] is None for c in columns if c != "file")
               for r in got if r["problem"] is not None)


def test_schema_is_fixed_and_typed(spark, eras):
    from sdohedi.spark import read_835, remit_schema_ddl

    df = read_835(spark, str(eras[0]))
    types = dict(df.dtypes)
    assert types["payment_amount"] == "decimal(20,4)" and types["units"] == "decimal(20,4)"
    assert types["payment_date"] == "date" and types["service_date"] == "date"
    assert types["claim_id"] == "string" and types["problem"] == "string"
    assert "`units` decimal(20,4)" in remit_schema_ddl()
    assert df.first()["file"].startswith("file:")  # without names, the path as Spark lists it


def test_cli_engine_spark_writes_the_local_parquet_table(spark, eras, tmp_path):
    import pyarrow.parquet as pq

    args = ["remit", *map(str, eras)]
    local = CliRunner().invoke(main, args + ["--out", str(tmp_path / "local.parquet")])
    remote = CliRunner().invoke(main, args + ["--out", str(tmp_path / "spark.parquet"), "--engine", "spark"])
    assert local.exit_code == remote.exit_code == 1  # the broken file
    ref = pq.read_table(tmp_path / "local.parquet")
    got = pq.read_table(tmp_path / "spark.parquet")  # a Parquet folder
    assert got.schema.names == ref.schema.names and got.schema.types == ref.schema.types
    key = lambda r: repr(sorted(r.items()))  # noqa: E731
    assert sorted(got.to_pylist(), key=key) == sorted(ref.to_pylist(), key=key)
    # Repeats across files (the fixture reads some files twice) are checked by the local engine only.
    problem_lines = lambda out: sorted(line for line in out.splitlines() if (": error:" in line  # noqa: E731
                                       or "[" in line) and "[repeated-" not in line)
    assert problem_lines(remote.output) == problem_lines(local.output)
    nothing = CliRunner().invoke(main, ["remit", str(eras[-1]), "--out", str(tmp_path / "x.parquet"),
                                        "--engine", "spark"])
    assert nothing.exit_code == 2 and not (tmp_path / "x.parquet").exists()
