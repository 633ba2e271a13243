"""The unit-rendering path ``write_unit`` replaced, kept as the oracle of the differential tests:
claims built as models in Python (``build_claims``: grouped, split and, past the first claim
of each payer x CBO pair, made without validation by ``_unchecked_claim``), the ledger rows
made from them, and the models handed to ``write_837p``."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from sdohedi.claims837p import write_837p
from sdohedi.models.claim import MAX_TOTAL_CHARGE, Claim, ServiceLine
from sdohedi.models.build import model_makers, model_specs
from sdohedi.pipeline.encode import _parties_of
from sdohedi.pipeline.grouping import (
    _CHARGE, _DATE, _DIAGNOSES, _MODIFIERS, _POS, _PROCEDURE, _SERVICE_ID, _UNITS, Parties, _claim_refused,
    _locations, _member_refused, _subscriber, _validated_claim, _Values as _Addresses,
)
from sdohedi.pipeline.ingest import L, Reject

_KEY = slice(0, 6)  # payer, member, cbo, period, prior_auth, replaces
_CACHE_LIMIT = 1 << 16
_AUTH = L["prior_auth"]
_make_line, _make_claim = model_makers([ServiceLine, Claim])
# Every field at its default (None when required), in field order, to copy from.
_LINE_TEMPLATE = model_specs([ServiceLine])[0][1]
_CLAIM_TEMPLATE = model_specs([Claim])[0][1] | {"deviations": ()}


class _Values(_Addresses):
    """Per-run caches: line values repeat (charges, units, dates), and which payer x CBO pairs
    already had a claim pass full validation."""

    def __init__(self) -> None:
        super().__init__()
        self.decimals: dict[str, Decimal] = {}
        self.dates: dict[str, dt.date] = {}
        self.validated_pairs: set[tuple[str, str]] = set()

    def decimal(self, text: str) -> Decimal:
        value = self.decimals.get(text)
        if value is None:
            if len(self.decimals) >= _CACHE_LIMIT:
                self.decimals.clear()
            value = self.decimals[text] = Decimal(text)
        return value

    def date(self, text: str) -> dt.date:
        value = self.dates.get(text)
        if value is None:
            if len(self.dates) >= _CACHE_LIMIT:
                self.dates.clear()
            value = self.dates[text] = dt.date.fromisoformat(text)
        return value


@dataclass
class BuiltClaim:
    claim: Claim
    payer_key: str
    cbo_key: str
    member_id: str
    replaces: str
    lines: list[tuple]



def build_claims(
    lines: Iterable[tuple],
    parties: Parties,
    next_claim_id: Callable[[str], str],
    *,
    max_lines: int = 50,
    reject: Callable[[Reject], None],
    payer_claim_numbers: dict[str, str] | None = None,
    frequencies: dict[str, str] | None = None,
) -> Iterator[BuiltClaim]:
    """Group sorted lines into claims. A claim the models refuse sends its rows to ``reject``.

    A line that ``replaces`` a claim makes a replacement (CLM05-3 7, REF*F8 its payer claim number)
    unless ``frequencies`` (from ``sdohedi correct``) says otherwise for that claim: 8 (void, REF*F8)
    or 1 (a new original for a claim the payer rejected, no REF*F8)."""
    last_member_key = None
    subscriber = None
    group: list[tuple] = []
    key = None
    values = _Values()
    for line in lines:
        k = line[_KEY]
        if k != key:
            if group:
                yield from _emit(group, parties, subscriber, next_claim_id, max_lines, reject, payer_claim_numbers,
                                 values, frequencies)
            key = k
            group = []
            mk = (line[L["member_id"]], line[L["last_name"]], line[L["first_name"]], line[L["birth_date"]],
                  line[L["sex"]], line[L["address"]], line[L["city"]], line[L["state"]], line[L["zip"]])
            if mk != last_member_key:
                last_member_key = mk
                subscriber = _subscriber(line)
        group.append(line)
    if group:
        yield from _emit(group, parties, subscriber, next_claim_id, max_lines, reject, payer_claim_numbers, values,
                         frequencies)



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



def _frequency(replaces: str, frequencies: dict[str, str] | None) -> str:
    if not replaces:
        return "1"
    return (frequencies or {}).get(replaces, "7")


def _emit(group, parties, subscriber, next_claim_id, max_lines, reject, payer_claim_numbers, values: _Values,
          frequencies: dict[str, str] | None = None):
    first = group[0]
    if isinstance(subscriber, Reject):
        for line in group:
            reject(_member_refused(line, subscriber))
        return
    payer_key, cbo_key, replaces = first[L["payer"]], first[L["cbo"]], first[L["replaces"]]
    frequency = _frequency(replaces, frequencies)
    payer_claim_number = (payer_claim_numbers or {}).get(replaces) if frequency != "1" else None
    pair = (payer_key, cbo_key)
    for chunk, dx in _chunks(group, max_lines):
        claim_id = next_claim_id(payer_key)
        claim = None
        try:
            locations = _locations(chunk, values)
        except ValidationError:
            locations = None  # the validating way rejects the claim and says why
        if locations is not None and pair in values.validated_pairs and (payer_claim_number or frequency == "1"):
            claim = _unchecked_claim(chunk, dx, claim_id, frequency, payer_claim_number, subscriber, parties, values,
                                     locations)
        if claim is None:
            try:
                claim = _validated_claim(chunk, dx, claim_id, frequency, payer_claim_number, subscriber, parties,
                                         values)
            except ValidationError as exc:
                _claim_refused(chunk, exc, reject)
                continue
            values.validated_pairs.add(pair)
        yield BuiltClaim(claim, payer_key, cbo_key, first[L["member_id"]], replaces, chunk)




def _unchecked_claim(chunk, dx, claim_id, frequency, payer_claim_number, subscriber, parties, values: _Values,
                     locations: tuple) -> Claim | None:
    """The claim ``_validated_claim`` builds, from checked values, without validation; None
    when its total could break the Money limit (the validating way then decides)."""
    first = chunk[0]
    index = {code: i for i, code in enumerate(dx, 1)}
    first_pos = first[_POS]
    decimal = values.decimal
    date = values.date
    lines = []
    total = Decimal(0)
    pickup, dropoff, per_line = locations
    for ln, (line_pickup, line_dropoff) in zip(chunk, per_line):
        v = _LINE_TEMPLATE.copy()
        v["procedure_code"] = ln[_PROCEDURE]
        modifiers = ln[_MODIFIERS]
        v["modifiers"] = tuple(modifiers.split(":")) if modifiers else ()
        v["charge"] = charge = decimal(ln[_CHARGE])
        total += charge
        v["units"] = decimal(ln[_UNITS])
        v["service_date"] = date(ln[_DATE])
        v["diagnosis_pointers"] = tuple(index[c] for c in ln[_DIAGNOSES].split(";")[:4])
        v["line_control_number"] = ln[_SERVICE_ID]
        pos = ln[_POS]
        v["place_of_service"] = None if pos == first_pos else pos
        if line_pickup is not None or line_dropoff is not None:
            v["pickup"], v["dropoff"] = line_pickup, line_dropoff
        lines.append(_make_line(v))
    if total >= MAX_TOTAL_CHARGE:
        return None
    payer_key = first[L["payer"]]
    c = _CLAIM_TEMPLATE.copy()
    c["claim_id"] = claim_id
    c["frequency"] = frequency
    c["payer_claim_number"] = payer_claim_number
    c["place_of_service"] = first_pos
    c["diagnoses"] = tuple(dx)
    c["prior_authorization"] = first[L["prior_auth"]] or None
    c["total_charge"] = total
    c["lines"] = tuple(lines)
    c["billing_provider"] = parties.billing[payer_key]
    c["subscriber"] = subscriber
    c["payer"] = parties.payers[payer_key]
    c["rendering_provider"] = parties.cbos[first[L["cbo"]]]
    c["pickup"] = pickup
    c["dropoff"] = dropoff
    return _make_claim(c)


def write_unit_from_models(lines, *, payer_key, config, parties, numbers, write, timestamp, reject,
                           payer_claim_numbers, record=None, frequencies=None, writer=write_837p):
    """``encode.write_unit`` as it was: same arguments, same result."""
    ic = config.interchange
    sender = ic.sender_id
    submitter, receiver, envelope = _parties_of(config, payer_key)
    encounter = config.payers[payer_key].submission == "encounter" or ic.transaction_type == "RP"
    submission = "encounter" if encounter else "claim"
    isa13, gs06 = numbers.isa13, numbers.gs06
    ids = itertools.count(numbers.first_claim_number)
    prefix = ic.claim_id_prefix

    def next_claim_id(_payer: str) -> str:
        return f"{prefix}{next(ids):010d}"

    def recorded(built_claims: Iterable[BuiltClaim]):
        n = 0
        for b in built_claims:
            c = b.claim
            claim_id = c.claim_id
            cbo = b.cbo_key
            st02 = f"{n // 5000 + 1:04d}"  # the writer starts a new ST every 5,000 claims
            n += 1
            dates = [ln[_DATE] for ln in b.lines]
            claim_row = (claim_id, b.payer_key, cbo, b.member_id, sender, isa13, gs06, st02,
                         c.frequency, b.replaces or None, str(c.total_charge), min(dates), max(dates), submission)
            line_rows = [(ln[_SERVICE_ID], claim_id, i, cbo, ln[_PROCEDURE], ln[_MODIFIERS], ln[_UNITS],
                          ln[_CHARGE], ln[_DATE], ln[_AUTH] or None)
                         for i, ln in enumerate(b.lines, 1)]
            record(claim_row, line_rows)
            yield c

    claims = build_claims(lines, parties, next_claim_id, max_lines=ic.max_lines_per_claim, reject=reject,
                          payer_claim_numbers=payer_claim_numbers, frequencies=frequencies)
    claims = recorded(claims) if record is not None else (b.claim for b in claims)
    return writer(claims, write, submitter=submitter, receiver=receiver, envelope=envelope,
                  interchange_control_number=isa13, group_control_number=gs06,
                  transaction_type="RP" if encounter else ic.transaction_type, timestamp=timestamp)
