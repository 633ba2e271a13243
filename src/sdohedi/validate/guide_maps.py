"""The implementation-guide tables compiled from the XML maps that pyx12 ships: the generator's side.

pyx12 describes each 5010 implementation guide as XML (``pyx12/map/837.5010.X222.A1.xml``
and friends): loops with usage and repeat counts, segments with position, usage and
max use, elements with usage, data element number, code lists and syntax notes, plus
``dataele.xml`` (type and length of every data element) and ``codes.xml`` (external code
lists). This module reads them with lxml into the objects of :mod:`.guide`; no loop rule is
written by hand. Only :mod:`.guide_data` (which writes the committed JSON) and its drift test
use it: the library loads that JSON and needs neither pyx12 nor lxml at run time.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from .guide import MAXINT, CompositeRule, ElementRule, Guide, GuideUnavailable, LoopNode, SegmentNode

CONTROL_MAP = "x12.control.00501.xml"


# -- locating the maps ------------------------------------------------------------------------------------------


def maps_dir() -> Path:
    try:
        import pyx12  # noqa: F401 - only its data files are used
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise GuideUnavailable("implementation-guide checks need pyx12 (pip install pyx12==4.0.0)") from exc
    return Path(pyx12.__file__).resolve().parent / "map"


def _lxml():
    try:
        from lxml import etree
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise GuideUnavailable("implementation-guide checks need lxml (pip install lxml)") from exc
    return etree


@cache
def pyx12_map_index() -> dict[tuple[str, str], str]:
    """(GS01 functional id, GS08 version) -> map file, for ISA12 00501, from pyx12's maps.xml."""
    etree = _lxml()
    tree = etree.parse(str(maps_dir() / "maps.xml"))
    out: dict[tuple[str, str], str] = {}
    for version in tree.iterfind("version"):
        if version.get("icvn") != "00501":
            continue
        for m in version.iterfind("map"):
            if m.get("fic") and m.get("vriic"):
                out[(m.get("fic"), m.get("vriic"))] = (m.text or "").strip()
    return out


# -- compiling --------------------------------------------------------------------------------------------------


def _text(elem, name: str) -> str | None:
    v = elem.get(name)
    if v:
        return v
    v = elem.findtext(name)
    return v.strip() if v is not None else None


def _max(value: str | None) -> int:
    if value is None or value.strip() in (">1", "&gt;1"):
        return MAXINT
    return int(value)


@cache
def _data_elements() -> dict[str, tuple[str, int, int, str]]:
    etree = _lxml()
    out = {}
    for d in etree.parse(str(maps_dir() / "dataele.xml")).iterfind("data_ele"):
        out[d.get("ele_num")] = (d.get("data_type"), int(d.get("min_len")), int(d.get("max_len")), d.get("name"))
    return out


@cache
def pyx12_external_codes() -> dict[str, frozenset[str]]:
    """codes.xml: external code lists (states, country, currency, entity_id, ...) by id."""
    etree = _lxml()
    out = {}
    for cs in etree.parse(str(maps_dir() / "codes.xml")).iterfind("codeset"):
        out[cs.findtext("id").strip()] = frozenset((c.text or "") for c in cs.iterfind("version/code"))
    return out


class _Compiler:
    def __init__(self, name: str) -> None:
        self.name = name
        self.dataele = _data_elements()
        self.segments: list[SegmentNode] = []
        self.loops: list[LoopNode] = []

    def element(self, e, in_composite: bool = False, composite_usage: str = "") -> ElementRule:
        data_ele = _text(e, "data_ele") or ""
        dtype, mn, mx, _ = self.dataele.get(data_ele, ("AN", 1, 999999, data_ele))
        vc = e.find("valid_codes")
        ordered: list[str] = []
        external = None
        if vc is not None:
            external = vc.get("external")
            ordered = [(c.text or "") for c in vc.iterfind("code")]
        codes = frozenset(ordered)
        regex = e.findtext("regex")
        rule = ElementRule(
            seq=int(_text(e, "seq")), refdes=e.get("xid") or "", name=_text(e, "name") or "",
            usage=_text(e, "usage") or "S", data_ele=data_ele, data_type=dtype, min_len=mn, max_len=mx,
            codes=codes, external=external, pattern=re.compile(regex, re.S) if regex else None,
            in_composite=in_composite, composite_usage=composite_usage,
        )
        rule.first_code = ordered[0] if ordered else ""
        return rule

    def composite(self, c) -> CompositeRule:
        usage = _text(c, "usage") or "S"
        comps = [self.element(e, True, usage) for e in c.iterfind("element")]
        refdes = c.get("xid") or c.findtext("refdes") or (comps[0].refdes.split("-")[0] if comps else "")
        return CompositeRule(seq=int(_text(c, "seq")), refdes=refdes, name=_text(c, "name") or "", usage=usage,
                             data_ele=_text(c, "data_ele") or "", components=tuple(comps))

    def segment(self, s, parent: LoopNode) -> SegmentNode:
        children: dict[int, object] = {}
        for e in s:
            if e.tag == "element":
                children[int(_text(e, "seq"))] = self.element(e)
            elif e.tag == "composite":
                children[int(_text(e, "seq"))] = self.composite(e)
        n = max(children) if children else 0
        # Maps number every position; a gap would be a map bug, filled so indexing stays 1:1.
        elements = tuple(children.get(i) or ElementRule(i, f"{s.get('xid')}{i:02d}", "", "N", "", "AN", 1, 999999,
                                                        frozenset(), None, None) for i in range(1, n + 1))
        syntax = []
        for syn in s.iterfind("syntax"):
            t = (syn.text or "").strip()
            if t and t[0] in "PRCLE":
                syntax.append((t[0], tuple(int(t[i:i + 2]) for i in range(1, len(t) - 1, 2))))
        node = SegmentNode(
            idx=len(self.segments), id=s.get("xid"), name=_text(s, "name") or "", usage=_text(s, "usage") or "S",
            pos=int(_text(s, "pos")), max_use=_max(_text(s, "max_use")), path="", parent=parent,
            elements=elements, syntax=tuple(syntax), key=None, coded=(),
        )
        node.key = _unique_key(node)
        node.coded = tuple(_coded_elements(node))
        self.segments.append(node)
        return node

    def loop(self, lp, parent: LoopNode) -> LoopNode:
        node = LoopNode(idx=len(self.loops), id=lp.get("xid"), name=_text(lp, "name") or "",
                        usage=_text(lp, "usage") or "S", pos=int(_text(lp, "pos")),
                        max_repeat=_max(_text(lp, "repeat")), type=lp.get("type"), path="", parent=parent)
        self.loops.append(node)
        self.fill(lp, node)
        return node

    def fill(self, elem, node: LoopNode) -> None:
        by_pos: dict[int, list] = {}
        # pyx12 lists a position's loops before its segments; the walker depends on that order.
        for lp in elem.iterfind("loop"):
            child = self.loop(lp, node)
            by_pos.setdefault(child.pos, []).append(child)
        for s in elem.iterfind("segment"):
            child = self.segment(s, node)
            by_pos.setdefault(child.pos, []).append(child)
        node.children = [(p, tuple(by_pos[p])) for p in sorted(by_pos)]

    def compile(self) -> Guide:
        etree = _lxml()
        root_elem = etree.parse(str(maps_dir() / self.name)).getroot()
        root = LoopNode(idx=-1, id=root_elem.get("xid") or "", name=_text(root_elem, "name") or "", usage="R",
                        pos=0, max_repeat=1, type=None, path="/", parent=None, is_root=True)
        self.fill(root_elem, root)
        _assign_paths(root)
        _separate_namesakes(self.segments)
        for s in self.segments:
            s.loop_id = s.parent.report_id
        transaction = root.id if self.name != CONTROL_MAP else "control"
        return Guide.assemble(self.name, transaction, root, self.loops, self.segments)


