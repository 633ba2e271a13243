"""Reconciliation: apply 835 remittances to the ledger and work out what each CBO is owed.

Matching: CLP01 = CLM01 (the claim id we sent), SVC REF*6R = service_id (the line control
number we sent). Applying is idempotent: a remittance is keyed by its trace (TRN03 payer id +
TRN02 trace number); the same 835 applied twice changes nothing the second time.

Claim status after a remittance (the latest remittance for a claim wins, amounts accumulate):
- ``paid``: CLP04 > 0 and nothing left to the patient or unpaid beyond contractual (CO) adjustments;
- ``partial``: CLP04 > 0 but patient responsibility (PR) or other (OA/PI) adjustments remain;
- ``denied``: CLP02 = 4, or CLP04 = 0 on a processed claim;
- ``reversed``: CLP02 = 22 (a reversal of a prior payment; its negative amounts net out);
- CLP01 not in the ledger: recorded as ``unknown claim`` and reported.

Works on either ledger (SQLite ``Ledger``, PostgreSQL ``PgLedger``) with one copy of the SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .ledger import RECONCILE_TABLES, SqlLedger, select_in, utc_now
from .models.config import NLEConfig
from .models.remit import ClaimPayment, Remittance

CENT = Decimal("0.01")
PROCESSED = {"1", "2", "3", "19", "20", "21"}
RECONCILE_SCHEMA = RECONCILE_TABLES  # its name before the tables moved to sdohedi.ledger


@dataclass
class ApplyResult:
    applied: int = 0
    already_applied: int = 0
    claims_matched: int = 0
    unknown_claims: list[str] = field(default_factory=list)
    unmatched_lines: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _outcome(c: ClaimPayment) -> str:
    if c.status_code == "22":
        return "reversed"
    if c.status_code == "4" or (c.status_code in PROCESSED and c.paid == 0):
        return "denied"
    # claim- and line-level CAS: a line's OA/PI/PR leaves money unpaid as much as the claim's
    non_contractual = sum((a.amount for a in c.all_adjustments if a.group != "CO"), Decimal(0))
    if c.paid > 0 and non_contractual == 0 and not (c.patient_responsibility or 0):
        return "paid"
    return "partial"


def _adj_json(adjustments) -> str:
    if not adjustments:
        return "[]"  # what json.dumps([]) gives, for most claims and lines, without its cost
    return json.dumps([[a.group, a.reason, str(a.amount)] for a in adjustments])


def ensure_schema(ledger: SqlLedger) -> None:
    """Reconcile's tables (``sdohedi.ledger.RECONCILE_TABLES``). Both ledgers already create them when
    opened for writing, also on a ledger made before they existed; kept for callers of old."""
    if not ledger.readonly:
        ledger.create_tables()


def _apply_claims(ledger: SqlLedger, remit: Remittance, first: int, last: int, now: str,
                  result: ApplyResult) -> None:
    """Apply the 835's claims ``first``..``last`` (1-based, their seq), no more than one chunk of
    ``Dialect.where_in``: a few statements for them all (one per claim made PostgreSQL slow). The
    ledger holds what earlier chunks wrote: a claim met again adds to it, as claim by claim did."""
    key = (remit.trace_payer_id, remit.trace_number)
    batch = remit.claims[first - 1:last]
    claims = {r[0]: r for r in select_in(
        ledger, "SELECT claim_id, paid, patient_responsibility FROM claims WHERE {in}", "claim_id",
        {c.claim_id for c in batch})}
    # the lines of claims this transaction holds (locking no other claim's lines: no deadlock)
    lines = {r[0]: r for r in select_in(
        ledger, "SELECT service_id, claim_id, paid FROM claim_lines WHERE {in}" + ledger.dialect.for_update,
        "claim_id", claims)}
    # a claim or a line can come more than once (a reversal and its correction): each time adds to
    # the amounts (exact decimals in TEXT) as updated so far; the last update is written
    claim_updates: dict[str, tuple] = {}  # claim_id: (status, paid, patient resp., payer claim no., ...)
    line_updates: dict[str, tuple] = {}  # service_id: (paid, status, service_id, claim_id)
    claim_payments: list[tuple] = []
    line_payments: list[tuple] = []
    for seq, c in enumerate(batch, first):
        claim_id = c.claim_id
        row = claims.get(claim_id)
        outcome = _outcome(c)
        matched = row is not None
        claim_payments.append(key + (
            seq, claim_id, int(matched), c.status_code, outcome, str(c.charge), str(c.paid),
            str(c.patient_responsibility or 0), c.payer_claim_number, _adj_json(c.adjustments)))
        result.outcomes[outcome if matched else "unknown claim"] += 1
        if not matched:
            result.unknown_claims.append(claim_id)
        else:
            result.claims_matched += 1
            prev = claim_updates.get(claim_id)
            paid, pr, icn = prev[1:4] if prev else (row[1], row[2], None)
            # payer_claim_number = COALESCE(?, payer_claim_number) at each: the latest given
            claim_updates[claim_id] = (outcome, str(Decimal(paid) + c.paid),
                                       str(Decimal(pr) + (c.patient_responsibility or 0)),
                                       icn if c.payer_claim_number is None else c.payer_claim_number, now, claim_id)
        for lseq, s in enumerate(c.services, 1):
            sid = s.line_control_number
            line = lines.get(sid) if matched and sid else None
            if line is not None and line[1] != claim_id:
                line = None  # another claim's line
            line_payments.append(key + (seq, lseq, claim_id, sid, int(line is not None), s.procedure_code,
                                        str(s.charge), str(s.paid), _adj_json(s.adjustments)))
            if line is None:
                result.unmatched_lines += 1
                continue
            prev = line_updates.get(sid)
            paid = prev[0] if prev else line[2]
            status = "reversed" if c.status_code == "22" else ("paid" if s.paid > 0 else "denied")
            line_updates[sid] = (str(Decimal(paid) + s.paid), status, sid, claim_id)
    ledger.executemany(
        "INSERT INTO claim_payments(trace_payer_id, trace_number, seq, claim_id, matched, status_code, outcome,"
        " charge, paid, patient_responsibility, payer_claim_number, adjustments)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", claim_payments)
    ledger.executemany(
        "UPDATE claims SET status = ?, paid = ?, patient_responsibility = ?,"
        " payer_claim_number = COALESCE(?, payer_claim_number), updated_at = ? WHERE claim_id = ?",
        list(claim_updates.values()))
    ledger.executemany(
        "INSERT INTO line_payments(trace_payer_id, trace_number, claim_seq, line_seq, claim_id, service_id,"
        " matched, procedure_code, charge, paid, adjustments) VALUES (?,?,?,?,?,?,?,?,?,?,?)", line_payments)
    ledger.executemany("UPDATE claim_lines SET paid = ?, status = ? WHERE service_id = ? AND claim_id = ?",
                       list(line_updates.values()))


def apply_remittance(ledger: SqlLedger, remit: Remittance, *, source: str = "") -> ApplyResult:
    """Apply one 835 transaction to the ledger in one database transaction (idempotent).

    The same SQL runs on SQLite and PostgreSQL (``ledger.execute``, see ``sdohedi.ledger.Dialect``),
    a few statements per chunk of claims (``_apply_claims``), not per claim."""
    result = ApplyResult()
    key = (remit.trace_payer_id, remit.trace_number)
    q = ledger.execute
    now = utc_now()
    with ledger.transaction():
        # the trace row first: applying again (also concurrently, from another process, which waits
        # on the key until this transaction ends) inserts nothing and stops here
        cur = q("INSERT INTO remittances(trace_payer_id, trace_number, isa13, st02, payer_id, payment_date,"
                " total_payment, source, applied_at) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (trace_payer_id, trace_number) DO NOTHING",
                key + (remit.interchange_control_number, remit.transaction_control_number, remit.payer.id,
                       remit.payment_date.isoformat(), str(remit.total_payment), source, now))
        if cur.rowcount == 0:
            result.already_applied = 1
            return result
        # every claim locked first, in one order (PostgreSQL; see lock_claims), then applied in chunks
        ledger.lock_claims({c.claim_id for c in remit.claims})
        step = ledger.dialect.in_chunk
        for first in range(1, len(remit.claims) + 1, step):
            _apply_claims(ledger, remit, first, min(first + step - 1, len(remit.claims)), now, result)
        # after the claims' updates: a PLB may name a payer claim number this 835 just gave
        refs = {p.reference_id for p in remit.provider_adjustments if p.reference_id}
        hits: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for column in ("payer_claim_number", "claim_id"):
            for claim_id, created_at, icn in select_in(
                    ledger, "SELECT claim_id, created_at, payer_claim_number FROM claims WHERE {in}", column, refs):
                hits[icn if column == "payer_claim_number" else claim_id].append((created_at, claim_id))
        # several claims can carry one payer claim number (an original and its replacement):
        # the earliest, whichever order the backend returns them in
        ledger.executemany(
            "INSERT INTO provider_adjustments(trace_payer_id, trace_number, seq, provider_id, reason, reference_id,"
            " amount, claim_id) VALUES (?,?,?,?,?,?,?,?)",
            [key + (seq, p.provider_id, p.reason, p.reference_id, str(p.amount),
                    min(hits[p.reference_id])[1] if p.reference_id and hits[p.reference_id] else None)
             for seq, p in enumerate(remit.provider_adjustments, 1)])
    result.applied = 1
    return result


def apply_all(ledger: SqlLedger, remits: Iterable[Remittance], *, source: str = "") -> ApplyResult:
    total = ApplyResult()
    for r in remits:
        one = apply_remittance(ledger, r, source=source)
        total.applied += one.applied
        total.already_applied += one.already_applied
        total.claims_matched += one.claims_matched
        total.unknown_claims += one.unknown_claims
        total.unmatched_lines += one.unmatched_lines
        for k, v in one.outcomes.items():
            total.outcomes[k] += v
    return total


# -- reports --------------------------------------------------------------------------------
# Rows are ordered in Python, not by ORDER BY: PostgreSQL sorts text by the database's collation,
# SQLite by code point; Python's str order is SQLite's, so both backends give the same reports.

def outstanding(ledger: SqlLedger, today: dt.date | None = None) -> list[dict]:
    """Claims sent with no remittance yet (or only acknowledged), oldest first, with age in days."""
    today = today or dt.date.today()
    rows = sorted(ledger.execute(
        "SELECT claim_id, payer_key, cbo_key, total_charge, created_at, status, ack_status FROM claims"
        " WHERE status IN ('submitted', 'accepted')").fetchall(), key=lambda r: (r[4], r[0]))
    return [{"claim_id": r[0], "payer": r[1], "cbo": r[2], "charge": r[3], "submitted": r[4][:10],
             "age_days": (today - dt.date.fromisoformat(r[4][:10])).days, "status": r[5], "ack_status": r[6] or ""}
            for r in rows]


def denials(ledger: SqlLedger) -> list[dict]:
    """Denied and reduced amounts by CAS group and reason (claim and line level), largest first
    (equal amounts by group, then reason)."""
    totals: dict[tuple[str, str], list] = {}
    for (adj,) in ledger.execute(
            "SELECT adjustments FROM claim_payments UNION ALL SELECT adjustments FROM line_payments"):
        for group, reason, amount in json.loads(adj):
            t = totals.setdefault((group, reason), [0, Decimal(0)])
            t[0] += 1
            t[1] += Decimal(amount)
    from .codes import describe

    out = [{"group": g, "reason": r, "description": describe("carc", r), "count": n, "amount": str(a)}
           for (g, r), (n, a) in totals.items()]
    return sorted(out, key=lambda d: (-Decimal(d["amount"]), d["group"], d["reason"]))


def disbursement(ledger: SqlLedger, config: NLEConfig) -> list[dict]:
    """What the NLE owes each CBO, per payer: paid on its lines, minus the network's
    administrative fee (payer's ``admin_fee_percent``), minus provider-level adjustments (PLB)
    traced to one of its claims. PLBs that trace to no claim stay with the network."""
    paid: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for cbo, payer, amount in ledger.execute(
            "SELECT l.cbo_key, c.payer_key, l.paid FROM claim_lines l JOIN claims c USING (claim_id)"):
        paid[(cbo, payer)] += Decimal(amount)
    plb: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for cbo, payer, amount in ledger.execute(
            "SELECT c.cbo_key, c.payer_key, p.amount FROM provider_adjustments p JOIN claims c USING (claim_id)"):
        plb[(cbo, payer)] += Decimal(amount)
    out = []
    for key in sorted(set(paid) | set(plb)):
        cbo, payer = key
        pct = config.payers[payer].admin_fee_percent if payer in config.payers else Decimal(0)
        gross = paid.get(key, Decimal(0))
        fee = (gross * pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        adj = plb.get(key, Decimal(0))
        out.append({"cbo": cbo, "payer": payer, "paid": str(gross.quantize(CENT)), "admin_fee_percent": str(pct),
                    "admin_fee": str(fee), "provider_adjustments": str(adj.quantize(CENT)),
                    "owed": str((gross - fee - adj).quantize(CENT))})
    return out


def network_adjustments(ledger: SqlLedger) -> list[dict]:
    """Provider-level adjustments traced to no claim, in the order their remittances were applied."""
    rows = sorted(ledger.execute(
        "SELECT r.applied_at, p.trace_payer_id, p.trace_number, p.seq, p.reason, p.reference_id, p.amount"
        " FROM provider_adjustments p JOIN remittances r USING (trace_payer_id, trace_number)"
        " WHERE p.claim_id IS NULL").fetchall(), key=lambda r: r[:4])
    return [{"reason": r, "reference_id": ref or "", "amount": a} for *_, r, ref, a in rows]
