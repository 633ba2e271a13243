"""Balancing, code sets, NPI and TR3 rules beyond pyx12, on hand-made interchanges.

Each test starts from a clean interchange written by our 837P writer and changes one thing
by hand, so the expected finding is known without running the code under test.
"""

import datetime as dt

import pytest

from conftest import CORPUS
from factories import claim, meal_line
from sdohedi.models import ServiceLine
from validate_helpers import errors, render, validate_bytes


def run(text: str):
    findings, _ = validate_bytes(text.encode())
    return findings


def only(findings, rule):
    return [f for f in findings if f.rule == rule]


def test_factory_claim_is_clean():
    assert run(render([claim()])) == []


def test_clm02_must_equal_the_sum_of_sv102():
    text = render([claim()]).replace("CLM*CLM1001*50*", "CLM*CLM1001*51*")
    (f,) = errors(run(text))
    assert (f.rule, f.level, f.location.position, f.location.segment, f.location.element) == \
        ("clm02-balance", "balancing", 21, "CLM", 2)
    assert "51" in f.message and "50" in f.message


def test_npi_check_digit_wherever_xx_appears():
    text = render([claim()]).replace("XX*1234567893", "XX*1234567890")
    (f,) = errors(run(text))
    assert (f.rule, f.location.position, f.location.loop, f.location.element) == ("npi-check-digit", 10, "2010AA", 9)


@pytest.mark.parametrize("name, positions", [
    ("stupidedi-COB-claim-from-billing-provider-to-payer-a.edi", [9, 33, 36]),
    ("stupidedi-anesthesia.edi", [9, 22, 25]),
    ("stupidedi-drug-administered-in-the-physician-office.edi", []),
])
def test_npi_findings_in_the_tr3_examples(name, positions):
    # The TR3's example NPIs are placeholders without a valid check digit (checked by hand).
    findings, _ = validate_bytes((CORPUS / "837p" / name).read_bytes())
    assert [f.location.position for f in only(findings, "npi-check-digit")] == positions


def test_taxonomy_format():
    text = render([claim()]).replace("PRV*PE*PXC*332U00000X", "PRV*PE*PXC*332U0000X")
    (f,) = errors(run(text))
    assert (f.rule, f.location.segment, f.location.element, f.location.loop) == ("taxonomy-format", "PRV", 3, "2310B")


def test_z_code_not_billable_on_the_date_of_service():
    # Z59.869 is billable from FY2026 (1 Oct 2025); Z59.86 until 30 Sep 2025.
    late = [meal_line(1, 3)]  # 2026-10-03
    assert errors(run(render([claim(lines=late)]))) == []
    early = [ServiceLine(procedure_code="S5170", modifiers=("U6",), charge="12.50", units="2",
                         service_date=dt.date(2025, 9, 30), diagnosis_pointers=(1,), line_control_number="E1")]
    (f,) = errors(run(render([claim(lines=early)])))
    assert (f.rule, f.level, f.location.segment, f.location.element, f.location.component, f.value) == \
        ("diagnosis-date", "code-set", "HI", 2, 2, "Z59869")
    assert "2025-10-01" in f.message
    old = render([claim(lines=early, diagnoses=("Z5941", "Z5986"))])
    assert errors(run(old)) == []


def test_icd10_format_and_non_z_codes():
    text = render([claim()]).replace("ABF:Z59869", "ABF:Z59.869")
    (f,) = errors(run(text))
    assert (f.rule, f.location.element, f.location.component) == ("icd10-format", 2, 2)
    # A non-Z code is checked for format only.
    assert errors(run(render([claim()]).replace("ABF:Z59869", "ABF:E119"))) == []


def test_procedures_outside_the_core_set_are_warnings():
    text = render([claim()]).replace("SV1*HC:S5170:U6*25", "SV1*HC:99213*25")
    findings = run(text)
    assert errors(findings) == []
    (w,) = findings
    assert (w.severity, w.rule, w.location.segment, w.location.element, w.location.component, w.value) == \
        ("warning", "procedure-code", "SV1", 1, 2, "99213")
    text = render([claim()]).replace("SV1*HC:S5170:U6*25", "SV1*HC:S5170:QQ*25")
    (w,) = run(text)
    assert (w.rule, w.location.component, w.value) == ("procedure-modifier", 3, "QQ")


def test_replacement_claim_needs_ref_f8():
    text = render([claim(frequency="7", payer_claim_number="PAYERICN42")])
    assert errors(run(text)) == []
    (f,) = errors(run(text.replace("REF*F8*PAYERICN42~\n", "").replace("SE*37*", "SE*36*")))
    assert (f.rule, f.location.segment) == ("replacement-needs-f8", "CLM")


def test_tr3_lengths_tighter_than_the_base_standard():
    text = render([claim("C" * 20)])
    assert errors(run(text)) == []
    (f,) = errors(run(text.replace("CLM*" + "C" * 20, "CLM*" + "C" * 21)))
    assert (f.rule, f.level, f.location.element) == ("guide-max-length", "guide", 1)
    (f,) = errors(run(text.replace("REF*6R*SVC-1", "REF*6R*" + "S" * 31)))
    assert (f.rule, f.location.segment, f.location.loop) == ("guide-max-length", "REF", "2400")


def test_place_of_service_code_list():
    (f,) = errors(run(render([claim()]).replace("*12:B:1*", "*30:B:1*")))  # 30 is unassigned
    assert (f.rule, f.location.element, f.location.component, f.value) == ("invalid-code", 5, 1, "30")


