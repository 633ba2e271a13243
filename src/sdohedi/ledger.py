"""The ledger: an embedded SQLite database (WAL) that remembers what was billed and paid.

It hands out control numbers (never reused, also across concurrent runs: reservations run in
``BEGIN IMMEDIATE`` transactions, which SQLite serializes between processes), records every
interchange, transaction, claim and service line, and every output file with its sha256.
The database file holds PHI (member ids) and is created with mode 0600.

Backends: this SQLite ledger is the default; ``sdohedi.ledger_pg.PgLedger`` keeps the same
tables in PostgreSQL for several drivers or hosts. ``open_ledger(spec)`` picks one by the spec
(``postgresql://...`` or a file path). Both offer the methods of :class:`LedgerBackend`, take their
tables from one definition (``TABLES``, ``RECONCILE_TABLES``) and run the same SQL, written once
(:class:`Dialect`, ``execute``): encode's (:class:`BaseLedger`), reconcile's and acknowledgments'.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, Self

DEFAULT_LEDGER = Path("sdohedi-ledger.sqlite")
WRITER_CACHE_KIB = 65536  # a writer's SQLite page cache, at most (pages are read as needed)
BUSY_TIMEOUT = 300.0  # seconds a SQLite writer waits for another run's transaction before giving up

# The tables of both backends, written once in the SQL SQLite and PostgreSQL both run. ``{bigint}``
# is the one difference: SQLite's INTEGER is 64-bit already, PostgreSQL's is 32-bit. Everything is
# IF NOT EXISTS, so opening a ledger made by an older version adds the tables it lacks (reconcile's)
# and changes nothing else. Amounts are TEXT (exact decimals) in both.
TABLES = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value {bigint} NOT NULL);
CREATE TABLE IF NOT EXISTS interchanges (
    sender_id TEXT NOT NULL, isa13 {bigint} NOT NULL, receiver_id TEXT NOT NULL, gs06 {bigint} NOT NULL,
    payer_key TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL, bytes {bigint} NOT NULL,
    claims {bigint} NOT NULL, lines {bigint} NOT NULL, total_charge TEXT NOT NULL, created_at TEXT NOT NULL,
    ack_status TEXT, PRIMARY KEY (sender_id, isa13));
CREATE TABLE IF NOT EXISTS transactions (
    sender_id TEXT NOT NULL, isa13 {bigint} NOT NULL, gs06 {bigint} NOT NULL, st02 TEXT NOT NULL,
    ack_status TEXT, PRIMARY KEY (sender_id, isa13, st02));
CREATE TABLE IF NOT EXISTS claims (
    claim_id TEXT PRIMARY KEY, payer_key TEXT NOT NULL, cbo_key TEXT NOT NULL, member_id TEXT NOT NULL,
    sender_id TEXT NOT NULL, isa13 {bigint} NOT NULL, gs06 {bigint} NOT NULL, st02 TEXT NOT NULL,
    frequency TEXT NOT NULL, replaces TEXT, total_charge TEXT NOT NULL,
    first_service_date TEXT NOT NULL, last_service_date TEXT NOT NULL, created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'submitted', payer_claim_number TEXT, paid TEXT NOT NULL DEFAULT '0',
    patient_responsibility TEXT NOT NULL DEFAULT '0', ack_status TEXT, ack_codes TEXT, updated_at TEXT,
    submission TEXT NOT NULL DEFAULT 'claim');
CREATE INDEX IF NOT EXISTS claims_payer ON claims(payer_key, status);
CREATE TABLE IF NOT EXISTS claim_lines (
    service_id TEXT PRIMARY KEY, claim_id TEXT NOT NULL REFERENCES claims(claim_id), line_number INTEGER NOT NULL,
    cbo_key TEXT NOT NULL, procedure_code TEXT NOT NULL, modifiers TEXT NOT NULL, units TEXT NOT NULL,
    charge TEXT NOT NULL, service_date TEXT NOT NULL, paid TEXT NOT NULL DEFAULT '0',
    status TEXT NOT NULL DEFAULT 'submitted', prior_auth TEXT);
CREATE INDEX IF NOT EXISTS claim_lines_claim ON claim_lines(claim_id);
CREATE TABLE IF NOT EXISTS line_history (
    service_id TEXT NOT NULL, claim_id TEXT NOT NULL, replaced_at TEXT NOT NULL);
"""
# What ``sdohedi reconcile`` adds: applied 835s, their claim and line payments, and provider-level
# adjustments (PLB). A remittance is keyed by its content (``remittance_key``, a sha256 of the ST..SE
# text without its control numbers, see ``sdohedi.reconcile``), which makes applying idempotent while
# telling apart two different remittances that share a trace number (TRN02).
RECONCILE_TABLES = """
CREATE TABLE IF NOT EXISTS remittances (
    remittance_key TEXT PRIMARY KEY, trace_payer_id TEXT NOT NULL, trace_number TEXT NOT NULL,
    isa13 TEXT NOT NULL, st02 TEXT NOT NULL, payer_id TEXT, payment_date TEXT, total_payment TEXT NOT NULL,
    credit_debit TEXT NOT NULL, claims_paid TEXT, source TEXT, applied_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS claim_payments (
    remittance_key TEXT NOT NULL, trace_payer_id TEXT NOT NULL, trace_number TEXT NOT NULL, seq INTEGER NOT NULL,
    claim_id TEXT NOT NULL, matched INTEGER NOT NULL, status_code TEXT NOT NULL, outcome TEXT NOT NULL,
    charge TEXT NOT NULL, paid TEXT NOT NULL, patient_responsibility TEXT NOT NULL, payer_claim_number TEXT,
    adjustments TEXT NOT NULL, remarks TEXT, PRIMARY KEY (remittance_key, seq));
CREATE TABLE IF NOT EXISTS line_payments (
    remittance_key TEXT NOT NULL, trace_payer_id TEXT NOT NULL, trace_number TEXT NOT NULL,
    claim_seq INTEGER NOT NULL, line_seq INTEGER NOT NULL, claim_id TEXT NOT NULL, service_id TEXT,
    matched INTEGER NOT NULL, procedure_code TEXT NOT NULL, charge TEXT NOT NULL, paid TEXT NOT NULL,
    adjustments TEXT NOT NULL, remarks TEXT, PRIMARY KEY (remittance_key, claim_seq, line_seq));
CREATE INDEX IF NOT EXISTS line_payments_service ON line_payments(service_id);
CREATE TABLE IF NOT EXISTS provider_adjustments (
    remittance_key TEXT NOT NULL, trace_payer_id TEXT NOT NULL, trace_number TEXT NOT NULL, seq INTEGER NOT NULL,
    provider_id TEXT, reason TEXT NOT NULL, reference_id TEXT, amount TEXT NOT NULL, claim_id TEXT,
    PRIMARY KEY (remittance_key, seq));
"""


