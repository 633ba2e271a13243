"""The implementation-guide tables committed as data (schemas/guides/) for the Rust core."""

import dataclasses
import json
import re
from pathlib import Path

import pytest

from sdohedi.validate import guide
from sdohedi.validate.guide import LoopNode, control_guide, external_codes, guide_for, load_guide, map_index
from sdohedi.validate.guide_data import SUPPORTED, all_tables, dumps, export, main
from sdohedi.validate.guide_maps import CONTROL_MAP, compile_guide, pyx12_external_codes, pyx12_map_index

GUIDES = Path(__file__).resolve().parents[2] / "schemas" / "guides"


@pytest.fixture(scope="module")
def fresh():
    return all_tables()


def test_committed_files_are_what_the_maps_compile_to(fresh):
    """Recompiled from pyx12's maps, byte for byte: the committed tables cannot drift."""
    committed = sorted(p.name for p in GUIDES.glob("*.json"))
    assert committed == sorted(fresh)
    for name, data in fresh.items():
        assert (GUIDES / name).read_text(encoding="utf-8") == dumps(data), f"{name} is stale: re-export it"


def test_the_index_names_every_supported_guide(fresh):
    index = fresh["index.json"]
    assert {(g["gs01"], g["gs08"]) for g in index["groups"]} == {
        ("HC", "005010X222A1"), ("HP", "005010X221A1"), ("FA", "005010X231A1"), ("HN", "005010X214")}
    assert all(g["guide"] in fresh for g in index["groups"]) and index["control"] in fresh


def test_tree_references_are_consistent(fresh):
    """Every loop and segment is reached once from the root, and sits under the parent it names."""
    for name, data in fresh.items():
        if "loops" not in data:  # index.json, external_codes.json
            continue
        loops, segments = data["loops"], data["segments"]
        assert loops[0]["parent"] is None and loops[0]["path"] == "/"
        seen_loops, seen_segments = {0}, set()
        for i, lp in enumerate(loops):
            for _pos, nodes in lp["children"]:
                for ref in nodes:
                    (kind, j), = ref.items()
                    table, seen = (loops, seen_loops) if kind == "loop" else (segments, seen_segments)
                    assert table[j]["parent"] == i and j not in seen
                    seen.add(j)
                    base = "" if i == 0 else lp["path"]
                    assert table[j]["path"].startswith(f"{base}/{table[j]['id']}")
        assert seen_loops == set(range(len(loops))) and seen_segments == set(range(len(segments)))


def test_tables_keep_what_the_compiler_found(fresh):
    """Spot checks against the compiled Python objects (usage, repeats, codes, syntax notes)."""
    guide = compile_guide("837.5010.X222.A1.xml")
    data = fresh["837.5010.X222.A1.json"]
    sv1 = next(s for s in guide.segments if s.id == "SV1")
    row = data["segments"][sv1.idx]
    assert (row["id"], row["path"], row["max_use"]) == ("SV1", sv1.path, sv1.max_use)
    assert row["key"] == [1, 1, sorted(sv1.key[2])] and ["P", [3, 4]] in row["syntax"]
    clm05 = next(s for s in data["segments"] if s["id"] == "CLM")["elements"][4]
    assert clm05["components"][0]["external"] == "pos"
    loop_2400 = next(lp for lp in data["loops"] if lp["path"].endswith("/2000B/2300/2400"))
    assert (loop_2400["usage"], loop_2400["repeat"], loop_2400["report_id"]) == ("R", 50, "2400")


def test_export_writes_every_file(tmp_path, fresh):
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(fresh)
    assert json.loads((tmp_path / "index.json").read_text()) == fresh["index.json"]
    assert export(tmp_path)  # again over existing files: replaced, no temp files left
    assert not list(tmp_path.glob("*.tmp"))


def _same(a, b, where: str) -> None:
    """``a`` and ``b`` hold the same tables, field by field (parents compared by path, not walked)."""
    assert type(a) is type(b), where
    if isinstance(a, (guide.Guide, guide.LoopNode, guide.SegmentNode, guide.ElementRule, guide.CompositeRule)):
        for f in dataclasses.fields(a):
            if f.name in ("transitions", "fast"):  # the walker's memos, empty until it runs
                continue
            x, y = getattr(a, f.name), getattr(b, f.name)
            if f.name == "parent":
                assert (x and x.path) == (y and y.path), f"{where}.parent"
            else:
                _same(x, y, f"{where}.{f.name}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, re.Pattern):
        assert (a.pattern, a.flags) == (b.pattern, b.flags), where
    else:
        assert a == b, where


@pytest.mark.parametrize("name", [CONTROL_MAP] + [pyx12_map_index()[k] for k in SUPPORTED])
def test_loaded_guides_equal_the_ones_compiled_from_the_maps(name):
    """What the library walks (the committed JSON) is what pyx12's XML maps compile to, every field."""
    loaded, compiled = load_guide(name), compile_guide(name)
    _same(loaded, compiled, name)
    assert len(loaded.loops_by_path) == len(compiled.loops_by_path) >= 2


def test_lookups_serve_the_committed_tables():
    assert {k: pyx12_map_index()[k] for k in SUPPORTED} == map_index()
    assert guide_for("HC", "005010X222A1") is load_guide("837.5010.X222.A1.xml")
    assert control_guide().transaction == "control" and control_guide().name == CONTROL_MAP
    assert external_codes() == pyx12_external_codes()
    assert guide_for("HS", "005010X279A1") is None  # pyx12 has a 270 map; the tables hold the supported guides


def test_the_library_reads_no_xml_map(monkeypatch):
    """Loading the guides needs neither pyx12 nor lxml: the XML side is the generator's."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['pyx12'] = sys.modules['lxml'] = None\n"
            "from sdohedi.validate.guide import guide_for, control_guide, external_codes\n"
            "assert guide_for('HP', '005010X221A1').segments and control_guide().segments and external_codes()\n"
            "assert 'sdohedi.validate.guide_maps' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_missing_table_is_a_guide_error_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setattr(guide, "GUIDES_DIR", tmp_path)
    with pytest.raises(guide.GuideUnavailable, match="index.json"):
        guide._read("index.json")
