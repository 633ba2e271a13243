"""835 (005010X221A1) writer: the mirror image of the parser.

``write_835(remittances, write, ...)`` writes one interchange with one HP functional group and
one ST/SE per :class:`Remittance`, in the segment order of the TR3. Output goes to ``write``
one segment at a time, so memory does not grow with the number of remittances. Trailer counts
(SE01, GE01, IEA01) and ST02 (0001, 0002, ... within the group) are computed; the envelope
fields a remittance carries (its ISA13, GS06, ST02...) describe where it was read and are not
written. Every element is checked by :class:`sdohedi.x12.SegmentWriter`: a value holding a
delimiter or a non-ASCII character raises :class:`X12ValueError` naming segment and element.

Expanded adjustments are packed back: consecutive :class:`Adjustment` objects with the same
group share a CAS segment (up to six triplets), consecutive :class:`ProviderAdjustment` objects
with the same provider and fiscal date share a PLB segment (up to six pairs). Parsing the
output therefore gives back equal remittances (``parse(write(x)) == x``) when ``x`` is in TR3
order (qualifiers ordered as below), which the writer also enforces by sorting.

Also: a claim without ``header_number`` goes under ``LX*1``; SVC05 is left out when the units
are 1 (the TR3's default); an MOA with nothing in it is not written; ST03 is not written (Not
Used in X221A1). What the TR3 requires and a model may lack (payer N3/N4 and PER*BL, CLP06,
CLP07, NM1*QC) raises :class:`X12ValueError` with rule ``segment-missing``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from ..models.remit import (
    Adjustment, ClaimPayment, PartyName, ProcedureId, ProviderAdjustment, Reference, Remittance, ServicePayment,
)
from ..x12 import DEFAULT_DELIMITERS, Delimiters, Interchange, X12ValueError

VERSION = "005010X221A1"
MAX_PER_SEGMENT = 6  # CAS triplets, PLB pairs

# Repeated segments in the order the TR3 lists their variants (unknown qualifiers last).
_HEADER_REF_ORDER = {"EV": 0, "F2": 1}
_CONTACT_ORDER = {"CX": 0, "BL": 1, "IC": 2}
_CLAIM_REF_ORDER = {q: 0 for q in ("1L", "1W", "28", "6P", "9A", "9C", "BB", "CE", "EA", "F8", "G1", "G3", "IG",
                                   "SY")} | {q: 1 for q in ("0B", "1A", "1B", "1C", "1D", "1G", "1H", "1J", "D3",
                                                           "G2", "LU")}
_CLAIM_DATE_ORDER = {"232": 0, "233": 1, "036": 2, "050": 3}
_SERVICE_REF_ORDER = {q: 0 for q in ("1S", "APC", "BB", "E9", "G1", "G3", "LU", "RB")} | {
    q: 2 for q in ("0B", "1A", "1B", "1C", "1D", "1G", "1H", "1J", "D3", "G2", "HPI", "SY", "TJ")} | {"6R": 1, "0K": 3}
_NAME_FIELDS = ("patient", "insured", "corrected_insured", "rendering_provider", "crossover_carrier",
                "corrected_priority_payer", "other_subscriber")


def format_amount(value: Decimal) -> str:
    """X12 'R': no exponent, no trailing zeros after the decimal point, no '-0'."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("", "-0", "-"):
        return "0"
    return text


