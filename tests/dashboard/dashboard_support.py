"""The ledger the dashboard tests read, built by the real CLI flow, and the oracles they hold the
page to: reconcile's CSV reports, and a plain split of the 837Ps and 835s the flow wrote.

Flow: ``sdohedi encode`` the fixture log (cascade and summit interchanges) -> ``sdohedi adjudicate``
each -> ``sdohedi reconcile`` cascade's 999 and 835 and summit's 999 only (summit's claims stay
outstanding, acknowledged), then encode a second log of November services for cascade that no
acknowledgment answers (outstanding, not acknowledged) -> ``sdohedi reconcile`` again for the CSVs.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from round_trip_support import FIX, encode_and_adjudicate, run
from sdohedi.models.config import load_config

CONFIG = load_config(FIX / "nle.toml")
NOVEMBER_ROWS = 6  # rows of the second log, billed and never answered


def cents(amount) -> int:
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def segments(path: Path) -> list[list[str]]:
    """A plain split (ISA fixes the separators at bytes 3 and 105), independent of our tokenizer."""
    text = path.read_text(encoding="ascii")
    element, terminator = text[3], text[105]
    return [s.strip().split(element) for s in text.split(terminator) if s.strip()]


@dataclass
class Billed:
    claim_id: str
    payer: str
    cbo: str
    charge: int
    month: str = ""


def split_837(path: Path, payer: str) -> list[Billed]:
    """Each CLM: its id, CLM02, the CBO (2310B rendering provider's name, looked up in the config)
    and the month of its first DTP*472."""
    by_name = {c.name: key for key, c in CONFIG.cbos.items()}
    claims: list[Billed] = []
    days: dict[str, list[str]] = defaultdict(list)
    for seg in segments(path):
        if seg[0] == "CLM":
            claims.append(Billed(seg[1], payer, "", cents(seg[2])))
        elif claims and seg[0] == "NM1" and seg[1] == "82":
            claims[-1].cbo = by_name[seg[3]]
        elif claims and seg[0] == "DTP" and seg[1] == "472":
            days[claims[-1].claim_id].append(seg[3][:8])
    for c in claims:
        first = min(days[c.claim_id])
        c.month = f"{first[:4]}-{first[4:6]}"
    return claims


@dataclass
class Paid:
    claim_id: str
    paid: int
    lines: list[tuple[str, int]] = field(default_factory=list)  # (procedure code, SVC03)
    adjustments: list[tuple[str, str, int]] = field(default_factory=list)  # CAS (group, reason, amount)
    remarks: list[tuple[str, int]] = field(default_factory=list)  # (RARC, the CAS amounts of its claim or line)


def split_835(path: Path) -> list[Paid]:
    claims: list[Paid] = []
    loop_cas: list[int] = []  # CAS amounts of the line in hand
    loop_remarks: list[str] = []
    claim_remarks: list[str] = []  # MOA's, with all the claim's CAS amounts

    def close_line():
        claims[-1].remarks.extend((code, sum(loop_cas)) for code in loop_remarks)
        loop_cas.clear()
        loop_remarks.clear()

    for seg in segments(path):
        if seg[0] in ("CLP", "SVC", "PLB", "SE") and claims:
            close_line()
        if seg[0] in ("CLP", "PLB", "SE") and claims:
            claims[-1].remarks.extend((code, sum(a for *_, a in claims[-1].adjustments)) for code in claim_remarks)
            claim_remarks.clear()
        if seg[0] == "CLP":
            claims.append(Paid(seg[1], cents(seg[4])))
        elif seg[0] == "SVC":
            claims[-1].lines.append((seg[1].split(":")[1], cents(seg[3])))
        elif seg[0] == "CAS" and claims:
            for i in range(2, len(seg), 3):  # CAS02/03, CAS05/06, ...
                if seg[i]:
                    claims[-1].adjustments.append((seg[1], seg[i], cents(seg[i + 1])))
                    loop_cas.append(cents(seg[i + 1]))
        elif seg[0] == "LQ" and seg[1] == "HE":
            loop_remarks.append(seg[2])
        elif seg[0] == "MOA":
            claim_remarks.extend(c for c in seg[3:8] if c)
    return claims


LINE_REMARK = {"119": "N130"}  # CO-119 (benefit maximum) lines get LQ*HE*N130 (consult plan benefit documents)
CLAIM_REMARK = "MA01"  # and every claim with a PR-3 line gets MOA***MA01 (appeal rights)


def add_remarks(path: Path) -> None:
    """Give the adjudicator's 835 RARCs (it writes none): LQ*HE at the end of each SVC loop with a
    CAS reason in ``LINE_REMARK``, MOA before the first SVC of each claim with a PR-3; SE01 recounted."""
    text = path.read_text(encoding="ascii")
    element, terminator = text[3], text[105]
    segs = [s.strip().split(element) for s in text.split(terminator) if s.strip()]
    moa = set()  # where the MOA of each claim that gets one goes
    claim_start = first_svc = None
    for i, seg in enumerate(segs + [["SE"]]):
        if seg[0] in ("CLP", "SE", "PLB") and claim_start is not None:
            if first_svc is not None and any(x[0] == "CAS" and x[1] == "PR" and x[2] == "3"
                                             for x in segs[claim_start:i]):
                moa.add(first_svc)
            claim_start = first_svc = None
        if seg[0] == "CLP":
            claim_start = i
        elif seg[0] in ("REF", "DTM", "PER", "AMT", "QTY", "SVC") and first_svc is None and claim_start is not None:
            first_svc = i  # MOA comes after CLP, CAS, NM1 and MIA, before these
    out: list[list[str]] = []
    line_codes: list[str] = []
    in_line = False
    st = 0
    for i, seg in enumerate(segs):
        if seg[0] in ("SVC", "CLP", "PLB", "SE"):
            out += [["LQ", "HE", code] for code in line_codes]
            line_codes = []
            in_line = seg[0] == "SVC"
        if i in moa:
            out.append(["MOA", "", "", CLAIM_REMARK])
        if seg[0] == "CAS" and in_line and seg[2] in LINE_REMARK:
            line_codes.append(LINE_REMARK[seg[2]])
        if seg[0] == "ST":
            st = len(out)
        if seg[0] == "SE":
            seg = ["SE", str(len(out) - st + 1), seg[2]]
        out.append(seg)
    path.write_text("".join(element.join(s) + terminator for s in out), encoding="ascii")


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@dataclass
class Flow:
    ledger: str
    tmp: Path
    reports: Path
    billed: list[Billed]
    cascade_835: list[Paid]
    acks: dict[str, Path]

    def report(self, name: str) -> list[dict]:
        return read_csv(self.reports / f"{name}.csv")


def november_log(tmp: Path) -> Path:
    """The fixture log's first cascade rows, moved to November under new service ids."""
    with open(FIX / "service_log.csv", newline="") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["payer"] == "cascade"][:NOVEMBER_ROWS]
        columns = reader.fieldnames
    for n, r in enumerate(rows, 1):
        r["service_id"] = f"NOV{n:06d}"
        r["service_date"] = "2026-11-0" + str(1 + n % 9)
    path = tmp / "november.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    return path


