"""Smoke test of benchmarks/compare.py --quick: it runs and its table has rows for our tools.

The peers' venvs are pointed at an empty folder, so the run takes seconds whatever is installed
on the machine, and every peer must still have its rows ("not installed"), not be dropped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COMPARE = Path(__file__).resolve().parents[1] / "benchmarks" / "compare.py"


def _run(tmp_path: Path, *extra: str) -> str:
    env = dict(os.environ, SDOHEDI_PEERS_DIR=str(tmp_path / "no-peers"))
    proc = subprocess.run([sys.executable, str(COMPARE), "--quick", "--silent", "--work-dir", str(tmp_path), *extra],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_quick_table_has_our_rows_and_reports_missing_peers(tmp_path):
    out = _run(tmp_path, "--markdown")
    rows = [ln for ln in out.splitlines() if ln.startswith("| ")]
    ours = [ln for ln in rows if "**sdohedi**" in ln]
    tasks = {ln.split("|")[1].strip() for ln in ours}
    assert tasks == {"835 → objects", "837P → objects", "837P generation", "835 generation", "validation 837P",
                     "validation 835"}, out
    for ln in ours:  # a measured figure, not an error, in the MB/s column
        mbps = ln.split("|")[4].strip()
        assert mbps not in ("", "—"), ln
    assert any("ceiling: chunked split" in ln for ln in rows)
    # peers are reported, not dropped
    for peer in ("pyx12", "linuxforhealth-x12", "x12sdk", "edi-835-parser", "x12-edi-tools",
                 "oxedi", "kw-x12-parser", "openx12"):
        assert any(f"| {peer} " in ln and "not installed" in ln for ln in rows), peer
    # installed or not, the licensed native library is reported with its reason on its tasks
    edifabric = [ln for ln in rows if "| edifabric-x12 " in ln]
    assert {ln.split("|")[1].strip() for ln in edifabric} == {"835 → objects", "837P → objects"}, out
    assert all("not runnable here: needs a licence key" in ln for ln in edifabric), edifabric
    # the compiled ceiling is built and measured beside the Python ones
    rust = [ln for ln in rows if "ceiling: Rust split (compiled)" in ln]
    assert len(rust) == 2 and all(ln.split("|")[4].strip() not in ("", "—") for ln in rust), rust
    # our readers' claims and totals agree with a plain split of the same files
    assert all(ln.split("|")[9].strip() == "ok" for ln in ours if "objects" in ln), ours
    assert "machine:" in out and "Python" in out and "CPUs" in out
    assert list(tmp_path.glob("sdohedi-compare-*")) == []  # generated files are removed
