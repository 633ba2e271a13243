#!/usr/bin/env python
"""Throughput and memory of the streaming 837P writer, against a hand-written f-string ceiling.

    python benchmarks/bench_write_837p.py                  # 100,000 claims x 3 lines, median of 3
    python benchmarks/bench_write_837p.py --claims 20000
    python benchmarks/bench_write_837p.py --quick          # 2,000 claims (CI smoke test)
    python benchmarks/bench_write_837p.py --to-file out.x12
    python benchmarks/bench_write_837p.py --rss-scale      # writer peak RSS at 10k, 100k, 1M claims

What is measured
  * ``write_837p``: ``sdohedi.claims837p.write_837p`` writing N claims of 3 service lines.
  * ``f-string ceiling``: a plain hand-written renderer (f-strings joined per claim, no checks,
    no abstraction) that produces the *same bytes* for the same claims (same envelopes, HL
    loops, ST/SE splitting every 5,000 claims, 100 claims per subscriber HL). The script
    checks that both streams are byte-identical (sha256) before timing them.
  * ``input only``: iterating the claim generator without writing, so the cost of the input
    itself is visible.

Each configuration runs in its own subprocess (this script with the hidden ``--child`` flag),
so its peak RSS (``ru_maxrss``) is its own. Claims are generated lazily: a pool of 1,000
distinct, validated ``Claim`` objects is built up front and cycled, so claim ids repeat every
1,000 claims (``--unique-ids`` gives every claim its own id via ``model_copy``, which costs time
and is charged to both writer and ceiling alike). Output goes to a sink that only counts
characters (all output is ASCII, so characters = bytes), or with ``--to-file`` to a real file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal

from benchlib import maxrss_mb, print_header, run_json

POOL_SIZE = 1000
LINES_PER_CLAIM = 3
ICN = 1  # interchange control number
GCN = 1  # group control number
TIMESTAMP = dt.datetime(2026, 11, 2, 9, 30)
TARGET_PCT = 25.0
RSS_FLAT_MB = 20.0
DEFAULT_SCALE_SIZES = (10_000, 100_000, 1_000_000)


# --------------------------------------------------------------------------------------------
# Input: a pool of distinct, validated claims, cycled lazily
# --------------------------------------------------------------------------------------------

def _valid_npis(count: int, rng: random.Random) -> list[str]:
    from sdohedi.models.fields import npi_check_digit_ok

    out: list[str] = []
    while len(out) < count:
        stem = "1" + "".join(rng.choice("0123456789") for _ in range(8))
        for check in "0123456789":
            if npi_check_digit_ok(stem + check):
                out.append(stem + check)
                break
    return out


def build_pool(size: int = POOL_SIZE, *, shared_parties: bool = False, seed: int = 837) -> list:
    """``size`` distinct claims of 3 lines each, built with the real (validating) constructors.

    Claims come grouped as a real batch would: by billing provider, then by member (most
    members have 1-8 claims, one member has 130 so the 100-claims-per-subscriber-HL split
    happens), every 5th member is a dependent (HL 23 patient loop). By default every claim gets
    its own, equal-valued party objects (as when claims are built row by row from a service
    log), so the writer's ``==`` comparisons of parties are exercised; ``shared_parties``
    reuses one object per party instead (identity fast path).

    The pool stays within what the writer renders correctly today, so that the stream is valid
    (pyx12-clean) 837P: subscribers always have a first name, the individual (entity type 1)
    rendering provider has no NPI (with an NPI, write_837p puts XX/NPI in NM109/NM110), and
    every dependent patient has an address (2010CA N3/N4 are required by the TR3).
    """
    from sdohedi.models import (
        Address, BillingProvider, Claim, Patient, Payer, RenderingProvider, ServiceLine, Subscriber,
    )

    rng = random.Random(seed)
    npis = _valid_npis(8, rng)
    streets = ["OAK AVE", "ELM ST", "MAIN ST", "RIVER RD", "PINE CT", "CEDAR LN", "2ND AVE", "MARKET ST"]
    cities = [("SALEM", "97301"), ("EUGENE", "97401"), ("PORTLAND", "97201"), ("BEND", "97701"),
              ("MEDFORD", "97501"), ("CORVALLIS", "97330")]
    last_names = ["RIVERA", "NGUYEN", "SMITH", "JOHNSON", "GARCIA", "LEE", "BROWN", "MARTINEZ", "DAVIS", "LOPEZ",
                  "WILSON", "ANDERSON", "THOMAS", "TAYLOR", "MOORE", "JACKSON", "WHITE", "HARRIS", "CLARK", "LEWIS"]
    first_names = ["ANA", "BAO", "CARLOS", "DANA", "ELI", "FATIMA", "GRACE", "HUGO", "IRIS", "JAMAL", "KIM",
                   "LUIS", "MARIA", "NOOR", "OWEN", "PRIYA", "QUINN", "ROSA", "SAM", "TARA"]
    # (procedure, modifiers, unit charge) for SDOH services
    services = [("S5170", ("U6",), Decimal("12.50")), ("T2003", (), Decimal("31.75")),
                ("H0043", ("U8",), Decimal("95.00")), ("S9470", (), Decimal("48.20")),
                ("T1016", ("HN", "U6"), Decimal("22.10")), ("H2014", (), Decimal("17.00")),
                ("A0090", (), Decimal("0.62")), ("S5130", ("U7",), Decimal("26.40"))]
    z_codes = ["Z5941", "Z59869", "Z5900", "Z5901", "Z5910", "Z5948", "Z550", "Z560", "Z602", "Z6372", "Z5982",
               "Z59868", "Z5902", "Z599", "E119", "I10"]

    def address(i: int):
        city, zip_ = cities[i % len(cities)]
        line2 = f"APT {i % 40 + 1}" if i % 3 == 0 else None
        return dict(line1=f"{10 + i * 7 % 900} {streets[i % len(streets)]}", line2=line2, city=city, state="OR",
                    zip=zip_ if i % 4 else zip_ + f"{i % 9000 + 1000}")

    def billing_provider_kwargs(k: int):
        if k == 0:
            return dict(name="HARBOR NETWORK LEAD", npi=npis[0], tax_id="931234567", taxonomy="251V00000X",
                        address=dict(line1="100 MAIN ST", city="PORTLAND", state="OR", zip="97201"))
        return dict(name="VALLEY COMMUNITY HUB", tax_id="931112222", payer_assigned_id="ATYP7788",
                    address=dict(line1="55 MILL ST", line2="SUITE 200", city="SALEM", state="OR", zip="973011234"))

    def make_bp(k: int):
        kw = billing_provider_kwargs(k)
        return BillingProvider(**{**kw, "address": Address(**kw["address"])})

    payer_kwargs = [dict(name="CASCADE HEALTH PLAN", payer_id="CHP01", claim_filing_indicator="MC"),
                    dict(name="SUMMIT CARE", payer_id="SUM22", claim_filing_indicator="HM")]
    rendering_kwargs = [
        dict(name="GOOD FOOD KITCHEN", taxonomy="332U00000X", secondary_id="CBO-MEALS-1"),
        dict(name="RIVER RIDES", npi=npis[1], taxonomy="343900000X"),
        dict(name="HOMEBASE HOUSING", npi=npis[2], taxonomy="251X00000X", secondary_id="HB-22"),
        dict(entity_type="1", name="OKAFOR", first_name="ADA", taxonomy="172V00000X", secondary_id="CHW-0042"),
        dict(name="NORTHSIDE PANTRY", taxonomy="332U00000X", secondary_id="CBO-PANTRY-7"),
    ]

    # Members and how many claims each has, until the pool is full.
    member_claims: list[int] = [130]
    while sum(member_claims) < size:
        member_claims.append(min(rng.choice((1, 1, 2, 3, 4, 4, 5, 6, 8)), size - sum(member_claims)))

    shared: dict = {}

    def party(key, factory):
        if not shared_parties:
            return factory()
        if key not in shared:
            shared[key] = factory()
        return shared[key]

    pool = []
    claim_no = 0
    for m, n_claims in enumerate(member_claims):
        bp_k = 0 if m < len(member_claims) // 2 else 1
        payer_k = m % 2
        sub_kw = dict(member_id=f"MBR{m * 7919 % 10_000_000:08d}", last_name=last_names[m % len(last_names)],
                      first_name=first_names[m * 3 % len(first_names)],
                      birth_date=dt.date(1930 + m % 70, m % 12 + 1, m % 28 + 1), sex="MFU"[m % 3],
                      address=address(m), payer_responsibility="P")
        pat_kw = None
        if m % 5 == 4:
            pat_kw = dict(last_name=sub_kw["last_name"], first_name=first_names[(m + 7) % len(first_names)],
                          birth_date=dt.date(2008 + m % 15, (m + 5) % 12 + 1, (m + 3) % 28 + 1), sex="MF"[m % 2],
                          relationship="19", address=address(m + 1))
        for j in range(n_claims):
            claim_no += 1
            bp = party(("bp", bp_k), lambda: make_bp(bp_k))
            sub = party(("sub", m), lambda: Subscriber(**{**sub_kw, "address": Address(**sub_kw["address"])}))
            pat = None
            if pat_kw is not None:
                pat = party(("pat", m), lambda: Patient(**{
                    **pat_kw, "address": Address(**pat_kw["address"]) if pat_kw["address"] else None}))
            payer = party(("payer", payer_k), lambda: Payer(**payer_kwargs[payer_k]))
            rp_k = (m + j) % len(rendering_kwargs)
            rp = party(("rp", rp_k), lambda: RenderingProvider(**rendering_kwargs[rp_k]))
            n_dx = rng.randint(1, 4)
            diagnoses = tuple(rng.sample(z_codes, n_dx))
            start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300))
            lines = []
            for k in range(LINES_PER_CLAIM):
                proc, mods, unit = services[(claim_no + k) % len(services)]
                units = Decimal(rng.choice(("1", "2", "3", "4", "10", "1.5", "0.25")))
                day = start + dt.timedelta(days=k)
                end = day + dt.timedelta(days=rng.randint(1, 6)) if (claim_no + k) % 7 == 0 else None
                pointers = tuple(rng.sample(range(1, n_dx + 1), rng.randint(1, min(n_dx, 4))))
                lines.append(ServiceLine(
                    procedure_code=proc, modifiers=mods, charge=(unit * units).quantize(Decimal("0.01")),
                    units=units, service_date=day, service_date_end=end, diagnosis_pointers=pointers,
                    line_control_number=f"L{claim_no:06d}-{k + 1}",
                    place_of_service="99" if (claim_no + k) % 11 == 0 else None,
                ))
            freq = "7" if claim_no % 23 == 0 else "1"
            pool.append(Claim(
                claim_id=f"BENCH{claim_no:07d}", frequency=freq,
                payer_claim_number=f"PCN{claim_no * 31:010d}" if freq == "7" else None,
                place_of_service=("12", "99", "02")[claim_no % 3], diagnoses=diagnoses,
                prior_authorization=f"PA{claim_no * 17 % 99999:05d}" if claim_no % 4 == 0 else None,
                lines=tuple(lines), billing_provider=bp, subscriber=sub, patient=pat, payer=payer,
                rendering_provider=rp,
            ))
    assert len(pool) == size
    return pool


def claim_stream(pool: list, n: int, *, unique_ids: bool = False):
    """Lazily yield ``n`` claims by cycling ``pool`` (no list of n claims is ever built)."""
    if not unique_ids:
        yield from itertools.islice(itertools.cycle(pool), n)
        return
    for i, c in enumerate(itertools.islice(itertools.cycle(pool), n)):
        yield c.model_copy(update={"claim_id": f"B{i:011d}"})


def parties():
    from sdohedi.claims837p import EnvelopeInfo
    from sdohedi.models import Receiver, Submitter

    submitter = Submitter(name="HARBOR NETWORK LEAD", id="NLE001", contact_name="BILLING OFFICE", phone="5035550100")
    receiver = Receiver(name="CASCADE HEALTH PLAN", id="CHP01")
    envelope = EnvelopeInfo(sender_id="NLE001", receiver_id="CHP01", usage="T")
    return submitter, receiver, envelope


# --------------------------------------------------------------------------------------------
# The two renderers
# --------------------------------------------------------------------------------------------

def run_writer(claims, write) -> int:
    from sdohedi.claims837p import write_837p

    submitter, receiver, envelope = parties()
    result = write_837p(claims, write, submitter=submitter, receiver=receiver, envelope=envelope,
                        interchange_control_number=ICN, group_control_number=GCN, timestamp=TIMESTAMP)
    return result.claims


def _amt(v: Decimal) -> str:
    s = f"{v:f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


def _address_dmg(person) -> tuple[str, int]:
    """A subscriber's or patient's N3/N4 (when it has an address) and DMG, and how many segments that is."""
    dmg = f"DMG*D8*{person.birth_date.isoformat().replace('-', '')}*{person.sex}~\n"
    a = person.address
    if a is None:
        return dmg, 1
    n3 = f"N3*{a.line1}*{a.line2}~\n" if a.line2 else f"N3*{a.line1}~\n"
    return f"{n3}N4*{a.city}*{a.state}*{a.zip}~\n{dmg}", 3


def run_ceiling(claims, write) -> int:
    """Hand-written f-string renderer: the same segments, no validation, no abstraction.

    One ``write`` per claim (plus envelopes). Segment counts are computed arithmetically.
    Mirrors write_837p's loop structure (ST/SE every 5,000 claims, HL 20/22/23 reuse for
    consecutive claims with equal parties, at most 100 claims per subscriber HL).
    """
    submitter, receiver, env = parties()
    ts = TIMESTAMP
    ymd = ts.date().isoformat().replace("-", "")
    hm = f"{ts.hour:02d}{ts.minute:02d}"
    write(f"ISA*00*{'':10}*00*{'':10}*{env.sender_qualifier:2}*{env.sender_id:15}*{env.receiver_qualifier:2}*"
          f"{env.receiver_id:15}*{ymd[2:]}*{hm}*^*00501*{ICN:09d}*0*{env.usage}*:~\n"
          f"GS*HC*{env.application_sender or env.sender_id}*{env.application_receiver or env.receiver_id}*"
          f"{ymd}*{hm}*{GCN}*X*005010X222A1~\n")
    parties_txt = (f"NM1*41*2*{submitter.name}*****46*{submitter.id}~\n"
                   f"PER*IC*{submitter.contact_name or ''}*TE*{submitter.phone}~\n"
                   f"NM1*40*2*{receiver.name}*****46*{receiver.id}~\n")
    n_tx = 0
    st02 = ""
    seg = 0          # segments in the open transaction, ST included
    in_tx = 0
    in_sub = 0
    hl = bp_hl = 0
    last_bp = last_sub = last_pat = last_payer = None
    n = 0
    for c in claims:
        out = []
        if n_tx == 0 or in_tx >= 5000:
            if n_tx:
                out.append(f"SE*{seg + 1}*{st02}~\n")
            n_tx += 1
            st02 = f"{n_tx:04d}"
            out.append(f"ST*837*{st02}*005010X222A1~\nBHT*0019*00*{ICN}{st02}*{ymd}*{hm}*CH~\n")
            out.append(parties_txt)
            seg = 5
            in_tx = 0
            hl = 0
            last_bp = last_sub = None
        bp = c.billing_provider
        if last_bp is None or (bp is not last_bp and bp != last_bp):
            hl += 1
            bp_hl = hl
            a = bp.address
            out.append(f"HL*{hl}**20*1~\n")
            if bp.taxonomy:
                out.append(f"PRV*BI*PXC*{bp.taxonomy}~\n")
                seg += 1
            out.append(f"NM1*85*2*{bp.name}*****XX*{bp.npi}~\n" if bp.npi else f"NM1*85*2*{bp.name}~\n")
            out.append(f"N3*{a.line1}*{a.line2}~\n" if a.line2 else f"N3*{a.line1}~\n")
            out.append(f"N4*{a.city}*{a.state}*{a.zip}~\nREF*EI*{bp.tax_id}~\n")
            seg += 5
            last_bp = bp
            last_sub = None
        sub, pat, payer = c.subscriber, c.patient, c.payer
        if (last_sub is None or in_sub >= 100 or not (sub is last_sub or sub == last_sub)
                or not (pat is last_pat or pat == last_pat) or not (payer is last_payer or payer == last_payer)):
            hl += 1
            sub_hl = hl
            out.append(f"HL*{hl}*{bp_hl}*22*{'1' if pat else '0'}~\nSBR*{sub.payer_responsibility}*"
                       f"{'' if pat else '18'}*******{payer.claim_filing_indicator}~\n"
                       f"NM1*IL*1*{sub.last_name}*{sub.first_name or ''}****MI*{sub.member_id}~\n")
            seg += 3
            text, k = _address_dmg(sub)
            out.append(f"{text}NM1*PR*2*{payer.name}*****PI*{payer.payer_id}~\n")
            seg += k + 1
            if bp.payer_assigned_id:
                out.append(f"REF*G2*{bp.payer_assigned_id}~\n")
                seg += 1
            if pat is not None:
                hl += 1
                out.append(f"HL*{hl}*{sub_hl}*23*0~\nPAT*{pat.relationship}~\n"
                           + (f"NM1*QC*1*{pat.last_name}*{pat.first_name}~\n" if pat.first_name
                              else f"NM1*QC*1*{pat.last_name}~\n"))
                text, k = _address_dmg(pat)
                out.append(text)
                seg += 3 + k
            last_sub, last_pat, last_payer = sub, pat, payer
            in_sub = 0
        dx = c.diagnoses
        out.append(f"CLM*{c.claim_id}*{_amt(c.total_charge)}***{c.place_of_service}:B:{c.frequency}*Y*A*Y*Y~\n")
        if c.prior_authorization:
            out.append(f"REF*G1*{c.prior_authorization}~\n")
            seg += 1
        if c.payer_claim_number:
            out.append(f"REF*F8*{c.payer_claim_number}~\n")
            seg += 1
        out.append("HI*ABK:" + "*ABF:".join(dx) + "~\n")
        seg += 2
        rp = c.rendering_provider
        if rp is not None:
            if rp.entity_type == "1":
                nm1 = f"NM1*82*1*{rp.name}*{rp.first_name or ''}"
            else:
                nm1 = f"NM1*82*2*{rp.name}"
            out.append(f"{nm1}*****XX*{rp.npi}~\n" if rp.npi else nm1.rstrip("*") + "~\n")
            out.append(f"PRV*PE*PXC*{rp.taxonomy}~\n")
            seg += 2
            if rp.secondary_id:
                out.append(f"REF*G2*{rp.secondary_id}~\n")
                seg += 1
        for i, ln in enumerate(c.lines, 1):
            proc = ln.procedure_code
            if ln.modifiers:
                proc = proc + ":" + ":".join(ln.modifiers)
            d = ln.service_date.isoformat().replace("-", "")
            e = ln.service_date_end
            dtp = (f"RD8*{d}-{e.isoformat().replace('-', '')}" if e and e != ln.service_date else f"D8*{d}")
            out.append(f"LX*{i}~\nSV1*HC:{proc}*{_amt(ln.charge)}*UN*{_amt(ln.units)}*{ln.place_of_service or ''}**"
                       f"{':'.join(map(str, ln.diagnosis_pointers))}~\nDTP*472*{dtp}~\n"
                       f"REF*6R*{ln.line_control_number}~\n")
        seg += 4 * len(c.lines)
        write("".join(out))
        in_tx += 1
        in_sub += 1
        n += 1
    if n_tx:
        write(f"SE*{seg + 1}*{st02}~\n")
    write(f"GE*{n_tx}*{GCN}~\nIEA*1*{ICN:09d}~\n")
    return n


def run_input_only(claims, write) -> int:
    n = 0
    for _ in claims:
        n += 1
    return n


RUNNERS = {"writer": run_writer, "ceiling": run_ceiling, "input": run_input_only}
LABELS = {"input": "input only (iterate claims)", "ceiling": "f-string ceiling", "writer": "write_837p"}


# --------------------------------------------------------------------------------------------
# Child: one configuration, in its own process
# --------------------------------------------------------------------------------------------

class CountingSink:
    """``write`` callable that only counts characters."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, s: str) -> None:
        self.n += len(s)


