#!/usr/bin/env python
"""``sdohedi remit --out payments.csv`` end to end beside the path it replaced and oxedi's parse.

    python benchmarks/bench_remit.py                  # 10 MB, median of 3 runs
    python benchmarks/bench_remit.py --sizes 10 100 --runs 3

Each run is its own subprocess (its own peak RSS). Rows:
  * ``remit csv (tables)``: the command as it is (``sdohedi.remit835.payment_export.export_payments``:
    the core's tables, Arrow kernels, pyarrow's CSV writer), one row per service payment.
  * ``remit csv (models)``: what the command did before, rebuilt from the functions still in the
    library: ``iter_835_claims`` (pydantic models claim by claim), the balancing on the models,
    ``rows.claim_service_rows`` and ``RowWriter.write`` (csv.writer); skipped above 20 MB (slow).
  * ``oxedi parse_file``: oxedi 0.6.0's parse alone (no output written), its venv from
    ``bash benchmarks/peers/setup.sh oxedi``.
  * ``rust split``: benchmarks/split_ceiling.rs (the machine's ceiling for cutting the file).
Both remit rows must write as many rows as the file has SVC segments (plus one per claim
without lines), counted off the bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_parse_835 import file_for  # noqa: E402
from bench_tables_835 import PEERS_DIR, build_split, medians, print_rows, rust_program  # noqa: E402
from benchlib import maxrss_mb  # noqa: E402


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _rows_written(out: Path) -> int:
    with open(out, "rb") as f:
        return sum(1 for _ in f) - 1  # the header


def child(kind: str, path: str) -> None:
    rows = None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "payments.csv"
        if kind == "tables":
            from sdohedi.remit835.payment_export import export_payments

            w, c = time.perf_counter(), _cpu()
            export_payments([Path(path)], out, per_claim=False, report=lambda line: None)
            w, c = time.perf_counter() - w, _cpu() - c
            rows = _rows_written(out)
        elif kind == "models":
            from sdohedi.models.remit import RemittanceClaim
            from sdohedi.remit835 import claim_balance_findings, iter_835_claims, transaction_balance_findings
            from sdohedi.remit835.export import row_writer
            from sdohedi.remit835.rows import (
                DATE_COLUMNS, MONEY_COLUMNS, QUANTITY_COLUMNS, SERVICE_COLUMNS, claim_service_rows, payment_row,
            )

            w, c = time.perf_counter(), _cpu()
            with row_writer(out, SERVICE_COLUMNS, money=MONEY_COLUMNS, quantities=QUANTITY_COLUMNS,
                            dates=DATE_COLUMNS) as sink:
                sink.savepoint()
                payment = columns = None
                for item in iter_835_claims(path, findings=[]):
                    if isinstance(item, RemittanceClaim):
                        if item.payment is not payment:
                            payment = item.payment
                            columns = payment_row(payment, path)
                        sink.write(claim_service_rows(columns, item.claim))
                        claim_balance_findings(item.claim, payment)
                        continue
                    transaction_balance_findings(item.remittance, item.claims_paid, item.claims_paid_unknown)
                    sink.savepoint()
                sink.commit()
            w, c = time.perf_counter() - w, _cpu() - c
            rows = _rows_written(out)
        elif kind == "oxedi":
            import oxedi

            w, c = time.perf_counter(), _cpu()
            result = oxedi.parse_file(path)
            w, c = time.perf_counter() - w, _cpu() - c
            rows = result.count_claims()
        else:
            raise SystemExit(f"unknown kind {kind}")
    print(json.dumps({"wall": w, "cpu": c, "rss_mb": maxrss_mb(), "rows": rows}))


def run(kind: str, path: Path, python: str) -> dict:
    proc = subprocess.run([python, __file__, "--child", kind, str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    return json.loads(proc.stdout)


def plain_counts(path: Path) -> tuple[int, int]:
    """(SVC segments, CLP segments) counted off the bytes (the generated files give every claim lines)."""
    data = path.read_bytes()
    return (data.count(b"~SVC*") + data.count(b"\nSVC*"), data.count(b"~CLP*") + data.count(b"\nCLP*"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[10])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "sdohedi-bench")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    oxedi_py = PEERS_DIR / "oxedi" / "bin" / "python"
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    exe = build_split(args.cache_dir)
    print(f"remit to CSV, end to end; medians of {args.runs} runs (CPU s is the steadier figure on a shared machine)")
    for size in args.sizes:
        path = file_for(args.cache_dir, size, 200)
        mb = path.stat().st_size / 1e6
        lines, claims = plain_counts(path)
        print(f"\n{path.name}: {mb:.1f} MB, {claims:,} claims, {lines:,} service lines")
        results: dict[str, dict | str] = {}
        for label, kind, python, want in [("remit csv (tables)", "tables", sys.executable, lines),
                                          ("remit csv (models)", "models", sys.executable, lines),
                                          ("oxedi parse_file", "oxedi", str(oxedi_py) if oxedi_py.exists() else None,
                                           claims)]:
            if python is None:
                results[label] = "not installed (bash benchmarks/peers/setup.sh oxedi)"
                continue
            if kind == "models" and size > 20:
                results[label] = "skipped above 20 MB (slow)"
                continue
            try:
                got = [run(kind, path, python) for _ in range(args.runs)]
            except RuntimeError as exc:
                results[label] = f"failed: {exc}"
                continue
            if any(g["rows"] != want for g in got):
                results[label] = f"wrong: {got[0]['rows']} rows, a plain count says {want}"
                continue
            results[label] = medians(got)
        if exe:
            got = [rust_program(exe, path) for _ in range(args.runs)]
            results["rust split"] = medians(got)
        ours = print_rows(results, "remit csv (tables)", mb, width=20)
        if isinstance(ours, dict):
            ox = results.get("oxedi parse_file")
            if isinstance(ox, dict):
                print(f"remit csv vs oxedi parse_file alone: {ox['cpu'] / ours['cpu']:.1f}x (goal >= 3x)")


if __name__ == "__main__":
    main()
