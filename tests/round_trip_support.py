"""The payer round trip the CLI tests share: encode the fixture log, then run the payer
simulator (``sdohedi adjudicate``) on each interchange for its 835 and 999."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sdohedi.cli import main

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def encode_and_adjudicate(ledger, tmp: Path) -> tuple[dict, list[Path], list[Path]]:
    """(encode's JSON summary, the 835s, the 999s), one of each per payer interchange."""
    enc = run("encode", FIX / "service_log.csv", "--config", FIX / "nle.toml", "--out", tmp / "out",
              "--ledger", ledger, "--format", "json")
    summary = json.loads(enc.output)
    eras, acks = [], []
    for n, ic in enumerate(summary["interchanges"], 1):
        era, ack = tmp / f"{ic['payer']}.835", tmp / f"{ic['payer']}.999"
        r = run("adjudicate", ic["path"], "--rules", FIX / f"payer_{ic['payer']}.toml", "--out-835", era,
                "--out-999", ack, "--control-number", 700 + n, "--payment-date", "2026-11-15")
        assert r.exit_code == 0, r.output
        eras.append(era)
        acks.append(ack)
    return summary, eras, acks
