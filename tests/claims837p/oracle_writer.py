"""The pure-Python 837P writer that ``sdohedi.claims837p.write_837p`` (Rust) replaced, kept as
the oracle of the differential tests: the new writer must give the same bytes, and refuse the
same claims with the same rule and message. Frozen: do not change its output.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from sdohedi.claims837p.writer import EnvelopeInfo, WriteResult
from sdohedi.models.claim import Address, BillingProvider, Claim, Patient, Payer, Receiver, RenderingProvider, Subscriber, Submitter
from sdohedi.x12 import Interchange, X12ValueError

VERSION = "005010X222A1"
MAX_CLAIMS_PER_TRANSACTION = 5000
MAX_CLAIMS_PER_SUBSCRIBER_HL = 100
# Printable ASCII only. A "~" or newline inside a value also changes the segment count,
# which the caller checks, so this simple class is enough (and cheap on the hot path).
_UNSAFE = re.compile(r"[^ -~\n]")
_AMOUNTS: dict[Decimal, str] = {}


def format_amount(value: Decimal) -> str:
    """X12 'R' type: no exponent, no trailing zeros after the decimal point."""
    text = _AMOUNTS.get(value)
    if text is None:
        text = f"{value:f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        text = text or "0"
        if len(_AMOUNTS) < 65536:  # charges and units repeat a lot; keep the cache bounded
            _AMOUNTS[value] = text
    return text


_DATES: dict[dt.date, str] = {}
_POINTERS: dict[tuple[int, ...], str] = {}


def _date(d: dt.date) -> str:
    text = _DATES.get(d)
    if text is None:
        text = d.isoformat().replace("-", "")
        if len(_DATES) < 65536:  # service dates repeat a lot; keep the cache bounded
            _DATES[d] = text
    return text


def _pointers(pointers: tuple[int, ...]) -> str:
    text = _POINTERS.get(pointers)
    if text is None:
        text = _POINTERS[pointers] = ":".join(map(str, pointers))  # at most 12*11*10*9 tuples
    return text


def _address(a: Address | None) -> str:
    if a is None:
        return ""
    n3 = f"N3*{a.line1}*{a.line2}~\n" if a.line2 else f"N3*{a.line1}~\n"
    return f"{n3}N4*{a.city}*{a.state}*{a.zip}~\n"


def _billing_provider_block(bp: BillingProvider, hl: int) -> str:
    out = f"HL*{hl}**20*1~\n"
    if bp.taxonomy:
        out += f"PRV*BI*PXC*{bp.taxonomy}~\n"
    out += _provider_name("85", bp)
    out += _address(bp.address)
    out += f"REF*{bp.tax_id_qualifier}*{bp.tax_id}~\n"
    return out


def _provider_name(qualifier: str, p: BillingProvider | RenderingProvider) -> str:
    """NM1 of a provider: person (NM103 last, NM104 first) or organization, then XX/NPI when known."""
    if p.entity_type == "1":
        nm1 = f"NM1*{qualifier}*1*{p.name}*{p.first_name or ''}"
        return nm1 + f"****XX*{p.npi}~\n" if p.npi else nm1.rstrip("*") + "~\n"
    nm1 = f"NM1*{qualifier}*2*{p.name}"
    return nm1 + f"*****XX*{p.npi}~\n" if p.npi else nm1 + "~\n"


def _person_name(qualifier: str, p) -> str:
    """NM101..NM104; NM104 stays as an (empty) position so later elements keep their place."""
    return f"NM1*{qualifier}*1*{p.last_name}*{p.first_name or ''}"


def _subscriber_block(bp: BillingProvider, sub: Subscriber, patient: Patient | None, payer: Payer,
                      hl: int, parent: int) -> tuple[str, int]:
    """HL 22 (and HL 23 when the patient is someone else). Returns text and HLs used."""
    child = "1" if patient else "0"
    rel = "" if patient else "18"
    out = (f"HL*{hl}*{parent}*22*{child}~\n"
           f"SBR*{sub.payer_responsibility}*{rel}*******{payer.claim_filing_indicator}~\n"
           f"{_person_name('IL', sub)}****MI*{sub.member_id}~\n")
    out += _address(sub.address)
    if sub.birth_date is not None:  # situational when the patient is someone else
        out += f"DMG*D8*{_date(sub.birth_date)}*{sub.sex}~\n"
    out += f"NM1*PR*2*{payer.name}*****{payer.payer_id_qualifier}*{payer.payer_id}~\n"
    if bp.payer_assigned_id:
        out += f"REF*{bp.payer_assigned_id_qualifier}*{bp.payer_assigned_id}~\n"
    if patient is None:
        return out, 1
    out += (f"HL*{hl + 1}*{hl}*23*0~\n"
            f"PAT*{patient.relationship}~\n"
            f"{_person_name('QC', patient).rstrip('*')}~\n")
    out += _address(patient.address)
    out += f"DMG*D8*{_date(patient.birth_date)}*{patient.sex}~\n"
    return out, 2


def _rendering_block(rp: RenderingProvider) -> str:
    """2310B, or 2420A on a line: NM1*82, PRV*PE when the taxonomy is known, REF secondary id."""
    out = _provider_name("82", rp)
    if rp.taxonomy:
        out += f"PRV*PE*PXC*{rp.taxonomy}~\n"
    if rp.secondary_id:
        out += f"REF*{rp.secondary_id_qualifier}*{rp.secondary_id}~\n"
    return out


def _locations(pickup: Address | None, dropoff: Address | None) -> str:
    """2310E/2310F (or 2420G/2420H on a line): NM1*PW pick-up and NM1*45 drop-off, each an
    organization (NM102 2) with no name or id (NM103-NM109 are not used for PW; the drop-off
    name is situational and the models keep none), then the location's N3/N4.

    No CR1 (ambulance transport information) goes with them: the TR3 requires CR1 "on all
    claims involving ambulance transport services", where 2310E/F are required for "ambulance
    or non-emergency transportation". The transport codes we bill (T2003, S0215, A0080-A0160:
    taxi, bus, van, volunteer or case-worker vehicle and their mileage) are non-emergency
    transportation, not ambulance (A0225-A0999), and CR1's required CR104 (reason for an
    ambulance transport, A-E) would have to be made up; "if not required, do not send"."""
    out = f"NM1*PW*2~\n{_address(pickup)}" if pickup is not None else ""
    if dropoff is not None:
        out += f"NM1*45*2~\n{_address(dropoff)}"
    return out


def _claim_block(c: Claim, rendering: str) -> tuple[str, int]:
    """The claim's segments and how many there are (the caller checks the count: a value
    holding a terminator would change it)."""
    dx = c.diagnoses
    if c.diagnosis_code_qualifier == "ABK":
        hi = "HI*ABK:" + dx[0]
        for code in dx[1:]:
            hi += "*ABF:" + code
    else:
        hi = "HI*BK:" + dx[0]
        for code in dx[1:]:
            hi += "*BF:" + code
    out = (f"CLM*{c.claim_id}*{format_amount(c.total_charge)}***{c.place_of_service}:B:{c.frequency}"
           f"*{c.provider_signature}*{c.assignment_participation}*{c.benefits_assignment}*{c.release_of_information}~\n")
    segments = 2 + rendering.count("~")
    if c.prior_authorization:
        out += f"REF*G1*{c.prior_authorization}~\n"
        segments += 1
    if c.payer_claim_number:
        out += f"REF*F8*{c.payer_claim_number}~\n"
        segments += 1
    out += hi + "~\n" + rendering
    if c.pickup is not None or c.dropoff is not None:
        locations = _locations(c.pickup, c.dropoff)
        out += locations
        segments += 3 * ((c.pickup is not None) + (c.dropoff is not None))  # NM1, N3, N4 each
    parts = [out]
    last_rp = None
    line_rendering = ""
    for n, ln in enumerate(c.lines, 1):
        proc = ln.procedure_code
        if ln.modifiers:
            proc += ":" + ":".join(ln.modifiers)
        ptr = _pointers(ln.diagnosis_pointers)
        pos = ln.place_of_service or ""
        end = ln.service_date_end
        dtp = (f"DTP*472*RD8*{_date(ln.service_date)}-{_date(end)}" if end and end != ln.service_date
               else f"DTP*472*D8*{_date(ln.service_date)}")
        text = (f"LX*{n}~\nSV1*HC:{proc}*{format_amount(ln.charge)}*{ln.unit_basis}*{format_amount(ln.units)}*{pos}**"
                f"{ptr}~\n{dtp}~\n")
        segments += 3
        if ln.line_control_number is not None:
            text += f"REF*6R*{ln.line_control_number}~\n"
            segments += 1
        rp = ln.rendering_provider
        if rp is not None:
            if rp is not last_rp:
                line_rendering = _rendering_block(rp)
                last_rp = rp
            text += line_rendering
            segments += line_rendering.count("~")
        if ln.pickup is not None or ln.dropoff is not None:
            locations = _locations(ln.pickup, ln.dropoff)
            text += locations
            segments += 3 * ((ln.pickup is not None) + (ln.dropoff is not None))
        parts.append(text)
    return "".join(parts), segments


def _check_block(text: str, what: str) -> None:
    """Defence in depth for models built with model_construct (which skips validation)."""
    if _UNSAFE.search(text) or text.count("~") != text.count("\n") or "~~" in text:
        raise X12ValueError(f"{what} holds a character outside printable ASCII or a segment terminator inside a value",
                            rule="invalid-character")


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
    0001, 0002, ... within the group (unique within the group, as the TR3 requires).
    """
    if not 1 <= max_claims_per_transaction <= MAX_CLAIMS_PER_TRANSACTION:
        raise ValueError("max_claims_per_transaction must be 1..5000")
    if transaction_type not in ("CH", "RP"):
        raise ValueError("transaction_type (BHT06) must be CH or RP")
    ic = Interchange(
        write, sender_id=envelope.sender_id, receiver_id=envelope.receiver_id,
        sender_qualifier=envelope.sender_qualifier, receiver_qualifier=envelope.receiver_qualifier,
        control_number=interchange_control_number, usage=envelope.usage, timestamp=timestamp,
    )
    ts = ic.timestamp
    group = ic.group("HC", envelope.application_sender or envelope.sender_id,
                     envelope.application_receiver or envelope.receiver_id, group_control_number, VERSION)
    result = WriteResult(interchange_control_number, group_control_number)
    w = ic.writer
    header_tail = (f"*{_date(ts.date())}*{ts.strftime('%H%M')}*{transaction_type}~\n")
    per = ""
    if submitter.contact_name or submitter.phone or submitter.email:
        per = f"PER*IC*{submitter.contact_name or ''}"
        if submitter.phone:
            per += f"*TE*{submitter.phone}"
        if submitter.email:
            per += f"*EM*{submitter.email}"
        per += "~\n"
    parties = (f"NM1*41*2*{submitter.name}*****46*{submitter.id}~\n{per}"
               f"NM1*40*2*{receiver.name}*****46*{receiver.id}~\n")
    _check_block(parties, "submitter/receiver")

    tx = None
    claims_in_tx = 0
    claims_in_sub = 0
    hl = 0
    bp_hl = 0
    sub_hl = 0
    last_bp = last_sub = last_pat = last_payer = last_rp = None
    rendering = ""
    total = Decimal(0)
    n_claims = n_lines = 0

    for claim in claims:
        if claim.deviations:
            raise X12ValueError(f"claim #{n_claims + 1} was read leniently and breaks {', '.join(claim.deviations)}:"
                                " it cannot be written", rule="lenient-claim", segment="CLM")
        if tx is None or claims_in_tx >= max_claims_per_transaction:
            if tx is not None:
                tx.close()
            tx = group.transaction("837", len(result.transaction_control_numbers) + 1)
            result.transaction_control_numbers.append(tx.control_number)
            bht = f"BHT*0019*00*{interchange_control_number}{tx.control_number}{header_tail}"
            w.raw(bht + parties, 1 + parties.count("~"))
            claims_in_tx = 0
            hl = 0
            last_bp = last_sub = None
        bp = claim.billing_provider
        if last_bp is None or (bp is not last_bp and bp != last_bp):
            hl += 1
            bp_hl = hl
            block = _billing_provider_block(bp, hl)
            _check_block(block, "billing provider")
            w.raw(block, block.count("~"))
            last_bp = bp
            last_sub = None
        sub, pat, payer = claim.subscriber, claim.patient, claim.payer
        if (last_sub is None or claims_in_sub >= MAX_CLAIMS_PER_SUBSCRIBER_HL
                or not (sub is last_sub or sub == last_sub) or not (pat is last_pat or pat == last_pat)
                or not (payer is last_payer or payer == last_payer)):
            block, used = _subscriber_block(bp, sub, pat, payer, hl + 1, bp_hl)
            hl += used
            sub_hl = hl
            _check_block(block, "subscriber/patient")
            w.raw(block, block.count("~"))
            last_sub, last_pat, last_payer = sub, pat, payer
            claims_in_sub = 0
        rp = claim.rendering_provider
        if rp is not last_rp:
            rendering = _rendering_block(rp) if rp is not None else ""
            last_rp = rp
        block, expected = _claim_block(claim, rendering)
        nseg = block.count("~")
        if _UNSAFE.search(block) or block.count("\n") != nseg or nseg != expected:
            _check_block(block, f"claim #{n_claims + 1}")
            raise X12ValueError(f"claim #{n_claims + 1} holds a segment terminator inside a value",
                                rule="delimiter-in-value", segment="CLM")
        w.raw(block, nseg)
        claims_in_tx += 1
        claims_in_sub += 1
        n_claims += 1
        n_lines += len(claim.lines)
        total += claim.total_charge
    del sub_hl
    if tx is not None:
        tx.close()
    group.close()
    ic.close()
    result.claims = n_claims
    result.lines = n_lines
    result.total_charge = total
    result.segments = w.count
    return result
