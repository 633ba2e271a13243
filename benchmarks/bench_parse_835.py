#!/usr/bin/env python
"""Throughput and memory of the streaming 835 parser, beside a bare chunked split ceiling.

    python benchmarks/bench_parse_835.py                 # 10 MB and 50 MB files, median of 3 runs
    python benchmarks/bench_parse_835.py --sizes 10      # only the 10 MB file
    python benchmarks/bench_parse_835.py --quick         # 1 MB, 1 run (smoke test)
    python benchmarks/bench_parse_835.py --runs 5 --claims-per-payment 500
    python benchmarks/bench_parse_835.py --big-st 20000   # also one ST/SE of 20,000 claims

What is measured (each configuration in its own subprocess, so ``ru_maxrss`` is its own), as
wall-clock and as CPU time of the process (the CPU figure is the steadier one on a shared
machine):
  * ``parse to models``: ``Parser835`` fed 64 KiB chunks of the file, every ``Remittance`` (with
    its claims, service lines, adjustments...) built as pydantic models, then dropped, as a
    posting job would do after storing it. The claims and lines are counted and CLP04 summed
    so nothing is left unbuilt.
  * ``parse + balance``: the same, plus ``balance_findings`` on every remittance.
  * ``claim by claim``: ``Parser835.feed_claims``, every claim dropped as it comes (with
    ``stream_balance_findings``): memory bounded by one claim instead of one ST/SE.
  * ``segment text only``: the parser's cut, ``Tokenizer(join_lines=True).feed_batches`` (one
    string per segment, no models).
  * ``x12.Tokenizer``: the same tokenizer's ``Segment`` objects (a list of strings each), for comparison.
  * ``split ceiling``: read 64 KiB chunks, ``split('~')`` then ``split('*')``, keep nothing.
  * ``floor: split+objs``: the split ceiling plus creating the same model objects the parser
    builds, the cheapest way (``object.__new__`` + a copy of each field dict): the least any
    parser that builds these objects spends; the rest of a target's time is all it has for
    parsing logic (peak RSS includes the objects, prepared untimed).
  * ``python + imports``: the baseline RSS of a child that imports sdohedi and parses nothing.

The input is written once by ``sdohedi.remit835.write_835`` (so it is valid 005010X221A1)
into ``--cache-dir`` and reused: payments of ``--claims-per-payment`` claims (one ST/SE each,
the way a payer sends one 835 per check or EFT), every claim with 3 social-care service
lines (S5170/T1016/T2003 with modifiers, DTM*472, CAS, REF*6R, AMT*B6, some LQ), a patient
and rendering-provider NM1, a statement period, and some claim-level CAS. A pool of distinct
payments is cycled until the file reaches the requested size.

``--big-st N`` adds a file of one payment of N claims (one ST/SE, about 490 bytes a claim),
the case where reading whole remittances holds the whole file: peak RSS of both modes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from benchlib import CHUNK, Clock, chunks, maxrss_mb, model_objects, run_json, split_and_objects_floor, split_ceiling

POOL = 20  # distinct payments, cycled
TIMESTAMP = dt.datetime(2026, 11, 2, 9, 30)


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------

def build_payment(k: int, claims_per_payment: int):
    """One balanced remittance of ``claims_per_payment`` claims, built with validating constructors."""
    from sdohedi.models.remit import (
        Address, Adjustment, ClaimPayment, Communication, Contact, PartyName, Payee, Payer, QualifiedDate, Remark,
        Remittance, ServicePayment,
    )

    codes = [("S5170", ["U6"]), ("T1016", ["U8", "GQ"]), ("T2003", []), ("H0043", ["U6"]), ("S9977", ["U6", "U4"])]
    day0 = dt.date(2026, 9, 1) + dt.timedelta(days=k % 28)
    claims = []
    for c in range(claims_per_payment):
        lines = []
        claim_paid = Decimal(0)
        claim_charge = Decimal(0)
        for n in range(3):
            code, mods = codes[(k + c + n) % len(codes)]
            charge = Decimal(20 + (c * 7 + n * 13) % 180) + Decimal("0.50")
            adjustments = [Adjustment(group="CO", reason="45", amount=Decimal("4.25"))]
            if (c + n) % 4 == 0:
                adjustments.append(Adjustment(group="PR", reason="3", amount=Decimal("5")))
            paid = charge - sum(a.amount for a in adjustments)
            remarks = [Remark(code="N290")] if (c + n) % 9 == 0 else []
            lines.append(ServicePayment(
                qualifier="HC", procedure_code=code, modifiers=mods, charge=charge, paid=paid,
                units=Decimal(1 + (c + n) % 4), service_date=day0 + dt.timedelta(days=n),
                adjustments=adjustments, line_control_number=f"{k:03d}{c:05d}-{n + 1}",
                allowed_amount=charge - Decimal("4.25"), remarks=remarks,
            ))
            claim_paid += paid
            claim_charge += charge
        claim_adjustments = []
        if c % 10 == 0:  # a claim-level reduction now and then
            claim_adjustments.append(Adjustment(group="OA", reason="94", amount=Decimal("1.00")))
            claim_paid -= Decimal("1.00")
        claims.append(ClaimPayment(
            claim_id=f"NLE{k:03d}{c:06d}", status_code="1", charge=claim_charge, paid=claim_paid,
            patient_responsibility=sum((a.amount for s in lines for a in s.adjustments if a.group == "PR"),
                                       Decimal(0)),
            filing_indicator="MC", payer_claim_number=f"26{k:03d}{c:08d}", frequency="1", header_number="1",
            adjustments=claim_adjustments,
            patient=PartyName(entity_code="QC", entity_type="1", last_name=f"MEMBER{c % 977}", first_name="ALEX",
                              id_qualifier="MI", identifier=f"MBR{(k * 7919 + c) % 10**8:08d}"),
            rendering_provider=PartyName(entity_code="82", entity_type="2", last_name="GOOD FOOD KITCHEN",
                                         id_qualifier="XX", identifier="1245319599"),
            dates=[QualifiedDate(qualifier="232", date=day0),
                   QualifiedDate(qualifier="233", date=day0 + dt.timedelta(days=2))],
            services=lines,
        ))
    total = sum((c.paid for c in claims), Decimal(0))
    return Remittance(
        interchange_control_number="1", interchange_sender_id="CHP01", interchange_receiver_id="NLE001",
        group_control_number="1", application_sender="CHP01", application_receiver="NLE001", version="005010X221A1",
        transaction_control_number="0001", handling_code="I", total_payment=total, credit_debit="C",
        payment_method="ACH", payment_format="CCP", sender_dfi_qualifier="01", sender_dfi_id="999999992",
        sender_account_qualifier="DA", sender_account_number="123456", originator_id="1512345678",
        receiver_dfi_qualifier="01", receiver_dfi_id="999988880", receiver_account_qualifier="DA",
        receiver_account_number="98765", payment_date=dt.date(2026, 10, 15), trace_number=f"EFT{k:09d}",
        trace_payer_id="1512345678", production_date=dt.date(2026, 10, 14),
        payer=Payer(name="CASCADE HEALTH PLAN", address=Address(line1="1 PLAN WAY", city="PORTLAND", state="OR",
                                                                  postal_code="97201"),
                    contacts=[Contact(function="BL", name="EDI HELP", communications=[
                        Communication(qualifier="TE", number="5035550199")])]),
        payee=Payee(name="HARBOR NETWORK LEAD", id_qualifier="XX", id="1234567893"),
        claims=claims,
    )


def file_name(megabytes: float, claims_per_payment: int) -> str:
    if megabytes <= 0:  # one ST/SE
        return f"remit-1st-{claims_per_payment}claims.835"
    return f"remit-{megabytes:g}MB-{claims_per_payment}cpp.835"


def file_for(cache_dir: Path, megabytes: float, claims_per_payment: int) -> Path:
    """The cached input; ``megabytes`` 0 means one payment of ``claims_per_payment`` claims."""
    path = cache_dir / file_name(megabytes, claims_per_payment)
    if not path.exists():
        # In a child: a parent that grew while generating would pass its peak RSS on to every
        # child it starts (Linux keeps ru_maxrss across fork and exec).
        subprocess.run([sys.executable, __file__, "--child-generate", str(cache_dir), str(megabytes),
                        str(claims_per_payment)], check=True)
    return path


def generate(cache_dir: Path, megabytes: float, claims_per_payment: int) -> Path:
    from sdohedi.remit835 import write_835

    path = cache_dir / file_name(megabytes, claims_per_payment)
    cache_dir.mkdir(parents=True, exist_ok=True)
    pool = [build_payment(k, claims_per_payment) for k in range(POOL if megabytes > 0 else 1)]
    target = int(megabytes * 1_000_000) if megabytes > 0 else 1
    written = 0

    def payments():  # reads ``written``, which write() below advances
        k = 0
        while written < target:
            yield pool[k % POOL]
            k += 1

    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="ascii", buffering=CHUNK) as f:
        def write(text: str) -> None:
            nonlocal written
            written += len(text)
            f.write(text)
        write_835(payments(), write, sender_id="CHP01", receiver_id="NLE001", interchange_control_number=1,
                  group_control_number=1, timestamp=TIMESTAMP)
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------------------------
# What a child process runs
# --------------------------------------------------------------------------------------------

class Totals:
    """What a parse run counts, so that nothing it parses is left unbuilt."""

    def __init__(self) -> None:
        self.claims = self.lines = self.findings = 0
        self.paid = Decimal(0)

    def run(self, path: str, feed, close, take) -> dict:
        """``take`` what ``feed`` returns for each 64 KiB chunk of the file, then what ``close`` returns."""
        for chunk in chunks(path):
            take(feed(chunk))
        take(close())
        return {"claims": self.claims, "lines": self.lines, "paid": str(self.paid), "findings": self.findings}


def run_parse(path: str, balance: bool = False) -> dict:
    from sdohedi.remit835 import Parser835, balance_findings

    parser = Parser835()
    t = Totals()

    def take(remittances) -> None:
        for r in remittances:
            t.claims += len(r.claims)
            for c in r.claims:
                t.lines += len(c.services)
                t.paid += c.paid
            t.findings += len(r.findings)
            if balance:
                t.findings += len(balance_findings(r))

    return t.run(path, parser.feed, parser.close, take)


def run_claims(path: str) -> dict:
    from sdohedi.models.remit import RemittanceClaim
    from sdohedi.remit835 import Parser835, stream_balance_findings

    parser = Parser835()
    t = Totals()

    def take(items) -> None:
        for item in items:
            if isinstance(item, RemittanceClaim):
                t.claims += 1
                t.lines += len(item.claim.services)
                t.paid += item.claim.paid
            else:
                t.findings += len(item.remittance.findings)
            t.findings += len(stream_balance_findings(item))

    return t.run(path, parser.feed_claims, parser.close_claims, take)


def run_segment_text(path: str) -> dict:
    from sdohedi.x12 import Tokenizer

    s = Tokenizer(strict=False, join_lines=True)
    n = 0
    for chunk in chunks(path):
        for _start, _delimiters, segments in s.feed_batches(chunk):
            n += len(segments)
    for _start, _delimiters, segments in s.close_batches():
        n += len(segments)
    return {"segments": n}


def run_tokenizer(path: str) -> dict:
    from sdohedi.x12 import Tokenizer

    t = Tokenizer()
    n = 0
    for chunk in chunks(path):
        n += len(t.feed(chunk))
    n += len(t.close())
    return {"segments": n}


def run_ceiling(path: str) -> dict:
    return {"segments": split_ceiling(path)}


def run_baseline(path: str) -> dict:
    import sdohedi.remit835  # noqa: F401  (same imports as the parser runs)
    return {}


KINDS = {
    "parse to models": lambda p: run_parse(p),
    "parse + balance": lambda p: run_parse(p, balance=True),
    "claim by claim": run_claims,
    "segment text only": run_segment_text,
    "x12.Tokenizer": run_tokenizer,
    "split ceiling": run_ceiling,
    "floor: split+objs": None,  # see child()
    "python + imports": run_baseline,
}


def child(kind: str, path: str) -> None:
    if kind != "split ceiling":  # imports are not part of what is timed (pydantic builds the
        import sdohedi.models.remit  # noqa: F401   models' validators on import: ~0.15 s)
        import sdohedi.remit835  # noqa: F401
        import sdohedi.x12  # noqa: F401
    if kind == "floor: split+objs":
        from sdohedi.remit835 import parse_835_file

        objects = model_objects(parse_835_file(path))  # not timed; peak RSS then includes them
        with Clock() as clock:
            info = split_and_objects_floor(path, objects)
        print(json.dumps({"seconds": clock.wall, "cpu_seconds": clock.cpu, "rss_mb": maxrss_mb(), **info}))
        return
    with Clock() as clock:
        info = KINDS[kind](path)
    print(json.dumps({"seconds": clock.wall, "cpu_seconds": clock.cpu, "rss_mb": maxrss_mb(), **info}))


def measure(kind: str, path: Path, runs: int) -> dict:
    results = [run_json([sys.executable, __file__, "--child", kind, str(path)], f"child {kind} failed")
               for _ in range(runs)]
    size_mb = path.stat().st_size / 1e6
    seconds = statistics.median(r["seconds"] for r in results)
    cpu = statistics.median(r["cpu_seconds"] for r in results)
    out = dict(results[0])
    out.update(seconds=seconds, cpu_seconds=cpu, mb_per_s=size_mb / seconds if seconds else float("inf"),
               cpu_mb_per_s=size_mb / cpu if cpu else float("inf"), rss_mb=max(r["rss_mb"] for r in results))
    return out


def table(kinds, path: Path, runs: int) -> None:
    """One row per configuration, measured on ``path`` (the baseline's RSS once, the others ``runs`` times)."""
    print(f"  {'what':<18} {'MB/s':>8} {'seconds':>8} {'CPU MB/s':>9} {'CPU s':>7} {'peak RSS MB':>12}  detail")
    for kind in kinds:
        r = measure(kind, path, 1 if kind == "python + imports" else runs)
        if kind == "python + imports":
            print(f"  {kind:<18} {'':>8} {'':>8} {'':>9} {'':>7} {r['rss_mb']:12.1f}")
            continue
        detail = {k: v for k, v in r.items()
                  if k not in ("seconds", "cpu_seconds", "mb_per_s", "cpu_mb_per_s", "rss_mb")}
        print(f"  {kind:<18} {r['mb_per_s']:8.1f} {r['seconds']:8.3f} {r['cpu_mb_per_s']:9.1f} "
              f"{r['cpu_seconds']:7.3f} {r['rss_mb']:12.1f}  {json.dumps(detail)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[10, 50], help="file sizes in MB (default 10 50)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--claims-per-payment", type=int, default=200)
    ap.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "sdohedi-bench")
    ap.add_argument("--quick", action="store_true", help="1 MB, 1 run")
    ap.add_argument("--big-st", type=int, default=0, metavar="CLAIMS",
                    help="also a file of one ST/SE with this many claims (e.g. 20000)")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    ap.add_argument("--child-generate", nargs=3, metavar=("DIR", "MB", "CPP"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.child_generate:
        cache_dir, megabytes, cpp = args.child_generate
        generate(Path(cache_dir), float(megabytes), int(cpp))
        return
    if args.quick:
        args.sizes, args.runs = [1], 1
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus; "
          f"median of {args.runs} runs; 64 KiB chunks; {args.claims_per_payment} claims (x3 lines) per ST/SE")
    for size in args.sizes:
        path = file_for(args.cache_dir, size, args.claims_per_payment)
        mb = path.stat().st_size / 1e6
        print(f"\n{path.name}: {mb:.1f} MB")
        kinds = list(KINDS) if size == args.sizes[0] else ["parse to models", "claim by claim", "split ceiling",
                                                           "python + imports"]
        table(kinds, path, args.runs)
    if args.big_st:
        path = file_for(args.cache_dir, 0, args.big_st)
        print(f"\n{path.name}: {path.stat().st_size / 1e6:.1f} MB, one ST/SE of {args.big_st} claims")
        table(("parse to models", "claim by claim", "python + imports"), path, args.runs)


if __name__ == "__main__":
    main()
