#!/usr/bin/env python
"""The core tokenizer beside the old pure-Python one and a std-only Rust split of the same file.

    python benchmarks/bench_tokenizer.py                # a 10 MB 835, median of 5 runs
    python benchmarks/bench_tokenizer.py --size 1 --runs 1   # smoke test

Rows (each reads the file in 64 KiB chunks; medians of ``--runs``; MB/s of the file's bytes):
  * ``split (Rust, std only)``: benchmarks/split_ceiling.rs, built here with rustc -O: cuts every chunk on the
    segment terminator and each segment on the element separator, counts, keeps nothing. The
    most any tokenizer can do on this machine.
  * ``core tokenizer (Rust)``: rust/examples/tokenize.rs, the same core with no Python: every
    segment handed to a sink and cut into its elements, counted.
  * ``core tokenizer (Python API)``: ``sdohedi.x12.Tokenizer``, every segment a ``Segment`` with
    its elements as ``str``: the Rust row plus the cost of building Python objects (FFI).
  * ``old Python tokenizer``: the pure-Python tokenizer the core replaced (tests/x12/oracle_tokenizer.py).
  * ``core batches, readers' cut`` / ``validator's cut``: ``Tokenizer.feed_batches`` with
    ``join_lines`` (the 835 parser, the 837P reader) or ``keep_trailing_blanks`` (the validator):
    one ``str`` per segment, no element split.
  * ``old splitter (str.split)`` / ``old scanner``: the Python cutters those replaced
    (tests/x12/oracle_splitter.py, oracle_scanner.py): the same batches of segment strings.

The Rust programs time their own read-and-cut loop (process start excluded); the Python rows
time the same loop in this process. The goal (issue 16) is the core at >= 50% of the split.
The input is bench_parse_835.py's generated 835 (written by ``sdohedi.remit835.write_835``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests" / "x12")]

from bench_parse_835 import file_for  # noqa: E402
from benchlib import chunks  # noqa: E402
from sdohedi.x12 import Tokenizer  # noqa: E402



def build_split(tmp: Path) -> Path:
    """benchmarks/split_ceiling.rs compiled into ``tmp``; returns the program."""
    exe = tmp / "split_ceiling"
    subprocess.run(["rustc", "-O", "-C", "codegen-units=1", "-o", str(exe), str(HERE / "split_ceiling.rs")],
                   check=True)
    return exe


def build_core_example() -> Path:
    subprocess.run(["cargo", "build", "-q", "--release", "--example", "tokenize"], cwd=ROOT / "rust", check=True)
    return ROOT / "rust" / "target" / "release" / "examples" / "tokenize"


def run_program(exe: Path, path: Path) -> tuple[float, int]:
    out = json.loads(subprocess.run([str(exe), str(path)], check=True, capture_output=True, text=True).stdout)
    return out["seconds"], out["segments"]


def run_python(make, path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    tok = make()
    n = 0
    for chunk in chunks(path):
        n += len(tok.feed(chunk))
    n += len(tok.close())
    return time.perf_counter() - start, n


def run_batches(feed, close, path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    n = 0
    for chunk in chunks(path):
        for batch in feed(chunk):
            n += len(batch[-1])
    for batch in close():
        n += len(batch[-1])
    return time.perf_counter() - start, n


def batches_of(make):
    def run(path: Path) -> tuple[float, int]:
        tok = make()
        if isinstance(tok, Tokenizer):
            return run_batches(tok.feed_batches, tok.close_batches, path)
        return run_batches(tok.feed, tok.close, path)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=float, default=10, help="file size in MB (default 10)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--claims-per-payment", type=int, default=200)
    ap.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "sdohedi-bench")
    args = ap.parse_args()

    from oracle_scanner import Scanner
    from oracle_splitter import SegmentSplitter
    from oracle_tokenizer import OracleTokenizer

    path = file_for(args.cache_dir, args.size, args.claims_per_payment)
    size_mb = path.stat().st_size / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        split = build_split(Path(tmp))
        core = build_core_example()
        rows = {
            "split (Rust, std only)": lambda: run_program(split, path),
            "core tokenizer (Rust)": lambda: run_program(core, path),
            "core tokenizer (Python API)": lambda: run_python(Tokenizer, path),
            "old Python tokenizer": lambda: run_python(OracleTokenizer, path),
            "core batches, readers' cut": lambda: batches_of(lambda: Tokenizer(strict=False, join_lines=True))(path),
            "old splitter (str.split)": lambda: batches_of(SegmentSplitter)(path),
            "core batches, validator's cut": lambda: batches_of(
                lambda: Tokenizer(strict=False, keep_trailing_blanks=True))(path),
            "old scanner": lambda: batches_of(Scanner)(path),
        }
        results = {}
        for _ in range(args.runs):  # interleaved, so a slow spell of the machine touches every row
            for name, fn in rows.items():
                seconds, segments = fn()
                results.setdefault(name, []).append(seconds)
                counts = results.setdefault(name + " segments", segments)
                if counts != segments:
                    raise SystemExit(f"{name}: segment count changed between runs")
    segment_counts = {results[name + " segments"] for name in rows}
    if len(segment_counts) != 1:
        raise SystemExit(f"the rows disagree on the segment count: {segment_counts}")
    split_s = statistics.median(results["split (Rust, std only)"])
    print(f"file: {path.name}, {size_mb:.1f} MB, {segment_counts.pop():,} segments; median of {args.runs}")
    print(f"{'row':30} {'median s':>9} {'MB/s':>9} {'of split':>9}")
    for name in rows:
        s = statistics.median(results[name])
        print(f"{name:30} {s:9.4f} {size_mb / s:9.1f} {split_s / s:9.1%}")


if __name__ == "__main__":
    main()
