#!/usr/bin/env python
"""Throughput and memory of ``sdohedi validate`` against the std-only Rust split, the pure Python
engine it replaced and pyx12's validator, in the same run.

    python benchmarks/bench_validate.py                 # ~10 MB 837P and 835, ~1.5 MB slice for pyx12
    python benchmarks/bench_validate.py --mb 10 --slice-mb 1.5 --repeat 3
    python benchmarks/bench_validate.py --no-pyx12      # skip pyx12 (minutes on a loaded machine)
    python benchmarks/bench_validate.py --quick         # 1 MB / 0.3 MB (smoke test)

What is measured
  * A ~10 MB 837P interchange written by ``sdohedi.claims837p.write_837p`` from a pool of
    valid SDOH claims (core procedure codes and modifiers, Z codes billable on their dates,
    NPIs with good check digits), so a correct validator reports nothing on it; the script
    checks that ours reports 0 findings.
  * pyx12 4.0.0 (``x12n_document``, no 999, no HTML) is too slow for the whole file (RESULTS.md), so it
    validates a ~1.5 MB slice: a complete interchange written from the same pool. We also time ours on
    that slice, so both validators are compared on identical bytes too.
  * Each measurement runs in its own subprocess (this script with ``--child``), so peak RSS
    (``ru_maxrss``) is that run's own. Wall-clock and CPU seconds are both reported; on a
    shared machine CPU seconds are the steadier figure. Medians of ``--repeat`` runs.
  * The same ~10 MB 837P and a ~10 MB 835 (benchmarks/bench_parse_835.py's file) are also cut by
    benchmarks/split_ceiling.rs (std-only Rust: segments and elements, nothing kept) and validated
    by the old pure-Python engine (tests/validate/oracle/engine.py) and by the core alone
    (``_core.Validator``, content checks included, its events counted but not made ``Finding``
    models), to show where the time goes.
  * The ratio to the split is the median of paired runs: the split runs right before each run of
    ours (and of the core alone), and each pair gives one ratio, so a change in the machine's load
    between the runs moves both sides of a pair.
  * Targets: our MB/s at least 30 times pyx12's; at least 10% of the split's (issue 16).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
from decimal import Decimal

from benchlib import Clock, maxrss_mb, pyx12_validator, run_json

TARGET_RATIO = 30.0
SPLIT_TARGET = 0.10
HERE = os.path.dirname(os.path.abspath(__file__))


def build_pool(size: int = 500) -> list:
    """Distinct valid claims: codes checked against the bundled code set as they are built."""
    from sdohedi.codes import CodeSet
    from sdohedi.models import (
        Address, BillingProvider, Claim, Patient, Payer, RenderingProvider, ServiceLine, Subscriber,
    )
    from sdohedi.models.fields import npi_check_digit_ok

    codes = CodeSet.bundled()
    npis = [n for n in (f"1{i:08d}{c}" for i in range(123456, 123600) for c in "0123456789") if npi_check_digit_ok(n)]
    services = [("S5170", ("U6",), "12.50"), ("T2003", (), "31.75"), ("H0043", ("U6",), "95.00"),
                ("S9470", (), "48.20"), ("T1016", ("HN", "U6"), "22.10"), ("S5130", ("U6",), "26.40")]
    z_codes = ["Z5941", "Z5948", "Z5900", "Z5901", "Z59811", "Z5982", "Z5987", "Z560", "Z602", "Z6372", "Z658",
               "Z59869"]
    names = ["RIVERA", "NGUYEN", "SMITH", "GARCIA", "LEE", "BROWN", "DAVIS", "LOPEZ", "WILSON", "MOORE"]
    cities = [("SALEM", "97301"), ("EUGENE", "97401"), ("PORTLAND", "97201"), ("BEND", "97701")]
    billing = [
        BillingProvider(name="HARBOR NETWORK LEAD", npi=npis[0], tax_id="931234567", taxonomy="251V00000X",
                        address=Address(line1="100 MAIN ST", city="PORTLAND", state="OR", zip="97201")),
        BillingProvider(name="VALLEY COMMUNITY HUB", tax_id="931112222", payer_assigned_id="ATYP7788",
                        address=Address(line1="55 MILL ST", city="SALEM", state="OR", zip="973011234")),
    ]
    payers = [Payer(name="CASCADE HEALTH PLAN", payer_id="CHP01", claim_filing_indicator="MC"),
              Payer(name="SUMMIT CARE", payer_id="SUM22", claim_filing_indicator="HM")]
    renderers = [RenderingProvider(name="GOOD FOOD KITCHEN", taxonomy="332U00000X", secondary_id="CBO-MEALS-1"),
                 RenderingProvider(name="RIVER RIDES", npi=npis[1], taxonomy="343900000X"),
                 RenderingProvider(entity_type="1", name="OKAFOR", first_name="ADA", taxonomy="172V00000X",
                                   secondary_id="CHW-0042")]
    pool = []
    for i in range(size):
        member = i // 3  # three claims per member, so subscriber loops are shared
        city, zip_ = cities[member % len(cities)]
        sub = Subscriber(member_id=f"MBR{member:08d}", last_name=names[member % len(names)], first_name="ANA",
                         birth_date=dt.date(1940 + member % 50, member % 12 + 1, member % 28 + 1), sex="MF"[member % 2],
                         address=Address(line1=f"{10 + member} OAK AVE", city=city, state="OR", zip=zip_))
        patient = None
        if member % 5 == 4:
            patient = Patient(last_name=sub.last_name, first_name="LUIS", birth_date=dt.date(2012, 5, 5), sex="M",
                              relationship="19", address=sub.address)
        start = dt.date(2026, 1, 5) + dt.timedelta(days=(i * 7) % 260)
        n_dx = 1 + i % 3
        dx = tuple(z_codes[(i + k) % len(z_codes)] for k in range(n_dx))
        lines = []
        for k in range(3):
            code, mods, unit = services[(i + k) % len(services)]
            day = start + dt.timedelta(days=k)
            assert codes.procedure_problems(code, mods, day) == []
            lines.append(ServiceLine(procedure_code=code, modifiers=mods, charge=Decimal(unit) * (1 + k % 2),
                                     units=Decimal(1 + k % 2), service_date=day, diagnosis_pointers=(1,),
                                     line_control_number=f"L{i:06d}-{k + 1}"))
        for code in dx:
            assert all(codes.diagnosis_problem(code, ln.service_date) is None for ln in lines), code
        pool.append(Claim(
            claim_id=f"V{i:07d}", place_of_service=("12", "99", "02")[i % 3], diagnoses=dx, lines=tuple(lines),
            billing_provider=billing[member % 2], subscriber=sub, patient=patient, payer=payers[member % 2],
            rendering_provider=renderers[i % len(renderers)],
        ))
    return pool


def write_file(path: str, megabytes: float) -> dict:
    """Write an 837P of about ``megabytes`` MB; returns claims and bytes."""
    import itertools

    from bench_write_837p import run_writer  # the writer benchmark's parties, envelope and timestamp

    pool = build_pool()
    target = int(megabytes * 1_000_000)
    per_claim = 440  # bytes per 3-line claim, roughly; corrected below
    with open(path, "w", encoding="ascii") as f:
        n = max(1, target // per_claim)
        run_writer(itertools.islice(itertools.cycle(pool), n), f.write)
    return {"claims": n, "bytes": os.path.getsize(path)}


# -- children ---------------------------------------------------------------------------------------------------


def child_ours(path: str) -> dict:
    from sdohedi.validate import Validator, validate_file

    Validator()  # the tables and code lists load once per process: not timed
    with Clock() as clock:
        findings = sum(1 for _ in validate_file(path))
    return {"wall": clock.wall, "cpu": clock.cpu, "findings": findings}


def child_old(path: str) -> dict:
    sys.path[:0] = [os.path.join(HERE, "..", "tests"), os.path.join(HERE, "..", "tests", "validate")]
    from oracle.engine import validate_file
    from sdohedi.validate.guide import control_guide, load_guide

    load_guide("837.5010.X222.A1.xml")
    load_guide("835.5010.X221.A1.xml")
    control_guide()
    with Clock() as clock:
        findings = sum(1 for _ in validate_file(path))
    return {"wall": clock.wall, "cpu": clock.cpu, "findings": findings}


def child_core(path: str) -> dict:
    """The core's validator alone (SNIP 1-5): events counted, not turned into findings."""
    from sdohedi._core import Validator
    from sdohedi.codes import CodeSet
    from sdohedi.validate.engine import _known_groups, core_code_set
    from sdohedi.validate.lists import code_lists

    v = Validator(code_lists(), core_code_set(CodeSet.bundled()), _known_groups())
    with Clock() as clock:
        events = 0
        with open(path, "rb") as f:
            while chunk := f.read(1 << 16):
                events += len(v.feed(chunk))
        events += len(v.close())
    return {"wall": clock.wall, "cpu": clock.cpu, "findings": events}


