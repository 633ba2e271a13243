"""``sdohedi remit``: read 835 remittances into a table of payments.

    sdohedi remit ERA1.835 ERA2.835 --out payments.csv          # one row per service payment
    sdohedi remit ERA*.835 --out claims.parquet --claims         # one row per claim
    sdohedi remit ERA*.835 --out era.parquet --tables            # era.payments.parquet, era.claims.parquet, ...

The format comes from the extension (.csv, .jsonl, .parquet). ``--tables`` writes the seven 835
tables of the Rust core instead (schemas/tables/835.md), one file per table, .parquet or .jsonl. Every file is read even when
another fails. Findings (trailer counts, unreadable elements, unknown segments, balancing, an
interchange or a payment trace number read twice in the run) and errors go to stderr
with the file name and where in it (segment position, envelope control numbers), never with
names or member ids. Exit status: 0 everything read and balanced, 1 findings or files that
failed (the output still holds everything that was read), 2 nothing could be read (no output
written).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..problems import Problem


def _report(file: str, finding: Problem) -> None:
    from ..models.remit import finding_text

    click.echo(f"{file}: {finding_text(finding)}", err=True)


def _tables(files: tuple[Path, ...], out_path: Path) -> int:
    """``--tables``: the exit status (0 clean, 1 findings or failed files, 2 nothing read)."""
    from ..remit835.export import ExportError
    from ..remit835.table_export import write_tables

    try:
        payments, findings, failures, rows = write_tables(files, out_path, lambda line: click.echo(line, err=True))
    except ExportError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    if failures == len(files) and not payments:
        click.echo("nothing could be read; no output written", err=True)
        return 2
    counts = ", ".join(f"{n} {name}" for name, n in rows.items())
    click.echo(f"{payments} transaction sets from {len(files) - failures} of {len(files)} files; {counts}", err=True)
    return 1 if findings or failures else 0


@click.command("remit")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Output file: .csv, .jsonl or .parquet (written atomically, mode 0600).")
@click.option("--claims", "per_claim", is_flag=True, help="One row per claim instead of one per service payment.")
@click.option("--tables", "as_tables", is_flag=True,
              help="Write the seven 835 tables (payments, claims, service_lines, adjustments, provider_adjustments, "
                   "findings, remarks) beside --out: X.parquet -> X.payments.parquet, ... (.parquet or .jsonl).")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="spark: read the files on Apache Spark (sdohedi[spark]) into a Parquet folder, same table.")
def command(files: tuple[Path, ...], out_path: Path, per_claim: bool, engine: str = "local",
            as_tables: bool = False) -> None:
    """Read 835 remittance files (ERA) into one table of payments."""
    if as_tables:
        raise SystemExit(_tables(files, out_path))
    if engine == "spark":
        from ..spark.cli import remit_spark

        raise SystemExit(remit_spark(files, out_path, per_claim))
    from ..models.remit import RemittanceClaim, finding_text
    from ..remit835 import claim_balance_findings, iter_835_claims, transaction_balance_findings
    from ..remit835.export import ExportError, row_writer
    from ..remit835.repeats import RepeatedRemittances
    from ..remit835.rows import (
        CLAIM_COLUMNS, DATE_COLUMNS, MONEY_COLUMNS, QUANTITY_COLUMNS, SERVICE_COLUMNS, claim_row, claim_service_rows,
        payment_row,
    )
    from ..x12 import X12Error

    columns = CLAIM_COLUMNS if per_claim else SERVICE_COLUMNS
    findings = failures = remittances = 0
    repeats = RepeatedRemittances()  # the same interchange or payment twice in the run
    try:
        with row_writer(out_path, columns, money=MONEY_COLUMNS, quantities=QUANTITY_COLUMNS,
                        dates=DATE_COLUMNS) as sink:
            for path in files:
                name = str(path)
                envelope_findings: list[Problem] = []
                read_here = 0
                # Claim by claim, so memory is bounded by one claim however big an ST/SE is.
                # A transaction set still goes in whole or not at all: its rows are dropped
                # (rollback) and its findings never reported when it fails before its SE,
                # as when whole remittances were read.
                sink.savepoint()
                pending: list[str] = []  # balancing findings of the open transaction, as printed
                payment = columns_of_payment = None
                try:
                    for item in iter_835_claims(path, findings=envelope_findings):
                        if isinstance(item, RemittanceClaim):
                            if item.payment is not payment:
                                payment = item.payment
                                columns_of_payment = payment_row(payment, name)
                            claim = item.claim
                            if per_claim:
                                sink.write((claim_row(columns_of_payment, claim),))
                            else:
                                sink.write(claim_service_rows(columns_of_payment, claim))
                            pending += [finding_text(f) for f in claim_balance_findings(claim, payment)]
                            continue
                        read_here += 1
                        remittance = item.remittance
                        balance = transaction_balance_findings(remittance, item.claims_paid, item.claims_paid_unknown)
                        # Same order as for a whole remittance: the parser's, then the balancing.
                        for finding in remittance.findings:
                            _report(name, finding)
                        for line in pending:
                            click.echo(f"{name}: {line}", err=True)
                        repeated = repeats.check(remittance, name)
                        for finding in balance + repeated:
                            _report(name, finding)
                        findings += len(remittance.findings) + len(pending) + len(balance) + len(repeated)
                        pending = []
                        sink.savepoint()
                except X12Error as exc:
                    sink.rollback()
                    failures += 1
                    click.echo(f"{name}: error: {exc}" + (f" (after {read_here} transaction sets)" if read_here
                                                           else ""), err=True)
                except OSError as exc:
                    sink.rollback()
                    failures += 1
                    click.echo(f"{name}: cannot read: {exc.strerror or exc}", err=True)
                for finding in envelope_findings:
                    _report(name, finding)
                    findings += 1
                remittances += read_here
            if failures == len(files) and not remittances:
                click.echo("nothing could be read; no output written", err=True)
                raise SystemExit(2)
            sink.commit()
    except ExportError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"{remittances} transaction sets from {len(files) - failures} of {len(files)} files; "
               f"{sink.rows} rows written to {out_path}", err=True)
    raise SystemExit(1 if findings or failures else 0)
