"""Implementation-guide tables compiled from the machine-readable maps that pyx12 ships.

pyx12 describes each 5010 implementation guide as XML (``pyx12/map/837.5010.X222.A1.xml``
and friends): loops with usage and repeat counts, segments with position, usage and
max use, elements with usage, data element number, code lists and syntax notes, plus
``dataele.xml`` (type and length of every data element) and ``codes.xml`` (external code
lists). We read those files with lxml and compile them once into plain Python objects that
the validator walks without touching XML again. No loop rule is written by hand here.

Compiling takes a few hundred milliseconds; the result is kept per process
(``functools.cache``) and pickled in the user cache directory, keyed by the map file's
size and modification time, pyx12's version and :data:`TABLES_VERSION`.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TABLES_VERSION = 8  # bump when the compiled layout changes, to invalidate pickles
MAXINT = 2147483647  # what pyx12 uses for ">1"


class GuideUnavailable(RuntimeError):
    """pyx12 (whose maps hold the implementation-guide rules) or lxml is not installed."""


@dataclass(slots=True, eq=False)
class ElementRule:
    seq: int  # 1-based position in its segment or composite
    refdes: str  # "NM108", "SV101-02"
    name: str
    usage: str  # R, S or N
    data_ele: str
    data_type: str  # AN ID N0 N2 R DT TM ...
    min_len: int
    max_len: int
    codes: frozenset[str]
    external: str | None  # id of a codes.xml list (or "pos", answered by our own table)
    pattern: re.Pattern[str] | None
    in_composite: bool = False
    composite_usage: str = ""
    codes_fit_length: bool = True  # every listed code already satisfies min/max length
    first_code: str = ""  # first code in map order (pyx12 names same-position namesakes after it)


@dataclass(slots=True, eq=False)
class CompositeRule:
    seq: int
    refdes: str
    name: str
    usage: str
    data_ele: str
    components: tuple[ElementRule, ...]


@dataclass(slots=True, eq=False)
class SegmentNode:
    idx: int
    id: str
    name: str
    usage: str
    pos: int
    max_use: int
    path: str  # pyx12's x12 path: the key of this segment's occurrence counter
    parent: "LoopNode"
    elements: tuple[ElementRule | CompositeRule, ...]
    syntax: tuple[tuple[str, tuple[int, ...]], ...]
    key: tuple[int, int | None, frozenset[str]] | None  # (element, component, codes) that identify it
    coded: tuple[tuple[int, int | None, frozenset[str]], ...]  # every coded element (for disambiguation)
    loop_id: str | None = None  # the TR3 loop it sits in ('2010AA'); None in headers and envelopes

    def is_match(self, els: list[str], comp: str) -> bool:
        if els[0] != self.id:
            return False
        if self.key is None:
            return True
        return element_value(els, self.key[0], self.key[1], comp) in self.key[2]


@dataclass(slots=True, eq=False)
class LoopNode:
    idx: int
    id: str
    name: str
    usage: str
    pos: int
    max_repeat: int
    type: str | None  # "wrapper", "explicit" or None
    path: str
    parent: "LoopNode | None"
    children: list[tuple[int, tuple["LoopNode | SegmentNode", ...]]] = field(default_factory=list)
    descendant_loops: tuple[str, ...] = ()  # paths of this loop and every loop below it
    is_root: bool = False

    @property
    def report_id(self) -> str | None:
        if self.is_root or self.type == "wrapper" or self.id.endswith("_LOOP"):
            return None
        return self.id

    def child_nodes(self):
        for _pos, nodes in self.children:
            yield from nodes

    @property
    def first_node(self) -> "LoopNode | SegmentNode | None":
        return self.children[0][1][0] if self.children else None

    @property
    def first_segment(self) -> "SegmentNode | None":
        first = self.first_node
        return first if isinstance(first, SegmentNode) else None


def element_value(els: list[str], ele: int, sub: int | None, comp: str) -> str:
    """Element ``ele`` (1-based), or its component ``sub``; '' when absent."""
    if ele >= len(els):
        return ""
    v = els[ele]
    if sub is None:
        return v
    parts = v.split(comp)
    return parts[sub - 1] if sub <= len(parts) else ""


@dataclass(eq=False)
class Guide:
    """One implementation guide (or the envelope-only control map), compiled."""

    name: str  # map file name
    transaction: str  # "837", "835", "999", "277" or "control"
    title: str
    root: LoopNode
    segments: list[SegmentNode]
    key_locations: dict[str, tuple[tuple[int, int | None], ...]]  # segment id -> where its qualifiers are
    single_keys: dict[str, tuple[int, bool]]  # segment id -> (element, is first component) when it has one key
    loops_by_path: dict[str, LoopNode]
    segments_by_path: dict[str, SegmentNode]
    known_segment_ids: frozenset[str]
    # Filled while validating, never pickled: per node index, the walker's plans by segment id
    # (then by qualifier value), and the generated fast element checks (see ``fast``).
    transitions: list = field(default_factory=list)
    fast: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self._fresh_memos()

    def _fresh_memos(self) -> None:
        self.transitions = [{} for _ in self.segments]
        self.fast = [None] * len(self.segments)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["transitions"] = []
        state["fast"] = []
        return state

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        self._fresh_memos()

    def segment(self, path: str) -> SegmentNode:
        return self.segments_by_path[path]


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
def map_index() -> dict[tuple[str, str], str]:
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


def guide_for(functional_id: str, version: str) -> "Guide | None":
    name = map_index().get((functional_id, version))
    return load_guide(name) if name else None


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
def external_codes() -> dict[str, frozenset[str]]:
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
        self.key_locations: dict[str, set[tuple[int, int | None]]] = {}

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
        rule.codes_fit_length = all(mn <= len(c) <= mx for c in codes)
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
        if node.key is not None:
            self.key_locations.setdefault(node.id, set()).add((node.key[0], node.key[1]))
        else:
            self.key_locations.setdefault(node.id, set())
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
        segs_by_path = {}
        for s in self.segments:
            segs_by_path.setdefault(s.path, s)
        return Guide(
            name=self.name, transaction=root.id if self.name != "x12.control.00501.xml" else "control",
            title=root.name, root=root, segments=self.segments,
            key_locations={k: tuple(sorted(v, key=lambda t: (t[0], t[1] or 0))) for k, v in self.key_locations.items()},
            single_keys={k: (next(iter(v))[0], next(iter(v))[1] is not None) for k, v in self.key_locations.items()
                         if len(v) == 1 and next(iter(v))[1] in (None, 1)},
            loops_by_path={lp.path: lp for lp in self.loops}, segments_by_path=segs_by_path,
            known_segment_ids=frozenset(s.id for s in self.segments),
        )


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
    loop.descendant_loops = tuple(_loop_paths(loop))


def _separate_namesakes(segments: list[SegmentNode]) -> None:
    """Give two nodes that pyx12 would count under one path (the 999 map's two 2100 CTX
    segments, whose qualifier is not an ID element) counters of their own. Deliberate
    difference: pyx12 reports the second CTX as over its maximum use."""
    seen: set[str] = set()
    for s in segments:
        if s.path in seen:
            s.path = f"{s.path}#{s.idx}"
        seen.add(s.path)


def _loop_paths(loop: LoopNode):
    if not loop.is_root:
        yield loop.path
    for n in loop.child_nodes():
        if isinstance(n, LoopNode):
            yield from _loop_paths(n)


# -- caching ----------------------------------------------------------------------------------------------------


def _cache_dir() -> Path:
    base = os.environ.get("SDOHEDI_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sdohedi"


def _fingerprint(name: str) -> str:
    import pyx12

    parts = [str(TABLES_VERSION), getattr(pyx12, "__version__", "?")]
    for f in (name, "dataele.xml", "codes.xml"):
        st = (maps_dir() / f).stat()
        parts.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@cache
def load_guide(name: str) -> Guide:
    """The compiled tables of one pyx12 map file (``837.5010.X222.A1.xml``), cached."""
    path = _cache_dir() / f"{name}.{_fingerprint(name)}.pickle"
    try:
        with open(path, "rb") as f:
            guide = pickle.load(f)
        if isinstance(guide, Guide):
            return guide
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        pass
    guide = compile_guide(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(guide, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home directory only costs recompiling next time
    return guide


def compile_guide(name: str) -> Guide:
    """Compile a map without any cache (tests use this to check the cache changes nothing)."""
    return _Compiler(name).compile()


def control_guide() -> Guide:
    return load_guide("x12.control.00501.xml")
