"""One bad element never costs the file: it is a finding, its value is None, the claims are read.

The bad inputs are the valid sample bent one element at a time (the cases issue 15 reproduced:
BPR16 missing or impossible, a CLP without CLP03, a CAS03 that is not a number, a segment whose
id is not one), checked against pyx12 (which also reads them and reports the element) and, as a
property, every element of the sample and of the corpus files replaced by garbage.
"""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from pyx12_oracle import pyx12_errors
from remit835_samples import CLAIM, CORPUS, HEADER, PHI, interchange, replace_segment, transaction
from sdohedi.cli import main
from sdohedi.models.remit import RemittanceClaim, RemittanceEnd
from sdohedi.remit835 import balance_findings, parse_835, parse_835_claims, stream_balance_findings
from sdohedi.remit835.rows import claim_rows, service_rows
from sdohedi.x12 import X12Error

# Two claims: the bad element goes in the first (or the header); the second must come out whole.
TWO_HEADER = replace_segment(HEADER, "BPR*", "BPR*I*85*C*CHK************20261030")
SECOND = ["LX*2"] + replace_segment(CLAIM[1:], "CLP*", "CLP*CLM1002*1*50*42.5*5*MC*PAYER124")


def two_claims(header=TWO_HEADER, first=CLAIM) -> str:
    return interchange(transaction(header + first + SECOND))


VALID = two_claims()
# (name, file, rule, position, segment, element, text that must not be echoed)
ISSUE_CASES = [
    ("BPR16 missing (date in BPR15)",
     two_claims(header=replace_segment(TWO_HEADER, "BPR*", "BPR*I*85*C*CHK***********20261030")),
     "element-missing", 4, "BPR", 16, None),
    ("BPR16 impossible date",
     two_claims(header=replace_segment(TWO_HEADER, "BPR*", "BPR*I*85*C*CHK************20261340")),
     "invalid-date", 4, "BPR", 16, "20261340"),
    ("CLP03 missing", two_claims(first=replace_segment(CLAIM, "CLP*", "CLP*CLM1001*1**42.5*5*MC*PAYER123")),
     "element-missing", 12, "CLP", 3, None),
    ("CAS03 not a number", two_claims(first=replace_segment(CLAIM, "CAS*CO", "CAS*CO*45*2,5O")),
     "invalid-decimal", 16, "CAS", 3, "2,5O"),
    ("segment id that is not one, after the claims",
     interchange(transaction(TWO_HEADER + CLAIM + SECOND + ["ZZZZ*RIVERA"])),
     "segment-id", 31, None, None, "ZZZZ"),
]
IDS = [case[0] for case in ISSUE_CASES]


def good(claim):
    return claim.claim_id == "CLM1002"


@pytest.mark.parametrize("name,text,rule,position,segment,element,echo", ISSUE_CASES, ids=IDS)
def test_the_bad_element_is_a_finding_and_every_claim_is_read(name, text, rule, position, segment, element, echo):
    (valid,) = parse_835(VALID.encode())
    (r,) = parse_835(text.encode())
    found = [f for f in r.findings if f.rule == rule]
    assert [(f.severity, f.location.position, f.location.segment, f.location.element) for f in found] == [
        ("error", position, segment, element)]
    message = str(found[0])
    for word in PHI + ((echo,) if echo else ()):
        assert word not in message
    assert [c.claim_id for c in r.claims] == ["CLM1001", "CLM1002"]
    assert r.claims[1] == valid.claims[1]


def test_the_unread_values_are_none():
    cases = {name: parse_835(text.encode())[0] for name, text, *_ in ISSUE_CASES}
    assert cases["BPR16 missing (date in BPR15)"].payment_date is None
    assert cases["BPR16 missing (date in BPR15)"].receiver_account_number == "20261030"  # as sent
    assert cases["BPR16 impossible date"].payment_date is None
    claim = cases["CLP03 missing"].claims[0]
    assert claim.charge is None and str(claim.paid) == "42.5"
    (co, pr) = cases["CAS03 not a number"].claims[0].services[0].adjustments
    assert (co.group, co.reason, co.amount) == ("CO", "45", None)
    assert (pr.group, pr.reason, str(pr.amount)) == ("PR", "3", "5")


@pytest.mark.parametrize("name,text,rule,position,segment,element,echo", ISSUE_CASES, ids=IDS)
def test_pyx12_also_reads_them_and_reports_an_error(name, text, rule, position, segment, element, echo):
    """The independent reader agrees that each case is an error of the file (so the finding is
    not noise) and that the file can be read through (it does not stop at the first)."""
    ok, errors, _ = pyx12_errors(VALID)
    assert ok and not errors
    ok, errors, _ = pyx12_errors(text)
    assert not ok and errors


@pytest.mark.parametrize("name,text,rule,position,segment,element,echo", ISSUE_CASES, ids=IDS)
def test_balancing_an_unread_amount_is_a_finding(name, text, rule, position, segment, element, echo):
    (r,) = parse_835(text.encode())
    whole = balance_findings(r)
    streamed = [f for item in parse_835_claims(text.encode()) for f in stream_balance_findings(item)]
    assert whole == streamed
    if name == "CLP03 missing":
        assert [(f.rule, f.location.position) for f in whole] == [("clp-balance", 12)]
        assert "cannot be checked: CLP03" in whole[0].message
    if name == "CAS03 not a number":
        assert [(f.rule, f.location.position) for f in whole] == [("svc-balance", 14), ("clp-balance", 12)]
        assert all("a CAS amount is unreadable" in f.message for f in whole)


