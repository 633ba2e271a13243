"""File units (shared by both engines): greedy packing of whole claim groups, and the local
engine's ``max_lines_per_file``. No Spark needed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from sdohedi.ledger import Ledger
from sdohedi.models.config import load_config
from sdohedi.pipeline.encode import encode
from sdohedi.pipeline.units import UnitPacker, number_units, unit_sizes
from sdohedi.x12 import iter_segments

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "fixtures" / "nle.toml")
LOG = ROOT / "fixtures" / "service_log.csv"
TODAY = dt.date(2026, 11, 1)
STAMP = dt.datetime(2026, 11, 1, 9, 30)


def test_packing_is_greedy_and_keeps_groups_whole():
    packer = UnitPacker(6)
    assert [packer.add(n) for n in (3, 4, 2, 5, 1)] == [0, 1, 1, 2, 2]
    assert unit_sizes([3, 4, 2, 5, 1], 6) == [3, 6, 6]
    assert unit_sizes([9, 1], 6) == [9, 1]  # a group larger than the limit gets a unit of its own
    assert unit_sizes([2, 2, 2], None) == [6]
    with pytest.raises(ValueError):
        UnitPacker(0)


def test_numbering_hands_out_blocks_in_unit_order():
    nums = number_units([3, 6, 1], range(7, 10), range(20, 23), range(100, 110))
    assert [(n.isa13, n.gs06, n.first_claim_number, n.claim_block) for n in nums] == [
        (7, 20, 100, 3), (8, 21, 103, 6), (9, 22, 109, 1)]
    with pytest.raises(ValueError):
        number_units([3], range(1, 2), range(1, 2), range(1, 3))


def test_local_engine_splits_payers_into_units_of_at_most_n_lines(tmp_path):
    with Ledger(tmp_path / "one.sqlite") as ledger:
        whole = encode([LOG], CONFIG, out_dir=tmp_path / "one", ledger=ledger, today=TODAY, timestamp=STAMP)
    with Ledger(tmp_path / "split.sqlite") as ledger:
        split = encode([LOG], CONFIG, out_dir=tmp_path / "split", ledger=ledger, today=TODAY, timestamp=STAMP,
                       max_lines_per_file=40, run_size=50)  # spills: the sorted lines are read twice
    assert split.billed_rows == whole.billed_rows and split.rejected_rows == whole.rejected_rows
    assert len(split.outputs) > len(whole.outputs)
    assert [o.interchange_control_number for o in split.outputs] == list(range(1, len(split.outputs) + 1))
    seen: Counter = Counter()
    payers = [o.payer for o in split.outputs]
    assert payers == sorted(payers)
    for o in split.outputs:
        segs = [s.elements for s in iter_segments([Path(o.path).read_bytes()])]
        n_lines = sum(1 for s in segs if s[0] == "SV1")
        assert n_lines == o.lines <= 40
        seen.update(s[2] for s in segs if s[0] == "REF" and s[1] == "6R")
        assert next(s for s in segs if s[0] == "ISA")[13] == f"{o.interchange_control_number:09d}"
    assert len(seen) == split.billed_rows and set(seen.values()) == {1}
    # the same claims in the same order, only cut into several files (each unit has its own
    # claim-id block, so CLM01s differ; amounts and service ids do not)
    def claims(outputs):
        out = []
        for o in outputs:
            for s in iter_segments([Path(o.path).read_bytes()]):
                if s.elements[0] == "CLM":
                    out.append([s.elements[2]])
                elif s.elements[0] == "REF" and s.elements[1] == "6R":
                    out[-1].append(s.elements[2])
        return out

    assert claims(split.outputs) == claims(whole.outputs)
