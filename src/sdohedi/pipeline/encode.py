"""encode: service logs -> one 837P interchange per payer, a rejects file, a summary.

Order of work, chosen so a crash loses nothing and never reuses a control number:
1. read and check every row (rejects stream to a temp file), spill good lines to a sorted store;
2. per file unit (one payer, see ``units``): reserve ISA13/GS06 and a block of claim ids
   (committed at once, never reused); then, in one ledger transaction, write the interchange to
   a 0600 temp file while recording its claims and lines, fsync, rename into place, commit. A
   crash before the rename leaves no file and no record; the numbers reserved stay burned.
   Runs on one ledger bill one at a time (``lock_billing``), and each checks its lines against
   the ledger again inside that transaction (unless the ledger shows that no other run has
   committed anything since step 1, ``unchanged_since``): a line another run billed since step 1
   is rejected as already billed (``EncodeSummary.billed_concurrently``), never billed twice.

``write_unit`` writes one unit from its sorted lines and control numbers; the Spark engine
(``sdohedi.spark``) calls the same function on its executors, so both engines write the same
bytes for the same input, control numbers and timestamp.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from ..claims837p import EnvelopeInfo, write_837p_lines
from ..ledger import Ledger
from ..models.claim import Receiver, Submitter
from ..models.config import NLEConfig
from .authorizations import AuthorizationBook, PartlyBilled
from .files import HashingFile
from .grouping import LineChecks, Parties, column_batches
from .ingest import LINE_FIELDS, Fault, L, Reject
from .logmap import LogMapping
from .rules import BatchRules, read_batches
from .seen import SeenIds
from .sorting import ExternalSorter
from .units import GROUP_FIELDS, UnitNumbers, split_sorted, unit_sizes

LEDGER_CHECK_BATCH = 5000
_SERVICE_ID, _DATE, _ROW, _FILE, _REPLACES = (
    L["service_id"], L["service_date"], L["row_number"], L["file"], L["replaces"])


@dataclass
class PayerOutput:
    payer: str
    path: str | None
    interchange_control_number: int | None
    claims: int
    lines: int
    total_charge: Decimal
    sha256: str | None = None


@dataclass
class EncodeSummary:
    rows: int = 0
    billed_rows: int = 0
    rejected_rows: int = 0
    billed_concurrently: int = 0  # rejected rows that another run billed while this one ran
    authorized_concurrently: int = 0  # rejected rows whose authorization another run used up while this one ran
    authorization_problems: list[str] = field(default_factory=list)  # AUTHS.csv rows left out (no member ids)
    billed_late: int = 0  # rows billed past their payer's timely filing limit (``allow_late``)
    rejects_path: str | None = None
    reject_reasons: Counter = field(default_factory=Counter)
    outputs: list[PayerOutput] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "rows": self.rows, "billed_rows": self.billed_rows, "rejected_rows": self.rejected_rows,
            "billed_concurrently": self.billed_concurrently, "billed_past_timely_filing": self.billed_late,
            "authorized_concurrently": self.authorized_concurrently,
            "authorization_problems": list(self.authorization_problems),
            "rejects_path": self.rejects_path, "dry_run": self.dry_run,
            "reject_reasons": dict(self.reject_reasons.most_common()),
            "interchanges": [
                {"payer": o.payer, "path": o.path, "isa13": o.interchange_control_number, "claims": o.claims,
                 "lines": o.lines, "total_charge": str(o.total_charge), "sha256": o.sha256}
                for o in self.outputs
            ],
        }


class _Rejects:
    """Rejected rows stream to a 0600 temp file, renamed to rejects.csv at the end if any."""

    def __init__(self, out_dir: Path | None, summary: EncodeSummary, log: LogMapping | None = None) -> None:
        self.summary = summary
        # a reject names the column as the log does: the export's own name under a [log] mapping
        self.log = log if log is not None and log.active else None
        self.path = out_dir / "rejects.csv" if out_dir else None
        self._file = None
        if self.path:
            self._tmp = self.path.with_name(f".rejects.csv.{os.getpid()}.tmp")
            fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._file = os.fdopen(fd, "w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._file)
            self._csv.writerow(["file", "row_number", "service_id", "column", "reason", "rule"])

    def __call__(self, r: Reject) -> None:
        if self.log is not None:
            column_of = self.log.column_of
            r = replace(r, column=column_of(r.column),
                        more=tuple(Fault(column_of(f.column), f.rule, f.reason) for f in r.more))
        self.summary.rejected_rows += 1
        for f in r.faults:  # one line per fault: a row that breaks three rules has three
            # Count by rule, not by value, so the summary never carries row data.
            self.summary.reject_reasons[f"{f.column}: {f.rule or _reason_kind(f.reason)}"] += 1
            if self._file:
                self._csv.writerow([r.file, r.row_number, r.service_id, f.column, f.reason, f.rule])

    def finish(self) -> str | None:
        if not self._file:
            return None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        if self.summary.rejected_rows:
            os.replace(self._tmp, self.path)
            return str(self.path)
        self._tmp.unlink(missing_ok=True)
        return None

    def abort(self) -> None:
        if self._file:
            self._file.close()
            self._file = None
            self._tmp.unlink(missing_ok=True)


def _reason_kind(reason: str) -> str:
    return reason.split(" (")[0].split(":")[0][:80]


def encode(
    inputs: Iterable[str | Path],
    config: NLEConfig,
    *,
    out_dir: str | Path | None,
    ledger: Ledger | None,
    dry_run: bool = False,
    resubmit: bool = False,
    today: dt.date | None = None,
    timestamp: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    run_size: int = 50_000,
    max_lines_per_file: int | None = None,
    authorizations: AuthorizationBook | None = None,
    correction=None,
    allow_late: bool = False,
) -> EncodeSummary:
    """Encode service logs. ``max_lines_per_file`` splits a payer's lines into several
    interchanges of at most that many lines (at claim-group boundaries, see ``units``).
    ``authorizations``: the prior authorizations lines are billed under and counted against
    (see ``pipeline.authorizations``).
    ``correction`` (``sdohedi.pipeline.correct.Correction``, for ``sdohedi correct``) admits the
    checked lines instead of the ledger's billed-once rule: they correct claims already billed.
    ``today`` is the run date (the future and timely filing count from it); ``allow_late`` bills
    rows past their payer's timely filing limit, counted in ``billed_late``."""
    summary = EncodeSummary(dry_run=dry_run)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None and not dry_run:
        out.mkdir(parents=True, exist_ok=True)
    book = authorizations if authorizations else None
    rules = BatchRules(config, today=today, authorizations=book, allow_late=allow_late)
    checker = rules.context
    rejects = _Rejects(None if dry_run else out, summary, checker.log)
    sorter = ExternalSorter(run_size=run_size)
    # lines an authorization counts: they take its units in service-date order, once all are read
    held = ExternalSorter(run_size=run_size) if book is not None else None
    order = itertools.count()  # the input's order, among lines of one service date
    seen = SeenIds()
    # taken before any line is checked against the ledger: while no other run commits, those checks
    # hold and the billing transaction need not repeat them (a correction's lines were checked
    # before this call: they are always checked again)
    mark = ledger.change_mark() if ledger is not None and correction is None else None
    try:
        lines_per_payer: Counter = Counter()
        pending: list[tuple] = []
        payer_claim_numbers: dict[str, str] = correction.icns if correction is not None else {}
        frequencies = correction.frequencies if correction is not None else None

        def flush_pending() -> None:
            # A service_id taken earlier in this run first, then one the ledger has billed.
            firsts = seen.add_batch([(line[_SERVICE_ID], line[_ROW]) for line in pending])
            fresh = []
            for line, first in zip(pending, firsts):
                if first is None:
                    fresh.append(line)
                else:
                    rejects(duplicate_in_run(line[_ROW], line[_SERVICE_ID], first, line[_FILE]))
            if correction is not None:
                for line in fresh:
                    correction.admit(line)
                pending.clear()
                return
            billed = ledger.billed(line[_SERVICE_ID] for line in fresh) if ledger else {}
            admitted = []
            for line in fresh:
                if line[_SERVICE_ID] in billed:  # admit_line passes the others as they are
                    line = admit_line(line, billed, resubmit=resubmit, ledger=ledger, icns=payer_claim_numbers,
                                      reject=rejects)
                    if line is None:
                        continue
                if held is not None and book.counts(line):
                    held.add((line[_DATE], next(order), line))
                    continue
                admitted.append(line)
            sorter.extend(admitted)
            lines_per_payer.update(line[0] for line in admitted)
            if allow_late:
                summary.billed_late += sum(
                    checker.days_late(line[0], dt.date.fromisoformat(line[_DATE])) is not None for line in admitted)
            pending.clear()

        for path in inputs:
            name = str(path)
            for batch in read_batches(path, log=rules.log):
                for result in rules.check(batch):
                    summary.rows += 1
                    if progress and summary.rows % 10_000 == 0:
                        progress(10_000)
                    if isinstance(result, Reject):
                        rejects(result)
                        continue
                    pending.append(result)
                    if len(pending) >= LEDGER_CHECK_BATCH:
                        flush_pending()
        flush_pending()
        seen.close()
        if correction is not None:
            for line in correction.finish(rejects):
                sorter.add(line)
                lines_per_payer[line[0]] += 1
        if progress:
            progress(summary.rows % 10_000)
        if held is not None:
            for line in within_authorizations((item[2] for item in held), book, ledger, rejects, assign=True):
                sorter.add(line)
                lines_per_payer[line[0]] += 1
            held.close()

        plan = _plan(sorter, lines_per_payer, max_lines_per_file)
        parties = Parties(config)
        lines = iter(sorter)
        for payer_key in sorted(plan):
            for unit_lines, n_lines in zip(split_sorted(lines, plan[payer_key]), plan[payer_key]):
                output = _write_payer(payer_key, unit_lines, n_lines, config, parties, out, ledger,
                                      dry_run, rejects, payer_claim_numbers, timestamp, summary, book,
                                      frequencies, mark)
                summary.outputs.append(output)
                summary.billed_rows += output.lines
        summary.rejects_path = rejects.finish()
        return summary
    except BaseException:
        rejects.abort()
        raise
    finally:
        sorter.close()
        seen.close()
        if held is not None:
            held.close()


