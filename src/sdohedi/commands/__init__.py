"""CLI commands, one module each (each defines ``command``).

A command module imports at its top only what its click options need (click, the standard
library, ``sdohedi.ledger``'s defaults); the library it calls is imported inside ``command``:
``sdohedi --help`` loads every module, and one command should not pay for the others.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ..ledger import LedgerError, SqlLedger, is_postgres_url, ledger_exists, open_ledger


@contextmanager
def opened_ledger(spec: str | Path, *, readonly: bool = False, must_exist: bool = False) -> Iterator[SqlLedger]:
    """The ledger at ``spec`` (a SQLite file or a ``postgresql://`` URL), closed when the block
    ends. When it cannot be opened (or ``must_exist`` and nothing was billed into it) one line
    says why on stderr and the command exits 2; errors inside the block are the command's."""
    try:
        if must_exist and not ledger_exists(spec):
            where = "the PostgreSQL database" if is_postgres_url(spec) else str(spec)
            click.echo(f"error: {where}: no ledger (run sdohedi encode first)", err=True)
            sys.exit(2)
        ledger = open_ledger(spec, readonly=readonly)
    except LedgerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # psycopg's errors; the URL (it may hold a password) is not repeated
        if not is_postgres_url(spec):
            raise
        detail = str(exc).splitlines()[0] if str(exc) else "no detail"
        click.echo(f"error: cannot open the PostgreSQL ledger ({type(exc).__name__}: {detail})", err=True)
        sys.exit(2)
    try:
        yield ledger
    finally:
        ledger.close()