def build_flow(ledger: str, tmp: Path) -> Flow:
    summary, eras, acks = encode_and_adjudicate(ledger, tmp)
    by_payer = {ic["payer"]: Path(ic["path"]) for ic in summary["interchanges"]}
    ack = {p.stem: p for p in acks}
    era = {p.stem: p for p in eras}
    add_remarks(era["cascade"])
    r = run("reconcile", ack["cascade"], era["cascade"], ack["summit"], "--config", FIX / "nle.toml",
            "--ledger", ledger, "--reports", tmp / "first")
    assert r.exit_code == 0, r.output
    enc = run("encode", november_log(tmp), "--config", FIX / "nle.toml", "--out", tmp / "november",
              "--ledger", ledger, "--format", "json")
    assert enc.exit_code == 0, enc.output
    billed = [c for payer, path in by_payer.items() for c in split_837(path, payer)]
    november = list((tmp / "november").glob("cascade-*.837"))
    assert len(november) == 1
    billed += split_837(november[0], "cascade")
    reports = tmp / "reports"
    r = run("reconcile", "--config", FIX / "nle.toml", "--ledger", ledger, "--reports", reports)
    assert r.exit_code == 0, r.output
    return Flow(ledger, tmp, reports, billed, split_835(era["cascade"]), ack)


def dashboard(flow: Flow, out: Path, *extra) -> Path:
    r = run("dashboard", "--config", FIX / "nle.toml", "--ledger", flow.ledger, "--out", out, *extra)
    assert r.exit_code == 0, r.output
    return out


def page_data(html: str) -> dict:
    """The JSON the page embeds (its script element's text)."""
    import json
    import re

    m = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "no embedded data"
    return json.loads(m.group(1))


def fee(paid_cents: int, payer: str) -> int:
    pct = CONFIG.payers[payer].admin_fee_percent
    return cents(Decimal(paid_cents) / 100 * pct / 100)


TODAY = dt.date.today()
