"""Service logs in (CSV, JSON Lines, Parquet): the rows as read, what a checked line and a
reject are, and what the rules check rows against (``RowContext``); the rules themselves, over
batches of rows, are ``pipeline.rules``.

A line that passes is a plain tuple (see ``LINE_FIELDS``) so millions of them sort and spill
cheaply. A row that fails becomes a :class:`Reject` naming row, column and rule. Reasons never
hold member names, birth dates or ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..codes import CodeSet
from ..models.config import NLEConfig
from ..models.service_row import TRIP_COLUMNS, ServiceRecord
from ..problems import Problem, problem
from ..x12.text import UnrepresentableText, to_x12_text
from .logmap import LogMapping

REQUIRED_COLUMNS = tuple(n for n, f in ServiceRecord.model_fields.items() if f.is_required())
ICD10_START = dt.date(2015, 10, 1)

# Order of a checked line. The first fields are the claim grouping key, so sorting groups.
LINE_FIELDS = (
    "payer", "member_id", "cbo", "period", "prior_auth", "replaces", "service_date", "service_id", "row_number",
    "procedure_code", "modifiers", "units", "charge", "diagnoses", "place_of_service",
    "last_name", "first_name", "birth_date", "sex", "address", "city", "state", "zip", *TRIP_COLUMNS, "file",
)
L = {name: i for i, name in enumerate(LINE_FIELDS)}
NO_TRIP = ("",) * len(TRIP_COLUMNS)  # the trip fields of a line that is not a transport service


@dataclass(frozen=True, slots=True)
class Fault:
    """One rule a row breaks: the column, the rule's slug (:data:`sdohedi.problems.RULES`), the reason."""

    column: str
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that cannot be billed. ``column``, ``reason`` and ``rule`` are its first fault;
    ``more`` the others the row also breaks (ingest reports every fault of a row at once)."""

    row_number: int
    service_id: str
    column: str
    reason: str
    file: str = ""
    rule: str = ""
    more: tuple[Fault, ...] = ()

    @property
    def faults(self) -> tuple[Fault, ...]:
        return (Fault(self.column, self.rule, self.reason), *self.more)

    def problems(self) -> list[Problem]:
        """The faults as the library's :class:`~sdohedi.problems.Problem` (row and column as location)."""
        return [problem(f.rule, f.reason, file=self.file or None, row=self.row_number, column=f.column)
                for f in self.faults]


def reject_of(row_number: int, service_id: str, faults: list[Fault], file: str = "") -> Reject:
    first = faults[0]
    return Reject(row_number, service_id, first.column, first.reason, file, first.rule, tuple(faults[1:]))


# The rule of a pydantic error type of ``ServiceRecord``
_MODEL_RULES = {"missing": "field-missing", "string_too_short": "field-length", "string_too_long": "field-length",
                "too_short": "field-length", "too_long": "field-length"}
# A valid value of each required column, put in for a value the model refuses so that the rules
# on the other columns still run (a rule that reads a refused column does not)
_STAND_INS = {
    "service_id": "X", "member_id": "XX", "member_last_name": "X", "member_birth_date": "2000-01-01",
    "member_sex": "U", "member_address": "X", "member_city": "XX", "member_state": "XX", "member_zip": "00000",
    "payer": "?", "cbo": "?", "service_date": "2020-01-01", "procedure_code": "00000", "diagnosis_codes": "Z00",
    "place_of_service": "11",
}


def model_rule(error_type: str) -> str:
    if error_type in _MODEL_RULES:
        return _MODEL_RULES[error_type]
    if error_type.startswith("date"):
        return "invalid-date"
    if error_type.startswith("decimal"):
        return "invalid-decimal"
    if error_type.startswith("int"):
        return "invalid-number"
    return "field-format"


class IngestError(Exception):
    """The input cannot be read at all (exit status 2)."""


class _TripProblem(Exception):
    def __init__(self, column: str, rule: str, reason: str) -> None:
        self.column, self.rule, self.reason = column, rule, reason