def child(args) -> None:
    import gc

    runner = RUNNERS[args.child]
    pool = build_pool(shared_parties=args.shared_parties)
    gc.collect()
    baseline = maxrss_mb()
    times, nbytes, nclaims = [], 0, 0
    for _ in range(args.reps):
        gc.collect()
        claims = claim_stream(pool, args.claims, unique_ids=args.unique_ids)
        if args.to_file and args.child != "input":
            path = args.to_file if args.child == "writer" else f"{args.to_file}.{args.child}"
            with open(path, "w", encoding="ascii", newline="") as f:
                t0 = time.perf_counter()
                nclaims = runner(claims, f.write)
                f.flush()
                t1 = time.perf_counter()
            nbytes = os.path.getsize(path)
        else:
            sink = CountingSink()
            t0 = time.perf_counter()
            nclaims = runner(claims, sink)
            t1 = time.perf_counter()
            nbytes = sink.n
        times.append(t1 - t0)
    print(json.dumps({"config": args.child, "claims": nclaims, "bytes": nbytes, "times": times,
                      "baseline_rss_mb": baseline, "peak_rss_mb": maxrss_mb()}))


def spawn(config: str, n: int, reps: int, args) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", config, "--claims", str(n), "--reps", str(reps)]
    if args.to_file:
        cmd += ["--to-file", args.to_file]
    if args.unique_ids:
        cmd.append("--unique-ids")
    if args.shared_parties:
        cmd.append("--shared-parties")
    return run_json(cmd, f"child {config} failed")


