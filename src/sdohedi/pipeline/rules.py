"""The row rules of a service log, written once, over a batch of rows (Arrow columns).

A batch holds up to ``BATCH_ROWS`` rows as columns (strings from a CSV; whatever a JSON Lines
or Parquet row holds otherwise). Each column is dictionary-encoded (Arrow's hash kernel), and
every rule runs once per distinct value, or per distinct combination of the columns it reads
(a member's fields, a payer + procedure + modifiers + date, ...), never once per row: a log
repeats its members, codes, dates and quantities, so a 64k-row batch has a few thousand of
those. The per-row work is Arrow's (encode, combine keys, take).

What a value must look like is the ``ServiceRecord`` model's (each column validated alone by a
one-field model built from its field: the model's own types, constraints and wording), so the
rejects read as before: one per fault, with column, rule slug and reason, every fault of a row.
Only ``service_id`` and ``prior_auth``, distinct on nearly every row, get a vectorized
acceptance first (a regex that admits only values the model and the identifier rule accept
unchanged); the rest of their values go through the model.

A row that passes becomes a line tuple (``ingest.LINE_FIELDS``), built in one place
(``BatchRules.check``), which is what the rest of encode takes.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ConfigDict, ValidationError, create_model

from ..codes import CodeSet, place_of_service_ok
from ..models.config import LOG_DATE_FIELDS, NLEConfig
from ..models.service_row import COLUMNS, TRIP_COLUMNS, ServiceRecord
from ..x12.text import UnrepresentableText
from .ingest import (ICD10_START, NO_TRIP, REQUIRED_COLUMNS, _STAND_INS, Fault, IngestError, Reject, RowContext,
                     _TripProblem, _check_mapped_columns, _open_text, model_rule, read_rows, reject_of)
from .logmap import LogMapping
from .pricing import fee_for, minutes_to_units, price

BATCH_ROWS = 65536
_VALUE_CACHE = 65536  # distinct values kept per column between batches (memory stays flat)
NONE: tuple[Fault, ...] = ()

# A value of service_id / prior_auth the model takes as it is (no surrounding spaces, printable
# ASCII without * : ^ ~, within the length) and the identifier rule leaves alone.
_IDENT_CHAR, _IDENT_EDGE = r"[ -)+-9;-\]_-}]", r"[!-)+-9;-\]_-}]"
_PLAIN_ID = {"service_id": f"^{_IDENT_EDGE}(?:{_IDENT_CHAR}{{0,28}}{_IDENT_EDGE})?$",
             "prior_auth": f"^(?:{_IDENT_EDGE}(?:{_IDENT_CHAR}{{0,48}}{_IDENT_EDGE})?)?$"}


def _one_field_model(name: str):
    info = ServiceRecord.model_fields[name]
    return create_model(f"Only_{name}", __config__=ConfigDict(**ServiceRecord.model_config), **{name: (info.annotation, info)})


_FIELD_MODELS = {name: _one_field_model(name) for name in COLUMNS}
_DEFAULTS = {name: f.default for name, f in ServiceRecord.model_fields.items() if not f.is_required()}


@dataclass(frozen=True, slots=True)
class Value:
    """One distinct value of a column as the model reads it: ``ok`` (the model accepts it; a
    refused value is replaced by the stand-in the rules on other columns read), the value, and
    the faults (the model's)."""

    ok: bool
    value: object
    faults: tuple[Fault, ...] = ()


@dataclass
class RowBatch:
    """Rows of one file as columns. ``columns`` maps our field names (after the ``[log]``
    mapping) to a pa.Array or list; a field absent from the file is absent here. ``errors``:
    position -> why the row cannot be read at all (its columns hold placeholders). ``dates``:
    position -> the field whose date does not read in the ``[log]`` date_format."""

    file: str
    row_numbers: list[int]
    columns: dict[str, object]
    errors: dict[int, str] = field(default_factory=dict)
    dates: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.row_numbers)


# -- reading --------------------------------------------------------------------------------------

def read_batches(path: str | Path, data: bytes | None = None, log: LogMapping | None = None,
                 batch_rows: int = BATCH_ROWS) -> Iterator[RowBatch]:
    """The rows of a service log in batches. CSV is read with csv.reader (its record numbers and
    row shapes are the rejects' row numbers and row-shape rule) straight into columns; JSON Lines
    and Parquet rows as ``ingest.read_rows`` reads them, mapped by ``[log]`` row by row."""
    path = Path(path)
    log = log if log is not None and log.active else None
    if path.suffix.lower() in (".jsonl", ".ndjson", ".parquet"):
        yield from _dict_batches(path, data, log, batch_rows)
        return
    try:
        yield from _csv_batches(path, data, log, batch_rows)
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise IngestError(f"{path}: not UTF-8 text") from None


