"""``sdohedi authorizations``: units used and left of each prior authorization, from the ledger."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..ledger import DEFAULT_LEDGER, LedgerError
from . import opened_ledger

if TYPE_CHECKING:
    from ..pipeline.authorizations import Authorization

REPORT_COLUMNS = ["auth_number", "payer", "member_id", "procedure_code", "modifiers", "start_date", "end_date",
                  "authorized_units", "used_units", "remaining_units", "status"]


def _status(a: Authorization, used: Decimal, today: dt.date) -> str:
    if used > a.units:
        return "over"  # billed beyond it before it was given to encode, or under its number by hand
    if used == a.units:
        return "used up"
    if today < a.start:
        return "not started"
    return "expired" if today > a.end else "active"


@click.command("authorizations")
@click.option("--ledger", "ledger_path", default=str(DEFAULT_LEDGER), show_default=True,
              help="The ledger sdohedi encode recorded into: a SQLite file, or a postgresql:// URL.")
@click.option("--authorizations", "auths_path", required=True, type=click.Path(dir_okay=False),
              help="Prior authorizations (CSV, as encode --authorizations reads it).")
@click.option("--out", "out_path", default="authorization-usage.csv", show_default=True,
              type=click.Path(dir_okay=False), help="The report (CSV, with member ids: written 0600).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The date the status column is worked out for (default: today).")
def command(ledger_path, auths_path, out_path, as_of):
    """Print and write the units used and left of each authorization in AUTHS.csv.

    Used units are those of every line the ledger billed under the authorization's number and
    payer (lines billed before the ledger recorded authorizations are not known). The terminal
    table leaves member ids out; the CSV report has them.

    Exit status: 0 report written; 1 written, some authorizations could not be read (named on
    stderr); 2 the file or the ledger could not be read.
    """
    from ..pipeline.authorizations import AuthorizationsError, format_units, read_authorizations
    from ..pipeline.files import atomic_text_file

    try:
        auths, problems = read_authorizations(auths_path)
    except AuthorizationsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for problem in problems:
        click.echo(f"warning: {problem} (authorization left out)", err=True)
    today = as_of.date() if as_of else dt.date.today()
    try:
        with opened_ledger(ledger_path, readonly=True, must_exist=True) as ledger:
            used = ledger.authorization_use(a.number for a in auths)
    except LedgerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)

    report = []
    for a in sorted(auths, key=lambda a: (a.payer, a.number)):
        n = used.get(a.key, Decimal(0))
        report.append({"auth_number": a.number, "payer": a.payer, "member_id": a.member_id,
                       "procedure_code": a.procedure_code,
                       "modifiers": "" if a.modifiers is None else ":".join(a.modifiers),
                       "start_date": a.start.isoformat(), "end_date": a.end.isoformat(),
                       "authorized_units": format_units(a.units), "used_units": format_units(n),
                       "remaining_units": format_units(a.units - n), "status": _status(a, n, today)})
    with atomic_text_file(out_path) as f:
        w = csv.DictWriter(f, fieldnames=REPORT_COLUMNS)
        w.writeheader()
        w.writerows(report)

    click.echo(f"{'authorization':<20} {'payer':<12} {'code':<11} {'dates':<23} {'authorized':>10} {'used':>10} "
               f"{'left':>10}  status")
    for r in report:
        code = r["procedure_code"] + (f":{r['modifiers']}" if r["modifiers"] else "")
        click.echo(f"{r['auth_number']:<20} {r['payer']:<12} {code:<11} {r['start_date']}..{r['end_date']} "
                   f"{r['authorized_units']:>10} {r['used_units']:>10} {r['remaining_units']:>10}  {r['status']}")
    click.echo(f"{len(report):,} authorizations; report: {Path(out_path)}")
    sys.exit(1 if problems else 0)
