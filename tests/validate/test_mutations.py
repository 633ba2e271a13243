"""Corrupting one element of a valid interchange is always caught; and the generated fast
checks never call a segment fine that the reference checker faults."""

from functools import cache

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from conftest import CORPUS
from factories import CHILD, MEMBER_2, NLE_ATYPICAL, PAYER_B, RIDES_CBO, claim
from sdohedi.ack999 import build_999, read_999
from sdohedi.status277 import read_277ca
from oracle.elements import segment_problems
from oracle.fast import build_fast_check
from sdohedi.validate.guide import ElementRule, control_guide, guide_for
from oracle.walker import Walker
from validate_helpers import errors, render, validate_bytes

BASE = render([
    claim("A1"), claim("B1", payer=PAYER_B, subscriber=MEMBER_2, rendering_provider=RIDES_CBO),
    claim("C1", patient=CHILD, billing_provider=NLE_ATYPICAL),
    claim("E1", frequency="7", payer_claim_number="PAYERICN42", prior_authorization="AUTH9"),
])


def placed(text: str, version: str):
    """(elements, guide node) of every segment after the ISA, as the validator places them."""
    segments = [s.split("*") for s in text.replace("\n", "").split("~") if s]
    w = Walker()
    w.force(control_guide(), "/ISA_LOOP/ISA")
    guide = guide_for("HC" if version != "005010X221A1" else "HP", version)
    out = []
    for els in segments[1:]:
        if els[0] == "GS":
            node = w.force(guide, "/ISA_LOOP/GS_LOOP/GS")
        else:
            node = w.step(els, ":", [])
        out.append((els, node))
    return out


@cache
def base_segments():
    return placed(BASE, "005010X222A1")


def test_base_is_clean():
    assert validate_bytes(BASE.encode())[0] == []


def targets(kind: str):
    """(segment index, element, component, rule) that a mutation of ``kind`` can hit."""
    out = []
    for i, (els, node) in enumerate(base_segments()):
        if node is None or els[0] in ("IEA", "GE"):
            continue
        for e, spec in enumerate(node.elements, 1):
            if e >= len(els) or not els[e]:
                continue
            rules = [(None, spec)] if isinstance(spec, ElementRule) else list(enumerate(spec.components, 1))
            parts = els[e].split(":")
            for c, rule in rules:
                if c is not None and (c > len(parts) or not parts[c - 1]):
                    continue
                if kind == "long" and rule.max_len < 100:
                    out.append((i, e, c, rule))
                elif kind == "code" and rule.codes and not rule.external and rule.data_type == "ID":
                    out.append((i, e, c, rule))
    return out


def mutate(index: int, element: int, component, value: str) -> tuple[str, int]:
    segs = base_segments()
    lines = ["*".join(els) for els, _node in segs]
    els = list(segs[index][0])
    if component is None:
        els[element] = value
    else:
        parts = els[element].split(":")
        parts[component - 1] = value
        els[element] = ":".join(parts)
    lines[index] = "*".join(els)
    isa = BASE.split("~")[0]
    return isa + "~\n" + "~\n".join(lines) + "~\n", index + 2  # position: ISA is 1


def assert_caught(text: str, position: int, element: int, component, node_key) -> None:
    findings = errors(validate_bytes(text.encode())[0])
    at = [f for f in findings if f.location.position == position]
    assert at, f"no error at segment {position}"
    if node_key is None or (node_key[0], node_key[1]) != (element, component):
        # Not the qualifier that places the segment: the element itself is named.
        assert any(f.location.element == element and f.location.component == component for f in at), at


LONG = targets("long")
CODED = targets("code")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(LONG))
def test_an_over_long_value_is_caught(target):
    i, e, c, rule = target
    filler = "9" if rule.data_type[:1] == "N" or rule.data_type in ("R", "DT", "TM") else "A"
    text, position = mutate(i, e, c, filler * (rule.max_len + 1))
    assert_caught(text, position, e, c, base_segments()[i][1].key)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CODED), st.sampled_from("QXZ"))