def _csv_header(path: Path, data: bytes | None, log: LogMapping | None) -> tuple[int, list[tuple[str, int]]]:
    """(width, our fields with the position of the column each reads) of a CSV's header."""
    with _open_text(path, data, "utf-8-sig", "") as f:
        header = next(csv.reader(f), None)
    if header is None:
        raise IngestError(f"{path}: empty file (no header row)")
    header = [h.strip().lower() for h in header]
    if log is not None:
        _check_mapped_columns(path, header, log)
        return len(header), log.fields_of(header)
    if missing := [c for c in REQUIRED_COLUMNS if c not in header]:
        raise IngestError(f"{path}: header lacks required columns: {', '.join(missing)}")
    position = {h: i for i, h in enumerate(header)}  # a repeated name: the last one, as in a dict
    return len(header), [(name, position[name]) for name in COLUMNS if name in position]


def _csv_batches(path: Path, data: bytes | None, log: LogMapping | None, batch_rows: int) -> Iterator[RowBatch]:
    """Arrow's CSV reader while the file is plain (every record as wide as the header, no blank
    line: its row numbers are then csv.reader's record numbers); from the first record where
    that is not so (or Arrow cannot parse), csv.reader's, which say which rows are bad and how."""
    width, fields = _csv_header(path, data, log)
    done = 0
    try:
        for batch in _arrow_csv_batches(path, data, width, fields, batch_rows):
            if batch is None:
                break
            done += len(batch)
            if log is not None and log.date_format:
                _map_dates(batch, log)
            yield batch
        else:
            return
    except pa.ArrowException:
        pass
    yield from _reader_csv_batches(path, data, width, fields, log, batch_rows, done)


def _arrow_csv_batches(path: Path, data: bytes | None, width: int, fields, batch_rows: int):
    import pyarrow.csv as pacsv

    odd: list = []

    def invalid(row) -> str:
        odd.append(row.number)
        return "skip"

    source = pa.BufferReader(data) if data is not None else str(path)
    names = [f"c{i}" for i in range(width)]
    reader = pacsv.open_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False,
                                       block_size=max(4096, batch_rows * 256)),
        parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=invalid),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False))
    start = 2
    for record in reader:
        if odd:
            yield None  # a record of another width: csv.reader from the first of this block
            return
        blank = None  # a blank line reads as a row of empty values: csv.reader skips it but counts it
        for i in range(width):
            empty = pc.equal(record.column(i), "")
            blank = empty if blank is None else pc.and_(blank, empty)
        if pc.any(blank).as_py():
            yield None
            return
        n = record.num_rows
        yield RowBatch(str(path), list(range(start, start + n)), {name: record.column(i) for name, i in fields})
        start += n


def _reader_csv_batches(path: Path, data: bytes | None, width: int, fields, log, batch_rows: int,
                        skip: int) -> Iterator[RowBatch]:
    with _open_text(path, data, "utf-8-sig", "") as f:
        reader = csv.reader(f)
        next(reader)
        blank = [""] * width
        rows: list[list[str]] = []
        numbers: list[int] = []
        errors: dict[int, str] = {}
        for n, values in enumerate(reader, 2):
            if n - 2 < skip:
                continue  # read already
            if len(values) != width:
                if not any(v.strip() for v in values):
                    continue  # blank line
                errors[len(rows)] = f"row has {len(values)} fields, header has {width}"
                values = blank
            rows.append(values)
            numbers.append(n)
            if len(rows) >= batch_rows:
                yield _columns_batch(str(path), numbers, rows, fields, errors, log)
                rows, numbers, errors = [], [], {}
        if rows:
            yield _columns_batch(str(path), numbers, rows, fields, errors, log)


def _columns_batch(file: str, numbers: list[int], rows: list[list[str]], fields, errors, log) -> RowBatch:
    by_position = list(zip(*rows))
    columns = {name: pa.array(by_position[i], pa.string()) for name, i in fields}
    batch = RowBatch(file, numbers, columns, errors)
    if log is not None and log.date_format:
        _map_dates(batch, log)
    return batch


