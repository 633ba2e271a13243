"""Apply acknowledgments to the ledger: 999s per transaction set, 277CAs per claim.

- A 999 that rejects a transaction set (IK5 R/M/W/X, or AK9 R for the whole group) means none
  of its claims reached the payer: those claims become ``rejected`` and their service lines are
  released (moved to ``line_history``) so the corrected rows can be billed again as new claims.
  Accepted (A/E) transaction sets are marked ``A``/``E``.
- A 277CA accepts a claim into adjudication (A1/A2: claim ``accepted``) or rejects it
  (A3/A6/A7/A8: ``rejected``, lines released, the STC codes kept for the CBO to correct);
  REF*1K, the payer's claim number, is stored for replacement and void claims (REF*F8).
Applying the same acknowledgment twice leaves the ledger as after the first time. Either ledger
(SQLite or PostgreSQL) runs the same SQL (``ledger.execute``, see ``sdohedi.ledger.Dialect``).

Refused whole (:class:`~sdohedi.x12.X12Error`, nothing applied): an acknowledgment that breaks off
(no SE, GE or IEA, a segment cut short, a 999 group without its AK9), and a 277 that is not a
277CA (ST03 or GS08 other than 005010X214, e.g. the 005010X212 claim status response). What
matches nothing in the ledger (a 999 for a group we never sent, a 277CA claim we never billed) is
a finding; an acknowledgment counts as applied when something in it matched.
"""

from __future__ import annotations

from collections.abc import Iterable

from .ack999.reader import read_999
from .ledger import SqlLedger, release_lines, utc_now
from .problems import Problem, problem
from .reconcile import ApplyResult, take_turn
from .status277.reader import read_277ca
from .x12 import X12Error

REJECTED_999 = {"R", "M", "W", "X"}
CLAIM_ACKNOWLEDGMENT = "005010X214"  # the 277CA's guide; 005010X212 is the claim status response
# the readers' findings that mean the acknowledgment broke off (see sdohedi.validate.engine)
_INCOMPLETE = ("truncated", "se-missing", "ge-missing", "iea-missing")


def _refuse_incomplete(kind: str, findings, segments: int) -> None:
    """Raise when the reader found the acknowledgment cut short: a partial one is not applied."""
    for f in findings:
        if f.rule in _INCOMPLETE:
            raise X12Error(f"{kind} is incomplete ({f.message}); not applied", rule=f.rule,
                           segment=f.location.segment, position=f.location.position or segments + 1)


def _unmatched(message: str, position: int | None, segment: str, element: int) -> Problem:
    return problem(severity="error", rule="ack-unmatched", message=message, position=position, segment=segment,
                   element=element)


def apply_999(ledger: SqlLedger, chunks: Iterable[bytes]) -> ApplyResult:
    ack = read_999(chunks)
    _refuse_incomplete("999", ack.findings, ack.segments)
    for group in ack.groups:
        if group.status is None:
            raise X12Error("999 group has no AK9 (its verdict); not applied", rule="segment-missing", segment="AK9",
                           position=group.position)
    result = ApplyResult()
    if not ack.groups:
        result.findings.append(_unmatched("999 acknowledges no functional group (no AK1)", None, "AK1", 1))
    now = utc_now()
    q = ledger.execute
    with ledger.transaction():
        take_turn(ledger)
        for group in ack.groups:
            hits = sorted(q("SELECT sender_id, isa13 FROM interchanges WHERE gs06 = ?",
                            (int(group.control_number) if group.control_number.isdigit() else -1,)).fetchall())
            if not hits:
                result.outcomes["999 for unknown group"] += 1
                result.findings.append(_unmatched("999 acknowledges a functional group (AK102) we never sent",
                                                  group.position, "AK1", 2))
                continue
            result.applied = 1
            for sender_id, isa13 in hits:
                q("UPDATE interchanges SET ack_status = ? WHERE sender_id = ? AND isa13 = ?",
                  (group.status, sender_id, isa13))
                acks = {t.control_number: t.status for t in group.transactions}
                for (st02,) in sorted(q("SELECT st02 FROM transactions WHERE sender_id = ? AND isa13 = ?",
                                        (sender_id, isa13)).fetchall()):
                    status = acks.get(st02) or ("R" if group.status == "R" else None)
                    if status is None:
                        continue
                    q("UPDATE transactions SET ack_status = ? WHERE sender_id = ? AND isa13 = ? AND st02 = ?",
                      (status, sender_id, isa13, st02))
                    # locked as read: a remittance applied meanwhile (status paid, ...) is not undone
                    claims = sorted(c for (c,) in q(
                        "SELECT claim_id FROM claims WHERE sender_id = ? AND isa13 = ? AND st02 = ?"
                        " AND status IN ('submitted', 'accepted')" + ledger.dialect.for_update,
                        (sender_id, isa13, st02)).fetchall())
                    for claim_id in claims:
                        if status in REJECTED_999:
                            q("UPDATE claims SET status = 'rejected', ack_status = ?, ack_codes = ?,"
                              " updated_at = ? WHERE claim_id = ?", (f"999-{status}", "", now, claim_id))
                            release_lines(ledger, claim_id, now)
                            result.outcomes["rejected (999)"] += 1
                        else:
                            q("UPDATE claims SET ack_status = ?, updated_at = ? WHERE claim_id = ?",
                              (f"999-{status}", now, claim_id))
                            result.outcomes["accepted (999)"] += 1
    return result


