"""Every interchange our 837P writer produces validates clean.

The claims strategy draws diagnosis codes and dates independently, so some claims carry an
SDOH Z code that is not billable on their dates of service (Z59.869 before FY2026, the
non-existent Z60.20). Those are real errors; the property is that they are the only ones,
and exactly the ones the code set predicts.
"""

import datetime as dt

from hypothesis import HealthCheck, given, settings, strategies as st

from factories import CHILD, MEMBER_2, NLE_ATYPICAL, PAYER_B, RIDES_CBO, claim, meal_line
from sdohedi.codes import CodeSet
from strategies import claims
from validate_helpers import errors, render, validate_bytes

CODES = CodeSet.bundled()
CONTENT = ("syntax", "guide", "balancing")


def test_factory_claims_in_every_shape_are_clean():
    text = render([
        claim("A1"), claim("A2"), claim("B1", payer=PAYER_B, subscriber=MEMBER_2, rendering_provider=RIDES_CBO),
        claim("C1", patient=CHILD), claim("D1", billing_provider=NLE_ATYPICAL),
        claim("E1", frequency="7", payer_claim_number="PAYERICN42", prior_authorization="AUTH9"),
        claim("F1", lines=[meal_line(i, 1 + i % 28) for i in range(50)]),
    ])
    findings, _ = validate_bytes(text.encode())
    assert findings == []


def test_several_transaction_sets_are_clean():
    text = render([claim(f"C{i}") for i in range(7)], max_claims_per_transaction=3)
    findings, v = validate_bytes(text.encode(), chunk=997)
    assert findings == [] and v.segments == text.count("~")


def predicted_diagnosis_problems(c) -> set[tuple[str, str]]:
    days = set()
    for ln in c.lines:
        days.add(ln.service_date)
        if ln.service_date_end:
            days.add(ln.service_date_end)
    out = set()
    for code in c.diagnoses:
        if code[:3] >= "Z55" and code[:3] < "Z66" and any(CODES.diagnosis_problem(code, d) for d in days):
            out.add((c.claim_id, code))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(claims(), min_size=1, max_size=5, unique_by=lambda c: c.claim_id), st.integers(1, 4))
def test_writer_output_validates_clean(batch, per_transaction):
    text = render(batch, max_claims_per_transaction=per_transaction)
    findings, _ = validate_bytes(text.encode(), chunk=4096)
    assert errors(findings, CONTENT) == []
    assert [f for f in findings if f.severity == "warning"] == []
    # Claim ids of code-set findings: the CLM before each finding's HI segment.
    segments = text.split("~\n")
    clm_at = {}
    current = None
    for pos, seg in enumerate(segments, 1):
        if seg.startswith("CLM*"):
            current = seg.split("*")[1]
        clm_at[pos] = current
    found = {(clm_at[f.location.position], f.value) for f in errors(findings, ("code-set",))}
    assert {f.rule for f in errors(findings, ("code-set",))} <= {"diagnosis-date"}
    expected = set().union(*(predicted_diagnosis_problems(c) for c in batch))
    assert found == expected


def test_a_z_code_valid_on_some_dates_only_is_reported_once_per_claim():
    lines = [meal_line(1, 3)]
    c = claim(lines=lines + [meal_line(2, 4).model_copy(update={"service_date": dt.date(2025, 9, 1)})])
    findings, _ = validate_bytes(render([c]).encode())
    assert [(f.rule, f.value) for f in findings] == [("diagnosis-date", "Z59869")]
