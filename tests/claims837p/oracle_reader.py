"""The former pure-Python 837P reader, kept only as the differential tests' oracle of
``sdohedi.claims837p.reader`` (which the core reads, rust/src/python/claims837p.rs): the same
claims, headers and errors (tests/claims837p/test_reader_differential.py and
test_reader_member_loops.py). Its docstring follows as it was.

Streaming, sans-I/O 005010X222A1 reader: the mirror image of :func:`write_837p`.

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

**Speed** (benchmarks/bench_decode_837p.py). Segments are cut a chunk at a time with
``str.split``; the segments of a service line (LX, SV1, DTP, REF*6R), HI, CLM and the
2310B/2420A are dispatched on their first characters and looked up whole, so they are split
into elements only the first time a text is seen (bounded caches; of a CLM only CLM01 is new
in every claim, CLM02-09 are looked up). The usual subscriber block after an HL*22 (SBR,
NM1*IL, N3, N4, DMG, NM1*PR, REF) and patient block after an HL*23 (PAT, NM1*QC, N3, N4, DMG)
are each matched whole by one regular expression whose groups take only values the fast path
accepts, and the Subscriber or Patient is built at once; any other block is read segment by
segment (tests/claims837p/test_reader_fast_blocks.py holds the two equal). Each line becomes
its ``ServiceLine``'s field dict as it is read (a copy of its SV1's template). Claims, lines,
subscribers, patients and addresses whose every value passes this module's own checks (each
narrower than the model's rule: see the Text checks, tested against ``Text`` itself; CLM01 and
the REF*6R of a claim are checked in one regex call) are built without validation by the core's
model builder, as ``model_construct`` would build them (see :mod:`sdohedi.models.build`);
anything else goes through full pydantic validation, which
then decides and says what is wrong. Billing providers, payers and rendering providers are
validated once per distinct value. The round-trip properties in
tests/claims837p/test_reader_properties.py re-validate every claim the reader returns. The
models the builder makes are left out of the cyclic collector's walks (they hold no cycles),
so the collector is not paused here.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from os import PathLike
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from sdohedi.models.claim import (
    FREQUENCIES, MAX_CLAIM_ID, MAX_DIAGNOSES, MAX_LINE_CONTROL_NUMBER, MAX_LINES_PER_CLAIM, Address,
    BillingProvider, Claim, Patient, Payer, Receiver, RenderingProvider, ServiceLine, Submitter, Subscriber,
)
from sdohedi.models.build import model_makers
from sdohedi.models.fields import ICD9_PATTERN, ICD10_PATTERN, LENIENT_CONTEXT, X12_TEXT_PATTERN
from sdohedi.x12 import READ_SIZE, Delimiters, Tokenizer, X12EnvelopeError, X12Error, X12SyntaxError, X12ValueError
from sdohedi.claims837p.writer import VERSION

CHUNK_SIZE = READ_SIZE  # 64 KiB, see sdohedi.x12.tokenizer
# Distinct SV1/DTP/HI texts, amounts and dates kept, each cache cleared when full: a few MB at
# most (an SV1 entry, with its template dict, is about 1 KB), so memory stays flat.
_CACHE_LIMIT = 4096

# Where in the transaction set we are: decides what an NM1, N3, REF, PRV, DTP... belongs to.
(OUTSIDE, HEADER, BILLING, PAY_TO, SUBSCRIBER, PAYER, PATIENT, CLAIM, RENDERING, CLAIM_OTHER, COB, LINE,
 LINE_RENDERING, LINE_OTHER, UNUSABLE_HL, CLAIM_LOCATION, LINE_LOCATION) = range(17)
_CLAIM_STATES = frozenset({CLAIM, RENDERING, CLAIM_OTHER, COB, LINE, LINE_RENDERING, LINE_OTHER, CLAIM_LOCATION,
                           LINE_LOCATION})
# Ambulance pick-up (NM1*PW) and drop-off (NM1*45) locations: 2310E/2310F, 2420G/2420H on a line.
_LOCATION_FIELDS = {"PW": "pickup", "45": "dropoff"}
_LOCATION_LOOPS = {("PW", False): "2310E", ("45", False): "2310F", ("PW", True): "2420G", ("45", True): "2420H"}
_SECONDARY_ID_QUALIFIERS = frozenset({"0B", "1G", "G2", "LU"})


def _fullmatch(pattern: str) -> Callable[[str], Any]:
    """``re.fullmatch`` of a model's ``^...$`` pattern (Python's ``$`` would also take a final newline)."""
    return re.compile(pattern.removeprefix("^").removesuffix("$")).fullmatch


# Shapes the fast path accepts without asking pydantic: each is narrower than (or equal to)
# what the models accept, so a value that passes is one the models would take unchanged.
# Text(n) accepts, unchanged, exactly the strings of 1..n characters of X12_TEXT_PATTERN's class
# that do not begin or end with a blank (pydantic strips blanks first): one regex per length.
_TEXT_CLASS = "".join(re.escape(c) for c in map(chr, range(128)) if re.fullmatch(X12_TEXT_PATTERN, c))


def _text_pattern(max_length: int, min_length: int = 1) -> str:
    # No blank first or last, said by lookarounds: a greedy run of the class then never has
    # to give a character back to find a last non-blank one (about 20% faster). The run is
    # possessive (``{m,n}+``): every pattern here follows it with a delimiter or the end,
    # which the class cannot hold, so giving characters back could never find a match, and
    # sre need not keep the state to try.
    return f"(?! )[{_TEXT_CLASS}]{{{min_length},{max_length}}}+(?<! )"


def _text_check(max_length: int, min_length: int = 1) -> Callable[[str], Any]:
    return re.compile(_text_pattern(max_length, min_length)).fullmatch


_CLAIM_ID_OK = _text_check(MAX_CLAIM_ID)
_LINE_CONTROL_NUMBER_OK = _text_check(MAX_LINE_CONTROL_NUMBER)
# CLM01 and every REF*6R of the claim joined by line breaks (which Text refuses), checked in one
# call: a regex call costs far more than its matching, and a claim has one text per line.
_CLAIM_TEXTS_OK = re.compile(
    f"{_text_pattern(MAX_CLAIM_ID)}(?:\n{_text_pattern(MAX_LINE_CONTROL_NUMBER)})*+").fullmatch
_TEXT_50_OK = _text_check(50)
# Other releases of the 837P guide that a lenient read takes as 005010X222A1 (same loops and
# segments; the errata changed situational rules), named in each claim's deviations.
OTHER_VERSIONS = ("005010X222", "005010X222A2")
# The shapes a rendering provider's ids must have for the models even in a lenient read (an
# NM109 NPI of 10 digits, a PRV03 of 10 letters or digits): a lenient read leaves out one that
# has not, and names it in the claim's deviations.
_NPI_SHAPE = re.compile(r"[0-9]{10}").fullmatch
_TAXONOMY_SHAPE = re.compile(r"[0-9A-Z]{10}").fullmatch
_NAME_OK = _text_check(60)  # NM103
_FIRST_NAME_OK = _text_check(35)  # NM104
_MEMBER_ID_OK = _text_check(80, 2)
_STREET_OK = _text_check(55)  # N301, N302
_CITY_OK = _text_check(30, 2)  # N401
_STATE = re.compile(r"[A-Z]{2}").fullmatch
_ZIP = re.compile(r"[0-9]{5}(?:[0-9]{4})?").fullmatch
_RESPONSIBILITY = frozenset("ABCDEFGHPSTU")  # SBR01
_RELATIONSHIPS = frozenset({"01", "19", "20", "21", "39", "40", "53", "G8"})  # PAT01
_SEXES = frozenset("MFU")
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)").fullmatch  # X12 'R': no exponent, no '+'
_PLAIN_MONEY = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,2})?").fullmatch  # Money: >= 0, 18 digits, 2 places
_PLAIN_QUANTITY = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,3})?").fullmatch  # Quantity: 15 digits, 3 places
_PROCEDURE = re.compile(r"[A-Z0-9]{5}").fullmatch
_MODIFIER = re.compile(r"[A-Z0-9]{2}").fullmatch
_PLACE = re.compile(r"[0-9]{2}").fullmatch
_D8 = re.compile(r"[0-9]{8}").fullmatch
_DASHED_EIN = re.compile(r"[0-9]{2}-[0-9]{7}").fullmatch
_DASHED_SSN = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}").fullmatch
_DX = {"ABK": ("ABF", _fullmatch(ICD10_PATTERN)), "BK": ("BF", _fullmatch(ICD9_PATTERN))}
_POINTERS = {str(i): i for i in range(1, MAX_DIAGNOSES + 1)}
_ZERO = Decimal(0)
_PADDING = [""] * 10  # a short segment's missing elements, so that els[i] < 10 needs no length check
_LENIENT_HINT = " (a lenient read accepts this: Reader837P(lenient=True), sdohedi decode --lenient)"
_IGNORED = "ignored"  # a cached parse of a segment the reader does not keep (compared by identity)
_PLACES = frozenset(f"{n:02d}" for n in range(100))  # what PlaceOfService (two digits) takes
_INDICATORS = frozenset((a, b, c, d) for a in "NY" for b in "ABC" for c in "NWY" for d in "IY")  # CLM06-09

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


class _Problem(tuple):
    """A cached parse that is a problem: (message, element, component). Not a plain tuple, so
    the loop tells it from a good parse by its class alone."""


_make_address, _make_subscriber, _make_patient, _make_line, _make_claim = model_makers(
    [Address, Subscriber, Patient, ServiceLine, Claim])


# The three party models the fast paths build (the loop's _fast_member and the whole-block
# readers), each from checked values and in field order, whatever order the segments came in.
def _address_model(line1: str, line2: str | None, city: str, state: str, zip_code: str) -> Address:
    return _make_address({"line1": line1, "line2": line2, "city": city, "state": state, "zip": zip_code})


def _subscriber_model(last: str, first: str | None, birth: dt.date | None, sex: str | None, address: Address | None,
                      member_id: str, responsibility: str) -> Subscriber:
    return _make_subscriber({"last_name": last, "first_name": first, "birth_date": birth, "sex": sex,
                             "address": address, "member_id": member_id, "payer_responsibility": responsibility})


def _patient_model(last: str, first: str | None, birth: dt.date, sex: str, address: Address,
                   relationship: str) -> Patient:
    return _make_patient({"last_name": last, "first_name": first, "birth_date": birth, "sex": sex,
                          "address": address, "relationship": relationship})


class _LineFields:
    """Only its instances' __dict__ is used: a dict whose keys table is shared by every such
    dict (a split table), so copying one copies its values alone, and it is smaller to make
    and to free. Same dict in every other respect."""


class _ClaimFields:
    """As _LineFields, for a Claim."""


def _line_fields(procedure: str, modifiers: tuple, charge: Decimal, basis: str, units: Decimal, pointers: tuple,
                 place: str | None) -> dict:
    """A ServiceLine's field dict, in field order, with no date, control number or rendering provider yet."""
    fields = _LineFields()
    fields.procedure_code = procedure
    fields.modifiers = modifiers
    fields.charge = charge
    fields.unit_basis = basis
    fields.units = units
    fields.service_date = None
    fields.service_date_end = None
    fields.diagnosis_pointers = pointers
    fields.line_control_number = None
    fields.place_of_service = place
    fields.rendering_provider = None
    fields.pickup = None
    fields.dropoff = None
    return fields.__dict__


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


