"""Generated per-segment predicates: "this segment has no element problem", fast.

Most segments of a real file are fine, and asking ``elements.segment_problems`` about each
costs a function call and several attribute lookups per element. For every guide node we
generate (once, lazily) a small Python function with the node's lengths, code sets, required
positions and syntax notes inlined as constants. It may answer False for a segment that is in
fact fine (an unusual but legal value: a negative amount, a trailing space within the minimum
length); the caller then asks the reference checker, which has the last word. It must never
answer True for a segment the reference checker would fault; ``tests/validate`` checks that
on mutated segments.

Character-set checks are not repeated here: the engine only uses these predicates for
segments read from chunks that hold nothing but printable ASCII and line breaks after
segment terminators.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sdohedi.codes import load_table
from . import datatypes as dt
from sdohedi.validate.guide import CompositeRule, ElementRule, SegmentNode, external_codes

FastCheck = Callable[[list[str], str], bool]

_DIGITS = re.compile(r"[0-9]+").fullmatch
_UNSIGNED_DECIMAL = re.compile(r"[0-9]*(\.[0-9]+)?").fullmatch
_DATE_TYPES = frozenset(("RD8", "D8", "D6", "DT", "TM"))
_CACHE_LIMIT = 100_000
_valid_as_cache: dict[tuple[str, str], bool] = {}


def _valid_as(value: str, data_type: str) -> bool:
    """``datatypes.valid_as``, remembered: dates and times repeat across a file."""
    key = (value, data_type)
    ok = _valid_as_cache.get(key)
    if ok is None:
        if len(_valid_as_cache) >= _CACHE_LIMIT:
            _valid_as_cache.clear()
        ok = _valid_as_cache[key] = dt.valid_as(value, data_type)
    return ok


def _any_type(value: str, types: tuple[str, ...]) -> bool:
    return any(_valid_as(value, t) for t in types if t)


def _external(name: str) -> frozenset[str]:
    if name == "pos":
        return frozenset(load_table("place_of_service"))
    return external_codes().get(name, frozenset())


class _Gen:
    def __init__(self) -> None:
        self.consts: dict[str, object] = {}
        self.lines: list[str] = []

    def const(self, value: object) -> str:
        name = f"_k{len(self.consts)}"
        self.consts[name] = value
        return name

    def value_checks(self, rule: ElementRule, var: str, indent: str, simple: bool,
                     type_list: tuple[str, ...] = (), dtp_format: str | None = None) -> None:
        """Lines that return False unless ``var`` (non-empty) is certainly fine for ``rule``."""
        out = self.lines
        if rule.usage == "N":
            out.append(f"{indent}return False")
            return
        # A simple element holding the component separator is an error; a value found in a list of
        # plain alphanumeric codes cannot hold one (separators are never letters, digits or spaces).
        plain_codes = bool(rule.codes) and not rule.external and all(c.replace(" ", "").isalnum() for c in rule.codes)
        if simple and not plain_codes:
            out.append(f"{indent}if comp in {var}: return False")
        mn, mx = rule.min_len, rule.max_len
        if rule.codes or rule.external:
            conds = []
            if rule.codes:
                conds.append(f"{var} not in {self.const(rule.codes)}")
            if rule.external:
                conds.append(f"{var} not in {self.const(_external(rule.external))}")
            out.append(f"{indent}if {' and '.join(conds)}: return False")
            if not rule.codes_fit_length or rule.external:
                out.append(f"{indent}if not ({mn} <= len({var}) <= {mx}): return False")
            if rule.data_type not in ("ID", "AN") and (rule.external or not all(
                    dt.valid_as(c, rule.data_type) for c in rule.codes)):
                out.append(f"{indent}return False")  # a code that is not a valid number: let the reference decide
        elif rule.data_type in ("AN", "ID"):
            length = f"len({var}) > {mx}" if mn <= 1 else f"not ({mn} <= len({var}) <= {mx})"
            out.append(f"{indent}if {length} or {var}[-1] == ' ': return False")
        elif rule.data_type[:1] == "N":
            out.append(f"{indent}if not ({mn} <= len({var}) <= {mx}) or not _DIGITS({var}): return False")
        elif rule.data_type == "R":
            out.append(f"{indent}if not ({mn} <= len({var}) - ('.' in {var}) <= {mx}) or not _UDEC({var}): "
                       "return False")
        elif rule.data_type in ("DT", "D8", "D6", "TM"):
            out.append(f"{indent}if not ({mn} <= len({var}) <= {mx}) or not _VALID_AS({var}, {rule.data_type!r}): "
                       "return False")
        else:
            out.append(f"{indent}return False")
        if type_list and any(t == "TM" or t in dt.DATE_TYPES for t in type_list):
            out.append(f"{indent}if not _ANY_TYPE({var}, {self.const(type_list)}): return False")
        if dtp_format is not None:
            out.append(f"{indent}if {dtp_format} in _DTP_FORMATS and not _VALID_AS({var}, {dtp_format}): return False")
        if rule.pattern is not None:
            out.append(f"{indent}if not {self.const(rule.pattern.search)}({var}): return False")

    @staticmethod
    def required(rule: ElementRule, composite: CompositeRule | None) -> bool:
        if rule.usage != "R":
            return False
        return composite is None or rule.seq != 1 or composite.usage == "R"

    def composite(self, spec: CompositeRule, var: str) -> None:
        out = self.lines
        comps = spec.components
        used = max((j for j, c in enumerate(comps, 1) if c.usage != "N"), default=0)
        out.append(f"        p = {var}.split(comp)")
        out.append("        np = len(p)")
        out.append(f"        if np > {len(comps)}: return False")
        if used < len(comps):  # trailing components the guide does not use must be empty
            out.append(f"        if np > {used} and any(p[{used}:]): return False")
        for j, c in enumerate(comps[:used], 1):
            guard = f"p[{j - 1}]" if j == 1 else f"np >= {j} and p[{j - 1}]"
            if c.usage == "N":
                out.append(f"        if {guard}: return False")
                continue
            out.append(f"        if {guard}:")
            out.append(f"            v = p[{j - 1}]")
            self.value_checks(c, "v", "            ", simple=False)
            if self.required(c, spec):
                out.append("        else: return False")


def _element_required(spec) -> bool:
    if isinstance(spec, CompositeRule):
        return spec.usage == "R"
    return spec.usage == "R"


def _syntax_condition(code: str, idx: tuple[int, ...]) -> str:
    """A Python condition that is True when the syntax note is broken (``p{i}``: element i present)."""
    present = [f"p{i}" for i in idx]
    if code == "P":
        return f"({' or '.join(present)}) and not ({' and '.join(present)})"
    if code == "R":
        return f"not ({' or '.join(present)})"
    if code == "E":
        return f"({' + '.join(present)}) > 1"
    if code == "C":
        return f"{present[0]} and not ({' and '.join(present[1:])})"
    return f"{present[0]} and not ({' or '.join(present[1:])})"  # L


def build_fast_check(node: SegmentNode) -> FastCheck:
    g = _Gen()
    out = g.lines
    specs = node.elements
    required_upto = max((i for i, spec in enumerate(specs, 1) if _element_required(spec)), default=0)
    out.append("def ok(els, comp):")
    out.append("    n = len(els)")
    out.append(f"    if n > {len(specs) + 1} or n <= {required_upto}: return False")
    syntax_elements = sorted({i for _code, idx in node.syntax for i in idx})
    for i in syntax_elements:  # presence flags for the syntax notes, computed once
        out.append(f"    p{i} = n > {i} and els[{i}] != ''")
    syntax = " or ".join(f"({_syntax_condition(code, idx)})" for code, idx in node.syntax)
    done = f"return not ({syntax})" if syntax else "return True"
    used = max((i for i, spec in enumerate(specs, 1) if spec.usage != "N"), default=0)
    if used < len(specs):  # trailing elements the guide does not use must be empty
        out.append(f"    if n > {used + 1} and any(els[{used + 1}:]): return False")
    type_list: list[str] = []
    for i, spec in enumerate(specs[:used], 1):
        if i > required_upto:
            # Every position from here on is optional: a shorter segment is done.
            out.append(f"    if n <= {i}: {done}")
        out.append(f"    v = els[{i}]")
        if isinstance(spec, CompositeRule):
            if spec.usage == "N":
                out.append("    if v: return False")
                continue
            out.append("    if v:")
            g.composite(spec, "v")
            if spec.usage == "R":
                out.append("    else: return False")
            continue
        rule = spec
        if rule.data_ele == "1250":
            type_list.extend(sorted(rule.codes))
        if rule.usage == "N":
            out.append("    if v: return False")
            continue
        out.append("    if v:")
        dtp = "els[2]" if node.id == "DTP" and i == 3 else None
        tl = tuple(type_list) if rule.data_ele == "1251" and not dtp else ()
        g.value_checks(rule, "v", "        ", simple=node.id != "ISA", type_list=tl, dtp_format=dtp)
        if g.required(rule, None):
            out.append("    else: return False")
    out.append(f"    {done}")
    env = dict(g.consts, _DIGITS=_DIGITS, _UDEC=_UNSIGNED_DECIMAL, _ANY_TYPE=_any_type, _VALID_AS=_valid_as,
               _DTP_FORMATS=_DATE_TYPES)
    code = compile("\n".join(out), f"<fast check {node.path}>", "exec")
    exec(code, env)  # noqa: S102 - source generated above from compiled guide tables only
    return env["ok"]  # type: ignore[return-value]
