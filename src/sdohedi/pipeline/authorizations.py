"""Prior authorizations: AUTHS.csv in, the authorization a service line is billed under, and
how many of its units are left.

An authorization lets one member (``member_id``) of one payer receive a procedure code (with
these modifiers, or any when ``modifiers`` is blank) from ``start_date`` to ``end_date``
inclusive, up to ``units``. Its number is unique per payer and is sent as the claim's REF*G1
(2300): the claim grouping key holds the line's authorization, so lines under different
authorizations never share a claim.

The rules encode applies (``AuthorizationBook.assign``), in service-date order:

- a line whose row gives ``prior_auth`` keeps it; when that number is an authorization of the
  file, the line must fall in it and is counted against it;
- a line without one takes the authorization that covers it, the one ending first when several
  do (so units that expire soonest are used first), skipping those with too few units left;
- a line whose units are more than what is left is billed for what is left, and its units beyond
  go to rejects.csv: "exceeds authorization A: N of M units left (the row has K; N billed, K - N
  not billed)". The billed part's charge is the row's, prorated to the cent (a fee-schedule
  charge is the fee times the units, so prorating gives the fee times what is left). With
  nothing left the line is not billed at all. The service_id is billed once: units beyond the
  authorization are billed, once the payer extends it, as a row of their own.

Used units are the ledger's (every line billed under the number, whatever became of its claim:
a denied or rejected service is corrected and billed again under its service_id, and its units
must still be there then) plus this run's. Reasons never hold member ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from .ingest import L, IngestError, Reject
from .pricing import CENT

COLUMNS = ("auth_number", "payer", "member_id", "procedure_code", "modifiers", "units", "start_date", "end_date")
_PAYER, _MEMBER, _AUTH, _DATE, _SERVICE_ID, _ROW, _FILE, _PROCEDURE, _MODIFIERS, _UNITS, _REPLACES = (
    L["payer"], L["member_id"], L["prior_auth"], L["service_date"], L["service_id"], L["row_number"], L["file"],
    L["procedure_code"], L["modifiers"], L["units"], L["replaces"])
_CHARGE = L["charge"]
_NUMBER = re.compile(r"[ -)+-9;-\]_-}]{1,50}\Z")  # an identifier without X12 delimiters (as ingest's)
_PROCEDURE_CODE = re.compile(r"[A-Z0-9]{5}\Z")
_MODIFIER = re.compile(r"[A-Z0-9]{2}\Z")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_UNITS_TEXT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,3})?\Z")


EXCEEDS = "exceeds authorization"  # how a reject for units beyond an authorization starts


@dataclass(frozen=True, slots=True)
class PartlyBilled:
    """A line billed for the units its authorization has left (``line``), and the reject of the
    units beyond (``beyond``)."""

    line: tuple
    beyond: Reject


class AuthorizationsError(IngestError):
    """AUTHS.csv cannot be used at all (exit status 2)."""


@dataclass(frozen=True, slots=True)
class Authorization:
    number: str
    payer: str
    member_id: str
    procedure_code: str
    modifiers: tuple[str, ...] | None  # None: any modifiers
    units: Decimal
    start: dt.date
    end: dt.date
    row: int

    @property
    def key(self) -> tuple[str, str]:
        return self.payer, self.number

    def mismatch(self, line: tuple) -> str | None:
        """Why this authorization does not cover ``line`` (no values named), or None."""
        if line[_PAYER] != self.payer:
            return "another payer"
        if line[_MEMBER] != self.member_id:
            return "another member"
        if line[_PROCEDURE] != self.procedure_code:
            return f"it authorizes {self.procedure_code}"
        if self.modifiers is not None and tuple(sorted(_modifiers(line))) != tuple(sorted(self.modifiers)):
            return f"it authorizes modifiers {':'.join(self.modifiers) or '(none)'}"
        day = dt.date.fromisoformat(line[_DATE])
        if not self.start <= day <= self.end:
            return f"the service date is outside {self.start.isoformat()}..{self.end.isoformat()}"
        return None


@dataclass(frozen=True, slots=True)
class AuthorizationProblem:
    """A row of AUTHS.csv that cannot be used: it is left out, the others are used."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, column {self.column}: {self.reason}"


def _modifiers(line: tuple) -> tuple[str, ...]:
    return tuple(line[_MODIFIERS].split(":")) if line[_MODIFIERS] else ()


def format_units(units: Decimal) -> str:
    return format(units.normalize(), "f")  # 10, 2.5: as a billing lead writes them


