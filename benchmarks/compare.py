#!/usr/bin/env python
"""Side-by-side comparison of sdohedi with the X12 libraries on PyPI, in one run.

    python benchmarks/compare.py                     # ~10 MB and ~100 MB files, all peers
    python benchmarks/compare.py --sizes 10          # only the ~10 MB files
    python benchmarks/compare.py --markdown          # the table as Markdown, for the README
    python benchmarks/compare.py --quick             # smoke version in seconds: tiny files, no installs
    python benchmarks/compare.py --peers pyx12,x12sdk --timeout 120

What is compared, on the same files, in the same run
  * 835 -> objects: ``sdohedi.remit835.parse_835_file`` (Remittance models) vs pyx12's reader
    (segments only), linuxforhealth-x12 and x12sdk (pydantic models per ST/SE), edi-835-parser,
    x12-edi-tools (``RemittanceAdviceParser``), oxedi (``parse_file``: a lossless document and
    Arrow tables, Rust core) and openx12 (``x835.parse``: dicts).
  * 837P -> objects: ``sdohedi.claims837p.read_837p_file`` (Claim models) vs pyx12,
    linuxforhealth-x12, x12sdk, x12-edi-tools (``X12Parser`` groups segments by id),
    kw-x12-parser (``casual_parse_x837p`` and ``full_parse_x837p``: pandas DataFrames, one row a
    claim) and openx12 (``x837p.parse``). edi-835-parser and oxedi read 835s only.
  * 837P generation, claims/s: ``write_837p`` vs x12sdk's ``generate_837p`` (given a
    ``SubmissionSpec`` of ClaimSpecs built from the same claims), x12-edi-tools'
    ``X12Generator`` (given ready element lists per segment) and kw-x12-parser's
    ``write_to_edi_x837p`` (given its own full DataFrame). Inputs are built before the clock
    starts, as ours are (validated ``Claim`` models), so only generation is timed.
  * 835 generation (first size only), claims/s: ``write_835`` from the Remittance models of the
    835 vs ``oxedi.write`` from the tables of its parse of it.
  * validation: ``sdohedi.validate.validate_file`` vs pyx12's ``x12n_document``, which is slow:
    it runs on a ~1 MB slice written the same way; ours is timed on the slice too.
  * ceilings: reading the file in 64 KiB chunks; a plain chunked ``split('~')`` /
    ``split('*')`` keeping nothing; and the same split compiled (benchmarks/split_ceiling.rs,
    std only, built here with rustc -O into the work dir). "of Rust split" is a row's MB/s over
    the compiled split's: how far it is from what this machine can do.
  * correctness ("vs split"): each reader's claims, service lines and charge/paid totals, where
    it exposes them, against a plain split of the same file (CLP/CLM, SVC/SV1, CLP03/CLM02,
    CLP04); for generators, the claims in the written file. A peer that drops service lines or
    keeps only the last ST shows it there.
  * edifabric-x12 (a native library) installs, but needs a vendor serial checked over the
    network: its rows say it is not runnable here.

The files are written by our own writers (``write_835`` with the generator of
bench_parse_835.py; ``write_837p`` with the claim pool of bench_write_837p.py). Every
measurement runs in its own child process -- ours with this interpreter, each peer with the
python of its own virtual environment (made by benchmarks/peers/setup.sh under
$SDOHEDI_PEERS_DIR, default /tmp/sdohedi-peers) -- so "peak RSS" is that measurement's own
``ru_maxrss`` (imports and, for generation, the prepared input included). Times exclude
imports. A peer that is not installed, fails to install, raises on a file, or runs past
``--timeout`` has a row that says so. A peer whose peak RSS passes ``--rss-skip-mb`` on the
first size is not run on the larger sizes ("skipped: RSS"). "ours / this" is our speed
divided by that row's (for ceilings: the share of the ceiling we reach).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import Clock, chunks, maxrss_mb, pyx12_validator, run_json, split_ceiling

HERE = Path(__file__).resolve().parent
PEERS_DIR = Path(os.environ.get("SDOHEDI_PEERS_DIR", "/tmp/sdohedi-peers"))
PEERS = ["pyx12", "linuxforhealth-x12", "x12sdk", "edi-835-parser", "x12-edi-tools",
         "oxedi", "kw-x12-parser", "openx12", "edifabric-x12"]
# Peers that install but cannot run on this machine: each has rows that say why.
NOT_RUNNABLE = {"edifabric-x12": "not runnable here: needs a licence key (a vendor serial, checked over the network)"}
OURS = "sdohedi"


# =============================================================================================
# Children: each function runs in its own process and returns {"seconds", "cpu", "claims", ...}.
# Only the standard library (and benchlib, which uses only it) is imported at module level:
# peers' pythons run this file too.
# =============================================================================================

def timed(fn):
    """Run ``fn(clock)`` which starts/stops the clock itself; returns the result dict."""
    def run(path: str, extra: dict) -> dict:
        clock = Clock()
        info = fn(path, extra, clock)
        info.update(seconds=clock.wall, cpu=clock.cpu)
        return info
    return run


# -- ceilings ----------------------------------------------------------------------------------

@timed
def c_read(path, extra, clock):
    clock.start()
    n = 0
    for chunk in chunks(path):
        n += len(chunk)
    clock.stop()
    return {"bytes_read": n}


@timed
def c_split(path, extra, clock):
    clock.start()
    n = split_ceiling(path)
    clock.stop()
    return {"segments": n}


def c_rust(path, extra):
    """benchmarks/split_ceiling.rs (built by the parent): its own loop time; RSS is that program's."""
    import resource

    proc = subprocess.run([extra["exe"], path], capture_output=True, text=True, check=True)
    info = json.loads(proc.stdout)
    info["cpu"] = info["seconds"]
    info["child_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return info


# -- ours --------------------------------------------------------------------------------------

@timed
def o_835(path, extra, clock):
    from sdohedi.remit835 import parse_835_file
    from decimal import Decimal
    clock.start()
    claims = lines = 0
    charge = paid = Decimal(0)
    for r in parse_835_file(path):
        clock.stop()  # the totals are the check's, not the parse's
        claims += len(r.claims)
        for c in r.claims:
            lines += len(c.services)
            charge += c.charge or 0
            paid += c.paid or 0
        clock.start()
    clock.stop()
    return {"claims": claims, "lines": lines, "charge": str(charge), "paid": str(paid)}


@timed
def o_837p_read(path, extra, clock):
    from sdohedi.claims837p import read_837p_file
    from decimal import Decimal
    clock.start()
    claims = lines = 0
    charge = Decimal(0)
    for c in read_837p_file(path):
        claims += 1
        lines += len(c.lines)
        charge += c.total_charge or 0
    clock.stop()
    return {"claims": claims, "lines": lines, "charge": str(charge)}


@timed
def o_837p_write(path, extra, clock):
    sys.path.insert(0, str(HERE))
    from bench_write_837p import build_pool, claim_stream, run_writer

    pool = build_pool()
    n = extra["claims"]
    with open(path, "w", encoding="ascii", newline="") as f:
        clock.start()
        claims = run_writer(claim_stream(pool, n), f.write)
        f.flush()
        clock.stop()
    return {"claims": claims, "out_bytes": os.path.getsize(path)}


@timed
def o_835_write(path, extra, clock):
    import datetime as _dt

    from sdohedi.remit835 import parse_835_file, write_835
    remittances = list(parse_835_file(extra["source"]))  # the models to write: built before the clock
    with open(path, "w", encoding="ascii", newline="") as f:
        clock.start()
        write_835(remittances, f.write, sender_id="CHP01", receiver_id="NLE001", interchange_control_number=1,
                  group_control_number=1, timestamp=_dt.datetime(2026, 12, 1, 12, 0))
        f.flush()
        clock.stop()
    return {"claims": sum(len(r.claims) for r in remittances), "out_bytes": os.path.getsize(path)}


@timed
def o_validate(path, extra, clock):
    from sdohedi.validate import validate_file
    from sdohedi.validate.guide import control_guide, load_guide

    for name in ("837.5010.X222.A1.xml", "835.5010.X221.A1.xml"):  # tables load once per process: not timed
        try:
            load_guide(name)
        except Exception:  # noqa: BLE001 - a missing table shows up in the timed run instead
            pass
    control_guide()
    from collections import Counter

    rules: Counter = Counter()
    clock.start()
    for f in validate_file(path):
        rules[f.rule] += 1
    clock.stop()
    findings = sum(rules.values())
    top = ", ".join(f"{rule} {n:,}" for rule, n in rules.most_common(2))
    return {"findings": findings, "findings_text": f"{findings:,}" + (f" ({top})" if top else "")}


# -- pyx12 -------------------------------------------------------------------------------------

@timed
def p_pyx12_read(path, extra, clock):
    import pyx12.x12file
    claim_id = extra["claim_segment"]
    clock.start()
    segs = claims = 0
    with pyx12.x12file.X12Reader(path) as r:
        for seg in r:
            segs += 1
            if seg.get_seg_id() == claim_id:
                claims += 1
    clock.stop()
    return {"claims": claims, "segments": segs}


@timed
def p_pyx12_validate(path, extra, clock):
    validate, errors = pyx12_validator(path)
    clock.start()
    ok = validate()
    clock.stop()
    return {"findings": len(errors), "findings_text": f"{len(errors):,}", "valid": bool(ok),
            "first_error": errors[0][:120] if errors else None}


# -- linuxforhealth-x12 / x12sdk (same design: X12ModelReader yields one model per ST/SE) ----------

def _count_loops(model, name: str) -> int:
    """Loops of class ``name`` (Loop2100: 835 claims, Loop2300: 837 claims) under a model."""
    n = 0
    stack = [model]
    while stack:
        m = stack.pop()
        if type(m).__name__ == name:
            n += 1
            continue
        d = getattr(m, "__dict__", None)
        if d is None:
            continue
        for v in d.values():
            if isinstance(v, list):
                stack.extend(x for x in v if hasattr(x, "__dict__"))
            elif hasattr(type(v), "model_fields") or hasattr(type(v), "__fields__"):
                stack.append(v)
    return n


def _model_reader(module: str):
    @timed
    def run(path, extra, clock):
        import importlib
        io = importlib.import_module(module)
        loop = extra["claim_loop"]
        claims = transactions = 0
        clock.start()
        with io.X12ModelReader(path) as r:
            for model in r.models():
                clock.stop()  # counting is ours, not the peer's
                transactions += 1
                claims += _count_loops(model, loop)
                del model
                clock.start()
        clock.stop()
        return {"claims": claims, "transactions": transactions}
    return run


@timed
def p_x12sdk_gen(path, extra, clock):
    from decimal import Decimal

    from x12sdk.generate import ClaimSpec, PatientSpec, ServiceLineSpec, SubmissionSpec, generate_837p

    with open(extra["inputs"]) as f:
        pool = json.load(f)["claims"]
    specs = [PatientSpec(claims=[ClaimSpec(charge=Decimal(c["charge"]), patient_control_number=c["claim_id"],
                                           lines=[ServiceLineSpec(charge=Decimal(ln["charge"]),
                                                                  procedure=ln["procedure"], units=ln["units"])
                                                  for ln in c["lines"]])],
                         dependent=c["dependent"]) for c in pool]
    n = extra["claims"]
    spec = SubmissionSpec(patients=[specs[i % len(specs)] for i in range(n)], billing_provider_name="HARBOR NETWORK LEAD",
                          payer_name="CASCADE HEALTH PLAN", submitter_name="HARBOR NETWORK LEAD")
    with open(path, "w", encoding="ascii", newline="") as f:
        clock.start()
        text = generate_837p(claims=spec, sender_id="NLE001", receiver_id="CHP01")
        f.write(text)
        f.flush()
        clock.stop()
    return {"claims": n, "out_bytes": os.path.getsize(path)}


# -- edi-835-parser ----------------------------------------------------------------------------

@timed
def p_edi835(path, extra, clock):
    import warnings

    import edi_835_parser
    clock.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sets = edi_835_parser.parse(path)
    clock.stop()
    claims = sum(len(ts.claims) for ts in sets)
    lines = sum(len(c.services) for ts in sets for c in ts.claims)
    return {"claims": claims, "lines": lines}


# -- x12-edi-tools -----------------------------------------------------------------------------

@timed
def p_xet_835(path, extra, clock):
    from x12_edi_tools.remittance_advise_parser import RemittanceAdviceParser
    clock.start()
    with open(path, encoding="latin-1") as f:
        text = f.read()
    ra = RemittanceAdviceParser().parse(text.replace("\n", ""))
    clock.stop()
    # It keeps one RemittanceAdvice: each BPR replaces the previous one (claims of earlier ST/SE are built,
    # then dropped). Count what was built: CLP segments.
    built = text.count("~CLP*") + text.count("~\nCLP*")
    return {"claims": built, "claims_kept": len(ra.claims)}


@timed
def p_xet_837p(path, extra, clock):
    from x12_edi_tools.x12_parser import X12Parser
    clock.start()
    with open(path, encoding="latin-1") as f:
        text = f.read()
    data = X12Parser().parse(text)
    clock.stop()
    return {"claims": len(data.get("CLM", ())), "segments": sum(len(v) for v in data.values())}


@timed
def p_xet_gen(path, extra, clock):
    from x12_edi_tools.x12_generator import X12Generator

    with open(extra["inputs"]) as f:
        inputs = json.load(f)
    header, groups = inputs["header_segments"], inputs["claim_segments"]
    n = extra["claims"]
    with open(path, "w", encoding="ascii", newline="") as f:
        clock.start()
        g = X12Generator("005010X222A1")
        g.add_isa_segment("NLE001", "CHP01")
        g.add_gs_segment("HC", "NLE001", "CHP01")
        g.set_transaction_set_type("837")
        g.add_st_segment()
        add = g.add_segment
        for sid, els in header:
            add(sid, els)
        for i in range(n):
            for sid, els in groups[i % len(groups)]:
                add(sid, els)
        g.add_se_segment()
        g.add_ge_segment()
        g.add_iea_segment()
        f.write(g.generate())
        f.flush()
        clock.stop()
    return {"claims": n, "out_bytes": os.path.getsize(path)}


# -- oxedi (Rust core, 835 only: tables) -----------------------------------------------------------

def _oxedi_column_sum(table, name: str) -> str | None:
    """Sum of a decimal column of an oxedi table, through pyarrow (installed beside it), as text."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return None
    t = pa.table(table)
    if name not in t.column_names:
        return None
    total = pc.sum(t[name]).as_py()
    return None if total is None else str(total)


@timed
def p_oxedi_835(path, extra, clock):
    import oxedi
    clock.start()
    result = oxedi.parse_file(path)
    clock.stop()
    tables = result.tables
    claims = tables["claims"]
    return {"claims": result.count_claims(), "lines": len(tables["services"]),
            "charge": _oxedi_column_sum(claims, "charge_amount"),
            "paid": _oxedi_column_sum(claims, "payment_amount"),
            "diagnostics": len(result.diagnostics)}


@timed
def p_oxedi_write(path, extra, clock):
    import datetime as _dt

    import oxedi
    result = oxedi.parse_file(extra["source"])  # the tables to write back: built before the clock, as ours are
    env = oxedi.Envelope(sender_id="CHP01", receiver_id="NLE001", date=_dt.date(2026, 12, 1), time=_dt.time(12, 0))
    with open(path, "wb") as f:
        clock.start()
        data = oxedi.write(result.tables, env)
        f.write(data)
        f.flush()
        clock.stop()
    return {"claims": result.count_claims(), "out_bytes": os.path.getsize(path)}


# -- kw-x12-parser (837P to a pandas DataFrame, one row per claim; DataFrame back to 837P) -----------

def _df_sum(df, *names: str) -> str | None:
    from decimal import Decimal
    for name in names:
        if name in df.columns:
            return str(sum((Decimal(str(v)) for v in df[name] if str(v) not in ("", "nan", "None")), Decimal(0)))
    return None


def _kw_reader(full: bool):
    @timed
    def run(path, extra, clock):
        from kw_x12_parser import casual_parse_x837p, full_parse_x837p
        clock.start()
        df = (full_parse_x837p if full else casual_parse_x837p)(path)
        clock.stop()
        col = next((c for c in ("service_line_count", "SV1_LINE_COUNT") if c in df.columns), None)
        lines = int(sum(int(v) for v in df[col])) if col else None
        return {"claims": len(df), "lines": lines, "charge": _df_sum(df, "total_charge", "CLM_Monetary_Amount")}
    return run


@timed
def p_kw_gen(path, extra, clock):
    import pandas as pd
    from kw_x12_parser import full_parse_x837p, write_to_edi_x837p

    # its own full schema, built before the clock from the first size's 837P (its parser is slow: at larger
    # sizes parsing the whole input would pass the timeout), its rows repeated to the claims asked for
    df = full_parse_x837p(extra["source"])
    n = extra["claims"]
    df = pd.concat([df] * -(-n // len(df)), ignore_index=True).head(n)
    clock.start()
    write_to_edi_x837p(df, path, blank_line_between_segments=False)
    clock.stop()
    return {"claims": len(df), "out_bytes": os.path.getsize(path)}


# -- openx12 (pure Python; one object for the whole file) ------------------------------------------

def _dict_sum(items, *keys: str) -> str | None:
    from decimal import Decimal
    for key in keys:
        vals = [c.get(key) for c in items if isinstance(c, dict)]
        if vals and any(v is not None for v in vals):
            return str(sum((Decimal(str(v)) for v in vals if v not in (None, "")), Decimal(0)))
    return None


def _dict_lines(items, *keys: str) -> int | None:
    for key in keys:
        if items and isinstance(items[0], dict) and key in items[0]:
            return sum(len(c.get(key) or ()) for c in items)
    return None


@timed
def p_openx12_835(path, extra, clock):
    from openx12 import x835
    clock.start()
    with open(path, encoding="latin-1") as f:
        era = x835.parse(f.read())
    claims = era.claims
    clock.stop()
    return {"claims": len(claims), "lines": _dict_lines(claims, "services"),
            "charge": _dict_sum(claims, "total_claim_charge", "amount"),
            "paid": _dict_sum(claims, "claim_payment_amount")}


@timed
def p_openx12_837p(path, extra, clock):
    from openx12 import x837p
    clock.start()
    with open(path, encoding="latin-1") as f:
        doc = x837p.parse(f.read())
    claims = doc.claims
    clock.stop()
    return {"claims": len(claims), "lines": _dict_lines(claims, "services"),
            "charge": _dict_sum(claims, "total_claim_charge", "amount")}


CHILDREN = {
    "ceil-read": c_read, "ceil-split": c_split, "ceil-rust": c_rust,
    "ours-835": o_835, "ours-837p": o_837p_read, "ours-write": o_837p_write, "ours-write-835": o_835_write, "ours-validate": o_validate,
    "pyx12-read": p_pyx12_read, "pyx12-validate": p_pyx12_validate,
    "lfh-read": _model_reader("linuxforhealth.x12.io"), "x12sdk-read": _model_reader("x12sdk.io"),
    "x12sdk-gen": p_x12sdk_gen, "edi835-read": p_edi835,
    "xet-835": p_xet_835, "xet-837p": p_xet_837p, "xet-gen": p_xet_gen,
    "oxedi-835": p_oxedi_835, "oxedi-write": p_oxedi_write,
    "kw-casual": _kw_reader(False), "kw-full": _kw_reader(True), "kw-gen": p_kw_gen,
    "openx12-835": p_openx12_835, "openx12-837p": p_openx12_837p,
}


def child_main(kind: str, path: str, extra: str) -> None:
    info = CHILDREN[kind](path, json.loads(extra))
    info["rss_mb"] = info.pop("child_rss_mb", None) or maxrss_mb()
    print("RESULT " + json.dumps(info))


# -- inputs, written by children of our own python ----------------------------------------------

def gen_835(path: str, megabytes: float) -> dict:
    sys.path.insert(0, str(HERE))
    import bench_parse_835

    out = bench_parse_835.generate(Path(path).parent, megabytes, 200)
    os.replace(out, path)
    return {"bytes": os.path.getsize(path)}


def gen_837p(path: str, megabytes: float) -> dict:
    sys.path.insert(0, str(HERE))
    import bench_decode_837p

    claims, nbytes = bench_decode_837p.generate(Path(path), megabytes)
    return {"bytes": nbytes, "claims": claims}


def gen_inputs(path: str) -> dict:
    """The writer benchmark's 1,000-claim pool as plain data, for the peers' generators."""
    sys.path.insert(0, str(HERE))
    from bench_write_837p import build_pool, run_writer

    pool = build_pool()
    claims = []
    for c in pool:
        claims.append({
            "claim_id": c.claim_id, "charge": str(c.total_charge), "dependent": c.patient is not None,
            "lines": [{"charge": str(ln.charge), "procedure": ln.procedure_code,
                       "units": max(1, int(ln.units))} for ln in c.lines],
        })
    parts: list[str] = []
    run_writer(iter(pool), parts.append)
    segs = [s.strip() for s in "".join(parts).split("~") if s.strip()]
    segs = [s.split("*") for s in segs]
    body_start = next(i for i, s in enumerate(segs) if s[0] == "HL")
    header = [(s[0], s[1:]) for s in segs if s[0] in ("BHT",)] + \
             [(s[0], s[1:]) for s in segs[:body_start] if s[0] in ("NM1", "PER")]
    groups: list[list] = []
    cur: list = []
    has_clm = False
    for s in segs[body_start:]:
        if s[0] in ("SE", "GE", "IEA", "ST", "BHT") or (s[0] in ("NM1", "PER") and not cur and not groups):
            continue
        if s[0] in ("HL", "CLM") and has_clm:
            groups.append(cur)
            cur, has_clm = [], False
        cur.append((s[0], s[1:]))
        has_clm = has_clm or s[0] == "CLM"
    if cur:
        groups.append(cur)
    with open(path, "w") as f:
        json.dump({"claims": claims, "header_segments": header, "claim_segments": groups}, f)
    return {"claims": len(claims), "groups": len(groups)}


def gen_compat(path: str, src: str) -> dict:
    """A copy of an 837P whose DMG03 'U' (unknown gender, valid in 005010X222A1) is 'F'.

    linuxforhealth-x12 and x12sdk refuse DMG03 'U' and so the whole file; on this copy (same
    length, same segment counts) their speed can be measured too.
    """
    import re

    pat = re.compile(r"(DMG\*D8\*\d*)\*U~")
    changed = 0
    with open(src, encoding="latin-1", newline="") as fin, open(path, "w", encoding="latin-1", newline="") as fout:
        for line in fin:
            new, k = pat.subn(r"\1*F~", line)
            changed += k
            fout.write(new)
    return {"bytes": os.path.getsize(path), "changed": changed}


def gen_split_totals(path: str) -> dict:
    """split_totals in a child: the parent must stay small, for its children inherit its peak RSS.

    (Linux carries ``ru_maxrss`` across fork and exec, so a parent that once read a file whole would
    raise every child's "peak RSS" to its own.)
    """
    return {k: str(v) for k, v in split_totals(path).items()}


GENERATORS = {"gen-835": gen_835, "gen-837p": gen_837p, "gen-inputs": gen_inputs, "gen-compat": gen_compat,
              "split-totals": gen_split_totals}


# =============================================================================================
# Parent
# =============================================================================================

def oracle(path: str) -> dict:
    """split_totals of ``path``, computed by a child of our python (see gen_split_totals)."""
    from decimal import Decimal

    out = run_generator("split-totals", path)
    return {k: (int(v) if k in ("claims", "lines", "transactions") else Decimal(v)) for k, v in out.items()}


def split_totals(path: str) -> dict:
    """What the file holds, from a plain split (not from any parser): the oracle of the "vs split" column.

    Claims are CLP (835) or CLM (837P) segments, lines SVC or SV1; charge is the sum of CLP03 or
    CLM02, paid the sum of CLP04; transactions the ST segments.
    """
    from decimal import Decimal

    with open(path, encoding="latin-1") as f:
        text = f.read()
    sep = text[3]
    isa16 = text.split(sep, 16)[16]  # the terminator follows ISA16 (one character), whatever the ISA's widths
    term = isa16[1]
    out = {"claims": 0, "lines": 0, "charge": Decimal(0), "paid": Decimal(0), "transactions": 0}
    for seg in text.split(term):
        els = seg.strip().split(sep)
        sid = els[0]
        if sid == "CLP":
            out["claims"] += 1
            out["charge"] += Decimal(els[3] or 0)
            out["paid"] += Decimal(els[4] or 0)
        elif sid == "CLM":
            out["claims"] += 1
            out["charge"] += Decimal(els[2] or 0)
        elif sid in ("SVC", "SV1"):
            out["lines"] += 1
        elif sid == "ST":
            out["transactions"] += 1
    return out


def check_text(r: dict, oracle: dict | None) -> str:
    """The row's claims, lines and totals against the plain split: "ok" or what differs."""
    if oracle is None or r.get("status") != "ok":
        return "—"
    from decimal import Decimal

    parts, checked = [], 0
    claims = r.get("claims_kept", r.get("claims"))
    for key, label in (("claims", "claims"), ("lines", "lines")):
        got = claims if key == "claims" else r.get("lines")
        if got is None:
            continue
        checked += 1
        if got != oracle[key]:
            parts.append(f"{label} {got:,} of {oracle[key]:,}")
    for key in ("charge", "paid"):
        got = r.get(key)
        if got is None or (key == "paid" and not oracle["claims"]):
            continue
        if key == "paid" and oracle["paid"] == 0 and "CLP" not in r.get("kind", "CLP"):
            continue
        checked += 1
        if abs(Decimal(got) - oracle[key]) > Decimal("0.005"):
            parts.append(f"{key} {Decimal(got):,.2f} vs {oracle[key]:,.2f}")
    if not checked:
        return "not checked (counts not exposed)"
    return "ok" if not parts else "; ".join(parts)


def build_rust_ceiling(work: Path) -> tuple[str | None, str]:
    """benchmarks/split_ceiling.rs built with rustc -O into ``work``: (program, "") or (None, why not)."""
    rustc = shutil.which("rustc")
    if rustc is None:
        return None, "not measured: rustc not found"
    exe = work / "split_ceiling"
    proc = subprocess.run([rustc, "-O", "-C", "codegen-units=1", "-o", str(exe), str(HERE / "split_ceiling.rs")],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None, "not measured: rustc failed: " + one_line_error(proc.stderr, proc.returncode)
    return str(exe), ""


def peer_python(name: str) -> tuple[str | None, str]:
    """(python, status) of a peer's venv; status is 'ok <version>' or why it cannot run."""
    venv = PEERS_DIR / name
    status_file = venv / "STATUS"
    py = venv / "bin" / "python"
    if not status_file.exists():
        return None, "not installed"
    status = status_file.read_text().strip()
    if not status.startswith("ok"):
        return None, "install failed: " + status.removeprefix("failed: ")
    if not py.exists():
        return None, "not installed"
    return str(py), status


def one_line_error(stderr: str, returncode: int) -> str:
    """The exception line of a traceback, plus the first detail lines (pydantic's location and message)."""
    import re

    lines = stderr.rstrip().splitlines()
    exc = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")
    idx = next((i for i in range(len(lines) - 1, -1, -1) if exc.match(lines[i])), None)
    if idx is None:
        if returncode < 0:
            return f"killed by signal {-returncode}"
        tail = [ln.strip() for ln in lines if ln.strip()]
        return tail[-1][:200] if tail else f"exit status {returncode}"
    parts = [lines[idx].strip()]
    for ln in lines[idx + 1:]:
        ln = ln.strip()
        if not ln or ln.startswith("For further information"):
            continue
        parts.append(ln)
        if len(parts) == 3:
            break
    text = parts[0] + (": " + " ".join(parts[1:]) if len(parts) > 1 else "")
    text = re.sub(r"\s+", " ", text)
    return text[:220]


def run_child(python: str, kind: str, path: str, extra: dict, timeout: float) -> dict:
    cmd = [python, str(Path(__file__).resolve()), "--child", kind, path, json.dumps(extra)]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"timeout ({timeout:g} s)"}
    for ln in reversed(proc.stdout.splitlines()):
        if ln.startswith("RESULT "):
            out = json.loads(ln[7:])
            out["status"] = "ok"
            return out
    return {"status": "error", "error": "error: " + one_line_error(proc.stderr, proc.returncode)}


def run_generator(kind: str, path: str, arg: float | str | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--generate", kind, path] + ([str(arg)] if arg else [])
    return run_json(cmd, f"generating {kind} failed")


class Row:
    def __init__(self, task: str, size: str, tool: str, mb: float | None, result: dict, note: str = "",
                 ours: bool = False, ceiling: bool = False, key: str = "") -> None:
        self.task, self.size, self.tool, self.mb, self.r = task, size, tool, mb, result
        self.note, self.ours, self.ceiling, self.key = note, ours, ceiling, key
        self.ratio: float | None = None
        self.ceiling_ratio: float | None = None  # this row's MB/s over the compiled ceiling's
        self.check = "—"  # claims, lines and totals against split_totals

    @property
    def ok(self) -> bool:
        return self.r.get("status") == "ok"

    @property
    def mbps(self) -> float | None:
        if not self.ok or self.mb is None or not self.r.get("seconds"):
            return None
        return self.mb / self.r["seconds"]

    @property
    def claims_s(self) -> float | None:
        if not self.ok or not self.r.get("claims") or not self.r.get("seconds"):
            return None
        return self.r["claims"] / self.r["seconds"]

    @property
    def rss(self) -> float | None:
        return self.r.get("rss_mb") if self.ok else None


def median_result(results: list[dict]) -> dict:
    ok = [r for r in results if r.get("status") == "ok"]
    if not ok:
        return results[0]
    ok.sort(key=lambda r: r["seconds"])
    out = dict(ok[len(ok) // 2])
    out["runs"] = len(ok)
    out["rss_mb"] = max(r["rss_mb"] for r in ok)
    return out


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.rows: list[Row] = []
        self.peer_status: dict[str, tuple[str | None, str]] = {}
        self.first_size_rss: dict[tuple[str, str], float] = {}  # (task, tool) -> peak RSS at the first size
        self.first_size_fail: dict[tuple[str, str], str] = {}
        self.first_size_seconds: dict[tuple[str, str], tuple[float, float]] = {}  # -> (seconds, MB)
        self.first_size: str | None = None
        self.oracles: dict[str, dict] = {}  # input path -> split_totals

    def log(self, msg: str) -> None:
        if not self.args.silent:
            print(msg, file=sys.stderr, flush=True)

    def measure(self, python: str, kind: str, path: str, extra: dict, reps: int) -> dict:
        results = []
        for i in range(max(1, reps)):
            r = run_child(python, kind, path, extra, self.args.timeout)
            results.append(r)
            if r["status"] != "ok":
                break
            # slow runs are not repeated: one run of a many-second measurement is steady enough
            if r["seconds"] > self.args.repeat_below:
                break
        return median_result(results)

    def add(self, task: str, size_label: str, tool: str, kind: str, path: str, mb: float | None,
            extra: dict | None = None, note: str = "", python: str | None = None, peer: str | None = None,
            ours: bool = False, ceiling: bool = False, check_output: bool = False) -> Row:
        extra = extra or {}
        key = (task, tool)
        if peer is not None:
            py, status = self.peer_status[peer]
            if py is None:
                return self._row(Row(task, size_label, tool, mb, {"status": "missing", "error": status}, note))
            if size_label != self.first_size:
                if key in self.first_size_fail:
                    return self._row(Row(task, size_label, tool, mb, {
                        "status": "skipped", "error": f"skipped: {self.first_size_fail[key]} at {self.first_size}"},
                        note))
                rss0 = self.first_size_rss.get(key)
                if rss0 is not None and rss0 > self.args.rss_skip_mb:
                    return self._row(Row(task, size_label, tool, mb, {
                        "status": "skipped", "error": f"skipped: RSS ({rss0:,.0f} MB at {self.first_size})"}, note))
                t0 = self.first_size_seconds.get(key)
                scale = (extra.get("claims") or mb or 0) / t0[1] if t0 and t0[1] else 0
                if rss0 is not None and rss0 * scale > self.args.rss_skip_mb * 4:  # peers that hold the whole file
                    return self._row(Row(task, size_label, tool, mb, {
                        "status": "skipped", "error": f"skipped: projected RSS {rss0 * scale:,.0f} MB "
                                                      f"({rss0:,.0f} MB at {self.first_size})"}, note))
                if t0 and t0[0] * scale > self.args.timeout:
                    return self._row(Row(task, size_label, tool, mb, {
                        "status": "skipped", "error": f"skipped: projected {t0[0] * scale:,.0f} s > timeout "
                                                      f"({t0[0]:.0f} s at {self.first_size})"}, note))
            python = py
        self.log(f"  {task} {size_label}: {tool} ...")
        reps = self.args.reps if (ours or ceiling) else self.args.peer_reps
        r = self.measure(python or sys.executable, kind, path, extra, reps)
        if size_label == self.first_size:
            if r["status"] == "ok":
                self.first_size_rss[key] = r["rss_mb"]
                self.first_size_seconds[key] = (r["seconds"], extra.get("claims") or mb or 0)
            elif r["status"] == "timeout":
                self.first_size_fail[key] = "timeout"
        if r["status"] == "ok":
            self.log(f"    {r['seconds']:.2f} s, {r.get('claims', '-')} claims, {r['rss_mb']:.0f} MB RSS")
        else:
            self.log(f"    {r.get('error')}")
        row = Row(task, size_label, tool, mb, r, note, ours=ours, ceiling=ceiling)
        if check_output and row.ok:  # generation: the claims in the written file, by a plain split
            written = oracle(path)["claims"]
            row.check = "ok" if written == r.get("claims") else f"{written:,} claims written of {r.get('claims'):,}"
        elif not ceiling and task.endswith("objects"):
            row.check = check_text(r, self.oracles.get(path))
        return self._row(row)

    def _row(self, row: Row) -> Row:
        self.rows.append(row)
        return row


def version_of(peer: str, status: str) -> str:
    return f"{peer} {status.split()[1]}" if status.startswith("ok ") else peer


def run(args) -> int:
    bench = Bench(args)
    selected = PEERS if args.peers == "all" else [p for p in args.peers.split(",") if p and p != "none"]
    unknown = [p for p in selected if p not in PEERS]
    if unknown:
        raise SystemExit(f"unknown peer(s): {', '.join(unknown)} (known: {', '.join(PEERS)})")
    if args.setup and selected:
        bench.log(f"setting up peer venvs under {PEERS_DIR} (benchmarks/peers/setup.sh) ...")
        subprocess.run(["bash", str(HERE / "peers" / "setup.sh"), *selected],
                       env=dict(os.environ, SDOHEDI_PEERS_DIR=str(PEERS_DIR)), stdout=sys.stderr)
    for p in selected:
        py, status = peer_python(p)
        if p in NOT_RUNNABLE:
            py, status = None, NOT_RUNNABLE[p] + (f" (installed: {status.split()[1]})" if status.startswith("ok ") else "")
        bench.peer_status[p] = (py, status)
    names = {p: version_of(p, bench.peer_status[p][1]) for p in selected}
    for p in selected:
        if p in NOT_RUNNABLE:
            names[p] = p

    load_start = os.getloadavg()
    started = dt.datetime.now().astimezone()
    sizes = [float(s) for s in str(args.sizes).split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="sdohedi-compare-", dir=args.work_dir))
    try:
        rust_exe, rust_why = build_rust_ceiling(work)
        first_837p = None

        def add_rust_ceiling(task, label, path, mb):
            tool, note = "ceiling: Rust split (compiled)", "benchmarks/split_ceiling.rs: std split on ~ then *, nothing kept"
            if rust_exe is None:
                bench._row(Row(task, label, tool, mb, {"status": "missing", "error": rust_why}, ceiling=True))
            else:
                bench.add(task, label, tool, "ceil-rust", path, mb, ceiling=True, note=note, extra={"exe": rust_exe})

        inputs_path = str(work / "gen-inputs.json")
        need_inputs = any(p in selected for p in ("x12sdk", "x12-edi-tools"))
        if need_inputs:
            run_generator("gen-inputs", inputs_path)
        # validation slice (pyx12 is ~0.3 MB/s): written once, the same way as the big files
        slices = {}
        for tx in ("837P", "835"):
            sp = str(work / f"slice.{tx.lower()}")
            info = run_generator("gen-" + tx.lower(), sp, args.slice_mb)
            slices[tx] = (sp, info["bytes"] / 1e6)
        for size in sizes:
            label = f"{size:g} MB"
            bench.first_size = bench.first_size or label
            bench.log(f"generating ~{label} 835 and 837P with our writers ...")
            p835, p837 = str(work / f"remit-{size:g}.835"), str(work / f"claims-{size:g}.837")
            i835 = run_generator("gen-835", p835, size)
            i837 = run_generator("gen-837p", p837, size)
            mb835, mb837 = i835["bytes"] / 1e6, i837["bytes"] / 1e6
            size835, size837 = f"{mb835:.1f} MB", f"{mb837:.1f} MB"
            n_claims = i837["claims"]
            first_837p = first_837p or p837
            bench.oracles = {p835: oracle(p835), p837: oracle(p837)}

            # 835 -> objects
            t = "835 → objects"
            bench.add(t, label, OURS, "ours-835", p835, mb835, ours=True, note="Remittance models (claims, lines, CAS...)")
            for peer, kind, note in (("pyx12", "pyx12-read", "X12Reader: segments only"),
                                     ("linuxforhealth-x12", "lfh-read", "pydantic 1 models per ST/SE"),
                                     ("x12sdk", "x12sdk-read", "pydantic 2 models per ST/SE"),
                                     ("edi-835-parser", "edi835-read", "whole file to objects"),
                                     ("x12-edi-tools", "xet-835",
                                      "RemittanceAdviceParser: no service lines (SVC ignored), keeps the last ST only"),
                                     ("oxedi", "oxedi-835", "parse_file: lossless document + Arrow tables (Rust core)"),
                                     ("openx12", "openx12-835", "x835.parse: claims as dicts, amounts as float"),
                                     ("edifabric-x12", None, "")):
                if peer in selected:
                    bench.add(t, label, names[peer], kind, p835, mb835, python=None, peer=peer, note=note,
                              extra={"claim_segment": "CLP", "claim_loop": "Loop2100"})
            bench.add(t, label, "ceiling: read file", "ceil-read", p835, mb835, ceiling=True, note="64 KiB chunks")
            bench.add(t, label, "ceiling: chunked split", "ceil-split", p835, mb835, ceiling=True,
                      note="split('~'), split('*'), nothing kept")
            add_rust_ceiling(t, label, p835, mb835)

            # 837P -> objects
            t = "837P → objects"
            bench.add(t, label, OURS, "ours-837p", p837, mb837, ours=True, note="Claim models")
            for peer, kind, note in (("pyx12", "pyx12-read", "X12Reader: segments only"),
                                     ("linuxforhealth-x12", "lfh-read", "pydantic 1 models per ST/SE"),
                                     ("x12sdk", "x12sdk-read", "pydantic 2 models per ST/SE"),
                                     ("edi-835-parser", None, ""),
                                     ("x12-edi-tools", "xet-837p", "X12Parser: segments grouped by id"),
                                     ("oxedi", None, ""),
                                     ("kw-x12-parser", "kw-casual", "casual_parse_x837p: DataFrame, one row a claim"),
                                     ("kw-x12-parser", "kw-full", "full_parse_x837p: DataFrame, every loop (242 columns)"),
                                     ("openx12", "openx12-837p", "x837p.parse: claims as dicts, amounts as float"),
                                     ("edifabric-x12", None, "")):
                if peer not in selected:
                    continue
                if kind is None and peer not in NOT_RUNNABLE:
                    bench._row(Row(t, label, names[peer], mb837, {"status": "n/a", "error": "n/a: reads 835 only"}))
                    continue
                if peer == "kw-x12-parser":
                    names_kw = names[peer] + (" casual" if kind == "kw-casual" else " full")
                    bench.add(t, label, names_kw, kind, p837, mb837, peer=peer, note=note)
                    continue
                row = bench.add(t, label, names[peer], kind, p837, mb837, peer=peer, note=note,
                                extra={"claim_segment": "CLM", "claim_loop": "Loop2300"})
                if peer in ("linuxforhealth-x12", "x12sdk") and row.r.get("status") == "error" \
                        and "gender" in row.r.get("error", ""):
                    pc = str(work / f"claims-{size:g}.compat.837")
                    if not os.path.exists(pc):
                        run_generator("gen-compat", pc, p837)
                        bench.oracles[pc] = oracle(pc)
                    bench.add(t, label, names[peer] + " (copy: DMG03 U→F)", kind, pc, mb837, peer=peer,
                              note=note + "; on a copy without DMG03 'U', which it refuses",
                              extra={"claim_segment": "CLM", "claim_loop": "Loop2300"})
            bench.add(t, label, "ceiling: read file", "ceil-read", p837, mb837, ceiling=True, note="64 KiB chunks")
            bench.add(t, label, "ceiling: chunked split", "ceil-split", p837, mb837, ceiling=True,
                      note="split('~'), split('*'), nothing kept")
            add_rust_ceiling(t, label, p837, mb837)

            # 837P generation
            t = "837P generation"
            out = str(work / "out.837")
            extra = {"claims": n_claims, "inputs": inputs_path}
            bench.add(t, label, OURS, "ours-write", out, None, extra=extra, ours=True, check_output=True,
                      note=f"{n_claims:,} claims from Claim models, to a file")
            if "x12sdk" in selected:
                bench.add(t, label, names["x12sdk"], "x12sdk-gen", out, None, extra=extra, peer="x12sdk", check_output=True,
                          note="generate_837p(SubmissionSpec); one ST")
            if "x12-edi-tools" in selected:
                bench.add(t, label, names["x12-edi-tools"], "xet-gen", out, None, extra=extra, peer="x12-edi-tools",
                          check_output=True,
                          note="X12Generator fed ready element lists (it has no claim model: "
                               "the claim-to-segment mapping is not timed); ISA12 and SE01 wrong")
            if "kw-x12-parser" in selected:
                bench.add(t, label, names["kw-x12-parser"], "kw-gen", out, None, extra={"source": first_837p,
                          "claims": n_claims}, peer="kw-x12-parser", check_output=True,
                          note=f"write_to_edi_x837p from its full DataFrame ({n_claims:,} claims, from the "
                               f"{bench.first_size} 837P; built before the clock)")
            for r in bench.rows:
                if r.task == t and r.size == label and r.ok and r.r.get("out_bytes"):
                    r.mb = r.r["out_bytes"] / 1e6
            for leftover in (out, str(work / f"claims-{size:g}.compat.837")):
                if os.path.exists(leftover):
                    os.remove(leftover)

            # 835 generation: ours from Remittance models, oxedi from its tables, both read from the same 835 first.
            # First size only: both hold the whole remittance in memory (ours ~10x the file as models).
            if label == bench.first_size:
                t = "835 generation"
                out = str(work / "out.835")
                bench.add(t, label, OURS, "ours-write-835", out, None, extra={"source": p835}, ours=True, check_output=True,
                          note="write_835 from the Remittance models of the 835 above")
                if "oxedi" in selected:
                    bench.add(t, label, names["oxedi"], "oxedi-write", out, None, extra={"source": p835}, peer="oxedi",
                              check_output=True, note="oxedi.write from the tables of its parse of the 835 above "
                                                      "(it reads the written file back to check it)")
                for r in bench.rows:
                    if r.task == t and r.size == label and r.ok and r.r.get("out_bytes"):
                        r.mb = r.r["out_bytes"] / 1e6
                if os.path.exists(out):
                    os.remove(out)

            # validation
            for tx, path, mb in (("837P", p837, mb837), ("835", p835, mb835)):
                t = f"validation {tx}"
                bench.add(t, label, OURS, "ours-validate", path, mb, ours=True, note="findings: {findings_text}")
                if "pyx12" in selected and label == bench.first_size:
                    sp, smb = slices[tx]
                    bench.add(t, label, OURS + " (slice)", "ours-validate", sp, smb, ours=True,
                              note=f"{smb:.1f} MB slice; findings: {{findings_text}}")
                    bench.add(t, label, names["pyx12"] + " (slice)", "pyx12-validate", sp, smb, peer="pyx12",
                              note=f"{smb:.1f} MB slice; findings: {{findings_text}}")
            bench.log(f"  inputs: 835 {size835}, 837P {size837} ({n_claims:,} claims)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finished = dt.datetime.now().astimezone()
    compute_ratios(bench.rows)
    # one block per task, its sizes side by side
    tasks = list(dict.fromkeys(r.task for r in bench.rows))
    labels = list(dict.fromkeys(r.size for r in bench.rows))
    bench.rows = sorted(bench.rows, key=lambda r: (tasks.index(r.task), labels.index(r.size)))
    meta = {
        "started": started, "finished": finished, "load_start": load_start, "load_end": os.getloadavg(),
        "peers": {p: bench.peer_status[p][1] for p in selected}, "sizes": sizes, "quick": args.quick,
    }
    text = render_markdown(bench.rows, meta, args) if args.markdown else render_text(bench.rows, meta, args)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": {k: str(v) for k, v in meta.items()},
                                               "rows": [dict(task=r.task, size=r.size, tool=r.tool, mb=r.mb,
                                                             ratio=r.ratio, **r.r) for r in bench.rows]},
                                              indent=1, default=str))
    return 0


def compute_ratios(rows: list[Row]) -> None:
    """ours / this: by claims/s for generation, by MB/s otherwise; slice rows against our slice row."""
    for r in rows:
        rust = next((c for c in rows if c.task == r.task and c.size == r.size and c.ok and c.r.get("elements")), None)
        if rust is not None and r.ok and r.mbps and rust is not r and not r.task.endswith("generation"):
            r.ceiling_ratio = r.mbps / rust.mbps
        if r.ours or not r.ok:
            continue
        slice_ = "(slice)" in r.tool
        ours = next((o for o in rows if o.ours and o.task == r.task and o.size == r.size and o.ok
                     and ("(slice)" in o.tool) == slice_), None)
        if ours is None:
            continue
        if r.task.endswith("generation"):
            a, b = ours.claims_s, r.claims_s
        else:
            a, b = ours.mbps, r.mbps
        if a and b:
            r.ratio = a / b


def _fmt(v: float | None, spec: str, dash: str = "—") -> str:
    return format(v, spec) if v is not None else dash


def _status_text(r: Row) -> str:
    if r.ok:
        note = r.note
        try:
            note = note.format(**r.r)
        except (KeyError, IndexError, ValueError):
            pass
        if r.r.get("claims_kept") is not None:
            note += f" ({r.r['claims_kept']:,} of {r.r['claims']:,} claims kept)"
        if r.r.get("first_error"):
            note += f"; first: {r.r['first_error']}"
        return note
    return r.r.get("error", r.r.get("status", "?"))


def _ratio_text(r: Row) -> str:
    if r.ours:
        return "1"
    if r.ratio is None:
        return "—"
    if r.ratio >= 10:
        return f"{r.ratio:,.0f}x"
    return f"{r.ratio:.2f}x" if r.ratio < 1 else f"{r.ratio:.1f}x"


def table_cells(r: Row) -> list[str]:
    return [r.task, f"{r.mb:.1f} MB" if r.mb else r.size, f"**{r.tool}**" if r.ours else r.tool,
            _fmt(r.mbps, ".2f" if (r.mbps or 0) < 10 else ".1f"), _fmt(r.claims_s, ",.0f"),
            _fmt(r.rss, ",.0f"), _ratio_text(r), _ceiling_text(r), r.check, _status_text(r).replace("|", "/")]


def _ceiling_text(r: Row) -> str:
    if r.ceiling_ratio is None:
        return "—"
    return f"{r.ceiling_ratio:.1%}" if r.ceiling_ratio >= 0.001 else f"{r.ceiling_ratio:.2%}"


HEADERS = ["task", "file", "tool", "MB/s", "claims/s", "peak RSS MB", "ours / this", "of Rust split", "vs split",
           "notes"]


def goals(rows: list[Row]) -> list[str]:
    out = []
    peers = [r for r in rows if r.ok and not r.ours and not r.ceiling and r.ratio is not None]
    behind = [r for r in peers if r.ratio < 1]
    out.append(f"ahead of every peer on every row: {'MET' if not behind else 'NOT MET'}"
               + ("" if not behind else " (behind: " + "; ".join(f"{r.task} {r.size} {r.tool} {r.ratio:.2f}x"
                                                                 for r in behind) + ")"))

    def best_ratio(task: str) -> tuple[str, float | None]:
        parts, worst = [], None
        for size in dict.fromkeys(r.size for r in rows if r.task == task):
            cand = [r for r in peers if r.task == task and r.size == size]
            if not cand:
                continue
            fastest = min(cand, key=lambda r: r.ratio)
            parts.append(f"{size}: {fastest.ratio:.1f}x {fastest.tool}")
            worst = fastest.ratio if worst is None else min(worst, fastest.ratio)
        return "; ".join(parts), worst

    for task, target in (("835 → objects", 3.0), ("837P generation", 10.0)):
        txt, worst = best_ratio(task)
        verdict = "n/a (no peer measured)" if worst is None else ("MET" if worst >= target else "NOT MET")
        out.append(f">= {target:g}x the fastest peer on {task}: {verdict}" + (f" ({txt})" if txt else ""))

    # issue 19: where we stand against the compiled peer and against what this machine can do
    for task in dict.fromkeys(r.task for r in rows):
        for size in dict.fromkeys(r.size for r in rows if r.task == task):
            ox = next((r for r in rows if r.task == task and r.size == size and r.tool.startswith("oxedi")
                       and r.ok and r.ratio is not None), None)
            if ox is not None:
                out.append(f"ours / oxedi on {task} {size}: {ox.ratio:.2f}x "
                           f"({'ahead' if ox.ratio >= 1 else 'behind'})")
            cells = [f"{r.tool} {r.ceiling_ratio:.1%}" for r in rows if r.task == task and r.size == size
                     and r.ceiling_ratio is not None and (r.ours or r.tool.startswith("oxedi"))
                     and "(slice)" not in r.tool]
            if cells:
                out.append(f"of the Rust split on {task} {size}: " + ", ".join(cells))

    sizes = list(dict.fromkeys(r.size for r in rows))
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        parts = []
        flat_ok = True
        for task in dict.fromkeys(r.task for r in rows):
            for tool in dict.fromkeys(r.tool for r in rows if r.task == task and not r.ceiling):
                a = next((r for r in rows if r.task == task and r.tool == tool and r.size == lo and r.ok), None)
                b = next((r for r in rows if r.task == task and r.tool == tool and r.size == hi), None)
                if a is None or b is None:
                    continue
                if b.ok:
                    parts.append(f"{task} {tool}: {a.rss:,.0f} -> {b.rss:,.0f} MB")
                    if a.ours and b.rss > a.rss * 1.5 + 20:
                        flat_ok = False
                else:
                    parts.append(f"{task} {tool}: {a.rss:,.0f} MB -> {b.r.get('error')}")
        out.append(f"flat memory for ours where peers grow ({lo} -> {hi}): {'MET' if flat_ok else 'NOT MET'}")
        out.extend("  " + p for p in parts)
    return out


def header_lines(meta: dict, args) -> list[str]:
    peers = ", ".join(f"{p} ({s})" if not s.startswith("ok") else f"{p} {s.split()[1]}"
                      for p, s in meta["peers"].items()) or "none"
    ls, le = meta["load_start"], meta["load_end"]
    return [
        f"date: {meta['started']:%Y-%m-%d %H:%M %Z} (run took {(meta['finished'] - meta['started']).seconds // 60} min)",
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.system()}; Python "
        f"{platform.python_version()}; load average {ls[0]:.2f} at start, {le[0]:.2f} at end",
        f"peers: {peers}",
        "method: one child process per measurement (peers in their own venvs); times exclude imports and input "
        f"building; ours and ceilings median of {args.reps}, peers median of up to {args.peer_reps} "
        f"(one run when it takes over {args.repeat_below:g} s); MB = 10^6 bytes; timeout {args.timeout:g} s; "
        "peak RSS = ru_maxrss of that child"
        + ("; QUICK smoke run (tiny files): figures are not meaningful" if meta["quick"] else ""),
    ]


def render_text(rows: list[Row], meta: dict, args) -> str:
    cells = [HEADERS] + [[c.replace("**", "") for c in table_cells(r)] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS) - 1)]
    lines = ["sdohedi vs peers (benchmarks/compare.py)"] + header_lines(meta, args) + [""]
    for c in cells:
        lines.append("  ".join(c[i].ljust(widths[i]) if i < 3 else c[i].rjust(widths[i])
                               for i in range(len(widths))) + "  " + c[-1])
    lines += ["", "goals:"] + ["  " + g for g in goals(rows)]
    return "\n".join(lines)


