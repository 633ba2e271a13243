"""The dashboard's figures, computed from the ledger by the functions behind reconcile's reports.

Every figure is a list of rows keyed by payer, CBO and service month (of the claim's first date
of service), amounts in integer cents, so the page's script can filter and sum them exactly: the
sum of the rows a filter keeps is the figure for that filter. The administrative fee is taken
per CBO, payer and period (as :func:`sdohedi.reconcile.disbursement` does), so ``owed`` holds one
row per CBO and payer for the whole period (``month`` = ``ALL_MONTHS``) and one per CBO, payer and
month: the page sums the former when no month is chosen, the latter's rows of the chosen month
otherwise. Nothing here names a member: counts and amounts only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from .. import reconcile as rec
from ..codes import describe, load_table
from ..ledger import LedgerError, SqlLedger
from ..models.config import NLEConfig

ALL_MONTHS = "*"
DOMAINS = ("food", "housing", "transportation", "case_management", "other")
AGE_BUCKETS = ((30, "0-30"), (60, "31-60"), (90, "61-90"), (None, "90+"))
# what claims.ack_status holds (sdohedi.acks), as the page names it
ACK_STATES = {"": "not acknowledged", "999-A": "999 accepted", "999-E": "999 accepted with errors",
              "277CA-accepted": "277CA accepted"}
UNKNOWN_DIM = ""  # payer, CBO and month of a claim we never sent (an 835's CLP01 not in the ledger)


def cents(amount: Decimal | str) -> int:
    """Integer cents (half up: X12 amounts have at most two decimals, so this rounds nothing)."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def age_bucket(days: int) -> str:
    for limit, name in AGE_BUCKETS:
        if limit is None or days <= limit:
            return name
    raise AssertionError("unreachable")


def procedure_domain(code: str) -> str:
    """The social-care domain of a procedure code (``domain`` in schemas/codes/procedures.json);
    a code the bundled set does not have (a payer's own) is ``other``."""
    row = load_table("procedures").get(code)
    return row["domain"] if row else "other"


class Period:
    """Claims whose first date of service is within [start, end] (either open)."""

    def __init__(self, start: dt.date | None = None, end: dt.date | None = None) -> None:
        self.start, self.end = start, end

    @property
    def everything(self) -> bool:
        return self.start is None and self.end is None

    def __call__(self, claim_id: str, first_service_date: str) -> bool:
        day = dt.date.fromisoformat(first_service_date[:10])
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


def _sum_rows(totals: dict[tuple, list], names: tuple[str, ...], values: tuple[str, ...]) -> list[dict]:
    return [dict(zip(names, key)) | dict(zip(values, v)) for key, v in sorted(totals.items())]


def figures(ledger: SqlLedger, config: NLEConfig, *, today: dt.date | None = None,
            period: Period | None = None) -> dict:
    """Everything the page shows, as JSON-ready data (see the module's docstring)."""
    today = today or dt.date.today()
    period = period or Period()
    claims = {cid: (payer, cbo, first) for cid, payer, cbo, first in ledger.execute(
        "SELECT claim_id, payer_key, cbo_key, first_service_date FROM claims")}
    kept = {cid for cid, (_, _, first) in claims.items() if period(cid, first)}

    def dims(claim_id: str) -> tuple[str, str, str] | None:
        """(payer, CBO, month) of a claim in the period; unknown claims only when no period is set."""
        if claim_id in kept:
            payer, cbo, first = claims[claim_id]
            return payer, cbo, rec.service_month(first)
        if claim_id not in claims and period.everything:
            return UNKNOWN_DIM, UNKNOWN_DIM, UNKNOWN_DIM
        return None

    shares = list(rec.claim_shares(ledger))  # read once for the three figures that sum them
    money = ("paid", "claim_level", "admin_fee", "provider_adjustments", "owed")
    owed = []
    for by_month in (False, True):
        for row in rec.disbursement(ledger, config, by_month=by_month, claims=period, shares=shares):
            owed.append({"payer": row["payer"], "cbo": row["cbo"], "month": row.get("month", ALL_MONTHS),
                         "admin_fee_percent": row["admin_fee_percent"]} | {m: cents(row[m]) for m in money})

    # billed: the charges of the claims that reached the payer (not those a 999 or 277CA rejected)
    billed: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for cid, charge in ledger.execute("SELECT claim_id, total_charge FROM claims WHERE status <> 'rejected'"):
        if (d := dims(cid)) and d[0] != UNKNOWN_DIM:
            t = billed[d]
            t[0] += 1
            t[1] += cents(charge)

    denied: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for cid, group, reason, amount in rec.adjustment_rows(ledger):
        if d := dims(cid):
            t = denied[d + (group, reason)]
            t[0] += 1
            t[1] += 0 if amount is None else cents(amount)  # counted, not summed, as in denials.csv

    remarks: dict[tuple, list] = defaultdict(lambda: [0, 0])
    try:
        for cid, code, amount in rec.remark_rows(ledger):
            if d := dims(cid):
                t = remarks[d + (code,)]
                t[0] += 1
                t[1] += cents(amount)
    except LedgerError:  # a ledger no reconcile has opened for writing since remarks were kept: none known
        remarks.clear()

    outstanding: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for row in rec.outstanding(ledger, today):
        if d := dims(row["claim_id"]):
            t = outstanding[d + (age_bucket(row["age_days"]), ACK_STATES.get(row["ack_status"], row["ack_status"]))]
            t[0] += 1
            t[1] += cents(row["charge"])

    domains = _domain_spend(ledger, shares, period)
    return {
        "generated": today.isoformat(),
        "period": {"from": period.start.isoformat() if period.start else None,
                   "to": period.end.isoformat() if period.end else None},
        "payers": {key: p.name for key, p in sorted(config.payers.items())},
        "owed": owed,
        "billed": _sum_rows(billed, ("payer", "cbo", "month"), ("claims", "billed")),
        "denials": _sum_rows(denied, ("payer", "cbo", "month", "group", "reason"), ("count", "amount")),
        "carc": {r: describe("carc", r) for (*_, r) in denied},
        "remarks": _sum_rows(remarks, ("payer", "cbo", "month", "code"), ("count", "amount")),
        "rarc": {code: describe("rarc", code) for (*_, code) in remarks},
        "outstanding": _sum_rows(outstanding, ("payer", "cbo", "month", "bucket", "ack"), ("claims", "charge")),
        "first_pass": _first_pass(ledger, claims, kept),
        "domains": _sum_rows(domains, ("payer", "cbo", "month", "domain"), ("paid",)),
        "buckets": [name for _, name in AGE_BUCKETS],
        "domain_names": list(DOMAINS),
    }


