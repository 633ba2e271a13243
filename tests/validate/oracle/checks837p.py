"""Content checks of an 837P (005010X222A1) beyond what the guide's map encodes.

Per claim (2300 and its 2400 lines, at most 50, so memory stays bounded):
- balancing: CLM02 must equal the sum of SV102;
- replacement and void claims (CLM05-3 = 7 or 8) need REF*F8, the payer's claim number;
- the TR3's tighter lengths: CLM01 at most 20 characters, REF*6R at most 30;
- diagnosis codes in HI: ICD-10-CM format, and SDOH Z codes billable on every date of service;
- SV101 procedure codes and modifiers against the core code set (warnings).
NPIs (NM108 = XX) and taxonomy codes (PRV02 = PXC) are checked wherever they appear.

Handlers take ``(els, position, transaction_position, loop, component_separator, out)``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sdohedi.codes import CodeSet
from . import codesets as cs
from .issues import Issue, Spot

CLM01_MAX = 20  # TR3: "the maximum number of characters to be submitted in this data element is 20"
LINE_CONTROL_MAX = 30  # TR3 2400 REF*6R: at most 30 characters although REF02 allows 50
_CACHE_LIMIT = 50_000


_ZERO = Decimal(0)
_decimals: dict[str, Decimal] = {}


def _decimal(value: str) -> Decimal:
    """``Decimal(value)``, remembered: charges repeat (raises InvalidOperation like Decimal)."""
    try:
        return _decimals[value]
    except KeyError:
        if len(_decimals) >= _CACHE_LIMIT:
            _decimals.clear()
        d = Decimal(value)
        if not d.is_finite():  # "NaN" and "Infinity" parse but are no amounts (the element check says so)
            raise InvalidOperation(value)
        _decimals[value] = d
        return d


_npi_answers: dict[str, str | None] = {}


def _npi_problem(npi: str) -> str | None:
    """``codesets.npi_problem``, remembered: a file names the same providers again and again."""
    try:
        return _npi_answers[npi]
    except KeyError:
        if len(_npi_answers) >= _CACHE_LIMIT:
            _npi_answers.clear()
        problem = _npi_answers[npi] = cs.npi_problem(npi)
        return problem


def check_nm1(els, pos, tx_pos, loop, comp, out) -> None:
    if len(els) > 9 and els[8] == "XX":
        problem = _npi_problem(els[9])
        if problem:
            out.append(Issue("npi-check-digit", Spot(pos, tx_pos, loop, "NM1"), 9, None, f"NM109 (NPI): {problem}",
                             data_element="67"))


def check_n1(els, pos, tx_pos, loop, comp, out) -> None:
    if len(els) > 4 and els[3] == "XX":
        problem = _npi_problem(els[4])
        if problem:
            out.append(Issue("npi-check-digit", Spot(pos, tx_pos, loop, "N1"), 4, None, f"N104 (NPI): {problem}",
                             data_element="67"))


def check_prv(els, pos, tx_pos, loop, comp, out) -> None:
    if len(els) > 3 and els[2] == "PXC" and els[3]:
        problem = cs.taxonomy_problem(els[3])
        if problem:
            out.append(Issue("taxonomy-format", Spot(pos, tx_pos, loop, "PRV"), 3, None,
                             f"PRV03 (Provider Taxonomy Code): {problem}", data_element="127"))


class _Line:
    __slots__ = ("pos", "tx_pos", "sv1", "dates")

    def __init__(self, pos: int, tx_pos: int) -> None:
        self.pos = pos  # of SV1 once seen (LX before)
        self.tx_pos = tx_pos
        self.sv1: list[str] | None = None
        self.dates: list[str] = []  # CCYYMMDD of DTP*472 (both ends of a range)


class Claim837PChecks:
    """Fed the segments of one 837P transaction set that it has handlers for; reports per claim.

    Handlers keep the raw elements (a claim holds at most 50 lines) and the end of the claim
    parses what it needs, with the answers cached: dates, amounts and codes repeat a lot.
    """

    def __init__(self, codes: CodeSet, answers: dict | None = None, component: str = ":") -> None:
        self.codes = codes
        self.component = component
        # Code-set answers repeat across claims ((code, days) -> problem); shared by the validator.
        self._answers = answers if answers is not None else {}
        self._clm: tuple[int, int, str | None, list[str]] | None = None
        self._has_f8 = False
        self._claim_dates: list[str] = []
        self._his: list[tuple[int, int, str | None, list[str]]] = []
        self._lines: list[_Line] = []
        self.handlers = {
            "CLM": self._on_clm, "REF": self._on_ref, "DTP": self._on_dtp, "HI": self._on_hi, "LX": self._on_lx,
            "SV1": self._on_sv1, "NM1": check_nm1, "PRV": check_prv, "HL": self._on_hl,
        }

    def end(self, out: list[Issue]) -> None:
        """End of the transaction set."""
        self._end_claim(out)

    # -- segments ---------------------------------------------------------------------------------------------

    def _on_hl(self, els, pos, tx_pos, loop, comp, out) -> None:
        if self._clm is not None:
            self._end_claim(out)

    def _on_clm(self, els, pos, tx_pos, loop, comp, out) -> None:
        if self._clm is not None:
            self._end_claim(out)
        self._clm = (pos, tx_pos, loop, els)
        self._has_f8 = False
        self._claim_dates = []
        self._his = []
        self._lines = []
        if len(els) > 1 and len(els[1]) > CLM01_MAX:
            out.append(Issue("guide-max-length", Spot(pos, tx_pos, loop, "CLM"), 1, None,
                             f"CLM01 (Patient Control Number) is {len(els[1])} characters; the TR3 allows {CLM01_MAX}",
                             data_element="1028"))

    def _on_ref(self, els, pos, tx_pos, loop, comp, out) -> None:
        if len(els) < 3:
            return
        q = els[1]
        if q == "F8":
            if loop == "2300":
                self._has_f8 = True
        elif q == "6R" and len(els[2]) > LINE_CONTROL_MAX:
            out.append(Issue("guide-max-length", Spot(pos, tx_pos, loop, "REF"), 2, None,
                             f"REF02 (Line Item Control Number) is {len(els[2])} characters; the TR3 allows "
                             f"{LINE_CONTROL_MAX}", data_element="127"))

    def _on_dtp(self, els, pos, tx_pos, loop, comp, out) -> None:
        if len(els) < 4 or els[1] != "472" or self._clm is None:
            return
        # Dates stay CCYYMMDD strings (they sort like dates); parsed only when a code set needs them.
        dates = els[3].split("-") if els[2] == "RD8" else [els[3]]
        if loop == "2400":
            if self._lines:
                self._lines[-1].dates.extend(dates)
        elif loop == "2300":
            self._claim_dates.extend(dates)

    def _on_hi(self, els, pos, tx_pos, loop, comp, out) -> None:
        if self._clm is not None:
            self._his.append((pos, tx_pos, loop, els))

    def _on_lx(self, els, pos, tx_pos, loop, comp, out) -> None:
        if self._clm is not None:
            self._lines.append(_Line(pos, tx_pos))

    def _on_sv1(self, els, pos, tx_pos, loop, comp, out) -> None:
        if self._lines:
            line = self._lines[-1]
            line.pos = pos
            line.tx_pos = tx_pos
            line.sv1 = els

    # -- end of claim ---------------------------------------------------------------------------------------

    def _cached(self, key, compute):
        answers = self._answers
        try:
            return answers[key]
        except KeyError:
            pass
        value = compute()
        if len(answers) >= _CACHE_LIMIT:
            answers.clear()
        answers[key] = value
        return value

    def _diagnosis(self, qualifier: str, code: str, days: tuple[str, ...]) -> tuple[str, str] | None:
        problem = cs.diagnosis_format_problem(qualifier, code)
        if problem:
            return problem
        if qualifier in cs.ICD10_QUALIFIERS and days and cs.is_sdoh_z_code(code):
            parsed = [d for d in map(cs.parse_date, days) if d is not None]
            date_problem = cs.diagnosis_date_problem(self.codes, code, parsed) if parsed else None
            if date_problem:
                return "diagnosis-date", date_problem
        return None

    def _procedure(self, sv101: str, day: str | None):
        parts = sv101.split(self.component)
        if parts[0] != "HC" or len(parts) < 2 or not parts[1]:
            return ()
        return tuple(self.codes.procedure_problems(parts[1], tuple(parts[2:6]), cs.parse_date(day) if day else None))

    def _end_claim(self, out: list[Issue]) -> None:
        clm = self._clm
        if clm is None:
            return
        self._clm = None
        pos, tx_pos, loop, els = clm
        comp = self.component
        lines = self._lines
        if lines and len(els) > 2:
            try:
                total = _decimal(els[2])
                line_total = sum([_decimal(ln.sv1[2]) for ln in lines], _ZERO)
            except (InvalidOperation, TypeError, IndexError):
                pass  # a missing or malformed amount has its own finding
            else:
                if line_total != total:
                    out.append(Issue("clm02-balance", Spot(pos, tx_pos, loop, "CLM"), 2, None,
                                     f"CLM02 (total claim charge) is {total} but the service lines (SV102) "
                                     f"add up to {line_total}", data_element="782"))
        if len(els) > 5 and not self._has_f8:
            parts = els[5].split(comp)
            frequency = parts[2] if len(parts) > 2 else ""
            if frequency in ("7", "8"):
                kind = "replacement" if frequency == "7" else "void"
                out.append(Issue("replacement-needs-f8", Spot(pos, tx_pos, loop, "CLM"), None, None,
                                 f"a {kind} claim (CLM05-3 = {frequency}) needs REF*F8 with the payer's claim "
                                 "control number (from the 277CA REF*1K or the 835 CLP07)"))
        line_dates = {d for ln in lines for d in ln.dates}
        days = tuple(sorted(line_dates or self._claim_dates))
        answers = self._answers
        for hpos, htx, hloop, hels in self._his:
            for ele in range(1, len(hels)):
                key = (hels[ele], days)
                problem = answers.get(key, _MISSING)
                if problem is _MISSING:
                    parts = hels[ele].split(comp)
                    problem = None
                    if len(parts) >= 2 and parts[1]:
                        problem = self._diagnosis(parts[0], parts[1], days)
                    problem = self._cached(key, lambda problem=problem: problem)
                if problem is not None:
                    code = hels[ele].split(comp)[1]
                    message = problem[1] if problem[0] == "diagnosis-date" else f"HI{ele:02d}-2: {problem[1]}"
                    out.append(Issue(problem[0], Spot(hpos, htx, hloop, "HI"), ele, 2, message, code, "1271"))
        claim_day = min(self._claim_dates) if self._claim_dates else None
        for ln in lines:
            sv1 = ln.sv1
            if sv1 is None or len(sv1) < 2:
                continue
            day = min(ln.dates) if ln.dates else claim_day
            key = ("px", sv1[1], day)
            problems = answers.get(key)
            if problems is None:
                problems = self._cached(key, lambda: self._procedure(sv1[1], day))
            for rule, message, value, component in problems:
                out.append(Issue(rule, Spot(ln.pos, ln.tx_pos, "2400", "SV1"), 1, component, message, value,
                                 "234" if component == 2 else "1339"))


_MISSING = object()