def _member_block_patterns(d: Delimiters) -> tuple[Callable[[str], re.Match | None], ...] | None:
    """The matches of Reader837P._read_member_block (subscriber, patient), or None when a
    delimiter is a character Text may hold (a value's pattern could then run across it)."""
    if re.fullmatch(f"[{_TEXT_CLASS}]", d.element) or re.fullmatch(f"[{_TEXT_CLASS}]", d.segment):
        return None
    # Every repeat and optional part is possessive (*+, ?+): what follows each is a
    # delimiter it cannot hold, or a segment id it cannot end with, so backtracking into it
    # could never find another match; without it sre keeps the state to try (a third slower).
    e, t = re.escape(d.element), re.escape(d.segment)
    v = f"[^{e}{t}]*+"  # an element the fast path takes as it is
    skip = f"{e}{v}"  # an element the reader does not keep
    more = f"(?:{e}[^{t}]*+)?+"  # and any after the last kept one
    street = _text_pattern(55)
    name = f"({_text_pattern(60)}){e}((?:{_text_pattern(35)})?+)"  # NM103, NM104
    address = (f"{t}N3{e}({street})(?:{e}({street}))?+{t}N4{e}({_text_pattern(30, 2)}){e}([A-Z]{{2}}){e}"
               f"([0-9]{{5}}(?:[0-9]{{4}})?+)")
    demographics = f"{t}DMG{e}D8{e}([0-9]{{8}}){e}([MFU])"
    subscriber = re.compile(
        f"SBR{e}([{''.join(sorted(_RESPONSIBILITY))}]){skip * 7}{e}({v}){more}"
        f"{t}NM1{e}IL{e}1{e}{name}{skip * 3}{e}MI{e}({_text_pattern(80, 2)}){more}"
        f"(?:{address})?+(?:{demographics})?+"
        f"{t}NM1{e}PR{skip}{e}({v}){skip * 4}{e}({v}){e}({v}){more}"
        f"(?:{t}REF{e}(G2|LU){e}({v}){more})?+"
        f"(?![^{t}])")
    patient = re.compile(
        f"PAT{e}({'|'.join(sorted(_RELATIONSHIPS))}){more}"
        f"{t}NM1{e}QC{skip}{e}{name}{more}"
        f"{address}{demographics}"
        f"(?![^{t}])")
    return subscriber.match, patient.match


def _tax_id(value: str) -> str:
    """An EIN or SSN printed with dashes is the same nine digits."""
    if _DASHED_EIN(value) or _DASHED_SSN(value):
        return value.replace("-", "")
    return value


class _Billing:
    """2000A/2010AA as read; the models are built when a claim needs them."""

    __slots__ = ("hl_id", "position", "values", "problem", "built")

    def __init__(self, hl_id: str, position: int) -> None:
        self.hl_id = hl_id
        self.position = position
        self.values: dict[str, Any] = {}
        self.problem: _NotRead | None = None
        self.built: dict[tuple, Any] = {}  # 2010BB secondary id -> (BillingProvider, clean) or _NotRead


class _Member:
    """2000B/2010BA/2010BB (subscriber and payer) or 2000C/2010CA (patient) as read."""

    __slots__ = ("hl_id", "position", "values", "payer", "secondary_id", "problem", "built", "billing", "parties")

    def __init__(self, hl_id: str, position: int, billing: _Billing | None) -> None:
        self.hl_id = hl_id
        self.position = position
        self.billing = billing
        self.values: dict[str, Any] = {}
        self.payer: dict[str, Any] = {}
        self.secondary_id: tuple[str, str] | None = None  # 2010BB REF*G2/LU: the billing provider's
        self.problem: _NotRead | None = None
        self.built: Any = None  # (model, clean) or _NotRead
        self.parties: Any = None  # what the claims under this HL share, once built (or why not)


class _Claim:
    """2300 and its 2400 lines as read. Each line already is the field dict of its
    ``ServiceLine`` (a copy of its SV1's template), so no value is converted twice. What most
    claims never set stays a class attribute (no slots: a new claim sets 9 attributes, not 21)."""

    hi: tuple | None = None  # (qualifier, codes, clean) of the diagnosis HI
    prior_authorization: str | None = None
    payer_claim_number: str | None = None
    rendering: list | None = None  # [NM1 text, PRV*PE text, REF text, element separator]
    line_renderings: dict[int, list] | None = None  # line index -> its 2420A, as ``rendering``
    # (line index or None for 2310E/F, NM101) -> [position, N3 elements, N4 elements]
    locations: dict[tuple, list] | None = None
    location: list | None = None  # the one whose N3/N4 come next
    awaiting_sv1 = False  # an LX whose SV1 has not come yet
    dated = 0  # lines that have their DTP*472
    total = 0  # sum of SV102 in cents (used only when every SV102 is a plain amount)
    top_pointer = 0  # highest SV107 pointer
    clean = True  # every value so far has a shape the fast path takes
    problem: _NotRead | None = None
    deviations: tuple[str, ...] = ()  # of a lenient read, that the models do not see (a guide, ids left out)

    def __init__(self, ordinal: int, position: int, claim_id: str, tail: tuple, subscriber: _Member | None,
                 patient: _Member | None) -> None:
        self.ordinal = ordinal
        self.position = position
        self.claim_id = claim_id  # CLM01
        self.texts = [claim_id]  # and each line's REF*6R value, as read: checked together in _build
        self.tail = tail  # CLM02-09 as Reader837P._cache_clm_tail reads them
        self.lines: list[dict] = []
        self.line_positions: list[int] = []  # of the LX segments
        self.subscriber = subscriber
        self.patient = patient


