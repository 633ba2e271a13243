"""The 999s we write: pyx12 accepts them, and reading them back gives the validator's verdicts."""

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "validate"))

from conftest import CORPUS  # noqa: E402
from factories import claim  # noqa: E402
from pyx12_oracle import assert_pyx12_clean  # noqa: E402
from sdohedi.ack999 import build_999, read_999  # noqa: E402
from strategies import claims  # noqa: E402
from validate_helpers import render, validate_bytes  # noqa: E402

# The two largest imsweb files (thousands of errors) are left out: pyx12 takes seconds on their 999s.
FILES = [p for folder in ("837p", "837p-invalid", "835") for p in sorted((CORPUS / folder).iterdir())
         if p.name not in ("imsweb-x12_many_claims.txt", "imsweb-x12_multiple_transactions.txt")]


def ack_for(data: bytes) -> tuple[str, list]:
    _findings, v = validate_bytes(data, keep_results=True)
    return build_999(v.results), v.results


def check_round_trip(text: str, results) -> None:
    ack = read_999([text.encode()])
    groups = [g for ic in results for g in ic.groups]
    assert [(g.functional_id, g.control_number) for g in ack.groups] == [(g.gs01, g.gs06) for g in groups]
    for ga, gr in zip(ack.groups, groups):
        assert [(t.control_number, t.accepted) for t in ga.transactions] == \
            [(t.st02, t.accepted) for t in gr.transactions if t.st01 and t.st02]
        assert ga.received == len(gr.transactions)
        assert ga.accepted_count == sum(t.accepted for t in gr.transactions)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_999_for_every_corpus_file_passes_pyx12(path):
    text, results = ack_for(path.read_bytes())
    if not text:
        assert path.parent.name == "837p-invalid"  # nothing readable to acknowledge
        return
    assert_pyx12_clean(text)
    check_round_trip(text, results)


def test_statuses_accepted_partial_rejected():
    good = render([claim("A1"), claim("A2")], max_claims_per_transaction=1)
    text, _ = ack_for(good.encode())
    (g,) = read_999([text.encode()]).groups
    assert (g.status, g.included, g.received, g.accepted_count) == ("A", 2, 2, 2)
    assert [t.status for t in g.transactions] == ["A", "A"]
    partial = good.replace("CLM*A2*50*", "CLM*A2*51*")
    text, _ = ack_for(partial.encode())
    (g,) = read_999([text.encode()]).groups
    assert (g.status, g.accepted_count) == ("P", 1)
    t = g.transactions[1]
    assert (t.status, t.syntax_errors) == ("R", ("I5",))
    (s,) = t.segment_errors
    assert (s.segment_id, s.loop, s.code) == ("CLM", "2300", "8")
    assert [(e.position, e.data_element, e.code) for e in s.elements] == [(2, "782", "I12")]
    assert_pyx12_clean(text)


def test_envelope_errors_reach_ik5_and_ak9():
    good = render([claim("A1")])
    count = good.count("~") - 4  # segments from ST to SE
    bad = good.replace(f"SE*{count}*0001", f"SE*{count + 1}*0001").replace("GE*1*55", "GE*2*55")
    assert bad != good.replace("GE*1*55", "GE*2*55")
    text, _ = ack_for(bad.encode())
    assert_pyx12_clean(text)
    (g,) = read_999([text.encode()]).groups
    assert (g.status, g.included, g.syntax_errors) == ("R", 2, ("5",))
    assert g.transactions[0].syntax_errors == ("4",)


def test_code_values_are_echoed_free_text_is_not():
    bad = render([claim()]).replace("*12:B:1*", "*30:B:1*").replace("NM1*82*2*GOOD FOOD KITCHEN",
                                                                   "NM1*82*2*" + "K" * 61)
    text, _ = ack_for(bad.encode())
    assert_pyx12_clean(text)
    assert "IK4*5:1*1331*7*30~" in text
    assert "K" * 61 not in text and "IK4*3*1035*5~" in text


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(claims(), min_size=1, max_size=3, unique_by=lambda c: c.claim_id), st.data())
def test_999_for_writer_output_with_a_broken_segment_passes_pyx12(batch, data):
    text = render(batch, max_claims_per_transaction=2)
    segments = text.split("~\n")
    k = data.draw(st.integers(3, len(segments) - 4))
    segments[k] = data.draw(st.sampled_from([segments[k] + "*EXTRA" * 30, segments[k].replace("*", "**", 1),
                                             "ZZZ*1", segments[k][:3]]))
    ack, results = ack_for("~\n".join(segments).encode())
    assert_pyx12_clean(ack)
    check_round_trip(ack, results)
