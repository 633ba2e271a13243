"""One registry of rule slugs (sdohedi.problems.RULES): every slug the library reports is in it,
once, under one name; messages hold no element values."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from sdohedi.ack999 import read_999
from sdohedi.claims837p import read_837p
from sdohedi.ledger import Ledger
from sdohedi.models.config import load_config
from sdohedi.pipeline.ingest import Reject
from sdohedi.pipeline.rules import BatchRules, dict_batch
from sdohedi.problems import RULES, SNIP, Problem, problem
from sdohedi.reconcile import apply_835_file
from sdohedi.remit835 import balance_findings, parse_835
from sdohedi.status277 import read_277ca
from sdohedi.validate import validate_stream
from sdohedi.x12 import X12Error

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "corpus"
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)+\Z")
NOT_SLUGS = {"utf-8", "utf-8-sig", "latin-1", "sdohedi-encode", "sdohedi-remit", "code-set"}  # encodings, names
# Names the same rules went by before the registry: none may come back.
SYNONYMS = {
    "trailer-count", "se-count", "ge-count", "iea-count", "control-number-match", "control-number-mismatch",
    "required-segment", "required-element", "number-format", "date-format", "unexpected-segment",
    "unknown-segment", "isa-fixed-width", "service-balance", "claim-balance", "transaction-balance", "not-835",
    "not-277ca", "functional-group", "functional-id", "implementation-guide", "transaction-set", "character-set",
    "non-ascii", "delimiter-in-identifier", "segment-order",
}


def _source_slugs() -> dict[str, set[str]]:
    """Every hyphenated string constant of the Python source and every ``rule=`` constant,
    and the string literals of the Rust core, with the files they are in."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "src" / "sdohedi").rglob("*.py"):
        if path.name == "problems.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            values = []
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SLUG.match(node.value):
                values.append(node.value)
            if isinstance(node, ast.keyword) and node.arg == "rule" and isinstance(node.value, ast.Constant):
                values.append(node.value.value)
            for v in values:
                found.setdefault(v, set()).add(path.name)
    for path in (ROOT / "rust" / "src").rglob("*.rs"):
        for v in re.findall(r'"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)"', path.read_text()):
            found.setdefault(v, set()).add(path.name)
    return found


def test_every_slug_in_the_source_is_registered():
    unknown = {s: files for s, files in _source_slugs().items() if s not in RULES and s not in NOT_SLUGS}
    assert unknown == {}


def test_no_synonym_of_a_registered_rule_is_used_or_registered():
    assert SYNONYMS.isdisjoint(RULES)
    assert SYNONYMS.isdisjoint(_source_slugs())


def test_the_registry_says_one_thing_once():
    descriptions = [r.description for r in RULES.values()]
    assert len(set(descriptions)) == len(descriptions)
    for r in RULES.values():
        assert SLUG.match(r.id) or r.id.isalpha()
        assert r.snip == SNIP.get(r.level)
        assert (r.snip is None) == (r.level in ("write", "ingest", "reconcile"))
    assert RULES["se01-count"].snip == 1 and RULES["segment-missing"].snip == 2
    assert RULES["bpr-balance"].snip == 3 and RULES["npi-check-digit"].snip == 5


def test_a_problem_takes_level_and_severity_from_the_registry():
    p = problem("se01-count", "SE01 does not count the segments", interchange="1", group="2", transaction="0001",
                position=9, segment="SE", element=1)
    assert (p.level, p.snip, p.severity, p.location.reference()) == ("syntax", 1, "error", "SE01")
    assert isinstance(p, Problem) and str(p).startswith("ERROR [se01-count] segment 9, SE01")


@pytest.mark.parametrize("make", [
    lambda slug: problem(slug, "a message"),
    lambda slug: X12Error("a message", rule=slug, segment="SE", position=3),
], ids=["problem", "X12Error"])
def test_an_unregistered_slug_is_a_value_error_naming_it(make):
    slug = "no-such-rule"
    assert slug not in RULES
    with pytest.raises(ValueError, match=re.escape(repr(slug))):
        make(slug)


# -- every slug reported on the corpus, the fixtures and broken inputs is registered ---------------------------

