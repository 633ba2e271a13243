"""Hypothesis strategies: valid claims (writer and round-trip properties); service-log rows, good,
odd and bad (the row checks)."""

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


# Each column: values a log might hold, good, odd and bad (every rule of the row checks has its cases here).
VARIANTS = {
    "service_id": ["SV1", " SV2 ", "", "A" * 30, "A" * 31, "SV*3", "SV~4", "SVé", "SV 5"],
    "member_id": ["OR0461897", "M1", "M", " OR1 ", "OR:1", "X" * 80, "X" * 81, "ÖR1"],
    "member_last_name": ["SMITH", "Peña", "O'NEIL*X", "  ", "", "LEE  JR", "A" * 60, "A" * 61, " NG "],
    "member_first_name": ["ANH", "", " ", "José", "B" * 35, "B" * 36, "A~B"],
    "member_birth_date": ["1961-10-03", "1899-12-31", "2026-10-23", "1961-13-03", "19611003", " 1961-10-03",
                          "1961-10-3", "2030-01-01", ""],
    "member_sex": ["F", "M", "U", "f", " F", "X", ""],
    "member_address": ["9795 N LOMBARD ST", "1 MAIN ST APT #3", "", "Calle Peñas 5", "A" * 55, "A" * 56, "1*2"],
    "member_city": ["PORTLAND", "SALEM", "X", " BEND ", "Coös Bay", ""],
    "member_state": ["OR", "or", "ORE", " WA "],
    "member_zip": ["97222", "972221234", "9722", "97222-1234", " 97222"],
    "payer": ["cascade", "summit", " cascade ", "nope", "", "lakeside"],  # lakeside: timely filing in 90 days
    "cbo": ["meals", "rides", "casemgmt", "nope", " rides"],
    "service_date": ["2026-10-22", "2026-09-30", "2025-09-30", "2025-10-01", "2015-09-30", "2026-11-02",
                     "2026-02-30", "20261022", ""],
    "procedure_code": ["T2003", "S5170", "T1016", "S0215", "97535", "t2003", "T200", "ZZZZZ", " T1016"],
    "modifiers": ["", "U6", "U6:95", "u6", " U6 ", "U6:U6", "ZZ", "U1:U2:U3:U4:U5", "U6::", ":"],
    "units": ["1", "2", "1.5", "1.50", "0", "-1", "01", "", " 3 ", "1e2", "1.2345", "abc"],
    "minutes": ["", "30", "7", "8", "08", "60", "0", "x"],
    "diagnosis_codes": ["Z59.82", "Z5982", "z59.82", "Z59.86", "Z59.861;Z59.41", "Z59.41;Z59.41", "", ";",
                        "Z59.1", "A00.0", "Z59.82; Z60.2", "Z59.12;Z59.41;Z56.0;Z60.2;Z63.8"],
    "place_of_service": ["12", "99", "02", "1", "00", " 12"],
    "charge": ["", "25.00", "25", "0", "0.00", "12.345", "-5", "9999999999999999.99"],
    "prior_auth": ["", "PA123", " PA9 ", "PA*1", "P" * 50, "P" * 51],
    # the first value of each is a good one: BASE is a ride (T2003), which needs all eight
    "pickup_address": ["9795 N LOMBARD ST", "", " ", "Calle Peñas 5", "A" * 55, "A" * 56, "1*2", "  2  ELM "],
    "pickup_city": ["PORTLAND", "X", "", " BEND ", "Coös Bay", "C" * 31],
    "pickup_state": ["OR", "or", "", "ORE", " WA "],
    "pickup_zip": ["97203", "972031234", "9720", "", " 97203"],
    "dropoff_address": ["3181 SW SAM JACKSON PARK RD", "", "1 MAIN ST APT #3", "A~B", "B" * 55, "B" * 56],
    "dropoff_city": ["PORTLAND", "", "SALEM", "Y"],
    "dropoff_state": ["OR", "", "wa", "O1"],
    "dropoff_zip": ["97239", "", "97239-1234", "972391234"],
}
BASE = {column: values[0] for column, values in VARIANTS.items()}
DROPPABLE = [  # optional columns, and one required column
    "member_first_name", "modifiers", "units", "minutes", "charge", "prior_auth", "service_id", "pickup_address",
    "dropoff_zip"]


@st.composite
def raw_rows(draw):
    row = dict(BASE)
    for column in draw(st.sets(st.sampled_from(sorted(VARIANTS)), max_size=4)):
        row[column] = draw(st.sampled_from(VARIANTS[column]))
    for column in draw(st.sets(st.sampled_from(DROPPABLE), max_size=2)):  # a log without the column
        del row[column]
    return row
