#!/usr/bin/env python
"""Throughput and memory of the streaming 837P reader (``Reader837P``).

    python benchmarks/bench_decode_837p.py                 # 10 MB and 50 MB files, median of 3 runs
    python benchmarks/bench_decode_837p.py --sizes 10      # MB of 837P to generate and decode
    python benchmarks/bench_decode_837p.py --quick         # 2 MB, 1 run (CI smoke test)
    python benchmarks/bench_decode_837p.py --lenient       # the same with Reader837P(lenient=True)

What is measured
  * Input: an 837P file written by ``write_837p`` from the claim pool of
    benchmarks/bench_write_837p.py (3 lines per claim, members with 1-130 claims, every 5th a
    dependent patient HL 23, 5 rendering providers, 5,000 claims per ST), cycled until the file
    has the asked size, with a unique claim id per claim. Generated once per size into a temp
    folder (not timed).
  * ``read_837p_file``: decode the whole file in 64 KiB chunks into ``Claim`` models (each
    claim is dropped once counted, as a streaming consumer would).
  * ``former pure-Python reader``: the reader the core replaced, kept as the differential
    tests' oracle (tests/claims837p/oracle_reader.py), on the same file: the issue's goal is
    ``read_837p_file`` at >= 3x it, printed as a ratio of the same run.
  * ``iter_837p_tables``: the same file as the 837P's Arrow tables (claims, service lines,
    diagnoses, parties, findings; 8,192-claim batches, each dropped once counted), the core's
    analyst path (``sdohedi decode --tables``).
  * ``x12.Tokenizer`` only: the shared tokenizer over the same file (segments, no claims), for
    scale.
  * ``floor: split+objects``: a chunked split of the file's segments and elements plus
    creating the model objects the reader builds from it (each distinct one once), the
    cheapest way (``object.__new__`` + a copy of its field dict): the least any reader that
    builds these objects spends; the rest of the target's time is all it has for parsing
    logic. Its "claims" column counts objects; its RSS includes them (prepared untimed).
  Each row runs in its own subprocess. "peak RSS" is its ``ru_maxrss`` (imports included: pydantic
  builds its validators then); "RSS reading" is the highest resident size (VmRSS) sampled about
  every MB while decoding, "growth" that minus the resident size after imports. Flat memory
  means "RSS reading" does not grow with the input size. Times are wall clock (and CPU time of the
  process, which a busy machine disturbs less). The machine's load average and a fixed
  pure-Python calibration loop are printed so that numbers from different machines can be
  compared. The script checks that every claim written was read, and that the first 2,000 are
  equal to the claims written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (
    Clock, chunks, current_rss_mb, maxrss_mb, model_objects, print_header, run_json, split_and_objects_floor,
)

HERE = Path(__file__).resolve().parent
TARGET_MB_S = 60.0
TARGET_RATIO = 3.0  # read_837p_file against the former pure-Python reader
RSS_FLAT_MB = 20.0
CHECK_CLAIMS = 2000


def _claims(n: int):
    """n distinct claims (unique ids), cycled lazily from the writer benchmark's pool."""
    sys.path.insert(0, str(HERE))
    from bench_write_837p import build_pool

    pool = build_pool()
    for i in range(n):
        c = pool[i % len(pool)]
        yield c.model_copy(update={"claim_id": f"D{i:011d}"}) if i >= len(pool) else c


def generate(path: Path, megabytes: float) -> tuple[int, int]:
    """Write an 837P of about ``megabytes`` MB; returns (claims, bytes)."""
    sys.path.insert(0, str(HERE))
    from bench_write_837p import run_writer  # its parties, envelope and timestamp

    per_claim = 430  # bytes, about, for the pool's 3-line claims
    n = max(1, int(megabytes * 1e6 / per_claim))
    with open(path, "w", encoding="ascii", newline="") as f:
        claims = run_writer(_claims(n), f.write)
    return claims, path.stat().st_size


def calibration() -> float:
    """CPU seconds of a fixed pure-Python loop: higher than usual means a slower or busier machine."""
    t = time.process_time()
    x = 0
    for _ in range(1_000_000):
        x += len("abc")
    return time.process_time() - t


