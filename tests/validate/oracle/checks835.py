"""Balancing of an 835 (005010X221A1), the three rules of the TR3 (handlers as in ``checks837p``):

- service line: SVC02 (charge) - sum of the line's CAS amounts = SVC03 (paid);
- claim: CLP03 (charge) - sum of claim and line CAS amounts = CLP04 (paid);
- transaction: BPR02 (total payment) = sum of CLP04 - sum of PLB adjustment amounts.
NPIs (NM1/N1 with XX) are checked as in the 837P.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .checks837p import check_n1, check_nm1
from .issues import Issue, Spot

CAS_AMOUNTS = (3, 6, 9, 12, 15, 18)
PLB_AMOUNTS = (4, 6, 8, 10, 12, 14)


def _amount(value: str) -> Decimal | None:
    try:
        d = Decimal(value) if value else None
    except InvalidOperation:
        return None
    return d if d is not None and d.is_finite() else None  # "NaN" parses but is no amount


def _sum(els: list[str], positions: tuple[int, ...]) -> Decimal | None:
    total = Decimal(0)
    for i in positions:
        if i < len(els) and els[i]:
            a = _amount(els[i])
            if a is None:
                return None
            total += a
    return total


class Remit835Checks:
    def __init__(self) -> None:
        self._bpr: tuple[Spot, Decimal | None] | None = None
        self._paid_total = Decimal(0)
        self._plb_total = Decimal(0)
        self._unbalanceable = False  # an amount we could not read: its own finding says why
        self._claim: tuple[Spot, Decimal | None, Decimal | None] | None = None
        self._claim_adjustments = Decimal(0)
        self._line: tuple[Spot, Decimal | None, Decimal | None] | None = None
        self._line_adjustments = Decimal(0)
        self.handlers = {"BPR": self._bpr_seg, "CLP": self._clp, "CAS": self._cas, "SVC": self._svc,
                         "PLB": self._plb, "LX": self._lx, "NM1": check_nm1, "N1": check_n1}

    def end(self, out: list[Issue]) -> None:
        self._end_claim(out)
        if self._bpr is None or self._unbalanceable:
            return
        spot, total = self._bpr
        if total is None:
            return
        expected = self._paid_total - self._plb_total
        if total != expected:
            out.append(Issue("bpr-balance", spot, 2, None,
                             f"BPR02 (total payment) is {total} but the claims paid (CLP04) less provider "
                             f"adjustments (PLB) come to {expected}", data_element="782"))

    def _bpr_seg(self, els, pos, tx_pos, loop, comp, out) -> None:
        self._bpr = (Spot(pos, tx_pos, loop, "BPR"), _amount(els[2]) if len(els) > 2 else None)

    def _lx(self, els, pos, tx_pos, loop, comp, out) -> None:
        self._end_claim(out)

    def _clp(self, els, pos, tx_pos, loop, comp, out) -> None:
        self._end_claim(out)
        charge = _amount(els[3]) if len(els) > 3 else None
        paid = _amount(els[4]) if len(els) > 4 else None
        if paid is None:
            self._unbalanceable = True
        else:
            self._paid_total += paid
        self._claim = (Spot(pos, tx_pos, loop, "CLP"), charge, paid)
        self._claim_adjustments = Decimal(0)

    def _cas(self, els, pos, tx_pos, loop, comp, out) -> None:
        amount = _sum(els, CAS_AMOUNTS)
        if amount is None:
            self._unbalanceable = True
            return
        if self._line is not None:
            self._line_adjustments += amount
        if self._claim is not None:
            self._claim_adjustments += amount

    def _svc(self, els, pos, tx_pos, loop, comp, out) -> None:
        self._end_line(out)
        self._line = (Spot(pos, tx_pos, loop, "SVC"), _amount(els[2]) if len(els) > 2 else None, _amount(els[3]) if len(els) > 3 else None)
        self._line_adjustments = Decimal(0)

    def _plb(self, els, pos, tx_pos, loop, comp, out) -> None:
        self._end_claim(out)
        amount = _sum(els, PLB_AMOUNTS)
        if amount is None:
            self._unbalanceable = True
        else:
            self._plb_total += amount

    def _end_line(self, out: list[Issue]) -> None:
        if self._line is None:
            return
        spot, charge, paid = self._line
        self._line = None
        if charge is None or paid is None:
            return
        if charge - self._line_adjustments != paid:
            out.append(Issue("svc-balance", spot, 3, None,
                             f"SVC03 (line paid) is {paid} but SVC02 (charge) {charge} less the line's adjustments "
                             f"(CAS) {self._line_adjustments} is {charge - self._line_adjustments}",
                             data_element="782"))

    def _end_claim(self, out: list[Issue]) -> None:
        self._end_line(out)
        if self._claim is None:
            return
        spot, charge, paid = self._claim
        self._claim = None
        if charge is None or paid is None:
            return
        if charge - self._claim_adjustments != paid:
            out.append(Issue("clp-balance", spot, 4, None,
                             f"CLP04 (claim paid) is {paid} but CLP03 (charge) {charge} less the claim and line "
                             f"adjustments (CAS) {self._claim_adjustments} is {charge - self._claim_adjustments}",
                             data_element="782"))
