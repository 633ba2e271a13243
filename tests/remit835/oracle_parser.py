"""The former pure-Python 835 parser, kept only as the differential tests' oracle of
``sdohedi.remit835.parser`` (which the core reads): same findings, errors and models.

Its models are built by setting each object's field dict (and pydantic's three bookkeeping
slots) without validation, mutating the dicts while their loops are open.

Streaming, sans-I/O 835 (005010X221A1) parser.

``Parser835.feed(chunk)`` takes bytes cut anywhere and returns every :class:`Remittance`
whose SE arrived in that chunk; only the transaction being read is held, so memory is
bounded by the largest ST/SE, not by the stream. A stream may hold several ISA, GS and ST.

``Parser835.feed_claims(chunk)`` (and :func:`iter_835_claims`) reads claim by claim instead,
for jobs that do not need a whole remittance at once: each claim comes as soon as its CLP
loop ends, as a :class:`RemittanceClaim` (the claim and the payment header it belongs to),
and each SE as a :class:`RemittanceEnd` (PLB, findings, the count and CLP04 sum of the claims
for the transaction balance). Memory is then bounded by one claim, whatever the ST/SE size.

What goes wrong is reported in one of two ways:

* recoverable problems are :class:`Problem` objects: trailer counts or control numbers that
  do not match (SE01/SE02 in ``Remittance.findings``; GE/IEA in ``Parser835.findings``),
  unknown segments, segments out of place or with an id that is not one (skipped), and an
  element that cannot be read - a required one missing, an amount that is not a number, a
  date that is not a calendar date (rule ``element-missing``, ``invalid-decimal`` or
  ``invalid-date``, with the segment position, id and element). The value is then None and
  the claim, line or header is kept with the rest of what it holds; the other claims are
  unaffected. A REF, DTM, AMT, QTY or LQ that is left without its value says nothing and is
  dropped; a CAS or PLB amount of unknown reason, or a reason of unknown amount, is kept;
* a stream that cannot be read further raises :class:`Remit835Error` (or the
  :class:`X12SyntaxError` of the tokenizer): not X12 or not an 835, envelopes out of order or
  without GS06/ST02, a transaction without BPR/TRN/payer/payee, a truncated stream. The
  parser is then finished: every later call raises the same error.
  When the call that hits the error has already completed remittances, it returns them and
  the error is raised by the next call, so nothing read before the error is lost.

The hot loop is written for throughput (see ``benchmarks/bench_parse_835.py``): it dispatches
on the segment id with an if-chain in order of frequency, converts amounts and dates through
bounded caches, and builds the models without pydantic validation (values are checked here
instead; see :func:`unchecked_maker` below), mutating each object's field
dict while its loop is open. The cyclic garbage collector is paused while a chunk is parsed
(nothing built here forms a cycle) and restored (see :func:`_settle_young_objects`).

Segments that the TR3 allows but that these models do not keep (TS3, TS2, MIA, claim PER,
TA1) are read and dropped without a finding.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections.abc import Iterator
from decimal import Decimal
from os import PathLike
from typing import Any

from pydantic import BaseModel

# The two helpers of the former sdohedi.models.construct this parser was written on, kept here
# with it (the library now builds models in the core, sdohedi.models.build).
set_dict = BaseModel.__dict__["__dict__"].__set__


def shared_keys_dict(values: dict[str, Any], name: str = "Fields") -> dict[str, Any]:
    """A dict equal to ``values`` whose keys table is shared (CPython's split dict)."""
    holder = type(name, (), {})()
    for key, value in values.items():
        setattr(holder, key, value)
    return holder.__dict__
from sdohedi.models.remit import (
    Address, Adjustment, ClaimPayment, Communication, Contact, OutpatientAdjudication, PartyName, Payee,
    Payer, ProcedureId, ProviderAdjustment, QualifiedAmount, QualifiedDate, QualifiedQuantity, Reference, Remark,
    Remittance, RemittanceClaim, RemittanceEnd, ServicePayment,
)
from sdohedi.problems import Problem, problem
from sdohedi.remit835.errors import Remit835Error
from sdohedi.x12 import READ_SIZE, Tokenizer, X12Error, X12SyntaxError

CHUNK_SIZE = READ_SIZE  # 64 KiB, see sdohedi.x12.tokenizer
VERSION = "005010X221A1"

# Where in the transaction we are: decides what a REF, DTM, CAS, AMT... belongs to.
OUTSIDE, HEADER, PAYER, PAYEE, HEADER_NUMBER, CLAIM, SERVICE, FOOTER = range(8)

_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")  # X12 'R': no exponent, no '+'
_DATE = re.compile(r"[0-9]{8}\Z")
_SEGMENT_ID = re.compile(r"[A-Za-z0-9]{2,3}\Z")  # as x12.Tokenizer: 2-3 ASCII letters or digits
_CACHE_LIMIT = 65536  # amounts and dates repeat a lot; bounded so memory stays flat
_ONE = Decimal(1)
_NM1_FIELDS = {"QC": "patient", "IL": "insured", "74": "corrected_insured", "82": "rendering_provider",
               "TT": "crossover_carrier", "PR": "corrected_priority_payer", "GB": "other_subscriber"}
# Allowed by the TR3, not kept by the models: read without a finding.
_IGNORED_IN = {"TS3": (HEADER_NUMBER,), "TS2": (HEADER_NUMBER,), "MIA": (CLAIM,), "PER": (CLAIM,)}
_SERVICE_SEGMENTS = frozenset({"SVC", "DTM", "CAS", "REF", "AMT", "QTY", "LQ"})


_set_slot = object.__setattr__


def _new_object(cls: type) -> Any:
    obj = object.__new__(cls)
    _set_slot(obj, "__pydantic_fields_set__", set(cls.model_fields))
    _set_slot(obj, "__pydantic_extra__", None)
    _set_slot(obj, "__pydantic_private__", None)
    return obj


def unchecked_maker(cls: type) -> Any:
    """A constructor of ``cls`` from a complete dict of field values (nothing checked)."""

    def make(values: dict) -> Any:
        obj = _new_object(cls)
        set_dict(obj, values)
        return obj

    return make


def _template(cls: type, **defaults: Any) -> dict[str, Any]:
    """Every field of ``cls`` set to None (or the given default), in field order, to copy from
    (a shared_keys_dict: its copies are split dicts, smaller and faster to copy)."""
    values = dict.fromkeys(cls.model_fields)
    values.update(defaults)
    return shared_keys_dict(values, f"{cls.__name__}Fields")


_make_claim = unchecked_maker(ClaimPayment)
_make_name = unchecked_maker(PartyName)
_make_reference = unchecked_maker(Reference)
_make_date = unchecked_maker(QualifiedDate)
_make_amount = unchecked_maker(QualifiedAmount)
_make_quantity = unchecked_maker(QualifiedQuantity)
_make_remark = unchecked_maker(Remark)
_make_procedure = unchecked_maker(ProcedureId)
_make_plb = unchecked_maker(ProviderAdjustment)
_make_remittance = unchecked_maker(Remittance)
_make_claim_event = unchecked_maker(RemittanceClaim)
_make_end_event = unchecked_maker(RemittanceEnd)
_ZERO = Decimal(0)
_make_payer = unchecked_maker(Payer)
_make_payee = unchecked_maker(Payee)
_make_address = unchecked_maker(Address)
_make_contact = unchecked_maker(Contact)
_make_communication = unchecked_maker(Communication)
_make_outpatient = unchecked_maker(OutpatientAdjudication)
_SERVICE_TEMPLATE = _template(ServicePayment, units=_ONE)
_CLAIM_TEMPLATE = _template(ClaimPayment)
_PADDING = [""] * 20  # short segments are padded with empty elements up to what a handler reads


def _settle_young_objects() -> None:
    """Hand the objects this chunk built to the oldest GC generation without a collection.

    With the collector paused, every object built from a chunk is still "young" when it is
    turned back on, and the first collection would walk them all (about 30 ms per MiB: a
    quarter of the parse). None of them is in a reference cycle, so walking them finds
    nothing. ``gc.freeze()`` followed by ``gc.unfreeze()`` moves every tracked object to the
    oldest generation and resets the allocation count, which is the same outcome minus the
    walk. The side effect on the caller's own objects is that young ones are promoted too
    (a cycle among them is collected by a later full collection instead of a young one).
    Skipped when the caller uses ``gc.freeze()`` itself, so its frozen objects stay frozen.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _envelope_element_missing(segment: str, position: int, element: int) -> Remit835Error:
    # Without GS06 or ST01/ST02 the envelope cannot be followed: what comes next is unreadable.
    return Remit835Error("a required envelope element is missing or empty", rule="element-missing",
                         segment=segment, position=position, element=element)


class Parser835:
    """Incremental 835 parser. See the module docstring for the error contract."""

    def __init__(self) -> None:
        self._splitter = Tokenizer(strict=False, join_lines=True)  # ids are checked here, as findings
        self._position = 0
        self.findings: list[Problem] = []  # envelope-level (GS/GE, ISA/IEA); per ST in Remittance.findings
        self._error: X12Error | None = None
        self._closed = False
        self._decimals: dict[str, Decimal] = {}
        self._dates: dict[str, dt.date] = {}
        # envelope
        self._isa: list[str] | None = None
        self._isa_position = 0
        self._groups = 0
        self._gs: list[str] | None = None
        self._transactions = 0
        self._component = ":"
        # transaction being read
        self._tx: dict | None = None
        self._ctx = OUTSIDE
        self._party: dict | None = None  # payer or payee loop being read
        self._claim: dict | None = None
        self._service: dict | None = None
        self._header_number: str | None = None
        # claim-by-claim mode (feed_claims): None until the first feed decides
        self._streaming: bool | None = None
        self._payment: Remittance | None = None  # header of the transaction, built at its first CLP
        self._claim_count = 0
        self._claims_paid = _ZERO
        self._claims_paid_unknown = 0
        self._header_segments: set[str] = set()  # BPR, TRN seen in the open transaction

    # ---------------------------------------------------------------------------------------
    # public API
    # ---------------------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> list[Remittance]:
        """Every :class:`Remittance` whose SE is in ``chunk`` (whole transactions)."""
        self._set_mode(False)
        return self._feed(chunk)

    def close(self) -> list[Remittance]:
        """Read what is left and check that the stream ended where an interchange ends."""
        self._set_mode(False)
        return self._close()

    def feed_claims(self, chunk: bytes) -> list[RemittanceClaim | RemittanceEnd]:
        """Claim by claim: a :class:`RemittanceClaim` for every CLP loop that ``chunk``
        completes and a :class:`RemittanceEnd` for every SE, in stream order.

        Only the claim being read is held (not the transaction), so memory is bounded by one
        claim plus what one chunk completes, however many claims an ST/SE holds. Claims,
        findings and provider adjustments are equal to those of :meth:`feed`; errors are the
        same too, except that a transaction without BPR/TRN/payer/payee fails at its first
        CLP (where the header is needed) instead of at its SE. Claims yielded before an error
        belong to a transaction that did not end: see :class:`RemittanceClaim`.
        A parser reads in one mode: calling :meth:`feed` after this (or the reverse) raises.
        """
        self._set_mode(True)
        return self._feed(chunk)

    def close_claims(self) -> list[RemittanceClaim | RemittanceEnd]:
        """:meth:`close` for :meth:`feed_claims`."""
        self._set_mode(True)
        return self._close()

    def _set_mode(self, streaming: bool) -> None:
        if self._streaming is None:
            self._streaming = streaming
        elif self._streaming != streaming:
            raise RuntimeError("a Parser835 reads either by transaction (feed/close) or by claim "
                               "(feed_claims/close_claims), not both")

    def _feed(self, chunk: bytes) -> list:
        self._check_usable()
        out: list = []
        collecting = gc.isenabled()
        gc.disable()
        try:
            for _, delimiters, pieces in self._splitter.feed_batches(chunk):
                self._consume(pieces, delimiters.element, out)
        except X12Error as exc:
            self._error = exc
            if not out:
                raise
        finally:
            if collecting:
                _settle_young_objects()
                gc.enable()
        return out

    def _close(self) -> list:
        self._check_usable()
        out: list = []
        try:
            for _, delimiters, pieces in self._splitter.close_batches():
                self._consume(pieces, delimiters.element, out)
            self._splitter.check()  # an error found after the last complete segments
            where = self._position + 1
            if self._tx is not None:
                raise Remit835Error("stream ends inside a transaction set (no SE)", rule="truncated",
                                    segment="SE", position=where)
            if self._gs is not None:
                raise Remit835Error("stream ends inside a functional group (no GE)", rule="truncated",
                                    segment="GE", position=where)
            if self._isa is not None:
                raise Remit835Error("stream ends inside an interchange (no IEA)", rule="truncated",
                                    segment="IEA", position=where)
        except X12Error as exc:
            self._error = exc
            if not out:
                raise
        self._closed = True
        return out

    def _check_usable(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closed:
            raise X12SyntaxError("data fed after close()", rule="stream-closed")

    # ---------------------------------------------------------------------------------------
    # value conversions (the slow path of the caches used inline in the hot loop)
    # ---------------------------------------------------------------------------------------

    def _decimal(self, text: str, position: int, segment: str, element: int) -> Decimal | None:
        """The amount, or None (with a finding) when it is missing or not a number."""
        value = self._decimals.get(text)
        if value is not None:
            return value
        if not _NUMBER.match(text):
            if not text:
                self._missing(segment, position, element)
            else:
                self._unreadable("invalid-decimal", "not a decimal number", segment, position, element)
            return None
        value = Decimal(text)
        if len(self._decimals) >= _CACHE_LIMIT:
            self._decimals.clear()
        self._decimals[text] = value
        return value

    def _optional_decimal(self, els: list[str], index: int, position: int) -> Decimal | None:
        if index < len(els) and els[index]:
            return self._decimal(els[index], position, els[0], index)
        return None

    def _date(self, text: str, position: int, segment: str, element: int) -> dt.date | None:
        """The date, or None (with a finding) when it is missing or not a CCYYMMDD date."""
        value = self._dates.get(text)
        if value is not None:
            return value
        if not _DATE.match(text):
            if not text:
                self._missing(segment, position, element)
            else:
                self._unreadable("invalid-date", "not a date (CCYYMMDD)", segment, position, element)
            return None
        try:
            value = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            self._unreadable("invalid-date", "not a calendar date", segment, position, element)
            return None
        if len(self._dates) >= _CACHE_LIMIT:
            self._dates.clear()
        self._dates[text] = value
        return value

    # ---------------------------------------------------------------------------------------
    # findings
    # ---------------------------------------------------------------------------------------

    def _finding(self, severity: str, rule: str, message: str, position: int, segment: str | None,
                 element: int | None = None, *, envelope: bool = False) -> None:
        tx = self._tx
        finding = problem(
            severity=severity, rule=rule, message=message,
            interchange=self._isa[13] if self._isa else None, group=self._gs[6] if self._gs else None,
            transaction=tx["transaction_control_number"] if tx is not None else None,
            position=position, segment=segment, element=element,
        )
        if tx is not None and not envelope:
            tx["findings"].append(finding)
        else:
            self.findings.append(finding)

    def _missing(self, segment: str, position: int, element: int | None = None) -> None:
        self._finding("error", "element-missing", "a required element is missing or empty; read as empty",
                      position, segment, element)

    def _unreadable(self, rule: str, message: str, segment: str, position: int, element: int) -> None:
        self._finding("error", rule, f"{message}; read as empty", position, segment, element)

    def _unexpected(self, sid: str, position: int) -> None:
        if not _SEGMENT_ID.match(sid):
            # The segment's bounds are sure (the terminator found it): skip it, not the file.
            self._finding("error", "segment-id", "segment identifier must be 2-3 letters or digits; segment skipped",
                          position, None)
            return
        ignored_in = _IGNORED_IN.get(sid)
        if ignored_in is not None and self._ctx in ignored_in:
            return
        known = sid in _KNOWN_SEGMENTS
        where = "outside a transaction set" if self._tx is None else "here"
        self._finding("warning", "segment-unexpected" if known else "segment-unknown",
                      f"{'segment' if known else 'unknown segment'} {sid} is not expected {where}; skipped",
                      position, sid)

    # ---------------------------------------------------------------------------------------
    # the hot loop
    # ---------------------------------------------------------------------------------------

    def _consume(self, pieces: list[str], sep: str, out: list[Remittance]) -> None:
        """Read the segments of one batch (all from one interchange, element separator ``sep``)."""
        while (done := self._read_segments(pieces, sep, out)) is not None:
            pieces = pieces[done:]  # after a short segment: rare, so the copy does not matter

    def _read_segments(self, pieces: list[str], sep: str, out: list[Remittance]) -> int | None:
        """Read ``pieces``; None when all are read, else how many were when a short one was skipped."""
        start = self._position
        decimals = self._decimals
        dates = self._dates
        to_decimal = self._decimal
        to_date = self._date
        new = _new_object
        adjustment_cls = Adjustment
        pos = self._position
        ctx = self._ctx
        claim = self._claim
        svc = self._service
        claim_adjustments = claim["adjustments"] if claim is not None else None
        service_adjustments = svc["adjustments"] if svc is not None else None
        component = self._component
        streaming = self._streaming
        sid = ""
        try:
            for piece in pieces:
                pos += 1
                els = piece.split(sep)
                sid = els[0]
                if sid == "CAS":
                    if ctx == SERVICE:
                        target = service_adjustments
                    elif ctx == CLAIM:
                        target = claim_adjustments
                    else:
                        self._position = pos
                        self._unexpected(sid, pos)
                        continue
                    group = els[1]
                    n = len(els)
                    if not group:
                        self._missing(sid, pos, 1)
                        group = None
                    if n < 4:
                        els += _PADDING[n:4]
                        n = 4
                    for i in range(2, n, 3):
                        reason = els[i]
                        amount_text = els[i + 1] if i + 1 < n else ""
                        quantity_text = els[i + 2] if i + 2 < n else ""
                        if not reason or not amount_text:
                            if not (reason or amount_text or quantity_text):
                                if i == 2:  # CAS02-03 are required
                                    self._missing(sid, pos, 2)
                                continue
                            if not reason:  # an adjustment of unknown reason is still money
                                self._missing(sid, pos, i)
                                reason = None
                        amount = decimals.get(amount_text)
                        if amount is None:
                            amount = to_decimal(amount_text, pos, sid, i + 1)
                        adjustment = new(adjustment_cls)
                        set_dict(adjustment, {
                            "group": group, "reason": reason, "amount": amount,
                            "quantity": to_decimal(quantity_text, pos, sid, i + 2) if quantity_text else None,
                            "position": pos})
                        target.append(adjustment)  # type: ignore[union-attr]
                elif sid == "DTM":
                    qualifier = els[1]
                    text = els[2]
                    day = dates.get(text)
                    if day is None:
                        day = to_date(text, pos, sid, 2)
                    if ctx == SERVICE:
                        if qualifier == "472":
                            svc["service_date"] = day  # type: ignore[index]
                        elif qualifier == "150":
                            svc["service_start"] = day  # type: ignore[index]
                        elif qualifier == "151":
                            svc["service_end"] = day  # type: ignore[index]
                        else:
                            self._position = pos
                            self._finding("warning", "unexpected-qualifier",
                                          "service DTM qualifier is not 472, 150 or 151; skipped", pos, sid, 1)
                    elif ctx == CLAIM:
                        if day is not None:
                            claim["dates"].append(_make_date({"qualifier": qualifier, "date": day}))  # type: ignore
                    elif ctx == HEADER and qualifier == "405":
                        self._tx["production_date"] = day  # type: ignore[index]
                    else:
                        self._position = pos
                        self._unexpected(sid, pos)
                elif sid == "SVC":
                    if ctx != SERVICE and ctx != CLAIM:
                        self._position = pos
                        self._unexpected(sid, pos)
                        continue
                    n = len(els)
                    if n < 4:
                        els += _PADDING[n:4]
                    parts = els[1].split(component)
                    if len(parts) < 2 or not parts[0] or not parts[1]:
                        self._missing(sid, pos, 1)
                        parts = [parts[0] or None, (parts[1] or None) if len(parts) > 1 else None, *parts[2:]]
                    modifiers = parts[2:6]
                    if "" in modifiers:
                        modifiers = [m for m in modifiers if m]
                    charge = decimals.get(els[2])
                    if charge is None:
                        charge = to_decimal(els[2], pos, sid, 2)
                    paid = decimals.get(els[3])
                    if paid is None:
                        paid = to_decimal(els[3], pos, sid, 3)
                    svc = _SERVICE_TEMPLATE.copy()
                    svc["qualifier"] = parts[0]
                    svc["procedure_code"] = parts[1]
                    svc["modifiers"] = modifiers
                    svc["charge"] = charge
                    svc["paid"] = paid
                    svc["adjustments"] = service_adjustments = []
                    svc["references"] = []
                    svc["amounts"] = []
                    svc["quantities"] = []
                    svc["remarks"] = []
                    svc["position"] = pos
                    if n > 4:
                        svc["revenue_code"] = els[4] or None
                        if n > 5 and els[5]:
                            units = decimals.get(els[5])
                            svc["units"] = units if units is not None else to_decimal(els[5], pos, sid, 5)
                        if n > 6 and els[6]:
                            svc["original_procedure"] = self._procedure(els[6], component, pos, 6)
                        if n > 7 and els[7]:
                            svc["original_units"] = to_decimal(els[7], pos, sid, 7)
                    service = new(ServicePayment)
                    set_dict(service, svc)
                    claim["services"].append(service)  # type: ignore[index]
                    ctx = SERVICE
                elif sid == "REF":
                    qualifier = els[1]
                    value = els[2]
                    if not qualifier or not value:
                        self._missing(sid, pos, 1 if not qualifier else 2)  # a REF without both says nothing
                        continue
                    if ctx == SERVICE:
                        if qualifier == "6R":
                            svc["line_control_number"] = value  # type: ignore[index]
                        else:
                            svc["references"].append(  # type: ignore[index]
                                _make_reference({"qualifier": qualifier, "value": value}))
                    elif ctx == CLAIM:
                        claim["references"].append(  # type: ignore[index]
                            _make_reference({"qualifier": qualifier, "value": value}))
                    else:
                        self._position = pos
                        self._header_reference(qualifier, value, pos)
                elif sid == "AMT":
                    qualifier = els[1]
                    amount = decimals.get(els[2])
                    if amount is None:
                        amount = to_decimal(els[2], pos, sid, 2)
                    if not qualifier or amount is None:
                        if not qualifier:
                            self._missing(sid, pos, 1)
                        continue
                    if ctx == SERVICE:
                        if qualifier == "B6":
                            svc["allowed_amount"] = amount  # type: ignore[index]
                        else:
                            svc["amounts"].append(  # type: ignore[index]
                                _make_amount({"qualifier": qualifier, "amount": amount}))
                    elif ctx == CLAIM:
                        claim["amounts"].append(  # type: ignore[index]
                            _make_amount({"qualifier": qualifier, "amount": amount}))
                    else:
                        self._position = pos
                        self._unexpected(sid, pos)
                elif sid == "NM1":
                    field = _NM1_FIELDS.get(els[1]) if ctx == CLAIM else None
                    if field is None:
                        self._position = pos
                        if ctx == CLAIM:
                            self._finding("warning", "unexpected-qualifier",
                                          "NM1 entity code not used in a claim loop; skipped", pos, sid, 1)
                        else:
                            self._unexpected(sid, pos)
                        continue
                    n = len(els)
                    if n < 10:
                        els += _PADDING[n:10]
                    claim[field] = _make_name({  # type: ignore[index]
                        "entity_code": els[1], "entity_type": els[2], "last_name": els[3] or None,
                        "first_name": els[4] or None, "middle_name": els[5] or None, "suffix": els[7] or None,
                        "id_qualifier": els[8] or None, "identifier": els[9] or None,
                    })
                elif sid == "CLP":
                    if ctx == OUTSIDE:
                        self._position = pos
                        self._unexpected(sid, pos)
                        continue
                    if ctx < HEADER_NUMBER or ctx == FOOTER:
                        self._position = pos
                        self._finding("warning", "claim-outside-lx" if ctx != FOOTER else "claim-after-plb",
                                      "CLP is not inside an LX header-number loop" if ctx != FOOTER
                                      else "CLP after a PLB segment", pos, sid)
                        if ctx != FOOTER:
                            self._header_number = None
                    n = len(els)
                    if n < 10:
                        els += _PADDING[n:10]
                    if not els[1] or not els[2]:  # kept: the money of a claim without CLP01 is still money
                        if not els[1]:
                            self._missing(sid, pos, 1)
                        if not els[2]:
                            self._missing(sid, pos, 2)
                    charge = decimals.get(els[3])
                    if charge is None:
                        charge = to_decimal(els[3], pos, sid, 3)
                    paid = decimals.get(els[4])
                    if paid is None:
                        paid = to_decimal(els[4], pos, sid, 4)
                    claim = _CLAIM_TEMPLATE.copy()
                    claim["claim_id"] = els[1] or None
                    claim["status_code"] = els[2] or None
                    claim["charge"] = charge
                    claim["paid"] = paid
                    if els[5]:
                        responsibility = decimals.get(els[5])
                        claim["patient_responsibility"] = (
                            responsibility if responsibility is not None else to_decimal(els[5], pos, sid, 5))
                    claim["filing_indicator"] = els[6] or None
                    claim["payer_claim_number"] = els[7] or None
                    claim["facility_code"] = els[8] or None
                    claim["frequency"] = els[9] or None
                    claim["header_number"] = self._header_number
                    claim["adjustments"] = claim_adjustments = []
                    claim["references"] = []
                    claim["dates"] = []
                    claim["amounts"] = []
                    claim["quantities"] = []
                    claim["services"] = []
                    claim["position"] = pos
                    svc = service_adjustments = None
                    if streaming:
                        self._position = pos
                        self._start_claim(out)
                    self._tx["claims"].append(_make_claim(claim))  # type: ignore[index]
                    ctx = CLAIM
                elif sid == "LQ":
                    if ctx != SERVICE:
                        self._position = pos
                        self._unexpected(sid, pos)
                        continue
                    if not els[1] or not els[2]:
                        self._missing(sid, pos, 1 if not els[1] else 2)
                        continue
                    svc["remarks"].append(_make_remark({"qualifier": els[1], "code": els[2]}))  # type: ignore[index]
                elif sid == "LX":
                    if ctx < HEADER or ctx == FOOTER:
                        self._position = pos
                        self._unexpected(sid, pos)
                        continue
                    if not els[1]:
                        self._missing(sid, pos, 1)
                    self._header_number = els[1] or None
                    if streaming and claim is not None:
                        self._end_claim(out)
                    claim = svc = claim_adjustments = service_adjustments = None
                    ctx = HEADER_NUMBER
                elif sid == "QTY" and (ctx == SERVICE or ctx == CLAIM):
                    quantity = self._decimal(els[2], pos, sid, 2)
                    if not els[1] or quantity is None:
                        if not els[1]:
                            self._missing(sid, pos, 1)
                        continue
                    (svc if ctx == SERVICE else claim)["quantities"].append(  # type: ignore[index]
                        _make_quantity({"qualifier": els[1], "quantity": quantity}))
                else:
                    # Everything rare goes through here, with the state written back first.
                    self._position = pos
                    self._ctx = ctx
                    self._claim = claim
                    self._service = svc
                    self._segment(els, pos, out)
                    pos = self._position
                    ctx = self._ctx
                    claim = self._claim
                    svc = self._service
                    claim_adjustments = claim["adjustments"] if claim is not None else None
                    service_adjustments = svc["adjustments"] if svc is not None else None
                    component = self._component
        except IndexError:
            # Every handler indexes the elements it requires before it changes anything, so a
            # short segment lands here with the state as it was before it: skip it, read on.
            self._position = pos
            self._ctx = ctx
            self._claim = claim
            self._service = svc
            self._finding("error", "element-missing", "segment ends before a required element; segment skipped",
                          pos, sid if _SEGMENT_ID.match(sid) else None)
            return pos - start
        self._position = pos
        self._ctx = ctx
        self._claim = claim
        self._service = svc
        return None

    # ---------------------------------------------------------------------------------------
    # everything else: envelopes, header, payer/payee loops, PLB, MOA, unknown segments
    # ---------------------------------------------------------------------------------------

    def _segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        sid = els[0]
        handler = _HANDLERS.get(sid)
        if handler is not None:
            handler(self, els, pos, out)
            return
        self._unexpected(sid, pos)  # the core drops blanks before an id: sid is what was sent

    def _procedure(self, text: str, component: str, pos: int, element: int) -> ProcedureId | None:
        parts = text.split(component)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            self._missing("SVC", pos, element)
            return None
        return _make_procedure({"qualifier": parts[0], "code": parts[1], "modifiers": [m for m in parts[2:6] if m]})

    def _header_reference(self, qualifier: str, value: str, pos: int) -> None:
        ctx = self._ctx
        ref = _make_reference({"qualifier": qualifier, "value": value})
        if ctx == HEADER:
            self._tx["references"].append(ref)  # type: ignore[index]
        elif ctx == PAYER or ctx == PAYEE:
            self._party["references"].append(ref)  # type: ignore[index]
        else:
            self._unexpected("REF", pos)

    # envelope -------------------------------------------------------------------------------

    def _isa_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._isa is not None:
            raise Remit835Error("ISA before the IEA of the previous interchange", rule="envelope-nesting",
                                segment="ISA", position=pos)
        if len(els) != 17:
            raise Remit835Error("ISA must have 16 elements", rule="isa-fixed-length", segment="ISA", position=pos)
        self._isa = els
        self._isa_position = pos
        self._groups = 0
        self._component = els[16]

    def _gs_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._isa is None or self._gs is not None:
            raise Remit835Error("GS outside an interchange or before the GE of the previous group",
                                rule="envelope-nesting", segment="GS", position=pos)
        if len(els) < 9 or not els[6]:
            raise _envelope_element_missing("GS", pos, 6 if len(els) > 6 else len(els))
        if els[1] != "HP" and not els[8].startswith("005010X221"):
            raise Remit835Error(f"functional group {els[1][:2]} ({els[8][:12]}) is not an 835 remittance group (HP)",
                                rule="transaction-not-supported", segment="GS", position=pos, element=1)
        self._gs = els
        self._transactions = 0
        if els[1] != "HP":
            self._finding("warning", "group-not-supported", "GS01 is not HP (health care claim payment/advice)",
                          pos, "GS", 1, envelope=True)
        if not els[8].startswith("005010X221"):
            self._finding("warning", "group-version-not-supported", f"GS08 {els[8][:12]} is not {VERSION}; read as {VERSION}",
                          pos, "GS", 8, envelope=True)

    def _st_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._gs is None or self._tx is not None:
            raise Remit835Error("ST outside a functional group or before the SE of the previous transaction",
                                rule="envelope-nesting", segment="ST", position=pos)
        if len(els) < 3 or not els[1] or not els[2]:
            raise _envelope_element_missing("ST", pos, 1 if len(els) < 2 or not els[1] else 2)
        if els[1] != "835":
            raise Remit835Error(f"transaction set {els[1][:3]} is not an 835 remittance", rule="transaction-not-supported",
                                segment="ST", position=pos, element=1)
        isa, gs = self._isa, self._gs
        assert isa is not None
        self._tx = {
            "interchange_control_number": isa[13], "interchange_sender_id": isa[6].strip(),
            "interchange_receiver_id": isa[8].strip(), "group_control_number": gs[6],
            "application_sender": gs[2], "application_receiver": gs[3], "version": gs[8],
            "transaction_control_number": els[2],
            "handling_code": None, "total_payment": None, "credit_debit": None, "payment_method": None,
            "payment_format": None, "sender_dfi_qualifier": None, "sender_dfi_id": None,
            "sender_account_qualifier": None, "sender_account_number": None, "originator_id": None,
            "originator_supplemental_code": None, "receiver_dfi_qualifier": None, "receiver_dfi_id": None,
            "receiver_account_qualifier": None, "receiver_account_number": None, "payment_date": None,
            "trace_type": None, "trace_number": None, "trace_payer_id": None, "trace_supplemental_id": None,
            "currency": None, "references": [], "production_date": None, "payer": None, "payee": None,
            "claims": [], "provider_adjustments": [], "findings": [], "position": pos, "payment_position": None,
            "interchange_position": self._isa_position, "trace_position": None,
        }
        self._ctx = HEADER
        self._party = self._claim = self._service = None
        self._header_number = None
        self._payment = None
        self._claim_count = 0
        self._claims_paid = _ZERO
        self._claims_paid_unknown = 0
        self._header_segments = set()

    def _se_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        tx = self._tx
        if tx is None:
            raise Remit835Error("SE without ST", rule="envelope-nesting", segment="SE", position=pos)
        if self._streaming:
            self._end_claim(out)
        self._close_party()
        self._check_header(tx, pos)
        count = pos - tx["position"] + 1
        declared = els[1] if len(els) > 1 else ""
        if not declared.isdigit() or int(declared) != count:
            self._finding("error", "se01-count", f"SE01 says {declared[:10] or 'nothing'}; the transaction set "
                          f"has {count} segments", pos, "SE", 1)
        if (els[2] if len(els) > 2 else "") != tx["transaction_control_number"]:
            self._finding("error", "se02-mismatch", "SE02 does not match ST02", pos, "SE", 2)
        remittance = _make_remittance(tx)
        if self._streaming:
            out.append(_make_end_event({"remittance": remittance, "claim_count": self._claim_count,
                                        "claims_paid": self._claims_paid,
                                        "claims_paid_unknown": self._claims_paid_unknown}))
            self._payment = None
            self._claim_count = 0
            self._claims_paid = _ZERO
            self._claims_paid_unknown = 0
        else:
            out.append(remittance)
        self._tx = None
        self._ctx = OUTSIDE
        self._claim = self._service = None
        self._transactions += 1

    def _check_header(self, tx: dict, pos: int) -> None:
        # By the segments seen, not by their values: a BPR whose BPR02 is unreadable is a BPR.
        seen = self._header_segments
        for segment, what, absent in (("BPR", "BPR", "BPR" not in seen), ("TRN", "TRN", "TRN" not in seen),
                                      ("N1", "payer loop (N1*PR)", tx["payer"] is None),
                                      ("N1", "payee loop (N1*PE)", tx["payee"] is None)):
            if absent:
                raise Remit835Error(f"transaction set has no {what}", rule="segment-missing", segment=segment,
                                    position=pos)

    # claim by claim (feed_claims) -------------------------------------------------------------

    def _start_claim(self, out: list) -> None:
        """A CLP at ``self._position`` opens a claim: hand over the one it closes, and build
        the payment header at the first one (nothing after the first CLP can change it)."""
        self._end_claim(out)
        if self._payment is None:
            tx = self._tx
            self._close_party()
            self._check_header(tx, self._position)  # type: ignore[arg-type]
            header = dict(tx)  # type: ignore[arg-type]
            # The transaction's own lists keep filling; the header gets empty ones.
            header["claims"] = []
            header["provider_adjustments"] = []
            header["findings"] = []
            self._payment = _make_remittance(header)

    def _end_claim(self, out: list) -> None:
        """Hand over the open claim, if any (its CLP loop ends at LX, CLP, PLB or SE)."""
        claims = self._tx["claims"]  # type: ignore[index]
        if claims:
            claim = claims.pop()  # in this mode the list holds only the open claim
            self._claim_count += 1
            paid = claim.__dict__["paid"]
            if paid is None:
                self._claims_paid_unknown += 1
            else:
                self._claims_paid += paid
            out.append(_make_claim_event({"payment": self._payment, "claim": claim}))

    def _ge_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._gs is None or self._tx is not None:
            raise Remit835Error("GE without GS, or before the SE of a transaction", rule="envelope-nesting",
                                segment="GE", position=pos)
        declared = els[1] if len(els) > 1 else ""
        if not declared.isdigit() or int(declared) != self._transactions:
            self._finding("error", "ge01-count", f"GE01 says {declared[:10] or 'nothing'}; the group has "
                          f"{self._transactions} transaction sets", pos, "GE", 1, envelope=True)
        if (els[2] if len(els) > 2 else "").lstrip("0") != self._gs[6].lstrip("0"):
            self._finding("error", "ge02-mismatch", "GE02 does not match GS06", pos, "GE", 2,
                          envelope=True)
        self._gs = None
        self._groups += 1

    def _iea_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._isa is None or self._gs is not None:
            raise Remit835Error("IEA without ISA, or before the GE of a group", rule="envelope-nesting",
                                segment="IEA", position=pos)
        declared = els[1] if len(els) > 1 else ""
        if not declared.isdigit() or int(declared) != self._groups:
            self._finding("error", "iea01-count", f"IEA01 says {declared[:10] or 'nothing'}; the interchange has "
                          f"{self._groups} functional groups", pos, "IEA", 1, envelope=True)
        if (els[2] if len(els) > 2 else "") != self._isa[13]:
            self._finding("error", "iea02-mismatch", "IEA02 does not match ISA13", pos, "IEA", 2,
                          envelope=True)
        self._isa = None

    def _ta1_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._isa is None or self._gs is not None:
            self._unexpected("TA1", pos)

    # header ---------------------------------------------------------------------------------

    def _in_header(self, sid: str, pos: int) -> bool:
        if self._ctx != HEADER:
            self._unexpected(sid, pos)
            return False
        return True

    def _bpr_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if not self._in_header("BPR", pos):
            return
        tx = self._tx
        assert tx is not None
        n = len(els)
        if n < 17:
            els = els + [""] * (17 - n)
        for i in (1, 3, 4):
            if not els[i]:
                self._missing("BPR", pos, i)
        self._header_segments.add("BPR")
        tx.update({
            "handling_code": els[1] or None, "total_payment": self._decimal(els[2], pos, "BPR", 2),
            "credit_debit": els[3] or None, "payment_method": els[4] or None, "payment_format": els[5] or None,
            "sender_dfi_qualifier": els[6] or None, "sender_dfi_id": els[7] or None,
            "sender_account_qualifier": els[8] or None, "sender_account_number": els[9] or None,
            "originator_id": els[10] or None, "originator_supplemental_code": els[11] or None,
            "receiver_dfi_qualifier": els[12] or None, "receiver_dfi_id": els[13] or None,
            "receiver_account_qualifier": els[14] or None, "receiver_account_number": els[15] or None,
            "payment_date": self._date(els[16], pos, "BPR", 16), "payment_position": pos,
        })

    def _trn_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if not self._in_header("TRN", pos):
            return
        n = len(els)
        if n < 5:
            els = els + _PADDING[n:5]
        for i in (1, 2, 3):
            if not els[i]:
                self._missing("TRN", pos, i)
        self._header_segments.add("TRN")
        self._tx.update({"trace_type": els[1] or None, "trace_number": els[2] or None,  # type: ignore[union-attr]
                         "trace_payer_id": els[3] or None, "trace_supplemental_id": els[4] or None,
                         "trace_position": pos})

    def _cur_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._in_header("CUR", pos):
            if len(els) < 3 or not els[2]:
                self._missing("CUR", pos, 2)
                return
            self._tx["currency"] = els[2]  # type: ignore[index]

    def _n1_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        ctx = self._ctx
        code = els[1]
        if ctx not in (HEADER, PAYER, PAYEE) or code not in ("PR", "PE"):
            if ctx in (HEADER, PAYER, PAYEE):
                self._finding("warning", "unexpected-qualifier", "N1 entity code is not PR or PE; skipped", pos,
                              "N1", 1)
            else:
                self._unexpected("N1", pos)
            return
        self._close_party()
        n = len(els)
        if n < 5:
            els = els + [""] * (5 - n)
        if not els[2]:
            self._missing("N1", pos, 2)
        if code == "PE":
            for i in (3, 4):
                if not els[i]:
                    self._missing("N1", pos, i)
        self._party = {"_code": code, "name": els[2] or None, "id_qualifier": els[3] or None, "id": els[4] or None,
                       "address": None, "references": []}
        if code == "PR":
            self._party["contacts"] = []
            self._ctx = PAYER
        else:
            self._party.update(delivery_method=None, delivery_name=None, delivery_communication=None)
            self._ctx = PAYEE

    def _close_party(self) -> None:
        party = self._party
        if party is None:
            return
        self._party = None
        code = party.pop("_code")
        address = party["address"]
        if address is not None:
            party["address"] = _make_address(address)
        if code == "PR":
            self._tx["payer"] = _make_payer(party)  # type: ignore[index]
        else:
            self._tx["payee"] = _make_payee(party)  # type: ignore[index]

    def _n3_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._ctx not in (PAYER, PAYEE):
            self._unexpected("N3", pos)
            return
        if len(els) < 2 or not els[1]:
            self._missing("N3", pos, 1)
            return
        address = self._party["address"]  # type: ignore[index]
        if address is None:
            address = self._party["address"] = {  # type: ignore[index]
                "line1": "", "line2": None, "city": "", "state": None, "postal_code": None, "country": None,
                "country_subdivision": None}
        address["line1"] = els[1]
        address["line2"] = (els[2] or None) if len(els) > 2 else None

    def _n4_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._ctx not in (PAYER, PAYEE):
            self._unexpected("N4", pos)
            return
        n = len(els)
        if n < 8:
            els = els + [""] * (8 - n)
        if not els[1]:
            self._missing("N4", pos, 1)
        address = self._party["address"]  # type: ignore[index]
        if address is None:
            address = self._party["address"] = {"line1": "", "line2": None}  # type: ignore[index]
        address.update(city=els[1] or None, state=els[2] or None, postal_code=els[3] or None, country=els[4] or None,
                       country_subdivision=els[7] or None)

    def _per_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._ctx != PAYER:
            self._unexpected("PER", pos)
            return
        if not els[1]:
            self._missing("PER", pos, 1)
            return
        communications = []
        n = len(els)
        for i in range(3, n, 2):
            qualifier = els[i]
            number = els[i + 1] if i + 1 < n else ""
            if qualifier or number:
                if not (qualifier and number):
                    self._missing("PER", pos, i if not qualifier else i + 1)
                    continue
                communications.append(_make_communication({"qualifier": qualifier, "number": number}))
        self._party["contacts"].append(_make_contact({  # type: ignore[index]
            "function": els[1], "name": (els[2] or None) if len(els) > 2 else None,
            "communications": communications}))

    def _rdm_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._ctx != PAYEE:
            self._unexpected("RDM", pos)
            return
        if not els[1]:
            self._missing("RDM", pos, 1)
            return
        n = len(els)
        self._party.update(delivery_method=els[1], delivery_name=(els[2] or None) if n > 2 else None,  # type: ignore
                           delivery_communication=(els[3] or None) if n > 3 else None)

    # claim and footer -----------------------------------------------------------------------

    def _moa_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._ctx != CLAIM:
            self._unexpected("MOA", pos)
            return
        n = len(els)
        if n < 10:
            els = els + [""] * (10 - n)
        self._claim["outpatient"] = _make_outpatient({  # type: ignore[index]
            "reimbursement_rate": self._optional_decimal(els, 1, pos),
            "hcpcs_payable_amount": self._optional_decimal(els, 2, pos),
            "remark_codes": [c for c in els[3:8] if c],
            "esrd_payment_amount": self._optional_decimal(els, 8, pos),
            "nonpayable_professional_amount": self._optional_decimal(els, 9, pos),
        })

    def _plb_segment(self, els: list[str], pos: int, out: list[Remittance]) -> None:
        if self._ctx < HEADER:
            self._unexpected("PLB", pos)
            return
        if self._streaming:
            self._end_claim(out)
        self._close_party()
        n = len(els)
        if n < 5:
            els = els + _PADDING[n:5]
            n = 5
        if not els[1]:
            self._missing("PLB", pos, 1)
        provider_id = els[1] or None
        fiscal_date = self._date(els[2], pos, "PLB", 2)
        target = self._tx["provider_adjustments"]  # type: ignore[index]
        component = self._component
        pairs = 0
        for i in range(3, n, 2):
            composite = els[i]
            amount_text = els[i + 1] if i + 1 < n else ""
            if not composite and not amount_text:
                continue
            pairs += 1
            parts = composite.split(component)
            if not parts[0]:
                self._missing("PLB", pos, i)
            target.append(_make_plb({  # kept when a part is unreadable: a known amount is still money
                "provider_id": provider_id, "fiscal_period_date": fiscal_date, "reason": parts[0] or None,
                "reference_id": (parts[1] or None) if len(parts) > 1 else None,
                "amount": self._decimal(amount_text, pos, "PLB", i + 1), "position": pos,
            }))
        if not pairs:
            self._missing("PLB", pos, 3)
        self._claim = self._service = None
        self._ctx = FOOTER


_HANDLERS = {
    "ISA": Parser835._isa_segment, "GS": Parser835._gs_segment, "ST": Parser835._st_segment,
    "SE": Parser835._se_segment, "GE": Parser835._ge_segment, "IEA": Parser835._iea_segment,
    "TA1": Parser835._ta1_segment, "BPR": Parser835._bpr_segment, "TRN": Parser835._trn_segment,
    "CUR": Parser835._cur_segment, "N1": Parser835._n1_segment, "N3": Parser835._n3_segment,
    "N4": Parser835._n4_segment, "PER": Parser835._per_segment, "RDM": Parser835._rdm_segment,
    "MOA": Parser835._moa_segment, "PLB": Parser835._plb_segment,
}
_KNOWN_SEGMENTS = frozenset(_HANDLERS) | _SERVICE_SEGMENTS | {"CLP", "NM1", "LX", "TS3", "TS2", "MIA", "QTY"}


def _parse_all(data: bytes, findings: list[Problem] | None, by_claim: bool) -> list:
    parser = Parser835()
    feed, close = (parser.feed_claims, parser.close_claims) if by_claim else (parser.feed, parser.close)
    out = feed(data)
    out += close()
    if findings is not None:
        findings.extend(parser.findings)
    return out


def _parse_path(path: str | PathLike[str], chunk_size: int, findings: list[Problem] | None,
                by_claim: bool) -> Iterator:
    parser = Parser835()
    feed, close = (parser.feed_claims, parser.close_claims) if by_claim else (parser.feed, parser.close)
    with open(path, "rb") as f:
        try:
            while chunk := f.read(chunk_size):
                yield from feed(chunk)
            yield from close()
        finally:
            if findings is not None:
                findings.extend(parser.findings)


def parse_835(data: bytes, findings: list[Problem] | None = None) -> list[Remittance]:
    """Every remittance in ``data`` (for tests and small files; streams use :class:`Parser835`)."""
    return _parse_all(data, findings, by_claim=False)


def parse_835_file(path: str | PathLike[str], *, chunk_size: int = CHUNK_SIZE,
                   findings: list[Problem] | None = None) -> Iterator[Remittance]:
    """Remittances of an 835 file, one ST/SE at a time, reading ``chunk_size`` bytes at a time.

    Envelope-level findings (GE/IEA counts and control numbers) are appended to ``findings``
    when a list is given; a transaction's own findings are in its ``Remittance.findings``.
    """
    return _parse_path(path, chunk_size, findings, by_claim=False)


def parse_835_claims(data: bytes, findings: list[Problem] | None = None) -> list[RemittanceClaim | RemittanceEnd]:
    """:func:`parse_835`, claim by claim (see :meth:`Parser835.feed_claims`)."""
    return _parse_all(data, findings, by_claim=True)


def iter_835_claims(path: str | PathLike[str], *, chunk_size: int = CHUNK_SIZE,
                    findings: list[Problem] | None = None) -> Iterator[RemittanceClaim | RemittanceEnd]:
    """:func:`parse_835_file`, claim by claim: memory is bounded by one claim (and one chunk),
    not by the largest ST/SE. Yields a :class:`RemittanceClaim` per CLP loop and a
    :class:`RemittanceEnd` per SE (see :meth:`Parser835.feed_claims`)."""
    return _parse_path(path, chunk_size, findings, by_claim=True)
