"""The unit-rendering stage of `sdohedi encode`: checked, sorted lines -> claims -> 837P text
and the ledger's rows (a script, not a timed test).

    python benchmarks/bench_render.py [--rows 200000,1000000] [--quick]

For each size: generate a service log with fixtures/make_service_log.py, check and sort its
rows (not timed), then time, on the same lines, unit by unit (one per payer):
  * ``models``: the path write_unit replaced (tests/unit_oracle.py): grouping.build_claims builds
    Claim models, the ledger rows are made from them, write_837p renders them;
    ``build_claims`` alone (``of which model building``: inside it, the _unchecked_claim calls),
    and ``_core.write_837p`` alone on the claims already built;
  * ``core``: write_unit, grouping and rendering in the core from columns
    (``_core.write_837p_lines``), ledger rows included;
  * ``ceiling``: a bare csv.reader + f-string writer over the log file (bench_encode.py's).
The ledger rows go to a callback that keeps only their count. Output goes to a sink that
counts characters. Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the replaced path lives on as the tests' oracle

TODAY = dt.date(2026, 11, 1)
STAMP = dt.datetime(2026, 11, 2, 9, 30)


def checked_units(log: Path, config) -> dict[str, list[tuple]]:
    from sdohedi.pipeline.ingest import L, Reject, RowChecker, read_rows

    checker = RowChecker(config, today=TODAY)
    seen: set[str] = set()
    units: dict[str, list[tuple]] = defaultdict(list)
    for n, raw in read_rows(log):
        line = checker.check(n, raw, str(log))
        if isinstance(line, Reject) or line[L["service_id"]] in seen:
            continue
        seen.add(line[L["service_id"]])
        units[line[L["payer"]]].append(line)
    return {k: sorted(v) for k, v in units.items()}


def unit_args(payer_key, lines, config, sink, counter):
    from sdohedi.pipeline.grouping import Parties
    from sdohedi.pipeline.units import UnitNumbers

    def record(_claim_row, line_rows):
        counter[0] += len(line_rows)

    return dict(payer_key=payer_key, config=config, parties=Parties(config), numbers=UnitNumbers(1, 1, 1, len(lines)),
                write=sink, timestamp=STAMP, reject=lambda r: None, payer_claim_numbers={}, record=record)


def time_stage(units, config, writer) -> tuple[float, int, int]:
    """(seconds, characters written, ledger line rows)."""
    size, rows = [0], [0]

    def sink(text):
        size[0] += len(text)

    seconds = 0.0
    for payer_key, lines in units.items():
        args = unit_args(payer_key, lines, config, sink, rows)
        t0 = time.perf_counter()
        writer(iter(lines), **args)
        seconds += time.perf_counter() - t0
    return seconds, size[0], rows[0]


def time_parts(units, config) -> dict[str, float]:
    """build_claims alone, the model building inside it, and _core.write_837p on built claims."""
    import unit_oracle as grouping  # build_claims and _unchecked_claim live on there
    from sdohedi.claims837p import write_837p
    from sdohedi.pipeline.encode import _parties_of

    inside = [0.0]
    real = grouping._unchecked_claim

    def timed(*a):
        t0 = time.perf_counter()
        try:
            return real(*a)
        finally:
            inside[0] += time.perf_counter() - t0

    out = {"build_claims": 0.0, "write_837p": 0.0}
    grouping._unchecked_claim = timed
    try:
        for payer_key, lines in units.items():
            ids = iter(range(1, 10**9))
            parties = grouping.Parties(config)
            t0 = time.perf_counter()
            built = [b.claim for b in grouping.build_claims(lines, parties, lambda _p: f"H{next(ids):010d}",
                                                            reject=lambda r: None)]
            out["build_claims"] += time.perf_counter() - t0
            submitter, receiver, envelope = _parties_of(config, payer_key)
            t0 = time.perf_counter()
            write_837p(built, lambda s: None, submitter=submitter, receiver=receiver, envelope=envelope,
                       interchange_control_number=1, group_control_number=1, timestamp=STAMP)
            out["write_837p"] += time.perf_counter() - t0
    finally:
        grouping._unchecked_claim = real
    out["model building"] = inside[0]
    return out


def ceiling(log: Path) -> float:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_encode import child_ceiling

    with tempfile.TemporaryDirectory() as work:
        return child_ceiling(str(log), work)["seconds"]


def main() -> None:
    from sdohedi.models.config import load_config
    from sdohedi.pipeline.encode import write_unit
    from unit_oracle import write_unit_from_models

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="200000,1000000")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="5,000 rows, one run (CI smoke)")
    args = ap.parse_args()
    sizes = [5000] if args.quick else [int(s) for s in args.rows.split(",")]
    repeat = 1 if args.quick else args.repeat
    config = load_config(ROOT / "fixtures" / "nle.toml")
    print(f"sdohedi unit-rendering benchmark  {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC  "
          f"Python {platform.python_version()}  {platform.machine()}")
    print(f"{'rows':>10} {'what':<28} {'lines/s':>11} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            log = Path(tmp) / f"log{n}.csv"
            subprocess.run([sys.executable, str(ROOT / "fixtures" / "make_service_log.py"), "--rows", str(n),
                            "--out", str(log)], check=True)
            units = checked_units(log, config)
            lines = sum(len(v) for v in units.values())
            results = {}
            for name, writer in (("models (build_claims+write)", write_unit_from_models), ("core (write_837p_lines)", write_unit)):
                runs = [time_stage(units, config, writer) for _ in range(repeat)]
                results[name] = min(r[0] for r in runs)
                assert {r[1:] for r in runs} == {runs[0][1:]} and runs[0][2] == lines
            sizes_written = {time_stage(units, config, w)[1:] for w in (write_unit_from_models, write_unit)}
            assert len(sizes_written) == 1, "the two paths wrote different amounts"
            parts = time_parts(units, config)
            bare = min(ceiling(log) for _ in range(repeat))
            for name, seconds in results.items():
                print(f"{lines:>10,} {name:<28} {lines / seconds:>11,.0f} {seconds:>8.2f}")
            for name, seconds in parts.items():
                print(f"{lines:>10,} {'  ' + name:<28} {lines / seconds:>11,.0f} {seconds:>8.2f}"
                      f"  ({seconds / lines * 1e6:.2f} us/line)")
            print(f"{n:>10,} {'ceiling (csv.reader+f-str)':<28} {n / bare:>11,.0f} {bare:>8.2f}  (rows of the log)")
            old, new = results["models (build_claims+write)"], results["core (write_837p_lines)"]
            print(f"{'':>10} core / models: {old / new:.2f}x; core at {(lines / new) / (n / bare):.0%} of the ceiling's "
                  f"rate, models at {(lines / old) / (n / bare):.0%}")


if __name__ == "__main__":
    main()