def read_rows(path: str | Path, data: bytes | None = None,
              log: LogMapping | None = None) -> Iterator[tuple[int, dict]]:
    """(row number, raw dict) for each row. CSV row numbers count the header as row 1.

    With ``data`` the file's bytes are read from memory (``path`` then only names the file and
    its format): the Spark engine reads whole files this way, with the same results. With ``log``
    (the config's ``[log]``) a CSV header or Parquet schema must have the columns it maps; the
    rows stay as the file has them (``pipeline.rules.dict_batch`` maps them)."""
    path = Path(path)
    suffix = path.suffix.lower()
    log = log if log is not None and log.active else None
    try:
        if suffix in (".jsonl", ".ndjson"):
            yield from _read_jsonl(path, data)
        elif suffix == ".parquet":
            yield from _read_parquet(path, data, log)
        else:
            yield from _read_csv(path, data, log)
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise IngestError(f"{path}: not UTF-8 text") from None


def _open_text(path: Path, data: bytes | None, encoding: str, newline: str | None):
    if data is None:
        return open(path, newline=newline, encoding=encoding)
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=newline)


def _check_mapped_columns(path: Path, names: list[str], log: LogMapping) -> None:
    absent, required = log.missing(names)
    if absent:
        raise IngestError(f"{path}: columns the [log] of the config maps are not in the file: {', '.join(absent)}")
    if required:
        raise IngestError(f"{path}: header lacks required columns: {', '.join(required)} "
                          "(neither in the file nor mapped in [log] columns)")


def _read_csv(path: Path, data: bytes | None = None, log: LogMapping | None = None) -> Iterator[tuple[int, dict]]:
    with _open_text(path, data, "utf-8-sig", "") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise IngestError(f"{path}: empty file (no header row)")
        header = [h.strip().lower() for h in header]
        if log is not None:
            _check_mapped_columns(path, header, log)
        elif missing := [c for c in REQUIRED_COLUMNS if c not in header]:
            raise IngestError(f"{path}: header lacks required columns: {', '.join(missing)}")
        width = len(header)
        for n, values in enumerate(reader, 2):
            if len(values) != width:
                if not any(v.strip() for v in values):
                    continue  # blank line
                yield n, {"__error__": f"row has {len(values)} fields, header has {width}"}
                continue
            yield n, dict(zip(header, values))


def _read_jsonl(path: Path, data: bytes | None = None) -> Iterator[tuple[int, dict]]:
    with _open_text(path, data, "utf-8", None) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, {"__error__": f"not valid JSON ({exc.msg} at column {exc.colno})"}
                continue
            if not isinstance(obj, dict):
                yield n, {"__error__": "a JSON Lines row must be an object"}
                continue
            yield n, obj


