"""The external sort gives sorted() order with bounded runs, however many lines go in."""

from __future__ import annotations

import math

from hypothesis import given, strategies as st

from sdohedi.pipeline import sorting
from sdohedi.pipeline.sorting import ExternalSorter

lines = st.lists(st.tuples(st.sampled_from(["cascade", "summit"]), st.text("AB", max_size=3), st.integers(0, 50)),
                 max_size=300)


@given(items=lines, run_size=st.integers(1, 9), fan_in=st.integers(2, 4))
def test_same_order_as_sorted_and_readable_twice(items, run_size, fan_in):
    sorter = ExternalSorter(run_size=run_size, fan_in=fan_in)
    try:
        for item in items:
            sorter.add(item)
        assert sorter.count == len(items)
        assert list(sorter) == sorted(items)
        assert list(sorter) == sorted(items)
    finally:
        sorter.close()


def test_runs_cascade_so_the_merge_stays_small(monkeypatch):
    monkeypatch.setattr(sorting, "_BLOCK", 2)
    sorter = ExternalSorter(run_size=5, fan_in=3)
    try:
        for i in range(5 * 3 ** 4):  # 81 runs of 5: cascades up to level 4
            sorter.add((i * 7919 % 1000, i))
            # tiered merging: at most fan_in - 1 runs per level
            assert len(sorter._runs) <= 2 * (1 + math.ceil(math.log(i // 5 + 2, 3)))
        assert sorter._levels == [4]
        assert list(sorter) == sorted((i * 7919 % 1000, i) for i in range(405))
    finally:
        sorter.close()


@given(items=lines, run_size=st.integers(1, 9), batch=st.integers(1, 12))
def test_batches_added_at_once_sort_as_sorted(items, run_size, batch):
    sorter = ExternalSorter(run_size=run_size, fan_in=2)
    try:
        for i in range(0, len(items), batch):
            sorter.extend(items[i:i + batch])
        assert sorter.count == len(items)
        assert list(sorter) == sorted(items)
    finally:
        sorter.close()