def _unique_key(node: SegmentNode) -> tuple[int, int | None, frozenset[str]] | None:
    """Which element tells this segment apart from its namesakes, as pyx12's ``is_match`` decides it."""
    c = node.elements
    c0 = c[0] if len(c) > 0 else None
    c1 = c[1] if len(c) > 1 else None
    c2 = c[2] if len(c) > 2 else None
    if isinstance(c0, ElementRule) and c0.data_type == "ID" and c0.usage == "R" and c0.codes:
        return (1, None, c0.codes)
    if node.id == "ENT" and isinstance(c1, ElementRule) and c1.data_type == "ID" and c1.codes:
        return (2, None, c1.codes)
    if node.id == "CTX" and isinstance(c0, CompositeRule) and c0.components and c0.components[0].data_type == "AN" \
            and c0.components[0].codes:
        return (1, 1, c0.components[0].codes)
    if isinstance(c0, CompositeRule) and c0.components and c0.components[0].data_type == "ID" \
            and c0.components[0].codes:
        return (1, 1, c0.components[0].codes)
    if node.id == "HL" and isinstance(c2, ElementRule) and c2.codes:
        return (3, None, c2.codes)
    return None


def _guess_unique_key(node: SegmentNode) -> ElementRule | None:
    """pyx12's ``guess_unique_key_id_element``: names same-position namesakes in counter paths."""
    c = node.elements
    c0 = c[0] if len(c) > 0 else None
    c1 = c[1] if len(c) > 1 else None
    c2 = c[2] if len(c) > 2 else None
    if isinstance(c0, ElementRule) and c0.data_type == "ID" and c0.codes:
        return c0
    if node.id == "ENT" and isinstance(c1, ElementRule) and c1.data_type == "ID" and c1.codes:
        return c1
    if isinstance(c0, CompositeRule) and c0.components and c0.components[0].data_type == "ID" \
            and c0.components[0].codes:
        return c0.components[0]
    if node.id == "HL" and isinstance(c2, ElementRule) and c2.codes:
        return c2
    return None


def _coded_elements(node: SegmentNode):
    for el in node.elements:
        if isinstance(el, ElementRule):
            if el.codes and el.usage != "N":
                yield (el.seq, None, el.codes)
        elif el.usage != "N":
            for sub in el.components:
                if sub.codes and sub.usage != "N":
                    yield (el.seq, sub.seq, sub.codes)


def _assign_paths(loop: LoopNode) -> None:
    base = "" if loop.is_root else loop.path
    for _pos, nodes in loop.children:
        dup = len(nodes) > 1
        for n in nodes:
            if isinstance(n, LoopNode):
                n.path = f"{base}/{n.id}"
                _assign_paths(n)
            else:
                suffix = ""
                if dup:
                    key = _guess_unique_key(n)
                    if key is not None:
                        suffix = f"[{key.first_code}]"
                n.path = f"{base}/{n.id}{suffix}"


def _separate_namesakes(segments: list[SegmentNode]) -> None:
    """Give two nodes that pyx12 would count under one path (the 999 map's two 2100 CTX
    segments, whose qualifier is not an ID element) counters of their own. Deliberate
    difference: pyx12 reports the second CTX as over its maximum use."""
    seen: set[str] = set()
    for s in segments:
        if s.path in seen:
            s.path = f"{s.path}#{s.idx}"
        seen.add(s.path)


def compile_guide(name: str) -> Guide:
    """Compile one pyx12 map file (``837.5010.X222.A1.xml``) afresh."""
    return _Compiler(name).compile()