# Columns added to the tables after they were first made: a ledger opened for writing that lacks one
# gets it (NULL or the default in the rows recorded before). ``remarks``: the RARCs (LQ*HE on a line,
# MOA on a claim) as a JSON list. ``claim_lines.prior_auth``: the REF*G1 a line was billed under
# (lines billed before stay NULL: the ledger never knew their authorization). ``claims.submission``:
# "claim", or "encounter" for a claim sent with BHT06 = RP (see ``PayerConfig.submission``).
ADDED_COLUMNS = (
    ("claim_payments", "remarks", "TEXT"),
    ("line_payments", "remarks", "TEXT"),
    ("claim_lines", "prior_auth", "TEXT"),
    ("claims", "submission", "TEXT NOT NULL DEFAULT 'claim'"),
)


def add_missing_columns(ledger: Any, columns_of: Any) -> None:
    """``ALTER TABLE ... ADD COLUMN`` each of ``ADDED_COLUMNS`` that ``columns_of(table)`` lacks. The
    columns are listed again inside the transaction, so two processes opening one old ledger at once
    add each column once."""
    def missing() -> list[tuple[str, str, str]]:
        out = []
        for table, column, kind in ADDED_COLUMNS:
            have = set(columns_of(table))
            if have and column not in have:  # a table not made yet is made with it
                out.append((table, column, kind))
        return out

    if not missing():
        return
    with ledger.transaction():
        for table, column, kind in missing():
            ledger.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


