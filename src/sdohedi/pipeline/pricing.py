"""Units and prices: minutes -> units by the payer's rounding rule; charge from the fee schedule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def minutes_to_units(minutes: int, unit_minutes: int, rule: str) -> int:
    """Whole units for ``minutes`` of a time-based service.

    cpt_midpoint: a unit counts once its midpoint is passed (15-min: 8-22 min = 1, 23-37 = 2).
    first_unit_any: the first unit at >= 1 minute, later units at the midpoint (AHCCCS style).
    round_up / round_down: plain ceiling / floor.
    """
    if minutes <= 0:
        return 0
    full, rest = divmod(minutes, unit_minutes)
    half = unit_minutes // 2 + 1  # the midpoint must be passed: 8 of 15, 16 of 30, 31 of 60
    if rule == "cpt_midpoint":
        return full + (1 if rest >= half else 0)
    if rule == "first_unit_any":
        return max(1, full + (1 if rest >= half else 0))
    if rule == "round_up":
        return full + (1 if rest else 0)
    if rule == "round_down":
        return full
    raise ValueError(f"unknown unit rounding rule {rule!r}")


def fee_for(fee_schedule: dict[str, Decimal], code: str, modifiers: tuple[str, ...]) -> Decimal | None:
    """Most specific fee: CODE:MOD1:MOD2 as given, then with modifiers sorted, then CODE alone."""
    if modifiers:
        key = code + ":" + ":".join(modifiers)
        fee = fee_schedule.get(key)
        if fee is None:
            fee = fee_schedule.get(code + ":" + ":".join(sorted(modifiers)))
        if fee is None:
            fee = fee_schedule.get(code + ":" + modifiers[0])
        if fee is not None:
            return fee
    return fee_schedule.get(code)


def price(fee: Decimal, units: Decimal) -> Decimal:
    return (fee * units).quantize(CENT, rounding=ROUND_HALF_UP)
