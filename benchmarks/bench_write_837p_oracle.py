#!/usr/bin/env python
"""The compiled ``write_837p`` against the Python writer it replaced (tests/claims837p/oracle_writer.py).

    python benchmarks/bench_write_837p_oracle.py              # 23,255 claims (about 10 MB), medians of 3
    python benchmarks/bench_write_837p_oracle.py --claims 100000 --reps 5

Both write the same claims (bench_write_837p.py's pool of 1,000 validated claims, cycled, as in
compare.py's "837P generation" row) to a real file, interleaved run by run in one process, so
that the ratio holds on a shared machine whose load changes. The files must be byte-identical.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "claims837p")]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--claims", type=int, default=23_255)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args(argv)

    import oracle_writer
    from bench_write_837p import TIMESTAMP, build_pool, claim_stream, parties
    from sdohedi.claims837p import write_837p

    pool = build_pool()
    submitter, receiver, envelope = parties()
    writers = {"Python writer (oracle_writer.py)": oracle_writer.write_837p, "write_837p (Rust)": write_837p}
    times: dict[str, list[float]] = {name: [] for name in writers}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: os.path.join(tmp, f"{i}.837") for i, name in enumerate(writers)}
        for _ in range(args.reps):
            for name, writer in writers.items():
                with open(paths[name], "w", encoding="ascii", newline="") as f:
                    start = time.perf_counter()
                    writer(claim_stream(pool, args.claims), f.write, submitter=submitter, receiver=receiver,
                           envelope=envelope, interchange_control_number=1, group_control_number=1,
                           timestamp=TIMESTAMP)
                    f.flush()
                    times[name].append(time.perf_counter() - start)
        same = filecmp.cmp(*paths.values(), shallow=False)
        size = os.path.getsize(next(iter(paths.values())))
    print(f"{args.claims:,} claims, {size / 1e6:.1f} MB, medians of {args.reps}; files byte-identical: "
          f"{'yes' if same else 'NO'}; load average {os.getloadavg()[0]:.1f}")
    for name, ts in times.items():
        t = statistics.median(ts)
        print(f"  {name:<34}{size / t / 1e6:8.1f} MB/s {args.claims / t:12,.0f} claims/s")
    old, new = (statistics.median(ts) for ts in times.values())
    print(f"  Rust / Python: {old / new:.2f}x")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