# Reconcile's tables as sdohedi made them before remittances were keyed by content: on opening such
# a ledger for writing they are renamed aside, copied into today's tables (keyed ``trace:TRN03:TRN02``,
# which no content key equals, so those remittances stay applied), and dropped, in one transaction.
_RECONCILE_V1 = ("remittances", "claim_payments", "line_payments", "provider_adjustments")
_COPY_V1 = {
    "remittances": ("remittance_key, trace_payer_id, trace_number, isa13, st02, payer_id, payment_date,"
                    " total_payment, credit_debit, claims_paid, source, applied_at",
                    "trace_payer_id, trace_number, isa13, st02, payer_id, payment_date, total_payment, 'C', NULL,"
                    " source, applied_at"),
    "claim_payments": ("remittance_key, trace_payer_id, trace_number, seq, claim_id, matched, status_code, outcome,"
                       " charge, paid, patient_responsibility, payer_claim_number, adjustments",
                       "trace_payer_id, trace_number, seq, claim_id, matched, status_code, outcome, charge, paid,"
                       " patient_responsibility, payer_claim_number, adjustments"),
    "line_payments": ("remittance_key, trace_payer_id, trace_number, claim_seq, line_seq, claim_id, service_id,"
                      " matched, procedure_code, charge, paid, adjustments",
                      "trace_payer_id, trace_number, claim_seq, line_seq, claim_id, service_id, matched,"
                      " procedure_code, charge, paid, adjustments"),
    "provider_adjustments": ("remittance_key, trace_payer_id, trace_number, seq, provider_id, reason, reference_id,"
                             " amount, claim_id",
                             "trace_payer_id, trace_number, seq, provider_id, reason, reference_id, amount, claim_id"),
}


def legacy_remittance_key(trace_payer_id: str, trace_number: str) -> str:
    """The key a remittance applied before content keys carries after the upgrade."""
    return f"trace:{trace_payer_id}:{trace_number}"


def upgrade_reconcile_tables(ledger: Any, remittance_columns: Iterable[str]) -> None:
    """Bring reconcile's tables of an older ledger to today's (see ``_RECONCILE_V1``); nothing to do
    when ``remittances`` (whose columns are given) has ``remittance_key`` or does not exist."""
    columns = set(remittance_columns)
    if not columns or "remittance_key" in columns:
        return
    with ledger.transaction():
        for table in _RECONCILE_V1:
            ledger.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
        ledger.execute("DROP INDEX IF EXISTS line_payments_service")  # it went with the renamed table
        for statement in RECONCILE_TABLES.split(";"):
            if statement.strip():
                ledger.execute(statement)
        for table in _RECONCILE_V1:
            into, select = _COPY_V1[table]
            ledger.execute(f"INSERT INTO {table}({into}) SELECT 'trace:' || trace_payer_id || ':' || trace_number,"
                           f" {select} FROM {table}_v1")
            ledger.execute(f"DROP TABLE {table}_v1")