def _date(day: dt.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _opt(value: str | None) -> str:
    return value if value is not None else ""


def _opt_amount(value: Decimal | None) -> str:
    return format_amount(value) if value is not None else ""


def _required(condition: object, what: str, segment: str) -> None:
    if not condition:
        raise X12ValueError(f"{what} is required by 005010X221A1", rule="segment-missing", segment=segment)


@dataclass
class WriteResult835:
    interchange_control_number: int
    group_control_number: int
    transaction_control_numbers: list[str] = field(default_factory=list)
    claims: int = 0
    service_lines: int = 0
    segments: int = 0
    total_payment: Decimal = Decimal(0)  # sum of BPR02 (credits minus debits)


class _TransactionWriter:
    """Writes the body of one ST/SE."""

    def __init__(self, segment: Callable[..., None]) -> None:
        self.seg = segment

    def references(self, refs: Sequence[Reference], order: dict[str, int]) -> None:
        for ref in sorted(refs, key=lambda r: order.get(r.qualifier, len(order) + 9)):
            self.seg("REF", ref.qualifier, ref.value)

    def adjustments(self, adjustments: Sequence[Adjustment]) -> None:
        for group, same_group in groupby(adjustments, key=lambda a: a.group):
            batch = list(same_group)
            for start in range(0, len(batch), MAX_PER_SEGMENT):
                elements = [group]
                for adj in batch[start:start + MAX_PER_SEGMENT]:
                    elements += [adj.reason, format_amount(adj.amount), _opt_amount(adj.quantity)]
                self.seg("CAS", *elements)

    def name(self, party: PartyName) -> None:
        self.seg("NM1", party.entity_code, party.entity_type, _opt(party.last_name), _opt(party.first_name),
                 _opt(party.middle_name), "", _opt(party.suffix), _opt(party.id_qualifier), _opt(party.identifier))

    @staticmethod
    def procedure(qualifier: str, code: str, modifiers: Sequence[str]) -> list[str]:
        if len(modifiers) > 4:
            raise X12ValueError("a procedure takes at most 4 modifiers", rule="modifier-count", segment="SVC")
        return [qualifier, code, *modifiers]

    def header(self, r: Remittance) -> None:
        seg = self.seg
        seg("BPR", r.handling_code, format_amount(r.total_payment), r.credit_debit, r.payment_method,
            _opt(r.payment_format), _opt(r.sender_dfi_qualifier), _opt(r.sender_dfi_id),
            _opt(r.sender_account_qualifier), _opt(r.sender_account_number), _opt(r.originator_id),
            _opt(r.originator_supplemental_code), _opt(r.receiver_dfi_qualifier), _opt(r.receiver_dfi_id),
            _opt(r.receiver_account_qualifier), _opt(r.receiver_account_number), _date(r.payment_date))
        seg("TRN", r.trace_type, r.trace_number, r.trace_payer_id, _opt(r.trace_supplemental_id))
        if r.currency:
            seg("CUR", "PR", r.currency)
        self.references(r.references, _HEADER_REF_ORDER)
        if r.production_date:
            seg("DTM", "405", _date(r.production_date))
        payer = r.payer
        seg("N1", "PR", payer.name, _opt(payer.id_qualifier), _opt(payer.id))
        _required(payer.address, "the payer address (1000A N3/N4)", "N3")
        _required(any(c.function == "BL" for c in payer.contacts), "a payer technical contact (PER*BL)", "PER")
        self.address(payer.address)
        self.references(payer.references, {})
        for contact in sorted(payer.contacts, key=lambda c: _CONTACT_ORDER.get(c.function, 9)):
            elements = [contact.function, _opt(contact.name)]
            for comm in contact.communications:
                elements += [comm.qualifier, comm.number]
            seg("PER", *elements)
        payee = r.payee
        seg("N1", "PE", payee.name, payee.id_qualifier, payee.id)
        if payee.address is not None:
            self.address(payee.address)
        self.references(payee.references, {})
        if payee.delivery_method:
            seg("RDM", payee.delivery_method, _opt(payee.delivery_name), _opt(payee.delivery_communication))

    def address(self, a) -> None:
        self.seg("N3", a.line1, _opt(a.line2))
        self.seg("N4", a.city, _opt(a.state), _opt(a.postal_code), _opt(a.country), "", "",
                 _opt(a.country_subdivision))

    def claim(self, c: ClaimPayment) -> None:
        seg = self.seg
        _required(c.filing_indicator and c.payer_claim_number, "CLP06 and CLP07", "CLP")
        _required(c.patient, "the patient name (NM1*QC)", "NM1")
        seg("CLP", c.claim_id, c.status_code, format_amount(c.charge), format_amount(c.paid),
            _opt_amount(c.patient_responsibility), _opt(c.filing_indicator), _opt(c.payer_claim_number),
            _opt(c.facility_code), _opt(c.frequency))
        self.adjustments(c.adjustments)
        for name_field in _NAME_FIELDS:
            party = getattr(c, name_field)
            if party is not None:
                self.name(party)
        moa = c.outpatient
        if moa is not None and any(v not in (None, []) for v in moa.__dict__.values()):  # an empty MOA says nothing
            codes = list(moa.remark_codes)
            if len(codes) > 5:
                raise X12ValueError("MOA holds at most 5 remark codes", rule="remark-count", segment="MOA")
            codes += [""] * (5 - len(codes))
            seg("MOA", _opt_amount(moa.reimbursement_rate), _opt_amount(moa.hcpcs_payable_amount), *codes,
                _opt_amount(moa.esrd_payment_amount), _opt_amount(moa.nonpayable_professional_amount))
        self.references(c.references, _CLAIM_REF_ORDER)
        for d in sorted(c.dates, key=lambda d: _CLAIM_DATE_ORDER.get(d.qualifier, 9)):
            seg("DTM", d.qualifier, _date(d.date))
        for a in c.amounts:
            seg("AMT", a.qualifier, format_amount(a.amount))
        for q in c.quantities:
            seg("QTY", q.qualifier, format_amount(q.quantity))
        for svc in c.services:
            self.service(svc)

    def service(self, s: ServicePayment) -> None:
        seg = self.seg
        original: list[str] | str = ""
        if s.original_procedure is not None:
            o: ProcedureId = s.original_procedure
            original = self.procedure(o.qualifier, o.code, o.modifiers)
        seg("SVC", self.procedure(s.qualifier, s.procedure_code, s.modifiers), format_amount(s.charge),
            format_amount(s.paid), _opt(s.revenue_code), "" if s.units == 1 else format_amount(s.units), original,
            _opt_amount(s.original_units))
        if s.service_start is not None:
            seg("DTM", "150", _date(s.service_start))
        if s.service_end is not None:
            seg("DTM", "151", _date(s.service_end))
        if s.service_date is not None:
            seg("DTM", "472", _date(s.service_date))
        self.adjustments(s.adjustments)
        refs = list(s.references)
        if s.line_control_number is not None:
            refs.append(Reference(qualifier="6R", value=s.line_control_number))
        self.references(refs, _SERVICE_REF_ORDER)
        if s.allowed_amount is not None:
            seg("AMT", "B6", format_amount(s.allowed_amount))
        for a in s.amounts:
            seg("AMT", a.qualifier, format_amount(a.amount))
        for q in s.quantities:
            seg("QTY", q.qualifier, format_amount(q.quantity))
        for remark in s.remarks:
            seg("LQ", remark.qualifier, remark.code)

    def provider_adjustments(self, plbs: Sequence[ProviderAdjustment]) -> None:
        for (provider, day), same in groupby(plbs, key=lambda p: (p.provider_id, p.fiscal_period_date)):
            batch = list(same)
            for start in range(0, len(batch), MAX_PER_SEGMENT):
                elements: list = [provider, _date(day)]
                for p in batch[start:start + MAX_PER_SEGMENT]:
                    elements += [[p.reason, _opt(p.reference_id)], format_amount(p.amount)]
                self.seg("PLB", *elements)


def write_835(
    remittances: Iterable[Remittance],
    write: Callable[[str], object],
    *,
    sender_id: str,
    receiver_id: str,
    interchange_control_number: int,
    group_control_number: int,
    sender_qualifier: str = "ZZ",
    receiver_qualifier: str = "ZZ",
    application_sender: str | None = None,
    application_receiver: str | None = None,
    usage: str = "P",
    timestamp: dt.datetime | None = None,
    delimiters: Delimiters = DEFAULT_DELIMITERS,
    newline: bool = True,
) -> WriteResult835:
    """Write ``remittances`` as one interchange (one HP group, one ST/SE each) to ``write``.

    The sender is the payer (or its clearinghouse), the receiver the payee. GS02/GS03 default
    to the ISA ids. The same remittances and arguments always give the same text.
    """
    ic = Interchange(write, sender_id=sender_id, receiver_id=receiver_id, sender_qualifier=sender_qualifier,
                     receiver_qualifier=receiver_qualifier, control_number=interchange_control_number, usage=usage,
                     timestamp=timestamp, delimiters=delimiters, newline=newline)
    group = ic.group("HP", application_sender or sender_id, application_receiver or receiver_id,
                     group_control_number, VERSION)
    result = WriteResult835(interchange_control_number, group_control_number)
    for n, remittance in enumerate(remittances, 1):
        tx = group.transaction("835", n, implementation_reference=False)  # ST03 is Not Used in X221A1
        body = _TransactionWriter(tx.segment)
        body.header(remittance)
        header_number = None
        for claim in remittance.claims:
            lx = claim.header_number or "1"
            if lx != header_number:
                tx.segment("LX", lx)
                header_number = lx
            body.claim(claim)
            result.claims += 1
            result.service_lines += len(claim.services)
        body.provider_adjustments(remittance.provider_adjustments)
        tx.close()
        result.transaction_control_numbers.append(tx.control_number)
        total = remittance.total_payment
        result.total_payment += -total if remittance.credit_debit == "D" else total
    group.close()
    ic.close()
    result.segments = ic.writer.count
    return result
