"""The 835 writer: pyx12 finds nothing wrong with what it writes, and reading it back gives
back what was written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings

from pyx12_oracle import assert_pyx12_clean, pyx12_errors
from remit835_samples import CORPUS, SAMPLE, parse_all
from remit835_strategies import ENVELOPE, remittance_batches
from sdohedi.models.remit import Adjustment, ProviderAdjustment
from sdohedi.remit835 import balance_findings, parse_835, write_835
from sdohedi.x12 import X12ValueError

TIMESTAMP = dt.datetime(2026, 11, 2, 9, 30)


def render(remittances, **kw) -> str:
    out: list[str] = []
    args = dict(ENVELOPE, timestamp=TIMESTAMP)
    args.update(kw)
    write_835(remittances, out.append, **args)
    return "".join(out)


def as_written(remittances, **kw):
    """What the remittances look like after write_835 numbered them (envelope fields)."""
    icn = kw.get("interchange_control_number", ENVELOPE["interchange_control_number"])
    gcn = kw.get("group_control_number", ENVELOPE["group_control_number"])
    sender, receiver = ENVELOPE["sender_id"], ENVELOPE["receiver_id"]
    return [r.model_copy(update=dict(
        interchange_control_number=f"{icn:09d}", group_control_number=str(gcn), transaction_control_number=f"{i:04d}",
        interchange_sender_id=sender, interchange_receiver_id=receiver, application_sender=sender,
        application_receiver=receiver)) for i, r in enumerate(remittances, 1)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(remittance_batches())
def test_written_835_passes_pyx12(batch):
    assert_pyx12_clean(render(batch), ack=False)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(remittance_batches())
def test_round_trip(batch):
    text = render(batch)
    back = parse_835(text.encode())
    assert back == batch
    assert all(r.findings == [] and balance_findings(r) == [] for r in back)  # counts computed, money balanced


@pytest.mark.parametrize("path", sorted((CORPUS / "835").glob("*.edi")), ids=lambda p: p.name)
def test_corpus_remittances_written_again(path):
    rems, _ = parse_all(path.read_bytes())
    text = render(rems)
    assert_pyx12_clean(text, ack=False)
    assert parse_835(text.encode()) == as_written(rems)


def test_sample_written_again_is_stable_and_deterministic():
    rems, _ = parse_all(SAMPLE)
    first = render(rems)
    assert first == render(rems)
    assert render(parse_835(first.encode())) == first
    lines = first.splitlines()
    assert lines[2] == "ST*835*0001~"  # no ST03: Not Used in X221A1
    assert lines[-3] == f"SE*{len(lines) - 4}*0001~" and lines[-2] == "GE*1*77~"
    assert lines[-1] == "IEA*1*000004242~"


def test_cas_segments_hold_six_triplets_and_one_group():
    (r,), _ = parse_all(SAMPLE)
    svc = r.claims[0].services[0]
    adjustments = [Adjustment(group="CO", reason="45", amount=D("0.25")) for _ in range(8)] + [
        Adjustment(group="PR", reason="3", amount=D("5"))]
    svc2 = svc.model_copy(update={"adjustments": adjustments})
    r2 = r.model_copy(update={"claims": [r.claims[0].model_copy(update={"services": [svc2]})]})
    text = render([r2])
    cas = [line for line in text.splitlines() if line.startswith("CAS")]
    assert cas == ["CAS*CO" + "*45*0.25*" * 5 + "*45*0.25~", "CAS*CO*45*0.25**45*0.25~", "CAS*PR*3*5~"]
    assert parse_835(text.encode()) == as_written([r2])
    assert_pyx12_clean(text, ack=False)


def test_plb_segments_hold_six_pairs_per_provider_and_date():
    (r,), _ = parse_all(SAMPLE)
    day = dt.date(2026, 12, 31)
    plbs = [ProviderAdjustment(provider_id="1234567893", fiscal_period_date=day, reason="WO", reference_id=f"ICN{i}",
                               amount=D("0.10")) for i in range(7)]
    plbs.append(ProviderAdjustment(provider_id="1234567893", fiscal_period_date=day, reason="L6", amount=D("-0.70")))
    r2 = r.model_copy(update={"provider_adjustments": plbs})
    text = render([r2])
    plb = [line for line in text.splitlines() if line.startswith("PLB")]
    assert len(plb) == 2 and plb[1] == "PLB*1234567893*20261231*WO:ICN6*0.1*L6*-0.7~"
    (back,) = parse_835(text.encode())
    assert back == as_written([r2])[0] and balance_findings(back) == []
    # pyx12 reports a second PLB segment as "Loop FOOTER exceeded max count" (known false error)
    ok, errors, _ = pyx12_errors(text)
    assert all("FOOTER" in e for e in errors)


def test_a_delimiter_in_a_value_is_refused_with_where():
    (r,), _ = parse_all(SAMPLE)
    bad = r.model_copy(update={"trace_number": "CHK*1"})
    with pytest.raises(X12ValueError) as info:
        render([bad])
    assert (info.value.segment, info.value.element, info.value.rule) == ("TRN", 2, "delimiter-in-value")


@pytest.mark.parametrize("change,segment", [
    (lambda r: r.model_copy(update={"payer": r.payer.model_copy(update={"address": None})}), "N3"),
    (lambda r: r.model_copy(update={"payer": r.payer.model_copy(update={"contacts": []})}), "PER"),
    (lambda r: r.model_copy(update={"claims": [r.claims[0].model_copy(update={"patient": None})]}), "NM1"),
    (lambda r: r.model_copy(update={"claims": [r.claims[0].model_copy(update={"payer_claim_number": None})]}),
     "CLP"),
])
def test_what_the_tr3_requires_is_required(change, segment):
    (r,), _ = parse_all(SAMPLE)
    with pytest.raises(X12ValueError) as info:
        render([change(r)])
    assert (info.value.rule, info.value.segment) == ("segment-missing", segment)


def test_no_remittances_is_an_empty_group():
    text = render([])
    assert text.splitlines()[1:] == ["GS*HP*CASCADEHP*HARBORNLE*20261102*0930*77*X*005010X221A1~", "GE*0*77~",
                                     "IEA*1*000004242~"]
    assert parse_835(text.encode()) == []