@dataclass(frozen=True)
class Dialect:
    """What differs between the backends in the SQL that reconcile and acknowledgments share.

    That SQL is written once, with ``?`` placeholders (so no literal ``?`` in it), in the subset both
    run: upserts as ``INSERT ... ON CONFLICT (...) DO NOTHING`` (SQLite >= 3.24), ``JOIN ... USING``,
    no ``ORDER BY`` on text whose order matters (PostgreSQL sorts by the database's collation: sort
    in Python, by code point, as SQLite's BINARY does). ``ledger.execute`` adapts the placeholders.
    """

    name: str
    bigint: str
    # suffix of a SELECT whose rows are then updated: PostgreSQL locks them; SQLite's
    # BEGIN IMMEDIATE has already serialized every writer
    for_update: str
    # values per ``column IN (...)`` (SQLite: one ? each, at most 999 in older builds) or per
    # ``column = ANY(?)`` (PostgreSQL: one array)
    in_chunk: int

    def schema(self) -> str:
        return (TABLES + RECONCILE_TABLES).format(bigint=self.bigint)

    def sql(self, text: str) -> str:
        return _pyformat(text) if self.name == "postgresql" else text

    def where_in(self, column: str, values: Iterable) -> Iterator[tuple[str, tuple]]:
        """``column`` among ``values``: (condition, parameters) per chunk the backend takes."""
        values = list(values)
        for i in range(0, len(values), self.in_chunk):
            chunk = values[i:i + self.in_chunk]
            if self.name == "postgresql":
                yield f"{column} = ANY(?)", (chunk,)
            else:
                yield f"{column} IN ({','.join('?' * len(chunk))})", tuple(chunk)


@lru_cache(maxsize=512)
def _pyformat(text: str) -> str:
    return text.replace("%", "%%").replace("?", "%s")


SQLITE = Dialect("sqlite", bigint="INTEGER", for_update="", in_chunk=900)
POSTGRESQL = Dialect("postgresql", bigint="BIGINT", for_update=" FOR UPDATE", in_chunk=10_000)
SCHEMA = SQLITE.schema()


class LedgerError(RuntimeError):
    """The ledger database refused or failed a statement: still locked by another run when the busy
    timeout ran out, a constraint, a lost connection. One line, naming neither rows nor the URL."""