def _broken(text: str) -> list[str]:
    """Versions of an interchange with one rule broken each."""
    seg = "~" if "~" in text else text[105]
    out = [
        re.sub(r"SE\*(\d+)", lambda m: f"SE*{int(m.group(1)) + 1}", text, count=1),
        re.sub(r"GE\*(\d+)", lambda m: f"GE*{int(m.group(1)) + 1}", text, count=1),
        re.sub(r"IEA\*(\d+)", lambda m: f"IEA*{int(m.group(1)) + 1}", text, count=1),
        re.sub(r"(SE\*\d+\*)(\w+)", r"\g<1>X\2", text, count=1),
        re.sub(r"(GE\*\d+\*)(\w+)", r"\g<1>9\2", text, count=1),
        re.sub(r"(IEA\*\d+\*)(\w+)", r"\g<1>8\2", text, count=1),
        text.replace(f"{seg}ST*", f"{seg}ZZZ*1{seg}ST*", 1),
        re.sub(r"\b(20\d\d)(\d\d)(\d\d)\b", r"\g<1>13\3", text, count=3),
        re.sub(r"(CLP\*[^*]*\*[^*]*\*)[0-9.]+", r"\g<1>1E3", text, count=1),
        re.sub(r"(CLM\*[^*]*\*)[0-9.]+", r"\g<1>X", text, count=1),
        text[: len(text) * 2 // 3],
        text[3:],
        text.replace("ST*837", "ST*835", 1).replace("ST*835", "ST*837", 1),
    ]
    return [t for t in out if t != text]


def _inputs(kind: str) -> list[bytes]:
    dirs = {"837p": ["837p", "837p-invalid"], "835": ["835"], "999": ["999"], "277": ["277ca"]}[kind]
    files = [p for d in dirs for p in sorted((CORPUS / d).iterdir())]
    files += [p for p in sorted((CORPUS / "realworld").iterdir()) if kind in p.name.lower()]
    texts = [p.read_bytes() for p in files]
    if kind in ("837p", "835"):
        for data in texts[:3]:
            texts += [t.encode("latin-1") for t in _broken(data.decode("latin-1"))]
    return texts


def _rules_of(kind: str, data: bytes, tmp_path: Path) -> set[str]:
    rules = {f.rule for f in validate_stream([data])}
    try:
        if kind == "837p":
            errors: list[X12Error] = []
            for claim in read_837p([data], on_error=errors.append, lenient=True):
                rules.update(claim.deviations)
            rules.update(e.rule for e in errors)
        elif kind == "835":
            findings = []
            for remit in parse_835(data, findings):
                rules.update(f.rule for f in remit.findings + balance_findings(remit))
            rules.update(f.rule for f in findings)
            path = tmp_path / "x.835"
            path.write_bytes(data)
            with Ledger(tmp_path / "l.sqlite") as ledger:
                result = apply_835_file(ledger, path)
            rules.update(f.rule for f in result.findings)
            if result.error is not None:
                rules.add(result.error.rule)
        elif kind == "999":
            rules.update(f.rule for f in read_999([data]).findings)
        else:
            rules.update(f.rule for f in read_277ca([data]).findings)
    except X12Error as exc:
        rules.add(exc.rule)
    return rules


@pytest.mark.parametrize("kind", ["837p", "835", "999", "277"])
def test_every_slug_reported_is_registered(kind, tmp_path):
    seen: set[str] = set()
    for n, data in enumerate(_inputs(kind)):
        (tmp_path / str(n)).mkdir()
        seen |= _rules_of(kind, data, tmp_path / str(n))
    unknown = {r for r in seen if r not in RULES and not r.startswith("guide-005010X222")}  # a deviation naming
    assert unknown == set()                                                              # the release read
    if kind in ("837p", "835"):
        assert {"se01-count", "ge01-count", "iea01-count", "se02-mismatch"} <= seen  # the broken inputs broke them


def test_every_slug_ingest_reports_is_registered():
    from strategies import BASE, VARIANTS

    config = load_config(ROOT / "fixtures" / "nle.toml")
    rules = BatchRules(config, today=dt.date(2026, 11, 1))
    seen = set()
    for column, values in VARIANTS.items():
        for value in values:
            result = rules.check(dict_batch("log", [2], [dict(BASE, **{column: value})]))[0]
            if isinstance(result, Reject):
                seen.update(f.rule for f in result.faults)
    assert len(seen) > 10 and seen <= set(RULES)
