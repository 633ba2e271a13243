"""Hypothesis strategies for valid claims (used by writer and round-trip properties)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from sdohedi.models import (
    Address, BillingProvider, Claim, Patient, Payer, RenderingProvider, ServiceLine, Subscriber,
)

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Printable ASCII without * : ^ ~ ; names may hold punctuation payers see in real life.
TEXT_CHARS = "".join(c for c in map(chr, range(0x20, 0x7F)) if c not in "*:^~")


def text(min_size=1, max_size=20):
    return st.text(TEXT_CHARS, min_size=min_size, max_size=max_size).map(str.strip).filter(lambda s: len(s) >= min_size)


ids = st.text(UPPER + "0123456789-", min_size=2, max_size=15)
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
units = st.decimals(min_value=Decimal("1"), max_value=Decimal("96"), places=0)
dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 10, 31))
VALID_NPIS = ["1234567893", "1245319599", "1003000126", "1497758544"]

addresses = st.builds(Address, line1=text(1, 30), line2=st.none() | text(1, 20), city=text(2, 20),
                      state=st.sampled_from(["OR", "CA", "NY", "TX"]), zip=st.from_regex(r"\A[0-9]{5}([0-9]{4})?\Z"))
billing_providers = st.one_of(
    st.builds(BillingProvider, name=text(), npi=st.sampled_from(VALID_NPIS), tax_id=st.from_regex(r"\A[0-9]{9}\Z"),
              taxonomy=st.sampled_from([None, "251V00000X", "251B00000X"]),
              address=addresses.filter(lambda a: not a.line1.upper().replace(".", "").replace(" ", "").startswith(("POBOX", "LOCKBOX")))),
    st.builds(BillingProvider, name=text(), npi=st.none(), tax_id=st.from_regex(r"\A[0-9]{9}\Z"),
              payer_assigned_id=ids, address=addresses.filter(
                  lambda a: not a.line1.upper().replace(".", "").replace(" ", "").startswith(("POBOX", "LOCKBOX")))),
)
subscribers = st.builds(Subscriber, member_id=ids, last_name=text(), first_name=st.none() | text(1, 15),
                        birth_date=st.dates(dt.date(1920, 1, 1), dt.date(2020, 1, 1)), sex=st.sampled_from("MFU"),
                        address=st.none() | addresses)
patients = st.builds(Patient, last_name=text(), first_name=st.none() | text(1, 15),
                     birth_date=st.dates(dt.date(1920, 1, 1), dt.date(2020, 1, 1)), sex=st.sampled_from("MFU"),
                     address=addresses, relationship=st.sampled_from(["01", "19", "20", "21", "G8"]))
payers = st.builds(Payer, name=text(), payer_id=ids, claim_filing_indicator=st.sampled_from(["MC", "HM", "CI"]))
renderers = st.one_of(
    st.none(),
    st.builds(RenderingProvider, entity_type=st.just("2"), name=text(), npi=st.sampled_from(VALID_NPIS),
              taxonomy=st.sampled_from(["332U00000X", "343900000X", "251B00000X"]), secondary_id=st.none() | ids),
    st.builds(RenderingProvider, entity_type=st.just("1"), name=text(), first_name=text(1, 10),
              npi=st.none() | st.sampled_from(VALID_NPIS), taxonomy=st.just("172V00000X"), secondary_id=ids),
)
DX = ["Z5941", "Z5948", "Z5900", "Z59811", "Z5982", "Z59869", "Z602", "Z560", "Z554", "Z6372", "Z658", "Z5987"]


@st.composite
def claims(draw, claim_id=None):
    dx = tuple(draw(st.lists(st.sampled_from(DX), min_size=1, max_size=12, unique=True)))
    n = draw(st.integers(1, 8))
    # 2310E/2310F, and a line's own 2420G/2420H (only when it differs from the claim's)
    pickup, dropoff = draw(st.none() | st.none() | addresses), draw(st.none() | st.none() | addresses)
    lines = []
    for i in range(n):
        d = draw(dates)
        lines.append(ServiceLine(
            procedure_code=draw(st.sampled_from(["S5170", "T1016", "T2003", "S0215", "H0043"])),
            modifiers=tuple(draw(st.lists(st.sampled_from(["U6", "U1", "HN", "95", "GQ"]), max_size=4, unique=True))),
            charge=draw(money), units=draw(units), service_date=d,
            service_date_end=draw(st.none() | st.just(d + dt.timedelta(days=2))),
            diagnosis_pointers=tuple(draw(st.lists(st.integers(1, len(dx)), min_size=1, max_size=4, unique=True))),
            line_control_number=f"L{i}-" + draw(ids),
            pickup=draw(st.none() | st.none() | addresses.filter(lambda a: a != pickup)),
            dropoff=draw(st.none() | st.none() | addresses.filter(lambda a: a != dropoff)),
        ))
    freq = draw(st.sampled_from("178"))
    patient = draw(st.none() | patients)
    subscriber = draw(subscribers)
    if patient is None and subscriber.address is None:
        subscriber = subscriber.model_copy(update={"address": draw(addresses)})
    return Claim(
        claim_id=claim_id or draw(ids), frequency=freq,
        payer_claim_number=draw(ids) if freq != "1" else None,
        place_of_service=draw(st.sampled_from(["12", "99", "27", "04", "11"])), diagnoses=dx,
        prior_authorization=draw(st.none() | ids), lines=tuple(lines),
        billing_provider=draw(billing_providers), subscriber=subscriber, patient=patient, payer=draw(payers), rendering_provider=draw(renderers),
        pickup=pickup, dropoff=dropoff,
    )
