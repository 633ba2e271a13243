"""Reconciliation: apply 835 remittances to the ledger and work out what each CBO is owed.

Matching: CLP01 = CLM01 (the claim id we sent), SVC REF*6R = service_id (the line control
number we sent). A corrected claim (``sdohedi correct``) is matched on its own: the replacement's
CLP01 is its new CLM01, and the payer's reversal (CLP02 22) of the claim it replaced names the
replaced claim and that claim's lines, which moved to the replacement (their former claim is kept
in ``line_history``): the reversal's money goes to the replaced claim's CBO, netting out what it
was paid, and the replacement's payment to the replacement's, so no line's money counts twice
and none is unmatched. Applying is idempotent: a remittance is keyed by its content (``remittance_key``:
the sha256 of its ST..SE text without the ST02/SE02 control numbers, see :func:`content_keys`),
so the same 835 applied twice changes nothing the second time, also when it comes again in
another interchange; a different remittance that reuses a trace number (TRN02) is applied too,
with a finding.

An 835 file is read claim by claim (:func:`apply_835_file`, memory bounded by one claim), each
transaction set applied in one database transaction, balanced as it is read (the rules of
``sdohedi.remit835.balance``: line, claim, and BPR02 = sum of CLP04 - PLB); a broken rule is a
finding, and the remittance is still applied.

Every cent of an applied 835 lands in a report: a matched claim's CLP04 goes to its CBO
(:func:`disbursement`: on its lines, and at claim level what no line of it accounts for); a
claim we never sent, or a line whose REF*6R names none of the claim's lines, goes to
:func:`unmatched`, and so does what BPR02 does not account for when it does not balance; a PLB
traced to one of our claims reduces its CBO's share, the others stay with the network
(:func:`network_adjustments`). So, over the remittances applied, to the cent:
sum of disbursement paid - its provider adjustments + sum of unmatched - sum of network
adjustments = sum of BPR02 (negative when BPR03 is D).

Claim status after a remittance (the latest remittance for a claim wins, amounts accumulate):
- ``paid``: CLP04 > 0 and nothing left to the patient or unpaid beyond contractual (CO) adjustments;
- ``partial``: CLP04 > 0 but patient responsibility (PR) or other (OA/PI) adjustments remain;
- ``denied``: CLP02 = 4, or CLP04 = 0 on a processed claim;
- ``reversed``: CLP02 = 22 (a reversal of a prior payment; its negative amounts net out); a void
  claim of it (CLM05-3 8) becomes ``voided`` and its lines are released (:func:`_settle_voids`);
- ``encounter accepted``: an encounter (a claim sent with BHT06 = RP to a capitated payer) processed
  with CLP04 = 0: the payer took the report, and a capitation pays for it. Not a denial: its lines
  paid $0 are ``encounter accepted`` too, and their adjustments are not in :func:`denials`;
- CLP01 not in the ledger: recorded as ``unknown claim`` and reported;
- ``paid amount unknown``: CLP04 could not be read (see ``_outcome``); the claim stays outstanding.

An element the 835 reader could not read is its finding; the claim is applied with what could be
read, and an unknown amount is left out of every report's sums: what BPR02 pays that no readable
amount accounts for is the BPR02 gap row of :func:`unmatched`, so the sum above holds whenever
BPR02 itself could be read (an unreadable CLP01 matches no claim: its CLP04 is unmatched).

Works on either ledger (SQLite ``Ledger``, PostgreSQL ``PgLedger``) with one copy of the SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from os import PathLike

from .ledger import RECONCILE_TABLES, SqlLedger, legacy_remittance_key, release_lines, select_in, utc_now
from .models.config import NLEConfig
from .models.remit import ClaimPayment, ProviderAdjustment, Remittance, RemittanceClaim
from .remit835 import balance_findings, iter_835_claims, stream_balance_findings
from .remit835.parser import CHUNK_SIZE
from .x12 import Tokenizer, X12Error
from .problems import Problem, problem

CENT = Decimal("0.01")
PROCESSED = {"1", "2", "3", "19", "20", "21"}
RECONCILE_SCHEMA = RECONCILE_TABLES  # its name before the tables moved to sdohedi.ledger
# the counter row every reconcile and acknowledgment transaction updates first: on PostgreSQL its
# row lock makes them take turns, so claims locked chunk by chunk never deadlock
_TURN = "lock:reconcile"


@dataclass
class ApplyResult:
    applied: int = 0
    already_applied: int = 0
    claims_matched: int = 0
    unknown_claims: list[str] = field(default_factory=list)
    unmatched_lines: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # balancing, envelope (SE/GE/IEA), reused trace numbers, acknowledgments that match nothing
    findings: list = field(default_factory=list)
    error: X12Error | None = None  # what stopped the file; what came before it is applied

    def add(self, other: ApplyResult) -> None:
        for attr in ("applied", "already_applied", "claims_matched", "unmatched_lines"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))
        self.unknown_claims += other.unknown_claims
        self.findings += other.findings
        for k, v in other.outcomes.items():
            self.outcomes[k] += v


# An element the 835 reader could not read is None in the models, with a finding that names it.
# The ledger's columns for them are NOT NULL TEXT (made so before such values existed): there an
# unknown amount, code or trace number is the empty text, which no readable value is, and every
# report leaves an unknown amount out of its sums (BPR02's gap row in unmatched takes it instead).
UNKNOWN = ""
PAID_UNKNOWN = "paid amount unknown"
ENCOUNTER_ACCEPTED = "encounter accepted"


def _text(value) -> str:
    return UNKNOWN if value is None else str(value)


def _encounter_accepted(c: ClaimPayment, paid: Decimal | None) -> bool:
    """On an encounter: processed (not denied, not reversed) with ``paid`` (CLP04 or SVC03) 0."""
    return paid == 0 and c.status_code in PROCESSED


def _outcome(c: ClaimPayment, encounter: bool = False) -> str:
    if c.paid is None:
        # CLP04 unreadable: unknown, not a denial. A denial says the payer paid nothing, and the
        # CBO would be told so; the 835 may well pay the claim (its money is in BPR02, and what no
        # readable CLP04 accounts for lands in unmatched as the BPR02 gap). The claim's row is
        # left as it was (still outstanding) until a readable remittance settles it.
        return PAID_UNKNOWN
    if c.status_code == "22":
        return "reversed"
    if encounter and _encounter_accepted(c, c.paid):
        return ENCOUNTER_ACCEPTED
    if c.status_code == "4" or (c.status_code in PROCESSED and c.paid == 0):
        return "denied"
    # claim- and line-level CAS: a line's OA/PI/PR leaves money unpaid as much as the claim's;
    # one of unknown amount may too
    others = [a.amount for a in c.all_adjustments if a.group != "CO"]
    non_contractual = sum((a for a in others if a is not None), Decimal(0))
    if c.paid > 0 and non_contractual == 0 and None not in others and not (c.patient_responsibility or 0):
        return "paid"
    return "partial"


def _adj_json(adjustments) -> str:
    if not adjustments:
        return "[]"  # what json.dumps([]) gives, for most claims and lines, without its cost
    return json.dumps([[a.group, a.reason, None if a.amount is None else str(a.amount)] for a in adjustments])


def _remarks_json(codes: list[str]) -> str:
    return json.dumps(codes) if codes else "[]"


def _claim_remarks(c: ClaimPayment) -> list[str]:
    """The claim's RARCs: MOA03..07 (a professional claim's remarks are in MOA, when it has any)."""
    return list(c.outpatient.remark_codes) if c.outpatient else []


def ensure_schema(ledger: SqlLedger) -> None:
    """Reconcile's tables (``sdohedi.ledger.RECONCILE_TABLES``). Both ledgers already create them when
    opened for writing, also on a ledger made before they existed; kept for callers of old."""
    if not ledger.readonly:
        ledger.create_tables()


def take_turn(ledger: SqlLedger) -> None:
    """Inside a transaction: wait for any other reconcile or acknowledgment transaction to end."""
    ledger.execute("INSERT INTO counters(name, value) VALUES (?, 1)"
                   " ON CONFLICT (name) DO UPDATE SET value = counters.value + 1", (_TURN,))


# -- telling remittances apart ---------------------------------------------------------------

def content_keys(path: str | PathLike[str], chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[str, str]]:
    """(ST02, remittance key) of each complete ST..SE of an X12 file, in order: the sha256 of the
    segments between ST and SE (which hold BPR, TRN, the claims and PLB), elements joined by ``*``
    whatever the file's separator. Control numbers (ST02, SE02, the envelopes') are left out: a
    payer resending a remittance in a new interchange sends the same remittance."""
    splitter = Tokenizer(strict=False, join_lines=True)
    digest = None
    st02 = ""

    def batches():
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield from splitter.feed_batches(chunk)
        try:
            yield from splitter.close_batches()
        except X12Error:
            return  # the 835 reader reports it

    try:
        for _, delimiters, pieces in batches():
            sep = delimiters.element
            st, se = "ST" + sep, "SE" + sep
            opened = 0 if digest is not None else None  # where the open transaction's text starts here
            for i, piece in enumerate(pieces):
                head = piece.lstrip()
                if head.startswith(st):
                    digest, opened = hashlib.sha256(b"835\n"), i + 1
                    st02 = head.split(sep)[2] if head.count(sep) >= 2 else ""
                elif head.startswith(se) and digest is not None:
                    _update(digest, pieces[opened:i], sep)
                    yield st02, digest.hexdigest()
                    digest = opened = None
            if digest is not None:
                _update(digest, pieces[opened:], sep)
    except X12Error:
        return


def _update(digest, pieces: list[str], sep: str) -> None:
    text = "\n".join(p.strip() for p in pieces) + "\n"
    digest.update((text if sep == "*" else text.replace(sep, "*")).encode("latin-1"))


_ENVELOPE = {"interchange_control_number", "interchange_sender_id", "interchange_receiver_id",
             "group_control_number", "application_sender", "application_receiver", "transaction_control_number"}


def remittance_key(remit: Remittance) -> str:
    """The key of a remittance built in code (not read from a file): the sha256 of its content as
    JSON, without the envelope's control numbers and the segment positions."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("position", "payment_position")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    data = strip(remit.model_dump(mode="json", exclude=_ENVELOPE))
    return "m" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


