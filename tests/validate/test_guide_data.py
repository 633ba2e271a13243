"""The implementation-guide tables committed as data (schemas/guides/) for the Rust core."""

import json
from pathlib import Path

import pytest

from sdohedi.validate.guide import compile_guide
from sdohedi.validate.guide_data import all_tables, dumps, export, main

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
        if name == "index.json":
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
