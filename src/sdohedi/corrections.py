"""What the ledger says about a billed claim that ``sdohedi correct`` is asked to correct.

A claim is in one of these states (:func:`claim_states`):

- ``adjudicated``: an applied 835 processed or denied it (CLP02 1, 2, 3, 4, 19, 20 or 21) and no
  later remittance reversed it. It can be replaced (CLM05-3 7) or voided (8), both with REF*F8 =
  the CLP07 of its latest such CLP (``claim_payments.payer_claim_number``; a 277CA's REF*1K,
  which ``claims.payer_claim_number`` may hold, is not what the payer adjudicated).
- ``rejected``: a 999 or 277CA rejected it and no 835 adjudicated it. Its lines were released
  (``sdohedi.acks``); the corrected rows are billed as a new original claim (frequency 1, a new
  CLM01) that records the rejected claim in ``replaces``. A rejected replacement or void is the
  exception: the payer never saw it, so its correction corrects the claim it replaced or voided
  (:func:`correction_target`).
- ``reversed``: the payer's latest word on it is a reversal (CLP02 22): nothing to replace or void.
- ``pending``: sent, and neither adjudicated nor rejected yet.

Which claim replaced or voided which is the ``replaces`` column of the newer claim;
:func:`chain` walks it back to the first original.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .ledger import SqlLedger, select_in

ADJUDICATED_CODES = frozenset({"1", "2", "3", "4", "19", "20", "21"})
REVERSAL = "22"


@dataclass(frozen=True)
class ClaimState:
    claim_id: str
    state: str  # adjudicated | rejected | reversed | pending
    payer_key: str
    payer_claim_number: str | None  # CLP07 of the latest adjudication (adjudicated only)
    status: str  # the ledger's claims.status
    frequency: str = "1"
    replaces: str | None = None

    def refusal(self) -> tuple[str, str] | None:
        """(rule, why) this claim cannot be corrected, or None."""
        if self.state == "pending":
            return "correction-awaiting-adjudication", (f"awaiting adjudication: claim {self.claim_id} has no 835 and no 999/277CA rejection applied "
                    f"yet (status {self.status}); correct it once the payer answers")
        if self.state == "reversed":
            return "correction-reversed", (f"reversed by the payer: claim {self.claim_id}'s latest 835 reverses it (CLP02 22); nothing is "
                    "left to replace or void")
        if self.state == "adjudicated" and not self.payer_claim_number:
            return "no-payer-claim-number", (f"no payer claim number: the 835 that adjudicated claim {self.claim_id} gave no CLP07 "
                    "(REF*F8 needs it)")
        return None


def claim_states(ledger: SqlLedger, claim_ids: Iterable[str]) -> dict[str, ClaimState]:
    """The state of each claim of ``claim_ids`` the ledger holds."""
    ids = sorted(set(claim_ids))
    claims = {r[0]: r for r in select_in(
        ledger, "SELECT claim_id, payer_key, status, frequency, replaces FROM claims WHERE {in}", "claim_id", ids)}
    latest: dict[str, tuple] = {}  # claim_id: (applied_at, seq, CLP07) of its latest adjudicating CLP
    for claim_id, code, icn, applied_at, seq in select_in(
            ledger, "SELECT p.claim_id, p.status_code, p.payer_claim_number, r.applied_at, p.seq FROM claim_payments p"
                    " JOIN remittances r USING (remittance_key) WHERE p.matched = 1 AND p.{in}", "claim_id", ids):
        if code in ADJUDICATED_CODES and (claim_id not in latest or (applied_at, seq) > latest[claim_id][:2]):
            latest[claim_id] = (applied_at, seq, icn or None)
    out = {}
    for claim_id, payer_key, status, frequency, replaces in claims.values():
        if status == "reversed":
            state = "reversed"
        elif claim_id in latest:
            state = "adjudicated"
        elif status == "rejected":
            state = "rejected"
        else:
            state = "pending"
        icn = latest[claim_id][2] if state == "adjudicated" else None
        out[claim_id] = ClaimState(claim_id, state, payer_key, icn, status, frequency, replaces)
    return out


def correction_target(ledger: SqlLedger, claim_id: str) -> str:
    """The claim a correction of ``claim_id`` corrects: itself, unless it is a replacement or void a
    999 or 277CA rejected: the payer never saw it, so its correction is again one of the claim it
    replaced or voided (the payer's claim, REF*F8 its CLP07), followed back through such rejections."""
    seen = set()
    while claim_id not in seen:
        seen.add(claim_id)
        state = claim_states(ledger, [claim_id]).get(claim_id)
        if state is None or state.state != "rejected" or state.frequency not in ("7", "8") or not state.replaces:
            return claim_id
        claim_id = state.replaces
    return claim_id


def held_service_ids(ledger: SqlLedger, claim_ids: Iterable[str]) -> dict[str, set[str]]:
    """{claim_id: service ids it holds now or held before a correction or rejection moved them on}."""
    ids = sorted(set(claim_ids))
    out: dict[str, set[str]] = {c: set() for c in ids}
    for table in ("claim_lines", "line_history"):
        for claim_id, sid in select_in(ledger, f"SELECT claim_id, service_id FROM {table} WHERE {{in}}", "claim_id",
                                       ids):
            out[claim_id].add(sid)
    return out


def released_to(ledger: SqlLedger, service_ids: Iterable[str]) -> dict[str, str]:
    """{service_id: claim_id} for service ids billed on a claim a 999/277CA rejected, whose lines
    were released and not billed since (the latest such claim of each)."""
    ids = sorted(set(service_ids))
    billed = {r[0] for r in select_in(ledger, "SELECT service_id FROM claim_lines WHERE {in}", "service_id", ids)}
    found: dict[str, tuple[str, str]] = {}
    for sid, claim_id, at in select_in(
            ledger, "SELECT h.service_id, h.claim_id, h.replaced_at FROM line_history h JOIN claims c"
                    " USING (claim_id) WHERE c.status = 'rejected' AND h.{in}", "service_id", ids):
        if sid not in billed and (sid not in found or (at, claim_id) > found[sid]):
            found[sid] = (at, claim_id)
    return {sid: claim_id for sid, (_, claim_id) in found.items()}


def billed_lines(ledger: SqlLedger, claim_ids: Iterable[str]) -> dict[str, list[tuple]]:
    """{claim_id: [(service_id, procedure_code, modifiers, units, charge, service_date), ...]}: the
    lines each claim holds now, as they were billed."""
    out: dict[str, list[tuple]] = {}
    for row in select_in(ledger, "SELECT claim_id, service_id, procedure_code, modifiers, units, charge, service_date"
                                 " FROM claim_lines WHERE {in}", "claim_id", sorted(set(claim_ids))):
        out.setdefault(row[0], []).append(row[1:])
    return out


def chain(ledger: SqlLedger, claim_id: str) -> list[dict]:
    """``claim_id`` and the claims it replaced or voided, newest first, back to the first original:
    [{claim_id, frequency, replaces, status, payer_claim_number}, ...]."""
    out: list[dict] = []
    seen: set[str] = set()
    while claim_id and claim_id not in seen:
        seen.add(claim_id)
        row = ledger.execute("SELECT claim_id, frequency, replaces, status, payer_claim_number FROM claims"
                             " WHERE claim_id = ?", (claim_id,)).fetchone()
        if row is None:
            break
        out.append(dict(zip(("claim_id", "frequency", "replaces", "status", "payer_claim_number"), row)))
        claim_id = row[2]
    return out
