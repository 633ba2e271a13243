#!/usr/bin/env python
"""835 -> payment models: the core-backed parser (``sdohedi.remit835.parser``) against the former
pure-Python parser kept as the tests' oracle (``tests/remit835/oracle_parser.py``), in one run.

    python benchmarks/bench_models_835.py --mb 10 --runs 3

Each measurement is its own subprocess (so ``ru_maxrss`` is its own), alternating old and new;
CPU seconds of the child are the steadier figure on a shared machine. Every remittance is built
(claims, lines and CLP04 summed, so nothing is left unbuilt) and dropped, as a posting job does.
The input is bench_parse_835.py's generated file (valid 005010X221A1, cached).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests" / "remit835"


def child(kind: str, path: str) -> None:
    if kind == "oracle":
        sys.path.insert(0, str(TESTS))
        import oracle_parser as module
    else:
        from sdohedi.remit835 import parser as module
    t0, c0 = time.perf_counter(), time.process_time()
    claims = lines = 0
    paid = 0
    for remittance in module.parse_835_file(path):
        for claim in remittance.claims:
            claims += 1
            lines += len(claim.services)
            paid += claim.paid or 0
    print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "claims": claims,
                      "lines": lines, "paid": str(paid),
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--claims-per-payment", type=int, default=200)
    ap.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "sdohedi-bench")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    sys.path.insert(0, str(HERE))
    from bench_parse_835 import file_for

    path = file_for(args.cache_dir, args.mb, args.claims_per_payment)
    size = path.stat().st_size / 1e6
    got: dict[str, list[dict]] = {"oracle": [], "core": []}
    for _ in range(args.runs):
        for kind in got:
            out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], check=True,
                                 capture_output=True, text=True).stdout
            got[kind].append(json.loads(out))
    a, b = got["oracle"], got["core"]
    assert (a[0]["claims"], a[0]["lines"], a[0]["paid"]) == (b[0]["claims"], b[0]["lines"], b[0]["paid"])
    print(f"{path.name}: {size:.1f} MB, {a[0]['claims']:,} claims, {a[0]['lines']:,} lines; "
          f"median of {args.runs}, load {os.getloadavg()[0]:.1f}")
    print("| parser | CPU s | MB/s (CPU) | wall s | peak RSS MB |")
    print("|---|---|---|---|---|")
    med = {}
    for kind, rows in got.items():
        cpu = statistics.median(r["cpu"] for r in rows)
        med[kind] = cpu
        print(f"| {kind} | {cpu:.2f} | {size / cpu:.1f} | {statistics.median(r['wall'] for r in rows):.2f} | "
              f"{statistics.median(r['rss_mb'] for r in rows):.0f} |")
    print(f"core / oracle CPU ratio: {med['oracle'] / med['core']:.2f}x faster")


if __name__ == "__main__":
    main()
