"""Typed tables written as files: one output per table, ``X.payments.parquet``,
``X.claims.parquet``, ... for ``--out X.parquet`` (Parquet or JSON Lines).

Each row gets a ``file`` column first (keys such as ``claim_row`` count within one file, so
``(file, claim_row)`` joins across files). Batches are written as they come: memory is bounded
by one batch. Every output is written atomically (mode 0600) and appears only when all of them
are complete. Used by ``sdohedi remit --tables`` (835) and ``sdohedi decode --tables`` (837P).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from .files import atomic_write


class TableFormatError(ValueError):
    """The output name does not say .parquet or .jsonl, or pyarrow is missing."""


def pyarrow_or_error():
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise TableFormatError("Parquet and table output need pyarrow: pip install 'sdohedi[parquet]'") from None
    return pyarrow


TABLE_FORMATS = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def table_paths(out: Path, names: tuple[str, ...]) -> dict[str, Path]:
    """``X.parquet`` -> {"payments": X.payments.parquet, ...} for each table name."""
    if out.suffix.lower() not in TABLE_FORMATS:
        raise TableFormatError(f"cannot tell the tables' format from {out.name!r}: use .parquet or .jsonl")
    return {name: out.with_name(f"{out.stem}.{name}{out.suffix}") for name in names}


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Discard(Exception):
    pass


class TableWriter:
    """Appends batches of each table, with their file name, to one output per table."""

    def __init__(self, out: Path, names: tuple[str, ...]) -> None:
        self.names = names
        self.paths = table_paths(out, names)
        self.format = TABLE_FORMATS[out.suffix.lower()]
        self.pa = pyarrow_or_error()
        self.rows = dict.fromkeys(names, 0)
        self._stack = contextlib.ExitStack()
        self._files = {name: self._stack.enter_context(atomic_write(path, "wb")) for name, path in self.paths.items()}
        self._parquet: dict[str, Any] = {}

    def write(self, file: str, tables: Any) -> None:
        """Append one batch: ``tables.items()`` gives (name, Arrow PyCapsule table)."""
        pa = self.pa
        for name, t in tables.items():
            table = pa.table(t)
            if not table.num_rows:
                continue
            table = table.add_column(0, "file", pa.array([file] * table.num_rows, pa.string()))
            self.rows[name] += table.num_rows
            if self.format == "parquet":
                import pyarrow.parquet as pq

                writer = self._parquet.get(name)
                if writer is None:
                    writer = self._parquet[name] = pq.ParquetWriter(self._files[name], table.schema)
                writer.write_table(table)
            else:
                out = self._files[name]
                for row in table.to_pylist():
                    out.write((json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False)
                               + "\n").encode("utf-8"))

    def _close_parquet(self, schemas: dict[str, Any]) -> None:
        import pyarrow.parquet as pq

        for name in self.names:
            writer = self._parquet.get(name)
            if writer is None:  # no rows: an empty table with its schema
                writer = pq.ParquetWriter(self._files[name], schemas[name].insert(
                    0, self.pa.field("file", self.pa.string())))
            writer.close()

    def commit(self, schemas: dict[str, Any]) -> None:
        if self.format == "parquet":
            self._close_parquet(schemas)
        self._stack.close()

    def discard(self) -> None:
        """Leave every target as it was (the temporary files are dropped)."""
        for w in self._parquet.values():
            w.close()
        with contextlib.suppress(_Discard):
            self._stack.__exit__(_Discard, _Discard(), None)


def write_table_files(files: Iterable[Path], out: Path, names: tuple[str, ...],
                      iter_tables: Callable[[Path], Iterable[Any]], findings_text: Callable[[dict[str, Any]], str],
                      report: Callable[[str], None]) -> tuple[int, int, dict[str, int]]:
    """Read every file batch by batch with ``iter_tables`` and write its tables next to ``out``.
    Returns (findings, files that failed, rows per table). Each findings row is printed through
    ``report`` as ``findings_text`` words it, with the file name; read errors too; never a value.
    Nothing is written when every file failed before a row of the first table was read."""
    from .x12 import X12Error

    files = list(files)
    writer = TableWriter(out, names)
    schemas: dict[str, Any] = {}
    findings = failures = 0
    try:
        for path in files:
            name = str(path)
            try:
                for t in iter_tables(path):
                    writer.write(name, t)
                    for f in writer.pa.table(t.findings).to_pylist():
                        findings += 1
                        report(f"{name}: {findings_text(f)}")
                    if not schemas:
                        schemas = {n: writer.pa.table(v).schema for n, v in t.items()}
            except X12Error as exc:
                failures += 1
                report(f"{name}: error: {exc}")
            except OSError as exc:
                failures += 1
                report(f"{name}: cannot read: {exc.strerror or exc}")
        if failures == len(files) and not writer.rows[names[0]]:
            writer.discard()
            return findings, failures, writer.rows
        writer.commit(schemas)  # a file was read: its last batch gave every table's schema
    except BaseException:
        writer.discard()
        raise
    return findings, failures, writer.rows


def problem_row_text(f: dict[str, Any]) -> str:
    """A findings row printed as every finding is printed (``sdohedi.problems.Problem``'s text)."""
    from .problems import problem

    return str(problem(f["rule"], f["message"], severity=f["severity"], position=f["position"],
                       segment=f["segment"], element=f["element"], loop=f["loop_id"]))