class Reader837P:
    """Incremental 837P reader. See the module docstring for modes and the error contract."""

    def __init__(self, *, lenient: bool = False) -> None:
        self.lenient = lenient
        self._context = LENIENT_CONTEXT if lenient else None
        self.errors: list[X12Error] = []
        self._claims_before_error: list[int] = []
        self.header: InterchangeHeader | None = None
        self.claims_read = 0
        self.claims_not_read = 0
        self.transactions = 0
        self._segments = Tokenizer(strict=False, join_lines=True)  # ids are checked here
        self._out: list[Claim] = []
        self._out_headers: list[tuple[int, InterchangeHeader | None]] = []  # (index in _out, header from there)
        self._pairing: list[tuple[int, InterchangeHeader | None]] = []
        self._last_header: InterchangeHeader | None = None
        self._failed: X12Error | None = None
        self._closed = False
        self._position = 0
        self._state = OUTSIDE
        # envelopes
        self._isa: list[str] | None = None
        self._gs: list[str] | None = None
        self._st: list[str] | None = None
        self._st_position = 0
        self._groups = 0
        self._sets = 0
        self._bht: list[str] = []
        self._submitter: list[str] | None = None
        self._submitter_per: list[str] | None = None
        self._receiver: list[str] | None = None
        # loops
        self._billing: _Billing | None = None
        self._subscriber: _Member | None = None
        self._patient: _Member | None = None
        self._claim: _Claim | None = None
        self._line: dict | None = None
        self._unusable_hl: _NotRead | None = None
        self._claim_ordinal = 0
        self._newline_delimiter = False  # a delimiter of an interchange read is LF: values may hold it
        # caches of parsed texts and built parties
        self._sv1: dict[str, Any] = {}
        self._dtp: dict[str, Any] = {}
        self._hi: dict[str, Any] = {}
        self._clm_tails: dict[str, tuple] = {}
        self._dates: dict[str, dt.date | None] = {}
        self._payers: dict[tuple, Any] = {}
        self._renderers: dict[tuple, Any] = {}
        self._renderer_deviations: dict[tuple, tuple[str, ...]] = {}  # a renderer read with ids left out
        self._guide_deviation: tuple[str, ...] = ()  # of the transaction set being read: another guide release
        self._location_addresses: dict[tuple, tuple] = {}  # N3/N4 values of a 2310E/F or 2420G/H -> (Address, clean)
        self._member_patterns: dict[tuple[str, str], Any] = {}  # (element, terminator) -> matches

    # ---------------------------------------------------------------------------------- API

    def feed(self, chunk: bytes) -> list[Claim]:
        """The claims completed by ``chunk``."""
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise X12SyntaxError("data fed after close()", rule="stream-closed")
        # The tokenizer decodes latin-1 (every byte one character, nothing lost); the models
        # refuse what is not printable ASCII.
        self._run(self._segments.feed_batches, chunk)
        return self._take_claims()

    def feed_with_headers(self, chunk: bytes) -> list[tuple[InterchangeHeader, Claim]]:
        """Like :meth:`feed`, each claim with the header of its transaction set."""
        header = self._last_header  # of the last claim returned: a change is recorded where it happens
        return self._pair(self.feed(chunk), header)

    def close(self) -> list[Claim]:
        """Check that the stream ended at the end of an interchange. Returns [] (every
        complete claim has been returned by ``feed``) or raises."""
        if self._failed is not None:
            raise self._failed
        if self._closed:
            return []
        self._closed = True
        self._run(self._segments.close_batches)
        if self._failed is None:
            self._run(self._segments.check)  # an error found after the last complete segments
        if self._failed is None and self._isa is not None:
            self._failed = X12EnvelopeError("stream ends inside an interchange (no IEA)", rule="truncated",
                                            segment="IEA", position=self._position + 1)
        out = self._take_claims()
        if self._failed is not None and not out:
            raise self._failed
        return out

    def close_with_headers(self) -> list[tuple[InterchangeHeader, Claim]]:
        header = self._last_header
        return self._pair(self.close(), header)

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

    # ------------------------------------------------------------------------------ driving

    def _run(self, split, *chunk: bytes) -> None:
        try:
            for _, delimiters, pieces in split(*chunk) or ():  # check() returns None
                self._read(delimiters, pieces)
        except X12Error as exc:
            self._failed = exc
            if not self._out:
                raise

    def _fatal_envelope(self, message: str, segment: str, position: int, element: int | None = None,
                        rule: str = "envelope-nesting") -> X12EnvelopeError:
        return X12EnvelopeError(message, rule=rule, segment=segment, position=position, element=element)

    # --------------------------------------------------------------------------- the loop

    def _read(self, d: Delimiters, pieces: list[str]) -> None:
        if "\n" in d.all:  # else the tokenizer removed every line break (kept once seen: a claim cut
            self._newline_delimiter = True  # short may end in the next interchange)
        sep = d.element
        comp = d.component
        pos = self._position
        state = self._state
        claim = self._claim
        line = self._line  # the field dict of the line being read, once its SV1 is in
        sv1_cache = self._sv1
        dtp_cache = self._dtp
        hi_cache = self._hi
        clm_cache = self._clm_tails
        lx, hi = "LX" + sep, "HI" + sep
        # 7-character prefixes, compared with s[:7] (cheaper than str.startswith in CPython 3.11)
        ref_6r, nm1_82, prv_pe = f"REF{sep}6R{sep}", f"NM1{sep}82{sep}", f"PRV{sep}PE{sep}"
        nm1_locations = {f"NM1{sep}{qualifier}{sep}" for qualifier in _LOCATION_FIELDS}
        secondary_refs = {f"REF{sep}{qualifier}{sep}" for qualifier in _SECONDARY_ID_QUALIFIERS}
        first = pos + 1  # position of pieces[0]
        segments = enumerate(pieces, first)
        try:
            for pos, s in segments:
                head = s[:3]
                # The four segments of a service line come first, dispatched on their first
                # characters: SV1 and DTP texts repeat and are looked up whole, LX needs no
                # element, so none of them is split unless it is new.
                if head == "DTP":
                    if state == LINE and line is not None:
                        dates = dtp_cache.get(s)
                        if dates is None:
                            dates = self._cache_dtp(s, sep)
                        if dates.__class__ is not tuple:  # a message, or _IGNORED
                            if dates is not _IGNORED:
                                self._claim_problem(claim, dates, pos, "DTP", 3)
                        elif line["service_date"] is not None:
                            self._claim_problem(claim, "a second DTP*472 in the line", pos, "DTP")
                        else:
                            line["service_date"], line["service_date_end"], ok = dates
                            claim.dated += 1
                            if not ok:
                                claim.clean = False
                    continue
                if head == "SV1":
                    if state == LINE and line is None:
                        entry = sv1_cache.get(s)
                        if entry is None:
                            entry = self._cache_sv1(s, sep, comp)
                        if entry.__class__ is tuple:
                            template, cents, top, clean = entry
                            line = template.copy()
                            claim.lines.append(line)
                            claim.awaiting_sv1 = False
                            claim.total += cents
                            if not clean:
                                claim.clean = False
                            if top > claim.top_pointer:
                                claim.top_pointer = top
                        elif entry is not _IGNORED:
                            message, element, component = entry
                            self._claim_problem(claim, message, pos, "SV1", element, component)
                    elif claim is not None and state in _CLAIM_STATES and s.split(sep, 1)[0] == "SV1":
                        self._claim_problem(claim, "SV1 out of place (one per LX)", pos, "SV1")
                    continue
                if head == lx:
                    if claim is not None and state in _CLAIM_STATES:
                        line = None
                        if claim.awaiting_sv1:
                            self._claim_problem(claim, "a service line (LX) without SV1", claim.line_positions[-1],
                                                "LX", rule="segment-missing")
                        if len(claim.line_positions) >= MAX_LINES_PER_CLAIM:
                            self._claim_problem(claim, f"more than {MAX_LINES_PER_CLAIM} service lines", pos, "LX",
                                                rule="line-count")
                            state = LINE_OTHER  # the rest of this line is read past, not kept
                        else:
                            claim.line_positions.append(pos)
                            claim.awaiting_sv1 = True
                            state = LINE
                    else:
                        state = self._orphan(state, "LX (2400) outside a claim", pos, "LX")
                    continue
                # The claim's own repeating segments: a 2310B/2420A (NM1, PRV, REF) is kept as
                # its texts and built once per distinct texts; REF*6R needs only its value.
                if head == "REF":
                    if state == LINE:
                        if s[:7] == ref_6r and line is not None and line["line_control_number"] is None:
                            value = s[7:]
                            if sep in value:
                                value = value.split(sep, 1)[0]
                            line["line_control_number"] = value  # its shape is checked in _build
                            claim.texts.append(value)
                        continue
                    if state == RENDERING or state == LINE_RENDERING:
                        raw = claim.rendering if state == RENDERING else claim.line_renderings[len(claim.lines) - 1]
                        if raw[2] is None and s[:7] in secondary_refs:
                            raw[2] = s
                        continue
                elif head == "NM1":
                    if state in (CLAIM, RENDERING, CLAIM_OTHER, CLAIM_LOCATION):
                        if s[:7] == nm1_82:
                            if claim.rendering is not None:
                                self._claim_problem(claim, "a second rendering provider (2310B)", pos, "NM1")
                            claim.rendering = [s, None, None, sep]
                            state = RENDERING
                        elif s[:7] in nm1_locations:
                            state = self._location(claim, None, s[4:6], pos)
                        else:
                            state = CLAIM_OTHER
                        continue
                    if state in (LINE, LINE_RENDERING, LINE_OTHER, LINE_LOCATION):
                        index = len(claim.lines) - 1
                        if (state == LINE and line is not None and s[:7] == nm1_82
                                and (claim.line_renderings is None or index not in claim.line_renderings)):
                            if claim.line_renderings is None:
                                claim.line_renderings = {}
                            claim.line_renderings[index] = [s, None, None, sep]
                            state = LINE_RENDERING
                        elif line is not None and s[:7] in nm1_locations:
                            state = self._location(claim, index, s[4:6], pos)
                        else:
                            state = LINE_OTHER
                        continue
                    if state == COB:
                        continue
                elif head == "PRV":
                    if state == RENDERING or state == LINE_RENDERING:
                        raw = claim.rendering if state == RENDERING else claim.line_renderings[len(claim.lines) - 1]
                        if raw[1] is None and s[:7] == prv_pe:
                            raw[1] = s
                        continue
                elif head == hi:
                    if state == CLAIM:
                        parsed = hi_cache.get(s)
                        if parsed and parsed[0] in _DX and claim.hi is None:  # () is an HI of another kind
                            claim.hi = parsed
                        else:
                            self._read_hi(claim, s, sep, comp, pos)
                    continue
                elif head == "CLM" and s[3:4] in (sep, ""):
                    # Only CLM01 differs from claim to claim: CLM02-09 (total, place of service,
                    # frequency, indicators) are read once per distinct text.
                    if claim is not None:
                        self._finish(claim)
                    line = None
                    if state == OUTSIDE:
                        raise self._fatal_envelope("CLM outside a transaction set", "CLM", pos)
                    parts = s.split(sep, 2)
                    if len(parts) < 3:
                        parts += ["", ""]
                    tail = clm_cache.get(parts[2])
                    if tail is None:
                        tail = self._cache_clm_tail(parts[2], sep, comp)
                    self._claim_ordinal += 1
                    claim = _Claim(self._claim_ordinal, pos, parts[1], tail, self._subscriber, self._patient)
                    if self._unusable_hl is not None or self._subscriber is None:
                        claim.problem = self._unusable_hl or _NotRead(
                            "CLM before any subscriber HL (22)", pos, "CLM", rule="hl-structure")
                    state = CLAIM
                    continue
                els = s.split(sep)
                if len(els) < 10:
                    els += _PADDING  # what is not sent reads as "", as _element would give
                sid = els[0]
                if sid == "REF":
                    qualifier = els[1]
                    if state == CLAIM:
                        if qualifier == "G1" and claim.prior_authorization is None:
                            claim.prior_authorization = els[2]
                        elif qualifier == "F8" and claim.payer_claim_number is None:
                            claim.payer_claim_number = els[2]
                    elif state == BILLING:
                        if qualifier in ("EI", "SY") and "tax_id" not in self._billing.values:
                            self._billing.values["tax_id"] = _tax_id(els[2])
                            self._billing.values["tax_id_qualifier"] = qualifier
                    elif state == PAYER:
                        if qualifier in ("G2", "LU") and self._subscriber.secondary_id is None:
                            self._subscriber.secondary_id = (els[2], qualifier)
                elif sid == "NM1":
                    state = self._party_name(state, els[1], els, pos)
                elif sid == "HL":
                    if claim is not None:
                        self._finish(claim)
                        claim = line = None
                    state = self._start_hl(state, els, pos)
                    if state == SUBSCRIBER or state == PATIENT:
                        read = self._read_member_block(state, d, pieces, pos - first + 1)
                        if read:  # that many segments after the HL are read: go on after them
                            pos, _ = next(itertools.islice(segments, read - 1, None))
                            if state == SUBSCRIBER:
                                state = PAYER
                elif sid == "PRV":
                    if state == BILLING and els[1] == "BI" and "name" not in self._billing.values:
                        self._billing.values["taxonomy"] = els[3] or None
                elif sid == "SBR":
                    if state in (CLAIM, RENDERING, CLAIM_OTHER, CLAIM_LOCATION, COB):
                        state = COB  # 2320: other subscriber information, not kept
                    elif state == SUBSCRIBER and "payer_responsibility" not in self._subscriber.values:
                        self._subscriber.values["payer_responsibility"] = els[1]
                        self._subscriber.payer["claim_filing_indicator"] = els[9]
                elif sid in ("N3", "N4"):
                    if state in (BILLING, SUBSCRIBER, PATIENT):
                        self._address(state, sid, els)
                    elif state == CLAIM_LOCATION or state == LINE_LOCATION:
                        slot = 1 if sid == "N3" else 2
                        if claim.location[slot] is None:
                            claim.location[slot] = els
                elif sid == "DMG":
                    if state in (SUBSCRIBER, PATIENT):
                        self._demographics(state, els, pos)
                elif sid == "PAT":
                    if state == PATIENT and "relationship" not in self._patient.values:
                        self._patient.values["relationship"] = els[1]
                elif sid == "SE":
                    if claim is not None:
                        self._finish(claim)
                        claim = line = None
                    state = self._end_transaction(state, els, pos)
                elif sid == "ST":
                    state = self._start_transaction(state, els, pos)
                elif sid == "BHT":
                    if state == HEADER:
                        self._bht = els
                elif sid == "PER":
                    if state == HEADER and self._submitter is not None and self._submitter_per is None:
                        self._submitter_per = els
                elif sid == "GS":
                    self._start_group(state, els, pos)
                elif sid == "GE":
                    self._end_group(state, els, pos)
                elif sid == "ISA":
                    self._start_interchange(els, pos)
                elif sid == "IEA":
                    self._end_interchange(els, pos)
                elif state == OUTSIDE and self._isa is None:
                    raise X12EnvelopeError("segment outside an interchange", rule="segment-outside-envelope",
                                           segment=sid[:3] if sid.isalnum() else None, position=pos)
                # any other segment is one the TR3 allows that the models do not keep
        finally:
            self._position = pos
            self._state = state
            self._claim = claim
            self._line = line

    # ------------------------------------------------------------------------- envelopes

    def _start_interchange(self, els: list[str], pos: int) -> None:
        if self._isa is not None:
            raise self._fatal_envelope("ISA before the IEA of the previous interchange", "ISA", pos)
        self._isa = els
        self._groups = 0

    def _end_interchange(self, els: list[str], pos: int) -> None:
        if self._isa is None or self._gs is not None:
            raise self._fatal_envelope("IEA outside an interchange or before GE", "IEA", pos)
        if _element(els, 1) != str(self._groups):
            self._error(X12EnvelopeError("IEA01 does not count the interchange's functional groups",
                                                rule="iea01-count", segment="IEA", element=1, position=pos))
        if _element(els, 2) != _element(self._isa, 13):
            self._error(X12EnvelopeError("IEA02 does not match ISA13", rule="iea02-mismatch",
                                                segment="IEA", element=2, position=pos))
        self._isa = None

    def _start_group(self, state: int, els: list[str], pos: int) -> None:
        if self._isa is None or self._gs is not None or state != OUTSIDE:
            raise self._fatal_envelope("GS outside an interchange, or before the previous GE or SE", "GS", pos)
        if _element(els, 1) != "HC":
            raise self._fatal_envelope("GS01 must be HC: this functional group holds no health care claims", "GS",
                                       pos, 1, rule="group-not-supported")
        version = _element(els, 8)
        if version != VERSION and not (self.lenient and version in OTHER_VERSIONS):
            hint = _LENIENT_HINT if version in OTHER_VERSIONS else ""
            raise self._fatal_envelope(f"GS08 must be {VERSION} (837 professional){hint}", "GS", pos, 8,
                                       rule="group-version-not-supported")
        self._gs = els
        self._sets = 0

    def _end_group(self, state: int, els: list[str], pos: int) -> None:
        if self._gs is None or state != OUTSIDE:
            raise self._fatal_envelope("GE outside a functional group or before SE", "GE", pos)
        if _element(els, 1) != str(self._sets):
            self._error(X12EnvelopeError("GE01 does not count the group's transaction sets",
                                                rule="ge01-count", segment="GE", element=1, position=pos))
        if _element(els, 2) != _element(self._gs, 6):
            self._error(X12EnvelopeError("GE02 does not match GS06", rule="ge02-mismatch",
                                                segment="GE", element=2, position=pos))
        self._gs = None
        self._groups += 1

    def _start_transaction(self, state: int, els: list[str], pos: int) -> int:
        if self._gs is None or state != OUTSIDE:
            raise self._fatal_envelope("ST outside a functional group or before the previous SE", "ST", pos)
        if _element(els, 1) != "837":
            raise self._fatal_envelope("ST01 must be 837", "ST", pos, 1, rule="transaction-not-supported")
        version = _element(els, 3) or _element(self._gs, 8)
        if version != VERSION and not (self.lenient and version in OTHER_VERSIONS):
            hint = _LENIENT_HINT if version in OTHER_VERSIONS else ""
            raise self._fatal_envelope(f"ST03 must be {VERSION} (837 professional){hint}", "ST", pos, 3,
                                       rule="group-version-not-supported")
        self._guide_deviation = () if version == VERSION else (f"guide-{version}",)
        self._st = els
        self._st_position = pos
        self._bht = []
        self._submitter = self._submitter_per = self._receiver = None
        self.header = None
        self._billing = self._subscriber = self._patient = None
        self._unusable_hl = None
        return HEADER

    def _end_transaction(self, state: int, els: list[str], pos: int) -> int:
        if state == OUTSIDE or self._st is None:
            raise self._fatal_envelope("SE without ST", "SE", pos)
        if state == HEADER and self.header is None:
            self._make_header(pos)
        if _element(els, 1) != str(pos - self._st_position + 1):
            self._error(X12EnvelopeError("SE01 does not count the transaction set's segments",
                                                rule="se01-count", segment="SE", element=1, position=pos))
        if _element(els, 2) != _element(self._st, 2):
            self._error(X12EnvelopeError("SE02 does not match ST02", rule="se02-mismatch",
                                                segment="SE", element=2, position=pos))
        self._st = None
        self._sets += 1
        self.transactions += 1
        self._billing = self._subscriber = self._patient = None
        return OUTSIDE

    def _make_header(self, pos: int) -> None:
        isa, gs, st, bht = self._isa or [], self._gs or [], self._st or [], self._bht
        created = bht[4] if len(bht) > 4 else ""
        created_date = self._date(created) if _D8(created) else None
        if created and created_date is None:
            self._error(X12ValueError("BHT04 is not a date (CCYYMMDD)", rule="header", segment="BHT",
                                             element=4, position=self._st_position + 1))
        submitter = receiver = None
        if self._submitter is not None:
            values: dict[str, Any] = {"name": _element(self._submitter, 3), "id": _element(self._submitter, 9)}
            per = self._submitter_per or []
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
                self._error(X12ValueError(f"1000A submitter not read: {_explain(exc)}", rule="header",
                                                 segment="NM1", position=pos))
        else:
            self._error(X12ValueError("1000A submitter (NM1*41) missing", rule="header", segment="NM1",
                                             position=pos))
        if self._receiver is not None:
            try:
                receiver = Receiver.model_validate({"name": _element(self._receiver, 3),
                                                    "id": _element(self._receiver, 9)})
            except ValidationError as exc:
                self._error(X12ValueError(f"1000B receiver not read: {_explain(exc)}", rule="header",
                                                 segment="NM1", position=pos))
        else:
            self._error(X12ValueError("1000B receiver (NM1*40) missing", rule="header", segment="NM1",
                                             position=pos))
        self.header = InterchangeHeader(
            sender_qualifier=_element(isa, 5), sender_id=_element(isa, 6).strip(),
            receiver_qualifier=_element(isa, 7), receiver_id=_element(isa, 8).strip(),
            interchange_control_number=_element(isa, 13), usage=_element(isa, 15),
            application_sender=_element(gs, 2), application_receiver=_element(gs, 3),
            group_control_number=_element(gs, 6), version=_element(gs, 8),
            transaction_control_number=_element(st, 2), purpose=_element(bht, 2), reference_id=_element(bht, 3),
            created_date=created_date, created_time=_element(bht, 5), transaction_type=_element(bht, 6),
            submitter=submitter, receiver=receiver,
        )

    # ------------------------------------------------------------------------- HL loops

    def _start_hl(self, state: int, els: list[str], pos: int) -> int:
        if state == OUTSIDE:
            raise self._fatal_envelope("HL outside a transaction set", "HL", pos)
        if self.header is None:
            self._make_header(pos)
        hl_id, parent, level = els[1], els[2], els[3]
        self._unusable_hl = None
        if level == "20":
            self._billing = _Billing(hl_id, pos)
            if parent:
                self._billing.problem = _NotRead("the billing provider HL (20) has a parent (HL02)", pos, "HL", 2,
                                                 rule="hl-structure")
            self._subscriber = self._patient = None
            return BILLING
        if level == "22":
            billing = self._billing
            self._subscriber = _Member(hl_id, pos, billing)
            self._patient = None
            if billing is None or parent != billing.hl_id:
                self._subscriber.problem = _NotRead(
                    "HL02 of the subscriber HL (22) is not the billing provider HL above it", pos, "HL", 2,
                    rule="hl-structure")
            return SUBSCRIBER
        if level == "23":
            subscriber = self._subscriber
            self._patient = _Member(hl_id, pos, self._billing)
            if subscriber is None or parent != subscriber.hl_id:
                self._patient.problem = _NotRead("HL02 of the patient HL (23) is not the subscriber HL above it",
                                                 pos, "HL", 2, rule="hl-structure")
            return PATIENT
        self._unusable_hl = _NotRead("HL03 must be 20, 22 or 23 in an 837P", pos, "HL", 3, rule="hl-structure")
        return UNUSABLE_HL

    def _read_member_block(self, state: int, d: Delimiters, pieces: list[str], start: int) -> int:
        """Read the usual loop after an HL*22 or HL*23 at once: SBR, 2010BA (NM1*IL, N3/N4,
        DMG) and 2010BB (NM1*PR and its REF*G2/LU); or PAT and 2010CA (NM1*QC, N3/N4, DMG).
        One regular expression over their texts must find each value in the shape the fast
        path takes: the loop, reading them one by one, would fill the same values and then
        build the same Subscriber or Patient. Returns how many segments it read: 0 when the
        loop must read them (anything else, a value of another shape, the block cut short by
        the end of the chunk)."""
        key = (d.element, d.segment)
        patterns = self._member_patterns.get(key)
        if patterns is None:
            patterns = self._member_patterns[key] = _member_block_patterns(d)
        if patterns is None:
            return 0
        if state == PATIENT:
            member, match, most, read = self._patient, patterns[1], 5, self._read_patient_block
        else:
            member, match, most, read = self._subscriber, patterns[0], 7, self._read_subscriber_block
        if member.problem is not None:
            return 0
        m = match(d.segment.join(pieces[start:start + most]))
        return 0 if m is None else read(member, m)

    def _read_patient_block(self, member: _Member, m: re.Match) -> int:
        relationship, last, first, line1, line2, city, state, zip_code, birth_text, sex = m.groups()
        birth = self._date(birth_text)
        if birth is None:
            return 0
        # What the loop's PAT, NM1*QC, N3, N4 and DMG would set, in that order.
        values = member.values
        values["relationship"] = relationship
        values["last_name"] = last
        values["first_name"] = first or None
        values["address"] = {"line1": line1, "line2": line2, "city": city, "state": state, "zip": zip_code}
        values["birth_date"] = birth
        values["sex"] = sex
        member.built = (_patient_model(last, first or None, birth, sex, _address_model(line1, line2, city, state,
                                                                                       zip_code), relationship), True)
        return 5

    def _read_subscriber_block(self, member: _Member, m: re.Match) -> int:
        (responsibility, filing, last, first, member_id, line1, line2, city, state, zip_code, birth_text, sex,
         payer_name, payer_qualifier, payer_id, ref_qualifier, ref_value) = m.groups()
        birth = None
        if birth_text is not None:
            birth = self._date(birth_text)
            if birth is None:
                return 0
        # What the loop's SBR, NM1, N3, N4, DMG, NM1*PR and REF would set, in that order.
        values = member.values
        values["payer_responsibility"] = responsibility
        member.payer["claim_filing_indicator"] = filing
        values["last_name"] = last
        values["first_name"] = first or None
        values["member_id"] = member_id
        address = None
        if line1 is not None:
            values["address"] = {"line1": line1, "line2": line2, "city": city, "state": state, "zip": zip_code}
            address = _address_model(line1, line2, city, state, zip_code)
        if birth_text is not None:
            values["birth_date"] = birth
            values["sex"] = sex
        payer = member.payer
        payer["name"] = payer_name
        payer["payer_id_qualifier"] = payer_qualifier
        payer["payer_id"] = payer_id
        if ref_qualifier is not None:
            member.secondary_id = (ref_value, ref_qualifier)
        member.built = (_subscriber_model(last, first or None, birth, sex, address, member_id, responsibility), True)
        # SBR, NM1*IL and NM1*PR, and N3/N4, DMG and REF when sent
        return 3 + (2 if line1 is not None else 0) + (birth_text is not None) + (ref_qualifier is not None)

    def _party_name(self, state: int, qualifier: str, els: list[str], pos: int) -> int:
        """NM1 outside claims: 1000A/B, 2010AA/AB/AC, 2010BA/BB, 2010CA."""
        if state == HEADER:
            if qualifier == "41" and self._submitter is None:
                self._submitter = els
            elif qualifier == "40" and self._receiver is None:
                self._receiver = els
            return HEADER
        if state in (BILLING, PAY_TO):
            billing = self._billing
            if qualifier == "85" and "name" not in billing.values:
                v = billing.values
                v["entity_type"] = els[2]
                v["name"] = els[3]
                v["first_name"] = _optional(els[4])
                v["npi"] = self._npi(els, pos, billing)
                return BILLING
            return PAY_TO  # 2010AB pay-to address, 2010AC pay-to plan: not kept
        if state in (SUBSCRIBER, PAYER):
            member = self._subscriber
            if qualifier == "IL" and "member_id" not in member.values:
                if els[2] != "1":
                    member.problem = member.problem or _NotRead(
                        "a non-person subscriber (2010BA NM102 = 2) is not read", pos, "NM1", 2, rule="unsupported")
                if els[8] != "MI":
                    member.problem = member.problem or _NotRead("2010BA NM108 must be MI (member id)", pos, "NM1", 8)
                v = member.values
                v["last_name"] = els[3]
                v["first_name"] = _optional(els[4])
                v["member_id"] = els[9]
                return SUBSCRIBER
            if qualifier == "PR" and "payer_id" not in member.payer:
                p = member.payer
                p["name"] = els[3]
                p["payer_id_qualifier"] = els[8]
                p["payer_id"] = els[9]
                return PAYER
            return state
        if state == PATIENT:
            if qualifier == "QC" and "last_name" not in self._patient.values:
                v = self._patient.values
                v["last_name"] = els[3]
                v["first_name"] = _optional(els[4])
            return PATIENT
        return state

    def _npi(self, els: list[str], pos: int, owner: _Billing) -> str | None:
        if not els[8]:
            return None
        if els[8] != "XX":
            owner.problem = owner.problem or _NotRead("NM108 must be XX (NPI) when an identifier is sent", pos,
                                                      "NM1", 8)
        return els[9] or None

    def _location(self, claim: _Claim, index: int | None, qualifier: str, pos: int) -> int:
        """An NM1*PW or NM1*45 (2310E/F, or 2420G/H of line ``index``): its N3/N4 follow."""
        key = (index, qualifier)
        if claim.locations is None:
            claim.locations = {}
        if key in claim.locations:
            self._claim_problem(claim, f"a second {_LOCATION_LOOPS[qualifier, index is not None]} location", pos,
                                "NM1")
        claim.location = claim.locations[key] = [pos, None, None]
        return CLAIM_LOCATION if index is None else LINE_LOCATION

    def _locations(self, rec: _Claim) -> tuple:
        """(claim pick-up, claim drop-off, clean) with each line's own set in its field dict; a
        2420G/H equal to the claim's 2310E/F is read as none (sent only when it differs)."""
        found: dict = {}
        clean = True
        for (index, qualifier), (pos, n3, n4) in rec.locations.items():
            loop = _LOCATION_LOOPS[qualifier, index is not None]
            if n3 is None or n4 is None:
                raise _NotRead(f"{loop} location: {'N3' if n3 is None else 'N4'} is missing", pos, "NM1",
                               rule="segment-missing")
            key = (n3[1], n3[2], n4[1], n4[2], n4[3])  # the segments are padded: see _PADDING
            built = self._location_addresses.get(key)
            if built is None:  # trips repeat: each distinct location is built once (a failure is not kept)
                values = {"line1": n3[1], "line2": _optional(n3[2]), "city": n4[1], "state": n4[2], "zip": n4[3]}
                address = _fast_address(values)
                built = (address, True) if address is not None else self._validate(
                    Address, values, pos, f"{loop} location (N3/N4)")
                if len(self._location_addresses) >= _CACHE_LIMIT:
                    self._location_addresses.clear()
                self._location_addresses[key] = built
            found[index, qualifier] = built[0]
            clean = clean and built[1]
        pickup, dropoff = found.get((None, "PW")), found.get((None, "45"))
        for (index, qualifier), address in found.items():
            claim_level = pickup if qualifier == "PW" else dropoff
            # Address equality is its values' (no private or extra fields): compared directly, not by pydantic's __eq__
            if index is not None and (claim_level is None or address.__dict__ != claim_level.__dict__):
                rec.lines[index][_LOCATION_FIELDS[qualifier]] = address
        return pickup, dropoff, clean

    def _address(self, state: int, sid: str, els: list[str]) -> None:
        record = self._billing if state == BILLING else self._subscriber if state == SUBSCRIBER else self._patient
        address = record.values.setdefault("address", {})
        if sid == "N3":
            if "line1" not in address:
                address["line1"] = els[1]
                address["line2"] = _optional(els[2])
        elif "city" not in address:
            address["city"] = els[1]
            address["state"] = els[2]
            address["zip"] = els[3]

    def _demographics(self, state: int, els: list[str], pos: int) -> None:
        member = self._subscriber if state == SUBSCRIBER else self._patient
        if "birth_date" in member.values:
            return
        if els[1] != "D8":
            member.problem = member.problem or _NotRead("DMG01 must be D8", pos, "DMG", 1)
        birth = els[2]
        date = self._date(birth) if _D8(birth) else None
        if date is None:
            member.problem = member.problem or _NotRead("DMG02 is not a date (CCYYMMDD)", pos, "DMG", 2)
        member.values["birth_date"] = date
        member.values["sex"] = els[3]

    # ----------------------------------------------------------------------------- claims

    def _claim_problem(self, claim: _Claim | None, message: str, pos: int, segment: str,
                       element: int | None = None, component: int | None = None, rule: str = "claim-value") -> None:
        if claim is not None and claim.problem is None:
            claim.problem = _NotRead(message, pos, segment, element, component, rule)

    def _orphan(self, state: int, message: str, pos: int, segment: str) -> int:
        """A claim segment with no claim to go to: reported once, then read past up to the next CLM or HL."""
        if state != UNUSABLE_HL and self._st is not None:
            self._error(X12EnvelopeError(message, rule="segment-unexpected", segment=segment, position=pos))
        return UNUSABLE_HL if state != OUTSIDE else OUTSIDE

    def _read_hi(self, claim: _Claim, s: str, sep: str, comp: str, pos: int) -> None:
        parsed = self._hi.get(s)
        if parsed is None:
            parsed = self._parse_hi(s.split(sep), comp)
            if len(self._hi) >= _CACHE_LIMIT:
                self._hi.clear()
            self._hi[s] = parsed
        if parsed == ():
            return  # an HI of another kind (anesthesia, conditions...): not kept
        if parsed[0] in _DX:
            if claim.hi is not None:
                self._claim_problem(claim, "a second diagnosis HI", pos, "HI")
            else:
                claim.hi = parsed
        else:
            message, element, component = parsed
            self._claim_problem(claim, message, pos, "HI", element, component)

    @staticmethod
    def _parse_hi(els: list[str], comp: str) -> tuple:
        """('ABK'|'BK', codes, clean) for a diagnosis HI; () for another HI; or (message, element, component)."""
        first = _element(els, 1).split(comp)
        qualifier = first[0]
        if qualifier not in _DX:
            if qualifier in ("ABF", "BF"):
                return ("HI01-1 must be ABK or BK (the principal diagnosis)", 1, 1)
            return ()
        if len(els) > MAX_DIAGNOSES + 1:
            return (f"more than {MAX_DIAGNOSES} diagnoses", MAX_DIAGNOSES + 1, None)
        follow, code_ok = _DX[qualifier]
        codes = []
        for i in range(1, len(els)):
            if not els[i]:
                continue
            parts = els[i].split(comp)
            if i > 1 and parts[0] != follow:
                return (f"HI{i:02d}-1 must be {follow} after {qualifier}", i, 1)
            code = parts[1] if len(parts) > 1 else ""
            if not code:
                return (f"HI{i:02d}-2 (diagnosis code) is missing", i, 2)
            codes.append(code)
        clean = len(set(codes)) == len(codes) and all(code_ok(c) for c in codes)
        return (qualifier, tuple(codes), clean)

    def _cache_sv1(self, s: str, sep: str, comp: str) -> tuple | _Problem | str:
        entry = self._parse_sv1(s.split(sep), comp)
        if len(self._sv1) >= _CACHE_LIMIT:
            self._sv1.clear()
        self._sv1[s] = entry
        return entry

    def _cache_clm_tail(self, text: str, sep: str, comp: str) -> tuple:
        """(total, total in cents, place of service, frequency, CLM06-09, CLM05-2 is B, fast)
        for CLM02 onwards. The total is None when CLM02 is not a number, its cents None when
        it is not a plain amount; fast when CLM05 and CLM06-09 are values the fast path takes
        as they are."""
        els = text.split(sep)  # CLM02, CLM03, CLM04, CLM05, ...
        if len(els) < 8:
            els += [""] * (8 - len(els))
        total_text = els.pop(0)
        total = cents = None
        if _NUMBER(total_text):
            total = Decimal(total_text)
            if _PLAIN_MONEY(total_text) is not None:
                cents = int(total * 100)
        clm05 = els[2].split(comp)  # place of service : B : frequency
        place = clm05[0]
        facility_b = len(clm05) >= 2 and clm05[1] == "B"
        frequency = clm05[2] if len(clm05) > 2 else ""
        indicators = (els[3], els[4], els[5], els[6])
        fast = facility_b and place in _PLACES and frequency in FREQUENCIES and indicators in _INDICATORS
        tail = (total, cents, place, frequency, indicators, facility_b, fast)
        if len(self._clm_tails) >= _CACHE_LIMIT:
            self._clm_tails.clear()
        self._clm_tails[text] = tail
        return tail

    def _cache_dtp(self, s: str, sep: str) -> tuple | str:
        dates = self._parse_dtp(s.split(sep))
        if len(self._dtp) >= _CACHE_LIMIT:
            self._dtp.clear()
        self._dtp[s] = dates
        return dates

    def _parse_sv1(self, els: list[str], comp: str) -> tuple | _Problem | str:
        """(template, charge in cents, highest pointer, clean), the template being the line's field dict
        with the SV1 values in; a _Problem when a value cannot be a number, a pointer or a HCPCS
        code; _IGNORED for another segment id."""
        # Each distinct SV1 text is parsed once; real logs hold many (every charge and unit
        # count differs), so this is kept lean: C-level map/filter rather than generators.
        if els[0] != "SV1":
            return _IGNORED  # a longer, unknown segment id that begins with SV1
        if len(els) < 8:
            els = els + _PADDING  # what is not sent reads as ""
        composite = els[1].split(comp)
        if composite[0] != "HC":
            return _Problem(("SV101-1 must be HC: only HCPCS/CPT procedure codes are read", 1, 1))
        procedure = composite[1] if len(composite) > 1 else ""
        modifiers = tuple(filter(None, composite[2:6]))
        charge_text, basis, units_text = els[2], els[3], els[4]
        if not _NUMBER(charge_text):
            return _Problem(("SV102 (charge) is not a number", 2, None))
        if not _NUMBER(units_text):
            return _Problem(("SV104 (units) is not a number", 4, None))
        charge, units = Decimal(charge_text), Decimal(units_text)
        place = els[5] or None
        pointer_texts = els[7].split(comp)
        pointers = tuple(map(_POINTERS.get, pointer_texts))  # 1-12 as the writer writes them
        plain_pointers = None not in pointers
        if not plain_pointers:
            if not all(p.isdigit() and p.isascii() and len(p) <= 2 for p in pointer_texts):
                return _Problem(("SV107 (diagnosis pointers) must be numbers 1-12", 7, None))
            pointers = tuple(int(p) for p in pointer_texts)
        clean = bool(
            plain_pointers and _PROCEDURE(procedure) and all(map(_MODIFIER, modifiers)) and _PLAIN_MONEY(charge_text)
            and basis in ("UN", "MJ") and _PLAIN_QUANTITY(units_text) and units > _ZERO
            and (place is None or _PLACE(place)) and 1 <= len(pointers) <= 4 and len(set(pointers)) == len(pointers)
        )
        template = _line_fields(procedure, modifiers, charge, basis, units, pointers, place)
        # the claim's total is summed in cents (exact for a plain amount; an unclean line
        # makes the whole claim go to pydantic, so its cents are never compared)
        return (template, int(charge * 100) if clean else 0, max(pointers), clean)

    def _parse_dtp(self, els: list[str]) -> tuple | str:
        """(first date, last date or None, clean), a message, or _IGNORED for a DTP other than 472."""
        if els[0] != "DTP" or len(els) < 4 or els[1] != "472":
            return _IGNORED
        fmt, text = els[2], els[3]
        if fmt == "D8":
            day = self._date(text) if _D8(text) else None
            if day is None:
                return "DTP03 is not a date (CCYYMMDD)"
            return (day, None, True)
        if fmt == "RD8":
            first, _, last = text.partition("-")
            start = self._date(first) if _D8(first) else None
            end = self._date(last) if _D8(last) else None
            if start is None or end is None:
                return "DTP03 is not a date range (CCYYMMDD-CCYYMMDD)"
            if end == start:
                return (start, None, True)
            return (start, end, end > start)
        return "DTP02 must be D8 or RD8"

    def _date(self, text: str) -> dt.date | None:
        cache = self._dates
        if text in cache:
            return cache[text]
        try:
            value = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except ValueError:
            value = None
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[text] = value
        return value

    # ----------------------------------------------------------------- building the models

    def _validate(self, cls: type, values: dict, position: int, what: str) -> tuple[Any, bool]:
        """(model, clean): clean when it passes strict validation. Raises _NotRead."""
        try:
            return cls.model_validate(values), True
        except ValidationError as exc:
            strict_error = exc
        try:
            model = cls.model_validate(values, context=LENIENT_CONTEXT)
        except ValidationError as exc:
            raise _NotRead(f"{what}: {_explain(exc)}", position, rule="loop-value") from None
        if not self.lenient:
            raise _NotRead(f"{what}: {_explain(strict_error)}{_LENIENT_HINT}", position, rule="loop-value")
        return model, False

    def _parties(self, rec: _Claim) -> tuple:
        """(billing provider, subscriber, payer, patient, clean), built once per HL loop."""
        member = rec.patient or rec.subscriber
        if member is None:
            raise _NotRead("CLM before any subscriber HL (22)", rec.position, "CLM", rule="hl-structure")
        parties = member.parties
        if parties is None:
            try:
                subscriber, clean = self._member(rec.subscriber, Subscriber, "subscriber (2010BA)")
                bp, ok = self._billing_provider(rec.subscriber)
                clean = clean and ok
                payer, ok = self._payer(rec.subscriber)
                clean = clean and ok
                patient = None
                if rec.patient is not None:
                    patient, ok = self._member(rec.patient, Patient, "patient (2010CA)")
                    clean = clean and ok
                # the subscriber who is the patient needs N3/N4 and DMG: else pydantic says so
                clean = clean and (patient is not None
                                   or (subscriber.address is not None and subscriber.birth_date is not None))
                parties = (bp, subscriber, payer, patient, clean)
            except _NotRead as exc:
                parties = exc
            member.parties = parties
        if parties.__class__ is _NotRead:
            raise parties
        return parties

    def _billing_provider(self, subscriber: _Member) -> tuple[BillingProvider, bool]:
        billing = subscriber.billing
        if billing is None:
            raise _NotRead("no billing provider HL (20) above the claim", subscriber.position, "HL",
                           rule="hl-structure")
        if billing.problem is not None:
            raise billing.problem
        secondary = subscriber.secondary_id
        built = billing.built.get(secondary)
        if built is None:
            values = dict(billing.values)
            if "address" in values:
                values["address"] = dict(values["address"])
            if secondary is not None:
                values["payer_assigned_id"], values["payer_assigned_id_qualifier"] = secondary
            try:
                built = self._validate(BillingProvider, values, billing.position,
                                       f"billing provider (2010AA, HL at segment #{billing.position})")
            except _NotRead as exc:
                built = exc
            if len(billing.built) >= 64:  # one per distinct 2010BB secondary id: a handful in practice
                billing.built.clear()
            billing.built[secondary] = built
        if built.__class__ is _NotRead:
            raise built
        return built

    def _member(self, member: _Member, cls: type, what: str) -> tuple[Any, bool]:
        if member.problem is not None:
            raise member.problem
        if cls is Subscriber and "payer_responsibility" not in member.values:
            member.problem = _NotRead("the subscriber HL (22) has no SBR", member.position, "SBR",
                                      rule="segment-missing")
            raise member.problem
        if member.built is None:
            fast = _fast_member(cls, member.values)
            if fast is not None:
                member.built = (fast, True)
            else:
                try:
                    member.built = self._validate(cls, member.values, member.position,
                                                  f"{what}, HL at segment #{member.position}")
                except _NotRead as exc:
                    member.built = exc
        if member.built.__class__ is _NotRead:
            raise member.built
        return member.built

    def _payer(self, member: _Member) -> tuple[Payer, bool]:
        key = tuple(member.payer.items())
        built = self._payers.get(key)
        if built is None:
            try:
                built = self._validate(Payer, member.payer, member.position,
                                       f"payer (2010BB, HL at segment #{member.position})")
            except _NotRead as exc:
                built = exc
            if len(self._payers) >= 1024:
                self._payers.clear()
            self._payers[key] = built
        if built.__class__ is _NotRead:
            raise built
        return built

    def _rendering_provider(self, raw: list, position: int, what: str) -> tuple[RenderingProvider, bool]:
        """2310B or 2420A from [NM1 text, PRV*PE text, REF text, element separator]."""
        key = tuple(raw)
        built = self._renderers.get(key)
        if built is None:
            nm1_text, prv_text, ref_text, sep = raw
            nm1 = nm1_text.split(sep)
            values = {
                "entity_type": _element(nm1, 2), "name": _element(nm1, 3),
                "first_name": _optional(_element(nm1, 4)), "npi": _optional(_element(nm1, 9)),
                "taxonomy": _element(prv_text.split(sep), 3) or None if prv_text else None,
            }
            if ref_text is not None:
                ref = ref_text.split(sep)
                values["secondary_id_qualifier"], values["secondary_id"] = ref[1], _element(ref, 2)
            try:
                if _element(nm1, 8) not in ("", "XX"):
                    raise _NotRead(f"{what}: NM108 must be XX (NPI) when an identifier is sent", position, "NM1", 8)
                built = self._validate(RenderingProvider, values, position, what)
            except _NotRead as exc:
                built = (self._rendering_without_bad_ids(key, values, _element(nm1, 8)) if self.lenient else None) \
                    or exc
            if len(self._renderers) >= 1024:
                self._renderers.clear()
                self._renderer_deviations.clear()
            self._renderers[key] = built
        if built.__class__ is _NotRead:
            raise built
        return built

    def _rendering_without_bad_ids(self, key: tuple, values: dict, nm108: str) -> tuple | None:
        """Lenient: a 2310B/2420A whose NPI (NM108/NM109) or taxonomy (PRV03) has not the shape
        of one, read without it, as (model or None, False); the deviations go to
        ``_renderer_deviations[key]``. None when its ids are not what is wrong."""
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
        self._renderer_deviations[key] = tuple(found)
        return model, False

    def _finish(self, rec: _Claim) -> None:
        try:
            claim = self._build(rec)
        except _NotRead as exc:
            self.claims_not_read += 1
            self._error(ClaimNotRead(exc.message, claim_ordinal=rec.ordinal, claim_position=rec.position,
                                            **exc.where))
            return
        extra = self._guide_deviation + rec.deviations
        if extra:  # the model computes its own deviations; these it cannot see
            object.__setattr__(claim, "deviations", claim.deviations + extra)
        self.claims_read += 1
        out = self._out
        if self.header is not self._last_header:
            self._out_headers.append((len(out), self.header))
            self._last_header = self.header
        out.append(claim)

    def _build(self, rec: _Claim, make_line=_make_line, make_claim=_make_claim) -> Claim:
        """The claim's model: built unchecked when every value passes the fast path's checks (see
        model_makers; bound as defaults, so they are locals), else by pydantic."""
        if rec.problem is not None:
            raise rec.problem
        position = rec.position
        member = rec.patient or rec.subscriber
        parties = member.parties if member is not None else None
        if parties is None or parties.__class__ is _NotRead:
            parties = self._parties(rec)
        bp, subscriber, payer, patient, clean = parties
        rendering = None
        if rec.rendering is not None:
            built = self._renderers.get(tuple(rec.rendering))
            if built is None or built.__class__ is _NotRead:
                built = self._rendering_provider(rec.rendering, position, "rendering provider (2310B)")
            rendering, ok = built
            clean = clean and ok
            if not ok and self._renderer_deviations:
                rec.deviations += self._renderer_deviations.get(tuple(rec.rendering), ())
        if rec.hi is None:
            raise _NotRead("the diagnosis HI (ABK or BK) is missing", position, "HI", rule="segment-missing")
        qualifier, diagnoses, ok = rec.hi
        lines = rec.lines
        if rec.awaiting_sv1:
            raise _NotRead("a service line (LX) without SV1", rec.line_positions[-1], "LX", rule="segment-missing")
        if not lines:
            raise _NotRead("the claim has no service line (LX/SV1)", position, "LX", rule="segment-missing")
        if rec.dated != len(lines):
            k = next(k for k, line in enumerate(lines) if line["service_date"] is None)
            raise _NotRead(f"line {k + 1}: DTP*472 (service date) is missing", rec.line_positions[k], "LX",
                           rule="segment-missing")
        if rec.line_renderings is not None:
            for k, raw in rec.line_renderings.items():
                line_rendering, rp_ok = self._rendering_provider(raw, rec.line_positions[k],
                                                                 f"line {k + 1} rendering provider (2420A)")
                if not rp_ok and self._renderer_deviations:
                    rec.deviations += tuple(d for d in self._renderer_deviations.get(tuple(raw), ())
                                            if d not in rec.deviations)
                if line_rendering != rendering:  # sent only when it differs from 2310B: else it is 2310B
                    lines[k]["rendering_provider"] = line_rendering
                    clean = clean and rp_ok
        pickup = dropoff = None
        if rec.locations is not None:
            pickup, dropoff, locations_ok = self._locations(rec)
            clean = clean and locations_ok

        claim_id = rec.claim_id
        total, cents, place, frequency, indicators, facility_b, fast = rec.tail
        if total is None:
            raise _NotRead("CLM02 (total charge) is not a number", position, "CLM", 2)
        if not facility_b:
            raise _NotRead("CLM05-2 must be B (place of service codes)", position, "CLM", 5, 2)
        prior_authorization, payer_claim_number = rec.prior_authorization, rec.payer_claim_number
        if (clean and ok and rec.clean and fast and cents == rec.total
                and (frequency == "1") == (payer_claim_number is None) and rec.top_pointer <= len(diagnoses)
                and (prior_authorization is None or _TEXT_50_OK(prior_authorization))
                and (payer_claim_number is None or _TEXT_50_OK(payer_claim_number))):
            # Every line built unchecked. The REF*6R values (collected as read) must be unique
            # when sent, and they and CLM01 must be texts the models keep unchanged.
            made = list(map(make_line, lines))
            texts = rec.texts
            if len(texts) > len(lines):  # every line sent its REF*6R, as the writer does: one check for all
                # (a value equal to CLM01 fails the set: pydantic then decides; a line break
                # inside a value, possible only when it is a delimiter, would fool the join)
                joined = "\n".join(texts)
                texts_ok = (len(set(texts)) == len(texts) and _CLAIM_TEXTS_OK(joined) is not None
                            and (not self._newline_delimiter or joined.count("\n") == len(lines)))
            else:  # a line without REF*6R: each text checked on its own
                numbers = [n for values in lines if (n := values["line_control_number"]) is not None]
                texts_ok = (_CLAIM_ID_OK(claim_id) is not None and len(set(numbers)) == len(numbers)
                            and all(map(_LINE_CONTROL_NUMBER_OK, numbers)))
            if texts_ok:
                fields = _ClaimFields()  # its attributes are the claim's field dict (a split one)
                fields.claim_id = claim_id
                fields.frequency = frequency
                fields.payer_claim_number = payer_claim_number
                fields.place_of_service = place
                fields.diagnosis_code_qualifier = qualifier
                fields.diagnoses = diagnoses
                fields.prior_authorization = prior_authorization
                fields.total_charge = total
                fields.lines = tuple(made)
                fields.billing_provider = bp
                fields.subscriber = subscriber
                fields.patient = patient
                fields.payer = payer
                fields.rendering_provider = rendering
                fields.pickup = pickup
                fields.dropoff = dropoff
                fields.provider_signature, fields.assignment_participation, fields.benefits_assignment, \
                    fields.release_of_information = indicators
                fields.deviations = ()
                return make_claim(fields.__dict__)
        # Something unusual: pydantic decides, and says what is wrong.
        data = {
            "claim_id": claim_id, "frequency": frequency, "payer_claim_number": payer_claim_number,
            "place_of_service": place, "diagnosis_code_qualifier": qualifier, "diagnoses": diagnoses,
            "prior_authorization": prior_authorization, "total_charge": total, "lines": lines,
            "billing_provider": bp, "subscriber": subscriber, "patient": patient, "payer": payer,
            "rendering_provider": rendering, "pickup": pickup, "dropoff": dropoff,
            "provider_signature": indicators[0],
            "assignment_participation": indicators[1], "benefits_assignment": indicators[2],
            "release_of_information": indicators[3],
        }
        try:
            return Claim.model_validate(data, context=self._context)
        except ValidationError as exc:
            hint = ""
            if not self.lenient:
                try:
                    Claim.model_validate(data, context=LENIENT_CONTEXT)
                    hint = _LENIENT_HINT
                except ValidationError:
                    pass
            raise _NotRead(_explain(exc) + hint, position, "CLM") from None


