"""``sdohedi reconcile`` on the payer simulator's 835s, edited as payers send them: every cent
reaches a report, every 835 is balanced as it is applied, remittances are told apart by content.

Expectations come from a plain split of the 835 text (``segments``) and the ledger's own claim
rows, never from the reconcile reports they are compared with.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

import pytest

from round_trip_support import FIX, encode_and_adjudicate, run

CONTROL = {"SVC", "DTM", "CAS", "REF", "AMT", "QTY", "LQ"}  # what a 2110 service loop holds


def segments(path: Path) -> list[list[str]]:
    return [s.strip().split("*") for s in path.read_text().split("~") if s.strip()]


def write(path: Path, segs: list[list[str]]) -> Path:
    """The segments, with each SE01 recounted (by a plain count, as a payer's translator would)."""
    start = 0
    for i, s in enumerate(segs):
        if s[0] == "ST":
            start = i
        elif s[0] == "SE":
            s[1] = str(i - start + 1)
    path.write_text("~\n".join("*".join(s) for s in segs) + "~\n")
    return path


def clp04_by_claim(segs) -> dict[str, D]:
    out: dict[str, D] = defaultdict(D)
    for s in segs:
        if s[0] == "CLP":
            out[s[1]] += D(s[4])
    return out


def bpr02(segs) -> D:
    return sum((D(s[2]) * (-1 if s[3] == "D" else 1) for s in segs if s[0] == "BPR"), D(0))


@pytest.fixture
def loop(tmp_path):
    """The fixture log billed on a SQLite ledger, and the simulator's 835 and 999 per payer."""
    ledger = tmp_path / "l.sqlite"
    _summary, eras, acks = encode_and_adjudicate(str(ledger), tmp_path)
    return ledger, {p.stem: p for p in eras}, acks


def reconcile(ledger: Path, files, tmp: Path):
    result = run("reconcile", *files, "--ledger", ledger, "--config", FIX / "nle.toml", "--reports", tmp / "rep",
                 "--format", "json")
    summary = json.loads(result.stdout) if result.stdout.strip() else None
    reports = {name: list(csv.DictReader(open(tmp / "rep" / f"{name}.csv"))) if (tmp / "rep").exists() else []
               for name in ("disbursement", "unmatched", "network_adjustments")}
    return result, summary, reports


def cbo_of(ledger: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(ledger) as db:
        return {c: (cbo, payer) for c, cbo, payer in db.execute("SELECT claim_id, cbo_key, payer_key FROM claims")}


def test_a_claim_paid_with_no_service_lines_reaches_its_cbo(loop, tmp_path):
    ledger, eras, acks = loop
    segs = segments(eras["cascade"])
    first = next(i for i, s in enumerate(segs) if s[0] == "CLP")
    end = next(i for i in range(first + 1, len(segs)) if segs[i][0] in ("CLP", "LX", "PLB", "SE"))
    claim = segs[first]
    lines = [i for i in range(first + 1, end) if segs[i][0] in CONTROL]
    assert segs[lines[0]][0] == "SVC" and len(lines) > 1
    segs = [s for i, s in enumerate(segs) if i not in set(lines)]
    era = write(tmp_path / "claim_level.835", segs)
    result, summary, reports = reconcile(ledger, [*acks, era, eras["summit"]], tmp_path)
    assert result.exit_code == 0, result.output
    expected: dict[tuple[str, str], D] = defaultdict(D)
    owner = cbo_of(ledger)
    for path in (era, eras["summit"]):
        for claim_id, paid in clp04_by_claim(segments(path)).items():
            expected[owner[claim_id]] += paid
    paid = {(r["cbo"], r["payer"]): D(r["paid"]) for r in reports["disbursement"]}
    assert paid == {k: v for k, v in expected.items() if k in paid} and set(paid) == set(expected)
    cbo = owner[claim[1]]
    assert D(claim[4]) == D("156.6")  # the claim of the issue
    assert {(r["cbo"], r["payer"]): D(r["claim_level"]) for r in reports["disbursement"]}[cbo] == D("156.6")
    assert reports["unmatched"] == []


def test_an_unbalanced_835_is_a_finding_and_still_applied(loop, tmp_path):
    ledger, eras, acks = loop
    segs = segments(eras["cascade"])
    bpr = next(s for s in segs if s[0] == "BPR")
    bpr[2] = str(D(bpr[2]) + D("1.25"))
    position = next(i for i, s in enumerate(segs, 1) if s[0] == "BPR")
    era = write(tmp_path / "unbalanced.835", segs)
    result, summary, reports = reconcile(ledger, [*acks, era], tmp_path)
    assert result.exit_code == 1
    assert f"[bpr-balance] ISA13=000000701 GS06=701 ST02=0001 segment #{position} BPR02" in result.stderr
    assert summary["transactions_applied"] == len(acks) + 1 and summary["claims_matched"] == len(clp04_by_claim(segs))
    assert [(r["reason"], D(r["amount"])) for r in reports["unmatched"]] == [
        ("BPR02 not accounted for by claims (CLP04) and PLB", D("1.25"))]


def test_line_claim_and_trailer_findings_name_their_segment(loop, tmp_path):
    ledger, eras, acks = loop
    segs = segments(eras["cascade"])
    svc = next(i for i, s in enumerate(segs) if s[0] == "SVC")
    segs[svc][3] = str(D(segs[svc][3]) - 1)  # the line pays a dollar less than its charge and CAS say
    clp = [i for i, s in enumerate(segs) if s[0] == "CLP"][1]
    segs[clp][3] = str(D(segs[clp][3]) + 2)  # the next claim charges 2.00 more than it paid and adjusted
    era = write(tmp_path / "lines.835", segs)
    text = era.read_text().replace("SE*1584*0001", "SE*1583*0001")
    era.write_text(text)
    result, summary, reports = reconcile(ledger, [*acks, era], tmp_path)
    assert result.exit_code == 1
    err = result.stderr
    assert f"[svc-balance] ISA13=000000701 GS06=701 ST02=0001 segment #{svc + 1} SVC03" in err
    assert f"[clp-balance] ISA13=000000701 GS06=701 ST02=0001 segment #{clp + 1} CLP04" in err
    assert "[bpr-balance]" not in err and "[se01-count]" in err and "SE01" in err
    assert summary["transactions_applied"] == len(acks) + 1


def interchange(segs, isa13: str, claims: slice) -> list[list[str]]:
    """The 835 of ``segs`` as another interchange (ISA13), holding only some of its claims, BPR02 their sum."""
    head = [list(s) for s in segs[:next(i for i, s in enumerate(segs) if s[0] == "LX")]]
    starts = [i for i, s in enumerate(segs) if s[0] == "CLP"]
    end = next(i for i, s in enumerate(segs) if s[0] in ("PLB", "SE"))
    chosen = starts[claims]
    body = [list(s) for a in chosen for s in segs[a:next((b for b in starts if b > a), end)]]
    total = sum((D(s[4]) for s in body if s[0] == "CLP"), D(0))
    for s in head:
        if s[0] == "ISA":
            s[13] = isa13
        elif s[0] == "BPR":
            s[2] = str(total)
    return head + [["LX", "1"]] + body + [["SE", "0", "0001"], ["GE", "1", head[1][6]], ["IEA", "1", isa13]]


def test_remittances_sharing_a_trace_number_are_all_applied(loop, tmp_path):
    ledger, eras, acks = loop
    segs = segments(eras["cascade"])
    three = (interchange(segs, "000000801", slice(0, 30)) + interchange(segs, "000000802", slice(30, 67))
             + interchange(segs, "000000803", slice(67, None)))
    era = write(tmp_path / "three.835", three)
    assert len({tuple(s) for s in three if s[0] == "TRN"}) == 1
    result, summary, reports = reconcile(ledger, [*acks, era], tmp_path)
    assert result.exit_code == 1, result.output  # applied, with a finding for each reused trace number
    assert summary["transactions_applied"] == len(acks) + 3 and summary["already_applied"] == 0
    assert result.stderr.count("[trace-reused]") == 2
    with sqlite3.connect(ledger) as db:
        paid = sum((D(p) for (p,) in db.execute("SELECT paid FROM claims")), D(0))
    assert paid == sum(clp04_by_claim(three).values()) == bpr02(three)
    assert sum(D(r["paid"]) for r in reports["disbursement"]) == bpr02(three)
    # the same file again, and one of its remittances resent in a new interchange: nothing new
    resent = write(tmp_path / "resent.835", interchange(segs, "000000999", slice(30, 67)))
    again, summary, reports = reconcile(ledger, [era, resent], tmp_path)
    assert again.exit_code == 0, again.output
    assert summary["transactions_applied"] == 0 and summary["already_applied"] == 4
    with sqlite3.connect(ledger) as db:
        assert sum((D(p) for (p,) in db.execute("SELECT paid FROM claims")), D(0)) == paid


def test_claims_and_lines_we_never_sent_go_to_unmatched(loop, tmp_path):
    ledger, eras, acks = loop
    segs = segments(eras["cascade"])
    clps = [i for i, s in enumerate(segs) if s[0] == "CLP"]
    segs[clps[0]][1] = "NEVER-SENT-1"
    ref = next(i for i in range(clps[1], clps[2]) if segs[i][:2] == ["REF", "6R"])
    segs[ref][2] = "NO-SUCH-LINE"
    svc = max(i for i in range(ref) if segs[i][0] == "SVC")
    era = write(tmp_path / "unmatched.835", segs)
    result, summary, reports = reconcile(ledger, [*acks, era], tmp_path)
    assert result.exit_code == 1 and summary["unknown_claims"] == 1 and summary["unmatched_lines"] >= 3
    rows = [(r["claim_id"], r["service_id"], D(r["amount"])) for r in reports["unmatched"]]
    assert rows == [("NEVER-SENT-1", "", D(segs[clps[0]][4])), (segs[clps[1]][1], "NO-SUCH-LINE", D(segs[svc][3]))]
    assert sum(D(r["paid"]) for r in reports["disbursement"]) + sum(r[2] for r in rows) == bpr02(segs)


def test_one_big_transaction_set_is_applied_in_bounded_memory(loop, tmp_path):
    """Claim by claim: the peak of applying an ST/SE of ~18,000 claims is not ten times that of ~1,800."""
    import tracemalloc

    from sdohedi import reconcile as rec
    from sdohedi.ledger import Ledger

    ledger, eras, _acks = loop
    segs = segments(eras["cascade"])
    lx = next(i for i, s in enumerate(segs) if s[0] == "LX")
    se = next(i for i, s in enumerate(segs) if s[0] == "SE")
    peaks = []
    for copies in (10, 100):
        big = [list(s) for s in segs[:lx + 1]] + segs[lx + 1:se] * copies + segs[se:]
        next(s for s in big if s[0] == "BPR")[2] = str(bpr02(segs) * copies)
        era = write(tmp_path / f"x{copies}.835", big)
        with Ledger(ledger) as lg:
            tracemalloc.start()
            result = rec.apply_835_file(lg, era)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        assert result.applied == 1 and result.claims_matched == 184 * copies
        assert [f.rule for f in result.findings] == ([] if copies == 10 else ["trace-reused"])  # the TRN of x10
    assert peaks[1] < 1.5 * peaks[0], peaks
