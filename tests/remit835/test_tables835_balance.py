"""The balancing findings of the 835 tables and of ``sdohedi validate`` (both rust/src/balance835.rs)
against the rules as they are checked on the pydantic models (sdohedi.remit835.balance, the
oracle): the same rule, segment position, element and message for every corpus 835, for
generated 835s (hypothesis, unbalanced on purpose), for the bad-element cases and for every
element of a sample replaced by garbage."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pa = pytest.importorskip("pyarrow")

from remit835_samples import SAMPLE  # noqa: E402
from remit835_strategies import ENVELOPE, remittance_batches  # noqa: E402
from test_tables835 import FILES  # noqa: E402
from sdohedi.remit835 import balance_findings, parse_835, read_835_tables, write_835  # noqa: E402
from sdohedi.validate import validate_stream  # noqa: E402
from sdohedi.x12 import X12Error  # noqa: E402

BALANCING = {"svc-balance", "clp-balance", "bpr-balance", "cas-group"}


def from_tables(data: bytes) -> list[tuple]:
    findings = pa.table(read_835_tables(data).findings).to_pylist()
    return [(f["rule"], f["position"], f["segment"], f["element"], f["message"])
            for f in findings if f["rule"] in BALANCING]


def from_validate(data: bytes) -> list[tuple]:
    return [(f.rule, f.location.position, f.location.segment, f.location.element, f.message)
            for f in validate_stream([data]) if f.rule in BALANCING]


def from_models(data: bytes) -> list[tuple]:
    return [(f.rule, f.location.position, f.location.segment, f.location.element, f.message)
            for r in parse_835(data) for f in balance_findings(r)]


def same(data: bytes) -> None:
    # Order: the tables report a claim's rules as its loops close, the models per remittance;
    # both walk the file in order, so compare sorted by position then as lists.
    models = sorted(from_models(data))
    assert sorted(from_tables(data)) == models
    assert sorted(from_validate(data)) == models


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_same_findings_as_the_models(path):
    same(path.read_bytes())


def test_the_corpus_has_unbalanced_files():
    """The comparison above is not vacuous: some corpus files break a rule."""
    assert any(from_models(p.read_bytes()) for p in FILES)


def _bent(old: str, new: str) -> bytes:
    return SAMPLE.replace(old, new, 1).encode()


def _first(prefix: str) -> str:
    return next(s for s in SAMPLE.split("~") if s.strip().startswith(prefix)).strip()


def _with(prefix: str, index: int, value: str) -> bytes:
    seg = _first(prefix)
    parts = seg.split("*")
    while len(parts) <= index:
        parts.append("")
    parts[index] = value
    return _bent(seg, "*".join(parts))


CASES = {
    "svc03 off": lambda: _with("SVC*", 3, "1.01"),
    "svc02 unreadable": lambda: _with("SVC*", 2, "x"),
    "clp04 off": lambda: _with("CLP*", 4, "0.5"),
    "clp03 unreadable": lambda: _with("CLP*", 3, "1.2.3"),
    "cas amount unreadable": lambda: _with("CAS*", 3, "abc"),
    "cas group CR": lambda: _with("CAS*", 1, "CR"),
    "bpr02 off": lambda: _with("BPR*", 2, "99999.99"),
    "bpr02 unreadable": lambda: _with("BPR*", 2, ""),
    "debit": lambda: _with("BPR*", 3, "D"),
    "trailing zeros": lambda: _with("SVC*", 2, "100.000"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bent_samples_same_findings_as_the_models(name):
    data = CASES[name]()
    assert from_models(data), "the case must break a rule"
    same(data)


def _written(remittances) -> bytes:
    out: list[str] = []
    write_835(remittances, out.append, **ENVELOPE, timestamp=dt.datetime(2026, 11, 2, 9, 30))
    return "".join(out).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(remittance_batches(), st.data())
def test_generated_835s_same_findings_as_the_models(remittances, data):
    raw = _written(remittances)
    same(raw)
    # Unbalance one amount element on purpose: the findings must still agree.
    text = raw.decode("latin-1")
    segs = text.split("~")
    amounts = [(i, e) for i, s in enumerate(segs) for e in ((2, 3) if s.startswith("SVC*") else (3, 4)
                                                              if s.startswith("CLP*") else (2,) if s.startswith("BPR*")
                                                              else ())]
    if not amounts:
        return
    i, e = data.draw(st.sampled_from(amounts))
    parts = segs[i].split("*")
    if len(parts) > e:
        parts[e] = data.draw(st.sampled_from(["0", "1.5", "12.50", "-3", "x", ""]))
        segs[i] = "*".join(parts)
    bent = "~".join(segs).encode("latin-1")
    try:
        parse_835(bent)
    except X12Error:
        return  # an element the structure depends on (BPR02 is required, not structural): skip
    same(bent)