def _map_dates(batch: RowBatch, log: LogMapping) -> None:
    """The ``[log]`` date_format applied to the distinct values of the date columns; a row whose
    date does not read is marked (its only fault, the first date field in model order)."""
    for name in LOG_DATE_FIELDS:
        if name not in batch.columns:
            continue
        indices, values = _encode(batch.columns[name])
        mapped = [log.iso_date(v) if type(v) is str and v.strip() else v for v in values]
        bad = [i for i, v in enumerate(mapped) if v == ""]
        if bad:
            for pos in pc.indices_nonzero(pc.is_in(indices, pa.array(bad, pa.int32()))).to_pylist():
                if pos not in batch.errors:
                    batch.dates.setdefault(pos, name)
        batch.columns[name] = _take(mapped, indices)


def _dict_batches(path: Path, data: bytes | None, log: LogMapping | None, batch_rows: int) -> Iterator[RowBatch]:
    numbers, rows = [], []
    for n, raw in read_rows(path, data, log):
        numbers.append(n)
        rows.append(raw)
        if len(rows) >= batch_rows:
            yield dict_batch(str(path), numbers, rows, log)
            numbers, rows = [], []
    if rows:
        yield dict_batch(str(path), numbers, rows, log)


def dict_batch(file: str, numbers: list[int], rows: list[dict], log: LogMapping | None = None) -> RowBatch:
    """A batch of raw dict rows (JSON Lines, Parquet, the Spark engine's rows). A column a row
    lacks is absent for that row: ``_ABSENT`` (the model's default, or "Field required")."""
    errors, dates = {}, {}
    if log is not None and log.active:
        mapped = []
        for pos, raw in enumerate(rows):
            raw, bad_date = log.rename(raw)
            if bad_date is not None:
                dates[pos] = bad_date
            mapped.append(raw)
        rows = mapped
    for pos, raw in enumerate(rows):
        if "__error__" in raw:
            errors[pos] = raw["__error__"]
    present = set()
    for raw in rows:
        present.update(raw.keys())
    columns = {name: [raw.get(name, _ABSENT) for raw in rows] for name in COLUMNS if name in present}
    return RowBatch(file, numbers, columns, errors, dates)


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()


# -- columns as distinct values ----------------------------------------------------------------

def _encode(column) -> tuple[pa.Array, list]:
    """(per-row index, distinct values) of a column."""
    if isinstance(column, (pa.Array, pa.ChunkedArray)):
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        encoded = pc.dictionary_encode(column)
        return pc.cast(encoded.indices, pa.int32()), encoded.dictionary.to_pylist()
    seen: dict = {}
    values: list = []
    indices = []
    for v in column:  # Python values: keyed by type too (1, 1.0 and True are different inputs)
        try:
            key = (type(v), v)
            i = seen.get(key)
        except TypeError:  # a list or object: its own entry
            key, i = None, None
        if i is None:
            i = len(values)
            values.append(v)
            if key is not None:
                seen[key] = i
        indices.append(i)
    return pa.array(indices, pa.int32()), values


def _take(values: list, indices: pa.Array) -> list:
    return list(map(values.__getitem__, indices.to_pylist()))  # map: no Python bytecode per row


