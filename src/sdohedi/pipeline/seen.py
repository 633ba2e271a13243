"""Which service_ids a run has already taken, in memory that does not grow with the run.

A dict of every service_id grew by about 110 MB per million rows. The ids live instead in a
private temporary SQLite database (``sqlite3.connect("")``: on disk, 0600, deleted when
closed) whose page cache is bounded; ids are checked and added in batches, so the cost is a
few microseconds per row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

_QUERY_CHUNK = 900  # below SQLite's default limit of bound parameters


class SeenIds:
    def __init__(self, cache_kib: int = 8192) -> None:
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
        self.db.execute("PRAGMA journal_mode = OFF")  # a scratch set: nothing to roll back or recover
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE seen (service_id TEXT PRIMARY KEY, row_number INTEGER NOT NULL) WITHOUT ROWID")

    def add_batch(self, ids: Sequence[tuple[str, int]]) -> list[int | None]:
        """Take a batch of (service_id, row number) in order. For each, None when it is new, or
        the row number of the first row that took it (in an earlier batch or earlier in this one)."""
        earlier: dict[str, int] = {}
        distinct = list(dict.fromkeys(sid for sid, _ in ids))
        for i in range(0, len(distinct), _QUERY_CHUNK):
            chunk = distinct[i:i + _QUERY_CHUNK]
            q = f"SELECT service_id, row_number FROM seen WHERE service_id IN ({','.join('?' * len(chunk))})"
            earlier.update(self.db.execute(q, chunk).fetchall())
        out: list[int | None] = []
        new: list[tuple[str, int]] = []
        for sid, row in ids:
            first = earlier.get(sid)
            out.append(first)
            if first is None:
                earlier[sid] = row
                new.append((sid, row))
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO seen VALUES (?, ?)", new)
        self.db.execute("COMMIT")
        return out

    def close(self) -> None:
        self.db.close()
