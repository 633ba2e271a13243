"""Write flat rows to CSV, JSON Lines or Parquet, chosen by the file extension.

Rows are streamed: CSV and JSONL write each row as it comes, Parquet buffers
``PARQUET_BATCH_ROWS`` rows per row group, so memory stays flat however many files are read.
The file appears only when :meth:`RowWriter.commit` is called (atomically, mode 0600); on any
error, or without a commit, nothing replaces the target.

Value formats: amounts are exact decimal text in CSV and JSONL (``"12.50"``: JSON numbers
would go through binary floating point in most readers) and ``decimal128(20, 4)`` in Parquet;
dates are ISO 8601 text, ``date32`` in Parquet; empty values are empty CSV cells and ``null``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..files import atomic_write

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
PARQUET_BATCH_ROWS = 50_000


class ExportError(Exception):
    """The output cannot be written (unknown extension, pyarrow missing, value out of range)."""


def format_for(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ExportError(f"cannot tell the output format from {path.name!r}: use .csv, .jsonl or .parquet")
    if fmt == "parquet":
        _pyarrow()
    return fmt


def _pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet
    except ImportError:
        raise ExportError("Parquet output needs pyarrow: pip install 'sdohedi[parquet]'") from None
    return pyarrow


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class RowWriter:
    """Accepts rows (dicts keyed by ``columns``) and writes them in the format of ``path``."""

    def __init__(self, path: Path, columns: list[str], *, money: frozenset[str] = frozenset(),
                 quantities: frozenset[str] = frozenset(), dates: frozenset[str] = frozenset()) -> None:
        self.path = path
        self.columns = columns
        self.format = format_for(path)
        self.rows = 0
        self._types = (money, quantities, dates)
        self._stack = contextlib.ExitStack()
        self._committed = False
        binary = self.format == "parquet"
        self._file = self._stack.enter_context(
            atomic_write(path, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})))
        self._stack.push(self._discard_unless_committed)
        if self.format == "csv":
            self._csv = csv.writer(self._file)
            self._csv.writerow(columns)
        elif self.format == "parquet":
            self._batch: list[dict[str, Any]] = []
            self._parquet_writer = None

    def _discard_unless_committed(self, exc_type, exc, tb) -> None:
        if not self._committed and exc_type is None:
            raise _Discard()  # makes atomic_write drop the temporary file

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        if self.format == "csv":
            columns = self.columns
            for row in rows:
                self._csv.writerow(["" if (v := row.get(c)) is None else _text(v) for c in columns])
                self.rows += 1
        elif self.format == "jsonl":
            columns = self.columns
            write = self._file.write
            for row in rows:
                write(json.dumps({c: _text(row.get(c)) for c in columns}, ensure_ascii=False) + "\n")
                self.rows += 1
        else:
            for row in rows:
                self._batch.append(row)
                self.rows += 1
                if len(self._batch) >= PARQUET_BATCH_ROWS:
                    self._flush_parquet()

    def _flush_parquet(self) -> None:
        pa = _pyarrow()
        import pyarrow.parquet as pq

        money, quantities, dates = self._types
        fields = []
        for c in self.columns:
            if c in money or c in quantities:
                fields.append(pa.field(c, pa.decimal128(20, 4)))
            elif c in dates:
                fields.append(pa.field(c, pa.date32()))
            else:
                fields.append(pa.field(c, pa.string()))
        schema = pa.schema(fields)
        batch = self._batch
        try:
            table = pa.table({c: [row.get(c) for row in batch] for c in self.columns}, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ExportError(f"a value does not fit its Parquet column: {exc}") from None
        if self._parquet_writer is None:
            self._parquet_writer = self._stack.enter_context(pq.ParquetWriter(self._file, schema))
        self._parquet_writer.write_table(table)
        self._batch = []

    def commit(self) -> None:
        """Finish the file and move it into place."""
        if self.format == "parquet" and (self._batch or self._parquet_writer is None):
            self._flush_parquet()  # an empty result still gets a file with the schema
        self._committed = True
        self._stack.close()

    def abort(self) -> None:
        """Drop everything written so far; the target is left as it was."""
        with contextlib.suppress(_Discard):
            self._stack.close()


class _Discard(Exception):
    pass


@contextlib.contextmanager
def row_writer(path: Path, columns: list[str], **types: frozenset[str]) -> Iterator[RowWriter]:
    """A :class:`RowWriter` that is aborted if the block raises and left uncommitted otherwise
    unless the block calls :meth:`RowWriter.commit`."""
    writer = RowWriter(path, columns, **types)
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise
    if not writer._committed:
        writer.abort()