def render_markdown(rows: list[Row], meta: dict, args) -> str:
    lines = ["### sdohedi vs peers", ""] + [f"- {h}" for h in header_lines(meta, args)] + [""]
    lines.append("| " + " | ".join(HEADERS) + " |")
    lines.append("|" + "|".join(["---", "---", "---", "---:", "---:", "---:", "---:", "---:", "---", "---"]) + "|")
    for r in rows:
        lines.append("| " + " | ".join(table_cells(r)) + " |")
    lines += ["", "Goals:", ""] + [f"- {g.strip()}" if not g.startswith("  ") else f"  - {g.strip()}"
                                   for g in goals(rows)]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10,100", help="comma-separated MB of 835 and 837P to generate (default 10,100)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run in seconds: 0.2 MB files, one run each, peers only if already installed, no installs")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    p.add_argument("--peers", default="all", help=f"comma-separated peers, 'all' (default) or 'none': {','.join(PEERS)}")
    p.add_argument("--no-setup", dest="setup", action="store_false",
                   help="do not run benchmarks/peers/setup.sh (use the venvs as they are)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per measurement (default 300)")
    p.add_argument("--rss-skip-mb", type=float, default=1500.0,
                   help="skip a peer on larger sizes when its peak RSS on the first size passed this (default 1500)")
    p.add_argument("--slice-mb", type=float, default=1.0, help="MB of the slice pyx12 validates (default 1)")
    p.add_argument("--reps", type=int, default=3, help="runs of ours and the ceilings; median reported (default 3)")
    p.add_argument("--peer-reps", type=int, default=3, help="runs of a peer, when each is short (default 3)")
    p.add_argument("--repeat-below", type=float, default=5.0, help="repeat a measurement only below this many seconds")
    p.add_argument("--work-dir", default=None, help="where the generated files go (default: the system temp dir)")
    p.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    p.add_argument("--silent", action="store_true", help="no progress on stderr")
    p.add_argument("--child", nargs=3, metavar=("KIND", "FILE", "EXTRA"), help=argparse.SUPPRESS)
    p.add_argument("--generate", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child_main(*args.child)
        return 0
    if args.generate:
        kind, path, *rest = args.generate
        conv = str if kind == "gen-compat" else float
        print(json.dumps(GENERATORS[kind](path, *(conv(x) for x in rest))))
        return 0
    if args.quick:
        args.sizes, args.reps, args.peer_reps, args.slice_mb, args.setup = "0.2", 1, 1, 0.05, False
        args.timeout = min(args.timeout, 60.0)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
