"""Sorted lines -> claims: one per payer x member x CBO x period (month or day), split at the
line limit and at 12 diagnoses. Party models are built once and shared, so the writer's
HL grouping compares by identity.

Every value of a line was checked when its row was read (``ingest.RowChecker``), so claims are
built without validating them again (``unchecked_maker``): validation cost more than all the
rest of ``encode``. The first claim of each payer x CBO pair is still built by the validating
constructor, so a rule that depends on the parties (NPI check digits, taxonomy, a P.O. box
billing address) fails as before; a claim whose values could break a model limit that the row
checks do not cover (its total charge) goes the validating way too, and is rejected there."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from ..models.claim import (
    MAX_TOTAL_CHARGE, Address, BillingProvider, Claim, Payer, RenderingProvider, ServiceLine, Subscriber,
)
from ..models.config import NLEConfig
from ..models.construct import field_template, unchecked_maker
from .ingest import L, Reject, model_rule

_KEY = slice(0, 6)  # payer, member, cbo, period, prior_auth, replaces
_CACHE_LIMIT = 1 << 16
_make_line = unchecked_maker(ServiceLine)
_make_claim = unchecked_maker(Claim)
_LINE_TEMPLATE = field_template(ServiceLine)
_CLAIM_TEMPLATE = field_template(Claim, deviations=())
_PROCEDURE, _MODIFIERS, _UNITS, _CHARGE, _DIAGNOSES, _POS, _DATE, _SERVICE_ID = (
    L["procedure_code"], L["modifiers"], L["units"], L["charge"], L["diagnoses"], L["place_of_service"],
    L["service_date"], L["service_id"])
_PICKUP = slice(L["pickup_address"], L["pickup_zip"] + 1)
_DROPOFF = slice(L["dropoff_address"], L["dropoff_zip"] + 1)


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


class _Values:
    """Per-run caches: line values repeat (charges, units, dates), and which payer x CBO pairs
    already had a claim pass full validation."""

    def __init__(self) -> None:
        self.decimals: dict[str, Decimal] = {}
        self.dates: dict[str, dt.date] = {}
        self.addresses: dict[tuple, Address] = {}
        self.validated_pairs: set[tuple[str, str]] = set()

    def decimal(self, text: str) -> Decimal:
        value = self.decimals.get(text)
        if value is None:
            if len(self.decimals) >= _CACHE_LIMIT:
                self.decimals.clear()
            value = self.decimals[text] = Decimal(text)
        return value

    def address(self, fields: tuple) -> Address:
        """The Address of a line's location fields (line1, city, state, zip), validated once
        and shared (raises ValidationError, which the validating way turns into a reject)."""
        value = self.addresses.get(fields)
        if value is None:
            if len(self.addresses) >= _CACHE_LIMIT:
                self.addresses.clear()
            line1, city, state, zip_code = fields
            value = self.addresses[fields] = Address(line1=line1, city=city, state=state, zip=zip_code)
        return value

    def date(self, text: str) -> dt.date:
        value = self.dates.get(text)
        if value is None:
            if len(self.dates) >= _CACHE_LIMIT:
                self.dates.clear()
            value = self.dates[text] = dt.date.fromisoformat(text)
        return value


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
                      line[L["file"]], model_rule(err["type"]))


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


def _locations(chunk, values: _Values) -> tuple[Address | None, Address | None, list]:
    """(claim pick-up, claim drop-off, [(line pick-up, line drop-off)]): the claim's 2310E/2310F
    are the locations of its first transport line; a line whose pick-up or drop-off differs
    from those carries its own (2420G/2420H), so two trips never share one claim-level pair.
    Lines that are not transport services (empty trip fields) carry none."""
    pickup = dropoff = None
    first_trip = None
    per_line = []
    for ln in chunk:
        here = ln[_PICKUP]
        if not here[0]:
            per_line.append((None, None))
            continue
        there = ln[_DROPOFF]
        if first_trip is None:
            first_trip = (here, there)
            pickup, dropoff = values.address(here), values.address(there)
        per_line.append((None if here == first_trip[0] else values.address(here),
                         None if there == first_trip[1] else values.address(there)))
    return pickup, dropoff, per_line


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


def _member_refused(line: tuple, subscriber: Reject) -> Reject:
    return Reject(line[L["row_number"]], line[L["service_id"]], subscriber.column, subscriber.reason, line[L["file"]],
                  subscriber.rule)


def _claim_refused(chunk: list[tuple], exc: ValidationError, reject: Callable[[Reject], None]) -> None:
    err = exc.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"])
    for ln in chunk:
        reject(Reject(ln[L["row_number"]], ln[L["service_id"]], "(claim)",
                      f"claim cannot be built: {where}: {err['msg']}", ln[L["file"]], "claim-not-built"))


class LineChecks:
    """What the core's grouping of lines (``claims837p.write_837p_lines``) asks of the models, once
    per value: a member's Subscriber, a trip location's Address, and the validated claim where
    ``_emit`` validates one. The rows of a member or claim the models refuse go to ``reject``,
    with the rule and reason ``build_claims`` gives them."""

    def __init__(self, parties: Parties, reject: Callable[[Reject], None]) -> None:
        self._parties = parties
        self._reject = reject
        self._values = _Values()
        self._member: Subscriber | Reject | None = None

    def subscriber(self, line: tuple) -> Subscriber | None:
        self._member = _subscriber(line)
        return None if isinstance(self._member, Reject) else self._member

    def reject_member(self, line: tuple) -> None:
        self._reject(_member_refused(line, self._member))

    def address(self, line1: str, city: str, state: str, zip_code: str) -> Address | None:
        try:
            return self._values.address((line1, city, state, zip_code))
        except ValidationError:
            return None

    def claim(self, chunk: list[tuple], dx: list[str], claim_id: str, frequency: str,
              payer_claim_number: str | None) -> Claim | None:
        try:
            return _validated_claim(chunk, dx, claim_id, frequency, payer_claim_number, self._member, self._parties,
                                    self._values)
        except ValidationError as exc:
            _claim_refused(chunk, exc, self._reject)
            return None


def column_batches(lines: Iterable[tuple], size: int = 4096) -> Iterator[tuple[tuple, ...]]:
    """Lines (tuples) as batches of columns, one tuple per field."""
    lines = iter(lines)
    while batch := list(itertools.islice(lines, size)):
        yield tuple(zip(*batch))


def _validated_claim(chunk, dx, claim_id, frequency, payer_claim_number, subscriber, parties,
                     values: _Values) -> Claim:
    first = chunk[0]
    payer_key = first[L["payer"]]
    index = {code: i for i, code in enumerate(dx, 1)}
    pickup, dropoff, per_line = _locations(chunk, values)
    lines = tuple(
        ServiceLine(
            procedure_code=ln[_PROCEDURE],
            modifiers=tuple(ln[_MODIFIERS].split(":")) if ln[_MODIFIERS] else (),
            charge=Decimal(ln[_CHARGE]), units=Decimal(ln[_UNITS]),
            service_date=dt.date.fromisoformat(ln[_DATE]),
            diagnosis_pointers=tuple(index[c] for c in ln[_DIAGNOSES].split(";")[:4]),
            line_control_number=ln[_SERVICE_ID],
            place_of_service=None if ln[_POS] == first[_POS] else ln[_POS],
            pickup=line_pickup, dropoff=line_dropoff,
        )
        for ln, (line_pickup, line_dropoff) in zip(chunk, per_line)
    )
    return Claim(
        claim_id=claim_id, frequency=frequency, payer_claim_number=payer_claim_number,
        place_of_service=first[_POS], diagnoses=tuple(dx), prior_authorization=first[L["prior_auth"]] or None,
        lines=lines, billing_provider=parties.billing[payer_key], subscriber=subscriber,
        payer=parties.payers[payer_key], rendering_provider=parties.cbos[first[L["cbo"]]], pickup=pickup,
        dropoff=dropoff,
    )


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
