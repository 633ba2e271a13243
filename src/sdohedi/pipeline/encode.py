"""encode: service logs -> one 837P interchange per payer, a rejects file, a summary.

Order of work, chosen so a crash loses nothing and never reuses a control number:
1. read and check every row (rejects stream to a temp file), spill good lines to a sorted store;
2. per payer: reserve ISA13/GS06 and a block of claim ids (committed at once, never reused);
   then, in one ledger transaction, write the interchange to a 0600 temp file while recording
   its claims and lines, fsync, rename into place, commit. A crash before the rename leaves no
   file and no record; the numbers reserved stay burned.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..claims837p import EnvelopeInfo, write_837p
from ..ledger import Ledger
from ..models.claim import Receiver, Submitter
from ..models.config import NLEConfig
from .files import HashingFile
from .grouping import BuiltClaim, Parties, build_claims
from .ingest import L, Reject, RowChecker, read_rows
from .sorting import ExternalSorter

LEDGER_CHECK_BATCH = 5000


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
    rejects_path: str | None = None
    reject_reasons: Counter = field(default_factory=Counter)
    outputs: list[PayerOutput] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "rows": self.rows, "billed_rows": self.billed_rows, "rejected_rows": self.rejected_rows,
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

    def __init__(self, out_dir: Path | None, summary: EncodeSummary) -> None:
        self.summary = summary
        self.path = out_dir / "rejects.csv" if out_dir else None
        self._file = None
        if self.path:
            self._tmp = self.path.with_name(f".rejects.csv.{os.getpid()}.tmp")
            fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._file = os.fdopen(fd, "w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._file)
            self._csv.writerow(["file", "row_number", "service_id", "column", "reason"])

    def __call__(self, r: Reject) -> None:
        self.summary.rejected_rows += 1
        # Count by rule, not by value, so the summary never carries row data.
        self.summary.reject_reasons[f"{r.column}: {_reason_kind(r.reason)}"] += 1
        if self._file:
            self._csv.writerow([r.file, r.row_number, r.service_id, r.column, r.reason])

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
    run_size: int = 200_000,
) -> EncodeSummary:
    summary = EncodeSummary(dry_run=dry_run)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None and not dry_run:
        out.mkdir(parents=True, exist_ok=True)
    checker = RowChecker(config, today=today)
    rejects = _Rejects(None if dry_run else out, summary)
    sorter = ExternalSorter(run_size=run_size)
    try:
        lines_per_payer: Counter = Counter()
        seen: dict[str, int] = {}
        pending: list[tuple] = []

        def flush_pending() -> None:
            billed = ledger.billed(line[L["service_id"]] for line in pending) if ledger else {}
            for line in pending:
                sid = line[L["service_id"]]
                original = billed.get(sid)
                if original is not None:
                    if not resubmit:
                        rejects(Reject(line[L["row_number"]], sid, "service_id",
                                       f"duplicate: service_id already billed on claim {original} "
                                       "(use --resubmit for a replacement claim)", line[L["file"]]))
                        continue
                    line = line[:L["replaces"]] + (original,) + line[L["replaces"] + 1:]
                sorter.add(line)
                lines_per_payer[line[0]] += 1
            pending.clear()

        for path in inputs:
            name = str(path)
            for n, raw in read_rows(path):
                summary.rows += 1
                if progress and summary.rows % 10_000 == 0:
                    progress(10_000)
                result = checker.check(n, raw, name)
                if isinstance(result, Reject):
                    rejects(Reject(result.row_number, result.service_id, result.column, result.reason, name))
                    continue
                sid = result[L["service_id"]]
                first = seen.get(sid)
                if first is not None:
                    rejects(Reject(n, sid, "service_id", f"duplicate service_id in this run (first seen on row {first})",
                                   name))
                    continue
                seen[sid] = n
                pending.append(result)
                if len(pending) >= LEDGER_CHECK_BATCH:
                    flush_pending()
        flush_pending()
        del seen
        if progress:
            progress(summary.rows % 10_000)

        payer_claim_numbers: dict[str, str] = {}
        parties = Parties(config)
        for payer_key, payer_lines in itertools.groupby(sorter, key=lambda ln: ln[0]):
            if resubmit and ledger is not None:
                payer_lines = _with_icns(payer_lines, ledger, payer_claim_numbers, rejects)
            output = _write_payer(payer_key, payer_lines, lines_per_payer[payer_key], config, parties, out, ledger,
                                  dry_run, rejects, payer_claim_numbers, timestamp)
            summary.outputs.append(output)
            summary.billed_rows += output.lines
        summary.rejects_path = rejects.finish()
        return summary
    except BaseException:
        rejects.abort()
        raise
    finally:
        sorter.close()


def _with_icns(lines, ledger: Ledger, icns: dict[str, str], rejects) -> Iterable[tuple]:
    """Resubmitted lines need the payer's claim number of the claim they replace (REF*F8)."""
    for line in lines:
        original = line[L["replaces"]]
        if original and original not in icns:
            row = ledger.claim(original)
            if row is None or not row["payer_claim_number"]:
                rejects(Reject(line[L["row_number"]], line[L["service_id"]], "service_id",
                               f"cannot resubmit: no payer claim number on record for claim {original} "
                               "(apply its 277CA or 835 first)", line[L["file"]]))
                continue
            icns[original] = row["payer_claim_number"]
        yield line


