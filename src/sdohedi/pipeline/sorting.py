"""External merge sort of line tuples: memory stays bounded whatever the input size.

Lines are kept in memory up to ``run_size``; beyond that, each run is sorted and spilled to a
0600 temp file (pickled in blocks) and the runs are merged lazily with ``heapq.merge``. The
sorter can be iterated more than once (not concurrently).

Memory is bounded whatever the input: the merge holds one block per run, so blocks are small
and, once ``fan_in`` runs exist, they are merged into one run on disk (a cascade, as external
sorts do). Without that, a million lines (20 runs of 4,096-line blocks) held about 65 MB more
in the merge than 100,000 lines did, and ten million would have held ten times that.
"""

from __future__ import annotations

import heapq
import itertools
import pickle
import tempfile
from collections.abc import Iterator, Sequence

_BLOCK = 256  # lines per pickled block: what the merge holds per run
FAN_IN = 64  # runs merged at once: at most FAN_IN blocks in memory during the merge


class ExternalSorter:
    def __init__(self, run_size: int = 50_000, tmpdir: str | None = None, fan_in: int = FAN_IN) -> None:
        if fan_in < 2:
            raise ValueError("fan_in must be at least 2")
        self.run_size = run_size
        self.tmpdir = tmpdir
        self.fan_in = fan_in
        self._buf: list[tuple] = []
        self._runs: list[tempfile._TemporaryFileWrapper] = []
        self._levels: list[int] = []  # merge level of each run (0: spilled from memory)
        self.count = 0

    def add(self, item: tuple) -> None:
        self.extend((item,))

    def extend(self, items: Sequence[tuple]) -> None:
        """Add a batch of items (a run may then hold up to ``len(items) - 1`` more than ``run_size``)."""
        self._buf.extend(items)
        self.count += len(items)
        if len(self._buf) >= self.run_size:
            self._spill()

    def _spill(self) -> None:
        self._buf.sort()
        self._runs.append(self._write_run(self._buf))
        self._levels.append(0)
        self._buf = []
        # Tiered: fan_in runs of one level become one run of the next, so each line is
        # rewritten once per level (log base fan_in of the run count), not once per merge.
        while len(self._runs) >= self.fan_in and len(set(self._levels[-self.fan_in:])) == 1:
            runs = self._runs[-self.fan_in:]
            level = self._levels[-1] + 1
            merged = self._write_run(heapq.merge(*(self._read_run(f) for f in runs)))
            for f in runs:
                f.close()
            del self._runs[-self.fan_in:], self._levels[-self.fan_in:]
            self._runs.append(merged)
            self._levels.append(level)

    def _write_run(self, lines) -> tempfile._TemporaryFileWrapper:
        f = tempfile.TemporaryFile(dir=self.tmpdir)  # created 0600 and unlinked at once: PHI never lingers
        # One pickle per block: a shared Pickler/Unpickler memo would keep every line of the
        # run alive while it is merged, and memory would grow with the input.
        dump = pickle.dump
        block: list[tuple] = []
        for line in lines:
            block.append(line)
            if len(block) >= _BLOCK:
                dump(block, f, protocol=pickle.HIGHEST_PROTOCOL)
                block = []
        if block:
            dump(block, f, protocol=pickle.HIGHEST_PROTOCOL)
        f.seek(0)
        return f

    @staticmethod
    def _read_run(f) -> Iterator[tuple]:
        # the blocks chained in C: Python runs once per block, not once per line
        return itertools.chain.from_iterable(ExternalSorter._blocks(f))

    @staticmethod
    def _blocks(f) -> Iterator[list[tuple]]:
        f.seek(0)  # each iteration reads every run from its start: the sorted lines can be read twice
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return

    def __iter__(self) -> Iterator[tuple]:
        self._buf.sort()  # sorted when iteration starts, as before: lines added until then are in
        if not self._runs:
            return iter(self._buf)
        return heapq.merge(self._buf, *(self._read_run(f) for f in self._runs))

    def close(self) -> None:
        for f in self._runs:
            f.close()
        self._runs = []
        self._levels = []
        self._buf = []

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass


