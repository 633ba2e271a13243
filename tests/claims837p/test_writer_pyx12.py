"""Every interchange the 837P writer produces passes pyx12's validator with zero errors."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from factories import (
    CHILD, ENVELOPE, MEMBER_2, NLE_ATYPICAL, PAYER_B, RECEIVER, RIDES_CBO, SUBMITTER,
    TIMESTAMP, claim, meal_line,
)
from pyx12_oracle import assert_pyx12_clean
from strategies import claims
from sdohedi.claims837p import write_837p
from sdohedi.models import Claim, ServiceLine
from sdohedi.x12 import X12ValueError, iter_segments


def render(claims_, **kw) -> str:
    out = []
    args = dict(submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE, interchange_control_number=101,
                group_control_number=55, timestamp=TIMESTAMP)
    args.update(kw)
    write_837p(claims_, out.append, **args)
    return "".join(out)


def segments(text: str):
    return [s.elements for s in iter_segments([text.encode()])]


def test_atypical_billing_provider_without_npi():
    text = render([claim(billing_provider=NLE_ATYPICAL)])
    assert_pyx12_clean(text)
    segs = segments(text)
    nm1_85 = next(s for s in segs if s[:2] == ["NM1", "85"])
    assert len(nm1_85) == 4  # NM108/NM109 omitted
    assert ["REF", "G2", "ATYP7788"] in segs


def test_replacement_claim_carries_f8():
    text = render([claim(frequency="7", payer_claim_number="PAYERICN42", prior_authorization="AUTH9")])
    assert_pyx12_clean(text)
    segs = segments(text)
    clm = next(s for s in segs if s[0] == "CLM")
    assert clm[5] == "12:B:7"
    assert ["REF", "F8", "PAYERICN42"] in segs and ["REF", "G1", "AUTH9"] in segs


def test_several_payers_members_and_patient_loop():
    text = render([
        claim("A1"), claim("A2"), claim("B1", payer=PAYER_B, subscriber=MEMBER_2, rendering_provider=RIDES_CBO),
        claim("C1", patient=CHILD),
    ])
    assert_pyx12_clean(text)
    segs = segments(text)
    hls = [s for s in segs if s[0] == "HL"]
    # A1 and A2 share one subscriber HL; B1 gets its own; C1 a subscriber + patient HL
    assert [h[3] for h in hls] == ["20", "22", "22", "22", "23"]
    assert [s[9] for s in segs if s[:2] == ["NM1", "PR"]] == ["CHP01", "SUM22", "CHP01"]


def test_fifty_line_claim_and_fifty_one_refused():
    lines = [meal_line(i, 1 + i % 28) for i in range(50)]
    text = render([claim(lines=lines)])
    assert_pyx12_clean(text)
    assert sum(1 for s in segments(text) if s[0] == "LX") == 50
    with pytest.raises(ValueError):
        claim(lines=[meal_line(i) for i in range(51)])


def test_clm02_must_equal_sum_of_lines():
    with pytest.raises(ValueError, match="CLM02"):
        claim(total_charge=Decimal("1.00"))


def test_delimiter_in_model_value_cannot_be_constructed():
    with pytest.raises(ValueError):
        claim(claim_id="A*B")
    with pytest.raises(ValueError):
        meal_line(1).model_copy(update={}).model_validate({**meal_line(1).model_dump(), "line_control_number": "X~Y"})


def test_unvalidated_model_with_terminator_is_refused_by_writer():
    bad_line = ServiceLine.model_construct(**{**meal_line(1).__dict__, "line_control_number": "X~\nNM1*IL"})
    bad = Claim.model_construct(**{**claim().__dict__, "lines": (bad_line,)})
    out = []
    with pytest.raises(X12ValueError):
        write_837p([bad], out.append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
                   interchange_control_number=1, group_control_number=1, timestamp=TIMESTAMP)
    assert "REF*6R*X~" not in "".join(out)


def test_transactions_split_and_counts():
    many = [claim(f"K{i}") for i in range(7)]
    text = render(many, max_claims_per_transaction=3)
    assert_pyx12_clean(text)
    segs = segments(text)
    assert [s[2] for s in segs if s[0] == "ST"] == ["0001", "0002", "0003"]
    assert segs[-2] == ["GE", "3", "55"]


def test_five_thousand_claims_per_st_by_default():
    lines = [meal_line(1)]
    c = claim(lines=lines)
    segs = segments(render([c] * 5001))
    assert sum(1 for s in segs if s[0] == "ST") == 2
    starts = [i for i, s in enumerate(segs) if s[0] == "ST"]
    assert sum(1 for s in segs[starts[0]:starts[1]] if s[0] == "CLM") == 5000
    # HL ids restart in each transaction; SE01 counts every segment ST..SE
    for i in starts:
        j = next(k for k in range(i, len(segs)) if segs[k][0] == "SE")
        assert int(segs[j][1]) == j - i + 1


def test_output_is_deterministic():
    assert render([claim(), claim("X2")]) == render([claim(), claim("X2")])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(claims(), min_size=1, max_size=4))
def test_hypothesis_claims_pass_pyx12(cs):
    assert_pyx12_clean(render(cs))