def _write_payer(payer_key, lines, n_lines, config: NLEConfig, parties: Parties, out: Path | None,
                 ledger: Ledger | None, dry_run: bool, rejects, icns, timestamp) -> PayerOutput:
    ic = config.interchange
    payer = config.payers[payer_key]
    sender = ic.sender_id
    submitter = Submitter(name=ic.submitter_name, id=ic.submitter_id or ic.sender_id, contact_name=ic.contact_name,
                          phone=ic.phone, email=ic.email)
    receiver = Receiver(name=payer.receiver_name or payer.name, id=payer.receiver_id)
    envelope = EnvelopeInfo(sender_id=sender, receiver_id=payer.receiver_id, sender_qualifier=ic.sender_qualifier,
                            receiver_qualifier=payer.receiver_qualifier, usage=ic.usage)
    live = ledger is not None and not dry_run and out is not None
    if live:
        isa13 = ledger.reserve(f"isa13:{sender}")[0]
        gs06 = ledger.reserve(f"gs06:{sender}")[0]
        ids = iter(ledger.reserve("claim_id", n_lines, maximum=10**10 - 1))
    else:
        isa13 = gs06 = 1
        ids = itertools.count(1)
    prefix = ic.claim_id_prefix

    def next_claim_id(_payer: str) -> str:
        return f"{prefix}{next(ids):010d}"

    claim_rows: list[tuple] = []
    line_rows: list[tuple] = []
    tx_numbers: list[str] = []
    stats = {"claims": 0}

    def record(built_claims: Iterable[BuiltClaim]):
        """Pass claims to the writer while batching their ledger rows (same transaction)."""
        for b in built_claims:
            c = b.claim
            st02 = f"{stats['claims'] // 5000 + 1:04d}"
            stats["claims"] += 1
            dates = [ln.service_date for ln in c.lines]
            claim_rows.append((c.claim_id, b.payer_key, b.cbo_key, b.member_id, sender, isa13, gs06, st02,
                               c.frequency, b.replaces or None, str(c.total_charge), min(dates).isoformat(),
                               max(dates).isoformat()))
            for i, ln in enumerate(c.lines, 1):
                line_rows.append((ln.line_control_number, c.claim_id, i, b.cbo_key, ln.procedure_code,
                                  ":".join(ln.modifiers), str(ln.units), str(ln.charge), ln.service_date.isoformat()))
            if live and len(line_rows) >= 5000:
                _flush_records()
            yield c

    def _flush_records():
        replacing = any(r[9] for r in claim_rows)
        ledger.record_claims(claim_rows, line_rows, replacing=replacing)
        claim_rows.clear()
        line_rows.clear()

    claims_iter = record(build_claims(lines, parties, next_claim_id, max_lines=ic.max_lines_per_claim,
                                      reject=rejects, payer_claim_numbers=icns))
    common = dict(submitter=submitter, receiver=receiver, envelope=envelope, interchange_control_number=isa13,
                  group_control_number=gs06, transaction_type=ic.transaction_type, timestamp=timestamp)
    if not live:
        result = write_837p(claims_iter, lambda s: None, **common)
        return PayerOutput(payer_key, None, None, result.claims, result.lines, result.total_charge)

    path = out / f"{payer_key}-{isa13:09d}.837"
    sink = HashingFile(path)
    try:
        with ledger.transaction():
            result = write_837p(claims_iter, sink, **common)
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