# --------------------------------------------------------------------------------------------
# Parent: verification, table
# --------------------------------------------------------------------------------------------

def verify(n: int, args) -> tuple[bool, int, str]:
    """Render the same n claims with both renderers and compare sha256 of the streams."""
    pool = build_pool(shared_parties=args.shared_parties)
    digests = []
    for runner in (run_writer, run_ceiling):
        h = hashlib.sha256()
        runner(claim_stream(pool, n, unique_ids=args.unique_ids), lambda s, u=h.update: u(s.encode("ascii")))
        digests.append(h.hexdigest())
    return digests[0] == digests[1], n, digests[0]


def header(args, n: int) -> None:
    print_header("sdohedi 837P writer benchmark (benchmarks/bench_write_837p.py)")
    import pydantic
    print(f"pydantic: {pydantic.VERSION}")
    ids = ("unique claim ids via model_copy (cost included in every row)" if args.unique_ids else
           f"claim ids REPEAT every {POOL_SIZE:,} claims (pool cycled; --unique-ids for model_copy ids)")
    parties_txt = "one shared object per party" if args.shared_parties else "equal-valued party objects per claim"
    print(f"input:    {n:,} claims x {LINES_PER_CLAIM} service lines, lazily cycled from a pool of {POOL_SIZE:,} "
          f"validated Claim objects ({parties_txt}); {ids}")
    print(f"sink:     {'real file ' + args.to_file + ' via open(...).write' if args.to_file else 'counting callable (len)'}"
          "; MB = 10^6 bytes; peak RSS = ru_maxrss of a separate subprocess per row")


