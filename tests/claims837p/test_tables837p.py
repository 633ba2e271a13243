"""837P -> Arrow tables (sdohedi.claims837p.read_837p_tables), held to independent oracles: a
plain split of the file (tests/corpus_split.py, integer cents), the documented schema
(schemas/tables/837p.md) and the claim models of read_837p."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pa = pytest.importorskip("pyarrow")

from conftest import CORPUS  # noqa: E402
from corpus_split import segments, split  # noqa: E402
from factories import ENVELOPE, RECEIVER, SUBMITTER, TIMESTAMP  # noqa: E402
from strategies import claims as claim_strategy  # noqa: E402
from sdohedi.claims837p import Reader837P, iter_837p_tables, read_837p_tables, write_837p  # noqa: E402
from sdohedi.problems import RULES  # noqa: E402
from sdohedi.x12 import X12Error  # noqa: E402

DOC = Path(__file__).resolve().parents[2] / "schemas" / "tables" / "837p.md"
NAMES = ("claims", "service_lines", "diagnoses", "parties", "findings")


def _is_x222a1(path: Path) -> bool:
    try:
        segs = segments(path.read_bytes())
    except ValueError:
        return False
    gs = [s for s in segs if s[0] == "GS"]
    return bool(gs) and all(len(g) > 8 and g[8] == "005010X222A1" for g in gs) and any(s[0] == "CLM" for s in segs)


FILES = sorted(p for d in ("837p", "837p-invalid", "realworld") if (CORPUS / d).is_dir()
               for p in (CORPUS / d).rglob("*") if p.is_file() and _is_x222a1(p))
SAMPLE = CORPUS / "837p" / "stupidedi-ambulance.edi"


def tables(data_or_path, **kw) -> dict[str, "pa.Table"]:
    return read_837p_tables(data_or_path, **kw).to_pyarrow()


def _cents(column) -> int:
    return sum(int(v * 100) for v in column.to_pylist() if v is not None)


def oracle(data: bytes) -> dict[str, int]:
    s = split(data)
    return {"claims": s.ids["CLM"], "lines": s.ids["SV1"], "codes": s.hi_codes, "clm02": s.clm02, "sv102": s.sv102}


def ours(t: dict[str, "pa.Table"]) -> dict[str, int]:
    return {"claims": t["claims"].num_rows, "lines": t["service_lines"].num_rows, "codes": t["diagnoses"].num_rows,
            "clm02": _cents(t["claims"]["clm02_charge"]), "sv102": _cents(t["service_lines"]["sv102_charge"])}


def test_the_corpus_has_837ps():
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_counts_and_totals_match_a_plain_split(path):
    got = tables(path)
    assert ours(got) == oracle(path.read_bytes())
    again = tables(path.read_bytes())
    assert all(got[n].equals(again[n]) for n in NAMES)
    for rule in got["findings"]["rule"].to_pylist():
        assert rule in RULES, rule


def _models(data: bytes):
    reader = Reader837P(lenient=True)
    out = reader.feed(data) + reader.close()
    return out, reader


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_claims_agree_with_the_models(path):
    data = path.read_bytes()
    models, reader = _models(data)
    if reader.errors:
        pytest.skip("the model reader does not read every claim of this file")
    got = tables(data)
    c, lines, dx = got["claims"], got["service_lines"], got["diagnoses"]
    rows = list(zip(*(c[n].to_pylist() for n in ("clm01_claim_id", "clm02_charge", "clm05_frequency",
                                                   "prior_authorization", "payer_claim_number"))))
    assert rows == [(m.claim_id, m.total_charge, m.frequency, m.prior_authorization, m.payer_claim_number)
                    for m in models]
    assert lines["sv102_charge"].to_pylist() == [ln.charge for m in models for ln in m.lines]
    assert lines["sv101_procedure"].to_pylist() == [ln.procedure_code for m in models for ln in m.lines]
    want = [(i, d) for i, m in enumerate(models) for d in m.diagnoses]
    got_dx = [(r, code) for r, q, code in zip(*(dx[n].to_pylist() for n in ("claim_row", "qualifier", "code")))
              if q in ("ABK", "ABF", "BK", "BF")]
    assert got_dx == want


def _doc_columns() -> list[tuple[str, str, str]]:
    out, table = [], None
    for line in DOC.read_text().splitlines():
        if m := re.match(r"^## `(\w+)`", line):
            table = m.group(1)
        elif table and (m := re.match(r"^\| `(\w+)` \| `([^`]+)` \|", line)):
            out.append((table, m.group(1), m.group(2)))
    return out


def test_every_column_is_documented_with_its_type():
    got = tables(SAMPLE)
    schema = [(n, f.name, str(f.type)) for n in NAMES for f in got[n].schema]
    assert schema == _doc_columns()


def test_member_phi_is_not_in_the_tables():
    data = SAMPLE.read_bytes()
    segs = segments(data)
    member = {"IL", "QC"}
    phi = set()
    for s in segs:
        if s[0] == "NM1" and s[1] in member:
            phi.update(v for v in s[3:5] + s[9:10] if v)
        if s[0] == "DMG":
            phi.update(v for v in s[2:3] if v)
    assert phi
    got = tables(data)
    for name in NAMES:
        for row in got[name].to_pylist():
            for value in row.values():
                assert not (isinstance(value, str) and value in phi), (name, row)


def test_a_bad_charge_is_null_and_a_finding_and_keeps_its_claim():
    text = SAMPLE.read_text()
    clm = next(s for s in re.split(r"~\s*", text) if s.startswith("CLM*"))
    parts = clm.split("*")
    parts[2] = "12.3.4"
    bad = text.replace(clm, "*".join(parts), 1).encode()
    position = [s.strip() for s in re.split(r"~", bad.decode()) if s.strip()].index("*".join(parts)) + 1
    good, got = tables(SAMPLE), tables(bad)
    assert got["claims"].num_rows == good["claims"].num_rows
    assert got["claims"]["clm02_charge"][0].as_py() is None
    assert got["service_lines"].equals(good["service_lines"])
    hits = [f for f in got["findings"].to_pylist() if f["rule"] == "invalid-decimal"]
    assert [(f["position"], f["segment"], f["element"]) for f in hits] == [(position, "CLM", 2)]
    assert "12.3.4" not in hits[0]["message"]


def test_nothing_readable_is_an_error():
    with pytest.raises(X12Error) as exc:
        read_837p_tables(b"this is not X12")
    assert exc.value.rule == "isa-missing"


@pytest.mark.parametrize("batch", [1, 2])
def test_streaming_batches_add_up_to_the_whole(batch):
    path = max(FILES, key=lambda p: split(p.read_bytes()).ids["CLM"])
    whole = tables(path)
    parts = [t.to_pyarrow() for t in iter_837p_tables(path, batch_claims=batch, chunk_size=97)]
    assert all(p["claims"].num_rows <= batch for p in parts)
    for n in NAMES:
        assert pa.concat_tables([p[n] for p in parts]).equals(whole[n]), n


def _encode(cs) -> bytes:
    out: list[str] = []
    write_837p(cs, out.append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
               interchange_control_number=7, group_control_number=3, timestamp=TIMESTAMP)
    return "".join(out).encode("ascii")


@given(st.lists(claim_strategy(), min_size=1, max_size=4))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_generated_837ps_match_a_plain_split_and_the_models(cs):
    data = _encode(cs)
    assert ours(tables(data)) == oracle(data)
    assert ours(tables(data, batch_claims=1)) == oracle(data)
    got = tables(data)
    assert got["claims"]["clm01_claim_id"].to_pylist() == [c.claim_id for c in cs]
    assert got["service_lines"].num_rows == sum(len(c.lines) for c in cs)
    assert got["diagnoses"].num_rows == sum(len(c.diagnoses) for c in cs)


INTERESTING = b"*:^~>|\n\r \x00\xffISAGSTSEHLCLMSV1HILXNM1DTPREF0123456789.-"


@given(st.binary(max_size=600) | st.lists(st.sampled_from(list(INTERESTING)), max_size=600).map(bytes),
       st.data())
@settings(max_examples=150, deadline=None)
def test_any_bytes_give_tables_or_a_typed_error(data, draw):
    if data:
        valid = bytearray(SAMPLE.read_bytes())
        at = draw.draw(st.integers(0, len(valid) - 1))
        valid[at:at + len(data) // 8 + 1] = data[:len(data) // 8 + 1]
        data = bytes(valid)
    try:
        got = tables(data)
    except X12Error:
        return
    assert all(got[n].num_rows >= 0 for n in NAMES)


def test_polars_and_duckdb_take_the_tables():
    t = read_837p_tables(SAMPLE)
    pl = pytest.importorskip("polars")
    assert pl.DataFrame(t.service_lines).height == split(SAMPLE.read_bytes()).ids["SV1"]
    duckdb = pytest.importorskip("duckdb")
    claims = t.claims  # noqa: F841 (duckdb finds it by name, through __arrow_c_stream__)
    want = Decimal(split(SAMPLE.read_bytes()).clm02) / 100
    assert duckdb.sql("select count(*), sum(clm02_charge) from claims").fetchall() == [(1, want)]