def duplicate_in_run(row_number: int, service_id: str, first_row: int, file: str) -> Reject:
    return Reject(row_number, service_id, "service_id",
                  f"duplicate service_id in this run (first seen on row {first_row})", file, "duplicate-service")


def duplicate_in_ledger(line: tuple, original: str) -> Reject:
    return Reject(line[L["row_number"]], line[L["service_id"]], "service_id",
                  f"duplicate: service_id already billed on claim {original} "
                  "(use --resubmit for a replacement claim)", line[L["file"]], "duplicate-service")


def no_payer_claim_number(line: tuple, original: str) -> Reject:
    return Reject(line[L["row_number"]], line[L["service_id"]], "service_id",
                  f"cannot resubmit: no payer claim number on record for claim {original} "
                  "(apply its 277CA or 835 first)", line[L["file"]], "no-payer-claim-number")


def admit_line(line: tuple, billed: dict[str, str], *, resubmit: bool, ledger: Ledger | None,
               icns: dict[str, str], reject: Callable[[Reject], None]) -> tuple | None:
    """A checked line against the ledger: a service_id already billed is a duplicate, or with
    ``resubmit`` a replacement of its claim (which needs the payer's claim number, REF*F8)."""
    original = billed.get(line[L["service_id"]])
    if original is None:
        return line
    if not resubmit:
        reject(duplicate_in_ledger(line, original))
        return None
    if original not in icns:
        row = ledger.claim(original) if ledger is not None else None
        if row is None or not row["payer_claim_number"]:
            reject(no_payer_claim_number(line, original))
            return None
        icns[original] = row["payer_claim_number"]
    return line[:L["replaces"]] + (original,) + line[L["replaces"] + 1:]