# --------------------------------------------------------------------------------------------
# Child: one configuration, in its own process
# --------------------------------------------------------------------------------------------

def child(args) -> None:
    from sdohedi.claims837p import read_837p_file
    from sdohedi.x12 import Tokenizer

    path = Path(args.file)
    import gc

    gc.collect()
    baseline = current_rss_mb()  # after imports; the peak is compared with this
    walls, cpus, claims = [], [], 0
    sampled = baseline  # highest resident size seen after a chunk
    objects = model_objects(read_837p_file(path)) if args.child == "floor" else None  # not timed
    for _ in range(args.reps):
        with Clock() as clock:
            if args.child == "floor":
                claims = split_and_objects_floor(path, objects)["objects"]
            elif args.child == "tables":
                from sdohedi.claims837p import iter_837p_tables

                claims = 0
                for t in iter_837p_tables(path):
                    claims += len(t.claims)
                    sampled = max(sampled, current_rss_mb())
            elif args.child in ("decode", "oracle"):
                read = read_837p_file
                if args.child == "oracle":
                    sys.path.insert(0, str(HERE.parent / "tests" / "claims837p"))
                    from oracle_reader import read_837p_file as read
                claims = 0
                for _claim in read(path, lenient=args.lenient):
                    claims += 1
                    if claims % 2000 == 0:  # about every 1 MB
                        sampled = max(sampled, current_rss_mb())
            else:
                tok = Tokenizer()
                claims = 0
                for chunk in chunks(path):
                    claims += len(tok.feed(chunk))
                    sampled = max(sampled, current_rss_mb())
                claims += len(tok.close())
        walls.append(clock.wall)
        cpus.append(clock.cpu)
    print(json.dumps({"config": args.child, "items": claims, "bytes": path.stat().st_size, "walls": walls,
                      "cpus": cpus, "baseline_rss_mb": baseline, "peak_rss_mb": maxrss_mb(),
                      "sampled_rss_mb": sampled}))


def spawn(config: str, path: Path, reps: int, lenient: bool) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", config, "--file", str(path), "--reps", str(reps)]
    if lenient:
        cmd.append("--lenient")
    return run_json(cmd, f"child {config} failed")


def verify(path: Path, expected_claims: int, lenient: bool) -> bool:
    """Every claim written is read, and the first CHECK_CLAIMS equal the claims written."""
    from sdohedi.claims837p import read_837p_file

    written = _claims(expected_claims)
    n = 0
    for got in read_837p_file(path, lenient=lenient):
        if n < CHECK_CLAIMS and got != next(written):
            print(f"ERROR: claim #{n + 1} read back differs from the claim written")
            return False
        n += 1
    if n != expected_claims:
        print(f"ERROR: {n} claims read, {expected_claims} written")
        return False
    return True