def main_table(args) -> int:
    n = args.claims
    header(args, n)
    vn = min(n, args.verify_claims)
    ok, vn, digest = verify(vn, args)
    print(f"check:    writer and ceiling byte-identical over the first {vn:,} claims: "
          f"{'yes' if ok else 'NO'} (sha256 {digest[:16]}...)")
    if not ok:
        print("ERROR: the ceiling does not render the same bytes as write_837p; the comparison is void.")
        return 1
    print(f"          median of {args.reps} repetitions\n")
    rows = {}
    for config in ("input", "ceiling", "writer"):
        rows[config] = spawn(config, n, args.reps, args)
    if args.to_file:
        with open(args.to_file, "rb") as a, open(f"{args.to_file}.ceiling", "rb") as b:
            same = a.read() == b.read()
        print(f"files:    {args.to_file} == {args.to_file}.ceiling: {'yes' if same else 'NO'}\n")
    print(f"{'configuration':<30}{'claims/s':>12}{'MB/s':>9}{'median s':>10}{'min s':>8}{'max s':>8}"
          f"{'output MB':>11}{'peak RSS MB':>13}{'RSS growth MB':>15}")
    for config, r in rows.items():
        t = statistics.median(r["times"])
        mb = r["bytes"] / 1e6
        mbs = f"{mb / t:9.1f}" if config != "input" else f"{'-':>9}"
        out_mb = f"{mb:11.1f}" if config != "input" else f"{'-':>11}"
        print(f"{LABELS[config]:<30}{r['claims'] / t:12,.0f}{mbs}{t:10.3f}{min(r['times']):8.3f}"
              f"{max(r['times']):8.3f}{out_mb}{r['peak_rss_mb']:13.1f}"
              f"{r['peak_rss_mb'] - r['baseline_rss_mb']:15.1f}")
    w, c = rows["writer"], rows["ceiling"]
    if w["bytes"] != c["bytes"] or w["claims"] != c["claims"]:
        print("ERROR: writer and ceiling wrote different amounts")
        return 1
    pct = 100 * statistics.median(c["times"]) / statistics.median(w["times"])
    print(f"\nwrite_837p throughput = {pct:.1f} % of the f-string ceiling "
          f"(target >= {TARGET_PCT:.0f} %: {'MET' if pct >= TARGET_PCT else 'NOT MET'})")
    print("RSS growth = peak RSS minus the child's RSS after imports and the claim pool were built")
    return 0


