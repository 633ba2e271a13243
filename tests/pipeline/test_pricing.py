from decimal import Decimal

import pytest

from sdohedi.pipeline.pricing import fee_for, minutes_to_units, price


@pytest.mark.parametrize("minutes,rule,units", [
    # CPT midpoint for 15-minute units: 8-22 min = 1, 23-37 = 2, 38-52 = 3 (CMS table)
    (7, "cpt_midpoint", 0), (8, "cpt_midpoint", 1), (22, "cpt_midpoint", 1), (23, "cpt_midpoint", 2),
    (37, "cpt_midpoint", 2), (38, "cpt_midpoint", 3), (60, "cpt_midpoint", 4),
    # AHCCCS style: first unit at >= 1 minute
    (1, "first_unit_any", 1), (7, "first_unit_any", 1), (22, "first_unit_any", 1), (23, "first_unit_any", 2),
    (16, "round_up", 2), (29, "round_down", 1), (0, "cpt_midpoint", 0),
])
def test_minutes_to_15_minute_units(minutes, rule, units):
    assert minutes_to_units(minutes, 15, rule) == units


def test_thirty_minute_units_midpoint_is_16():
    assert minutes_to_units(15, 30, "cpt_midpoint") == 0
    assert minutes_to_units(16, 30, "cpt_midpoint") == 1


def test_fee_lookup_most_specific_first():
    fees = {"S5170": Decimal("9.50"), "S5170:U6": Decimal("10.25"), "T1016:HN:U8": Decimal("30")}
    assert fee_for(fees, "S5170", ("U6",)) == Decimal("10.25")
    assert fee_for(fees, "S5170", ()) == Decimal("9.50")
    assert fee_for(fees, "S5170", ("95",)) == Decimal("9.50")
    assert fee_for(fees, "T1016", ("U8", "HN")) == Decimal("30")
    assert fee_for(fees, "T2003", ()) is None


def test_price_rounds_half_up_to_cents():
    assert price(Decimal("21.40"), Decimal("3")) == Decimal("64.20")
    assert price(Decimal("0.125"), Decimal("1")) == Decimal("0.13")
