"""The remittance models: descriptions, equality without provenance, no PHI in repr, and
objects built by the parser (``__dict__`` only) behaving exactly like validated ones."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from decimal import Decimal as D

from pydantic import BaseModel

from remit835_samples import CORPUS, PHI, SAMPLE, parse_all
from sdohedi.models.remit import (
    Adjustment, Finding, PartyName, ProviderAdjustment, Remark, Remittance, finding_text,
)
from sdohedi.problems import Problem, problem


def all_models(obj):
    """Every model object inside ``obj``, depth first."""
    if isinstance(obj, BaseModel):
        yield obj
        for value in obj.__dict__.values():
            yield from all_models(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from all_models(item)


def parsed_corpus():
    rems = []
    for path in sorted((CORPUS / "835").glob("*.edi")):
        rems += parse_all(path.read_bytes())[0]
    return rems + parse_all(SAMPLE)[0]


def test_descriptions():
    assert Adjustment(group="CO", reason="45", amount=D("12.50")).description.startswith(
        "CO-45 Charge exceeds fee schedule")
    assert Adjustment(group="PR", reason="3", amount=D(5)).description == "PR-3 Co-payment Amount"
    assert Adjustment(group="CO", reason="ZZ9", amount=D(1)).description == "CO-ZZ9"  # unknown code: no text
    assert Adjustment(group="CO", reason="45", amount=D(1)).group_description == "Contractual Obligations"
    assert Remark(code="N290").description.startswith("N290 Missing/incomplete/invalid rendering provider")
    assert ProviderAdjustment(provider_id="1", fiscal_period_date=dt.date(2026, 1, 1), reason="WO",
                              amount=D(1)).description == "WO Overpayment Recovery"
    (r,), _ = parse_all(SAMPLE)
    assert r.claims[0].status_description == "Processed as Primary"


def test_every_parsed_object_has_exactly_its_fields():
    for r in parsed_corpus():
        for obj in all_models(r):
            assert list(obj.__dict__) == list(type(obj).model_fields), type(obj).__name__


def test_parsed_objects_behave_like_validated_ones():
    for r in parsed_corpus():
        validated = Remittance.model_validate(r.model_dump())
        assert validated == r and r == validated
        assert Remittance.model_validate_json(r.model_dump_json()) == r
        assert r.model_dump() == validated.model_dump()
        assert r.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)
        assert pickle.loads(pickle.dumps(r)) == r
        assert copy.deepcopy(r) == r and copy.copy(r) == r
        assert r.model_copy(update={"trace_number": "X"}).trace_number == "X" and r.trace_number != "X"
        assert r.model_fields_set == set(Remittance.model_fields)
        assert repr(r) == repr(validated)


def test_models_are_frozen():
    (r,), _ = parse_all(SAMPLE)
    try:
        r.claims[0].paid = D(0)
    except Exception as exc:  # pydantic's ValidationError for frozen instances
        assert "frozen" in str(exc)
    else:
        raise AssertionError("a parsed claim could be changed")
    assert r.claims[0].paid == D("42.5")


def test_equality_ignores_where_things_were_read():
    (r,), _ = parse_all(SAMPLE)
    moved = r.model_copy(update={"position": 999, "payment_position": 1,
                                 "claims": [r.claims[0].model_copy(update={"position": 5})]})
    assert moved == r
    assert hash(Adjustment(group="CO", reason="45", amount=D(1), position=3)) == hash(
        Adjustment(group="CO", reason="45", amount=D("1.00")))
    assert r.model_copy(update={"trace_number": "OTHER"}) != r


def test_no_phi_in_repr_or_str():
    (r,), _ = parse_all(SAMPLE)
    for text in (repr(r), str(r), repr(r.claims[0]), str(r.claims[0].patient)):
        for word in PHI:
            assert word not in text
    assert PartyName(entity_code="QC", entity_type="1", last_name="RIVERA").last_name == "RIVERA"  # still there


def test_finding_text_names_the_envelope_then_the_segment():
    f = problem("segment-unknown", "skipped", severity="warning", interchange="000000101", group="55",
                transaction="0001", position=14, segment="ZZQ")
    assert finding_text(f) == "warning [segment-unknown] ISA13=000000101 GS06=55 ST02=0001 segment #14 ZZQ: skipped"
    assert finding_text(problem("svc-balance", "m", position=3, segment="SVC", element=3, component=1)) == \
        "error [svc-balance] segment #3 SVC03-1: m"
    assert finding_text(problem("truncated", "m")) == "error [truncated] m"


def test_835_findings_are_the_library_problem():
    """One problem model: the 835 reader's findings are Problems of registered rules (Finding is an alias)."""
    assert Finding is Problem
    (r,), envelope = parse_all(SAMPLE.replace("LX*1~", "LX*1~ZZQ*1~", 1))
    f = next(f for f in r.findings if f.location.segment == "ZZQ")
    assert isinstance(f, Problem) and (f.rule, f.level, f.location.segment) == ("segment-unknown", "guide", "ZZQ")
    assert f.location.interchange == "000000101" and f.location.transaction == "0001"
