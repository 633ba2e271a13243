"""A problem found by a content check, before the engine dresses it as a Finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Spot(NamedTuple):
    """Where a segment was: kept by checks that report after the segment has gone by."""

    position: int
    transaction_position: int
    loop: str | None
    segment: str


@dataclass(slots=True)
class Issue:
    rule: str
    spot: Spot
    element: int | None
    component: int | None
    message: str
    value: str | None = None  # a code value only
    data_element: str | None = None
