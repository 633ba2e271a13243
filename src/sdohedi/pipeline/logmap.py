"""Another platform's export read as a service log: the config's ``[log]`` (``LogConfig``).

One step, before the row rules (``pipeline.rules``): a raw row of the export becomes a raw
row of ours (our field names, ISO dates), and a reject names the export's own column again.
Matching is without regard to case or surrounding spaces (CSV headers are read lowercased).
A field not mapped reads the column of its own name, unless the mapping gives that column to
another field; every other column of the export is ignored.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable

from ..models.config import LOG_DATE_FIELDS, LogConfig
from ..models.service_row import COLUMNS, ServiceRecord

REQUIRED_FIELDS = tuple(n for n, f in ServiceRecord.model_fields.items() if f.is_required())
_PLAN_CACHE = 64  # key sets seen (CSV and Parquet: one per file; JSON Lines: a few)
_DATE_CACHE = 16384  # date texts read (service dates and birth dates)


def _fold(name) -> str:
    return name.strip().casefold() if isinstance(name, str) else name


class LogMapping:
    """The ``[log]`` of a config (or none: rows pass as they are)."""

    def __init__(self, log: LogConfig | None) -> None:
        self.columns = dict(log.columns) if log else {}
        self.date_format = log.date_format if log else None
        self.active = bool(self.columns or self.date_format)
        self._source = {field: _fold(name) for field, name in self.columns.items()}
        self._taken = set(self._source.values())
        self._plans: dict[tuple, tuple[tuple[str, ...], Callable[[dict], tuple]]] = {}
        self._dates: dict[str, str] = {}

    def column_of(self, field: str) -> str:
        """The export's name of one of our fields (a reject's column)."""
        return self.columns.get(field, field)

    def _lookup(self, field: str) -> str:
        """The folded export column a field reads from ("" for none)."""
        if field in self._source:
            return self._source[field]
        return "" if field in self._taken else field

    def missing(self, names: Iterable) -> tuple[list[str], list[str]]:
        """For a file's column names: the mapped columns it lacks (as ``field = "Column"``), and the
        required fields it then has no column for."""
        have = {_fold(n) for n in names}
        absent = [f'{field} = "{name}"' for field, name in self.columns.items() if _fold(name) not in have]
        required = [f for f in REQUIRED_FIELDS if self._lookup(f) not in have and f not in self.columns]
        return absent, required

    def fields_of(self, names: list) -> list[tuple[str, int]]:
        """For a CSV header: (our field, position of the column it reads), as ``rename`` maps a
        row of it (a repeated name reads its last column, as a row dict holds it)."""
        position = {name: i for i, name in enumerate(names)}
        fields, _ = self._plan(tuple(position))
        by_fold: dict = {}
        for name in position:
            by_fold.setdefault(_fold(name), name)
        return [(f, position[by_fold[self._lookup(f)]]) for f in fields if f != "__error__"]

    def _plan(self, keys: tuple) -> tuple[tuple[str, ...], Callable[[dict], tuple]]:
        """For a row with these keys: our fields, and what takes their values from the row."""
        by_fold: dict = {}
        for k in keys:
            by_fold.setdefault(_fold(k), k)
        plan = [(f, by_fold[src]) for f in COLUMNS if (src := self._lookup(f)) and src in by_fold]
        if "__error__" in by_fold:
            plan.append(("__error__", "__error__"))
        sources = [k for _, k in plan]
        # one C call per row; itemgetter of one key gives the value itself, of none nothing
        values = (operator.itemgetter(*sources) if len(sources) > 1
                  else (lambda raw: (raw[sources[0]],)) if sources else (lambda raw: ()))
        if len(self._plans) >= _PLAN_CACHE:
            self._plans.clear()
        self._plans[keys] = out = (tuple(f for f, _ in plan), values)
        return out

    def rename(self, raw: dict) -> tuple[dict, str | None]:
        """(our row, None), or (our row, the field whose date does not read with ``date_format``)."""
        if not self.active:
            return raw, None
        keys = tuple(raw)
        plan = self._plans.get(keys)
        if plan is None:
            plan = self._plan(keys)
        fields, values = plan
        row = dict(zip(fields, values(raw)))
        if self.date_format:
            for field in LOG_DATE_FIELDS:
                value = row.get(field)
                if type(value) is str and value.strip():
                    iso = self.iso_date(value)
                    if not iso:
                        return row, field
                    row[field] = iso
        return row, None

    def iso_date(self, value: str) -> str:
        """``value`` read with ``date_format`` as ISO text ("" when it does not read), cached:
        a log repeats its dates, and strptime is slow."""
        iso = self._dates.get(value)
        if iso is not None:
            return iso
        try:
            iso = dt.datetime.strptime(value.strip(), self.date_format).date().isoformat()
        except ValueError:
            iso = ""
        if len(self._dates) >= _DATE_CACHE:
            self._dates.clear()
        self._dates[value] = iso
        return iso
