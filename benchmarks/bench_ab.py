#!/usr/bin/env python
"""Two source trees of sdohedi, A and B, on the same files, runs interleaved: median CPU seconds.

    python benchmarks/bench_ab.py --a /tmp/base/src --b src --835 x.835 --837p x.837 --runs 5

Each run is one child of compare.py (``ours-835``: parse_835_file; ``ours-837p``:
read_837p_file; ``ours-validate``: validate_file on the 837P) with PYTHONPATH set to the tree,
so both trees use this interpreter and its packages. A and B alternate run by run, which keeps
the machine's load (shared, noisy) about the same for both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

COMPARE = Path(__file__).resolve().parent / "compare.py"


def child(src: str, kind: str, path: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, str(COMPARE), "--child", kind, path, "{}"], capture_output=True,
                          text=True, env=env, check=True)
    line = next(ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith("RESULT "))
    return json.loads(line[7:])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--a", required=True)
    p.add_argument("--b", required=True)
    p.add_argument("--835", dest="remit", required=True)
    p.add_argument("--837p", dest="claims", required=True)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    jobs = [("835 read", "ours-835", args.remit), ("837P read", "ours-837p", args.claims),
            ("837P validate", "ours-validate", args.claims)]
    for label, kind, path in jobs:
        cpu: dict[str, list[float]] = {"A": [], "B": []}
        for _ in range(args.runs):
            for name, src in (("A", args.a), ("B", args.b)):
                cpu[name].append(child(src, kind, path)["cpu"])
        mb = os.path.getsize(path) / 1e6
        a, b = statistics.median(cpu["A"]), statistics.median(cpu["B"])
        print(f"{label:14s} {mb:5.1f} MB  A {a:6.3f} s ({mb / a:5.1f} MB/s)  B {b:6.3f} s ({mb / b:5.1f} MB/s)"
              f"  B/A {b / a:5.3f}   A runs {sorted(round(x, 3) for x in cpu['A'])}"
              f"  B runs {sorted(round(x, 3) for x in cpu['B'])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