def utc_now() -> str:
    """Now, as the ledger records times (UTC, ISO 8601, seconds)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class LedgerBackend(Protocol):
    """What the encode engines need of a ledger (SQLite ``Ledger`` or PostgreSQL ``PgLedger``)."""

    def close(self) -> None: ...
    def transaction(self, immediate: bool = True) -> Any: ...
    def reserve(self, name: str, count: int = 1, *, maximum: int = 999_999_999) -> range: ...
    def reserve_many(self, requests: list[tuple[str, int, int]]) -> list[range]: ...
    def lock_billing(self) -> None: ...
    def change_mark(self) -> Any: ...
    def unchanged_since(self, mark: Any) -> bool: ...
    def billed(self, service_ids: Iterable[str]) -> dict[str, str]: ...
    def authorization_use(self, auth_numbers: Iterable[str]) -> dict[tuple[str, str], Decimal]: ...
    def line_authorizations(self, service_ids: Iterable[str]) -> dict[str, tuple[str, str | None, Decimal]]: ...
    def claim(self, claim_id: str) -> Any: ...
    def record_claims(self, claims: list[tuple], lines: list[tuple], *, replacing: bool = False) -> None: ...
    def record_interchange(self, *, sender_id: str, isa13: int, receiver_id: str, gs06: int, payer_key: str,
                           path: str, sha256: str, size: int, claims: int, lines: int, total_charge: str,
                           st02s: list[str]) -> None: ...


class SqlLedger(LedgerBackend, Protocol):
    """What reconcile and acknowledgments need besides: the shared SQL (see :class:`Dialect`)."""

    dialect: Dialect
    readonly: bool

    def execute(self, sql: str, params: tuple | list = ()) -> Any: ...
    def executemany(self, sql: str, rows: list) -> None: ...
    def create_tables(self) -> None: ...
    def lock_claims(self, claim_ids: Iterable[str]) -> None: ...


def select_in(ledger: SqlLedger, sql: str, column: str, values: Iterable) -> Iterator[tuple]:
    """The rows of ``sql``, a SELECT whose ``{in}`` stands for ``column`` among ``values``: a statement
    per chunk (``Dialect.where_in``), not one per value."""
    for cond, params in ledger.dialect.where_in(column, values):
        yield from ledger.execute(sql.replace("{in}", cond), params).fetchall()


# encode's rows, in the order ``record_claims`` takes them; ``insert_rows`` loads them in bulk
CLAIM_COLUMNS = ("claim_id", "payer_key", "cbo_key", "member_id", "sender_id", "isa13", "gs06", "st02", "frequency",
                 "replaces", "total_charge", "first_service_date", "last_service_date", "submission", "created_at")
LINE_COLUMNS = ("service_id", "claim_id", "line_number", "cbo_key", "procedure_code", "modifiers", "units", "charge",
                "service_date", "prior_auth")


def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table}({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})"


_INSERT_LINE = insert_sql("claim_lines", LINE_COLUMNS)
# a resubmitted line takes the new values, with paid and status back to their defaults (the row
# SQLite's INSERT OR REPLACE made, in SQL both backends run)
_REPLACE_LINE = _INSERT_LINE + (
    " ON CONFLICT (service_id) DO UPDATE SET claim_id = excluded.claim_id, line_number = excluded.line_number,"
    " cbo_key = excluded.cbo_key, procedure_code = excluded.procedure_code, modifiers = excluded.modifiers,"
    " units = excluded.units, charge = excluded.charge, service_date = excluded.service_date,"
    " prior_auth = excluded.prior_auth, paid = '0', status = 'submitted'")


class BaseLedger:
    """What encode does with a ledger, written once for both backends on their ``execute``,
    ``executemany`` and ``transaction()`` (SQLite: BEGIN IMMEDIATE; PostgreSQL: row locks)."""

    dialect: Dialect
    readonly: bool
    _empty = False  # a read-only PgLedger on a database with no tables: nothing billed

    def execute(self, sql: str, params: tuple | list = ()) -> Any:
        raise NotImplementedError

    def executemany(self, sql: str, rows: list) -> None:
        raise NotImplementedError

    def transaction(self, immediate: bool = True) -> Any:
        raise NotImplementedError

    @property
    def empty(self) -> bool:
        """True when the database holds no ledger tables yet (seen only when opened read-only)."""
        return self._empty

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError

    # -- control numbers -------------------------------------------------------------------
    def _bump(self, name: str, count: int) -> int:
        # PostgreSQL: the UPDATE locks the counter's row until commit, so concurrent reservations queue
        self.execute("INSERT INTO counters(name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", (name,))
        (end,) = self.execute("UPDATE counters SET value = value + ? WHERE name = ? RETURNING value",
                              (count, name)).fetchone()
        return end

    def reserve(self, name: str, count: int = 1, *, maximum: int = 999_999_999) -> range:
        """Reserve ``count`` consecutive numbers of counter ``name``; never handed out again."""
        with self.transaction():
            end = self._bump(name, count)
        if end > maximum:
            raise OverflowError(f"control number counter {name} is exhausted")
        return range(end - count + 1, end + 1)

    def reserve_many(self, requests: list[tuple[str, int, int]]) -> list[range]:
        """Reserve several blocks, ``(name, count, maximum)`` each, in one transaction: all or none."""
        out: dict[int, range] = {}
        with self.transaction():
            # counters are locked in name order, whatever the order asked for: no deadlock between runs
            for i in sorted(range(len(requests)), key=lambda i: requests[i][0]):
                name, count, maximum = requests[i]
                end = self._bump(name, count)
                if end > maximum:
                    raise OverflowError(f"control number counter {name} is exhausted")
                out[i] = range(end - count + 1, end + 1)
        return [out[i] for i in range(len(requests))]

    # -- billing ---------------------------------------------------------------------------
    def lock_billing(self) -> None:
        """Inside ``transaction()``: no other run bills lines until this transaction ends, so lines
        checked with ``billed`` now cannot be billed by another before this commit. SQLite: nothing
        to do, BEGIN IMMEDIATE already holds the database's write lock (PgLedger takes a lock)."""

    def change_mark(self) -> Any:
        """A mark of what other connections had committed when it was taken, for ``unchanged_since``;
        None where the backend cannot tell (PostgreSQL)."""
        return None

    def unchanged_since(self, mark: Any) -> bool:
        """True only when no other connection (process, run) has committed anything since ``mark``
        was taken: what this connection read since then still holds. False when unknown."""
        return False

    def billed(self, service_ids: Iterable[str]) -> dict[str, str]:
        """{service_id: claim_id} for those already billed."""
        if self._empty:
            return {}
        # sorted: the probes walk the primary key's B-tree in order
        return dict(self.lines_by_service_id("l.service_id, l.claim_id", sorted(set(service_ids))))

    def lines_by_service_id(self, columns: str, service_ids: list[str], *, with_claim: bool = False) -> list[tuple]:
        """``columns`` (of ``claim_lines l``, and of ``claims c`` ``with_claim``) of the billed lines
        among ``service_ids``, as set-based statements that probe the primary key once per id."""
        raise NotImplementedError

    def columns(self, table: str) -> list[str]:
        raise NotImplementedError

    def _knows_authorizations(self) -> bool:
        # a read-only ledger made before ``prior_auth`` existed is not upgraded: nothing recorded
        return not self._empty and "prior_auth" in self.columns("claim_lines")

    def authorization_use(self, auth_numbers: Iterable[str]) -> dict[tuple[str, str], Decimal]:
        """{(payer_key, auth number): units} of the lines billed under these authorization numbers,
        whatever their claims' status since (see ``sdohedi.pipeline.authorizations``). Exact sums."""
        used: dict[tuple[str, str], Decimal] = {}
        if not self._knows_authorizations():
            return used
        sql = ("SELECT c.payer_key, l.prior_auth, l.units FROM claim_lines l JOIN claims c ON c.claim_id = l.claim_id"
               " WHERE {in}")
        for payer, number, units in select_in(self, sql, "l.prior_auth", sorted(set(auth_numbers))):
            used[(payer, number)] = used.get((payer, number), Decimal(0)) + Decimal(units)
        return used

    def line_authorizations(self, service_ids: Iterable[str]) -> dict[str, tuple[str, str | None, Decimal]]:
        """{service_id: (payer_key, auth number or None, units)} of these billed lines (a replacement
        takes their place, and their units with it)."""
        if not self._knows_authorizations():
            return {}
        rows = self.lines_by_service_id("l.service_id, c.payer_key, l.prior_auth, l.units", list(service_ids),
                                        with_claim=True)
        return {sid: (payer, number, Decimal(units)) for sid, payer, number, units in rows}

    def claim(self, claim_id: str) -> dict | None:
        """The claim's row, {column: value}, or None."""
        if self._empty:
            return None
        cur = self.execute("SELECT * FROM claims WHERE claim_id = ?", (claim_id,))
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row))

    def record_claims(self, claims: list[tuple], lines: list[tuple], *, replacing: bool = False) -> None:
        """Insert claims and lines inside the caller's open transaction.

        claims: (claim_id, payer_key, cbo_key, member_id, sender_id, isa13, gs06, st02, frequency,
                 replaces, total_charge, first_date, last_date[, submission]); submission is "claim"
                 when left out
        lines: (service_id, claim_id, line_number, cbo_key, procedure_code, modifiers, units, charge, service_date,
                prior_auth) - prior_auth (the line's REF*G1, None without) may be left off
        """
        now = utc_now()
        # in the order given, not sorted by service_id: readers take a claim's lines in the order
        # they were inserted (rowid), which is the claim's line order
        claims = [(c if len(c) == 14 else c + ("claim",)) + (now,) for c in claims]
        lines = [ln if len(ln) == 10 else (*ln, None) for ln in lines]
        self.insert_rows("claims", CLAIM_COLUMNS, claims)
        if replacing:
            # a resubmitted line moves to its replacement claim; keep where it was before
            self.executemany("INSERT INTO line_history(service_id, claim_id, replaced_at)"
                             " SELECT service_id, claim_id, ? FROM claim_lines WHERE service_id = ?",
                             [(now, ln[0]) for ln in lines])
            self.executemany(_REPLACE_LINE, lines)
        else:
            # plain INSERT (or COPY): a concurrent double bill fails on the primary key
            self.insert_rows("claim_lines", LINE_COLUMNS, lines)

    def insert_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Insert ``rows`` (values of ``columns``) inside the open transaction in one bulk call: one
        prepared INSERT run over all rows (PgLedger: COPY FROM STDIN)."""
        if rows:
            self.executemany(insert_sql(table, columns), rows)

    def record_interchange(self, *, sender_id: str, isa13: int, receiver_id: str, gs06: int, payer_key: str,
                           path: str, sha256: str, size: int, claims: int, lines: int, total_charge: str,
                           st02s: list[str]) -> None:
        self.execute(
            "INSERT INTO interchanges(sender_id, isa13, receiver_id, gs06, payer_key, path, sha256, bytes, claims,"
            " lines, total_charge, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (sender_id, isa13, receiver_id, gs06, payer_key, path, sha256, size, claims, lines, total_charge, utc_now()))
        self.executemany("INSERT INTO transactions(sender_id, isa13, gs06, st02) VALUES (?,?,?,?)",
                         [(sender_id, isa13, gs06, st) for st in st02s])


def release_lines(ledger: Any, claim_id: str, now: str) -> None:
    """Inside a transaction: the claim's lines are no longer billed on it (a 999 or 277CA rejected
    it, or the payer reversed the claim it voids); where they were stays in ``line_history``."""
    ledger.execute("INSERT INTO line_history(service_id, claim_id, replaced_at)"
                   " SELECT service_id, claim_id, ? FROM claim_lines WHERE claim_id = ?", (now, claim_id))
    ledger.execute("DELETE FROM claim_lines WHERE claim_id = ?", (claim_id,))


def is_postgres_url(spec: str | Path) -> bool:
    return str(spec).startswith(("postgresql://", "postgres://"))


def ledger_exists(spec: str | Path) -> bool:
    """Whether ``spec`` names a ledger that holds tables already (a file, or a database encode wrote to)."""
    if is_postgres_url(spec):
        from .ledger_pg import PgLedger

        with PgLedger(str(spec), readonly=True) as ledger:
            return not ledger.empty
    return Path(spec).exists()


def open_ledger(spec: str | Path = DEFAULT_LEDGER, *, readonly: bool = False):
    """A PostgreSQL ledger for a ``postgresql://`` URL, else the SQLite ledger at that path."""
    if is_postgres_url(spec):
        from .ledger_pg import PgLedger

        return PgLedger(str(spec), readonly=readonly)
    return Ledger(spec, readonly=readonly)


