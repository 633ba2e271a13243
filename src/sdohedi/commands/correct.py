"""``sdohedi correct``: corrected rows of billed claims -> replacement, void and new original claims."""

from __future__ import annotations

import json
import sys

import click

from ..ledger import LedgerError
from . import opened_ledger
from .encode import _print_summary


@click.command("correct")
@click.argument("service_logs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="NLE config (TOML).")
@click.option("--ledger", "ledger_path", required=True,
              help="The ledger the claims were billed on: a SQLite file or a postgresql:// URL.")
@click.option("--out", "out_dir", default="outbox", show_default=True, type=click.Path(file_okay=False),
              help="Folder for <payer>-<ISA13>.837 files and rejects.csv.")
@click.option("--void", "voids", multiple=True, metavar="SERVICE_ID",
              help="Void (CLM05-3 8) the claim this service id is billed on; repeatable. Its rows must be in the log.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(service_logs, config_path, ledger_path, out_dir, voids, fmt):
    """Correct claims already billed from their corrected rows in SERVICE_LOGS.

    A claim the payer adjudicated (an 835 processed or denied it) gets a replacement (CLM05-3 7,
    REF*F8 = its CLP07; every line of the claim must be in the log), or with --void a void (8,
    REF*F8; the rows as billed). A claim a 999 or 277CA rejected is billed again as a new original
    (frequency 1, a new CLM01). Any other row is refused with the reason in rejects.csv: not
    billed (use encode), awaiting adjudication, reversed by the payer. The ledger records which
    claim replaced or voided which; reconcile follows the chain. Local engine only.

    Exit status: 0 every row corrected; 1 some rows refused (see rejects.csv), or the ledger failed;
    2 nothing could be done (config, logs or ledger unreadable, no ledger).
    """
    from ..models.config import ConfigError, load_config
    from ..pipeline.correct import correct
    from ..pipeline.ingest import IngestError
    from ..x12 import X12Error

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        with opened_ledger(ledger_path, must_exist=True) as ledger:  # nothing billed on it: nothing to correct
            summary, correction = correct(service_logs, config, out_dir=out_dir, ledger=ledger, voids=voids)
    except (IngestError, X12Error) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except LedgerError as exc:  # opened: what it recorded before stands
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    kinds = {k: correction.kinds.get(k, 0) for k in ("replacement", "void", "new original")}
    if fmt == "json":
        click.echo(json.dumps({**summary.as_dict(), "corrected_claims": kinds}, indent=2))
    else:
        _print_summary(summary)
        click.echo("claims corrected: " + "   ".join(f"{k}: {n}" for k, n in kinds.items()))
    if summary.rows == 0 or (summary.billed_rows == 0 and summary.rejected_rows == 0):
        sys.exit(2)
    sys.exit(1 if summary.rejected_rows else 0)