# -- applying --------------------------------------------------------------------------------

def _apply_claims(ledger: SqlLedger, key: tuple[str, str, str], batch: list[ClaimPayment], first: int, now: str,
                  result: ApplyResult) -> None:
    """Apply the 835's claims ``batch`` (the first is claim ``first``, 1-based, its seq), no more than
    one chunk of ``Dialect.where_in``: a few statements for them all (one per claim made PostgreSQL
    slow). The ledger holds what earlier chunks wrote: a claim met again adds to it, as claim by
    claim did. ``key``: (remittance key, TRN03, TRN02)."""
    redirect = _reversal_targets(ledger, batch)
    # every claim locked first, in one order (PostgreSQL; see lock_claims)
    # an unreadable CLP01 matches nothing
    ids = {c.claim_id for c in batch if c.claim_id is not None} | set(redirect.values())
    ledger.lock_claims(ids)
    claims = {r[0]: r for r in select_in(
        ledger, "SELECT claim_id, paid, patient_responsibility, submission FROM claims WHERE {in}", "claim_id", ids)}
    # the lines of claims this transaction holds (locking no other claim's lines: no deadlock)
    lines = {r[0]: r for r in select_in(
        ledger, "SELECT service_id, claim_id, paid FROM claim_lines WHERE {in}" + ledger.dialect.for_update,
        "claim_id", claims)}
    # lines these claims held before a correction moved them on (line_history): a payer's reversal
    # of a replaced or voided claim names them, and they are that claim's, to its CBO, not unmatched
    held = set(select_in(ledger, "SELECT service_id, claim_id FROM line_history WHERE {in}", "claim_id", claims))
    # a claim or a line can come more than once (a reversal and its correction): each time adds to
    # the amounts (exact decimals in TEXT) as updated so far; the last update is written
    claim_updates: dict[str, tuple] = {}  # claim_id: (status, paid, patient resp., payer claim no., ...)
    line_updates: dict[str, tuple] = {}  # service_id: (paid, status, service_id, claim_id)
    claim_payments: list[tuple] = []
    line_payments: list[tuple] = []
    for seq, c in enumerate(batch, first):
        claim_id = redirect.get((c.claim_id, c.payer_claim_number), c.claim_id)
        row = claims.get(claim_id) if claim_id is not None else None
        encounter = row is not None and row[3] == "encounter"
        outcome = _outcome(c, encounter)
        matched = row is not None
        claim_payments.append(key + (
            seq, _text(claim_id), int(matched), _text(c.status_code), outcome, _text(c.charge), _text(c.paid),
            str(c.patient_responsibility or 0), c.payer_claim_number, _adj_json(c.adjustments),
            _remarks_json(_claim_remarks(c))))
        result.outcomes[outcome if matched else "unknown claim"] += 1
        if not matched:
            result.unknown_claims.append("(CLP01 unreadable)" if claim_id is None else claim_id)
        elif c.paid is None:
            result.claims_matched += 1  # recorded in claim_payments only, see _outcome
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
            was_held = line is None and matched and sid is not None and (sid, claim_id) in held
            line_payments.append(key + (seq, lseq, _text(claim_id), sid, int(line is not None or was_held),
                                        _text(s.procedure_code), _text(s.charge), _text(s.paid),
                                        _adj_json(s.adjustments),
                                        _remarks_json([r.code for r in s.remarks if r.qualifier == "HE"])))
            if was_held:
                continue  # the line's row is its current claim's: this payment stays in line_payments
            if line is None:
                result.unmatched_lines += 1
                continue
            if c.paid is None or s.paid is None:
                # the line keeps what it had: its claim's CLP04 (at claim level) or the BPR02 gap holds the money
                continue
            prev = line_updates.get(sid)
            paid = prev[0] if prev else line[2]
            status = ("reversed" if c.status_code == "22" else "paid" if s.paid > 0
                      else ENCOUNTER_ACCEPTED if encounter and _encounter_accepted(c, s.paid) else "denied")
            line_updates[sid] = (str(Decimal(paid) + s.paid), status, sid, claim_id)
    ledger.executemany(
        "INSERT INTO claim_payments(remittance_key, trace_payer_id, trace_number, seq, claim_id, matched,"
        " status_code, outcome, charge, paid, patient_responsibility, payer_claim_number, adjustments, remarks)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", claim_payments)
    ledger.executemany(
        "UPDATE claims SET status = ?, paid = ?, patient_responsibility = ?,"
        " payer_claim_number = COALESCE(?, payer_claim_number), updated_at = ? WHERE claim_id = ?",
        list(claim_updates.values()))
    ledger.executemany(
        "INSERT INTO line_payments(remittance_key, trace_payer_id, trace_number, claim_seq, line_seq, claim_id,"
        " service_id, matched, procedure_code, charge, paid, adjustments, remarks) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        line_payments)
    ledger.executemany("UPDATE claim_lines SET paid = ?, status = ? WHERE service_id = ? AND claim_id = ?",
                       list(line_updates.values()))
    _settle_voids(ledger, [u[-1] for u in claim_updates.values() if u[0] == "reversed"], now, result)


def _settle_voids(ledger: SqlLedger, reversed_ids: list[str], now: str, result: ApplyResult) -> None:
    """A void (CLM05-3 8, ``sdohedi correct``) is answered by the payer's reversal of the claim it
    voids, not by a CLP of its own: once that reversal is applied the void is ``voided`` (no longer
    outstanding) and its lines are released, so the services can be billed anew (``encode``)."""
    if not reversed_ids:
        return
    voids = sorted(r[0] for r in select_in(
        ledger, "SELECT claim_id FROM claims WHERE frequency = '8' AND status IN ('submitted', 'accepted')"
                " AND {in}", "replaces", reversed_ids))
    for claim_id in voids:
        ledger.execute("UPDATE claims SET status = 'voided', updated_at = ? WHERE claim_id = ?", (now, claim_id))
        release_lines(ledger, claim_id, now)
        result.outcomes["voided"] += 1


def _reversal_targets(ledger: SqlLedger, batch: list[ClaimPayment]) -> dict[tuple[str, str], str]:
    """{(CLP01, CLP07): claim} for reversals (CLP02 22) that name a correction of ours (CLP01 = the
    replacement's or void's CLM01, as some payers echo it) but reverse the claim it corrected (CLP07 =
    the CLP07 an earlier 835 gave a claim back along its ``replaces`` chain): that claim is reversed,
    so its CBO's payment nets out and the correction's own payment stays the correction's."""
    asked = {(c.claim_id, c.payer_claim_number) for c in batch
             if c.status_code == "22" and c.claim_id is not None and c.payer_claim_number}
    if not asked:
        return {}
    replaces = dict(select_in(ledger, "SELECT claim_id, replaces FROM claims WHERE replaces IS NOT NULL AND {in}",
                              "claim_id", {claim_id for claim_id, _ in asked}))
    out = {}
    for claim_id, icn in sorted(asked):
        seen = {claim_id}
        earlier = replaces.get(claim_id)
        while earlier and earlier not in seen:
            seen.add(earlier)
            if ledger.execute("SELECT 1 FROM claim_payments WHERE claim_id = ? AND matched = 1 AND status_code <> '22'"
                              " AND payer_claim_number = ?", (earlier, icn)).fetchone():
                out[(claim_id, icn)] = earlier
                break
            row = ledger.execute("SELECT replaces FROM claims WHERE claim_id = ?", (earlier,)).fetchone()
            earlier = row[0] if row else None
    return out


class _Posting:
    """One transaction set being applied, inside the caller's database transaction: ``start`` with
    its header, ``add`` each claim, ``finish`` with its PLBs and the sum of its CLP04."""

    def __init__(self, ledger: SqlLedger, header: Remittance, content_key: str, source: str,
                 result: ApplyResult) -> None:
        self.ledger, self.header, self.result = ledger, header, result
        self.key = (content_key, _text(header.trace_payer_id), _text(header.trace_number))
        self.now = utc_now()
        self.batch: list[ClaimPayment] = []
        self.seq = 1  # of the first claim in the batch
        take_turn(ledger)
        h = header
        # an unreadable TRN02/TRN03 reuses no trace number (the reader's finding names it)
        others = set() if h.trace_number is None or h.trace_payer_id is None else {k for (k,) in ledger.execute(
            "SELECT remittance_key FROM remittances WHERE trace_payer_id = ? AND trace_number = ?",
            (h.trace_payer_id, h.trace_number)).fetchall()}
        # the remittance's row first: applying it again (also concurrently, from another process,
        # which waits on the key until this transaction ends) inserts nothing and skips its claims.
        # A ledger upgraded from trace keys knows its remittances by trace alone: those stay applied.
        self.new = legacy_remittance_key(h.trace_payer_id, h.trace_number) not in others and ledger.execute(
            "INSERT INTO remittances(remittance_key, trace_payer_id, trace_number, isa13, st02, payer_id,"
            " payment_date, total_payment, credit_debit, source, applied_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (remittance_key) DO NOTHING",
            self.key + (h.interchange_control_number, h.transaction_control_number, h.payer.id,
                        h.payment_date and h.payment_date.isoformat(), _text(h.total_payment),
                        _text(h.credit_debit), source,
                        self.now)).rowcount != 0
        if not self.new:
            result.already_applied += 1
            return
        if others:
            result.findings.append(problem(
                severity="warning", rule="trace-reused",
                message="TRN02 trace number (with this TRN03) was already applied for a remittance of other "
                        "content; applied as a remittance of its own",
                interchange=h.interchange_control_number, group=h.group_control_number, transaction=h.transaction_control_number,
                position=h.position, segment="TRN", element=2))

    def add(self, claim: ClaimPayment) -> None:
        if self.new:
            self.batch.append(claim)
            if len(self.batch) >= self.ledger.dialect.in_chunk:
                self._flush()

    def _flush(self) -> None:
        if self.batch:
            _apply_claims(self.ledger, self.key, self.batch, self.seq, self.now, self.result)
            self.seq += len(self.batch)
            self.batch = []

    def finish(self, provider_adjustments: list[ProviderAdjustment], claims_paid: Decimal) -> None:
        if not self.new:
            return
        self._flush()
        ledger = self.ledger
        # after the claims' updates: a PLB may name a payer claim number this 835 just gave
        refs = {p.reference_id for p in provider_adjustments if p.reference_id}
        hits: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for column in ("payer_claim_number", "claim_id"):
            for claim_id, created_at, icn in select_in(
                    ledger, "SELECT claim_id, created_at, payer_claim_number FROM claims WHERE {in}", column, refs):
                hits[icn if column == "payer_claim_number" else claim_id].append((created_at, claim_id))
        # several claims can carry one payer claim number (an original and its replacement):
        # the earliest, whichever order the backend returns them in
        ledger.executemany(
            "INSERT INTO provider_adjustments(remittance_key, trace_payer_id, trace_number, seq, provider_id, reason,"
            " reference_id, amount, claim_id) VALUES (?,?,?,?,?,?,?,?,?)",
            [self.key + (seq, p.provider_id, _text(p.reason), p.reference_id, _text(p.amount),
                         min(hits[p.reference_id])[1] if p.reference_id and hits[p.reference_id] else None)
             for seq, p in enumerate(provider_adjustments, 1)])
        ledger.execute("UPDATE remittances SET claims_paid = ? WHERE remittance_key = ?",
                       (str(claims_paid), self.key[0]))
        self.result.applied += 1


def apply_remittance(ledger: SqlLedger, remit: Remittance, *, source: str = "") -> ApplyResult:
    """Apply one 835 transaction, built in code or read whole, to the ledger in one database
    transaction (idempotent, keyed by :func:`remittance_key`); its balancing findings in the result.

    The same SQL runs on SQLite and PostgreSQL (``ledger.execute``, see ``sdohedi.ledger.Dialect``),
    a few statements per chunk of claims (``_apply_claims``), not per claim."""
    result = ApplyResult(findings=list(balance_findings(remit)))
    with ledger.transaction():
        posting = _Posting(ledger, remit, remittance_key(remit), source, result)
        for c in remit.claims:
            posting.add(c)
        posting.finish(remit.provider_adjustments, remit.claims_paid)
    return result


def apply_all(ledger: SqlLedger, remits: Iterable[Remittance], *, source: str = "") -> ApplyResult:
    total = ApplyResult()
    for r in remits:
        total.add(apply_remittance(ledger, r, source=source))
    return total


def apply_835_file(ledger: SqlLedger, path: str | PathLike[str], *, source: str = "",
                   chunk_size: int = CHUNK_SIZE) -> ApplyResult:
    """Apply every transaction set of an 835 file, read claim by claim (memory bounded by one claim
    and one chunk): each set in one database transaction, committed at its SE, so a file that
    breaks off keeps the sets before the break (``result.error`` says where it broke).

    ``result.findings``, in file order: per set a reused trace number, then as ``sdohedi remit``
    reports them the reader's (SE count and control number) and the balancing rules it breaks
    (line, claim, then BPR02); last the envelope's (GE/IEA counts and control numbers)."""
    result = ApplyResult()
    envelope: list[Problem] = []
    keys = content_keys(path, chunk_size)
    items = iter(iter_835_claims(path, chunk_size=chunk_size, findings=envelope))
    try:
        for item in items:
            header = item.payment if isinstance(item, RemittanceClaim) else item.remittance
            st02, key = next(keys, (None, None))
            if key is None or st02 != header.transaction_control_number:  # the pre-read stopped short
                raise X12Error("transaction set could not be read to its SE", rule="truncated", segment="SE")
            balance: list[Problem] = []
            with ledger.transaction():
                posting = _Posting(ledger, header, key, source, result)
                while isinstance(item, RemittanceClaim):
                    balance += stream_balance_findings(item)
                    posting.add(item.claim)
                    item = next(items, None)
                if item is None:  # the reader raises first; never left half-applied
                    raise X12Error("stream ends inside a transaction set (no SE)", rule="truncated", segment="SE")
                posting.finish(item.remittance.provider_adjustments, item.claims_paid)
            result.findings += item.remittance.findings + balance + stream_balance_findings(item)
    except X12Error as exc:
        result.error = exc
    result.findings += envelope
    return result


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


def adjustment_rows(ledger: SqlLedger) -> Iterator[tuple[str, str, str, Decimal | None]]:
    """(CLP01, CAS group, reason, amount or None when unreadable) of every claim- and line-level
    CAS of the remittances applied, the claims we never sent included. An accepted encounter's
    adjustments (why it paid $0), and those of an encounter's lines paid $0, are no denial and
    left out."""
    rows = ledger.execute(
        "SELECT claim_id, adjustments, outcome, NULL, NULL, NULL FROM claim_payments UNION ALL"
        " SELECT l.claim_id, l.adjustments, p.outcome, p.status_code, l.paid, c.submission FROM line_payments l"
        " JOIN claim_payments p ON p.remittance_key = l.remittance_key AND p.seq = l.claim_seq"
        " LEFT JOIN claims c ON c.claim_id = l.claim_id AND l.matched = 1")
    for claim_id, adj, outcome, status_code, line_paid, submission in rows:
        if outcome == ENCOUNTER_ACCEPTED or (submission == "encounter" and status_code in PROCESSED
                                             and line_paid not in (None, UNKNOWN) and Decimal(line_paid) == 0):
            continue
        for group, reason, amount in json.loads(adj):
            yield claim_id, group or "", reason or "", None if amount is None else Decimal(amount)


def _cas_total(adjustments: str) -> Decimal:
    return sum((Decimal(a) for _, _, a in json.loads(adjustments) if a is not None), Decimal(0))


def remark_rows(ledger: SqlLedger) -> Iterator[tuple[str, str, Decimal]]:
    """(CLP01, RARC, amount) of every remark code of the remittances applied: a line's LQ*HE with the
    line's CAS amounts, a claim's MOA with all of the claim's (its own and its lines'). None for the
    remittances applied before the ledger kept remarks."""
    for claim_id, adj, remarks in ledger.execute(
            "SELECT claim_id, adjustments, remarks FROM line_payments WHERE remarks IS NOT NULL AND remarks <> '[]'"):
        for code in json.loads(remarks):
            yield claim_id, code, _cas_total(adj)
    claims = {(key, seq): [claim_id, json.loads(remarks), _cas_total(adj)] for key, seq, claim_id, adj, remarks in
              ledger.execute("SELECT remittance_key, seq, claim_id, adjustments, remarks FROM claim_payments"
                             " WHERE remarks IS NOT NULL AND remarks <> '[]'")}
    if claims:
        for key, seq, adj in ledger.execute(
                "SELECT l.remittance_key, l.claim_seq, l.adjustments FROM line_payments l JOIN claim_payments p"
                " ON p.remittance_key = l.remittance_key AND p.seq = l.claim_seq"
                " WHERE p.remarks IS NOT NULL AND p.remarks <> '[]'"):
            claims[(key, seq)][2] += _cas_total(adj)
    for claim_id, codes, amount in claims.values():
        for code in codes:
            yield claim_id, code, amount


def denials(ledger: SqlLedger) -> list[dict]:
    """Denied and reduced amounts by CAS group and reason (claim and line level), largest first
    (equal amounts by group, then reason). An accepted encounter's adjustments (why it paid $0),
    and those of an encounter's lines paid $0, are no denial and left out."""
    totals: dict[tuple[str, str], list] = {}
    for _, group, reason, amount in adjustment_rows(ledger):
        t = totals.setdefault((group, reason), [0, Decimal(0)])
        t[0] += 1
        t[1] += Decimal(0) if amount is None else amount  # an unknown CAS amount is counted, not summed
    from .codes import describe

    out = [{"group": g, "reason": r, "description": describe("carc", r), "count": n, "amount": str(a)}
           for (g, r), (n, a) in totals.items()]
    return sorted(out, key=lambda d: (-Decimal(d["amount"]), d["group"], d["reason"]))


@dataclass(frozen=True, slots=True)
class ClaimShare:
    """What one payment (CLP) of a claim of ours gives its CBO: ``paid``, its CLP04 less its lines
    whose REF*6R named none of the claim's lines (those are unmatched); ``claim_level``, what none
    of its lines accounts for (a claim paid with no SVC loops, or lines paying less or more than
    CLP04); ``lines``, (service_id, SVC03) of its matched lines of known amount."""
    claim_id: str
    cbo: str
    payer: str
    first_service_date: str
    paid: Decimal
    claim_level: Decimal
    lines: tuple[tuple[str, Decimal], ...]


def claim_shares(ledger: SqlLedger) -> Iterator[ClaimShare]:
    """Each payment of a claim of ours, as :class:`ClaimShare` (the money :func:`disbursement` sums)."""
    lines: dict[tuple[str, int], list] = defaultdict(lambda: [Decimal(0), Decimal(0), []])
    for key, seq, matched, sid, paid in ledger.execute(
            "SELECT l.remittance_key, l.claim_seq, l.matched, l.service_id, l.paid FROM line_payments l"
            " JOIN claim_payments p ON p.remittance_key = l.remittance_key AND p.seq = l.claim_seq"
            " WHERE p.matched = 1"):
        if paid != UNKNOWN:  # an unknown SVC03: its claim's CLP04 holds the money, at claim level
            entry = lines[(key, seq)]
            entry[0 if matched else 1] += Decimal(paid)
            if matched:
                entry[2].append((sid, Decimal(paid)))
    for key, seq, claim_id, cbo, payer, first, paid in ledger.execute(
            "SELECT p.remittance_key, p.seq, p.claim_id, c.cbo_key, c.payer_key, c.first_service_date, p.paid"
            " FROM claim_payments p JOIN claims c ON c.claim_id = p.claim_id WHERE p.matched = 1"):
        if paid == UNKNOWN:
            continue  # CLP04 unknown: its money is in the BPR02 gap (unmatched), its lines' too
        on_lines, unmatched, matched = lines.get((key, seq), (Decimal(0), Decimal(0), []))
        paid = Decimal(paid)
        yield ClaimShare(claim_id, cbo, payer, first, paid - unmatched, paid - on_lines - unmatched, tuple(matched))


def service_month(first_service_date: str) -> str:
    """YYYY-MM of a claim's first date of service (the ledger keeps it as YYYY-MM-DD)."""
    return first_service_date[:7]


def disbursement(ledger: SqlLedger, config: NLEConfig, *, by_month: bool = False,
                 claims: Callable[[str, str], bool] | None = None,
                 shares: Iterable[ClaimShare] | None = None) -> list[dict]:
    """What the NLE owes each CBO, per payer: what the payer paid on its claims (``paid``: on their
    lines, and ``claim_level``, the part no line of the claim accounts for), minus the network's
    administrative fee (payer's ``admin_fee_percent``), minus provider-level adjustments (PLB)
    traced to one of its claims. PLBs that trace to no claim stay with the network.

    ``by_month``: one row per CBO, payer and service month (``month``, of the claim's first date of
    service), the fee taken on that month's amount. ``claims(claim_id, first_service_date)``: only
    the claims it accepts (a period of service, say). ``shares``: :func:`claim_shares` of the ledger,
    when the caller has them already."""
    def key_of(cbo, payer, first):
        return (cbo, payer, service_month(first)) if by_month else (cbo, payer)

    paid: dict[tuple, Decimal] = defaultdict(Decimal)
    claim_level: dict[tuple, Decimal] = defaultdict(Decimal)
    for share in claim_shares(ledger) if shares is None else shares:
        if claims is None or claims(share.claim_id, share.first_service_date):
            key = key_of(share.cbo, share.payer, share.first_service_date)
            paid[key] += share.paid
            claim_level[key] += share.claim_level
    plb: dict[tuple, Decimal] = defaultdict(Decimal)
    for claim_id, cbo, payer, first, amount in ledger.execute(
            "SELECT c.claim_id, c.cbo_key, c.payer_key, c.first_service_date, p.amount"
            " FROM provider_adjustments p JOIN claims c USING (claim_id)"):
        # an unknown PLB amount is in the BPR02 gap
        if amount != UNKNOWN and (claims is None or claims(claim_id, first)):
            plb[key_of(cbo, payer, first)] += Decimal(amount)
    out = []
    for key in sorted(set(paid) | set(plb)):
        cbo, payer = key[:2]
        pct = config.payers[payer].admin_fee_percent if payer in config.payers else Decimal(0)
        gross = paid.get(key, Decimal(0))
        fee = (gross * pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        adj = plb.get(key, Decimal(0))
        out.append({"cbo": cbo, "payer": payer, **({"month": key[2]} if by_month else {}),
                    "paid": str(gross.quantize(CENT)),
                    "claim_level": str(claim_level.get(key, Decimal(0)).quantize(CENT)),
                    "admin_fee_percent": str(pct), "admin_fee": str(fee),
                    "provider_adjustments": str(adj.quantize(CENT)), "owed": str((gross - fee - adj).quantize(CENT))})
    return out


UNMATCHED_CLAIM = "claim not in the ledger (CLP01)"
UNMATCHED_LINE = "line not in the claim (REF*6R)"
UNBALANCED = "BPR02 not accounted for by claims (CLP04) and PLB"


def unmatched(ledger: SqlLedger) -> list[dict]:
    """Money of applied 835s that reaches no CBO, in the order the remittances were applied: claims
    we never sent (their CLP04), lines of our claims whose REF*6R names none of the claim's lines
    (their SVC03), and what BPR02 does not account for when the 835 does not balance (BPR02 -
    (sum of CLP04 - PLB); negative when the claims and PLBs pay more than BPR02)."""
    remittances = {key: (applied, tpid, trace) for key, applied, tpid, trace in ledger.execute(
        "SELECT remittance_key, applied_at, trace_payer_id, trace_number FROM remittances")}
    rows = []

    def add(key, seq, lseq, claim_id, service_id, reason, amount):
        applied, tpid, trace = remittances[key]
        amount = Decimal(amount)
        cents = amount.quantize(CENT)
        amount = cents if cents == amount else amount  # in cents, as disbursement, unless that would round
        rows.append(((applied, tpid, trace, key, seq, lseq), {
            "trace_payer_id": tpid, "trace_number": trace, "claim_id": claim_id or "", "service_id": service_id or "",
            "reason": reason, "amount": str(amount)}))

    # an unknown amount (CLP04, SVC03, PLB) makes no row of its own: the BPR02 gap row holds it
    for key, seq, claim_id, paid in ledger.execute(
            "SELECT remittance_key, seq, claim_id, paid FROM claim_payments WHERE matched = 0 AND paid <> ''"):
        add(key, seq, 0, claim_id, None, UNMATCHED_CLAIM, paid)
    for key, seq, lseq, claim_id, sid, paid in ledger.execute(
            "SELECT l.remittance_key, l.claim_seq, l.line_seq, l.claim_id, l.service_id, l.paid FROM line_payments l"
            " JOIN claim_payments p ON p.remittance_key = l.remittance_key AND p.seq = l.claim_seq"
            " WHERE l.matched = 0 AND p.matched = 1 AND p.paid <> '' AND l.paid <> ''"):
        add(key, seq, lseq, claim_id, sid, UNMATCHED_LINE, paid)
    plb: dict[str, Decimal] = defaultdict(Decimal)
    for key, amount in ledger.execute("SELECT remittance_key, amount FROM provider_adjustments WHERE amount <> ''"):
        plb[key] += Decimal(amount)
    for key, total, credit_debit, claims_paid in ledger.execute(
            "SELECT remittance_key, total_payment, credit_debit, claims_paid FROM remittances"):
        if claims_paid is None:
            continue  # applied before claims_paid was kept (an upgraded ledger): not known
        if total == UNKNOWN or credit_debit == UNKNOWN:
            continue  # BPR02 (or its sign, BPR03) unreadable: a finding; what it pays is not known
        signed = -Decimal(total) if credit_debit == "D" else Decimal(total)
        gap = signed - (Decimal(claims_paid) - plb[key])
        if gap:
            add(key, 0, 0, None, None, UNBALANCED, gap)
    return [r for _, r in sorted(rows, key=lambda r: r[0])]


def network_adjustments(ledger: SqlLedger) -> list[dict]:
    """Provider-level adjustments traced to no claim, in the order their remittances were applied."""
    rows = sorted(ledger.execute(
        "SELECT r.applied_at, p.trace_payer_id, p.trace_number, p.remittance_key, p.seq, p.reason, p.reference_id,"
        " p.amount FROM provider_adjustments p JOIN remittances r USING (remittance_key)"
        " WHERE p.claim_id IS NULL AND p.amount <> ''").fetchall(), key=lambda r: r[:5])  # unknown: in the gap
    return [{"reason": r, "reference_id": ref or "", "amount": a} for *_, r, ref, a in rows]
