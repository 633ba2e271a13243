"""Sorted lines -> claims: one per payer x member x CBO x period (month or day), split at the
line limit and at 12 diagnoses. Party models are built once and shared, so the writer's
HL grouping compares by identity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from ..models.claim import (
    Address, BillingProvider, Claim, Payer, RenderingProvider, ServiceLine, Subscriber,
)
from ..models.config import NLEConfig
from .ingest import L, Reject

_KEY = slice(0, 6)  # payer, member, cbo, period, prior_auth, replaces


@dataclass
class BuiltClaim:
    claim: Claim
    payer_key: str
    cbo_key: str
    member_id: str
    replaces: str
    lines: list[tuple]


class Parties:
    """Billing provider, payers and CBOs as claim models, built once per run."""

    def __init__(self, config: NLEConfig) -> None:
        bp = config.billing_provider
        self.billing = {
            key: BillingProvider(name=bp.name, npi=bp.npi, tax_id=bp.tax_id, taxonomy=bp.taxonomy, address=bp.address,
                                 payer_assigned_id=None if bp.npi else p.billing_provider_id)
            for key, p in config.payers.items()
        }
        self.payers = {key: Payer(name=p.name, payer_id=p.payer_id, claim_filing_indicator=p.claim_filing_indicator)
                       for key, p in config.payers.items()}
        self.cbos = {key: RenderingProvider(name=c.name, npi=c.npi, taxonomy=c.taxonomy,
                                            secondary_id=None if c.npi else c.atypical_id)
                     for key, c in config.cbos.items()}


def build_claims(
    lines: Iterable[tuple],
    parties: Parties,
    next_claim_id: Callable[[str], str],
    *,
    max_lines: int = 50,
    reject: Callable[[Reject], None],
    payer_claim_numbers: dict[str, str] | None = None,
) -> Iterator[BuiltClaim]:
    """Group sorted lines into claims. A claim the models refuse sends its rows to ``reject``."""
    last_member_key = None
    subscriber = None
    group: list[tuple] = []
    key = None
    for line in lines:
        k = line[_KEY]
        if k != key:
            if group:
                yield from _emit(group, parties, subscriber, next_claim_id, max_lines, reject, payer_claim_numbers)
            key = k
            group = []
            mk = (line[L["member_id"]], line[L["last_name"]], line[L["first_name"]], line[L["birth_date"]],
                  line[L["sex"]], line[L["address"]], line[L["city"]], line[L["state"]], line[L["zip"]])
            if mk != last_member_key:
                last_member_key = mk
                subscriber = _subscriber(line)
        group.append(line)
    if group:
        yield from _emit(group, parties, subscriber, next_claim_id, max_lines, reject, payer_claim_numbers)


def _subscriber(line: tuple) -> Subscriber | Reject:
    try:
        return Subscriber(
            member_id=line[L["member_id"]], last_name=line[L["last_name"]], first_name=line[L["first_name"]] or None,
            birth_date=dt.date.fromisoformat(line[L["birth_date"]]), sex=line[L["sex"]],
            address=Address(line1=line[L["address"]], city=line[L["city"]], state=line[L["state"]], zip=line[L["zip"]]),
        )
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        return Reject(line[L["row_number"]], line[L["service_id"]], "member_" + str(err["loc"][-1]), err["msg"],
                      line[L["file"]])


def _chunks(group: list[tuple], max_lines: int) -> Iterator[tuple[list[tuple], list[str]]]:
    """Split a group so each claim has <= max_lines lines and <= 12 distinct diagnoses."""
    chunk: list[tuple] = []
    dx: list[str] = []
    for line in group:
        codes = line[L["diagnoses"]].split(";")[:4]  # a line points at up to 4 diagnoses
        new = [c for c in codes if c not in dx]
        if chunk and (len(chunk) >= max_lines or len(dx) + len(new) > 12):
            yield chunk, dx
            chunk, dx = [], []
            new = codes
        chunk.append(line)
        dx.extend(c for c in new if c not in dx)
    if chunk:
        yield chunk, dx


def _emit(group, parties, subscriber, next_claim_id, max_lines, reject, payer_claim_numbers):
    first = group[0]
    if isinstance(subscriber, Reject):
        for line in group:
            reject(Reject(line[L["row_number"]], line[L["service_id"]], subscriber.column, subscriber.reason,
                          line[L["file"]]))
        return
    payer_key, cbo_key, replaces = first[L["payer"]], first[L["cbo"]], first[L["replaces"]]
    for chunk, dx in _chunks(group, max_lines):
        index = {code: i for i, code in enumerate(dx, 1)}
        try:
            lines = tuple(
                ServiceLine(
                    procedure_code=ln[L["procedure_code"]],
                    modifiers=tuple(ln[L["modifiers"]].split(":")) if ln[L["modifiers"]] else (),
                    charge=Decimal(ln[L["charge"]]), units=Decimal(ln[L["units"]]),
                    service_date=dt.date.fromisoformat(ln[L["service_date"]]),
                    diagnosis_pointers=tuple(index[c] for c in ln[L["diagnoses"]].split(";")[:4]),
                    line_control_number=ln[L["service_id"]],
                    place_of_service=None if ln[L["place_of_service"]] == first[L["place_of_service"]]
                    else ln[L["place_of_service"]],
                )
                for ln in chunk
            )
            claim = Claim(
                claim_id=next_claim_id(payer_key), frequency="7" if replaces else "1",
                payer_claim_number=(payer_claim_numbers or {}).get(replaces) if replaces else None,
                place_of_service=first[L["place_of_service"]], diagnoses=tuple(dx),
                prior_authorization=first[L["prior_auth"]] or None, lines=lines,
                billing_provider=parties.billing[payer_key], subscriber=subscriber, payer=parties.payers[payer_key],
                rendering_provider=parties.cbos[cbo_key],
            )
        except ValidationError as exc:
            err = exc.errors(include_input=False, include_url=False)[0]
            where = ".".join(str(p) for p in err["loc"])
            for ln in chunk:
                reject(Reject(ln[L["row_number"]], ln[L["service_id"]], "(claim)",
                              f"claim cannot be built: {where}: {err['msg']}", ln[L["file"]]))
            continue
        yield BuiltClaim(claim, payer_key, cbo_key, first[L["member_id"]], replaces, chunk)