def test_an_unread_claim_payment_makes_the_transaction_balance_a_finding():
    text = two_claims(first=replace_segment(CLAIM, "CLP*", "CLP*CLM1001*1*50*4X*5*MC*PAYER123"))
    (r,) = parse_835(text.encode())
    items = parse_835_claims(text.encode())
    assert items[-1].claims_paid_unknown == 1 and str(items[-1].claims_paid) == "42.5"
    for findings in (balance_findings(r), [f for i in items for f in stream_balance_findings(i)]):
        (tx,) = [f for f in findings if f.rule == "bpr-balance"]
        assert "cannot be checked: CLP04 of 1 claim unreadable" in tx.message and tx.location.position == 4


def run(*args):
    result = CliRunner().invoke(main, ["remit", *map(str, args)])
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("name,text,rule,position,segment,element,echo", ISSUE_CASES, ids=IDS)
def test_remit_writes_every_claim_and_reports_the_element(tmp_path, suffix, name, text, rule, position, segment,
                                                          element, echo):
    path = tmp_path / "bad.835"
    path.write_text(text)
    out = tmp_path / f"p{suffix}"
    result = run(path, "--out", out)
    assert result.exit_code == 1  # findings, not "nothing could be read"
    ref = f" {segment}{element:02d}:" if element else ":"
    assert f"{path}: error [{rule}] " in result.stderr and f"segment #{position}{ref}" in result.stderr
    for word in PHI + ((echo,) if echo else ()):
        assert word not in result.stderr
    if suffix == ".csv":
        rows = list(csv.DictReader(out.open()))
    elif suffix == ".jsonl":
        rows = [json.loads(line) for line in out.open()]
    else:
        import pyarrow.parquet as pq
        rows = pq.read_table(out).to_pylist()
    assert [r["claim_id"] for r in rows] == ["CLM1001", "CLM1002"]
    if name == "CLP03 missing":
        assert rows[0]["claim_charge"] in ("", None)
    if name.startswith("BPR16"):
        assert {r["payment_date"] for r in rows} <= {"", None}


# --------------------------------------------------------------------------------------------
# Property: any single element replaced by garbage
# --------------------------------------------------------------------------------------------

SAMPLES = [VALID] + [p.read_text("latin-1") for p in sorted((CORPUS / "835").glob("*.edi"))]
ENVELOPE = {"ISA", "GS", "ST", "SE", "GE", "IEA"}


def split(text: str) -> tuple[list[list[str]], str, str, frozenset[str]]:
    """Segments as element lists, with the element separator, terminator and every delimiter."""
    text = text.replace("\r", "").replace("\n", "")
    sep, component, term = text[3], text[104], text[105]
    segments = [s.split(sep) for s in text.split(term) if s]
    return segments, sep, term, frozenset({sep, component, term, text[82]})


def join(segments: list[list[str]], sep: str, term: str) -> str:
    return "".join(sep.join(s) + term for s in segments)


def claim_spans(segments: list[list[str]]) -> list[tuple[int, int]]:
    """1-based (first, last) segment positions of each CLP loop, from a plain split."""
    spans, start = [], None
    for pos, s in enumerate(segments, 1):
        if s[0] in ("CLP", "LX", "PLB", "SE") and start is not None:
            spans.append((start, pos - 1))
            start = None
        if s[0] == "CLP":
            start = pos
    return spans


AMOUNTS = {("CLP", 3), ("CLP", 4), ("SVC", 2), ("SVC", 3), ("CAS", 3), ("BPR", 2), ("BPR", 16), ("DTM", 2)}


@st.composite
def one_element_garbled(draw):
    text = draw(st.sampled_from(SAMPLES))
    segments, sep, term, delimiters = split(text)
    index = draw(st.integers(1, len(segments) - 1))  # not the ISA: fixed length, it sets the delimiters
    element = draw(st.integers(1, max(len(segments[index]) - 1, 1)))
    garbage = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters="".join(delimiters)),
                           max_size=12).filter(lambda g: g.strip(" 0123456789.-")))  # never a number or date
    garbage = draw(st.sampled_from(["", garbage, "X" + garbage]))
    bent = [list(s) for s in segments]
    while len(bent[index]) <= element:
        bent[index].append("")
    bent[index][element] = garbage
    return text, join(bent, sep, term), index + 1, bent[index][0], element, garbage


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_element_garbled())
def test_any_element_replaced_by_garbage(case):
    text, bent, position, sid, element, garbage = case
    valid = [c for r in parse_835(text.encode("latin-1")) for c in r.claims]
    try:
        remittances = parse_835(bent.encode("latin-1"))
    except X12Error as exc:
        # Typed errors only where the structure depends on the element: envelopes, the N1 entity
        # code that opens the payer or payee loop.
        assert sid in ENVELOPE or (sid, element) == ("N1", 1), (sid, element, exc)
        return
    for r in remittances:  # usable downstream, never a TypeError
        balance_findings(r)
        list(service_rows(r, "f"))
        list(claim_rows(r, "f"))
        r.model_dump_json()
    claims = [c for r in remittances for c in r.claims]
    assert len(claims) == len(valid)
    items = parse_835_claims(bent.encode("latin-1"))  # claim by claim, as remit reads: the same
    assert [i.claim for i in items if isinstance(i, RemittanceClaim)] == claims
    assert [f for i in items if isinstance(i, RemittanceEnd) for f in i.remittance.findings] == [
        f for r in remittances for f in r.findings]
    spans = claim_spans(split(text)[0])
    for claim, before, (first, last) in zip(claims, valid, spans):
        if not first <= position <= last and sid != "LX":  # an LX01 is every following claim's header_number
            assert claim == before
    findings = [f for r in remittances for f in r.findings]
    if (sid, element) in AMOUNTS:  # garbage (or nothing) where a number or a date must be: named
        assert any((f.location.position, f.location.segment, f.location.element) == (position, sid, element)
                   for f in findings)
