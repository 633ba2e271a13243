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

import click


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
    from ..remit835.export import ExportError
    from ..remit835.payment_export import export_payments

    try:
        summary = export_payments(files, out_path, per_claim=per_claim, report=lambda line: click.echo(line, err=True))
    except ExportError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    if summary.nothing_read(len(files)):
        click.echo("nothing could be read; no output written", err=True)
        raise SystemExit(2)
    click.echo(f"{summary.transactions} transaction sets from {len(files) - summary.failures} of {len(files)} files; "
               f"{summary.rows} rows written to {out_path}", err=True)
    raise SystemExit(1 if summary.findings or summary.failures else 0)