def not_billed_since(lines: Iterable[tuple], ledger: Ledger, reject: Callable[[Reject], None],
                     summary: EncodeSummary) -> Iterator[tuple]:
    """``lines`` less those the ledger now bills on another claim than they were admitted for: a run
    that committed since ``admit_line`` checked them (called inside the billing transaction, whose
    lock keeps it so until commit). A replacement line stays when still on the claim it replaces."""
    lines = iter(lines)
    while batch := list(itertools.islice(lines, LEDGER_CHECK_BATCH)):  # itertools.batched is 3.12+
        billed = ledger.billed(line[_SERVICE_ID] for line in batch)
        for line in batch:
            now = billed.get(line[_SERVICE_ID])
            if now is None or now == line[_REPLACES]:
                yield line
            else:
                summary.billed_concurrently += 1
                reject(duplicate_in_ledger(line, now))


def within_authorizations(lines: Iterable[tuple], book: AuthorizationBook, ledger: Ledger | None,
                          reject: Callable[[Reject], None], *, assign: bool,
                          summary: EncodeSummary | None = None) -> Iterator[tuple]:
    """``lines`` under their authorizations, counted from the ledger's units of now on: with ``assign``
    (all lines read, in service-date order) each takes the authorization that covers it
    (``AuthorizationBook.assign``); without, inside the billing lock, each must still fit the one
    it was given (``recheck``: a run that billed under it since is counted, ``summary`` notes it).
    A line that does not fit is billed for the units left and its units beyond are rejected (or,
    with nothing left, rejected whole)."""
    book.start_count(ledger.authorization_use(book.numbers) if ledger is not None else {})
    lines = iter(lines)
    while batch := list(itertools.islice(lines, LEDGER_CHECK_BATCH)):
        # a replacement line takes the place of its billed line, and of the units it was counted for
        replaced = [ln[_SERVICE_ID] for ln in batch if ln[_REPLACES]]
        credits = ledger.line_authorizations(replaced) if ledger is not None and replaced else {}
        for line in batch:
            credit = credits.get(line[_SERVICE_ID]) if line[_REPLACES] else None
            result = book.assign(line, credit) if assign else book.recheck(line, credit)
            if isinstance(result, tuple):
                yield result
                continue
            if summary is not None:
                summary.authorized_concurrently += 1
            if isinstance(result, PartlyBilled):
                reject(result.beyond)
                yield result.line
            else:
                reject(result)