def main_rss_scale(args) -> int:
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(DEFAULT_SCALE_SIZES)
    header(args, max(sizes))
    print("mode:     --rss-scale, write_837p only, 1 run per size, each in its own subprocess\n")
    print(f"{'claims':>12}{'claims/s':>12}{'MB/s':>9}{'seconds':>9}{'output MB':>11}{'peak RSS MB':>13}"
          f"{'RSS growth MB':>15}")
    peaks = []
    for n in sizes:
        r = spawn("writer", n, 1, args)
        t = r["times"][0]
        peaks.append(r["peak_rss_mb"])
        print(f"{n:12,}{n / t:12,.0f}{r['bytes'] / 1e6 / t:9.1f}{t:9.2f}{r['bytes'] / 1e6:11.1f}"
              f"{r['peak_rss_mb']:13.1f}{r['peak_rss_mb'] - r['baseline_rss_mb']:15.1f}")
    spread = max(peaks) - min(peaks)
    print(f"\npeak RSS spread {min(sizes):,} -> {max(sizes):,} claims: {spread:.1f} MB "
          f"(target: flat within {RSS_FLAT_MB:.0f} MB: {'MET' if spread <= RSS_FLAT_MB else 'NOT MET'})")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--claims", type=int, default=100_000, help="claims to write (default 100,000)")
    p.add_argument("--quick", action="store_true", help="2,000 claims (CI smoke test)")
    p.add_argument("--reps", type=int, default=3, help="repetitions; the median is reported (default 3)")
    p.add_argument("--to-file", metavar="PATH", help="write to a real file (ceiling to PATH.ceiling) instead of a "
                                                     "counting sink")
    p.add_argument("--rss-scale", action="store_true", help="writer peak RSS at 10k, 100k and 1M claims")
    p.add_argument("--sizes", help="comma-separated claim counts for --rss-scale")
    p.add_argument("--unique-ids", action="store_true", help="give every claim its own id (model_copy; slower)")
    p.add_argument("--shared-parties", action="store_true",
                   help="one object per party in the pool (identity fast path) instead of equal-valued copies")
    p.add_argument("--verify-claims", type=int, default=20_000,
                   help="claims over which writer and ceiling are checked byte-identical (default 20,000)")
    p.add_argument("--child", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.claims = 2_000
        if args.rss_scale and not args.sizes:
            args.sizes = "1000,2000,10000"
    if args.child:
        child(args)
        return 0
    return main_rss_scale(args) if args.rss_scale else main_table(args)


if __name__ == "__main__":
    sys.exit(main())