# --------------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10,50", help="comma-separated MB of 837P to decode (default 10,50)")
    p.add_argument("--reps", type=int, default=3, help="runs per size; the median is reported (default 3)")
    p.add_argument("--quick", action="store_true", help="2 MB, 1 run (CI smoke test)")
    p.add_argument("--lenient", action="store_true", help="decode with Reader837P(lenient=True)")
    p.add_argument("--no-tokenizer", action="store_true", help="skip the x12.Tokenizer reference rows")
    p.add_argument("--child", choices=["decode", "oracle", "tables", "tokenize", "floor"], help=argparse.SUPPRESS)
    p.add_argument("--file", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return 0
    if args.quick:
        args.sizes, args.reps = "2", 1
    sizes = [float(s) for s in args.sizes.split(",")]

    import pydantic

    print_header("sdohedi 837P reader benchmark (benchmarks/bench_decode_837p.py)", f"; pydantic {pydantic.VERSION}")
    load = os.getloadavg()
    print(f"machine:  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; calibration loop "
          f"{calibration():.3f} CPU s (about 0.04 s on an idle machine: higher means a slower or busier one)")
    print(f"mode:     {'lenient' if args.lenient else 'strict'}; MB = 10^6 bytes; median of {args.reps} run(s); "
          "peak RSS = ru_maxrss of a separate subprocess per row\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench837p-") as tmp:
        for size in sizes:
            path = Path(tmp) / f"claims-{size:g}MB.837"
            n, nbytes = generate(path, size)
            ok = verify(path, n, args.lenient)
            print(f"input {size:g} MB: {nbytes / 1e6:.1f} MB, {n:,} claims written by write_837p; "
                  f"read back: {'all claims, first ' + format(min(n, CHECK_CLAIMS), ',') + ' equal' if ok else 'FAILED'}")
            if not ok:
                return 1
            rows.append((size, spawn("decode", path, args.reps, args.lenient)))
            rows.append((size, spawn("oracle", path, args.reps, args.lenient)))
            rows.append((size, spawn("tables", path, args.reps, args.lenient)))
            if not args.no_tokenizer:
                rows.append((size, spawn("tokenize", path, args.reps, args.lenient)))
                rows.append((size, spawn("floor", path, args.reps, args.lenient)))
    print(f"\n{'configuration':<28}{'input MB':>9}{'claims':>10}{'MB/s wall':>11}{'MB/s CPU':>10}"
          f"{'claims/s':>11}{'median s':>10}{'peak RSS MB':>13}{'RSS reading MB':>16}{'growth MB':>11}")
    decode_rows = []
    medians: dict[float, dict[str, tuple[float, float]]] = {}
    for size, r in rows:
        wall, cpu = statistics.median(r["walls"]), statistics.median(r["cpus"])
        mb = r["bytes"] / 1e6
        label = {"decode": "read_837p_file", "oracle": "former pure-Python reader", "tables": "iter_837p_tables", "tokenize": "x12.Tokenizer only",
                 "floor": "floor: split+objects"}[r["config"]]
        count = f"{r['items']:>10,}" if r["config"] != "tokenize" else f"{'-':>10}"
        per_s = f"{r['items'] / wall:>11,.0f}" if r["config"] in ("decode", "oracle", "tables") else f"{'-':>11}"
        print(f"{label:<28}{mb:>9.1f}{count}{mb / wall:>11.1f}{mb / cpu:>10.1f}{per_s}{wall:>10.3f}"
              f"{r['peak_rss_mb']:>13.1f}{r['sampled_rss_mb']:>16.1f}"
              f"{r['sampled_rss_mb'] - r['baseline_rss_mb']:>11.1f}")
        if r["config"] == "decode":
            decode_rows.append((mb / wall, mb / cpu, r["sampled_rss_mb"]))
        if r["config"] in ("decode", "oracle"):
            medians.setdefault(size, {})[r["config"]] = (wall, cpu)
    best_wall = min(w for w, _, _ in decode_rows)
    best_cpu = min(c for _, c, _ in decode_rows)
    print(f"\ndecode throughput (slowest size): {best_wall:.1f} MB/s wall, {best_cpu:.1f} MB/s CPU "
          f"(target >= {TARGET_MB_S:.0f} MB/s: {'MET' if best_wall >= TARGET_MB_S else 'NOT MET'} wall, "
          f"{'MET' if best_cpu >= TARGET_MB_S else 'NOT MET'} CPU)")
    for size, m in medians.items():
        if "decode" in m and "oracle" in m:
            wall_ratio, cpu_ratio = m["oracle"][0] / m["decode"][0], m["oracle"][1] / m["decode"][1]
            print(f"read_837p_file against the former pure-Python reader, {size:g} MB: {wall_ratio:.2f}x wall, "
                  f"{cpu_ratio:.2f}x CPU (goal >= {TARGET_RATIO:.0f}x: {'MET' if cpu_ratio >= TARGET_RATIO else 'NOT MET'})")
    if len(decode_rows) > 1:
        peaks = [peak for _, _, peak in decode_rows]
        spread = max(peaks) - min(peaks)
        print(f"RSS while reading, spread {sizes[0]:g} MB -> {sizes[-1]:g} MB: {spread:.1f} MB "
              f"(target: flat within {RSS_FLAT_MB:.0f} MB: {'MET' if spread <= RSS_FLAT_MB else 'NOT MET'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
