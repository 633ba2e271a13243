"""What the ledger costs a service line in an encode run, call by call (a script, not a timed test).

    python benchmarks/bench_ledger.py [--rows 100000,1000000] [--backends sqlite,postgresql]
                                      [--old main] [--repeat 3]

For each size: generate a service log with fixtures/make_service_log.py (not timed), then run
``encode`` in a child process with a fresh ledger wrapped in a proxy that times each ledger call
(``billed`` before the billing lock and inside it, ``reserve``, ``record_claims``,
``record_interchange``, BEGIN and COMMIT of the unit's transaction) and encode's ``SeenIds``.
``--old REF`` runs the same children on the sources of git ref REF (``git archive``, the compiled
core of this tree beside them), so old and new are measured in one run. PostgreSQL runs on a
throwaway server (tests/pg_server.py; fsync off, as in the tests). Medians of ``--repeat`` runs,
in microseconds per billed line; ``ledger`` sums the ledger's calls (not ``seen``), ``encode``
is the whole run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from benchlib import run_json

ROOT = Path(__file__).resolve().parents[1]
CALLS = ("seen", "billed", "reserve", "begin", "recheck", "record_claims", "record_interchange", "commit")


class TimedLedger:
    """The ledger's methods encode calls, timed; everything else passes through."""

    def __init__(self, ledger) -> None:
        self._ledger = ledger
        self.seconds = dict.fromkeys(CALLS, 0.0)
        self._locked = False

    def __getattr__(self, name):
        return getattr(self._ledger, name)

    def _timed(self, call, fn, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.seconds[call] += time.perf_counter() - t0

    def billed(self, service_ids):
        ids = list(service_ids)  # the generator's own work is encode's, not the ledger's
        return self._timed("recheck" if self._locked else "billed", self._ledger.billed, ids)

    def reserve(self, *args, **kwargs):
        return self._timed("reserve", self._ledger.reserve, *args, **kwargs)

    def record_claims(self, claims, lines, **kwargs):
        return self._timed("record_claims", self._ledger.record_claims, claims, lines, **kwargs)

    def record_interchange(self, **kwargs):
        return self._timed("record_interchange", self._ledger.record_interchange, **kwargs)

    @contextmanager
    def transaction(self, immediate: bool = True):
        t0 = time.perf_counter()
        cm = self._ledger.transaction(immediate)
        db = cm.__enter__()
        self.seconds["begin"] += time.perf_counter() - t0
        self._locked = True
        try:
            yield db
        except BaseException:
            self._locked = False
            if not cm.__exit__(*sys.exc_info()):
                raise
        else:
            self._locked = False
            t0 = time.perf_counter()
            cm.__exit__(None, None, None)
            self.seconds["commit"] += time.perf_counter() - t0


def child_encode(log: str, work: str, spec: str) -> dict:
    import sdohedi.pipeline.encode as encode_module
    from sdohedi.ledger import open_ledger
    from sdohedi.models.config import load_config

    config = load_config(ROOT / "fixtures" / "nle.toml")
    seen_seconds = [0.0]
    plain_seen = encode_module.SeenIds

    class TimedSeen(plain_seen):
        def add_batch(self, ids):
            t0 = time.perf_counter()
            try:
                return super().add_batch(ids)
            finally:
                seen_seconds[0] += time.perf_counter() - t0

    encode_module.SeenIds = TimedSeen
    with open_ledger(spec if spec != "sqlite" else Path(work) / "ledger.sqlite") as ledger:
        timed = TimedLedger(ledger)
        t0 = time.perf_counter()
        summary = encode_module.encode([log], config, out_dir=Path(work) / "out", ledger=timed)
        seconds = time.perf_counter() - t0
    timed.seconds["seen"] = seen_seconds[0]
    return {"seconds": seconds, "lines": summary.billed_rows, "calls": timed.seconds}


def _export(ref: str, into: Path) -> Path:
    """The sources of git ref ``ref`` under ``into``, with this tree's compiled core beside them."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src", "schemas"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for so in (ROOT / "src" / "sdohedi").glob("_core*.so"):
        shutil.copy2(so, into / "src" / "sdohedi" / so.name)
    return into / "src"


def run_child(log: Path, spec: str, src: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = f"{src}{os.pathsep}{env['PYTHONPATH']}" if env.get("PYTHONPATH") else str(src)
    with tempfile.TemporaryDirectory() as work:
        cmd = [sys.executable, __file__, "--child", str(log), work, spec]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode:
            raise SystemExit(f"child failed: {proc.stderr[-3000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="100000,1000000")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--old", default="", help="git ref whose ledger to measure beside this tree's (e.g. main)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--old-repeat", type=int, help="runs of the old code (default: --repeat)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child_encode(*args.child)))
        return
    print(f"sdohedi ledger benchmark  {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC  "
          f"Python {platform.python_version()}  {platform.machine()}  us per billed line, median of {args.repeat}")
    header = f"{'rows':>9} {'backend':<10} {'code':<5} " + " ".join(f"{c:>9}" for c in CALLS)
    print(header + f" {'ledger':>8} {'encode':>8}")
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        trees: list[tuple[str, Path | None]] = [("new", None)]
        if args.old:
            old = Path(tmp) / "old"
            old.mkdir()
            trees.insert(0, ("old", _export(args.old, old)))
        try:
            for n in [int(s) for s in args.rows.split(",") if s]:
                log = Path(tmp) / f"log{n}.csv"
                subprocess.run([sys.executable, str(ROOT / "fixtures" / "make_service_log.py"), "--rows", str(n),
                                "--out", str(log)], check=True)
                for backend in args.backends.split(","):
                    runs: dict[str, list[dict]] = {label: [] for label, _ in trees}
                    # old and new take turns, so a change in the machine's load falls on both
                    for i in range(max(args.repeat, args.old_repeat or 0)):
                        for label, src in trees:
                            repeat = args.old_repeat if label == "old" and args.old_repeat else args.repeat
                            if i >= repeat:
                                continue
                            spec = "sqlite"
                            if backend == "postgresql":
                                if server is None:
                                    sys.path.insert(0, str(ROOT / "tests"))
                                    from pg_server import PgServer

                                    server = PgServer()
                                spec = server.new_database(f"bench_{label}_{n}_{i}")
                            runs[label].append(run_child(log, spec, src))
                    for label, _ in trees:
                        done = runs[label]
                        lines = done[0]["lines"]
                        per = {c: statistics.median(r["calls"][c] for r in done) / lines * 1e6 for c in CALLS}
                        ledger = statistics.median(sum(r["calls"][c] for c in CALLS if c != "seen")
                                                   for r in done) / lines * 1e6
                        whole = statistics.median(r["seconds"] for r in done) / lines * 1e6
                        print(f"{n:>9,} {backend:<10} {label:<5} " + " ".join(f"{per[c]:>9.2f}" for c in CALLS)
                              + f" {ledger:>8.2f} {whole:>8.2f}  ({len(done)} runs)", flush=True)
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
