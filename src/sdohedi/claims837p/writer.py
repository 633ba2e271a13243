"""Streaming 005010X222A1 writer.

``write_837p(claims, write, ...)`` renders claims one at a time (in the compiled core,
``rust/src/writer837p.rs``), so memory does not grow with the number of claims. Consecutive
claims that share billing provider, subscriber/patient and payer share their HL loops (at most
100 claims per subscriber HL, per the TR3); a transaction set holds at most 5,000 claims (the
TR3's recommendation) and a new ST begins after that. All counts (HL ids, SE01, GE01, IEA01) are
computed. The same claims and control numbers always give the same bytes.

Whatever the models hold is written, so that reading the output back with ``Reader837P``
gives equal models. A claim read leniently (non-empty ``Claim.deviations``) is refused, and so
is a block holding a character outside printable ASCII or a terminator inside a value (models
built without validation); the claims before it are written, nothing of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .. import _core
from ..models.claim import BillingProvider, Claim, Payer, Receiver, RenderingProvider, ServiceLine, Submitter
from ..x12 import Interchange

VERSION = "005010X222A1"
MAX_CLAIMS_PER_TRANSACTION = 5000


@dataclass(frozen=True)
class EnvelopeInfo:
    """The ISA/GS identities of one interchange."""

    sender_id: str
    receiver_id: str
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    application_sender: str | None = None  # GS02, defaults to sender_id
    application_receiver: str | None = None  # GS03, defaults to receiver_id
    usage: str = "P"  # ISA15: P production, T test


@dataclass
class WriteResult:
    interchange_control_number: int
    group_control_number: int
    transaction_control_numbers: list[str] = field(default_factory=list)
    claims: int = 0
    lines: int = 0
    segments: int = 0
    total_charge: Decimal = Decimal(0)


def write_837p(
    claims: Iterable[Claim],
    write: Callable[[str], object],
    *,
    submitter: Submitter,
    receiver: Receiver,
    envelope: EnvelopeInfo,
    interchange_control_number: int,
    group_control_number: int,
    transaction_type: str = "CH",
    timestamp: dt.datetime | None = None,
    max_claims_per_transaction: int = MAX_CLAIMS_PER_TRANSACTION,
) -> WriteResult:
    """Write one interchange with one functional group holding as many ST/SE as needed.

    ``transaction_type`` is BHT06: CH for claims, RP for encounter reporting. ST02 runs
    0001, 0002, ... within the group (unique within the group, as the TR3 requires). Output
    reaches ``write`` in chunks of a few hundred kilobytes.
    """
    isa_gs, date, time = _envelope(envelope, interchange_control_number, group_control_number, transaction_type,
                                   timestamp, max_claims_per_transaction)
    result = _core.write_837p(
        claims, write, isa_gs=isa_gs, interchange_control_number=interchange_control_number,
        group_control_number=group_control_number, date=date, time=time,
        transaction_type=transaction_type, max_claims_per_transaction=max_claims_per_transaction,
        submitter=submitter, receiver=receiver,
    )
    return _result(result, interchange_control_number, group_control_number)


def write_837p_lines(
    batches: Iterable[Sequence[Sequence[object]]],
    write: Callable[[str], object],
    *,
    fields: Sequence[str],
    submitter: Submitter,
    receiver: Receiver,
    envelope: EnvelopeInfo,
    interchange_control_number: int,
    group_control_number: int,
    billing_provider: BillingProvider,
    payer: Payer,
    cbos: Mapping[str, RenderingProvider],
    claim_id_prefix: str,
    first_claim_number: int,
    max_lines: int,
    checks: object,
    payer_claim_numbers: Mapping[str, str] | None = None,
    frequencies: Mapping[str, str] | None = None,
    record: Callable[[tuple, list[tuple]], object] | None = None,
    ledger_fields: tuple = ("", 0, 0, "claim"),
    transaction_type: str = "CH",
    timestamp: dt.datetime | None = None,
    max_claims_per_transaction: int = MAX_CLAIMS_PER_TRANSACTION,
) -> WriteResult:
    """One interchange from one payer's checked service lines, grouped into claims by the core.

    ``batches`` yields the lines as columns (one sequence per name in ``fields``), sorted by the
    grouping key; the core groups, splits and numbers claims as ``sdohedi.pipeline.grouping``
    does and renders them with the writer ``write_837p`` uses, so the same lines give the same
    bytes. ``checks`` is what the core asks of the models (``pipeline.grouping.LineChecks``).
    ``record(claim_row, line_rows)`` gets the ledger's rows of each claim written;
    ``ledger_fields`` is (sender id, ISA13, GS06, submission) for them."""
    isa_gs, date, time = _envelope(envelope, interchange_control_number, group_control_number, transaction_type,
                                   timestamp, max_claims_per_transaction)
    result = _core.write_837p_lines(
        batches, write, fields=list(fields), isa_gs=isa_gs, interchange_control_number=interchange_control_number,
        group_control_number=group_control_number, date=date, time=time, transaction_type=transaction_type,
        max_claims_per_transaction=max_claims_per_transaction, submitter=submitter, receiver=receiver,
        billing_provider=billing_provider, payer=payer, cbos=cbos, claim_id_prefix=claim_id_prefix,
        first_claim_number=first_claim_number, max_lines=max_lines, payer_claim_numbers=payer_claim_numbers or {},
        frequencies=frequencies or {}, defaults=_DEFAULTS, checks=checks, record=record,
        ledger_fields=ledger_fields,
    )
    return _result(result, interchange_control_number, group_control_number)


# What a claim built from checked lines leaves at the models' defaults.
_DEFAULTS = {name: Claim.model_fields[name].default for name in (
    "diagnosis_code_qualifier", "provider_signature", "assignment_participation", "benefits_assignment",
    "release_of_information")} | {"unit_basis": ServiceLine.model_fields["unit_basis"].default}


def _envelope(envelope: EnvelopeInfo, interchange_control_number: int, group_control_number: int,
              transaction_type: str, timestamp: dt.datetime | None,
              max_claims_per_transaction: int) -> tuple[str, str, str]:
    """The ISA and GS segments (from the envelope writer every transaction shares, its checks
    included) and BHT04/BHT05."""
    if not 1 <= max_claims_per_transaction <= MAX_CLAIMS_PER_TRANSACTION:
        raise ValueError("max_claims_per_transaction must be 1..5000")
    if transaction_type not in ("CH", "RP"):
        raise ValueError("transaction_type (BHT06) must be CH or RP")
    isa_gs: list[str] = []
    ic = Interchange(
        isa_gs.append, sender_id=envelope.sender_id, receiver_id=envelope.receiver_id,
        sender_qualifier=envelope.sender_qualifier, receiver_qualifier=envelope.receiver_qualifier,
        control_number=interchange_control_number, usage=envelope.usage, timestamp=timestamp,
    )
    ic.group("HC", envelope.application_sender or envelope.sender_id,
             envelope.application_receiver or envelope.receiver_id, group_control_number, VERSION)
    ts = ic.timestamp
    return "".join(isa_gs), ts.strftime("%Y%m%d"), ts.strftime("%H%M")


def _result(core_result: tuple, interchange_control_number: int, group_control_number: int) -> WriteResult:
    transactions, n_claims, n_lines, segments, total, other = core_result
    total_charge = Decimal(total) if other is None else Decimal(total) + other
    return WriteResult(interchange_control_number, group_control_number,
                       [f"{n:04d}" for n in range(1, transactions + 1)], n_claims, n_lines, segments, total_charge)
