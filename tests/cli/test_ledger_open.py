"""Every command that uses the ledger opens it the same way: a ledger that is missing (where a
command needs one encode made) or cannot be opened is one line on stderr and exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sdohedi.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
ERA = sorted((ROOT / "tests" / "data" / "corpus" / "835").iterdir())[0]


def _args(command: str, ledger: Path, out: Path) -> list:
    return {
        "encode": ["encode", FIX / "service_log.csv", "--config", FIX / "nle.toml", "--out", out, "--ledger", ledger],
        "correct": ["correct", FIX / "service_log.csv", "--config", FIX / "nle.toml", "--out", out, "--ledger", ledger],
        "reconcile": ["reconcile", ERA, "--config", FIX / "nle.toml", "--reports", out, "--ledger", ledger],
        "authorizations": ["authorizations", "--authorizations", FIX / "authorizations.csv", "--out", out / "a.csv",
                           "--ledger", ledger],
        "dashboard": ["dashboard", "--config", FIX / "nle.toml", "--out", out / "d.html", "--ledger", ledger],
    }[command]


def _run(command: str, ledger: Path, out: Path):
    return CliRunner().invoke(main, [str(a) for a in _args(command, ledger, out)])


NEEDS_A_LEDGER = ["correct", "reconcile", "authorizations", "dashboard"]


@pytest.mark.parametrize("command", NEEDS_A_LEDGER)
def test_a_missing_ledger_is_one_line_and_exit_2(command, tmp_path):
    ledger, out = tmp_path / "none.sqlite", tmp_path / "out"
    result = _run(command, ledger, out)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1:] == [f"error: {ledger}: no ledger (run sdohedi encode first)"]
    assert not ledger.exists() and not out.exists()


@pytest.mark.parametrize("command", ["encode", *NEEDS_A_LEDGER])
def test_a_ledger_that_cannot_be_opened_is_one_line_and_exit_2(command, tmp_path):
    ledger, out = tmp_path / "ledger.sqlite", tmp_path / "out"
    ledger.mkdir()  # there, but no SQLite database can be opened at a directory
    result = _run(command, ledger, out)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # an exit, not a crash
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "ledger.sqlite" in lines[0], result.stderr
    assert not out.exists() and list(ledger.iterdir()) == []
