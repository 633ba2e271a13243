"""``sdohedi remit --out``: the flat payment rows of many 835 files (one per service payment or per
claim, :mod:`sdohedi.remit835.table_rows`), built from the core's tables and written by
:class:`~sdohedi.remit835.export.RowWriter` (CSV, JSON Lines or Parquet; atomic, 0600).

Each file is read batch by batch (:func:`~sdohedi.remit835.tables.iter_835_tables`), so memory is
bounded by one batch however big the file or one of its transaction sets. Every file is read even
when another fails. A transaction set goes in whole or not at all: when the stream stops inside
one (a truncated file, a broken envelope), its rows are dropped and its findings not reported;
the stop is, with the number of transaction sets read before it. The findings are the tables'
(values that do not read, structure, envelope trailers, balancing) and the run's repeats (the
same interchange or payment twice: :mod:`sdohedi.remit835.repeats`), printed with the file name
and where in it, never a value of the file but the amounts of a balancing rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models.remit import finding_text
from .errors import Remit835Error
from .export import row_writer
from .repeats import RepeatedRemittances
from .rows import CLAIM_COLUMNS, DATE_COLUMNS, MONEY_COLUMNS, QUANTITY_COLUMNS, SERVICE_COLUMNS
from .table_rows import claim_table, service_table
from .tables import finding_problem, iter_835_tables


@dataclass
class ExportSummary:
    """What :func:`export_payments` read and wrote."""

    transactions: int = 0  # transaction sets read whole
    findings: int = 0  # findings reported
    failures: int = 0  # files that could not be read, or not to their end
    rows: int = 0  # rows written

    def nothing_read(self, files: int) -> bool:
        return self.failures == files and not self.transactions


def export_payments(files: Iterable[Path], out_path: Path, *, per_claim: bool,
                    report: Callable[[str], None]) -> ExportSummary:
    """Read every file and write its payment rows to ``out_path`` (the format from its extension).
    Findings and errors go to ``report``. Nothing is written when nothing could be read; raises
    :class:`~sdohedi.remit835.export.ExportError` when the output cannot be written."""
    files = list(files)
    summary = ExportSummary()
    repeats = RepeatedRemittances()
    columns = CLAIM_COLUMNS if per_claim else SERVICE_COLUMNS
    with row_writer(out_path, columns, money=MONEY_COLUMNS, quantities=QUANTITY_COLUMNS,
                    dates=DATE_COLUMNS) as sink:
        for path in files:
            _FileExport(path, sink, per_claim, repeats, report, summary).run()
        if not summary.nothing_read(len(files)):
            sink.commit()
        summary.rows = sink.rows
    return summary


class _FileExport:
    def __init__(self, path: Path, sink, per_claim: bool, repeats: RepeatedRemittances,
                 report: Callable[[str], None], summary: ExportSummary) -> None:
        self.path, self.name, self.sink, self.report = path, str(path), sink, report
        self.make = claim_table if per_claim else service_table
        self.repeats, self.summary = repeats, summary
        self.payments: Any = None  # every payment row of the file read so far (one per ST: small)
        self.findings: list[Any] = []  # the findings tables of the batches
        self.current: int | None = None  # payment_row of the last rows written

    def run(self) -> None:
        import pyarrow as pa

        sink = self.sink
        sink.savepoint()
        stopped = False
        try:
            for batch in iter_835_tables(self.path):
                self._write(batch)
                self.findings.append(pa.table(batch.findings))
                stopped = batch.stopped
        except Remit835Error as exc:  # nothing could be read (not X12, no ISA, ...)
            sink.rollback()
            self._fail(f"error: {exc}")
            return
        except OSError as exc:
            sink.rollback()
            self._fail(f"cannot read: {exc.strerror or exc}")
            return
        findings = pa.concat_tables(self.findings).to_pylist() if self.findings else []
        stop = findings.pop() if stopped else None
        cut_short = None if stop is None else stop["payment_row"]  # the transaction set it stopped in
        if cut_short is not None and cut_short == self.current:
            sink.rollback()  # its rows go: a transaction set goes in whole or not at all
        else:
            sink.savepoint()
        payments = self.payments.to_pylist() if self.payments is not None else []
        envelope = {p["payment_row"]: p for p in payments}
        reported = 0
        for f in findings:
            if cut_short is not None and f["payment_row"] == cut_short:
                continue
            self.report(f"{self.name}: {finding_text(finding_problem(f, envelope.get(f['payment_row'])))}")
            reported += 1
        read = [p for p in payments if p["payment_row"] != cut_short]
        for p in read:
            for finding in self.repeats.check_payment(
                    self.name, sender=p["isa06"], interchange=p["isa13"], group=p["gs06"], transaction=p["st02"],
                    interchange_position=p["interchange_position"], trace_payer=p["trn03_originator_id"],
                    trace=p["trn02_trace_number"],
                    trace_position=p["trace_position"]):
                self.report(f"{self.name}: {finding_text(finding)}")
                reported += 1
        self.summary.findings += reported
        self.summary.transactions += len(read)
        if stop is not None:
            error = Remit835Error(stop["message"], rule=stop["rule"], position=stop["position"])
            self._fail(f"error: {error}" + (f" (after {len(read)} transaction sets)" if read else ""))
        elif not payments:
            self._fail("error: no 835 transaction set (005010X221A1) in the file")

    def _write(self, batch) -> None:
        """The batch's rows; a savepoint before the first row of each transaction set that is
        still open, so that a stop inside it drops only its rows."""
        import pyarrow as pa
        import pyarrow.compute as pc

        pay = pa.table(batch.payments)
        self.payments = pay if self.payments is None else pa.concat_tables([self.payments, pay])
        rows = self.make(batch, self.name, self.payments, with_payment_row=True)
        if not rows.num_rows:
            return
        owners = rows["payment_row"]
        rows = rows.drop_columns(["payment_row"])
        last = owners[-1].as_py()
        if last == self.current:
            self.sink.write_table(rows)
            return
        first_of_last = pc.index(owners, last).as_py()
        self.sink.write_table(rows.slice(0, first_of_last))
        self.sink.savepoint()  # every transaction set before the last one is whole
        self.sink.write_table(rows.slice(first_of_last))
        self.current = last

    def _fail(self, text: str) -> None:
        self.summary.failures += 1
        self.report(f"{self.name}: {text}")

