"""The ledger in PostgreSQL (psycopg 3), for several drivers or hosts sharing one ledger.

Same tables (one definition, ``sdohedi.ledger.TABLES``) and the same SQL as the SQLite
:class:`sdohedi.ledger.Ledger`: encode's methods come from :class:`sdohedi.ledger.BaseLedger`,
reconcile and acknowledgments run theirs through ``execute``, placeholders adapted here.

Control numbers: a reservation increments its counter row with ``UPDATE ... RETURNING`` inside a
transaction; the row lock serializes concurrent reservations (any number of processes and hosts),
so blocks never overlap and are never handed out again.
``reserve_many`` takes its counters in name order, so two runs never deadlock.

Install with ``pip install 'sdohedi[postgres]'``. Open with ``PgLedger("postgresql://...")`` or
``open_ledger(url)``; the URL (which may carry a password) is never printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .ledger import POSTGRESQL, BaseLedger, LedgerError, add_missing_columns, select_in, upgrade_reconcile_tables

PG_SCHEMA = POSTGRESQL.schema()  # the SQLite ledger's tables, with BIGINT where SQLite's INTEGER is 64-bit
_SCHEMA_LOCK = 0x5D0E_D1  # advisory lock key: one process creates the tables at a time
_BILLING_LOCK = 0x5D0E_D2  # advisory lock key: one run bills lines at a time (``lock_billing``)


class PgLedger(BaseLedger):
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
        # Never prepared: PostgreSQL would reuse a prepared statement's generic plan, made while a
        # table was small (the first batches of a run on an empty ledger), as the run's own
        # transaction grows it: a seq scan comparing every row with every id of ``= ANY(array)``,
        # 51 s for one 5,000-id lookup in 100k lines against 0.1 s planned afresh.
        self.db.prepare_threshold = None
        if readonly:
            self.db.read_only = True
            (exists,) = self.db.execute("SELECT to_regclass('claim_lines') IS NOT NULL").fetchone()
            self._empty = not exists
            return
        self._empty = False
        self.create_tables()

    def close(self) -> None:
        self.db.close()

    def create_tables(self) -> None:
        """Every table, reconcile's too (IF NOT EXISTS; one process at a time, or the catalog races)."""
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            self.db.execute(PG_SCHEMA)
            upgrade_reconcile_tables(self, self.columns("remittances"))
            add_missing_columns(self, self.columns)

    def columns(self, table: str) -> list[str]:
        return [c for (c,) in self.execute("SELECT column_name FROM information_schema.columns"
                                           " WHERE table_schema = current_schema() AND table_name = ?", (table,))]

    def execute(self, sql: str, params: tuple | list = ()) -> Any:
        """Run SQL of the common subset, ``?`` placeholders (see ``sdohedi.ledger.Dialect``)."""
        try:
            return self.db.execute(POSTGRESQL.sql(sql), tuple(params))
        except self._psycopg.Error as exc:
            raise _ledger_error(exc) from None

    def executemany(self, sql: str, rows: list) -> None:
        try:
            with self.db.cursor() as cur:
                cur.executemany(POSTGRESQL.sql(sql), rows)
        except self._psycopg.Error as exc:
            raise _ledger_error(exc) from None

    def insert_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """``COPY ... FROM STDIN`` into the same table: one statement streams every row (constraints
        are checked as with INSERT, a duplicate key fails the statement and the transaction)."""
        if not rows:
            return
        try:
            with self.db.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except self._psycopg.Error as exc:
            raise _ledger_error(exc) from None

    def lines_by_service_id(self, columns: str, service_ids: list[str], *, with_claim: bool = False) -> list[tuple]:
        # Each id probes the primary key through a LATERAL subquery its LIMIT keeps from being
        # flattened into a join: ``service_id = ANY(array)`` is planned from the table's statistics,
        # which do not see the rows this run's own transaction added, so the planner took a scan of
        # the whole (growing) table for each lookup; index probes stay flat as the ledger grows.
        claim = " JOIN claims c ON c.claim_id = l.claim_id" if with_claim else ""
        sql = (f"SELECT {columns} FROM unnest(?::text[]) AS j(value) CROSS JOIN LATERAL"
               f" (SELECT * FROM claim_lines WHERE service_id = j.value LIMIT 1) l{claim}")
        out: list[tuple] = []
        for i in range(0, len(service_ids), POSTGRESQL.in_chunk):
            out.extend(self.execute(sql, (service_ids[i:i + POSTGRESQL.in_chunk],)).fetchall())
        return out

    def lock_claims(self, claim_ids: Iterable[str]) -> None:
        """Lock these claims' rows for the open transaction, in one order (byte order, as Python sorts)
        whatever order a remittance lists them in: two runs applying overlapping remittances never
        deadlock, and neither loses the other's update of a claim's amounts."""
        for _ in select_in(self, 'SELECT claim_id FROM claims WHERE {in} ORDER BY claim_id COLLATE "C" FOR UPDATE',
                           "claim_id", sorted(set(claim_ids))):
            pass  # the rows are locked as they are read; nothing else is wanted of them

    def lock_billing(self) -> None:
        """Hold the billing lock until the open transaction ends: another run's ``lock_billing`` waits,
        so lines this one finds unbilled stay so until it commits (a unique key alone would make the
        second run fail on its INSERT, after writing its file, instead of leaving the lines out)."""
        self.execute("SELECT pg_advisory_xact_lock(?)", (_BILLING_LOCK,))

    @contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[Any]:
        """One database transaction (a savepoint when nested); rolled back on an exception.
        psycopg's errors come out as :class:`LedgerError` (one line, no URL)."""
        try:
            with self.db.transaction():
                yield self.db
        except self._psycopg.Error as exc:  # BEGIN, COMMIT, or the body's own psycopg calls
            raise _ledger_error(exc) from None


def _ledger_error(exc: Exception) -> LedgerError:
    """psycopg's first line (its DETAIL line, which quotes key values, is left out), no URL."""
    detail = str(exc).splitlines()[0] if str(exc) else "no detail"
    return LedgerError(f"PostgreSQL ledger: {type(exc).__name__}: {detail}")
