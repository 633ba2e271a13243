"""Element, composite and syntax-note checks of one segment against its guide node.

``segment_problems`` is the reference: it reports every problem with its element and
component position, following pyx12's ``segment_if.is_valid_errors`` (so our findings land
on the same elements). ``fast.py`` holds generated predicates that answer "no problem" much
faster for the common case and fall back to this module otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdohedi.codes import place_of_service_ok
from . import datatypes as dt
from sdohedi.validate.guide import CompositeRule, ElementRule, SegmentNode, external_codes


@dataclass(slots=True)
class ElementProblem:
    rule: str
    element: int | None  # 1-based position in the segment
    component: int | None
    message: str
    value: str | None = None  # only for code values (never free text: it may hold PHI)
    data_ele: str | None = None


def external_ok(name: str, value: str) -> bool:
    if name == "pos":
        return place_of_service_ok(value)  # our table (same list as pyx12's source 237)
    codes = external_codes().get(name)
    return codes is None or value in codes


def _label(rule: ElementRule) -> str:
    return f"{rule.refdes} ({rule.name})" if rule.name else rule.refdes


def _code_hint(rule: ElementRule) -> str:
    if rule.codes and len(rule.codes) <= 8:
        return "; expected " + ", ".join(sorted(rule.codes))
    if rule.external:
        return f"; expected a code from the {rule.external} list"
    return ""


def check_element(rule: ElementRule, value: str, ele: int, sub: int | None, comp_sep: str,
                  out: list[ElementProblem], type_list: list[str] | None = None) -> None:
    """Problems of one simple element (or component) ``value``, appended to ``out``."""
    def add(r: str, msg: str, val: str | None = None) -> None:
        out.append(ElementProblem(r, ele, sub, msg, val, rule.data_ele))

    if sub is None and comp_sep and comp_sep in value:
        add("invalid-composite", f"{_label(rule)} is a simple element but holds component separators")
        return
    if value == "":
        if rule.usage == "R" and (rule.seq != 1 or not rule.in_composite or rule.composite_usage == "R"):
            add("element-missing", f"{_label(rule)} is required but missing")
        return
    if rule.usage == "N":
        add("element-not-used", f"{_label(rule)} is marked 'not used' in this implementation guide; remove it")
        return
    kind_numeric = rule.data_type[:1] == "N" or rule.data_type == "R"
    length = dt.numeric_length(value) if kind_numeric else len(value)
    if length < rule.min_len:
        add("element-too-short", f"{_label(rule)} is {length} characters; the minimum is {rule.min_len}")
    if length > rule.max_len:
        add("element-too-long", f"{_label(rule)} is {length} characters; the maximum is {rule.max_len}")
    ctrl = dt.control_character(value)
    if ctrl:
        add("control-character", f"{_label(rule)} contains a control character ({ctrl})")
        return
    if rule.data_type in ("AN", "ID") and value[-1] == " " and len(value.rstrip()) >= rule.min_len:
        add("trailing-spaces", f"{_label(rule)} has trailing spaces; remove them")
    if rule.codes or rule.external:
        if value not in rule.codes and not (rule.external and external_ok(rule.external, value)):
            shown = value if not dt.has_invalid_character(value) else None
            add("invalid-code", f"{_label(rule)}: '{shown}' is not a valid code{_code_hint(rule)}", shown)
    if not dt.valid_as(value, rule.data_type) and rule.data_type in ("AN", "ID", "R", "TM", "DT", "D8", "D6", "N0",
                                                                          "N1", "N2", "N3", "N4", "N"):
        if rule.data_type in ("DT", "D8", "D6"):
            add("invalid-date", f"{_label(rule)} is not a valid date (CCYYMMDD)")
        elif rule.data_type == "TM":
            add("invalid-time", f"{_label(rule)} is not a valid time (HHMM, HHMMSS)")
        elif rule.data_type == "R":
            add("invalid-decimal", f"{_label(rule)} is not a decimal number (digits, optional '-' and '.')")
        elif rule.data_type[:1] == "N":
            add("invalid-number", f"{_label(rule)} is not a whole number")
        else:
            add("invalid-character", f"{_label(rule)} contains a character outside the X12 character set")
    if type_list:
        if not any(dt.valid_as(value, t) for t in type_list if t):
            if "TM" in type_list:
                add("invalid-time", f"{_label(rule)} is not a valid time for its format qualifier")
            elif any(t in type_list for t in dt.DATE_TYPES):
                add("invalid-date", f"{_label(rule)} is not a valid date for its format qualifier "
                                    f"({' or '.join(t for t in type_list if t)})")
    if rule.pattern is not None and not rule.pattern.search(value):
        add("pattern-mismatch", f"{_label(rule)} does not have the required format")


def _check_composite(rule: CompositeRule, value: str | None, ele: int, comp_sep: str,
                     out: list[ElementProblem]) -> None:
    parts = value.split(comp_sep) if value else []
    empty = not any(parts)
    label = f"{rule.refdes} ({rule.name})" if rule.name else rule.refdes
    if empty and rule.usage in ("N", "S"):
        return
    if rule.usage == "R" and empty:
        out.append(ElementProblem("composite-missing", ele, None, f"{label} is required but missing",
                                  data_ele=rule.data_ele))
        return
    if rule.usage == "N":
        out.append(ElementProblem("composite-not-used", ele, None,
                                  f"{label} is marked 'not used' in this implementation guide; remove it",
                                  data_ele=rule.data_ele))
        return
    comps = rule.components
    if len(parts) > len(comps):
        out.append(ElementProblem("too-many-components", ele, len(comps) + 1,
                                  f"{label} has {len(parts)} components; at most {len(comps)} are defined",
                                  data_ele=rule.data_ele))
    for j, c in enumerate(comps):
        check_element(c, parts[j] if j < len(parts) else "", ele, j + 1, comp_sep, out)


def _present(els: list[str], i: int) -> bool:
    return i < len(els) and els[i] != ""


def syntax_problems(node: SegmentNode, els: list[str]) -> list[ElementProblem]:
    out = []
    sid = node.id
    for code, idx in node.syntax:
        present = [i for i in idx if _present(els, i)]
        names = ", ".join(f"{sid}{i:02d}" for i in idx)
        if code == "P" and 0 < len(present) < len(idx):
            missing = next(i for i in idx if i not in present)
            out.append(ElementProblem("syntax-paired", missing, None, f"{names}: if any is present, all are required"))
        elif code == "R" and not present:
            out.append(ElementProblem("syntax-required", idx[0], None, f"at least one of {names} is required"))
        elif code == "E" and len(present) > 1:
            out.append(ElementProblem("syntax-exclusive", present[1], None, f"only one of {names} may be present"))
        elif code == "C" and _present(els, idx[0]) and len(present) - 1 != len(idx) - 1:
            missing = next(i for i in idx[1:] if i not in present)
            others = ", ".join(f"{sid}{i:02d}" for i in idx[1:])
            out.append(ElementProblem("syntax-conditional", missing, None,
                                      f"when {sid}{idx[0]:02d} is present, {others} must be present too"))
        elif code == "L" and _present(els, idx[0]) and len(present) == 1:
            others = " or ".join(f"{sid}{i:02d}" for i in idx[1:])
            out.append(ElementProblem("syntax-list-conditional", idx[1], None,
                                      f"when {sid}{idx[0]:02d} is present, at least one of {others} is required"))
    return out


def segment_problems(node: SegmentNode, els: list[str], comp_sep: str) -> list[ElementProblem]:
    """Every element-level problem of ``els`` against ``node``, in element order."""
    out: list[ElementProblem] = []
    specs = node.elements
    count = len(specs)
    n = len(els) - 1
    if n > count:
        out.append(ElementProblem("too-many-elements", count + 1, None,
                                  f"{node.id} has {n} elements; at most {count} are defined"))
    dtp_types: list[str] = []
    type_list: list[str] = []
    is_dtp = node.id == "DTP"
    for i, spec in enumerate(specs):
        ele = i + 1
        value = els[ele] if ele <= n else ""
        if isinstance(spec, CompositeRule):
            _check_composite(spec, value, ele, comp_sep, out)
            continue
        if ele == 2 and is_dtp and value in ("RD8", "D8", "D6", "DT", "TM"):
            dtp_types = [value]
        if spec.data_ele == "1250":
            type_list.extend(sorted(spec.codes))
        if ele == 3 and is_dtp:
            check_element(spec, value, ele, None, comp_sep, out, dtp_types)
        elif spec.data_ele == "1251" and type_list:
            check_element(spec, value, ele, None, comp_sep, out, type_list)
        else:
            check_element(spec, value, ele, None, comp_sep, out)
    out.extend(syntax_problems(node, els))
    return out
