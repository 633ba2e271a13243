"""The row-check stage alone: a service log read and checked, old row by row (``read_rows`` +
``RowChecker.check``) against new in batches (``pipeline.rules``), in lines/s (a script).

    python benchmarks/bench_rules.py [--rows 200000,1000000] [--repeat 3]

Each size: a log from fixtures/make_service_log.py (not timed); each run in its own child
process; the median of ``--repeat`` runs. Both must give the same number of lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import run_json

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 1)


def child(kind: str, log: str) -> dict:
    from sdohedi.models.config import load_config

    config = load_config(ROOT / "fixtures" / "nle.toml")
    t0 = time.perf_counter()
    lines = 0
    if kind == "old":
        sys.path.insert(0, str(ROOT / "tests"))  # the row-by-row checker is the tests' oracle now
        from row_checker import RowChecker
        from sdohedi.pipeline.ingest import Reject, read_rows

        checker = RowChecker(config, today=TODAY)
        for n, raw in read_rows(log, log=checker.log):
            lines += not isinstance(checker.check(n, raw, log), Reject)
    else:
        from sdohedi.pipeline.ingest import Reject
        from sdohedi.pipeline.rules import BatchRules, read_batches

        rules = BatchRules(config, today=TODAY)
        for batch in read_batches(log, log=rules.log):
            lines += sum(not isinstance(r, Reject) for r in rules.check(batch))
    return {"seconds": time.perf_counter() - t0, "lines": lines}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="200000,1000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        import json

        print(json.dumps(child(*args.child)))
        return
    with tempfile.TemporaryDirectory() as work:
        for rows in (int(r) for r in args.rows.split(",")):
            log = Path(work) / f"log{rows}.csv"
            subprocess.run([sys.executable, str(ROOT / "fixtures" / "make_service_log.py"), "--rows", str(rows),
                            "--out", str(log)], check=True)
            result = {}
            for kind in ("old", "new"):
                runs = [run_json([sys.executable, __file__, "--child", kind, str(log)], f"{kind} row check failed")
                        for _ in range(args.repeat)]
                assert len({r["lines"] for r in runs}) == 1
                result[kind] = (statistics.median(r["seconds"] for r in runs), runs[0]["lines"])
            assert result["old"][1] == result["new"][1], result
            old, new = (result[k][1] / result[k][0] for k in ("old", "new"))
            print(f"{rows:>9,} rows  old {old:>9,.0f} lines/s  new {new:>9,.0f} lines/s  x{new / old:.2f}"
                  f"  (median of {args.repeat})", flush=True)


if __name__ == "__main__":
    main()
