#!/usr/bin/env python
"""835 -> Arrow tables (sdohedi.remit835.read_835_tables) beside oxedi, today's models and the
std-only Rust split, on the same generated files.

    python benchmarks/bench_tables_835.py                  # 10 MB and 100 MB, median of 3 runs
    python benchmarks/bench_tables_835.py --sizes 10 --runs 5
    python benchmarks/bench_tables_835.py --quick          # 1 MB, 1 run (smoke test)

Each run is its own subprocess (so ``ru_maxrss`` is its own); wall-clock and CPU seconds are
medians over the runs, peak RSS the largest. Rows:
  * ``tables (whole)``: ``read_835_tables(path)``, the six tables held at the end.
  * ``tables (stream)``: ``iter_835_tables(path)``, each batch dropped after use: memory flat.
  * ``oxedi parse_file``: oxedi 0.6.0's ``parse_file`` in its venv (benchmarks/peers/setup.sh).
  * ``parse_835_file``: the 835 to pydantic models, remittance by remittance (the core reads and
    builds them, rust/src/python/remit835.rs and models.rs).
  * ``pure-Python parser``: the parser it replaced, now the differential tests' oracle
    (tests/remit835/oracle_parser.py): the models' baseline in the same run.
  * ``rust split``: benchmarks/split_ceiling.rs built with rustc -O (CPU of its process).
  * ``core tables (rs)``: with ``--core-exe``, rust/examples/tables835.rs: the same tables, no Python.
Every row that counts claims must count the same as a plain split of the file (checked).
The inputs are bench_parse_835.py's (write_835, 200 claims a payment), cached in --cache-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_parse_835 import file_for  # noqa: E402
from benchlib import maxrss_mb  # noqa: E402

PEERS_DIR = Path(os.environ.get("SDOHEDI_PEERS_DIR", "/tmp/sdohedi-peers"))


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def child(kind: str, path: str) -> None:
    """One measured run, printed as JSON."""
    claims = None
    if kind == "tables":
        from sdohedi.remit835 import read_835_tables

        w, c = time.perf_counter(), _cpu()
        t = read_835_tables(path)
        w, c = time.perf_counter() - w, _cpu() - c
        claims = len(t.claims)
    elif kind == "stream":
        from sdohedi.remit835 import iter_835_tables

        w, c = time.perf_counter(), _cpu()
        claims = sum(len(t.claims) for t in iter_835_tables(path))
        w, c = time.perf_counter() - w, _cpu() - c
    elif kind == "oxedi":
        import oxedi

        w, c = time.perf_counter(), _cpu()
        result = oxedi.parse_file(path)
        w, c = time.perf_counter() - w, _cpu() - c
        claims = result.count_claims()
    elif kind in ("models", "oracle"):
        if kind == "oracle":
            sys.path.insert(0, str(HERE.parent / "tests" / "remit835"))
            from oracle_parser import parse_835_file
        else:
            from sdohedi.remit835 import parse_835_file

        w, c = time.perf_counter(), _cpu()
        claims = sum(len(r.claims) for r in parse_835_file(path))
        w, c = time.perf_counter() - w, _cpu() - c
    else:
        raise SystemExit(f"unknown kind {kind}")
    print(json.dumps({"wall": w, "cpu": c, "rss_mb": maxrss_mb(), "claims": claims}))


def run(kind: str, path: Path, python: str) -> dict:
    proc = subprocess.run([python, __file__, "--child", kind, str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    return json.loads(proc.stdout)


def rust_program(exe: str, path: Path) -> dict:
    """A compiled program's run: its own loop time (wall) and the CPU time of its process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([exe, str(path)], capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    info = json.loads(proc.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": info["seconds"], "cpu": cpu, "rss_mb": None, "claims": info.get("claims")}


def build_split(work: Path) -> str | None:
    exe = work / "split_ceiling"
    proc = subprocess.run(["rustc", "-O", "-C", "codegen-units=1", "-o", str(exe), str(HERE / "split_ceiling.rs")],
                          capture_output=True, text=True)
    return str(exe) if proc.returncode == 0 else None


def plain_claims(path: Path) -> int:
    """CLP segments by a plain count of the bytes: a CLP id after a terminator or a line break
    (the generated files use ~ and * and may break lines)."""
    n = 0
    with open(path, "rb") as f:
        tail = b""
        while chunk := f.read(1 << 20):
            data = tail + chunk
            n += data.count(b"~CLP*") + data.count(b"\nCLP*")
            tail = data[-4:]
    return n


