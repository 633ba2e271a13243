"""End-to-end `sdohedi encode` throughput and peak memory (a script, not a timed test).

    python benchmarks/bench_encode.py [--rows 1000000] [--scale 100000,300000,1000000] [--quick]

For each size: generate a service log with fixtures/make_service_log.py (not timed), then run
encode with a fresh ledger in a child process and report service lines/s and peak RSS
(ru_maxrss of the child). Beside it, the ceiling: a bare csv.reader + f-string writer over the
same file in its own child.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import maxrss_mb, run_json

ROOT = Path(__file__).resolve().parents[1]


def child_encode(log: str, work: str) -> dict:
    from sdohedi.ledger import Ledger
    from sdohedi.models.config import load_config
    from sdohedi.pipeline.encode import encode

    config = load_config(ROOT / "fixtures" / "nle.toml")
    t0 = time.perf_counter()
    with Ledger(Path(work) / "ledger.sqlite") as ledger:
        summary = encode([log], config, out_dir=Path(work) / "out", ledger=ledger)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "lines": summary.billed_rows, "rows": summary.rows, "rss_mb": maxrss_mb()}


def child_ceiling(log: str, work: str) -> dict:
    import csv

    t0 = time.perf_counter()
    n = 0
    with open(log, newline="") as f, open(Path(work) / "ceiling.txt", "w") as out:
        r = csv.reader(f)
        next(r)
        w = out.write
        for row in r:
            w(f"LX*{n}~\nSV1*HC:{row[13]}:{row[14]}*{row[19]}*UN*{row[15]}***1~\nDTP*472*D8*{row[12]}~\nREF*6R*{row[0]}~\n")
            n += 1
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "lines": n, "rss_mb": maxrss_mb()}


def run_child(kind: str, log: Path) -> dict:
    with tempfile.TemporaryDirectory() as work:
        return run_json([sys.executable, __file__, "--child", kind, str(log), work], f"child {kind} failed")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--scale", default="", help="comma-separated sizes for an RSS-vs-size table")
    ap.add_argument("--quick", action="store_true", help="5,000 rows (CI smoke)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, log, work = args.child
        print(json.dumps((child_encode if kind == "encode" else child_ceiling)(log, work)))
        return
    sizes = [int(s) for s in args.scale.split(",") if s] or [5000 if args.quick else args.rows]
    print(f"sdohedi encode benchmark  {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC  "
          f"Python {platform.python_version()}  {platform.machine()}")
    print(f"{'rows':>10} {'what':<10} {'lines/s':>10} {'seconds':>8} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            log = Path(tmp) / f"log{n}.csv"
            subprocess.run([sys.executable, str(ROOT / "fixtures" / "make_service_log.py"), "--rows", str(n),
                            "--out", str(log)], check=True)
            for kind in ("ceiling", "encode"):
                r = run_child(kind, log)
                print(f"{n:>10,} {kind:<10} {r['lines'] / r['seconds']:>10,.0f} {r['seconds']:>8.2f} {r['rss_mb']:>12.1f}")


if __name__ == "__main__":
    main()
