"""End-to-end `sdohedi encode` throughput and peak memory (a script, not a timed test).

    python benchmarks/bench_encode.py [--rows 1000000] [--scale 100000,300000,1000000] [--quick]

For each size: generate a service log with fixtures/make_service_log.py (not timed), then run
encode with a fresh ledger in a child process and report service lines/s and peak RSS
(ru_maxrss of the child). Beside it, the ceiling: a bare csv.reader + f-string writer over the
same file in its own child; ``ledger``: only the ledger's inserts of the same lines (claims of
two lines, 5,000-line batches, one transaction), timed alone; and ``floor``, the ceiling plus
the ledger: an encode that reads, writes and records its lines and does nothing else.
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


def child_ledger(log: str, work: str) -> dict:
    """Only the ledger rows of the run: every row as a claim line (two lines a claim, in file
    order, as encode sends them in 5,000-line batches inside one transaction) through
    ``Ledger.record_claims``. Only those calls are timed: what the ledger alone costs a line."""
    import csv

    from sdohedi.ledger import Ledger

    seconds = 0.0
    n = 0
    with Ledger(Path(work) / "ledger.sqlite") as ledger, open(log, newline="") as f, ledger.transaction():
        rows = csv.reader(f)
        next(rows)
        claims: list[tuple] = []
        lines: list[tuple] = []
        seen: set[str] = set()
        for row in rows:
            if row[0] in seen:  # the log's planted duplicates, which encode rejects
                continue
            seen.add(row[0])
            claim_id = f"B{n // 2:010d}"
            if n % 2 == 0:
                claims.append((claim_id, row[10], row[11], row[1], "SENDER", 1, 1, "0001", "1", None,
                               row[19] or "0", row[12], row[12]))
            lines.append((row[0], claim_id, n % 2 + 1, row[11], row[13], row[14], row[15] or "1", row[19] or "0",
                          row[12]))
            n += 1
            if len(lines) >= 5000 and n % 2 == 0:
                t0 = time.perf_counter()
                ledger.record_claims(claims, lines)
                seconds += time.perf_counter() - t0
                claims, lines = [], []
        t0 = time.perf_counter()
        if lines:
            ledger.record_claims(claims, lines)
        seconds += time.perf_counter() - t0
    return {"seconds": seconds, "lines": n, "rss_mb": maxrss_mb()}


CHILDREN = {"encode": child_encode, "ceiling": child_ceiling, "ledger": child_ledger}


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
        print(json.dumps(CHILDREN[kind](log, work)))
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
            seconds = {}
            for kind in ("ceiling", "ledger", "encode"):
                r = run_child(kind, log)
                seconds[kind] = r["seconds"]
                print(f"{n:>10,} {kind:<10} {r['lines'] / r['seconds']:>10,.0f} {r['seconds']:>8.2f} {r['rss_mb']:>12.1f}")
            # Reading and writing at the ceiling's speed plus the ledger, and nothing else
            # (no checks, pricing, grouping, sorting): no encode that keeps the ledger goes faster.
            bound = seconds["ceiling"] + seconds["ledger"]
            print(f"{n:>10,} {'floor':<10} {n / bound:>10,.0f} {bound:>8.2f} {'':>12}  (ceiling + ledger)")


if __name__ == "__main__":
    main()
