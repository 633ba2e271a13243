#!/usr/bin/env python
"""Tokenize and place every segment in its loop: the core walker beside the Python walker and a
std-only Rust split of the same file.

    python benchmarks/bench_walker.py                       # a 10 MB 835 and a 10 MB 837P, median of 3
    python benchmarks/bench_walker.py --size 1 --runs 1     # smoke test

Rows (each reads the file in 64 KiB chunks; medians of ``--runs``; MB/s of the file's bytes):
  * ``split (Rust, std only)``: benchmarks/split_ceiling.rs (rustc -O): cut on the terminator,
    then on the element separator, count. The most any reader can do on this machine.
  * ``core tokenizer (Rust)``: rust/examples/tokenize.rs: segments cut into elements, no walk.
  * ``tokenize+walk (Rust)``: rust/examples/walk.rs: the same, and every segment placed in its
    loop by the core walker (guide node, loop, structure problems), counted, nothing kept.
  * ``GuideWalker (Python API)``: ``sdohedi._core.GuideWalker``: the Rust row plus a Python
    ``Placement`` per segment.
  * ``Python walker``: the core tokenizer's segments placed by the Python walker (tests/validate/oracle/walker.py),
    driven as the validator drives it (tests/validate/walker_reference.py).

The Rust programs time their own loop (process start excluded); the Python rows time the same
loop in this process. Every row must agree on the number of segments, the walking rows on the
number placed. Inputs: bench_parse_835.py's generated 835 and bench_decode_837p.py's 837P
(``write_837p``), generated once into ``--cache-dir``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests" / "validate")]

from bench_tokenizer import build_core_example, build_split, run_program  # noqa: E402
from benchlib import chunks  # noqa: E402


def build_walk_example() -> Path:
    import subprocess

    subprocess.run(["cargo", "build", "-q", "--release", "--example", "walk"], cwd=ROOT / "rust", check=True)
    return ROOT / "rust" / "target" / "release" / "examples" / "walk"


def run_walk_program(exe: Path, path: Path) -> tuple[float, int, int]:
    import json
    import subprocess

    out = json.loads(subprocess.run([str(exe), str(path)], check=True, capture_output=True, text=True).stdout)
    return out["seconds"], out["segments"], out["placed"]


def run_guide_walker(path: Path) -> tuple[float, int, int]:
    from sdohedi._core import GuideWalker

    start = time.perf_counter()
    w = GuideWalker()
    n = placed = 0
    for chunk in chunks(path):
        for p in w.feed(chunk):
            n += 1
            placed += p.guide is not None
    for p in w.close():
        n += 1
        placed += p.guide is not None
    return time.perf_counter() - start, n, placed


def run_python_walker(path: Path) -> tuple[float, int, int]:
    from walker_reference import ReferenceWalk

    from sdohedi.x12 import Tokenizer

    start = time.perf_counter()
    tok = Tokenizer(strict=False, lenient_isa=True)
    walk = ReferenceWalk()
    n = placed = 0
    events: list = []
    for chunk in [*chunks(path), None]:
        for seg in tok.feed(chunk) if chunk is not None else tok.close():
            n += 1
            placed += walk.segment(list(seg.elements), events) is not None
            events.clear()
    return time.perf_counter() - start, n, placed


def file_837p(cache_dir: Path, megabytes: float) -> Path:
    from bench_decode_837p import generate

    path = cache_dir / f"claims-{megabytes:g}MB.837"
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        generate(tmp, megabytes)
        tmp.replace(path)
    return path


def measure(path: Path, runs: int, programs: dict[str, Path]) -> None:
    rows = {
        "split (Rust, std only)": lambda: (*run_program(programs["split"], path), None),
        "core tokenizer (Rust)": lambda: (*run_program(programs["tokenize"], path), None),
        "tokenize+walk (Rust)": lambda: run_walk_program(programs["walk"], path),
        "GuideWalker (Python API)": lambda: run_guide_walker(path),
        "Python walker": lambda: run_python_walker(path),
    }
    seconds: dict[str, list[float]] = {}
    segments: set[int] = set()
    placed: set[int] = set()
    for _ in range(runs):  # interleaved, so a slow spell of the machine touches every row
        for name, fn in rows.items():
            s, n, p = fn()
            seconds.setdefault(name, []).append(s)
            segments.add(n)
            if p is not None:
                placed.add(p)
    if len(segments) != 1 or len(placed) != 1:
        raise SystemExit(f"the rows disagree: segments {segments}, placed {placed}")
    size_mb = path.stat().st_size / 1e6
    split_s = statistics.median(seconds["split (Rust, std only)"])
    print(f"file: {path.name}, {size_mb:.1f} MB, {segments.pop():,} segments ({placed.pop():,} placed); "
          f"median of {runs}")
    print(f"{'row':28} {'median s':>9} {'MB/s':>9} {'of split':>9}")
    for name in rows:
        s = statistics.median(seconds[name])
        print(f"{name:28} {s:9.4f} {size_mb / s:9.1f} {split_s / s:9.1%}")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=float, default=10, help="size of each file in MB (default 10)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "sdohedi-bench")
    args = ap.parse_args()

    from bench_parse_835 import file_for

    files = [file_for(args.cache_dir, args.size, 200), file_837p(args.cache_dir, args.size)]
    with tempfile.TemporaryDirectory() as tmp:
        programs = {"split": build_split(Path(tmp)), "tokenize": build_core_example(), "walk": build_walk_example()}
        print(f"load average {os.getloadavg()[0]:.2f}")
        for path in files:
            measure(path, args.runs, programs)
        print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