def apply_277ca(ledger: SqlLedger, chunks: Iterable[bytes]) -> ApplyResult:
    report = read_277ca(chunks)
    _refuse_incomplete("277CA", report.findings, report.segments)
    if not report.guides:
        raise X12Error("277 has no transaction set (ST); not applied", rule="segment-missing", segment="ST")
    for position, guide in report.guides:
        if guide != CLAIM_ACKNOWLEDGMENT:
            raise X12Error(f"277 of guide {guide[:12] or '(none named)'} is not a 277CA ({CLAIM_ACKNOWLEDGMENT},"
                           " claim acknowledgment); not applied", rule="transaction-not-supported", segment="ST", element=3,
                           position=position)
    result = ApplyResult()
    if not report.claims:
        result.findings.append(_unmatched("277CA acknowledges no claim (no patient-level TRN)", None, "TRN", 2))
    now = utc_now()
    q = ledger.execute
    with ledger.transaction():
        take_turn(ledger)
        # each claim's status is read, then updated: hold its row meanwhile (PostgreSQL)
        ledger.lock_claims(c.patient_control_number for c in report.claims)
        for c in report.claims:
            row = q("SELECT status FROM claims WHERE claim_id = ?", (c.patient_control_number,)).fetchone()
            if row is None:
                result.unknown_claims.append(c.patient_control_number)
                result.findings.append(_unmatched("277CA acknowledges a claim (TRN02) we never sent", c.position,
                                                  "TRN", 2))
                continue
            result.applied = 1
            result.claims_matched += 1
            codes = ";".join(f"{s.category}:{s.code or ''}:{s.entity or ''}" for r in c.reports for s in r.codes)
            status = c.status
            if status == "rejected" and row[0] in ("submitted", "accepted"):
                q("UPDATE claims SET status = 'rejected', ack_status = '277CA-rejected', ack_codes = ?,"
                  " payer_claim_number = COALESCE(?, payer_claim_number), updated_at = ? WHERE claim_id = ?",
                  (codes, c.payer_claim_number, now, c.patient_control_number))
                release_lines(ledger, c.patient_control_number, now)
                result.outcomes["rejected (277CA)"] += 1
            elif status == "accepted":
                new_status = "accepted" if row[0] == "submitted" else row[0]
                q("UPDATE claims SET status = ?, ack_status = '277CA-accepted', ack_codes = ?,"
                  " payer_claim_number = COALESCE(?, payer_claim_number), updated_at = ? WHERE claim_id = ?",
                  (new_status, codes, c.payer_claim_number, now, c.patient_control_number))
                result.outcomes["accepted (277CA)"] += 1
            else:
                result.outcomes["other (277CA)"] += 1
    return result
