"""Hand-written claims for tests (values chosen by hand, not produced by the code under test)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sdohedi.claims837p import EnvelopeInfo
from sdohedi.models import (
    Address, BillingProvider, Claim, Patient, Payer, Receiver, RenderingProvider, ServiceLine, Submitter, Subscriber,
)

SUBMITTER = Submitter(name="HARBOR NETWORK LEAD", id="NLE001", contact_name="BILLING OFFICE", phone="5035550100")
RECEIVER = Receiver(name="CASCADE HEALTH PLAN", id="CHP01")
ENVELOPE = EnvelopeInfo(sender_id="NLE001", receiver_id="CHP01", usage="T")
TIMESTAMP = dt.datetime(2026, 11, 2, 9, 30)

NLE = BillingProvider(
    name="HARBOR NETWORK LEAD", npi="1234567893", tax_id="931234567", taxonomy="251V00000X",
    address=Address(line1="100 MAIN ST", city="PORTLAND", state="OR", zip="97201"),
)
NLE_ATYPICAL = BillingProvider(
    name="HARBOR NETWORK LEAD", tax_id="931234567", payer_assigned_id="ATYP7788",
    address=Address(line1="100 MAIN ST", city="PORTLAND", state="OR", zip="972011234"),
)
MEALS_CBO = RenderingProvider(name="GOOD FOOD KITCHEN", taxonomy="332U00000X", secondary_id="CBO-MEALS-1")
RIDES_CBO = RenderingProvider(name="RIVER RIDES", npi="1245319599", taxonomy="343900000X")
PAYER_A = Payer(name="CASCADE HEALTH PLAN", payer_id="CHP01", claim_filing_indicator="MC")
PAYER_B = Payer(name="SUMMIT CARE", payer_id="SUM22", claim_filing_indicator="HM")

MEMBER = Subscriber(
    member_id="MBR000111", last_name="RIVERA", first_name="ANA", birth_date=dt.date(1958, 3, 14), sex="F",
    address=Address(line1="12 OAK AVE", city="SALEM", state="OR", zip="97301"),
)
MEMBER_2 = Subscriber(member_id="MBR000222", last_name="NGUYEN", first_name="BAO", birth_date=dt.date(1947, 7, 1),
                      sex="M", address=Address(line1="9 ELM ST", city="EUGENE", state="OR", zip="97401"))
CHILD = Patient(last_name="RIVERA", first_name="LUIS", birth_date=dt.date(2012, 5, 5), sex="M", relationship="19",
                address=Address(line1="12 OAK AVE", city="SALEM", state="OR", zip="97301"))


def meal_line(n: int, day: int = 3, charge: str = "12.50", units: str = "2") -> ServiceLine:
    return ServiceLine(procedure_code="S5170", modifiers=("U6",), charge=Decimal(charge), units=Decimal(units),
                       service_date=dt.date(2026, 10, day), diagnosis_pointers=(1,), line_control_number=f"SVC-{n}")


def claim(claim_id: str = "CLM1001", lines=None, **kw) -> Claim:
    base = dict(
        claim_id=claim_id, place_of_service="12", diagnoses=("Z5941", "Z59869"),
        lines=tuple(lines or (meal_line(1), meal_line(2, 4), meal_line(3, 5, "25", "4"))),
        billing_provider=NLE, subscriber=MEMBER, payer=PAYER_A, rendering_provider=MEALS_CBO,
    )
    base.update(kw)
    return Claim(**base)

# A ride's pick-up and drop-off columns of a service log row (transport codes need them: 2310E/2310F).
TRIP_TO_CLINIC = {"pickup_address": "2 ELM ST", "pickup_city": "BEND", "pickup_state": "OR", "pickup_zip": "97701",
                  "dropoff_address": "2500 NE NEFF RD", "dropoff_city": "BEND", "dropoff_state": "OR",
                  "dropoff_zip": "97701"}
TRIP_HOME = {"pickup_address": "2500 NE NEFF RD", "pickup_city": "BEND", "pickup_state": "OR", "pickup_zip": "97701",
             "dropoff_address": "2 ELM ST", "dropoff_city": "BEND", "dropoff_state": "OR", "dropoff_zip": "977011234"}
