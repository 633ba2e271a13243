#!/usr/bin/env python
"""Lossless documents, read and written back: the core beside a std-only Rust split of the same file.

    python benchmarks/bench_document.py                     # a 10 MB 835 and a 10 MB 837P, median of 3
    python benchmarks/bench_document.py --size 1 --runs 1   # smoke test

Rows (medians of ``--runs``; MB/s of the file's bytes; peak RSS (VmHWM) of the process that ran
the row, the split's not measured):
  * ``split (Rust, std only)``: benchmarks/split_ceiling.rs (rustc -O), 64 KiB reads, cut on the
    terminator then on the element separator, nothing kept. The most any reader can do here.
  * ``document, streamed (Rust)``: rust/examples/document.rs: 64 KiB reads into one document per
    transaction set (and per envelope stretch), each written back into a buffer.
  * ``document, whole (Rust)``: the same, the file read whole into one document.
  * ``iter_documents + to_bytes (Python API)``: ``sdohedi.x12.iter_documents`` (64 KiB reads),
    each document's ``to_bytes()``.
  * ``read_document + to_bytes (Python API)``: the file's bytes into one document and back.
  * ``read_document + Segment views (Python API)``: the same, and ``doc.segments`` (one Python
    view per segment, what navigation costs the first time).

Every row runs in a fresh process (its peak RSS is its own) and must count the same segments;
every document row must write back exactly the file's bytes. Inputs: bench_parse_835.py's
generated 835 and bench_decode_837p.py's 837P, generated once into ``--cache-dir``.
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
sys.path[:0] = [str(HERE)]

PYTHON_ROWS = ("iter_documents + to_bytes (Python API)", "read_document + to_bytes (Python API)",
               "read_document + Segment views (Python API)")


def build_document_example() -> Path:
    subprocess.run(["cargo", "build", "-q", "--release", "--example", "document"], cwd=ROOT / "rust", check=True)
    return ROOT / "rust" / "target" / "release" / "examples" / "document"


def python_row(name: str, path: Path) -> dict:
    """Run one Python row in this process (a child of the parent's)."""
    from sdohedi.x12 import iter_documents, read_document

    start = time.perf_counter()
    if name == PYTHON_ROWS[0]:
        segments = written = 0
        same = True
        with open(path, "rb") as f:
            for doc in iter_documents(path):
                out = doc.to_bytes()
                segments += len(doc)
                written += len(out)
                same = same and f.read(len(out)) == out
    else:
        data = path.read_bytes()
        doc = read_document(data)
        if name == PYTHON_ROWS[2]:
            assert len(doc.segments) == len(doc)
        out = doc.to_bytes()
        segments, written, same = len(doc), len(out), out == data
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "segments": segments, "bytes": written, "same": same, "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float | None:
    """This process's peak RSS (VmHWM: the kernel starts it afresh at exec, unlike ru_maxrss,
    which a child inherits from the parent that forked it)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def run_row(name: str, path: Path, programs: dict[str, Path]) -> dict:
    """Run one row in a fresh process: its JSON (the document rows report their own peak RSS)."""
    if name == "split (Rust, std only)":
        cmd = [str(programs["split"]), str(path)]
    elif name.endswith("(Rust)"):
        cmd = [str(programs["document"]), "split" if "streamed" in name else "whole", str(path)]
    else:
        cmd = [sys.executable, __file__, "--child", name, str(path)]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    if out.get("same") is False:
        raise SystemExit(f"{name}: the bytes written differ from {path.name}'s")
    return out


def measure(path: Path, runs: int, programs: dict[str, Path]) -> None:
    rows = ["split (Rust, std only)", "document, streamed (Rust)", "document, whole (Rust)", *PYTHON_ROWS]
    seconds: dict[str, list[float]] = {}
    rss: dict[str, float] = {}
    segments: set[int] = set()
    for _ in range(runs):  # interleaved, so a slow spell of the machine touches every row
        for name in rows:
            out = run_row(name, path, programs)
            seconds.setdefault(name, []).append(out["seconds"])
            segments.add(out["segments"])
            if out.get("peak_rss_mb") is not None:
                rss[name] = max(rss.get(name, 0.0), out["peak_rss_mb"])
    if len(segments) != 1:
        raise SystemExit(f"the rows disagree on the number of segments: {segments}")
    size_mb = path.stat().st_size / 1e6
    split_s = statistics.median(seconds[rows[0]])
    print(f"file: {path.name}, {size_mb:.1f} MB, {segments.pop():,} segments; median of {runs}")
    print("| row | s | MB/s | of split | peak RSS MB |\n|---|---:|---:|---:|---:|")
    for name in rows:
        s = statistics.median(seconds[name])
        peak = f"{rss[name]:.0f}" if name in rss else "—"
        print(f"| {name} | {s:.4f} | {size_mb / s:.1f} | {split_s / s:.1%} | {peak} |")
    print()


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(python_row(sys.argv[2], Path(sys.argv[3]))))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=float, default=10, help="size of each file in MB (default 10)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "sdohedi-bench")
    args = ap.parse_args()

    from bench_parse_835 import file_for
    from bench_tokenizer import build_split
    from bench_walker import file_837p

    files = [file_for(args.cache_dir, args.size, 200), file_837p(args.cache_dir, args.size)]
    with tempfile.TemporaryDirectory() as tmp:
        programs = {"split": build_split(Path(tmp)), "document": build_document_example()}
        print(f"load average {os.getloadavg()[0]:.2f}")
        for path in files:
            measure(path, args.runs, programs)
        print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