def _combine(*encoded: tuple[pa.Array, int]) -> tuple[pa.Array, list[tuple[int, ...]]]:
    """Distinct combinations of several encoded columns: (per-row combination index, each
    combination as its columns' value indices)."""
    ids, n = encoded[0]
    combos = [(i,) for i in range(n)]
    for indices, size in encoded[1:]:
        key = pc.add(pc.multiply(pc.cast(ids, pa.int64()), size), pc.cast(indices, pa.int64()))
        enc = pc.dictionary_encode(key)
        ids = pc.cast(enc.indices, pa.int32())
        combos = [combos[k // size] + (k % size,) for k in enc.dictionary.to_pylist()]
    return ids, combos


def _validate(name: str, raw) -> Value:
    """One distinct raw value of column ``name`` as the model reads it."""
    if raw is _ABSENT:
        if name in _DEFAULTS:
            return Value(True, _DEFAULTS[name])
        return Value(False, None, (Fault(name, "field-missing", "Field required"),))
    try:
        return Value(True, getattr(_FIELD_MODELS[name].model_validate({name: raw}), name))
    except ValidationError as exc:
        faults: list[Fault] = []
        for err in exc.errors(include_input=False, include_url=False):
            one = Fault(name, model_rule(err["type"]), err["msg"])
            if one not in faults:
                faults.append(one)
        return Value(False, None, tuple(faults))


@dataclass
class _Column:
    indices: pa.Array
    values: list[Value]
    raw: list

    @property
    def size(self) -> int:
        return len(self.values)

    def value(self, i: int, stand_in=None):
        v = self.values[i]
        return v.value if v.ok else stand_in


# -- the rules ---------------------------------------------------------------------------------

class BatchRules:
    """Checks batches of raw rows against types, the code set, the config and the calendar, and
    prices them, against a ``RowContext`` (payers' code sets, fee schedules, limits)."""

    def __init__(self, config: NLEConfig, *, today: dt.date | None = None, codes: CodeSet | None = None,
                 authorizations=None, allow_late: bool = False) -> None:
        self.context = RowContext(config, today=today, codes=codes, authorizations=authorizations,
                                  allow_late=allow_late)
        self.log = self.context.log
        # column -> {raw text: Value}: a log repeats its members and codes from batch to batch
        self._values: dict[str, dict[str, Value]] = {name: {} for name in COLUMNS}

    def _validated(self, name: str, raw: list) -> list[Value]:
        seen = self._values[name]
        if len(seen) > _VALUE_CACHE:
            seen.clear()
        out = []
        for v in raw:
            if type(v) is str:
                value = seen.get(v)
                if value is None:
                    value = seen[v] = _validate(name, v)
            else:
                value = _validate(name, v)
            out.append(value)
        return out

    def check(self, batch: RowBatch) -> list[tuple | Reject]:
        """Per row, in order: its line, or its Reject with every fault."""
        n = len(batch)
        if n == 0:
            return []
        ctx = self.context
        cols: dict[str, _Column] = {}
        for name in COLUMNS:
            cols[name] = self._column(name, batch.columns.get(name), n)
        groups: list[tuple[pa.Array, list[tuple[Fault, ...]]]] = []  # (per-row id, faults of each id), in rule order

        def per_value(name: str, fn: Callable[[int], tuple[Fault, ...]]) -> None:
            c = cols[name]
            groups.append((c.indices, [fn(i) for i in range(c.size)]))

        def per_combo(names: tuple[str, ...], fn: Callable[..., tuple[Fault, ...]]) -> tuple[pa.Array, list]:
            ids, combos = _combine(*((cols[m].indices, cols[m].size) for m in names))
            results = [fn(*combo) for combo in combos]
            groups.append((ids, [r[0] for r in results]))
            return ids, [r[1] for r in results]

        # 1. the model, column by column in its field order
        for name in COLUMNS:
            per_value(name, lambda i, c=cols[name]: c.values[i].faults)

        # 2. identifiers are never altered; names and addresses transliterated per policy
        cleaned: dict[str, list] = {}
        for name, clean in (("service_id", ctx._ident), ("member_id", ctx._ident), ("prior_auth", ctx._ident),
                            ("member_last_name", ctx._text), ("member_first_name", ctx._text),
                            ("member_address", ctx._text), ("member_city", ctx._text)):
            c = cols[name]
            out, faults = [], []
            for v in c.values:
                try:
                    out.append(clean(v.value) if v.ok and v.value else "")
                    faults.append(NONE)
                except UnrepresentableText as exc:
                    out.append(None)
                    faults.append((Fault(name, exc.rule, str(exc)),))
            cleaned[name] = out
            groups.append((c.indices, faults))
        for name, least in (("member_last_name", 1), ("member_address", 1), ("member_city", 2)):
            c = cols[name]
            groups.append((c.indices, [
                (Fault(name, "empty-after-cleaning", "required member field is empty after cleaning"),)
                if c.values[i].ok and cleaned[name][i] is not None and len(cleaned[name][i]) < least else NONE
                for i in range(c.size)]))

        payers, cbos = ctx.config.payers, ctx.config.cbos
        payer_col = cols["payer"]
        payer_key = [payer_col.value(i, _STAND_INS["payer"]) for i in range(payer_col.size)]
        per_value("payer", lambda i: (Fault("payer", "unknown-payer",
                                            f"unknown payer key {payer_key[i]!r} (not in [payers] of the config)"),)
                  if payer_col.values[i].ok and payer_key[i] not in payers else NONE)
        cbo_col = cols["cbo"]
        per_value("cbo", lambda i: (Fault("cbo", "unknown-cbo",
                                          f"unknown cbo key {cbo_col.values[i].value!r} (not in [cbos] of the config)"),)
                  if cbo_col.values[i].ok and cbo_col.values[i].value not in cbos else NONE)

        date_col = cols["service_date"]
        stand_in_day = dt.date.fromisoformat(_STAND_INS["service_date"])
        days = [date_col.value(i, stand_in_day) for i in range(date_col.size)]

        def date_rules(p: int, d: int):
            if not date_col.values[d].ok:
                return NONE, None
            day, out = days[d], []
            if day > ctx.today:
                out.append(Fault("service_date", "service-date-future", "service date is in the future"))
            if day < ICD10_START:
                out.append(Fault("service_date", "service-date-before-icd10",
                                 "service date is before ICD-10-CM (2015-10-01)"))
            late = ctx.days_late(payer_key[p], day)
            if late is not None and not ctx.allow_late:
                out.append(Fault("service_date", "past-timely-filing",
                                 f"past timely filing: {late} days, limit {ctx.filing_limits[payer_key[p]]}"))
            return tuple(out), None

        per_combo(("payer", "service_date"), date_rules)

        birth_col = cols["member_birth_date"]

        # born after the service: a comparison of two date columns, row by row in Arrow
        birth_day = pc.take(pa.array([v.value if v.ok else None for v in birth_col.values], pa.date32()),
                            birth_col.indices)
        service_day = pc.take(pa.array([v.value if v.ok else None for v in date_col.values], pa.date32()),
                              date_col.indices)
        after = pc.fill_null(pc.greater(birth_day, service_day), False)
        groups.append((pc.cast(after, pa.int32()), [NONE, (Fault("member_birth_date", "birth-date-after-service",
                                                                 "birth date is after the service date"),)]))
        per_value("member_birth_date", lambda i: (Fault("member_birth_date", "birth-date-before-1900",
                                                        "birth date is before 1900"),)
                  if birth_col.values[i].ok and birth_col.values[i].value.year < 1900 else NONE)

        code_col, mods_col = cols["procedure_code"], cols["modifiers"]
        codesets = [ctx.codes[k] if k in payers else ctx.base for k in payer_key]

        def procedure_of(p: int, c: int):
            if not code_col.values[c].ok:
                return None
            return codesets[p].procedures.get(code_col.values[c].value)

        def procedure_rules(p: int, c: int, m: int, d: int):
            if not code_col.values[c].ok:
                return NONE, None
            code = code_col.values[c].value
            codes = codesets[p]
            proc = codes.procedures.get(code)
            out = []
            if proc is None and code in ctx.base.procedures:
                out.append(Fault("procedure_code", "procedure-not-covered",
                                 f"procedure code {code} is not covered by payer {payer_key[p]!r} (covered_codes)"))
            elif mods_col.values[m].ok and date_col.values[d].ok:
                for rule, reason, _, _ in codes.procedure_problems(code, mods_col.values[m].value, days[d]):
                    out.append(Fault("modifiers" if rule == "procedure-modifier" else "procedure_code", rule, reason))
            return tuple(out), None

        per_combo(("payer", "procedure_code", "modifiers", "service_date"), procedure_rules)
        per_value("modifiers", lambda i: (Fault("modifiers", "modifier-repeated", "a modifier is repeated"),)
                  if mods_col.values[i].ok and len(set(mods_col.values[i].value)) != len(mods_col.values[i].value)
                  else NONE)

        dx_col = cols["diagnosis_codes"]

        def diagnosis_rules(p: int, x: int, d: int):
            dx: list[str] = []
            out = []
            if dx_col.values[x].ok and date_col.values[d].ok:
                codes = codesets[p]
                for code in dx_col.values[x].value:
                    reason = codes.diagnosis_problem(code, days[d])
                    key = code.replace(".", "")
                    if reason:
                        out.append(Fault("diagnosis_codes",
                                         "diagnosis-date" if key in codes.diagnoses else "diagnosis-not-billable", reason))
                    elif key not in dx:
                        dx.append(key)
            return tuple(out), ";".join(dx)

        dx_ids, dx_joined = per_combo(("payer", "diagnosis_codes", "service_date"), diagnosis_rules)
        pos_col = cols["place_of_service"]
        per_value("place_of_service", lambda i: (Fault("place_of_service", "place-of-service",
                                                       f"{pos_col.values[i].value} is not a CMS place-of-service code"),)
                  if pos_col.values[i].ok and not place_of_service_ok(pos_col.values[i].value) else NONE)

        trip_cols = [cols[t] for t in TRIP_COLUMNS]

        trip_values = [[(v.value or "") if v.ok else None for v in tc.values] for tc in trip_cols]

        def trip_rules(p: int, c: int, *t: int):
            proc = procedure_of(p, c)
            if proc is None or not proc.transport:
                return NONE, NO_TRIP
            values = tuple([column[i] for column, i in zip(trip_values, t)])
            if None in values:  # a location the model refused
                return NONE, NO_TRIP
            try:
                return NONE, ctx._trip(proc, values)
            except _TripProblem as problem:
                return (Fault(problem.column, problem.rule, problem.reason),), NO_TRIP

        trip_ids, trips = per_combo(("payer", "procedure_code", *TRIP_COLUMNS), trip_rules)

        units_col, minutes_col, charge_col = cols["units"], cols["minutes"], cols["charge"]

        def quantity_rules(p: int, c: int, m: int, u: int, mi: int, ch: int):
            out = []
            proc = procedure_of(p, c)
            payer = payers.get(payer_key[p])
            units = None
            rec_units, rec_minutes = units_col.value(u), minutes_col.value(mi)
            if rec_units is not None:
                if rec_units <= 0:
                    out.append(Fault("units", "units-not-positive", "units must be greater than 0"))
                units = rec_units
            elif rec_minutes is not None:
                if proc is not None and payer is not None:
                    if proc.unit_minutes is None:
                        out.append(Fault("minutes", "not-timed",
                                         f"{proc.code} is billed per {proc.unit}, not by time: give units"))
                    else:
                        k = minutes_to_units(rec_minutes, proc.unit_minutes, payer.unit_rounding)
                        if k <= 0:
                            out.append(Fault("minutes", "minutes-below-unit",
                                             f"{rec_minutes} minutes is less than one {proc.unit_minutes}-minute unit "
                                             f"under the {payer.unit_rounding} rule"))
                        units = Decimal(k)
            elif units_col.values[u].ok and minutes_col.values[mi].ok:
                out.append(Fault("units", "units-missing", "units or minutes is required"))
            charge = charge_col.value(ch)
            if charge is not None:
                if charge <= 0:
                    out.append(Fault("charge", "charge-not-positive", "charge must be greater than 0"))
            elif (proc is not None and payer is not None and units is not None and units > 0
                  and charge_col.values[ch].ok and mods_col.values[m].ok):
                code, mods = code_col.values[c].value, mods_col.values[m].value
                fee = fee_for(payer.fee_schedule, code, mods)
                if fee is None:
                    shown = (":" + ":".join(mods)) if mods else ""
                    out.append(Fault("charge", "no-fee", f"no charge given and no fee for {code}{shown} in payer "
                                                         f"{payer_key[p]!r}'s fee schedule"))
                else:
                    charge = price(fee, units)
                    if charge <= 0:
                        out.append(Fault("charge", "charge-not-positive",
                                         "priced charge is 0: a claim line needs a positive charge"))
            return tuple(out), (str(units), str(charge))

        quantity_ids, quantities = per_combo(("payer", "procedure_code", "modifiers", "units", "minutes", "charge"),
                                             quantity_rules)

        # every fault of each row, in rule order; a row none of the rules faults becomes a line
        faulty = None
        for ids, faults in groups:
            bad = [i for i, f in enumerate(faults) if f]
            if bad:
                mask = pc.is_in(ids, pa.array(bad, pa.int32()))
                faulty = mask if faulty is None else pc.or_(faulty, mask)
        faulty_at = set(pc.indices_nonzero(faulty).to_pylist()) if faulty is not None else set()
        faulty_at.update(batch.errors)
        faulty_at.update(batch.dates)
        faulty_rows = sorted(faulty_at)
        at = pa.array(faulty_rows, pa.int64())
        group_ids = [(pc.take(ids, at).to_pylist(), faults) for ids, faults in groups] if faulty_rows else []

        sid_col = cols["service_id"]
        sid_clean = cleaned["service_id"]
        sid_idx = sid_col.indices.to_pylist()
        file = batch.file
        results: list = [None] * n
        for k, pos in enumerate(faulty_rows):
            s = sid_idx[pos]
            raw_sid = _raw_service_id(sid_col.raw[s])
            if pos in batch.errors:
                results[pos] = reject_of(batch.row_numbers[pos], raw_sid,
                                         [Fault("(row)", "row-shape", batch.errors[pos])], file)
                continue
            if pos in batch.dates:
                results[pos] = Reject(batch.row_numbers[pos], raw_sid, batch.dates[pos],
                                      f"not a date in the [log] date_format {self.log.date_format}", file,
                                      "log-date-format")
                continue
            faults = [f for ids, per in group_ids for f in per[ids[k]]]
            results[pos] = reject_of(batch.row_numbers[pos], sid_clean[s] or raw_sid, faults, file)

        good = [pos for pos in range(n) if pos not in faulty_at] if faulty_at else range(n)
        if not good:
            return results
        take = pa.array(good, pa.int64()) if faulty_at else None

        def per_row(c: _Column, values: list) -> list:
            indices = c.indices if take is None else pc.take(c.indices, take)
            return list(map(values.__getitem__, indices.to_pylist()))

        def per_row_ids(ids: pa.Array, values: list) -> list:
            indices = ids if take is None else pc.take(ids, take)
            return list(map(values.__getitem__, indices.to_pylist()))

        by_day = ctx.by_day
        day_text = [d.isoformat() for d in days]
        period = day_text if by_day else [t[:7] for t in day_text]
        fields = (
            per_row(payer_col, payer_key), per_row(cols["member_id"], cleaned["member_id"]),
            per_row(cbo_col, [v.value for v in cbo_col.values]), per_row(date_col, period),
            per_row(cols["prior_auth"], cleaned["prior_auth"]), per_row(date_col, day_text),
            per_row(sid_col, sid_clean), [batch.row_numbers[pos] for pos in good],
            per_row(code_col, [v.value for v in code_col.values]),
            per_row(mods_col, [":".join(v.value) if v.ok else "" for v in mods_col.values]),
            per_row_ids(quantity_ids, quantities), per_row_ids(dx_ids, dx_joined),
            per_row(pos_col, [v.value for v in pos_col.values]),
            per_row(cols["member_last_name"], cleaned["member_last_name"]),
            per_row(cols["member_first_name"], cleaned["member_first_name"]),
            per_row(birth_col, [v.value.isoformat() if v.ok else "" for v in birth_col.values]),
            *(per_row(cols[name], [v.value for v in cols[name].values])
              for name in ("member_sex",)),
            per_row(cols["member_address"], cleaned["member_address"]),
            per_row(cols["member_city"], cleaned["member_city"]),
            *(per_row(cols[name], [v.value for v in cols[name].values]) for name in ("member_state", "member_zip")),
            per_row_ids(trip_ids, trips),
        )
        required = ctx.required
        for (pos, payer, member, cbo, period_, auth, day, sid, row, code, mods, (units, charge), dx, place, last,
             first, birth, sex, addr, city, state, zip_code, trip) in zip(good, *fields):
            line = (payer, member, cbo, period_, auth, "", day, sid, row, code, mods, units, charge, dx, place, last,
                    first, birth, sex, addr, city, state, zip_code, *trip, file)
            if required and not auth and code in required.get(payer, ()):
                line = ctx._authorized(line)  # a code that needs one, and the row gives none
            results[pos] = line
        return results

    def _column(self, name: str, raw_column, n: int) -> _Column:
        if raw_column is None:
            return _Column(pa.array([0] * n, pa.int32()) if n else pa.array([], pa.int32()),
                           [_validate(name, _ABSENT)], [_ABSENT])
        indices, raw = _encode(raw_column)
        plain = _PLAIN_ID.get(name)
        if plain is not None and isinstance(raw_column, pa.Array) and pa.types.is_string(raw_column.type):
            # distinct on nearly every row: the plain ones are taken as they are, the others by the model
            ok = pc.fill_null(pc.match_substring_regex(pa.array(raw, pa.string()), plain), False).to_pylist()
            return _Column(indices, [Value(True, v) if good and v else _validate(name, v)
                                     for v, good in zip(raw, ok)], raw)
        return _Column(indices, self._validated(name, raw), raw)


def _raw_service_id(value) -> str:
    if value is _ABSENT:
        return ""
    return str(value or "").strip()
