"""``sdohedi dashboard``: the ledger's figures as one offline HTML page."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal

import click

from ..ledger import DEFAULT_LEDGER, LedgerError
from . import opened_ledger


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.command("dashboard")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="NLE config (payer names and administrative fees).")
@click.option("--ledger", "ledger_path", default=str(DEFAULT_LEDGER), show_default=True,
              help="The ledger: a SQLite file, or a postgresql:// URL (needs sdohedi[postgres]).")
@click.option("--out", "out_path", default="dashboard.html", show_default=True, type=click.Path(dir_okay=False),
              help="The HTML file to write (mode 0600, replaced atomically).")
@click.option("--from", "start", callback=_date, help="Only claims whose first date of service is on or after this.")
@click.option("--to", "end", callback=_date, help="Only claims whose first date of service is on or before this.")
@click.option("--as-of", "as_of", callback=_date, help="The day outstanding claims are aged to (default: today).")
def command(config_path, ledger_path, out_path, start, end, as_of):
    """Write one self-contained HTML page (no server, no network) of what each CBO is owed, billed
    vs paid by month, denials by reason, outstanding claims by age, first-pass rates and spend by
    social-care domain, with filters by payer, CBO and month. Counts and amounts only.

    Exit status: 0 written; 2 nothing could be written (bad config, no ledger, ledger error).
    """
    from ..dashboard import Period, figures, render, write_dashboard
    from ..dashboard.figures import ALL_MONTHS
    from ..models.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if start and end and start > end:
        click.echo("error: --from is after --to", err=True)
        sys.exit(2)
    try:
        with opened_ledger(ledger_path, readonly=True, must_exist=True) as ledger:
            data = figures(ledger, config, today=as_of, period=Period(start, end))
    except LedgerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        write_dashboard(out_path, render(data, title=f"{config.billing_provider.name.title()} — billing dashboard"))
    except OSError as exc:
        click.echo(f"error: {out_path}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    owed = Decimal(sum(r["owed"] for r in data["owed"] if r["month"] == ALL_MONTHS)) / 100
    click.echo(f"dashboard: {out_path} (owed to CBOs {owed:,.2f})")
