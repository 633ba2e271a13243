"""An oracle for corpus files that shares nothing with our readers: the file is split on the
segment terminator and each segment on the element separator, both read from the fixed-width
ISA (element separator at byte 3, segment terminator at byte 105), and a few segments are
counted and added up. No loops, no models, no validation: what it counts is what the bytes say.

Amounts are summed in integer cents so a rounding or Decimal quirk in a reader cannot hide.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

# The amount elements each total adds up (1-based element positions, as the TR3 names them).
# CAS: amounts in CAS03, 06, 09, 12, 15, 18; PLB: adjustment amounts in PLB04, 06, ..., 14.
_CAS_AMOUNTS = (3, 6, 9, 12, 15, 18)
_PLB_AMOUNTS = (4, 6, 8, 10, 12, 14)


def segments(data: bytes) -> list[list[str]]:
    """The segments of ``data`` as lists of elements (the segment id first). Line breaks and
    blanks around the terminator (one segment per line) are not part of any segment. ValueError
    when there is no ISA or it is not fixed width: then the file is not X12."""
    start = data.index(b"ISA")  # past a byte-order mark or anything else before it
    element, terminator = data[start + 3:start + 4], data[start + 105:start + 106]
    if data[start + 103:start + 104] != element:  # the 16th separator, before ISA16
        raise ValueError("the ISA is not 106 bytes long: its delimiters are not where X12 puts them")
    out = []
    for raw in data[start:].split(terminator):
        raw = raw.strip(b"\r\n\t ")
        if raw:
            out.append(raw.decode("latin-1").split(element.decode("latin-1")))
    return out


def cents(text: str) -> int:
    """An X12 decimal (R) element in cents; it must be whole cents."""
    value = Decimal(text) * 100
    assert value == value.to_integral_value(), f"{text} is not a whole number of cents"
    return int(value)


def _element(seg: list[str], n: int) -> str:
    return seg[n] if len(seg) > n else ""


def _total(segs: list[list[str]], n: int) -> int:
    return sum(cents(_element(s, n)) for s in segs if _element(s, n))


@dataclass
class Split:
    """What a plain split of one file says."""

    ids: Counter = field(default_factory=Counter)  # segment id -> how many
    transaction_sets: list[str] = field(default_factory=list)  # ST01 of each ST, in order
    # 837P
    claim_charges: Counter = field(default_factory=Counter)  # (CLM01, CLM02 in cents) -> how many
    clm02: int = 0  # sum of CLM02 (claim charge), cents
    sv102: int = 0  # sum of SV102 (line charge), cents
    hi_codes: int = 0  # non-empty elements of every HI segment (one code each)
    # 835
    bpr02: int = 0  # sum of BPR02 (payment amount), cents
    clp03: int = 0  # sum of CLP03 (claim charge)
    clp04: int = 0  # sum of CLP04 (claim paid)
    svc02: int = 0  # sum of SVC02 (line charge)
    svc03: int = 0  # sum of SVC03 (line paid)
    cas: int = 0  # sum of every CAS amount, at claim and line level
    plb: int = 0  # sum of every PLB amount

    @property
    def claims(self) -> int:
        return self.ids["CLM"] or self.ids["CLP"]


def split(data: bytes) -> Split:
    segs = segments(data)
    by_id: dict[str, list[list[str]]] = {}
    for s in segs:
        by_id.setdefault(s[0], []).append(s)
    got = Split(ids=Counter({k: len(v) for k, v in by_id.items()}),
                transaction_sets=[_element(s, 1) for s in by_id.get("ST", [])])
    get = by_id.get
    got.claim_charges = Counter((_element(s, 1), cents(_element(s, 2))) for s in get("CLM", []))
    got.clm02, got.sv102 = _total(get("CLM", []), 2), _total(get("SV1", []), 2)
    got.hi_codes = sum(1 for s in get("HI", []) for e in s[1:] if e)
    got.bpr02 = _total(get("BPR", []), 2)
    got.clp03, got.clp04 = _total(get("CLP", []), 3), _total(get("CLP", []), 4)
    got.svc02, got.svc03 = _total(get("SVC", []), 2), _total(get("SVC", []), 3)
    got.cas = sum(_total(get("CAS", []), n) for n in _CAS_AMOUNTS)
    got.plb = sum(_total(get("PLB", []), n) for n in _PLB_AMOUNTS)
    return got


def split_file(path: Path) -> Split:
    return split(path.read_bytes())