def _plan(sorter: ExternalSorter, lines_per_payer: Counter, max_lines: int | None) -> dict[str, list[int]]:
    """Line counts of each payer's units. With a limit, one pass over the sorted lines measures groups."""
    if max_lines is None:
        return {payer: [n] for payer, n in lines_per_payer.items() if n}
    group_sizes: dict[str, list[int]] = {}
    key = None
    for line in sorter:
        k = line[:len(GROUP_FIELDS)]
        if k != key:
            group_sizes.setdefault(k[0], []).append(0)
            key = k
        group_sizes[k[0]][-1] += 1
    return {payer: unit_sizes(sizes, max_lines) for payer, sizes in group_sizes.items()}


def _parties_of(config: NLEConfig, payer_key: str) -> tuple[Submitter, Receiver, EnvelopeInfo]:
    ic = config.interchange
    payer = config.payers[payer_key]
    submitter = Submitter(name=ic.submitter_name, id=ic.submitter_id or ic.sender_id, contact_name=ic.contact_name,
                          phone=ic.phone, email=ic.email)
    receiver = Receiver(name=payer.receiver_name or payer.name, id=payer.receiver_id)
    envelope = EnvelopeInfo(sender_id=ic.sender_id, receiver_id=payer.receiver_id, sender_qualifier=ic.sender_qualifier,
                            receiver_qualifier=payer.receiver_qualifier, usage=ic.usage)
    return submitter, receiver, envelope


def unit_file_name(payer_key: str, isa13: int) -> str:
    return f"{payer_key}-{isa13:09d}.837"


def write_unit(
    lines: Iterable[tuple],
    *,
    payer_key: str,
    config: NLEConfig,
    parties: Parties,
    numbers: UnitNumbers,
    write: Callable[[str], object],
    timestamp: dt.datetime | None,
    reject: Callable[[Reject], None],
    payer_claim_numbers: dict[str, str],
    record: Callable[[tuple, list[tuple]], None] | None = None,
    frequencies: dict[str, str] | None = None,
):
    """Write one interchange (one unit) from its sorted lines, grouped into claims by the core
    (``write_837p_lines``). ``record(claim_row, line_rows)`` is called for each claim as it is
    written, with the rows the ledger keeps for it (see ``Ledger.record_claims``). Returns the
    writer's ``WriteResult``."""
    ic = config.interchange
    sender = ic.sender_id
    submitter, receiver, envelope = _parties_of(config, payer_key)
    # an encounter payer's claims are reported with BHT06 = RP (as all are when the interchange says RP)
    encounter = config.payers[payer_key].submission == "encounter" or ic.transaction_type == "RP"
    submission = "encounter" if encounter else "claim"
    isa13, gs06 = numbers.isa13, numbers.gs06
    billing, payer = parties.billing[payer_key], parties.payers[payer_key]
    return write_837p_lines(
        column_batches(lines), write, fields=LINE_FIELDS, submitter=submitter, receiver=receiver, envelope=envelope,
        interchange_control_number=isa13, group_control_number=gs06, billing_provider=billing, payer=payer,
        cbos=parties.cbos, claim_id_prefix=ic.claim_id_prefix, first_claim_number=numbers.first_claim_number,
        max_lines=ic.max_lines_per_claim, checks=LineChecks(parties, reject), payer_claim_numbers=payer_claim_numbers,
        frequencies=frequencies, record=record, ledger_fields=(sender, isa13, gs06, submission),
        transaction_type="RP" if encounter else ic.transaction_type, timestamp=timestamp)


