"""The encode side of the ledger, written once (``sdohedi.ledger.BaseLedger``): the same control
numbers and the same rows on a SQLite and a PostgreSQL ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from reconcile_support import BACKENDS, FIVE_ROWS, bill, claim_of, open_backend, write_rows
from sdohedi.ledger import POSTGRESQL, SQLITE

STAMP = dt.datetime(2026, 11, 1, 9, 30)
# the clock's columns, and paths (each backend bills into its own folder)
VARYING = {"created_at", "updated_at", "replaced_at", "path"}


@pytest.mark.parametrize("kind", BACKENDS)
def test_control_numbers(kind, request, tmp_path):
    with open_backend(kind, request, tmp_path) as lg:
        assert lg.reserve("gs06:X", 5) == range(1, 6)
        # asked for out of name order (taken in name order): answered in the order asked
        assert lg.reserve_many([("isa13:X", 2, 999), ("gs06:X", 1, 999)]) == [range(1, 3), range(6, 7)]
        with pytest.raises(OverflowError):
            lg.reserve_many([("gs06:X", 1, 999), ("isa13:X", 10, 5)])
        # all or nothing: gs06:X was not taken by the failed call
        assert lg.reserve_many([("gs06:X", 1, 999), ("isa13:X", 1, 999)]) == [range(7, 8), range(3, 4)]
        with pytest.raises(OverflowError):
            lg.reserve("claim_id", 3, maximum=2)
        assert lg.reserve("claim_id") == range(4, 5)  # a single reservation that overflowed stays burned


def _rows(lg, table: str) -> list[tuple]:
    cur = lg.execute(f"SELECT * FROM {table}")
    keep = [i for i, d in enumerate(cur.description) if d[0] not in VARYING]
    return sorted(tuple(r[i] for i in keep) for r in cur.fetchall())


def test_encode_records_the_same_rows_on_both_backends(request, tmp_path):
    """Billing, then billing again (duplicates refused), then resubmitting a claim with a payer claim number."""
    seen = {}
    for kind in BACKENDS:
        tmp = tmp_path / kind
        tmp.mkdir()
        with open_backend(kind, request, tmp) as lg:
            log = write_rows(tmp / "log.csv", FIVE_ROWS)
            first = bill(lg, log, tmp / "out", timestamp=STAMP)
            twice = bill(lg, log, tmp / "out2", timestamp=STAMP)
            a = claim_of(lg, "A1")
            lg.execute("UPDATE claims SET payer_claim_number = ? WHERE claim_id = ?", ("ICN-A", a))
            again = bill(lg, log, tmp / "out3", timestamp=STAMP, resubmit=True)
            claim = {k: v for k, v in lg.claim(claim_of(lg, "A1")).items() if k not in VARYING}
            seen[kind] = {
                "bills": [(b.billed_rows, b.rejected_rows) for b in (first, twice, again)],
                "files": [Path(o.path).read_bytes() for b in (first, again) for o in b.outputs],
                "billed": lg.billed(["A1", "B1", "NOPE"]),
                "claim": claim,
                "rows": {t: _rows(lg, t) for t in ("counters", "interchanges", "transactions", "claims",
                                                   "claim_lines", "line_history")},
            }
    sqlite, pg = seen["sqlite"], seen["postgresql"]
    for key in sqlite:
        assert pg[key] == sqlite[key], key
    assert sqlite["bills"] == [(5, 0), (0, 5), (2, 3)]
    assert sqlite["claim"]["frequency"] == "7" and sqlite["claim"]["replaces"] == sqlite["rows"]["line_history"][0][1]
    assert len(sqlite["rows"]["interchanges"]) == len(sqlite["files"]) == 2
    assert sqlite["billed"]["A1"] == sqlite["claim"]["claim_id"] and "NOPE" not in sqlite["billed"]


def test_where_in_chunks_for_each_backend():
    values = ["a", "b", "c"]
    assert list(dataclasses.replace(SQLITE, in_chunk=2).where_in("x", values)) == [
        ("x IN (?,?)", ("a", "b")), ("x IN (?)", ("c",))]
    assert list(dataclasses.replace(POSTGRESQL, in_chunk=2).where_in("x", iter(values))) == [
        ("x = ANY(?)", (["a", "b"],)), ("x = ANY(?)", (["c"],))]
    assert list(SQLITE.where_in("x", [])) == [] and SQLITE.in_chunk <= 999  # SQLite's oldest limit on ?s