ERA = (CORPUS / "835" / "stupidedi-era-sample.edi").read_bytes().decode()


def test_835_line_claim_and_payment_balancing():
    assert errors(run(ERA)) == []
    # A line paid 10 more than its charge less adjustments: the line and its claim no longer balance,
    # and neither does the transaction (BPR02 against the claims paid).
    svc = next(s for s in ERA.split("~") if s.strip().startswith("SVC"))
    els = svc.strip().split("*")
    els[3] = str(int(float(els[3])) + 10)
    text = ERA.replace(svc.strip(), "*".join(els), 1)
    assert {f.rule for f in errors(run(text))} == {"svc-balance"}
    clp = next(s for s in ERA.split("~") if s.strip().startswith("CLP"))
    els = clp.strip().split("*")
    els[4] = str(float(els[4]) + 1).rstrip("0").rstrip(".")
    assert {f.rule for f in errors(run(ERA.replace(clp.strip(), "*".join(els), 1)))} == {"clp-balance", "bpr-balance"}
    bpr = next(s for s in ERA.split("~") if s.strip().startswith("BPR"))
    els = bpr.strip().split("*")
    els[2] = str(float(els[2]) + 1).rstrip("0").rstrip(".")
    (f,) = errors(run(ERA.replace(bpr.strip(), "*".join(els), 1)))
    assert (f.rule, f.location.segment, f.location.element) == ("bpr-balance", "BPR", 2)


def test_plb_reduces_the_expected_payment():
    bpr = next(s for s in ERA.split("~") if s.strip().startswith("BPR"))
    els = bpr.strip().split("*")
    paid = float(els[2])
    els[2] = f"{paid - 5:.2f}".rstrip("0").rstrip(".")
    text = ERA.replace(bpr.strip(), "*".join(els), 1)
    se = next(s for s in text.split("~") if s.strip().startswith("SE*"))
    count = int(se.strip().split("*")[1])
    text = text.replace(se.strip(), f"PLB*1234567890*20191231*WO:CLAIMREF*5~SE*{count + 1}*{se.strip().split('*')[2]}")
    assert errors(run(text)) == []


def _with_plb(text: str, plb: str) -> str:
    se = next(s for s in text.split("~") if s.strip().startswith("SE*")).strip()
    _, count, st02 = se.split("*")
    return text.replace(se, f"{plb}~SE*{int(count) + 1}*{st02}")


def test_a_debit_payment_balances_when_the_provider_owes():
    """BPR03 = D (the TR3's code "Debit", against C "Credit"): BPR02 is taken from the provider, so
    the claims paid less the PLB amounts come to minus BPR02. The ERA pays 132; a PLB of 200 leaves
    -68, a debit of 68. The old engine ignored BPR03 and called this unbalanced."""
    text = _with_plb(ERA, "PLB*1234567890*20191231*WO:CLAIMREF*200").replace("BPR*I*132*C*", "BPR*I*68*D*", 1)
    assert errors(run(text)) == []
    (f,) = errors(run(text.replace("BPR*I*68*D*", "BPR*I*68*C*", 1)))
    assert (f.rule, f.location.segment, f.location.element) == ("bpr-balance", "BPR", 2)
    assert "claims paid 132 - provider adjustments 200 = -68, but BPR02 is 68" in f.message


def test_an_unreadable_adjustment_makes_the_balance_uncheckable_not_wrong():
    """The line balances with its CAS of 21 (46 - 21 = 25). With the amount unreadable the old engine
    counted it as 0 and reported an imbalance of 21 that is not in the file; the balance cannot be
    checked, and the bad element has its own finding."""
    text = ERA.replace("CAS*CO*131*21~", "CAS*CO*131*2.1.0~", 1)
    found = {f.rule: f for f in errors(run(text))}
    assert set(found) == {"invalid-decimal", "svc-balance", "clp-balance"}
    assert (found["invalid-decimal"].location.segment, found["invalid-decimal"].location.element) == ("CAS", 3)
    assert found["svc-balance"].message == "service line balance cannot be checked: a CAS amount is unreadable"
    assert found["clp-balance"].message == "claim balance cannot be checked: a CAS amount is unreadable"


def test_a_cas_group_5010_dropped_is_named():
    """CR (correction and reversal) left the CAS group codes in 5010: CO, OA, PI and PR remain."""
    found = errors(run(ERA.replace("CAS*CO*131*21~", "CAS*CR*131*21~", 1)))
    (f,) = only(found, "cas-group")
    assert (f.location.position, f.location.segment, f.location.element, f.location.data_element) == (19, "CAS", 1, "1033")
    assert "CR" in f.message


def test_two_plb_segments_are_fine_where_pyx12_complains():
    bpr = next(s for s in ERA.split("~") if s.strip().startswith("BPR"))
    els = bpr.strip().split("*")
    els[2] = f"{float(els[2]) - 8:.2f}".rstrip("0").rstrip(".")
    text = ERA.replace(bpr.strip(), "*".join(els), 1)
    se = next(s for s in text.split("~") if s.strip().startswith("SE*")).strip()
    _, count, st02 = se.split("*")
    text = text.replace(se, f"PLB*1234567890*20191231*WO:CLAIMREF*5~PLB*1234567890*20191231*L6:CLAIMREF*3~"
                            f"SE*{int(count) + 2}*{st02}")
    assert run(text) == []
    from pyx12_oracle import pyx12_errors
    _ok, messages, _ = pyx12_errors(text)
    assert [m.split(" - ")[1] for m in messages] == ["Loop FOOTER exceeded max count.  Found 2, should have 1"]
