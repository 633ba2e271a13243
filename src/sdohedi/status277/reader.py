"""Read 277CA claim acknowledgments (005010X214) into :class:`~sdohedi.models.ack.Status277CA`.

The 277CA is a hierarchy: information source (payer, HL 20), information receiver (the
submitter, HL 21), billing provider (HL 19), patient (HL PT), each with a status loop. A
claim is the patient level's 2200D: its TRN02 echoes the CLM01 we sent, its STC segments say
accepted (A1/A2) or rejected (A3/A6/A7/A8), REF*1K carries the payer's claim number. Service
lines (2220D) follow their claim.

Tolerant, like the 999 reader: what is wrong with the file ends up in ``findings``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from ..models.ack import ClaimStatus277, LevelStatus, LineStatus, StatusCode, StatusReport, Status277CA
from ..validate.reading import ValidatingReader


def _get(els: list[str], i: int) -> str:
    return els[i] if i < len(els) else ""


def _amount(text: str) -> Decimal | None:
    try:
        d = Decimal(text) if text else None
    except InvalidOperation:
        return None
    return d if d is not None and d.is_finite() else None  # "NaN" parses but is no amount


def _date(text: str) -> dt.date | None:
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _status_code(composite: str, comp: str) -> StatusCode | None:
    parts = composite.split(comp)
    if not parts or not parts[0]:
        return None
    return StatusCode(category=parts[0], code=(parts[1] if len(parts) > 1 and parts[1] else None),
                      entity=(parts[2] if len(parts) > 2 and parts[2] else None))


def parse_stc(els: list[str], comp: str) -> StatusReport:
    codes = [c for c in (_status_code(_get(els, i), comp) for i in (1, 10, 11)) if c is not None]
    return StatusReport(codes=tuple(codes), date=_date(_get(els, 2)), action=_get(els, 3) or None,
                        charge=_amount(_get(els, 4)), payment=_amount(_get(els, 5)), free_text=_get(els, 12) or None)


class _Builder:
    def __init__(self) -> None:
        self.claims: list[ClaimStatus277] = []
        self.levels: list[LevelStatus] = []
        self.level: str | None = None  # HL03 of the current hierarchical level
        self.level_data: dict | None = None
        self.claim: dict | None = None
        self.line: dict | None = None
        self.provider_id: str | None = None
        self.gs08 = ""
        self.guides: list[tuple[int, str]] = []

    def segment(self, pos: int, els: list[str], comp: str) -> None:
        sid = els[0]
        if sid == "GS":
            self.gs08 = _get(els, 8)
        if sid == "ST":
            self.guides.append((pos, _get(els, 3) or self.gs08))
        if sid == "HL":
            self._close_level()
            self.level = _get(els, 3)
            if self.level in ("21", "19"):
                self.level_data = {"level": "receiver" if self.level == "21" else "provider", "reports": []}
            if self.level == "19":
                self.provider_id = None
        elif sid in ("SE", "GE", "IEA", "ST"):
            self._close_level()
        elif self.level == "PT":
            self._patient_segment(pos, els, comp)
        elif self.level_data is not None:
            self._level_segment(els, comp)

    def _level_segment(self, els: list[str], comp: str) -> None:
        d = self.level_data
        sid = els[0]
        if sid == "NM1":
            d["identifier"] = _get(els, 9) or None
            if self.level == "19":
                self.provider_id = d["identifier"]
        elif sid == "TRN":
            d["trace"] = _get(els, 2) or None
        elif sid == "STC":
            d["reports"].append(parse_stc(els, comp))
        elif sid == "QTY":
            key = {"90": "accepted_quantity", "AA": "rejected_quantity"}.get(_get(els, 1))
            if key:
                d[key] = _int(_get(els, 2).split(".")[0])
        elif sid == "AMT":
            key = {"YU": "accepted_amount", "YY": "rejected_amount"}.get(_get(els, 1))
            if key:
                d[key] = _amount(_get(els, 2))

    def _patient_segment(self, pos: int, els: list[str], comp: str) -> None:
        sid = els[0]
        if sid == "TRN":
            self._close_claim()
            self.claim = {"patient_control_number": _get(els, 2), "reports": [], "lines": [], "position": pos,
                          "billing_provider_id": self.provider_id}
            return
        claim = self.claim
        if claim is None:
            return
        if sid == "SVC":
            self._close_line()
            self.line = {"procedure": _get(els, 1) or None, "charge": _amount(_get(els, 2)), "reports": []}
            return
        target = self.line if self.line is not None else claim
        if sid == "STC":
            target["reports"].append(parse_stc(els, comp))
        elif sid == "REF":
            q, v = _get(els, 1), _get(els, 2) or None
            if self.line is not None:
                if q == "FJ":
                    self.line["line_item_control_number"] = v
            elif q == "1K":
                claim["payer_claim_number"] = v
            elif q == "D9":
                claim["clearinghouse_trace"] = v
        elif sid == "DTP" and _get(els, 1) == "472":
            value = _get(els, 3)
            if _get(els, 2) == "RD8":
                start, _sep, end = value.partition("-")
                first, last = _date(start), _date(end)
            else:
                first = last = _date(value)
            if self.line is not None:
                self.line["service_date"] = first
            else:
                claim["service_date_start"], claim["service_date_end"] = first, last

    def _close_line(self) -> None:
        if self.line is not None and self.claim is not None:
            d = self.line
            d["reports"] = tuple(d["reports"])
            self.claim["lines"].append(LineStatus(**d))
        self.line = None

    def _close_claim(self) -> None:
        self._close_line()
        if self.claim is not None:
            d = self.claim
            d["reports"] = tuple(d["reports"])
            d["lines"] = tuple(d["lines"])
            self.claims.append(ClaimStatus277(**d))
        self.claim = None

    def _close_level(self) -> None:
        self._close_claim()
        if self.level_data is not None:
            d = self.level_data
            d["reports"] = tuple(d["reports"])
            self.levels.append(LevelStatus(**d))
        self.level_data = None
        self.level = None


def read_277ca(chunks: Iterable[bytes]) -> Status277CA:
    """Read every 277CA in a stream of byte chunks (``read_chunks(f)``, or ``[data]``)."""
    reader = ValidatingReader()
    builder = _Builder()
    pos = 0
    for pos, els, comp in reader.segments(chunks):
        builder.segment(pos, els, comp)
    builder._close_level()
    return Status277CA(claims=tuple(builder.claims), levels=tuple(builder.levels), findings=tuple(reader.findings),
                       guides=tuple(builder.guides), segments=pos)
