"""``sdohedi reconcile``: apply 835s to the ledger; report outstanding claims, denials and
what the NLE owes each CBO."""

from __future__ import annotations

import csv
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..ledger import DEFAULT_LEDGER, LedgerError, SqlLedger
from . import opened_ledger

if TYPE_CHECKING:
    from .. import reconcile as rec


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    from ..pipeline.files import atomic_text_file

    with atomic_text_file(path) as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)


@click.command("reconcile")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", default=str(DEFAULT_LEDGER), show_default=True,
              help="The ledger sdohedi encode recorded into: a SQLite file, or a postgresql:// URL "
                   "(needs sdohedi[postgres]).")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="NLE config (for each payer's administrative fee).")
@click.option("--reports", "reports_dir", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Folder for outstanding.csv, denials.csv, disbursement.csv, unmatched.csv, "
                   "network_adjustments.csv.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(files, ledger_path, config_path, reports_dir, fmt):
    """Apply 835 remittances (and 999 / 277CA acknowledgments) in FILES to the ledger.

    Every 835 is balanced as it is applied (line, claim, BPR02); every cent of it lands in a
    report: disbursement.csv (per CBO), unmatched.csv (claims and lines we never sent, and what
    BPR02 does not account for), network_adjustments.csv (PLBs traced to no claim).

    Exit status: 0 everything applied and matched; 1 findings (balancing, envelopes, unknown
    claims or lines, elements that could not be read, acknowledgments that match nothing, files
    refused among others; or the ledger failed: one line says why, what it applied before stands);
    2 nothing could be read, or the ledger could not be opened.
    """
    from .. import reconcile as rec
    from ..models.config import ConfigError, load_config
    from ..models.remit import finding_text
    from ..x12 import X12Error

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    problems = 0
    read_ok = 0
    total = rec.ApplyResult()
    try:
        # reconcile never starts an empty ledger; opening adds its tables to one encode made
        with opened_ledger(ledger_path, must_exist=True) as ledger:
            for name in files:
                try:
                    kind = _kind(name)
                    if kind == "835":
                        one = rec.apply_835_file(ledger, name, source=str(name))
                    elif kind in ("999", "277"):
                        one = _apply_ack(ledger, name, kind)
                    else:
                        raise X12Error(f"transaction set {kind or '?'} is not an 835, 999 or 277CA",
                                       rule="transaction-not-supported")
                except (X12Error, OSError) as exc:
                    click.echo(f"{name}: error: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}",
                               err=True)
                    problems += 1
                    continue
                for finding in one.findings:
                    click.echo(f"{name}: {finding_text(finding)}", err=True)
                problems += len(one.findings)
                if one.error is not None:
                    done = one.applied + one.already_applied
                    click.echo(f"{name}: error: {one.error}" + (f" (after {done} transaction sets)" if done else ""),
                               err=True)
                    problems += 1
                if one.error is None or one.applied or one.already_applied:
                    read_ok += 1
                total.add(one)
            out = Path(reports_dir)
            out.mkdir(parents=True, exist_ok=True)
            outstanding = rec.outstanding(ledger)
            denials = rec.denials(ledger)
            owed = rec.disbursement(ledger, config)
            lost = rec.unmatched(ledger)
            network = rec.network_adjustments(ledger)
            _write_csv(out / "outstanding.csv", outstanding,
                       ["claim_id", "payer", "cbo", "charge", "submitted", "age_days", "status", "ack_status"])
            _write_csv(out / "denials.csv", denials, ["group", "reason", "description", "count", "amount"])
            _write_csv(out / "disbursement.csv", owed, ["cbo", "payer", "paid", "claim_level", "admin_fee_percent",
                                                       "admin_fee", "provider_adjustments", "owed"])
            _write_csv(out / "unmatched.csv", lost,
                       ["trace_payer_id", "trace_number", "claim_id", "service_id", "reason", "amount"])
            _write_csv(out / "network_adjustments.csv", network, ["reason", "reference_id", "amount"])
    except LedgerError as exc:
        # opened: the transaction set in hand rolled back; those committed before it stand
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    summary = {
        "files_read": read_ok, "transactions_applied": total.applied, "already_applied": total.already_applied,
        "claims_matched": total.claims_matched, "unknown_claims": len(total.unknown_claims),
        "unmatched_lines": total.unmatched_lines, "findings": len(total.findings), "outcomes": dict(total.outcomes),
        "outstanding_claims": len(outstanding), "disbursement": owed,
    }
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(f"files read: {read_ok}/{len(files)}   transactions applied: {total.applied}"
                   f" (already applied: {total.already_applied})")
        click.echo("claims: " + (", ".join(f"{k} {v}" for k, v in sorted(total.outcomes.items())) or "none"))
        if total.unknown_claims:
            click.echo(f"unknown claims (not in the ledger): {', '.join(total.unknown_claims[:10])}")
        if total.unmatched_lines:
            click.echo(f"unmatched lines (REF*6R not a line of the claim): {total.unmatched_lines}")
        if total.findings:
            click.echo(f"findings: {len(total.findings)} (listed above)")
        click.echo(f"outstanding claims: {len(outstanding)}")
        click.echo("owed to CBOs:")
        for o in owed:
            click.echo(f"  {o['cbo']:<12} {o['payer']:<12} paid {o['paid']:>12}  fee {o['admin_fee']:>10}"
                       f"  PLB {o['provider_adjustments']:>9}  owed {o['owed']:>12}")
        if lost:
            click.echo(f"unmatched: {len(lost)} rows, {sum(Decimal(r['amount']) for r in lost)} (unmatched.csv)")
        click.echo(f"reports: {out}/")
    if files and read_ok == 0:
        sys.exit(2)
    sys.exit(1 if problems or total.unknown_claims or total.unmatched_lines else 0)


def _kind(path: str) -> str:
    """ST01 of the first transaction in the file."""
    from ..x12 import Tokenizer

    tok = Tokenizer()
    with open(path, "rb") as f:
        while chunk := f.read(65536):
            for seg in tok.feed(chunk):
                if seg.id == "ST":
                    return seg.get(1)[:3]
    for seg in tok.close():
        if seg.id == "ST":
            return seg.get(1)[:3]
    return ""


def _apply_ack(ledger: SqlLedger, path: str, kind: str) -> rec.ApplyResult:
    from ..acks import apply_999, apply_277ca

    with open(path, "rb") as f:
        data = f.read()
    return apply_999(ledger, [data]) if kind == "999" else apply_277ca(ledger, [data])