def _read_parquet(path: Path, data: bytes | None = None,
                  log: LogMapping | None = None) -> Iterator[tuple[int, dict]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise IngestError(f"{path}: reading Parquet needs pyarrow (pip install 'sdohedi[parquet]')") from None
    try:
        pf = pq.ParquetFile(path if data is None else io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise IngestError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None
    if log is not None:
        _check_mapped_columns(path, pf.schema_arrow.names, log)
    n = 0
    for batch in pf.iter_batches(batch_size=65536):
        for row in batch.to_pylist():
            n += 1
            yield n, {k: ("" if v is None else v) for k, v in row.items()}


_PLAIN_TEXT = re.compile(r"[A-Za-z0-9 .,'#/&()\-]*\Z")
_IDENT = re.compile(r"[ -)+-9;-\]_-}]*\Z")  # printable ASCII without * : ^ ~
_FREE_TEXT_DELIMS = str.maketrans({"*": " ", ":": " ", "^": " ", "~": " ", "\t": " ", "\r": " ", "\n": " "})
_TEXT_CACHE = 16384  # cleaned texts remembered (addresses repeat; memory stays flat)


class RowContext:
    """What the row rules (``pipeline.rules``) check a row against: the payers' code sets, fee
    schedules, timely filing limits and authorization_required codes, the run date, the text
    policy; and the rules on one value that stay in Python (identifiers, free text, trips)."""

    def __init__(self, config: NLEConfig, *, today: dt.date | None = None, codes: CodeSet | None = None,
                 authorizations=None, allow_late: bool = False) -> None:
        self.config = config
        # ``authorization_required`` codes per payer, and the AuthorizationBook (``pipeline.authorizations``)
        # that may cover a row giving no prior_auth
        self.required = {key: frozenset(p.authorization_required) for key, p in config.payers.items()
                         if p.authorization_required}
        self.authorizations = authorizations
        self.today = today or dt.date.today()
        # a service past its payer's timely filing limit is rejected, unless ``allow_late``
        self.allow_late = allow_late
        self.filing_limits = self.filing_limits_of(config)
        base = self.base = codes or CodeSet.bundled()
        self.codes = {
            key: base.restricted(only_procedures=set(p.covered_codes) if p.covered_codes is not None else None,
                                 extra_modifiers={c: set(m) for c, m in p.extra_modifiers.items()})
            for key, p in config.payers.items()
        }
        self.policy = config.interchange.text_policy
        self.by_day = config.interchange.grouping == "day"
        self.log = LogMapping(config.log)
        self._texts: dict[str, str] = {}

    @staticmethod
    def filing_limits_of(config: NLEConfig) -> dict[str, int]:
        """{payer key: timely_filing_days} of the payers that have one."""
        return {key: p.timely_filing_days for key, p in config.payers.items() if p.timely_filing_days is not None}

    def days_late(self, payer_key: str, day: dt.date) -> int | None:
        """The days from ``day`` to the run date when that is more than the payer's timely filing
        limit (``timely_filing_days``), else None."""
        limit = self.filing_limits.get(payer_key)
        if limit is None:
            return None
        days = (self.today - day).days
        return days if days > limit else None

    def _text(self, value: str | None) -> str:
        """Free text (names, addresses): transliterate per policy; delimiters become spaces."""
        if not value:
            return ""
        if _PLAIN_TEXT.match(value) and "  " not in value:
            return value
        text = to_x12_text(value.translate(_FREE_TEXT_DELIMS), self.policy)
        return " ".join(text.split())

    def _text_cached(self, value: str | None) -> str:
        """``_text``, remembered per value (a log repeats its addresses); raises as it does."""
        cache = self._texts
        text = cache.get(value)
        if text is None:
            if len(cache) >= _TEXT_CACHE:
                cache.clear()
            text = cache[value] = self._text(value)
        return text

    @staticmethod
    def _ident(value: str) -> str:
        """Identifiers are never altered: a delimiter or non-ASCII character cannot be cleaned."""
        if _IDENT.match(value):
            return value
        to_x12_text(value, "refuse")
        for c in "*:^~":
            if c in value:
                raise UnrepresentableText("delimiter-in-value",
                                          "contains an X12 delimiter; identifiers cannot be cleaned")
        return value

    def _trip(self, proc, values: tuple) -> tuple:
        """The trip fields of a line: the pick-up and drop-off locations (``TRIP_COLUMNS``
        order, formats already checked, stripped, "" when blank) cleaned, or ``NO_TRIP``.

        The rule, in one place for both paths (the fast path gives up when it raises): the
        TR3 requires 2310E/2310F "when billing for ambulance or non-emergency transportation
        services", so a transport code needs all eight; for any other code they are not sent
        ("if not required by this implementation guide, do not send") and not kept. Raises
        _TripProblem."""
        if not proc.transport:
            return NO_TRIP
        for column, value in zip(TRIP_COLUMNS, values):
            if not value:
                raise _TripProblem(column, "transport-location", f"{proc.code} is a transport code: the pick-up and drop-off locations "
                                           f"(2310E/2310F) are required, and {column} is empty")
        trip = list(values)
        for i in (0, 1, 4, 5):  # addresses and cities are free text
            try:
                trip[i] = self._text_cached(values[i])
            except UnrepresentableText as exc:
                raise _TripProblem(TRIP_COLUMNS[i], exc.rule, str(exc)) from None
            if len(trip[i]) < (1 if i in (0, 4) else 2):
                raise _TripProblem(TRIP_COLUMNS[i], "empty-after-cleaning",
                                   "required transport location field is empty after cleaning")
        return tuple(trip)

    def _authorized(self, line: tuple) -> tuple | Reject:
        """A line of an ``authorization_required`` code needs a prior_auth in its row, or one in the
        authorizations file that covers it (whether it has units left is encode's to say)."""
        if (line[L["prior_auth"]] or line[L["procedure_code"]] not in self.required.get(line[L["payer"]], ())
                or (self.authorizations is not None and self.authorizations.covering(line))):
            return line
        where = f" and no authorization in {self.authorizations.source} covers it" if self.authorizations else ""
        return Reject(line[L["row_number"]], line[L["service_id"]], "prior_auth",
                      f"procedure code {line[L['procedure_code']]} needs a prior authorization for payer "
                      f"{line[L['payer']]!r} (authorization_required): the row gives none{where}", line[L["file"]],
                      "authorization-required")