def _fast_address(v: dict | None) -> Address | None:
    """The Address pydantic would build from ``v`` when every value already has its final
    shape (see the Text checks above); None when pydantic must decide."""
    if (v is not None and len(v) == 5 and _STREET_OK(v["line1"]) and (v["line2"] is None or _STREET_OK(v["line2"]))
            and _CITY_OK(v["city"]) and _STATE(v["state"]) and _ZIP(v["zip"])):
        return _address_model(v["line1"], v["line2"], v["city"], v["state"], v["zip"])  # N4 may have come first
    return None


def _fast_member(cls: type, v: dict) -> Subscriber | Patient | None:
    """The Subscriber or Patient pydantic would build from ``v`` (Person: DMG both or neither),
    or None when pydantic must decide (it then also says what is wrong)."""
    last, first, birth, sex = v.get("last_name"), v.get("first_name"), v.get("birth_date"), v.get("sex")
    if last is None or not _NAME_OK(last) or (first is not None and not _FIRST_NAME_OK(first)):
        return None
    if (birth is None) != (sex is None) or (sex is not None and sex not in _SEXES):
        return None
    address = None
    if "address" in v:
        address = _fast_address(v["address"])
        if address is None:
            return None
    if cls is Subscriber:
        member_id, responsibility = v.get("member_id"), v.get("payer_responsibility")
        if member_id is None or not _MEMBER_ID_OK(member_id) or responsibility not in _RESPONSIBILITY:
            return None
        return _subscriber_model(last, first, birth, sex, address, member_id, responsibility)
    relationship = v.get("relationship")
    if birth is None or address is None or relationship not in _RELATIONSHIPS:
        return None
    return _patient_model(last, first, birth, sex, address, relationship)


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
