"""The payment rows of ``remit --out`` built from the core's tables (remit835.table_rows) against
two oracles: the rows the pydantic path makes (remit835.rows over parse_835, row for row, value
for value) on every corpus 835 and on generated ones, and the totals of a plain split of the
file (tests/corpus_split.py, integer cents)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

pa = pytest.importorskip("pyarrow")

from corpus_split import split  # noqa: E402
from remit835_samples import CLAIM, CORPUS, HEADER, interchange, transaction  # noqa: E402
from remit835_strategies import ENVELOPE, remittance_batches  # noqa: E402
from sdohedi.remit835 import parse_835, read_835_tables, write_835  # noqa: E402
from sdohedi.remit835.rows import claim_rows, service_rows  # noqa: E402
from sdohedi.remit835.table_rows import claim_table, service_table  # noqa: E402
from sdohedi.x12 import X12Error  # noqa: E402


def _is_835(path) -> bool:
    try:
        return "835" in split(path.read_bytes()).transaction_sets
    except ValueError:
        return False


FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and _is_835(p))


def _old(data: bytes, name: str, per_claim: bool) -> list[dict]:
    rows = claim_rows if per_claim else service_rows
    return [row for r in parse_835(data) for row in rows(r, name)]


def _new(data: bytes, name: str, per_claim: bool) -> list[dict]:
    build = claim_table if per_claim else service_table
    return build(read_835_tables(data), name).to_pylist()


def _same(old: list[dict], new: list[dict]) -> None:
    assert len(new) == len(old)
    for i, (a, b) in enumerate(zip(old, new)):
        assert set(b) == set(a), i  # the writers order the cells by their column list
        # Decimals compare by value: the tables hold cents at scale 2 ("12.50" for "12.5").
        diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
        assert not diff, (i, diff)


@pytest.mark.parametrize("per_claim", [False, True], ids=["service", "claim"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_rows_equal_the_pydantic_rows(path, per_claim):
    data = path.read_bytes()
    try:
        old = _old(data, path.name, per_claim)
    except X12Error:
        pytest.skip("the pydantic parser reads nothing of this file")
    _same(old, _new(data, path.name, per_claim))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_totals_equal_a_plain_split(path):
    data = path.read_bytes()
    s = split(data)
    service = service_table(read_835_tables(data), path.name)
    claims = claim_table(read_835_tables(data), path.name)

    def cents(values) -> int:
        return sum(int(v * 100) for v in values if v is not None)

    assert cents(claims["paid"].to_pylist()) == s.clp04
    assert cents(claims["charge"].to_pylist()) == s.clp03
    assert cents(service["paid"].to_pylist()) == s.svc03
    assert service.num_rows == s.ids["SVC"] + sum(n == 0 for n in claims["service_lines"].to_pylist())
    assert sum(int(n) for n in claims["service_lines"].to_pylist()) == s.ids["SVC"]
    assert claims.num_rows == s.ids["CLP"]


def _written(remittances) -> bytes:
    out: list[str] = []
    write_835(remittances, out.append, **ENVELOPE, timestamp=dt.datetime(2026, 11, 2, 9, 30))
    return "".join(out).encode("latin-1")


@given(remittance_batches())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_rows_equal_the_pydantic_rows(remittances):
    data = _written(remittances)
    for per_claim in (False, True):
        _same(_old(data, "x.835", per_claim), _new(data, "x.835", per_claim))


def test_remark_codes_and_the_payer_id_fallback():
    # MOA codes, then each line's LQ codes not listed yet; the payer id from REF*2U when N104 is absent.
    header = HEADER[:5] + ["REF*2U*PAYER9"] + HEADER[5:]
    claim = CLAIM[:3] + ["MOA***MA01*N290"] + CLAIM[3:] + ["LQ*HE*M1", "LQ*HE*M1",
                                                          "SVC*HC:S5170*0*0", "LQ*HE*M1", "LQ*HE*M2"]
    data = interchange(transaction(header + claim)).encode()
    old, new = _old(data, "s", True), _new(data, "s", True)
    _same(old, new)
    # A code an earlier line (or MOA) listed is not repeated; a repeat within one line is kept.
    assert new[0]["remark_codes"] == "MA01:N290:M1:M1:M2"
    assert new[0]["payer_id"] == "PAYER9"
    _same(_old(data, "s", False), _new(data, "s", False))