class Ledger(BaseLedger):
    """The SQLite ledger (WAL); writers are serialized by ``transaction()``'s BEGIN IMMEDIATE."""

    dialect = SQLITE

    def __init__(self, path: str | Path = DEFAULT_LEDGER, *, readonly: bool = False,
                 busy_timeout: float = BUSY_TIMEOUT) -> None:
        if is_postgres_url(path):
            raise ValueError("a postgresql:// ledger is opened with sdohedi.ledger.open_ledger (or PgLedger), "
                             "not the SQLite Ledger")
        self.path = Path(path)
        self.readonly = readonly
        self.busy_timeout = busy_timeout
        try:
            self._open()
        except sqlite3.Error as exc:
            raise LedgerError(self._message(exc)) from None

    def _open(self) -> None:
        busy = f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}"
        if self.readonly:
            if not self.path.exists():
                self.db = sqlite3.connect(":memory:", isolation_level=None)
            else:
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
                self.db.execute(busy)
                return
        else:
            if not self.path.exists():
                # create with 0600 before SQLite opens it: the ledger holds member ids
                try:
                    fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
                except OSError as exc:
                    raise LedgerError(f"{self.path}: cannot create the ledger ({exc.strerror})") from None
                os.close(fd)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            # a page cache that holds the primary key's B-tree of a large ledger: lines come in
            # claim order, not key order, and with the default 2 MB cache each insert rereads pages
            # (a third of record_claims at 1M lines on disk, benchmarks/RESULTS-ledgerfast.md)
            self.db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        self.db.execute(busy)
        self.db.execute("PRAGMA foreign_keys = ON")
        self.create_tables()

    def close(self) -> None:
        self.db.close()

    def create_tables(self) -> None:
        """Every table, reconcile's too (IF NOT EXISTS). Not inside a transaction: executescript commits."""
        self.db.executescript(SCHEMA)
        upgrade_reconcile_tables(self, (r[1] for r in self.db.execute("PRAGMA table_info(remittances)")))
        add_missing_columns(self, self.columns)

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.execute(f"PRAGMA table_info({table})")]

    def execute(self, sql: str, params: tuple | list = ()) -> sqlite3.Cursor:
        """Run SQL of the common subset (``?`` placeholders; see :class:`Dialect`)."""
        try:
            return self.db.execute(sql, params)
        except sqlite3.Error as exc:
            raise LedgerError(self._message(exc)) from None

    def executemany(self, sql: str, rows: list) -> None:
        try:
            self.db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise LedgerError(self._message(exc)) from None

    def lines_by_service_id(self, columns: str, service_ids: list[str], *, with_claim: bool = False) -> list[tuple]:
        # one statement for any number of ids: the ids as one JSON array (json.dumps, in C), joined
        # to the primary key (SQLite's plan: scan json_each, search claim_lines by service_id)
        if not service_ids:
            return []
        claim = " JOIN claims c ON c.claim_id = l.claim_id" if with_claim else ""
        return self.execute(f"SELECT {columns} FROM json_each(?) j JOIN claim_lines l ON l.service_id = j.value{claim}",
                            (json.dumps(service_ids),)).fetchall()

    def lock_claims(self, claim_ids: Iterable[str]) -> None:
        """Nothing to do: ``transaction()`` (BEGIN IMMEDIATE) already holds the database's write lock."""

    def change_mark(self) -> int:
        # SQLite's data_version changes whenever another connection, in any process, commits to the
        # database; never for this connection's own commits
        return self.execute("PRAGMA data_version").fetchone()[0]

    def unchanged_since(self, mark: Any) -> bool:
        return mark is not None and self.change_mark() == mark

    @contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; BEGIN IMMEDIATE waits up to ``busy_timeout`` for another run's to end.
        SQLite's errors come out as :class:`LedgerError`, rolled back."""
        try:
            self.db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except sqlite3.Error as exc:
            raise LedgerError(self._message(exc)) from None
        try:
            yield self.db
        except BaseException as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise LedgerError(self._message(exc)) from None
            raise
        else:
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise LedgerError(self._message(exc)) from None

    def _message(self, exc: sqlite3.Error) -> str:
        if "locked" in str(exc) or "busy" in str(exc):
            return (f"ledger {self.path}: still locked by another run after waiting {self.busy_timeout:g} s; "
                    "this transaction changed nothing")
        # SQLite names tables and columns in its messages, never row values
        return f"ledger {self.path}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}"
