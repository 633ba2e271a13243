"""The core's element checks (``sdohedi._core.segment_problems``, rust/src/elements.rs) against their
oracle, ``oracle.elements.segment_problems`` (once ``validate.elements``): every segment of every corpus file, placed by the
Python walker as the validator places it, and segments with elements replaced by odd values give
the same problems (rule, element, component, message, code value, data element) in the same order."""

from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import CORPUS
from sdohedi._core import segment_problems as core_problems
from oracle.elements import segment_problems
from sdohedi.validate.guide import control_guide, guide_for
from sdohedi.validate.guide_data import SUPPORTED
from sdohedi.validate.lists import code_lists
from walker_reference import ReferenceWalk, tokenize

FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md" and "licenses" not in p.parts)


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@cache
def placed(path: Path) -> list[tuple[list[str], object, str, str]]:
    """(elements, guide node, guide map, component separator) of each segment the walker places."""
    segments, _error = tokenize([path.read_bytes()])
    walk = ReferenceWalk()
    out = []
    for seg in segments:
        els = list(seg.elements)
        node = walk.segment(els, [])
        if node is not None:
            out.append((els, node, walk.walker.guide.name, walk.comp))
    return out


def reference(node, els: list[str], comp: str) -> list[tuple]:
    return [(p.rule, p.element, p.component, p.message, p.value, p.data_ele)
            for p in segment_problems(node, els, comp)]


def core(guide: str, node, els: list[str], comp: str) -> list[tuple]:
    return core_problems(guide, node.path, els, comp, code_lists())


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_corpus_segments_get_the_problems_the_python_checks_give(path):
    for els, node, guide, comp in placed(path):
        assert core(guide, node, els, comp) == reference(node, els, comp), els[0]


def test_the_corpus_exercises_the_element_rules():
    found = {p[0] for path in FILES for els, node, _guide, comp in placed(path) for p in reference(node, els, comp)}
    assert {"element-missing", "element-too-long", "invalid-code", "invalid-date", "syntax-required"} <= found, found


# -- every element and syntax note of every guide, with odd values -------------------------------------------

GUIDES = [control_guide()] + [guide_for(*key) for key in SUPPORTED]
# Values that hit each data type's edges, both spellings of a date-time qualifier, a control
# character, a character past ASCII, trailing blanks (plain and latin-1 no-break), digits for patterns.
EDGES = ["", "A", "AB ", "AB\xa0 ", "X\x1dY", "\xe9", "D8", "RD8", "TM", "20240229", "20230229", "240229",
         "202402291360", "20240101-20240131", "2359", "2400", "-1.5", "1.", "12", "-", "123456789", "1234567890",
         "X" * 40, "A:B", "A:B:C:D:E:F:G:H", "FL", "11", "USD"]


def _variants(node):
    """Segments for ``node``: each element set to each edge value, and each syntax note's elements
    filled one at a time (first only, second only, all)."""
    n = len(node.elements)
    for i in range(1, n + 1):
        for v in EDGES:
            yield [node.id] + ["" if j != i else v for j in range(1, n + 1)]
    for _code, idx in node.syntax:
        for filled in ([idx[0]], idx[1:2], list(idx)):
            yield [node.id] + ["1" if j in filled else "" for j in range(1, n + 1)]
    yield [node.id] + ["1"] * (n + 2)


def test_every_guide_element_and_syntax_note_gets_the_python_checks_verdicts():
    found = set()
    lists = code_lists()
    for guide in GUIDES:
        for node in guide.segments:
            for els in _variants(node):
                comp = ":"
                expected = reference(node, els, comp)
                assert core_problems(guide.name, node.path, els, comp, lists) == expected, (guide.name, node.path)
                found.update(p[0] for p in expected)
    # The variants reach every rule the checks have (so the comparison above covers each of them).
    assert found >= {"too-many-elements", "too-many-components", "invalid-composite", "element-missing",
                     "element-not-used", "element-too-short", "element-too-long", "control-character",
                     "trailing-spaces", "invalid-code", "invalid-date", "invalid-time", "invalid-decimal",
                     "invalid-number", "invalid-character", "pattern-mismatch", "composite-missing",
                     "composite-not-used", "syntax-paired", "syntax-required", "syntax-exclusive",
                     "syntax-conditional", "syntax-list-conditional"}, found


SAMPLES = [s for path in FILES if path.stat().st_size < 200_000 for s in placed(path) if s[0][0] != "ISA"]
ODD = st.one_of(
    st.just(""), st.text("ABC xyz019-.:'&", max_size=6),
    st.sampled_from(["D8", "RD8", "DT", "TM", "D6", "20260229", "20250229", "20240101-20241231", "2026010",
                     "1.", "-5", ".5", "-.5", "1.2.3", "HC", "XX", "12", "99", "235960", "2400", "12345678",
                     "123456789", "A B ", "AB\xa0 ", "\x1dX", "a\x00b", "\xe9t\xe9", "FL", "US", "USD", "11"]),
    st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=12),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(1, 30), st.integers(0, 4), ODD), max_size=4),
       st.integers(-3, 3))
def test_mutated_segments_get_the_problems_the_python_checks_give(sample, edits, resize):
    els, node, guide, comp = sample
    els = list(els)
    for position, component, value in edits:
        while len(els) <= position and len(els) < 32:
            els.append("")
        if position < len(els):
            if component:
                parts = els[position].split(comp)
                parts += [""] * (component - len(parts))
                parts[component - 1] = value
                els[position] = comp.join(parts)
            else:
                els[position] = value
    els = els[:max(1, len(els) + resize)] if resize < 0 else els + [""] * resize
    assert core(guide, node, els, comp) == reference(node, els, comp)
