"""The compiled implementation-guide tables as data: one JSON file per guide, for the Rust core.

:mod:`.guide_maps` compiles pyx12's XML maps into Python objects; this module writes those same
tables once as plain JSON (``schemas/guides/<map>.json``, shipped as ``sdohedi/data/guides``),
which the core (``rust/src/guide.rs``) compiles into itself and :mod:`.guide` loads. The layout
is described in ``schemas/guides/README.md``. A test recompiles from the maps and compares, so
the committed files cannot drift from pyx12's maps or from the compiler.

    python -m sdohedi.validate.guide_data schemas/guides
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .guide import EXTERNAL_CODES, CompositeRule, ElementRule, Guide, LoopNode, SegmentNode, json_name
from .guide_maps import CONTROL_MAP, compile_guide, pyx12_external_codes, pyx12_map_index

FORMAT = 1  # bump when the layout below changes (and say how in the README)
# The guides the validator supports, by (GS01, GS08); the control map holds the envelopes.
SUPPORTED = (
    ("HC", "005010X222A1"),  # 837P
    ("HP", "005010X221A1"),  # 835
    ("FA", "005010X231A1"),  # 999
    ("HN", "005010X214"),  # 277CA
)


def _element(e: ElementRule) -> dict:
    return {
        "seq": e.seq, "refdes": e.refdes, "name": e.name, "usage": e.usage, "data_ele": e.data_ele,
        "data_type": e.data_type, "min_len": e.min_len, "max_len": e.max_len,
        "codes": sorted(e.codes), "first_code": e.first_code, "external": e.external,
        "regex": e.pattern.pattern if e.pattern is not None else None,
    }


def _composite(c: CompositeRule) -> dict:
    return {"seq": c.seq, "refdes": c.refdes, "name": c.name, "usage": c.usage, "data_ele": c.data_ele,
            "components": [_element(e) for e in c.components]}


def _key(key) -> list | None:
    return None if key is None else [key[0], key[1], sorted(key[2])]


def _segment(s: SegmentNode, loop_index: dict[int, int]) -> dict:
    return {
        "id": s.id, "name": s.name, "usage": s.usage, "pos": s.pos, "max_use": s.max_use, "path": s.path,
        "parent": loop_index[id(s.parent)], "loop_id": s.loop_id, "key": _key(s.key),
        "coded": [_key(c) for c in s.coded],
        "syntax": [[kind, list(els)] for kind, els in s.syntax],
        "elements": [_composite(e) if isinstance(e, CompositeRule) else _element(e) for e in s.elements],
    }


def guide_tables(guide: Guide) -> dict:
    """The tables of one compiled guide as JSON-ready data (loops[0] is the map's root)."""
    loops: list[LoopNode] = [guide.root]

    def collect(loop: LoopNode) -> None:
        for n in loop.child_nodes():
            if isinstance(n, LoopNode):
                loops.append(n)
                collect(n)

    collect(guide.root)
    loop_index = {id(lp): i for i, lp in enumerate(loops)}
    seg_index = {id(s): i for i, s in enumerate(guide.segments)}

    def ref(n) -> dict:
        return {"loop": loop_index[id(n)]} if isinstance(n, LoopNode) else {"segment": seg_index[id(n)]}

    return {
        "format": FORMAT,
        "map": guide.name,
        "transaction": guide.transaction,
        "title": guide.title,
        "loops": [{
            "id": lp.id, "name": lp.name, "usage": lp.usage, "pos": lp.pos, "repeat": lp.max_repeat,
            "type": lp.type, "path": lp.path, "report_id": lp.report_id,
            "parent": loop_index[id(lp.parent)] if lp.parent is not None else None,
            "children": [[pos, [ref(n) for n in nodes]] for pos, nodes in lp.children],
        } for lp in loops],
        "segments": [_segment(s, loop_index) for s in guide.segments],
    }


def index_tables() -> dict:
    """Which guide each supported (GS01, GS08) uses, and the control map."""
    index = pyx12_map_index()
    return {
        "format": FORMAT,
        "control": json_name(CONTROL_MAP),
        "groups": [{"gs01": fic, "gs08": version, "guide": json_name(index[(fic, version)])}
                   for fic, version in SUPPORTED],
    }


def external_code_tables() -> dict[str, list[str]]:
    """codes.xml's external code lists by id, each sorted."""
    return {name: sorted(codes) for name, codes in pyx12_external_codes().items()}


def all_tables() -> dict[str, dict]:
    """File name -> content of every file this module writes, compiled afresh from the maps."""
    index = pyx12_map_index()
    out = {"index.json": index_tables(), EXTERNAL_CODES: external_code_tables()}
    for name in [CONTROL_MAP] + [index[k] for k in SUPPORTED]:
        out[json_name(name)] = guide_tables(compile_guide(name))
    return out


def dumps(data: dict) -> str:
    # One line per top-level table entry would be kinder to diffs, but the files are generated:
    # compact and sorted keeps them small and their bytes reproducible.
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def export(directory: str | Path) -> list[Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in all_tables().items():
        path = directory / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(dumps(data), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m sdohedi.validate.guide_data DIRECTORY", file=sys.stderr)
        return 2
    for path in export(args[0]):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