def test_an_invalid_code_is_caught(target, letter):
    i, e, c, rule = target
    value = letter * max(rule.min_len, 1)
    assume(value not in rule.codes)
    text, position = mutate(i, e, c, value)
    assert_caught(text, position, e, c, base_segments()[i][1].key)


@settings(max_examples=25, deadline=None)
@given(st.integers(-5, 5).filter(bool), st.integers(0, 2))
def test_a_wrong_se01_is_caught(delta, which):
    segments = BASE.split("~\n")
    ses = [k for k, s in enumerate(segments) if s.startswith("SE*")]
    k = ses[which % len(ses)]
    _se, count, st02 = segments[k].split("*")
    assume(int(count) + delta > 0)
    segments[k] = f"SE*{int(count) + delta}*{st02}"
    findings = errors(validate_bytes("~\n".join(segments).encode())[0])
    assert [(f.rule, f.location.position) for f in findings] == [("se01-count", k + 1)]


# -- fast checks are sound --------------------------------------------------------------------------------------

SAMPLES = base_segments() + [
    pair for path in sorted((CORPUS / "837p").glob("stupidedi-*")) + sorted((CORPUS / "835").glob("*"))
    for pair in placed(path.read_text().replace("\r", ""), "005010X221A1" if path.parent.name == "835"
                       else "005010X222A1")
]
SAMPLES = [(els, node) for els, node in SAMPLES if node is not None and els[0] != "ISA"]
VALUES = st.one_of(
    st.just(""), st.text("ABC xyz019-.:'&", max_size=6), st.sampled_from(["D8", "RD8", "20260229", "20250229",
                                                                          "2026010", "1.", "-5", ".5", "HC", "XX"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(1, 25), VALUES), max_size=3),
       st.integers(-2, 2))
def test_fast_check_never_passes_what_the_reference_faults(sample, edits, resize):
    els, node = sample
    els = list(els)
    for position, value in edits:
        while len(els) <= position and len(els) < 26:
            els.append("")
        if position < len(els):
            els[position] = value
    if resize < 0:
        els = els[:max(1, len(els) + resize)]
    else:
        els += [""] * resize
    if build_fast_check(node)(els, ":"):
        assert segment_problems(node, els, ":") == []


# -- no input makes the validator fail -------------------------------------------------------------------------

GARBAGE = st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
                    st.sampled_from(["", "*", ":", "LX", "CLM*", "HL*1**20*1", "SE*1", "GE", "IEA*1", "ST*837*1",
                                     "NM1*85*2*X*****XX*1", "SV1*HC:S5170", "DTP*472", "HI*ABK", "CAS*CO*45",
                                     "CLP*1*1*sNaN*NaN", "SVC*HC:1*Infinity*1", "STC*A2:20*20261301*WQ*NaN",
                                     "CLM*X*sNaN***12:B:1", "BPR*I*NaN", "PLB*1*2*WO:1*-Infinity"]))


BASES = [BASE] + [
    (CORPUS / folder / name).read_text().replace("~\r\n", "~").replace("~\n", "~").replace("~", "~\n")
    for folder, name in (("835", "stupidedi-era-sample.edi"), ("835", "stupidedi-multiple-claims-single-check.edi"),
                         ("999", "imsweb-x12_999_rejected.txt"), ("277ca", "imsweb-x12_277CA_accepted.txt"))
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASES),
       st.lists(st.tuples(st.integers(0, 200), st.sampled_from(["replace", "insert", "delete", "cut"]), GARBAGE),
                min_size=1, max_size=6))
def test_the_validator_and_readers_never_fail_on_broken_input(base, edits):
    segments = base.split("~\n")
    for index, action, text in edits:
        k = 1 + index % (len(segments) - 1)
        if action == "replace":
            segments[k] = text
        elif action == "insert":
            segments.insert(k, text)
        elif action == "delete" and len(segments) > 2:
            del segments[k]
        else:
            segments[k] = segments[k][: len(text)]
    data = "~\n".join(segments).encode()
    findings, v = validate_bytes(data, keep_results=True)
    assert isinstance(findings, list)
    build_999(v.results)
    read_999([data])
    read_277ca([data])