def medians(got: list[dict]) -> dict:
    """Median wall and CPU seconds of runs, their largest peak RSS (None for programs without one)."""
    rss = [g["rss_mb"] for g in got if g.get("rss_mb") is not None]
    return {"wall": statistics.median(g["wall"] for g in got), "cpu": statistics.median(g["cpu"] for g in got),
            "rss_mb": max(rss) if rss else None}


def print_rows(results: dict[str, dict | str], ours_label: str, mb: float, width: int = 18) -> dict | str | None:
    """The table of rows (a dict of medians, or the text of why a row has none), each row's CPU
    relative to ``ours_label``'s; returns that row."""
    ours = results.get(ours_label)
    print(f"{'':{width}} {'wall s':>8} {'cpu s':>8} {'MB/s cpu':>9} {'peak RSS':>9} {'cpu / ours':>10}")
    for label, r in results.items():
        if isinstance(r, str):
            print(f"{label:{width}} {r}")
            continue
        ratio = (r["cpu"] / ours["cpu"]) if isinstance(ours, dict) and ours["cpu"] else float("nan")
        rss = f"{r['rss_mb']:.0f} MB" if r["rss_mb"] is not None else "-"
        print(f"{label:{width}} {r['wall']:8.3f} {r['cpu']:8.3f} {mb / r['cpu']:9.0f} {rss:>9} {ratio:10.2f}")
    return ours


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[10, 100], help="file sizes in MB")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "sdohedi-bench")
    ap.add_argument("--core-exe", type=Path, help="rust/examples/tables835.rs built (cargo build --release "
                    "--example tables835): the core alone, no Python, as a row")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.quick:
        args.sizes, args.runs = [1], 1
    oxedi_py = PEERS_DIR / "oxedi" / "bin" / "python"
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    exe = build_split(args.cache_dir)
    print(f"835 -> Arrow tables; medians of {args.runs} runs (CPU s is the steadier figure on a shared machine)")
    for size in args.sizes:
        path = file_for(args.cache_dir, size, 200)
        mb = path.stat().st_size / 1e6
        want = plain_claims(path)
        print(f"\n{path.name}: {mb:.1f} MB, {want:,} claims")
        rows = [("tables (whole)", "tables", sys.executable), ("tables (stream)", "stream", sys.executable),
                ("oxedi parse_file", "oxedi", str(oxedi_py) if oxedi_py.exists() else None),
                ("parse_835_file", "models", sys.executable), ("pure-Python parser", "oracle", sys.executable)]
        results: dict[str, dict | str] = {}
        for label, kind, python in rows:
            if python is None:
                results[label] = "not installed (bash benchmarks/peers/setup.sh oxedi)"
                continue
            if kind == "oracle" and size > 20:
                results[label] = "skipped above 20 MB (slow)"
                continue
            try:
                got = [run(kind, path, python) for _ in range(args.runs)]
            except RuntimeError as exc:
                results[label] = f"failed: {exc}"
                continue
            if any(g["claims"] != want for g in got):
                results[label] = f"wrong: {got[0]['claims']} claims, a plain count says {want}"
                continue
            results[label] = medians(got)
        if exe:
            got = [rust_program(exe, path) for _ in range(args.runs)]
            results["rust split"] = medians(got)
        if args.core_exe:
            got = [rust_program(str(args.core_exe), path) for _ in range(args.runs)]
            results["core tables (rs)"] = medians(got)
        ours = print_rows(results, "tables (whole)", mb)
        if isinstance(ours, dict):
            ox, split = results.get("oxedi parse_file"), results.get("rust split")
            if isinstance(ox, dict):
                print(f"tables vs oxedi parse_file: {ox['cpu'] / ours['cpu']:.1f}x (goal >= 10x)")
            if isinstance(split, dict):
                print(f"tables vs rust split: {split['cpu'] / ours['cpu']:.0%} of its speed (goal >= 25%)")
            models, old = results.get("parse_835_file"), results.get("pure-Python parser")
            if isinstance(models, dict):
                if isinstance(ox, dict):
                    print(f"models vs oxedi parse_file: {ox['cpu'] / models['cpu']:.2f}x (goal >= 3x)")
                if isinstance(old, dict):
                    print(f"models vs the pure-Python parser: {old['cpu'] / models['cpu']:.1f}x")


if __name__ == "__main__":
    main()
