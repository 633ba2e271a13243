"""The models' part in grouping lines into claims. The core groups a unit's sorted lines
(``claims837p.write_837p_lines``): one claim per payer x member x CBO x period (month or day),
split at the line limit and at 12 diagnoses, rendered from the lines' checked values (``pipeline.rules``). What the
row checks do not cover, it asks of :class:`LineChecks` here, once per value: a member's
Subscriber, a trip location's Address, and the validated Claim of the first claim of each
payer x CBO pair (so a rule that depends on the parties, such as NPI check digits, taxonomy or a
P.O. box billing address, refuses them all), of a replacement or void, and of a claim near a
model limit the row checks do not cover (its total charge); a claim the models refuse sends its
rows to the rejects, with its rule and reason."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from pydantic import ValidationError

from ..models.claim import Address, BillingProvider, Claim, Payer, RenderingProvider, ServiceLine, Subscriber
from ..models.config import NLEConfig
from .ingest import L, Reject, model_rule

_CACHE_LIMIT = 1 << 16
_PROCEDURE, _MODIFIERS, _UNITS, _CHARGE, _DIAGNOSES, _POS, _DATE, _SERVICE_ID = (
    L["procedure_code"], L["modifiers"], L["units"], L["charge"], L["diagnoses"], L["place_of_service"],
    L["service_date"], L["service_id"])
_PICKUP = slice(L["pickup_address"], L["pickup_zip"] + 1)
_DROPOFF = slice(L["dropoff_address"], L["dropoff_zip"] + 1)


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


class _Values:
    """Per-run cache of the Addresses of trip locations: they repeat from line to line."""

    def __init__(self) -> None:
        self.addresses: dict[tuple, Address] = {}

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
    per value: a member's Subscriber, a trip location's Address, and a validated claim. The rows
    of a member or claim the models refuse go to ``reject``, with the rule and the reason the
    models give (``claim-not-built`` for a claim)."""

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