def _write_payer(payer_key, lines, n_lines, config: NLEConfig, parties: Parties, out: Path | None,
                 ledger: Ledger | None, dry_run: bool, rejects, icns, timestamp, summary: EncodeSummary,
                 book: AuthorizationBook | None = None,
                 frequencies: dict[str, str] | None = None, mark=None) -> PayerOutput:
    """One unit of one payer: reserve its numbers, write it and record it in one transaction.
    ``mark``: the ledger's ``change_mark()`` from before the lines were checked (None: unknown)."""
    ic = config.interchange
    payer = config.payers[payer_key]
    sender = ic.sender_id
    live = ledger is not None and not dry_run and out is not None
    if live:
        isa13 = ledger.reserve(f"isa13:{sender}")[0]
        gs06 = ledger.reserve(f"gs06:{sender}")[0]
        first = ledger.reserve("claim_id", n_lines, maximum=10**10 - 1).start
    else:
        isa13 = gs06 = first = 1
    numbers = UnitNumbers(isa13, gs06, first, n_lines)
    claim_rows: list[tuple] = []
    line_rows: list[tuple] = []

    def record(claim_row: tuple, lines_of_claim: list[tuple]) -> None:
        """Batch the ledger rows; they go in with the file, in the same transaction."""
        claim_rows.append(claim_row)
        line_rows.extend(lines_of_claim)
        if len(line_rows) >= 5000:
            _flush_records()

    def _flush_records():
        replacing = any(r[9] for r in claim_rows)
        ledger.record_claims(claim_rows, line_rows, replacing=replacing)
        claim_rows.clear()
        line_rows.clear()

    common = dict(payer_key=payer_key, config=config, parties=parties, numbers=numbers, timestamp=timestamp,
                  reject=rejects, payer_claim_numbers=icns, frequencies=frequencies)
    if not live:
        result = write_unit(lines, write=lambda s: None, **common)
        return PayerOutput(payer_key, None, None, result.claims, result.lines, result.total_charge)

    path = out / unit_file_name(payer_key, isa13)
    sink = HashingFile(path)
    try:
        with ledger.transaction():
            ledger.lock_billing()
            if not ledger.unchanged_since(mark):  # another run committed since: check the lines again
                lines = not_billed_since(lines, ledger, rejects, summary)
            if book is not None:  # the count taken under the lock: another run's units are in it
                lines = within_authorizations(lines, book, ledger, rejects, assign=False, summary=summary)
            result = write_unit(lines, write=sink, record=record, **common)
            if claim_rows or line_rows:
                _flush_records()
            tx_numbers = result.transaction_control_numbers
            sink.finish()
            if result.claims == 0:
                sink.abort()
                return PayerOutput(payer_key, None, None, 0, 0, Decimal(0))
            ledger.record_interchange(sender_id=sender, isa13=isa13, receiver_id=payer.receiver_id, gs06=gs06,
                                      payer_key=payer_key, path=str(path), sha256=sink.sha256.hexdigest(),
                                      size=sink.size, claims=result.claims, lines=result.lines,
                                      total_charge=str(result.total_charge), st02s=tx_numbers)
            sink.commit()  # rename inside the open transaction: the commit follows at once
    except BaseException:
        sink.abort()
        raise
    os.chmod(path, 0o600)
    return PayerOutput(payer_key, str(path), isa13, result.claims, result.lines, result.total_charge,
                       sink.sha256.hexdigest())