def read_authorizations(path: str | Path, payers: Iterable[str] | None = None
                        ) -> tuple[list[Authorization], list[AuthorizationProblem]]:
    """The usable authorizations of AUTHS.csv and the problems of the others (file, row, column,
    rule; CSV rows count the header as row 1). Raises AuthorizationsError when the file cannot be
    read, its header lacks a column, or it has rows and none is usable. ``payers``: the config's
    payer keys (an authorization of another payer is a problem)."""
    name = str(path)
    known = set(payers) if payers is not None else None
    auths: list[Authorization] = []
    problems: list[AuthorizationProblem] = []
    first_row: dict[tuple[str, str], int] = {}
    rows = 0
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise AuthorizationsError(f"{name}: empty file (no header row)")
            header = [h.strip().lower() for h in header]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise AuthorizationsError(f"{name}: header lacks required columns: {', '.join(missing)}")
            for n, values in enumerate(reader, 2):
                if not any(v.strip() for v in values):
                    continue
                rows += 1
                if len(values) != len(header):
                    problems.append(AuthorizationProblem(name, n, "(row)",
                                                         f"row has {len(values)} fields, header has {len(header)}"))
                    continue
                result = _authorization(n, dict(zip(header, (v.strip() for v in values))), known)
                if isinstance(result, tuple):
                    problems.append(AuthorizationProblem(name, n, *result))
                    continue
                if result.key in first_row:
                    problems.append(AuthorizationProblem(
                        name, n, "auth_number",
                        f"authorization {result.number} of payer {result.payer!r} is listed again "
                        f"(first on row {first_row[result.key]})"))
                    continue
                first_row[result.key] = n
                auths.append(result)
    except OSError as exc:
        raise AuthorizationsError(f"{name}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise AuthorizationsError(f"{name}: not UTF-8 text") from None
    except csv.Error as exc:
        raise AuthorizationsError(f"{name}: not a readable CSV file ({exc})") from None
    if rows and not auths:
        raise AuthorizationsError(f"{name}: no usable authorization: "
                                  + "; ".join(str(p).removeprefix(f"{name}: ") for p in problems[:5])
                                  + (f"; and {len(problems) - 5} more" if len(problems) > 5 else ""))
    return auths, problems


def _authorization(n: int, raw: dict[str, str], payers: set[str] | None) -> Authorization | tuple[str, str]:
    """One row as an Authorization, or (column, rule). Member ids are never quoted."""
    number = raw["auth_number"]
    if not _NUMBER.match(number):
        return "auth_number", ("is empty" if not number else
                               "must be 1 to 50 printable ASCII characters without * : ^ ~ (it becomes REF*G1)")
    payer = raw["payer"]
    if not payer:
        return "payer", "is empty"
    if payers is not None and payer not in payers:
        return "payer", f"unknown payer key {payer!r} (not in [payers] of the config)"
    member = raw["member_id"]
    if not 2 <= len(member) <= 80:
        return "member_id", "must be 2 to 80 characters"
    code = raw["procedure_code"].upper()
    if not _PROCEDURE_CODE.match(code):
        return "procedure_code", f"{raw['procedure_code']!r} is not a 5-character procedure code"
    modifiers = None
    if raw["modifiers"]:
        modifiers = tuple(m.strip().upper() for m in raw["modifiers"].split(":") if m.strip())
        if len(modifiers) > 4 or not all(_MODIFIER.match(m) for m in modifiers):
            return "modifiers", "must be up to 4 two-character modifiers separated by ':'"
    if not _UNITS_TEXT.match(raw["units"]):
        return "units", f"{raw['units']!r} is not a number of units (up to 3 decimals)"
    units = Decimal(raw["units"])
    if units <= 0:
        return "units", "must be greater than 0"
    dates = []
    for column in ("start_date", "end_date"):
        text = raw[column]
        try:
            if not _ISO_DATE.match(text):
                raise ValueError
            dates.append(dt.date.fromisoformat(text))
        except ValueError:
            return column, f"{text!r} is not a date (YYYY-MM-DD)"
    start, end = dates
    if end < start:
        return "end_date", "is before start_date"
    return Authorization(number, payer, member, code, modifiers, units, start, end, n)


class AuthorizationBook:
    """The usable authorizations, looked up by line and by number, and the units each has left."""

    def __init__(self, authorizations: Iterable[Authorization], source: str = "AUTHS.csv") -> None:
        self.source = source
        self.by_key: dict[tuple[str, str], Authorization] = {}
        self._by_service: dict[tuple[str, str, str], list[Authorization]] = {}
        for a in authorizations:
            self.by_key[a.key] = a
            self._by_service.setdefault((a.payer, a.member_id, a.procedure_code), []).append(a)
        for group in self._by_service.values():
            group.sort(key=lambda a: (a.end, a.start, a.number))  # the one ending first is used first
        self.used: dict[tuple[str, str], Decimal] = {}

    def __len__(self) -> int:
        return len(self.by_key)

    @property
    def numbers(self) -> set[str]:
        return {a.number for a in self.by_key.values()}

    def covering(self, line: tuple) -> list[Authorization]:
        """The authorizations that cover ``line``, the one ending first first."""
        group = self._by_service.get((line[_PAYER], line[_MEMBER], line[_PROCEDURE]))
        return [a for a in group if a.mismatch(line) is None] if group else []

    def counts(self, line: tuple) -> bool:
        """Whether ``line`` is (or would be) counted against an authorization of the book."""
        return (line[_PAYER], line[_AUTH]) in self.by_key if line[_AUTH] else bool(self.covering(line))

    def start_count(self, used: dict[tuple[str, str], Decimal]) -> None:
        """Units used so far, per (payer, number): the ledger's count, read under the billing lock
        or before the run; ``assign`` and ``recheck`` add this run's."""
        self.used = dict(used)

    def left(self, a: Authorization, credit: tuple | None = None) -> Decimal:
        """Units ``a`` has left; ``credit`` (payer, number, units) is a billed line a replacement
        takes the place of, whose units come back."""
        left = a.units - self.used.get(a.key, Decimal(0))
        if credit is not None and (credit[0], credit[1]) == a.key:
            left += credit[2]
        return left

    def _take(self, a: Authorization, units: Decimal, credit: tuple | None) -> None:
        if credit is not None and credit[1] is not None:
            old = (credit[0], credit[1])
            self.used[old] = self.used.get(old, Decimal(0)) - credit[2]
        self.used[a.key] = self.used.get(a.key, Decimal(0)) + units

    def assign(self, line: tuple, credit: tuple | None = None) -> tuple | Reject:
        """``line`` with the authorization it is billed under (see the module), or why not.
        ``credit``: the ledger's (payer, number, units) of the line a replacement line replaces."""
        units = Decimal(line[_UNITS])
        given = line[_AUTH]
        if given:
            a = self.by_key.get((line[_PAYER], given))
            if a is None:
                return line  # an authorization this file does not list: billed as the row gives it
            why = a.mismatch(line)
            if why is not None:
                return self._reject(line, "prior_auth", "authorization-mismatch", f"the row's authorization does not cover this service "
                                                        f"({given}, {self.source} row {a.row}: {why})")
            if units > self.left(a, credit):
                return self._exceeds(line, a, credit)
            self._take(a, units, credit)
            return line
        candidates = self.covering(line)
        if not candidates:
            return line
        for a in candidates:
            if units <= self.left(a, credit):
                self._take(a, units, credit)
                return line[:_AUTH] + (a.number,) + line[_AUTH + 1:]
        a = max(candidates, key=lambda a: self.left(a, credit))
        return self._exceeds(line[:_AUTH] + (a.number,) + line[_AUTH + 1:], a, credit)

    def recheck(self, line: tuple, credit: tuple | None = None) -> tuple | Reject:
        """Inside the billing lock, after ``start_count`` with the ledger's count of then: ``line``
        still fits its authorization, or is rejected (another run billed under it since ``assign``).
        The line keeps the authorization ``assign`` gave it: its claim is already grouped."""
        a = self.by_key.get((line[_PAYER], line[_AUTH])) if line[_AUTH] else None
        if a is None:
            return line
        units = Decimal(line[_UNITS])
        if units > self.left(a, credit):
            return self._exceeds(line, a, credit)
        self._take(a, units, credit)
        return line

    def _exceeds(self, line: tuple, a: Authorization, credit: tuple | None) -> Reject | PartlyBilled:
        """``line`` (under ``a``) asks for more units than ``a`` has left: bill what is left, if anything."""
        left, units = max(self.left(a, credit), Decimal(0)), Decimal(line[_UNITS])
        head = f"{EXCEEDS} {a.number}: {format_units(left)} of {format_units(a.units)} units left (the row has " \
               f"{format_units(units)}; "
        if left <= 0:
            return self._reject(line, "units", "authorization-exceeded", head + "not billed)")
        charge = (Decimal(line[_CHARGE]) * left / units).quantize(CENT, ROUND_HALF_UP)
        if charge <= 0:  # a line needs a positive charge
            return self._reject(line, "units", "authorization-exceeded", head + "not billed)")
        self._take(a, left, credit)
        billed = line[:_UNITS] + (format_units(left), str(charge)) + line[_CHARGE + 1:]
        return PartlyBilled(billed, self._reject(line, "units", "authorization-exceeded",
                                                 head + f"{format_units(left)} billed, {format_units(units - left)} "
                                                        "not billed)"))

    @staticmethod
    def _reject(line: tuple, column: str, rule: str, reason: str) -> Reject:
        return Reject(line[_ROW], line[_SERVICE_ID], column, reason, line[_FILE], rule)

