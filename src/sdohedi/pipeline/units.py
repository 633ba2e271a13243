"""File units: which sorted lines go into which interchange.

A unit is one interchange (one ISA/IEA, one GS/GE) for one payer. Every engine plans units the
same way so that the same input and the same control numbers give the same bytes:

* lines are sorted as tuples (``ingest.LINE_FIELDS`` order); payers come in sorted key order;
* a payer's lines are cut into claim groups (payer x member x CBO x period x prior auth x
  replaced claim: ``GROUP_FIELDS``), and consecutive groups are packed greedily into units of
  at most ``max_lines`` lines. A group is never split across units, so a group larger than
  ``max_lines`` gets a unit of its own. ``max_lines=None`` gives one unit per payer.
* unit ``k`` (counting over payers in order) gets the k-th ISA13 and GS06, and a block of claim
  ids as large as its line count, the blocks following each other in unit order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .ingest import LINE_FIELDS

GROUP_FIELDS = LINE_FIELDS[:6]  # payer, member_id, cbo, period, prior_auth, replaces (see grouping._KEY)
# Sorting by these gives the order of the line tuples: service_id is unique in a run.
SORT_FIELDS = LINE_FIELDS[:9]


class UnitPacker:
    """Greedy packing of consecutive groups (in sorted order, one payer) into units."""

    def __init__(self, max_lines: int | None) -> None:
        if max_lines is not None and max_lines < 1:
            raise ValueError("max_lines per interchange must be at least 1")
        self.max_lines = max_lines
        self.index = -1
        self.lines = 0  # lines in the current unit

    def add(self, group_lines: int) -> int:
        """Unit index (0-based, within the payer) of the next group of ``group_lines`` lines."""
        if self.index < 0 or (self.max_lines is not None and self.lines + group_lines > self.max_lines):
            self.index += 1
            self.lines = 0
        self.lines += group_lines
        return self.index


def unit_sizes(group_sizes: Iterable[int], max_lines: int | None) -> list[int]:
    """Line counts of the units that ``UnitPacker`` makes of these group sizes."""
    packer = UnitPacker(max_lines)
    sizes: list[int] = []
    for n in group_sizes:
        i = packer.add(n)
        if i == len(sizes):
            sizes.append(0)
        sizes[i] += n
    return sizes


@dataclass(frozen=True)
class UnitNumbers:
    """The control numbers of one unit: ISA13, GS06 and the first number of its claim-id block."""

    isa13: int
    gs06: int
    first_claim_number: int
    claim_block: int  # how many claim numbers are reserved for it (its line count)


def number_units(unit_lines: list[int], isa13s: range, gs06s: range, claim_numbers: range) -> list[UnitNumbers]:
    """Hand out reserved ranges to units in order (see the module docstring)."""
    if len(isa13s) != len(unit_lines) or len(gs06s) != len(unit_lines) or len(claim_numbers) != sum(unit_lines):
        raise ValueError("reserved ranges do not match the planned units")
    out = []
    start = claim_numbers.start
    for k, n in enumerate(unit_lines):
        out.append(UnitNumbers(isa13s[k], gs06s[k], start, n))
        start += n
    return out


def split_sorted(lines: Iterator[tuple], sizes: list[int]) -> Iterator[Iterator[tuple]]:
    """Cut one payer's sorted lines into consecutive units of the given sizes (lazily)."""
    for n in sizes:
        # islice, not a generator of next(): no Python frame per line
        yield itertools.islice(lines, n)