def _domain_spend(ledger: SqlLedger, shares: list[rec.ClaimShare], period: Period) -> dict[tuple, list]:
    """Paid by social-care domain: each matched line's SVC03 in its procedure's domain; what a claim
    is paid at claim level (no line accounts for it) in the domain of the claim's lines when they
    share one, else ``other``. Sums to disbursement's ``paid``."""
    line_domain: dict[str, str] = {}
    claim_domains: dict[str, set[str]] = defaultdict(set)
    for sid, cid, code in ledger.execute("SELECT service_id, claim_id, procedure_code FROM claim_lines"):
        line_domain[sid] = procedure_domain(code)
        claim_domains[cid].add(line_domain[sid])
    out: dict[tuple, list] = defaultdict(lambda: [0])
    for share in shares:
        if not period(share.claim_id, share.first_service_date):
            continue
        key = (share.payer, share.cbo, rec.service_month(share.first_service_date))
        for sid, paid in share.lines:
            out[key + (line_domain.get(sid, "other"),)][0] += cents(paid)
        if share.claim_level:
            shared = claim_domains.get(share.claim_id, set())
            out[key + (next(iter(shared)) if len(shared) == 1 else "other",)][0] += cents(share.claim_level)
    return out


def _first_pass(ledger: SqlLedger, claims: dict, kept: set[str]) -> list[dict]:
    """Per payer, CBO and month, of the original claims (frequency 1, none of whose lines was on an
    earlier claim): how many got an answer (an acknowledgment or a remittance) and how many of those
    a 999 or 277CA did not reject; how many were adjudicated (a remittance of known CLP04) and how
    many of those the first remittance paid (CLP04 > 0)."""
    rebilled = {cid for (cid,) in ledger.execute(
        "SELECT DISTINCT l.claim_id FROM claim_lines l JOIN line_history h ON h.service_id = l.service_id"
        " WHERE h.claim_id <> l.claim_id")}
    first: dict[str, tuple] = {}
    for applied, key, seq, cid, paid in sorted(ledger.execute(
            "SELECT r.applied_at, p.remittance_key, p.seq, p.claim_id, p.paid FROM claim_payments p"
            " JOIN remittances r USING (remittance_key) WHERE p.matched = 1").fetchall()):
        first.setdefault(cid, (paid,))
    out: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0])
    for cid, frequency, status, ack in ledger.execute("SELECT claim_id, frequency, status, ack_status FROM claims"):
        if cid not in kept or frequency != "1" or cid in rebilled:
            continue
        payer, cbo, first_date = claims[cid]
        t = out[(payer, cbo, rec.service_month(first_date))]
        answered = bool(ack) or cid in first
        if answered:
            t[0] += 1
            t[1] += status != "rejected"
        if cid in first and first[cid][0] != rec.UNKNOWN:
            t[2] += 1
            t[3] += Decimal(first[cid][0]) > 0
    return _sum_rows(out, ("payer", "cbo", "month"), ("answered", "accepted", "adjudicated", "paid"))