def child_pyx12(path: str) -> dict:
    validate, errors = pyx12_validator(path)
    with Clock() as clock:
        ok = validate()
    return {"wall": clock.wall, "cpu": clock.cpu, "findings": len(errors), "ok": ok}


def run_child(which: str, path: str) -> dict:
    return run_json([sys.executable, __file__, "--child", which, path], f"child {which} failed")


def summarize(runs: list[dict], size: int) -> dict:
    wall = statistics.median(r["wall"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    return {"mb": size / 1e6, "wall_s": wall, "cpu_s": cpu, "mb_per_s_wall": size / 1e6 / wall,
            "mb_per_s_cpu": size / 1e6 / cpu, "peak_rss_mb": max(r["rss_mb"] for r in runs),
            "findings": runs[0]["findings"]}


def split_runs(exe: str, path: str, repeat: int) -> dict:
    """Median seconds of the std-only split over ``path`` (its read-and-cut loop)."""
    seconds = []
    for _ in range(repeat):
        out = json.loads(subprocess.run([exe, path], check=True, capture_output=True, text=True).stdout)
        seconds.append(out["seconds"])
    return {"wall_s": statistics.median(seconds), "mb_per_s_wall": os.path.getsize(path) / 1e6 / statistics.median(seconds)}


def build_split(tmp: str) -> str:
    exe = os.path.join(tmp, "split_ceiling")
    subprocess.run(["rustc", "-O", "-C", "codegen-units=1", "-o", exe, os.path.join(HERE, "split_ceiling.rs")],
                   check=True)
    return exe


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=10.0, help="size of the files we validate")
    ap.add_argument("--slice-mb", type=float, default=1.5, help="size of the slice pyx12 validates")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-pyx12", action="store_true", help="skip pyx12 (and the ratio to it)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--child", nargs=2, metavar=("WHICH", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        which, path = args.child
        result = {"ours": child_ours, "old": child_old, "core": child_core, "pyx12": child_pyx12}[which](path)
        result["rss_mb"] = maxrss_mb()
        print(json.dumps(result))
        return 0
    if args.quick:
        args.mb, args.slice_mb, args.repeat = 1.0, 0.3, 1

    from pathlib import Path

    from bench_parse_835 import file_for

    result: dict = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        big, small = os.path.join(tmp, "big.x12"), os.path.join(tmp, "slice.x12")
        big_info = write_file(big, args.mb)
        remit = str(file_for(Path(tmp), args.mb, 10))
        split = build_split(tmp)
        files = {"837p": (big, big_info["bytes"]), "835": (remit, os.path.getsize(remit))}
        for kind, (path, size) in files.items():
            # The split runs right before each run of ours and the core: the ratio of each pair is
            # taken on the same state of the (shared, noisy) machine, and the median of the pairs
            # reported.
            splits: list[float] = []
            runs: dict[str, list[dict]] = {"ours": [], "core": []}
            ratios: dict[str, list[float]] = {"ours": [], "core": []}
            for _ in range(args.repeat):
                for which in ("ours", "core"):
                    seconds = split_runs(split, path, 1)["wall_s"]
                    run = run_child(which, path)
                    splits.append(seconds)
                    runs[which].append(run)
                    ratios[which].append(seconds / run["wall"])
            row = {"split": {"wall_s": statistics.median(splits),
                             "mb_per_s_wall": size / 1e6 / statistics.median(splits)}}
            for which in ("ours", "core"):
                row[which] = summarize(runs[which], size)
            row["old"] = summarize([run_child("old", path) for _ in range(args.repeat)], size)
            row["ratio_to_split"] = statistics.median(ratios["ours"])
            row["core_ratio_to_split"] = statistics.median(ratios["core"])
            row["speedup_over_old"] = row["ours"]["mb_per_s_wall"] / row["old"]["mb_per_s_wall"]
            result[kind] = row
        if not args.no_pyx12:
            small_info = write_file(small, args.slice_mb)
            ours_small = summarize([run_child("ours", small) for _ in range(args.repeat)], small_info["bytes"])
            pyx = summarize([run_child("pyx12", small) for _ in range(max(1, min(args.repeat, 2)))],
                            small_info["bytes"])
            result["ours_slice"], result["pyx12_slice"] = ours_small, pyx
            result["ratio_wall"] = result["837p"]["ours"]["mb_per_s_wall"] / pyx["mb_per_s_wall"]
            result["ratio_cpu"] = result["837p"]["ours"]["mb_per_s_cpu"] / pyx["mb_per_s_cpu"]

    if args.json:
        print(json.dumps(result, indent=2))
    else:
        def line(name, r):
            return (f"  {name:<34} {r['wall_s']:7.2f} s wall  {r['mb_per_s_wall']:7.2f} MB/s wall  "
                    f"{r['mb_per_s_cpu']:7.2f} MB/s cpu  peak RSS {r['peak_rss_mb']:6.1f} MB  findings {r['findings']}")
        for kind in files:
            row = result[kind]
            print(f"{kind} ({row['ours']['mb']:.2f} MB), medians of {args.repeat}:")
            print(f"  {'split (Rust, std only)':<34} {row['split']['wall_s']:7.3f} s wall  "
                  f"{row['split']['mb_per_s_wall']:7.1f} MB/s")
            print(line("sdohedi validate (core + checks)", row["ours"]))
            print(line("core alone (events, no Finding models)", row["core"]))
            print(line("old pure-Python engine", row["old"]))
            print(f"  validate / split {row['ratio_to_split']:.1%} (target {SPLIT_TARGET:.0%}); core alone / split "
                  f"{row['core_ratio_to_split']:.1%} (medians of paired runs); {row['speedup_over_old']:.1f}x "
                  "the old engine")
        if not args.no_pyx12:
            print(line("sdohedi validate (slice)", result["ours_slice"]))
            print(line("pyx12 4.0.0 (slice)", result["pyx12_slice"]))
            print(f"speed-up over pyx12: {result['ratio_wall']:.1f}x wall, {result['ratio_cpu']:.1f}x cpu "
                  f"(target {TARGET_RATIO:.0f}x)")
        print(f"Python {result['python']}, {result['cpus']} CPUs")
    if result["837p"]["ours"]["findings"] or result["835"]["ours"]["findings"]:
        print("error: our validator reported findings on a valid file", file=sys.stderr)
        return 1
    return 0 if args.no_pyx12 or result["ratio_cpu"] >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
