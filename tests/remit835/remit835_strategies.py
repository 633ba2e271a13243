"""Hypothesis strategies for valid, balanced 835 remittances (005010X221A1 code lists).

Every remittance drawn here balances (lines, claims, BPR02) and is in TR3 order, so writing
it must pass pyx12 and reading it back must give it back. Optional text is None, never "",
because an empty element reads back as absent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from hypothesis import strategies as st

from sdohedi.models.remit import (
    Address, Adjustment, ClaimPayment, Communication, Contact, OutpatientAdjudication, PartyName, Payee, Payer,
    ProcedureId, ProviderAdjustment, QualifiedAmount, QualifiedDate, QualifiedQuantity, Reference, Remark, Remittance,
    ServicePayment,
)

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
# Printable ASCII without the delimiters * : ^ ~ (what payers put in names).
TEXT_CHARS = "".join(c for c in map(chr, range(0x20, 0x7F)) if c not in "*:^~")
ENVELOPE = dict(sender_id="CASCADEHP", receiver_id="HARBORNLE", interchange_control_number=4242,
                group_control_number=77)


@cache  # one strategy object per shape: building strategies inside composites is slow
def text(min_size=1, max_size=20):
    return (st.text(TEXT_CHARS, min_size=min_size, max_size=max_size).map(str.strip)
            .filter(lambda s: len(s) >= min_size))


@cache
def code(alphabet=UPPER + DIGITS, min_size=2, max_size=12):
    return st.text(alphabet, min_size=min_size, max_size=max_size)


def maybe(strategy):
    return st.none() | strategy


dates = st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31))
cents = st.integers(0, 500_000).map(lambda c: Decimal(c).scaleb(-2))
small_cents = st.integers(1, 5_000).map(lambda c: Decimal(c).scaleb(-2))
quantities = st.integers(1, 400).map(lambda q: Decimal(q).scaleb(-1))
CARCS = ["1", "2", "3", "16", "18", "22", "23", "45", "96", "97", "119", "131", "197", "204", "A1", "B7"]
RARCS = ["N290", "M53", "N54", "N362", "MA130", "N95", "MA01"]
PLB_REASONS = ["WO", "FB", "72", "L6", "CS", "J1", "IR", "E3", "50", "51", "90", "AH"]

addresses = st.builds(Address, line1=text(1, 30), line2=maybe(text(1, 20)), city=text(2, 20),
                      state=st.sampled_from(["OR", "CA", "NY", "TX", "WA"]),
                      postal_code=st.from_regex(r"\A[0-9]{5}([0-9]{4})?\Z"))
phones = st.from_regex(r"\A[0-9]{10}\Z")


@st.composite
def payers(draw):
    contacts = []
    if draw(st.booleans()):
        contacts.append(Contact(function="CX", name=draw(maybe(text(1, 20))),
                                communications=[Communication(qualifier="TE", number=draw(phones))]))
    bl = [Communication(qualifier="TE", number=draw(phones))]
    if draw(st.booleans()):
        bl.append(Communication(qualifier="EM", number=draw(code(UPPER, 3, 10)) + "@PLAN.EXAMPLE"))
    contacts.append(Contact(function="BL", name=draw(maybe(text(1, 20))), communications=bl))
    if draw(st.booleans()):
        contacts.append(Contact(function="IC", communications=[Communication(qualifier="UR",
                                                                             number="WWW.PLAN.EXAMPLE/EDI")]))
    has_id = draw(st.booleans())
    return Payer(
        name=draw(text(1, 40)), id_qualifier="XV" if has_id else None, id=draw(code()) if has_id else None,
        address=draw(addresses),
        references=draw(st.lists(st.builds(Reference, qualifier=st.sampled_from(["2U", "EO", "HI", "NF"]),
                                           value=code()), max_size=2)),
        contacts=contacts,
    )


@st.composite
def payees(draw):
    qualifier = draw(st.sampled_from(["XX", "FI", "XV"]))
    ident = {"XX": "1234567893", "FI": "931234567"}.get(qualifier) or draw(code())
    method = draw(maybe(st.sampled_from(["BM", "EM", "FT", "OL"])))
    return Payee(
        name=draw(text(1, 40)), id_qualifier=qualifier, id=ident, address=draw(maybe(addresses)),
        references=draw(st.lists(st.builds(Reference, qualifier=st.sampled_from(["TJ", "PQ", "0B", "D3"]),
                                           value=code()), max_size=2)),
        delivery_method=method, delivery_name=draw(maybe(text(1, 20))) if method else None,
        delivery_communication=draw(maybe(code(UPPER, 3, 20))) if method else None,
    )


def person(entity_code, id_qualifiers, entity_types=("1",)):
    return st.builds(
        PartyName, entity_code=st.just(entity_code), entity_type=st.sampled_from(entity_types),
        last_name=text(1, 30), first_name=maybe(text(1, 15)), middle_name=maybe(code(UPPER, 1, 1)),
        suffix=maybe(st.sampled_from(["JR", "SR", "III"])), id_qualifier=st.sampled_from(id_qualifiers),
        identifier=code(),
    )


def adjustments_for(draw, total: Decimal, max_items: int = 3) -> list[Adjustment]:
    """Adjustments whose amounts add up to at most ``total`` (some may be negative)."""
    out = []
    left = total
    for _ in range(draw(st.integers(0, max_items))):
        if left <= 0 and draw(st.booleans()):
            break
        amount = draw(st.integers(0, int(left * 100)).map(lambda c: Decimal(c).scaleb(-2))) if left > 0 else \
            Decimal(0)
        if draw(st.integers(0, 9)) == 0:
            amount = -draw(small_cents)  # e.g. OA-94: the payer paid more than the fee schedule
        out.append(Adjustment(group=draw(st.sampled_from(["CO", "OA", "PI", "PR"])),
                              reason=draw(st.sampled_from(CARCS)), amount=amount,
                              quantity=draw(maybe(quantities))))
        left -= amount
    return out


SERVICE_REFERENCES = st.lists(st.builds(Reference, qualifier=st.sampled_from(["1S", "G1", "0K", "G2", "LU"]),
                                        value=code()), max_size=3)
SERVICE_AMOUNTS = st.lists(st.builds(QualifiedAmount, qualifier=st.sampled_from(["KH", "T", "ZK"]), amount=cents),
                           max_size=2)
SERVICE_QUANTITIES = st.lists(st.builds(QualifiedQuantity, qualifier=st.sampled_from(["ZK", "ZL"]),
                                        quantity=quantities), max_size=1)
REMARKS = st.lists(st.builds(Remark, code=st.sampled_from(RARCS)), max_size=3)
ORIGINAL_PROCEDURES = maybe(st.builds(ProcedureId, qualifier=st.just("HC"), code=st.just("S5170"),
                                      modifiers=st.lists(st.just("U6"), max_size=1)))
MODIFIERS = st.lists(st.sampled_from(["U6", "U8", "GQ", "HN", "95"]), max_size=4, unique=True)
PATIENTS = person("QC", ["MI", "34", "HN"])
INSUREDS = maybe(person("IL", ["MI", "II"], ("1", "2")))
CORRECTED = maybe(st.builds(PartyName, entity_code=st.just("74"), entity_type=st.just("1"), last_name=text(1, 20),
                            first_name=maybe(text(1, 10))))
RENDERING = maybe(st.builds(PartyName, entity_code=st.just("82"), entity_type=st.just("2"), last_name=text(1, 30),
                            id_qualifier=st.just("XX"), identifier=st.just("1245319599")))
CROSSOVER = maybe(st.builds(PartyName, entity_code=st.just("TT"), entity_type=st.just("2"), last_name=text(1, 30),
                            id_qualifier=st.just("PI"), identifier=code()))
OUTPATIENT = maybe(st.builds(OutpatientAdjudication, reimbursement_rate=maybe(st.just(Decimal("0.8"))),
                             remark_codes=st.lists(st.sampled_from(["MA130", "MA01", "N290"]), min_size=1, max_size=3)))
CLAIM_REFERENCES = st.lists(st.builds(Reference, qualifier=st.sampled_from(["F8", "1W", "G1", "G2", "0B"]),
                                      value=code()), max_size=3)
CLAIM_AMOUNTS = st.lists(st.builds(QualifiedAmount, qualifier=st.sampled_from(["AU", "I", "T"]), amount=cents),
                         max_size=2)
CLAIM_QUANTITIES = st.lists(st.builds(QualifiedQuantity, qualifier=st.sampled_from(["CA", "NE"]),
                                      quantity=quantities), max_size=1)


@st.composite
def services(draw, n: int):
    charge = draw(cents)
    adjustments = adjustments_for(draw, charge)
    paid = charge - sum((a.amount for a in adjustments), Decimal(0))
    one_day = draw(st.booleans())
    start = draw(dates)
    line_control = draw(maybe(code()))
    return ServicePayment(
        qualifier="HC", procedure_code=draw(st.sampled_from(["S5170", "T1016", "T2003", "H0043", "99211"])),
        modifiers=draw(MODIFIERS),
        charge=charge, paid=paid, revenue_code=draw(maybe(st.sampled_from(["0100", "0300"]))),
        units=draw(st.integers(1, 12).map(Decimal)),
        original_procedure=draw(ORIGINAL_PROCEDURES),
        original_units=draw(maybe(st.integers(1, 9).map(Decimal))),
        service_date=start if one_day else None,
        service_start=None if one_day else start,
        service_end=None if one_day else start + dt.timedelta(days=draw(st.integers(0, 30))),
        adjustments=adjustments,
        line_control_number=f"L{n}-{line_control}" if line_control else None,
        references=sorted(draw(SERVICE_REFERENCES), key=lambda r: {"0K": 3, "G2": 2}.get(r.qualifier, 0)),
        allowed_amount=draw(maybe(cents)),
        amounts=draw(SERVICE_AMOUNTS),
        quantities=draw(SERVICE_QUANTITIES),
        remarks=draw(REMARKS),
    )


CLAIM_DATE_QUALIFIERS = st.lists(st.sampled_from(["232", "233", "050"]), max_size=3, unique=True)


@st.composite
def claims(draw, header_number: str):
    lines = [draw(services(i)) for i in range(draw(st.integers(0, 4)))]
    line_charge = sum((s.charge for s in lines), Decimal(0))
    line_paid = sum((s.paid for s in lines), Decimal(0))
    extra = draw(cents) if not lines else Decimal(0)  # a claim without lines has only claim-level money
    claim_adjustments = adjustments_for(draw, line_paid + extra, 2)
    charge = line_charge + extra
    paid = line_paid + extra - sum((a.amount for a in claim_adjustments), Decimal(0))
    dated = sorted(draw(CLAIM_DATE_QUALIFIERS), key=["232", "233", "050"].index)
    return ClaimPayment(
        claim_id=draw(code(UPPER + DIGITS + "-", 1, 20)), status_code=draw(st.sampled_from(["1", "2", "3", "4", "19"])),
        charge=charge, paid=paid, patient_responsibility=draw(maybe(cents)),
        filing_indicator=draw(st.sampled_from(["MC", "HM", "CH", "12", "MB"])), payer_claim_number=draw(code()),
        facility_code=draw(maybe(st.sampled_from(["12", "11", "99"]))), frequency=draw(maybe(st.sampled_from("178"))),
        header_number=header_number, adjustments=claim_adjustments,
        patient=draw(PATIENTS), insured=draw(INSUREDS), corrected_insured=draw(CORRECTED),
        rendering_provider=draw(RENDERING), crossover_carrier=draw(CROSSOVER), outpatient=draw(OUTPATIENT),
        references=sorted(draw(CLAIM_REFERENCES), key=lambda r: 1 if r.qualifier in ("G2", "0B") else 0),
        dates=[QualifiedDate(qualifier=q, date=draw(dates)) for q in dated],
        amounts=draw(CLAIM_AMOUNTS), quantities=draw(CLAIM_QUANTITIES),
        services=lines,
    )


@st.composite
def remittances(draw, max_claims: int = 4, index: int = 1):
    claim_list = []
    for lx in range(1, draw(st.integers(1, 2)) + 1):
        claim_list += [draw(claims(str(lx))) for _ in range(draw(st.integers(0 if lx > 1 else 1, max_claims)))]
    paid = sum((c.paid for c in claim_list), Decimal(0))
    plbs = []
    provider = draw(code(DIGITS, 10, 10))
    fiscal = draw(dates)
    for _ in range(draw(st.integers(0, 6))):  # one PLB segment (pyx12 misreports two, see MEASUREMENTS.md)
        amount = -draw(small_cents) if draw(st.booleans()) else draw(small_cents)
        plbs.append(ProviderAdjustment(provider_id=provider, fiscal_period_date=fiscal,
                                       reason=draw(st.sampled_from(PLB_REASONS)),
                                       reference_id=draw(maybe(code())), amount=amount))
    total = paid - sum((p.amount for p in plbs), Decimal(0))
    ach = draw(st.booleans())
    bank = dict(payment_format=draw(st.sampled_from(["CCP", "CTX"])), sender_dfi_qualifier="01",
                sender_dfi_id=draw(code(DIGITS, 9, 9)), sender_account_qualifier="DA",
                sender_account_number=draw(code(DIGITS, 4, 12)), originator_id="1" + draw(code(DIGITS, 9, 9)),
                originator_supplemental_code=draw(maybe(code(DIGITS, 9, 9))), receiver_dfi_qualifier="01",
                receiver_dfi_id=draw(code(DIGITS, 9, 9)), receiver_account_qualifier=draw(st.sampled_from(["DA", "SG"])),
                receiver_account_number=draw(code(DIGITS, 4, 12))) if ach else {}
    return Remittance(
        interchange_control_number=f"{ENVELOPE['interchange_control_number']:09d}",
        interchange_sender_id=ENVELOPE["sender_id"], interchange_receiver_id=ENVELOPE["receiver_id"],
        group_control_number=str(ENVELOPE["group_control_number"]), application_sender=ENVELOPE["sender_id"],
        application_receiver=ENVELOPE["receiver_id"], version="005010X221A1",
        transaction_control_number=f"{index:04d}",
        handling_code="I" if total else "H", total_payment=abs(total), credit_debit="C" if total >= 0 else "D",
        payment_method=("ACH" if ach else draw(st.sampled_from(["CHK", "NON"]))), **bank,
        payment_date=draw(dates), trace_number=draw(code(UPPER + DIGITS, 1, 30)),
        trace_payer_id="1" + draw(code(DIGITS, 9, 9)), trace_supplemental_id=draw(maybe(code())),
        references=[Reference(qualifier="EV", value="HARBORNLE")] if draw(st.booleans()) else [],
        production_date=draw(maybe(dates)), payer=draw(payers()), payee=draw(payees()),
        claims=claim_list, provider_adjustments=plbs,
    )


@st.composite
def remittance_batches(draw, max_size: int = 3):
    """Remittances as one write_835 call numbers them (ST02 0001, 0002, ...)."""
    return [draw(remittances(index=i)) for i in range(1, draw(st.integers(1, max_size)) + 1)]
