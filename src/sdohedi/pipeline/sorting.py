"""External merge sort of line tuples: memory stays bounded whatever the input size.

Lines are kept in memory up to ``run_size``; beyond that, each run is sorted and spilled to a
0600 temp file (pickled in blocks) and the runs are merged lazily with ``heapq.merge``. The
sorter can be iterated more than once (not concurrently).
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Iterator

_BLOCK = 4096


class ExternalSorter:
    def __init__(self, run_size: int = 50_000, tmpdir: str | None = None) -> None:
        self.run_size = run_size
        self.tmpdir = tmpdir
        self._buf: list[tuple] = []
        self._runs: list[tempfile._TemporaryFileWrapper] = []
        self.count = 0

    def add(self, item: tuple) -> None:
        self._buf.append(item)
        self.count += 1
        if len(self._buf) >= self.run_size:
            self._spill()

    def _spill(self) -> None:
        self._buf.sort()
        f = tempfile.TemporaryFile(dir=self.tmpdir)  # created 0600 and unlinked at once: PHI never lingers
        buf = self._buf
        # One pickle per block: a shared Pickler/Unpickler memo would keep every line of the
        # run alive while it is merged, and memory would grow with the input.
        for i in range(0, len(buf), _BLOCK):
            pickle.dump(buf[i:i + _BLOCK], f, protocol=pickle.HIGHEST_PROTOCOL)
        f.seek(0)
        self._runs.append(f)
        self._buf = []

    @staticmethod
    def _read_run(f) -> Iterator[tuple]:
        f.seek(0)  # each iteration reads every run from its start: the sorted lines can be read twice
        while True:
            try:
                block = pickle.load(f)
            except EOFError:
                return
            yield from block

    def __iter__(self) -> Iterator[tuple]:
        self._buf.sort()
        if not self._runs:
            yield from self._buf
            return
        yield from heapq.merge(self._buf, *(self._read_run(f) for f in self._runs))

    def close(self) -> None:
        for f in self._runs:
            f.close()
        self._runs = []
        self._buf = []

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass


