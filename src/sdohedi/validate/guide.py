"""The implementation-guide tables the validator walks, loaded from the committed JSON.

The tables (loops with usage and repeat counts, segments with position, usage and max use,
elements with usage, type, length, code lists and syntax notes) come from pyx12's XML maps:
:mod:`.guide_maps` compiles them and :mod:`.guide_data` writes them once to
``schemas/guides/`` (shipped as ``sdohedi/data/guides``), the same files the Rust core compiles
into itself. Here they become the plain Python objects below, once per process; pyx12 is only
needed to regenerate them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

MAXINT = 2147483647  # what pyx12 uses for ">1"
GUIDES_DIR = Path(__file__).resolve().parent.parent / "data" / "guides"
EXTERNAL_CODES = "external_codes.json"  # codes.xml's lists (states, country, ...) by id


class GuideUnavailable(RuntimeError):
    """The guide tables are missing or unreadable (a broken install), or pyx12 is needed and absent."""


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
    first_code: str = ""  # first code in map order (pyx12 names same-position namesakes after it)
    codes_fit_length: bool = field(init=False)  # every listed code already satisfies min/max length

    def __post_init__(self) -> None:
        self.codes_fit_length = all(self.min_len <= len(c) <= self.max_len for c in self.codes)


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
    def segment(self, path: str) -> SegmentNode:
        return self.segments_by_path[path]

    @classmethod
    def assemble(cls, name: str, transaction: str, root: LoopNode, loops: list[LoopNode],
                 segments: list[SegmentNode]) -> "Guide":
        """The guide over a finished tree (paths, keys and loop ids set), with its lookup tables."""
        for lp in [root, *loops]:
            lp.descendant_loops = tuple(_loop_paths(lp))
        key_locations: dict[str, set[tuple[int, int | None]]] = {}
        for s in segments:
            found = key_locations.setdefault(s.id, set())
            if s.key is not None:
                found.add((s.key[0], s.key[1]))
        segs_by_path: dict[str, SegmentNode] = {}
        for s in segments:
            segs_by_path.setdefault(s.path, s)
        return cls(
            name=name, transaction=transaction, title=root.name, root=root, segments=segments,
            key_locations={k: tuple(sorted(v, key=lambda t: (t[0], t[1] or 0))) for k, v in key_locations.items()},
            single_keys={k: (next(iter(v))[0], next(iter(v))[1] is not None) for k, v in key_locations.items()
                         if len(v) == 1 and next(iter(v))[1] in (None, 1)},
            loops_by_path={lp.path: lp for lp in loops}, segments_by_path=segs_by_path,
            known_segment_ids=frozenset(s.id for s in segments),
        )


def _loop_paths(loop: LoopNode):
    if not loop.is_root:
        yield loop.path
    for n in loop.child_nodes():
        if isinstance(n, LoopNode):
            yield from _loop_paths(n)


# -- loading the committed tables -------------------------------------------------------------------------------


def _read(file: str) -> dict:
    try:
        return json.loads((GUIDES_DIR / file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GuideUnavailable(f"the implementation-guide table {file} cannot be read: reinstall sdohedi") from exc


def json_name(map_name: str) -> str:
    """The committed table of a pyx12 map file: ``837.5010.X222.A1.xml`` -> ``837.5010.X222.A1.json``."""
    return map_name.removesuffix(".xml") + ".json"


@cache
def _index() -> dict:
    return _read("index.json")


@cache
def map_index() -> dict[tuple[str, str], str]:
    """(GS01 functional id, GS08 version) -> pyx12 map file, for the guides the tables hold."""
    return {(g["gs01"], g["gs08"]): _read(g["guide"])["map"] for g in _index()["groups"]}


def guide_for(functional_id: str, version: str) -> "Guide | None":
    name = map_index().get((functional_id, version))
    return load_guide(name) if name else None


def control_guide() -> Guide:
    return load_guide(_read(_index()["control"])["map"])


@cache
def external_codes() -> dict[str, frozenset[str]]:
    """codes.xml's external code lists (states, country, currency, entity_id, ...) by id."""
    return {k: frozenset(v) for k, v in _read(EXTERNAL_CODES).items()}


def _element(d: dict, in_composite: bool = False, composite_usage: str = "") -> ElementRule:
    regex = d["regex"]
    return ElementRule(
        seq=d["seq"], refdes=d["refdes"], name=d["name"], usage=d["usage"], data_ele=d["data_ele"],
        data_type=d["data_type"], min_len=d["min_len"], max_len=d["max_len"], codes=frozenset(d["codes"]),
        external=d["external"], pattern=re.compile(regex, re.S) if regex is not None else None,
        in_composite=in_composite, composite_usage=composite_usage, first_code=d["first_code"],
    )


def _member(d: dict) -> ElementRule | CompositeRule:
    if "components" not in d:
        return _element(d)
    return CompositeRule(seq=d["seq"], refdes=d["refdes"], name=d["name"], usage=d["usage"], data_ele=d["data_ele"],
                         components=tuple(_element(e, True, d["usage"]) for e in d["components"]))


def _key(k: list | None) -> tuple[int, int | None, frozenset[str]] | None:
    return None if k is None else (k[0], k[1], frozenset(k[2]))


@cache
def load_guide(name: str) -> Guide:
    """The tables of one pyx12 map (``837.5010.X222.A1.xml``), from its committed JSON, once per process."""
    data = _read(json_name(name))
    loops = [LoopNode(idx=i - 1, id=lp["id"], name=lp["name"], usage=lp["usage"], pos=lp["pos"],
                      max_repeat=lp["repeat"], type=lp["type"], path=lp["path"], parent=None, is_root=i == 0)
             for i, lp in enumerate(data["loops"])]
    segments = [SegmentNode(
        idx=i, id=s["id"], name=s["name"], usage=s["usage"], pos=s["pos"], max_use=s["max_use"], path=s["path"],
        parent=loops[s["parent"]], elements=tuple(_member(e) for e in s["elements"]),
        syntax=tuple((kind, tuple(els)) for kind, els in s["syntax"]), key=_key(s["key"]),
        coded=tuple(_key(c) for c in s["coded"]), loop_id=s["loop_id"],
    ) for i, s in enumerate(data["segments"])]
    for lp, row in zip(loops, data["loops"]):
        if row["parent"] is not None:
            lp.parent = loops[row["parent"]]
        lp.children = [(pos, tuple(loops[r["loop"]] if "loop" in r else segments[r["segment"]] for r in refs))
                       for pos, refs in row["children"]]
    return Guide.assemble(data["map"], data["transaction"], loops[0], loops[1:], segments)
