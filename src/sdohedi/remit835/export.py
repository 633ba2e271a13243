"""Write flat rows to CSV, JSON Lines or Parquet, chosen by the file extension.

Rows are streamed: CSV and JSONL write each row as it comes, Parquet buffers
``PARQUET_BATCH_ROWS`` rows per row group, so memory stays flat however many files are read.
A group of rows can be made all-or-nothing (:meth:`RowWriter.savepoint`, :meth:`RowWriter.rollback`).
The file appears only when :meth:`RowWriter.commit` is called (atomically, mode 0600); on any
error, or without a commit, nothing replaces the target.

Value formats: amounts are exact decimal text in CSV and JSONL (JSON numbers would go through
binary floating point in most readers; rows given as an Arrow table, :meth:`RowWriter.write_table`,
print them as X12 does, without trailing zeros: ``12.5``, ``100``) and ``decimal128(20, 4)`` in Parquet;
dates are ISO 8601 text, ``date32`` in Parquet; empty values are empty CSV cells and ``null``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..files import atomic_write
from ..table_files import TableFormatError, pyarrow_or_error

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
PARQUET_BATCH_ROWS = 20_000  # a row group; its values in memory cost about 25 MB


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
        return pyarrow_or_error()
    except TableFormatError as exc:  # the one import guard, in this module's error type
        raise ExportError(str(exc)) from None


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def arrow_schema(columns: list[str], *, money: frozenset[str] = frozenset(),
                 quantities: frozenset[str] = frozenset(), dates: frozenset[str] = frozenset()):
    """The Parquet schema of payment rows: money and quantities as decimal(20,4), dates as
    dates, the rest as strings (what ``sdohedi remit`` and the Spark engine both write)."""
    pa = _pyarrow()

    def kind(c: str):
        if c in money or c in quantities:
            return pa.decimal128(20, 4)
        return pa.date32() if c in dates else pa.string()

    return pa.schema([pa.field(c, kind(c)) for c in columns])


def _as_text(table):
    """Decimals and dates as text (null stays null): decimals without trailing zeros, dates ISO 8601."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_decimal(column.type):
            # Arrow prints every decimal of the scale (12.50, 4.0000): trim the zeros, then the
            # point (the text always has one, so no zero of the whole part goes); -0 is 0.
            text = pc.utf8_rtrim(pc.utf8_rtrim(pc.cast(column, pa.string()), "0"), ".")
            column = pc.if_else(pc.equal(text, "-0"), "0", text)
        elif pa.types.is_date(column.type):
            column = pc.cast(column, pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


class RowWriter:
    """Accepts rows (dicts keyed by ``columns``) and writes them in the format of ``path``.

    :meth:`savepoint` and :meth:`rollback` make a group of rows all-or-nothing (the rows of
    one 835 transaction set, read claim by claim): ``rollback`` drops every row written since
    the last ``savepoint``; the next ``savepoint`` or ``commit`` keeps them. Memory stays
    bounded however many rows the group holds: CSV and JSONL rows are already in the file (a
    rollback truncates it), Parquet rows of an open group beyond a batch are spilled to an
    anonymous temporary file until the group is kept.
    """

    def __init__(self, path: Path, columns: list[str], *, money: frozenset[str] = frozenset(),
                 quantities: frozenset[str] = frozenset(), dates: frozenset[str] = frozenset()) -> None:
        self.path = path
        self.columns = columns
        self.format = format_for(path)
        self.rows = 0
        self._types = (money, quantities, dates)
        self._stack = contextlib.ExitStack()
        self._committed = False
        self._saved_rows: int | None = None  # self.rows at the last savepoint; None: no savepoint
        binary = self.format == "parquet"
        self._file = self._stack.enter_context(
            atomic_write(path, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})))
        self._stack.push(self._discard_unless_committed)
        if self.format == "csv":
            self._csv = csv.writer(self._file)
            self._csv.writerow(columns)
        elif self.format == "parquet":
            # Column lists, not row dicts: a 50,000-row batch of dicts costs about 55 MB.
            self._batch: list[list[Any]] = [[] for _ in columns]
            self._batched = 0  # rows in self._batch
            self._kept = 0  # of which the first ones are before the savepoint
            self._spill: Any = None  # pickled column batches of the open group, oldest first
            self._parquet_writer = None
            self._schema = None
        self._offset = 0  # CSV/JSONL: file offset at the savepoint

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
            pairs = list(zip(self.columns, self._batch))
            for row in rows:
                for c, values in pairs:
                    values.append(row.get(c))
                self._batched += 1
                self.rows += 1
                if self._batched >= PARQUET_BATCH_ROWS:
                    self._make_room()

    def write_table(self, table) -> None:
        """Rows given as an Arrow table with ``columns`` (amounts decimal, dates date32): CSV and
        JSON Lines amounts as X12 decimal text (no trailing zeros: ``42.5``, ``100``)."""
        if not table.num_rows:
            return
        if self.format == "parquet":
            data = table.to_pydict()
            for c, values in zip(self.columns, self._batch):
                values.extend(data[c])
            self._batched += table.num_rows
            self.rows += table.num_rows
            if self._batched >= PARQUET_BATCH_ROWS:
                self._make_room()
            return
        text = _as_text(table)
        if self.format == "csv":
            import pyarrow.csv as pcsv

            # Straight into the file's bytes, after what the text layer holds (the header).
            self._file.flush()
            pcsv.write_csv(text, self._file.buffer, pcsv.WriteOptions(include_header=False, eol="\r\n"))
        else:
            write = self._file.write
            for row in text.to_pylist():
                write(json.dumps(row, ensure_ascii=False) + "\n")
        self.rows += table.num_rows

    def savepoint(self) -> None:
        """Keep every row written so far; rows written from now on go if :meth:`rollback` is called."""
        if self.format == "parquet":
            self._keep_open_group()
        else:
            self._file.flush()
            self._offset = self._file.tell()
        self._saved_rows = self.rows

    def rollback(self) -> None:
        """Drop every row written since the last :meth:`savepoint`."""
        if self._saved_rows is None:
            raise RuntimeError("rollback() without a savepoint()")
        if self.format == "parquet":
            if self._spill is not None:
                self._spill.close()
                self._spill = None
            for values in self._batch:
                del values[self._kept:]
            self._batched = self._kept
        else:
            self._file.flush()
            self._file.seek(self._offset)
            self._file.truncate()
        self.rows = self._saved_rows

    # Parquet ------------------------------------------------------------------------------

    def _make_room(self) -> None:
        """The batch is full: write the rows before the savepoint, spill those after it."""
        kept = self._batched if self._saved_rows is None else self._kept
        if kept:
            self._flush_parquet([values[:kept] for values in self._batch])
            for values in self._batch:
                del values[:kept]
            self._batched -= kept
            self._kept = 0
        if self._batched >= PARQUET_BATCH_ROWS:  # one open group fills a whole batch
            if self._spill is None:
                self._spill = tempfile.TemporaryFile()
            pickle.dump(self._batch, self._spill, protocol=pickle.HIGHEST_PROTOCOL)
            for values in self._batch:  # in place: write() holds these lists
                values.clear()
            self._batched = 0

    def _keep_open_group(self) -> None:
        spill = self._spill
        if spill is not None:  # it holds the oldest rows of the group: they go first
            self._spill = None
            with spill:
                spill.seek(0)
                while True:
                    try:
                        self._flush_parquet(pickle.load(spill))
                    except EOFError:
                        break
        self._kept = self._batched

    def _flush_parquet(self, batch: list[list[Any]]) -> None:
        pa = _pyarrow()
        import pyarrow.parquet as pq

        if self._schema is None:
            money, quantities, dates = self._types
            self._schema = arrow_schema(self.columns, money=money, quantities=quantities, dates=dates)
        schema = self._schema
        try:
            table = pa.table(dict(zip(self.columns, batch)), schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ExportError(f"a value does not fit its Parquet column: {exc}") from None
        if self._parquet_writer is None:
            self._parquet_writer = self._stack.enter_context(pq.ParquetWriter(self._file, schema))
        self._parquet_writer.write_table(table)

    def commit(self) -> None:
        """Finish the file and move it into place (rows after the last savepoint are kept)."""
        if self.format == "parquet":
            self._keep_open_group()
            if self._batched or self._parquet_writer is None:
                self._flush_parquet(self._batch)  # an empty result still gets a file with the schema
                for values in self._batch:
                    values.clear()
                self._batched = self._kept = 0
        self._committed = True
        self._stack.close()

    def abort(self) -> None:
        """Drop everything written so far; the target is left as it was."""
        if self.format == "parquet" and self._spill is not None:
            self._spill.close()
            self._spill = None
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
