"""835 -> Arrow tables (sdohedi.remit835.read_835_tables), held to independent oracles: a plain
split of the file (tests/corpus_split.py, integer cents), the documented schema
(schemas/tables/835.md) and, for claims and amounts, the pydantic models of parse_835_file."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

pa = pytest.importorskip("pyarrow")

from corpus_split import cents, segments, split  # noqa: E402
from remit835_samples import CORPUS, SAMPLE  # noqa: E402
from remit835_strategies import ENVELOPE, remittance_batches  # noqa: E402
from sdohedi.problems import RULES  # noqa: E402
from sdohedi.remit835 import Remit835Error, iter_835_tables, parse_835_file, read_835_tables, write_835  # noqa: E402

DOC = Path(__file__).resolve().parents[2] / "schemas" / "tables" / "835.md"
NAMES = ("payments", "claims", "service_lines", "adjustments", "provider_adjustments", "findings", "remarks")


def _is_835(path: Path) -> bool:
    try:
        return "835" in split(path.read_bytes()).transaction_sets
    except ValueError:
        return False


FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and _is_835(p))


def tables(data_or_path, **kw) -> dict[str, "pa.Table"]:
    return read_835_tables(data_or_path, **kw).to_pyarrow()


def _cents(column) -> int:
    return sum(int(v * 100) for v in column.to_pylist() if v is not None)


def oracle(data: bytes) -> dict[str, int]:
    """Counts and totals of a plain split, with the CAS triples and PLB pairs counted off it."""
    s = split(data)
    segs = segments(data)

    def present(seg, at):
        return any(len(seg) > i and seg[i] for i in at)

    triples = sum(present(g, (n, n + 1, n + 2)) for g in segs if g[0] == "CAS" for n in range(2, 20, 3))
    pairs = sum(present(g, (n, n + 1)) for g in segs if g[0] == "PLB" for n in range(3, 15, 2))
    return {"payments": s.transaction_sets.count("835"), "claims": s.ids["CLP"], "lines": s.ids["SVC"],
            "triples": triples, "pairs": pairs, "bpr02": s.bpr02, "clp03": s.clp03, "clp04": s.clp04,
            "svc02": s.svc02, "svc03": s.svc03, "cas": s.cas, "plb": s.plb}


def ours(t: dict[str, "pa.Table"]) -> dict[str, int]:
    return {"payments": t["payments"].num_rows, "claims": t["claims"].num_rows,
            "lines": t["service_lines"].num_rows, "triples": t["adjustments"].num_rows,
            "pairs": t["provider_adjustments"].num_rows, "bpr02": _cents(t["payments"]["bpr02_amount"]),
            "clp03": _cents(t["claims"]["clp03_charge"]), "clp04": _cents(t["claims"]["clp04_paid"]),
            "svc02": _cents(t["service_lines"]["svc02_charge"]), "svc03": _cents(t["service_lines"]["svc03_paid"]),
            "cas": _cents(t["adjustments"]["amount"]), "plb": _cents(t["provider_adjustments"]["amount"])}


def test_the_corpus_has_835s():
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_counts_and_totals_match_a_plain_split(path):
    got = tables(path)
    assert ours(got) == oracle(path.read_bytes())
    # from bytes or from a path: the same tables
    again = tables(path.read_bytes())
    assert all(got[n].equals(again[n]) for n in NAMES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_claims_agree_with_the_models(path):
    got = tables(path)
    rems = list(parse_835_file(path))
    models = [(c.claim_id, c.charge, c.paid, len(c.services)) for r in rems for c in r.claims]
    claims, lines = got["claims"], got["service_lines"]
    per_claim = lines.group_by("claim_row").aggregate([("line_row", "count")]).to_pydict()
    n_lines = dict(zip(per_claim["claim_row"], per_claim["line_row_count"]))
    rows = [(cid, charge, paid, n_lines.get(row, 0)) for cid, charge, paid, row in zip(
        *(claims[c].to_pylist() for c in ("clp01_claim_id", "clp03_charge", "clp04_paid", "claim_row")))]
    assert rows == models
    assert got["payments"]["bpr02_amount"].to_pylist() == [r.total_payment for r in rems]
    assert got["payments"]["trn02_trace_number"].to_pylist() == [r.trace_number for r in rems]
    paid = [s.paid for r in rems for c in r.claims for s in c.services]
    assert lines["svc03_paid"].to_pylist() == paid
    codes = [s.procedure_code for r in rems for c in r.claims for s in c.services]
    assert lines["svc01_procedure"].to_pylist() == codes


def test_keys_join_lines_to_claims_to_payments():
    t = tables(CORPUS / "835" / "stupidedi-multiple-claims-single-check.edi")
    joined = t["service_lines"].join(t["claims"], "claim_row", right_suffix="_c")
    assert joined.num_rows == t["service_lines"].num_rows == 33
    assert set(t["claims"]["payment_row"].to_pylist()) == {0}
    line_cas = t["adjustments"].filter(pa.compute.is_valid(t["adjustments"]["line_row"]))
    assert set(line_cas["line_row"].to_pylist()) <= set(t["service_lines"]["line_row"].to_pylist())


def _doc_columns() -> list[tuple[str, str, str]]:
    """(table, column, type) rows of the docs table."""
    out, table = [], None
    for line in DOC.read_text().splitlines():
        if m := re.match(r"^## `(\w+)`", line):
            table = m.group(1)
        elif table and (m := re.match(r"^\| `(\w+)` \| `([^`]+)` \|", line)):
            out.append((table, m.group(1), m.group(2)))
    return out


def test_every_column_is_documented_with_its_type():
    got = tables(SAMPLE.encode())
    schema = [(n, f.name, str(f.type)) for n in NAMES for f in got[n].schema]
    assert schema == _doc_columns()


def test_a_bad_element_is_a_finding_and_keeps_its_claim():
    text = SAMPLE
    clp = next(s for s in text.split("~") if s.startswith("CLP*"))
    parts = clp.split("*")
    parts[3] = "12.3.4"  # CLP03 not a decimal
    bad = text.replace(clp, "*".join(parts), 1)
    position = [s.strip() for s in bad.split("~") if s.strip()].index("*".join(parts)) + 1
    good, got = tables(text.encode()), tables(bad.encode())
    assert got["claims"].num_rows == good["claims"].num_rows
    assert got["claims"]["clp03_charge"][0].as_py() is None
    assert got["claims"]["clp04_paid"].equals(good["claims"]["clp04_paid"])
    found = got["findings"].to_pylist()
    hits = [f for f in found if f["rule"] == "invalid-decimal"]
    assert [(f["position"], f["segment"], f["element"]) for f in hits] == [(position, "CLP", 3)]
    assert "12.3.4" not in hits[0]["message"]


def test_a_bad_date_is_null_and_a_finding():
    text = (CORPUS / "realworld" / "lfh-cob-contractural-adjustment.835").read_bytes()
    assert b"DTM*405*20050318" in text
    got = tables(text.replace(b"DTM*405*20050318", b"DTM*405*20050231"))
    assert got["payments"]["production_date"][0].as_py() is None
    hits = [(f["rule"], f["segment"], f["element"]) for f in got["findings"].to_pylist() if f["rule"] == "invalid-date"]
    assert hits == [("invalid-date", "DTM", 2)]
    assert got["claims"].equals(tables(text)["claims"])


def test_dates_are_dates_and_amounts_decimals():
    got = tables(CORPUS / "835" / "stupidedi-era-sample.edi")
    assert got["payments"]["bpr16_date"].to_pylist() == [dt.date(2014, 3, 31)]
    assert got["payments"]["bpr02_amount"].to_pylist() == [Decimal("132.00")]


def test_every_finding_names_a_registered_rule():
    for path in FILES:
        for rule in tables(path)["findings"]["rule"].to_pylist():
            assert rule in RULES, (path.name, rule)


def test_nothing_readable_is_an_error():
    with pytest.raises(Remit835Error) as exc:
        read_835_tables(b"this is not X12")
    assert exc.value.rule == "isa-missing"


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_streaming_batches_add_up_to_the_whole(tmp_path, batch):
    path = CORPUS / "835" / "stupidedi-multiple-claims-single-check.edi"
    whole = tables(path)
    parts = [t.to_pyarrow() for t in iter_835_tables(path, batch_claims=batch, chunk_size=97)]
    assert all(p["claims"].num_rows <= batch for p in parts)
    for n in NAMES:
        assert pa.concat_tables([p[n] for p in parts]).equals(whole[n]), n


def _written(remittances) -> bytes:
    out: list[str] = []
    write_835(remittances, out.append, **ENVELOPE, timestamp=dt.datetime(2026, 11, 2, 9, 30))
    return "".join(out).encode("latin-1")


@given(remittance_batches())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_835s_match_a_plain_split(remittances):
    data = _written(remittances)
    assert ours(tables(data)) == oracle(data)
    assert ours(tables(data, batch_claims=1)) == oracle(data)


INTERESTING = b"*:^~>|\n\r \x00\xff\xefISAGSTSEBPRCLPSVCCASIEAGEN1LXPLB0123456789.-"


@given(st.binary(max_size=600) | st.lists(st.sampled_from(list(INTERESTING)), max_size=600).map(bytes),
       st.data())
@example(SAMPLE.encode()[:-40], None)
@settings(max_examples=150, deadline=None)
def test_any_bytes_give_tables_or_a_typed_error(data, draw):
    if draw is not None and data:
        valid = bytearray(SAMPLE.encode())
        at = draw.draw(st.integers(0, len(valid) - 1))
        valid[at:at + len(data) // 8 + 1] = data[:len(data) // 8 + 1]
        data = bytes(valid)
    try:
        got = tables(data)
    except Remit835Error:
        return
    assert all(got[n].num_rows >= 0 for n in NAMES)


def test_polars_and_duckdb_take_the_tables():
    t = read_835_tables(CORPUS / "835" / "stupidedi-multiple-claims-single-check.edi")
    pl = pytest.importorskip("polars")
    assert pl.DataFrame(t.claims).height == 9
    duckdb = pytest.importorskip("duckdb")
    claims = t.claims  # noqa: F841 (duckdb finds it by name, through __arrow_c_stream__)
    assert duckdb.sql("select count(*), sum(clp04_paid) from claims").fetchall() == [(9, Decimal("810.80"))]


def _remit(*args):
    from click.testing import CliRunner

    from sdohedi.cli import main

    return CliRunner().invoke(main, ["remit", *map(str, args)])


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_remit_tables_writes_one_file_per_table(tmp_path, suffix):
    import json
    import stat

    files = [CORPUS / "835" / "stupidedi-multiple-claims-single-check.edi", CORPUS / "835" / "stupidedi-era-sample.edi"]
    want = [oracle(p.read_bytes()) for p in files]
    result = _remit(*files, "--out", tmp_path / f"era{suffix}", "--tables")
    assert result.exit_code == 0, result.output
    for name in NAMES:
        path = tmp_path / f"era.{name}{suffix}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        claims = pq.read_table(tmp_path / "era.claims.parquet")
        lines = pq.read_table(tmp_path / "era.service_lines.parquet")
    else:
        read = lambda n: pa.Table.from_pylist(  # noqa: E731
            [json.loads(x) for x in (tmp_path / f"era.{n}.jsonl").read_text().splitlines()])
        claims, lines = read("claims"), read("service_lines")
    assert claims.num_rows == sum(w["claims"] for w in want)
    assert lines.num_rows == sum(w["lines"] for w in want)
    assert set(claims["file"].to_pylist()) == {str(p) for p in files}
    paid = sum(Decimal(str(v)) for v in claims["clp04_paid"].to_pylist())
    assert int(paid * 100) == sum(w["clp04"] for w in want)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"era.{n}{suffix}" for n in NAMES)


def test_remit_tables_nothing_readable_writes_nothing(tmp_path):
    bad = tmp_path / "bad.835"
    bad.write_bytes(b"not an 835")
    result = _remit(bad, "--out", tmp_path / "era.parquet", "--tables")
    assert result.exit_code == 2
    assert "isa-missing" in result.output or "ISA" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.835"]
    assert "Traceback" not in result.output
