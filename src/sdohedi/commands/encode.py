"""``sdohedi encode``: service logs -> one 837P per payer, rejects.csv, a one-screen summary."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..ledger import DEFAULT_LEDGER, LedgerError
from . import opened_ledger


@click.command("encode")
@click.argument("service_logs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="NLE config (TOML).")
@click.option("--out", "out_dir", default="outbox", show_default=True, type=click.Path(file_okay=False),
              help="Folder for <payer>-<ISA13>.837 files and rejects.csv.")
@click.option("--ledger", "ledger_path", default=str(DEFAULT_LEDGER), show_default=True,
              help="Ledger of control numbers, claims and files: a SQLite file, or a postgresql:// URL "
                   "(several drivers or hosts; needs sdohedi[postgres]).")
@click.option("--dry-run", is_flag=True, help="Check and price only: write no file, reserve no number.")
@click.option("--resubmit", is_flag=True, help="Bill already-billed service_ids again as replacement claims (freq 7).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="local: this process. spark: Apache Spark (needs sdohedi[spark]); the same files for the "
                   "same input, numbers and --max-lines-per-file.")
@click.option("--max-lines-per-file", type=click.IntRange(min=1), default=None,
              help="Split a payer's claims into interchanges of at most this many lines (whole claim groups). "
                   "Default: one file per payer (local), 100,000 lines (spark).")
@click.option("--authorizations", "auths_path", default=None, type=click.Path(dir_okay=False),
              help="Prior authorizations (CSV: auth_number, payer, member_id, procedure_code, modifiers, units, "
                   "start_date, end_date): a row they cover is billed under one (REF*G1) and counted against its "
                   "units, with what earlier runs billed; a row beyond what is left is rejected. Local engine only.")
@click.option("--allow-late", is_flag=True,
              help="Bill rows past their payer's timely_filing_days anyway (the summary counts them).")
@click.option("--run-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The date this run counts from (future dates, timely filing). Default: today.")
def command(service_logs, config_path, out_dir, ledger_path, dry_run, resubmit, fmt, engine, max_lines_per_file,
            auths_path, allow_late, run_date):
    """Encode SERVICE_LOGS (CSV, JSON Lines or Parquet) into payer-ready 837P files.

    Exit status: 0 every row billed; 1 some rows rejected (see rejects.csv: also rows another run
    on the same ledger billed first), or the ledger failed (one line says why; what it recorded
    before is kept, with its files); 2 nothing could be done (the ledger could not be opened, too).
    """
    from ..models.config import ConfigError, load_config
    from ..pipeline.authorizations import AuthorizationBook, AuthorizationsError, read_authorizations
    from ..pipeline.ingest import IngestError
    from ..x12 import X12Error

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if auths_path is not None and engine == "spark":
        # the Spark engine checks rows on executors without the ledger's count of each authorization
        click.echo("error: --authorizations is not supported with --engine spark (use --engine local)", err=True)
        sys.exit(2)
    book, problems = None, []
    if auths_path is not None:
        try:
            auths, problems = read_authorizations(auths_path, config.payers)
        except AuthorizationsError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        for problem in problems:
            click.echo(f"warning: {problem} (authorization left out)", err=True)
        book = AuthorizationBook(auths, Path(auths_path).name)
    today = run_date.date() if run_date else None
    try:
        with opened_ledger(ledger_path, readonly=dry_run) as ledger:
            if engine == "spark":
                summary = _encode_spark(service_logs, config, out_dir, ledger, dry_run, resubmit,
                                        max_lines_per_file, today, allow_late)
            else:
                summary = _encode_local(service_logs, config, out_dir, ledger, dry_run, resubmit, fmt,
                                        max_lines_per_file, today, allow_late, book)
        summary.authorization_problems = [str(p) for p in problems]
    except (IngestError, X12Error) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except LedgerError as exc:
        # opened: the unit in hand rolled back with its file; units committed before it stand
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)

    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        _print_summary(summary)
    if summary.rows == 0 or (summary.billed_rows == 0 and summary.rejected_rows == 0):
        sys.exit(2)
    sys.exit(1 if summary.rejected_rows or summary.authorization_problems else 0)


def _encode_spark(service_logs, config, out_dir, ledger, dry_run, resubmit, max_lines_per_file, today, allow_late):
    from ..pipeline.ingest import IngestError
    from ..pipeline.logmap import LogMapping

    try:
        from ..spark import DEFAULT_MAX_LINES_PER_FILE, encode_837p, local_session, read_service_logs
    except ImportError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for path in service_logs:  # as the local engine says it, before Spark starts
        if "://" not in path and not Path(path).is_file():
            raise IngestError(f"{path}: cannot read (No such file or directory)")
    spark = local_session("sdohedi-encode")
    df = read_service_logs(spark, service_logs, LogMapping(config.log))
    return encode_837p(df, str(Path(out_dir).absolute()), config, ledger, dry_run=dry_run, resubmit=resubmit,
                       today=today, allow_late=allow_late,
                       max_lines_per_file=max_lines_per_file or DEFAULT_MAX_LINES_PER_FILE)


def _encode_local(service_logs, config, out_dir, ledger, dry_run, resubmit, fmt, max_lines_per_file, today,
                  allow_late, book=None):
    from ..pipeline.encode import encode

    progress = None
    bar = None
    if sys.stderr.isatty() and fmt == "text":
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        bar = Progress(SpinnerColumn(), TextColumn("reading rows: {task.completed:,}"), TimeElapsedColumn(),
                       transient=True)
        task = bar.add_task("rows", total=None)
        bar.start()
        progress = lambda n: bar.advance(task, n)  # noqa: E731
    try:
        return encode(service_logs, config, out_dir=out_dir, ledger=ledger, dry_run=dry_run,
                      resubmit=resubmit, progress=progress, max_lines_per_file=max_lines_per_file, today=today,
                      allow_late=allow_late, authorizations=book)
    finally:
        if bar:
            bar.stop()


def _print_summary(summary) -> None:
    mode = " (dry run: nothing written)" if summary.dry_run else ""
    click.echo(f"rows read: {summary.rows:,}   billed: {summary.billed_rows:,}   rejected: {summary.rejected_rows:,}{mode}")
    for o in summary.outputs:
        where = Path(o.path).name if o.path else "-"
        click.echo(f"  {o.payer:<16} {o.claims:>8,} claims {o.lines:>9,} lines  ${o.total_charge:>14,.2f}  {where}")
    if summary.reject_reasons:
        click.echo("rejected rows by reason:")
        shown = summary.reject_reasons.most_common(12)
        for reason, n in shown:
            click.echo(f"  {n:>7,}  {reason}")
        rest = summary.reject_reasons.most_common()[len(shown):]
        if rest:  # one screen: the rest are in the rejects file (and in --format json)
            click.echo(f"  {sum(n for _, n in rest):>7,}  rows of {len(rest)} other reasons")
    if summary.billed_concurrently:
        click.echo(f"{summary.billed_concurrently:,} rows were billed by another run on this ledger while this one "
                   "ran: rejected as already billed")
    if summary.authorized_concurrently:
        click.echo(f"{summary.authorized_concurrently:,} rows exceeded an authorization whose units another run on "
                   "this ledger used while this one ran: billed for what was left, the rest rejected")
    if summary.authorization_problems:
        click.echo(f"{len(summary.authorization_problems):,} authorizations could not be read and were left out "
                   "(see the warnings above)")
    if summary.billed_late:
        click.echo(f"{summary.billed_late:,} rows were billed past their payer's timely filing limit (--allow-late)")
    if summary.rejects_path:
        click.echo(f"rejects: {summary.rejects_path}")
