"""The ledger in PostgreSQL (psycopg 3), for several drivers or hosts sharing one ledger.

Same tables (one definition, ``sdohedi.ledger.TABLES``) and the same methods as the SQLite
:class:`sdohedi.ledger.Ledger` (see ``LedgerBackend`` and ``SqlLedger``): reconcile and
acknowledgments run the same SQL on both, placeholders adapted by ``execute``.

Control numbers: a reservation increments its counter row with ``UPDATE ... RETURNING`` inside a
transaction; the row lock serializes concurrent reservations (any number of processes and hosts),
so blocks never overlap and are never handed out again.
``reserve_many`` takes its counters in name order, so two runs never deadlock.

Install with ``pip install 'sdohedi[postgres]'``. Open with ``PgLedger("postgresql://...")`` or
``open_ledger(url)``; the URL (which may carry a password) is never printed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .ledger import POSTGRESQL

PG_SCHEMA = POSTGRESQL.schema()  # the SQLite ledger's tables, with BIGINT where SQLite's INTEGER is 64-bit
_SCHEMA_LOCK = 0x5D0E_D1  # advisory lock key: one process creates the tables at a time


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class PgLedger:
    """A ledger in PostgreSQL. ``db`` is the psycopg connection (autocommit outside ``transaction()``)."""

    dialect = POSTGRESQL

    def __init__(self, url: str, *, readonly: bool = False, connect_timeout: int = 30) -> None:
        try:
            import psycopg
        except ImportError:
            raise RuntimeError("a postgresql:// ledger needs psycopg 3 (pip install 'sdohedi[postgres]')") from None
        self._psycopg = psycopg
        self.readonly = readonly
        self.db = psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout)
        if readonly:
            self.db.read_only = True
            (exists,) = self.db.execute("SELECT to_regclass('claim_lines') IS NOT NULL").fetchone()
            self._empty = not exists
            return
        self._empty = False
        self.create_tables()

    @property
    def empty(self) -> bool:
        """True when the database holds no ledger tables yet (seen only when opened read-only)."""
        return self._empty

    def close(self) -> None:
        self.db.close()

    def create_tables(self) -> None:
        """Every table, reconcile's too (IF NOT EXISTS; one process at a time, or the catalog races)."""
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            self.db.execute(PG_SCHEMA)

    def execute(self, sql: str, params: tuple | list = ()) -> Any:
        """Run SQL of the common subset, ``?`` placeholders (see ``sdohedi.ledger.Dialect``)."""
        return self.db.execute(POSTGRESQL.sql(sql), tuple(params))

    def lock_claims(self, claim_ids: Iterable[str]) -> None:
        """Lock these claims' rows for the open transaction, in one order (byte order, as Python sorts)
        whatever order a remittance lists them in: two runs applying overlapping remittances never
        deadlock, and neither loses the other's update of a claim's amounts."""
        ids = sorted(set(claim_ids))
        for i in range(0, len(ids), 10_000):
            self.db.execute('SELECT claim_id FROM claims WHERE claim_id = ANY(%s) ORDER BY claim_id COLLATE "C"'
                            " FOR UPDATE", (ids[i:i + 10_000],)).fetchall()

    def __enter__(self) -> "PgLedger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[Any]:
        """One database transaction (a savepoint when nested); rolled back on an exception."""
        with self.db.transaction():
            yield self.db

    # -- control numbers -------------------------------------------------------------------
    def _bump(self, name: str, count: int) -> int:
        self.db.execute("INSERT INTO counters(name, value) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING", (name,))
        (end,) = self.db.execute("UPDATE counters SET value = value + %s WHERE name = %s RETURNING value",
                                 (count, name)).fetchone()
        return end

    def reserve(self, name: str, count: int = 1, *, maximum: int = 999_999_999) -> range:
        """Reserve ``count`` consecutive numbers of counter ``name``; never handed out again."""
        with self.db.transaction():
            end = self._bump(name, count)
        if end > maximum:
            raise OverflowError(f"control number counter {name} is exhausted")
        return range(end - count + 1, end + 1)

    def reserve_many(self, requests: list[tuple[str, int, int]]) -> list[range]:
        """Reserve several blocks, ``(name, count, maximum)`` each, in one transaction: all or none."""
        out: dict[int, range] = {}
        with self.db.transaction():
            # counters are locked in name order, whatever the order asked for: no deadlock between runs
            for i in sorted(range(len(requests)), key=lambda i: requests[i][0]):
                name, count, maximum = requests[i]
                end = self._bump(name, count)
                if end > maximum:
                    raise OverflowError(f"control number counter {name} is exhausted")
                out[i] = range(end - count + 1, end + 1)
        return [out[i] for i in range(len(requests))]

    # -- billing ---------------------------------------------------------------------------
    def billed(self, service_ids: Iterable[str]) -> dict[str, str]:
        """{service_id: claim_id} for those already billed."""
        if self._empty:
            return {}
        ids = list(service_ids)
        found: dict[str, str] = {}
        for i in range(0, len(ids), 10_000):
            rows = self.db.execute("SELECT service_id, claim_id FROM claim_lines WHERE service_id = ANY(%s)",
                                   (ids[i:i + 10_000],)).fetchall()
            found.update(rows)
        return found

    def claim(self, claim_id: str) -> dict | None:
        if self._empty:
            return None
        from psycopg.rows import dict_row

        with self.db.cursor(row_factory=dict_row) as cur:
            return cur.execute("SELECT * FROM claims WHERE claim_id = %s", (claim_id,)).fetchone()

    def record_claims(self, claims: list[tuple], lines: list[tuple], *, replacing: bool = False) -> None:
        """Insert claims and lines inside the caller's open transaction (see ``Ledger.record_claims``)."""
        now = _now()
        with self.db.cursor() as cur:
            cur.executemany(
                "INSERT INTO claims(claim_id, payer_key, cbo_key, member_id, sender_id, isa13, gs06, st02, frequency,"
                " replaces, total_charge, first_service_date, last_service_date, created_at)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", [c + (now,) for c in claims])
            insert = ("INSERT INTO claim_lines(service_id, claim_id, line_number, cbo_key, procedure_code, modifiers,"
                      " units, charge, service_date) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)")
            if replacing:
                # a resubmitted line moves to its replacement claim; keep where it was before
                cur.executemany(
                    "INSERT INTO line_history(service_id, claim_id, replaced_at)"
                    " SELECT service_id, claim_id, %s FROM claim_lines WHERE service_id = %s",
                    [(now, ln[0]) for ln in lines])
                # as SQLite's INSERT OR REPLACE: the new row, with paid and status back to their defaults
                insert += (" ON CONFLICT (service_id) DO UPDATE SET claim_id = EXCLUDED.claim_id,"
                           " line_number = EXCLUDED.line_number, cbo_key = EXCLUDED.cbo_key,"
                           " procedure_code = EXCLUDED.procedure_code, modifiers = EXCLUDED.modifiers,"
                           " units = EXCLUDED.units, charge = EXCLUDED.charge, service_date = EXCLUDED.service_date,"
                           " paid = '0', status = 'submitted'")
            cur.executemany(insert, lines)  # plain INSERT otherwise: a concurrent double bill fails

    def record_interchange(self, *, sender_id: str, isa13: int, receiver_id: str, gs06: int, payer_key: str,
                           path: str, sha256: str, size: int, claims: int, lines: int, total_charge: str,
                           st02s: list[str]) -> None:
        with self.db.cursor() as cur:
            cur.execute(
                "INSERT INTO interchanges(sender_id, isa13, receiver_id, gs06, payer_key, path, sha256, bytes, claims,"
                " lines, total_charge, created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (sender_id, isa13, receiver_id, gs06, payer_key, path, sha256, size, claims, lines, total_charge,
                 _now()))
            cur.executemany("INSERT INTO transactions(sender_id, isa13, gs06, st02) VALUES (%s,%s,%s,%s)",
                            [(sender_id, isa13, gs06, st) for st in st02s])
