"""correct: corrected service-log rows of claims already billed -> replacement, void and new
original claims, through encode's own pipeline (ingest rules, pricing, grouping, control numbers,
atomic 0600 files, the billing lock); only which claim a line joins and its frequency differ.

Every row of the log must be of a service id billed before (a new service is billed with
``encode``). For the claim it is billed on (see ``sdohedi.corrections`` for the states):

- adjudicated: a replacement (CLM05-3 7, REF*F8 = its CLP07), or with ``--void`` a void (8,
  REF*F8). Both replace the whole claim, so every line the claim holds must be in the log: the
  ledger keeps no diagnoses or member details to carry a missing line over. A void's lines must
  be the claim's as billed (procedure, modifiers, units, charge, date): a void withdraws the claim
  the payer has, it does not change it. The rows of one claim must still form one claim (same
  payer, member, CBO, period, authorization) for the same payer.
- rejected by a 999 or 277CA (never adjudicated): a new original (frequency 1, new CLM01, no
  REF*F8), for any of its lines and any payer; the new claim records the rejected one. A rejected
  replacement or void is corrected as the claim it replaced or voided (the payer's claim).
- otherwise (awaiting adjudication, reversed by the payer): refused with the reason.

A refused row goes to rejects.csv naming its file, row, service id and the reason; the rows of a
claim are refused together when the claim cannot be corrected as a whole.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..corrections import billed_lines, claim_states, correction_target, held_service_ids, released_to
from ..ledger import SqlLedger
from ..models.config import NLEConfig
from .encode import EncodeSummary, encode
from .ingest import L, Reject

_SID, _REPLACES = L["service_id"], L["replaces"]
_GROUP = slice(0, 5)  # payer, member, cbo, period, prior_auth: what puts lines in one claim
_AS_BILLED = ("procedure_code", "modifiers", "units", "charge", "service_date")


class Correction:
    """Encode's line admission for ``correct``: lines are held until all are read (a replacement
    needs every line of its claim), then :meth:`finish` sends each on to its correcting claim
    (``replaces`` = the claim it corrects) or to the rejects."""

    def __init__(self, ledger: SqlLedger, voids: Iterable[str] = ()) -> None:
        self.ledger = ledger
        self.voids = set(voids)
        self.held: list[tuple] = []
        self.icns: dict[str, str] = {}  # claim corrected: its CLP07 (REF*F8)
        self.frequencies: dict[str, str] = {}  # claim corrected: CLM05-3 of the correcting claim
        self.kinds: dict[str, int] = defaultdict(int)  # replacement / void / new original: claims

    def admit(self, line: tuple) -> None:
        self.held.append(line)

    def finish(self, reject: Callable[[Reject], None]) -> Iterator[tuple]:
        lines = self.held
        self.held = []
        ledger = self.ledger
        billed = ledger.billed([ln[_SID] for ln in lines] + sorted(self.voids))
        released = released_to(ledger, [ln[_SID] for ln in lines if ln[_SID] not in billed])
        in_log = {ln[_SID] for ln in lines}
        for sid in sorted(self.voids - in_log):  # the void's rows are the log's (see the docstring)
            where = "" if sid in billed else "; nor is it billed on any claim"
            reject(Reject(0, sid, "--void", f"not in the log: a void is built from its claim's rows as billed{where}",
                          rule="correction-not-in-log"))
        targets: dict[str, str] = {}

        def target(claim_id: str) -> str:
            if claim_id not in targets:
                targets[claim_id] = correction_target(ledger, claim_id) if claim_id in released_claims else claim_id
            return targets[claim_id]

        released_claims = set(released.values())
        of_claim: dict[str, list[tuple]] = defaultdict(list)
        for ln in lines:
            claim_id = billed.get(ln[_SID]) or released.get(ln[_SID])
            if claim_id is None:
                reject(_refuse(ln, "correction-not-billed", "not billed: the ledger has no claim with this service id (bill it with encode)"))
            else:
                of_claim[target(claim_id)].append(ln)
        states = claim_states(ledger, of_claim)
        held_now = billed_lines(ledger, of_claim)
        held_ever = held_service_ids(ledger, of_claim)
        voided = {target(billed.get(s) or released[s]) for s in self.voids if s in billed or s in released}
        for claim_id in sorted(of_claim):
            rows = of_claim[claim_id]
            refusal, frequency = _decide(states[claim_id], claim_id in voided, rows, held_now.get(claim_id, []),
                                         held_ever[claim_id])
            if refusal:
                for ln in rows:
                    reject(_refuse(ln, *refusal))
                continue
            self.frequencies[claim_id] = frequency
            if frequency != "1":
                self.icns[claim_id] = states[claim_id].payer_claim_number
            self.kinds[{"7": "replacement", "8": "void", "1": "new original"}[frequency]] += 1
            for ln in rows:
                yield ln[:_REPLACES] + (claim_id,) + ln[_REPLACES + 1:]


def _refuse(line: tuple, rule: str, reason: str) -> Reject:
    return Reject(line[L["row_number"]], line[_SID], "service_id", reason, line[L["file"]], rule)


def _decide(state, void: bool, rows: list[tuple], held: list[tuple],
            held_ever: set[str]) -> tuple[tuple[str, str] | None, str]:
    """((rule, why) the claim's ``rows`` cannot correct it, or None; the correcting claim's frequency).
    ``held``: the claim's lines now, as billed; ``held_ever``: the service ids it has held."""
    claim_id = state.claim_id
    refusal = state.refusal()
    if refusal:
        return refusal, ""
    if state.state == "rejected":
        if void:
            return ("correction-nothing-to-void",
                    f"nothing to void: claim {claim_id} was rejected (999/277CA) and never adjudicated; "
                    "its rows are billed again as a new original without --void"), ""
        return None, "1"
    kind = "void" if void else "replacement"
    missing = sorted(held_ever - {ln[_SID] for ln in rows})
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        return ("correction-incomplete",
                f"incomplete {kind}: a {kind} covers the whole claim {claim_id}, whose service ids {shown} "
                "are not in the log"), ""
    if any(ln[L["payer"]] != state.payer_key for ln in rows):
        return ("correction-payer-differs",
                f"payer differs: claim {claim_id} was billed to {state.payer_key}; a {kind} goes to the same "
                "payer (void it, then bill the other payer with encode)"), ""
    if len({ln[_GROUP] for ln in rows}) > 1:
        return ("correction-split",
                f"split {kind}: the rows of claim {claim_id} differ in member, CBO, period or authorization and "
                "would make more than one claim"), ""
    if void:
        as_billed = {h[0]: h[1:] for h in held}
        for ln in rows:
            if ln[_SID] not in as_billed:
                continue  # on a rejected replacement or void of the claim once: the ledger kept no values
            now = tuple(ln[L[f]] for f in _AS_BILLED)
            differ = [f for f, a, b in zip(_AS_BILLED, now, as_billed[ln[_SID]]) if a != b]
            if differ:
                return ("correction-void-differs",
                        f"void differs from the claim as billed: service id {ln[_SID]}'s {', '.join(differ)} "
                        f"differ from what claim {claim_id} billed (a void withdraws the claim unchanged)"), ""
        return None, "8"
    return None, "7"


def correct(
    inputs: Iterable[str | Path],
    config: NLEConfig,
    *,
    out_dir: str | Path,
    ledger: SqlLedger,
    voids: Iterable[str] = (),
    today: dt.date | None = None,
    timestamp: dt.datetime | None = None,
) -> tuple[EncodeSummary, Correction]:
    """Correct billed claims from the rows of ``inputs`` (see the module's docstring)."""
    correction = Correction(ledger, voids)
    summary = encode(inputs, config, out_dir=out_dir, ledger=ledger, today=today, timestamp=timestamp,
                     correction=correction)
    return summary, correction
