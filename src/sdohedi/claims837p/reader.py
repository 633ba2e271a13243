"""Streaming, sans-I/O 005010X222A1 reader: the mirror image of :func:`write_837p`.

::

    reader = Reader837P()
    for chunk in chunks:                  # bytes cut anywhere
        for claim in reader.feed(chunk):  # each Claim as soon as it is complete
            ...
    reader.close()                        # the stream must not end inside a segment or envelope
    reader.errors                         # what could not be read, each an X12Error naming where

A claim is complete when the next CLM, HL or SE arrives, so only the claim being read (and
the HL loops above it) is held: memory does not grow with the stream. A stream may hold
several ISA, several GS per ISA, several ST per GS, several claims per subscriber HL, and
patient HLs (23). ``reader.header`` is the :class:`InterchangeHeader` (ISA/GS/ST control
numbers, BHT, submitter, receiver) of the transaction set being read;
``feed_with_headers`` pairs every claim with the header of its own transaction set.
``read_837p_file(path)`` reads a file in 64 KiB chunks.

**What is read.** Every field the models hold: billing provider (2000A PRV*BI, 2010AA, its
secondary id from 2010BB REF*G2/LU), subscriber (SBR01, 2010BA name, member id, N3/N4, DMG),
payer (2010BB, SBR09), patient (2000C/2010CA), the claim (CLM01/02/05/06-09, REF*G1, REF*F8,
the diagnosis HI with ABK/ABF or ICD-9 BK/BF), the rendering provider (2310B), and each line
(SV1 with SV103 UN or MJ, SV105, SV107, DTP*472 D8 or RD8, REF*6R, 2420A), and the ambulance
pick-up and drop-off locations (2310E/2310F, 2420G/2420H: their N3/N4). What the TR3 allows
but the models do not keep is read past without a finding: pay-to loops, payer addresses,
other HI segments, CR1/CRC/PWK/NTE, 2310A/C/D, COB loops 2320/2330, 2410 drug (NDC) data,
2420B-F, 2430, 2440, NM1 middle names and suffixes, the drop-off location's name. A 2420A equal
to the claim's 2310B is read as no 2420A (the TR3 says to send it only when it differs), and
so is a 2420G/H equal to the claim's 2310E/F. A one-day RD8 is a single date.
An EIN or SSN written with dashes (``10-1234567``) is read as its nine digits.

**Strict and lenient.** By default (``lenient=False``) a claim must be one our writer could
write: the models' validation is the rule. Files from others, the TR3's own examples among
them, break some rules the models hold: rules of ours (CLM01 <= 20 characters, which the TR3
advises and receivers need keep no longer; frequency 1, 7 or 8, the codes we send; REF*6R <=
30 characters and unique) and rules the TR3 states but its syntax does not check (the NPI
check digit, NUCC taxonomy codes, a street address rather than a PO box in 2010AA).
``Reader837P(lenient=True)`` accepts those within the TR3's own limits (CLM01 <= 38, any
one-character frequency code, REF02 <= 50, taxonomy of 10 letters or digits), names them in
``Claim.deviations``, and ``write_837p`` refuses such a claim. A lenient read also takes the
other releases of the guide, 005010X222 and 005010X222A2, as 005010X222A1 (deviation
``guide-<version>``), and a 2310B/2420A whose id has not even the TR3's shape (an NPI that is not
10 digits or not qualified XX, a PRV03 that is not 10 letters or digits) without that id
(``rendering-provider-npi``, ``rendering-provider-taxonomy``; with no id left the provider is
not kept: ``rendering-provider-not-kept``). Nothing else is relaxed in either mode: 50 lines, 12 diagnoses, CLM02 = sum of SV102, the TR3's situational rules
(subscriber DMG and N3/N4 when the subscriber is the patient, REF*F8 with 7/8) hold always.

**Errors.** A claim that cannot be read (a value the models refuse, a required segment
missing, a segment out of place, an HL loop above it unreadable) is skipped: a
:class:`ClaimNotRead` naming the claim's ordinal, segment position, segment and element joins
``reader.errors`` and reading goes on. Trailer counts and control numbers that do not match
(SE, GE, IEA) and a header that does not fit the models join ``errors`` too. A stream that
cannot be read further raises: :class:`X12SyntaxError` (not X12, truncated) or
:class:`X12EnvelopeError` (envelopes out of order, not an 837P 005010X222A1 group or set).
The reader is then finished and every later call raises the same error; when the call that
hit it had completed claims, it returns them and the next call raises. Messages never hold
element values (names, ids and dates may be PHI), only positions, segment and element names
and the rule.

**Speed** (benchmarks/bench_decode_837p.py). The stream is read by the core
(``sdohedi._core.Claims837PReader``, rust/src/python/claims837p.rs): its tokenizer cuts the
segments, its loop states place them, and it reads each distinct SV1, DTP, HI and CLM02-09 text
once (bounded caches). A claim, its lines, subscriber, patient and addresses whose every value
passes the core's own checks (each narrower than the model's rule) are built without validation
by the core's model builder, as ``model_construct`` would build them (see
:mod:`sdohedi.models.build`); anything else is handed back to this module's hooks as the dicts
pydantic validates, and pydantic then decides and says what is wrong. Billing providers, payers
and rendering providers are validated once per distinct value. The round-trip properties in
tests/claims837p/test_reader_properties.py re-validate every claim the reader returns, and
tests/claims837p/test_reader_differential.py holds the reader to the former pure-Python one
(tests/claims837p/oracle_reader.py) on the corpus, generated and mangled files.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from os import PathLike
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .. import _core
from ..models.build import model_specs
from ..models.claim import (
    Address, BillingProvider, Claim, Patient, Payer, Receiver, RenderingProvider, ServiceLine, Submitter, Subscriber,
)
from ..models.fields import LENIENT_CONTEXT
from ..x12 import READ_SIZE, X12Error, X12SyntaxError, X12ValueError

CHUNK_SIZE = READ_SIZE  # 64 KiB, see sdohedi.x12.tokenizer

_LENIENT_HINT = " (a lenient read accepts this: Reader837P(lenient=True), sdohedi decode --lenient)"
# The shapes a rendering provider's ids must have for the models even in a lenient read (an
# NM109 NPI of 10 digits, a PRV03 of 10 letters or digits): a lenient read leaves out one that
# has not, and names it in the claim's deviations.
_NPI_SHAPE = re.compile(r"[0-9]{10}").fullmatch
_TAXONOMY_SHAPE = re.compile(r"[0-9A-Z]{10}").fullmatch
_D8 = re.compile(r"[0-9]{8}").fullmatch
# What the core builds unchecked, in the order it names them; and what its `validate` hook's kind names.
_SPECS = model_specs([Address, Subscriber, Patient, ServiceLine, Claim])
_VALIDATED = (Address, Subscriber, Patient, BillingProvider, Payer)

# Model fields as the TR3 names them, for messages.
_X12_NAMES = {
    "claim_id": "CLM01", "total_charge": "CLM02", "place_of_service": "CLM05-1/SV105", "frequency": "CLM05-3",
    "provider_signature": "CLM06", "assignment_participation": "CLM07", "benefits_assignment": "CLM08",
    "release_of_information": "CLM09", "payer_claim_number": "REF*F8", "prior_authorization": "REF*G1",
    "diagnoses": "HI", "diagnosis_code_qualifier": "HI01-1", "lines": "2400", "rendering_provider": "NM1*82",
    "procedure_code": "SV101-2", "modifiers": "SV101-3..6", "charge": "SV102", "unit_basis": "SV103",
    "units": "SV104", "diagnosis_pointers": "SV107", "service_date": "DTP*472", "service_date_end": "DTP*472",
    "line_control_number": "REF*6R", "entity_type": "NM102", "name": "NM103", "last_name": "NM103",
    "first_name": "NM104", "npi": "NM109", "member_id": "NM109", "payer_id": "NM109", "tax_id": "REF02",
    "taxonomy": "PRV03", "address": "N3/N4", "line1": "N301", "line2": "N302", "city": "N401", "state": "N402",
    "zip": "N403", "payer_assigned_id": "2010BB REF02", "birth_date": "DMG02", "sex": "DMG03",
    "relationship": "PAT01", "claim_filing_indicator": "SBR09", "payer_responsibility": "SBR01",
    "secondary_id": "REF02", "id": "NM109", "phone": "PER", "email": "PER", "pickup": "NM1*PW",
    "dropoff": "NM1*45",
}


class ClaimNotRead(X12Error):
    """One claim was skipped. ``claim_ordinal`` counts claims (CLM segments) from 1 in the
    stream; ``claim_position`` is its CLM's segment position (``position`` is where the
    problem is)."""

    def __init__(self, message: str, *, claim_ordinal: int, claim_position: int, **where: Any) -> None:
        self.claim_ordinal = claim_ordinal
        self.claim_position = claim_position
        super().__init__(f"claim #{claim_ordinal} (CLM at segment #{claim_position}) not read: {message}", **where)


class InterchangeHeader(BaseModel):
    """The envelope and header of one transaction set: ISA, GS, ST, BHT, 1000A and 1000B.

    ``submitter`` / ``receiver`` are None when 1000A / 1000B do not fit the models (the
    reason is in ``Reader837P.errors``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sender_qualifier: str  # ISA05
    sender_id: str  # ISA06, without its padding
    receiver_qualifier: str  # ISA07
    receiver_id: str  # ISA08
    interchange_control_number: str  # ISA13
    usage: str  # ISA15: P production, T test
    application_sender: str  # GS02
    application_receiver: str  # GS03
    group_control_number: str  # GS06
    version: str  # GS08
    transaction_control_number: str  # ST02
    purpose: str  # BHT02: 00 original, 18 reissue
    reference_id: str  # BHT03
    created_date: dt.date | None  # BHT04
    created_time: str  # BHT05: HHMM, HHMMSS or HHMMSSDD
    transaction_type: str  # BHT06: CH claim, RP encounter reporting, 31 subrogation demand
    submitter: Submitter | None
    receiver: Receiver | None


class _NotRead(Exception):
    """Internal: why a claim or an HL loop cannot be read, and where."""

    def __init__(self, message: str, position: int, segment: str | None = None, element: int | None = None,
                 component: int | None = None, rule: str = "claim-value") -> None:
        super().__init__(message)
        self.message = message
        self.where = dict(position=position, segment=segment, element=element, component=component, rule=rule)


def _explain(exc: ValidationError, limit: int = 3) -> str:
    """pydantic's errors as 'where: what', without the input values (they may be PHI)."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False)[:limit]:
        where = []
        loc = err["loc"]
        for i, item in enumerate(loc):
            if isinstance(item, int):
                where.append(f"#{item + 1}" if i and loc[i - 1] != "lines" else f"line {item + 1}")
            elif item in _X12_NAMES:
                where.append(f"{_X12_NAMES[item]} ({item})")
            else:
                where.append(str(item))
        parts.append(f"{' '.join(where) or 'claim'}: {err['msg']}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _element(els: list[str], i: int) -> str:
    return els[i] if i < len(els) else ""


def _optional(value: str) -> str | None:
    return value if value else None



def _date(text: str) -> dt.date | None:
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


class _Hooks:
    """What the core asks of pydantic: the models it does not build itself, and the header."""

    def __init__(self, lenient: bool) -> None:
        self.lenient = lenient
        self.context = LENIENT_CONTEXT if lenient else None

    def validate(self, kind: int, values: dict, position: int, what: str) -> tuple[Any, bool] | _NotRead:
        return self._validate(_VALIDATED[kind], values, position, what)

    def _validate(self, cls: type, values: dict, position: int, what: str) -> tuple[Any, bool] | _NotRead:
        """(model, clean): clean when it passes strict validation; or why it cannot be read."""
        try:
            return cls.model_validate(values), True
        except ValidationError as exc:
            strict_error = exc
        try:
            model = cls.model_validate(values, context=LENIENT_CONTEXT)
        except ValidationError as exc:
            return _NotRead(f"{what}: {_explain(exc)}", position, rule="loop-value")
        if not self.lenient:
            return _NotRead(f"{what}: {_explain(strict_error)}{_LENIENT_HINT}", position, rule="loop-value")
        return model, False

    def rendering(self, nm1_text: str, prv_text: str | None, ref_text: str | None, sep: str, position: int,
                  what: str) -> tuple[Any, tuple[str, ...]]:
        """A 2310B or 2420A from its NM1, PRV*PE and REF texts: ((model, clean) or _NotRead, deviations)."""
        nm1 = nm1_text.split(sep)
        values = {
            "entity_type": _element(nm1, 2), "name": _element(nm1, 3),
            "first_name": _optional(_element(nm1, 4)), "npi": _optional(_element(nm1, 9)),
            "taxonomy": _element(prv_text.split(sep), 3) or None if prv_text else None,
        }
        if ref_text is not None:
            ref = ref_text.split(sep)
            values["secondary_id_qualifier"], values["secondary_id"] = ref[1], _element(ref, 2)
        if _element(nm1, 8) not in ("", "XX"):
            built: Any = _NotRead(f"{what}: NM108 must be XX (NPI) when an identifier is sent", position, "NM1", 8)
        else:
            built = self._validate(RenderingProvider, values, position, what)
        if built.__class__ is _NotRead and self.lenient:
            stripped = self._rendering_without_bad_ids(values, _element(nm1, 8))
            if stripped is not None:
                return stripped
        return built, ()

    @staticmethod
    def _rendering_without_bad_ids(values: dict, nm108: str) -> tuple[Any, tuple[str, ...]] | None:
        """Lenient: a 2310B/2420A whose NPI (NM108/NM109) or taxonomy (PRV03) has not the shape
        of one, read without it, as ((model or None, False), deviations). None when its ids are
        not what is wrong."""
        values = dict(values)
        found = []
        if values["npi"] is not None and (nm108 != "XX" or not _NPI_SHAPE(values["npi"])):
            values["npi"] = None
            found.append("rendering-provider-npi")
        if values["taxonomy"] is not None and not _TAXONOMY_SHAPE(values["taxonomy"]):
            values["taxonomy"] = None
            found.append("rendering-provider-taxonomy")
        if not found:
            return None
        if values["npi"] is None and values.get("secondary_id") is None:  # no id left: nobody to name
            model = None
            found.append("rendering-provider-not-kept")
        else:
            try:
                model = RenderingProvider.model_validate(values, context=LENIENT_CONTEXT)
            except ValidationError:
                return None  # something else is wrong too: the claim is not read, as without the ids
        return (model, False), tuple(found)

    def claim(self, data: dict, position: int) -> Claim | _NotRead:
        """A claim the core could not build unchecked: pydantic decides, and says what is wrong."""
        try:
            return Claim.model_validate(data, context=self.context)
        except ValidationError as exc:
            hint = ""
            if not self.lenient:
                try:
                    Claim.model_validate(data, context=LENIENT_CONTEXT)
                    hint = _LENIENT_HINT
                except ValidationError:
                    pass
            return _NotRead(_explain(exc) + hint, position, "CLM")

    @staticmethod
    def claim_not_read(not_read: _NotRead, ordinal: int, position: int) -> ClaimNotRead:
        return ClaimNotRead(not_read.message, claim_ordinal=ordinal, claim_position=position, **not_read.where)

    @staticmethod
    def header(isa: list[str] | None, gs: list[str] | None, st: list[str] | None, bht: list[str],
               submitter_nm1: list[str] | None, submitter_per: list[str] | None, receiver_nm1: list[str] | None,
               st_position: int, pos: int) -> tuple[InterchangeHeader, list[X12Error]]:
        """The InterchangeHeader of a set from its envelope, BHT and 1000A/1000B, and what is wrong with them."""
        errors: list[X12Error] = []
        isa, gs, st = isa or [], gs or [], st or []
        created = _element(bht, 4)
        created_date = _date(created) if _D8(created) else None
        if created and created_date is None:
            errors.append(X12ValueError("BHT04 is not a date (CCYYMMDD)", rule="header", segment="BHT", element=4,
                                        position=st_position + 1))
        submitter = receiver = None
        if submitter_nm1 is not None:
            values: dict[str, Any] = {"name": _element(submitter_nm1, 3), "id": _element(submitter_nm1, 9)}
            per = submitter_per or []
            if per:
                values["contact_name"] = _optional(_element(per, 2))
            for i in (3, 5, 7):
                kind, number = _element(per, i), _element(per, i + 1)
                if kind == "TE" and "phone" not in values:
                    values["phone"] = number
                elif kind == "EM" and "email" not in values:
                    values["email"] = number
            try:
                submitter = Submitter.model_validate(values)
            except ValidationError as exc:
                errors.append(X12ValueError(f"1000A submitter not read: {_explain(exc)}", rule="header",
                                            segment="NM1", position=pos))
        else:
            errors.append(X12ValueError("1000A submitter (NM1*41) missing", rule="header", segment="NM1",
                                        position=pos))
        if receiver_nm1 is not None:
            try:
                receiver = Receiver.model_validate({"name": _element(receiver_nm1, 3),
                                                    "id": _element(receiver_nm1, 9)})
            except ValidationError as exc:
                errors.append(X12ValueError(f"1000B receiver not read: {_explain(exc)}", rule="header",
                                            segment="NM1", position=pos))
        else:
            errors.append(X12ValueError("1000B receiver (NM1*40) missing", rule="header", segment="NM1",
                                        position=pos))
        header = InterchangeHeader(
            sender_qualifier=_element(isa, 5), sender_id=_element(isa, 6).strip(),
            receiver_qualifier=_element(isa, 7), receiver_id=_element(isa, 8).strip(),
            interchange_control_number=_element(isa, 13), usage=_element(isa, 15),
            application_sender=_element(gs, 2), application_receiver=_element(gs, 3),
            group_control_number=_element(gs, 6), version=_element(gs, 8),
            transaction_control_number=_element(st, 2), purpose=_element(bht, 2), reference_id=_element(bht, 3),
            created_date=created_date, created_time=_element(bht, 5), transaction_type=_element(bht, 6),
            submitter=submitter, receiver=receiver,
        )
        return header, errors


class Reader837P:
    """Incremental 837P reader. See the module docstring for modes and the error contract."""

    def __init__(self, *, lenient: bool = False) -> None:
        self.lenient = lenient
        self.errors: list[X12Error] = []
        self._claims_before_error: list[int] = []
        self.header: InterchangeHeader | None = None
        self.claims_read = 0
        self.claims_not_read = 0
        hooks = _Hooks(lenient)
        self._core = _core.Claims837PReader(
            _SPECS, (_NotRead, hooks.validate, hooks.rendering, hooks.claim, hooks.header, hooks.claim_not_read),
            lenient=lenient)
        self._out: list[Claim] = []
        self._out_headers: list[tuple[int, InterchangeHeader | None]] = []  # (index in _out, header from there)
        self._pairing: list[tuple[int, InterchangeHeader | None]] = []
        self._last_header: InterchangeHeader | None = None
        self._closed = False

    @property
    def transactions(self) -> int:
        """Transaction sets read to their SE."""
        return self._core.transactions

    # ---------------------------------------------------------------------------------- API

    def feed(self, chunk: bytes) -> list[Claim]:
        """The claims completed by ``chunk``."""
        if self._closed:
            self._core.check()
            raise X12SyntaxError("data fed after close()", rule="stream-closed")
        try:
            self._core.feed(chunk)
        finally:
            self._absorb()
        return self._take_claims()

    def feed_with_headers(self, chunk: bytes) -> list[tuple[InterchangeHeader, Claim]]:
        """Like :meth:`feed`, each claim with the header of its transaction set."""
        header = self._last_header  # of the last claim returned: a change is recorded where it happens
        return self._pair(self.feed(chunk), header)

    def close(self) -> list[Claim]:
        """Check that the stream ended at the end of an interchange. Returns [] (every
        complete claim has been returned by ``feed``) or raises."""
        if self._closed:
            self._core.check()
            return []
        self._closed = True
        try:
            self._core.close()
        except X12Error:
            self._absorb()
            raise
        self._absorb()
        return self._take_claims()

    def close_with_headers(self) -> list[tuple[InterchangeHeader, Claim]]:
        header = self._last_header
        return self._pair(self.close(), header)

    def _absorb(self) -> None:
        """The core's events, in stream order: claims, errors and header changes."""
        out = self._out
        for event in self._core.take():
            if event.__class__ is Claim:
                self.claims_read += 1
                if self.header is not self._last_header:
                    self._out_headers.append((len(out), self.header))
                    self._last_header = self.header
                out.append(event)
            elif event is None or event.__class__ is InterchangeHeader:
                self.header = event
            else:
                if event.__class__ is ClaimNotRead:
                    self.claims_not_read += 1
                self._error(event)

    def _take_claims(self) -> list[Claim]:
        out, self._out = self._out, []
        self._pairing, self._out_headers = self._out_headers, []
        return out

    def _pair(self, claims: list[Claim], header: InterchangeHeader | None) -> list[tuple[InterchangeHeader, Claim]]:
        """Each claim with its header: ``header`` (that of the last claim returned before) until
        the first change point recorded while reading."""
        changes = dict(self._pairing)
        pairs = []
        for k, claim in enumerate(claims):
            header = changes.get(k, header)
            pairs.append((header, claim))
        return pairs

    def take_errors(self) -> list[X12Error]:
        """The errors collected so far, removed from ``errors`` (keeps memory flat on long streams)."""
        return [error for _, error in self._take_errors_in_order()]

    def _error(self, error: X12Error) -> None:
        self.errors.append(error)
        self._claims_before_error.append(self.claims_read)

    def _take_errors_in_order(self) -> list[tuple[int, X12Error]]:
        """(claims returned before it, error) pairs, removed from ``errors``."""
        marks = self._claims_before_error
        if len(marks) != len(self.errors):  # ``errors`` was changed by hand: order unknown
            marks = [self.claims_read] * len(self.errors)
        out = list(zip(marks, self.errors))
        self.errors, self._claims_before_error = [], []
        return out

def read_837p(chunks: Iterable[bytes], *, lenient: bool = False,
              on_error: Callable[[X12Error], None] | None = None) -> Iterator[Claim]:
    """The claims of a stream of byte chunks, in order. Each error collected in
    ``Reader837P.errors`` goes to ``on_error`` where it happened in the stream; without
    ``on_error`` the first one is raised, right after the claims before it. A stream that
    cannot be read further raises (see ``Reader837P``)."""
    reader = Reader837P(lenient=lenient)

    def report(error: X12Error) -> None:
        if on_error is None:
            raise error
        on_error(error)

    for chunk in itertools.chain(chunks, [None]):
        try:
            claims = reader.feed(chunk) if chunk is not None else reader.close()
        except X12Error:
            for _, error in reader._take_errors_in_order():  # found before the fatal one
                report(error)
            raise
        start = reader.claims_read - len(claims)  # claims returned before this batch
        k = 0
        for claims_before, error in reader._take_errors_in_order():
            while start + k < claims_before and k < len(claims):
                yield claims[k]
                k += 1
            report(error)
        yield from claims[k:]


def read_837p_file(path: str | PathLike[str], *, lenient: bool = False,
                   on_error: Callable[[X12Error], None] | None = None) -> Iterator[Claim]:
    """The claims of an 837P file, read in 64 KiB chunks (see :func:`read_837p`)."""
    with open(path, "rb") as f:
        yield from read_837p(iter(lambda: f.read(CHUNK_SIZE), b""), lenient=lenient, on_error=on_error)
