"""Code sets loaded once from the data in ``schemas/codes`` (installed as ``sdohedi/data``).

Answers the questions a claim needs: is this procedure code billable on this date with these
modifiers, in which unit; is this ICD-10-CM code valid on the date of service; what does
CARC 45 mean. A payer's own additions or restrictions come from config (see ``CodeSet.extend``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

_FAR_FUTURE = dt.date(9999, 12, 31)


def _data_dir() -> Path:
    here = Path(str(resources.files("sdohedi"))) / "data" / "codes"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[3] / "schemas" / "codes"  # source checkout


@cache
def load_table(name: str) -> dict[str, dict]:
    """A code table (``carc``, ``rarc``, ``claim_status``, ...) as {code: entry}."""
    with open(_data_dir() / f"{name}.json", encoding="utf-8") as f:
        return {row["code"]: row for row in json.load(f)["codes"]}


def describe(table: str, code: str) -> str:
    """Human description of a code, or '' when unknown (e.g. ``describe('carc', '45')``)."""
    row = load_table(table).get(code)
    return row["description"] if row else ""


@dataclass(frozen=True, slots=True)
class Procedure:
    code: str
    description: str
    unit: str
    unit_minutes: int | None
    allowed_modifiers: frozenset[str]
    start: dt.date
    end: dt.date
    # Ambulance or non-emergency transportation: the TR3 then requires the pick-up and drop-off
    # locations (2310E/2310F, or 2420G/2420H on a line whose locations differ).
    transport: bool = False

    def effective_on(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Diagnosis:
    code: str  # with the dot, as coders write it
    description: str
    start: dt.date
    end: dt.date


def _d(value: str | None) -> dt.date:
    return dt.date.fromisoformat(value) if value else _FAR_FUTURE


class CodeSet:
    """Procedures and diagnoses with dates; built from the bundled data, extendable by config."""

    def __init__(self, procedures: dict[str, Procedure], diagnoses: dict[str, list[Diagnosis]]) -> None:
        self.procedures = procedures
        self.diagnoses = diagnoses  # key: code without the dot; several rows when dates split

    @classmethod
    @cache
    def bundled(cls) -> "CodeSet":
        procs = {
            code: Procedure(code, r["description"], r["unit"], r["unit_minutes"], frozenset(r["allowed_modifiers"]),
                            _d(r["effective_start"]), _d(r["effective_end"]), r["transport"])
            for code, r in load_table("procedures").items()
        }
        dx: dict[str, list[Diagnosis]] = {}
        for code, r in load_table("icd10cm_z").items():
            dx.setdefault(code.replace(".", ""), []).append(
                Diagnosis(code, r["description"], _d(r["effective_start"]), _d(r["effective_end"])))
        return cls(procs, dx)

    def restricted(self, *, only_procedures: set[str] | None = None,
                   extra_modifiers: dict[str, set[str]] | None = None) -> "CodeSet":
        """A copy limited to a payer's covered codes and with its extra modifiers allowed."""
        procs = dict(self.procedures)
        if only_procedures is not None:
            procs = {c: p for c, p in procs.items() if c in only_procedures}
        for code, mods in (extra_modifiers or {}).items():
            if code in procs:
                p = procs[code]
                procs[code] = Procedure(p.code, p.description, p.unit, p.unit_minutes,
                                        p.allowed_modifiers | frozenset(mods), p.start, p.end, p.transport)
        return CodeSet(procs, self.diagnoses)

    def procedure_problems(self, code: str, modifiers: tuple[str, ...],
                           day: dt.date | None) -> list[tuple[str, str, str, int]]:
        """Empty when billable, else (rule, message, value, component of SV101) for each problem:
        codes in the messages, never the date of service."""
        p = self.procedures.get(code)
        if p is None:
            return [("procedure-code", f"procedure code {code} is not in the core code set", code, 2)]
        out = []
        if day is not None and not p.effective_on(day):
            out.append(("procedure-date", f"procedure code {code} is not effective on the date of service", code, 2))
        for j, m in enumerate(modifiers):
            if m and m not in p.allowed_modifiers:
                out.append(("procedure-modifier", f"modifier {m} is not allowed with {code}", m, 3 + j))
        return out

    def diagnosis_problem(self, code: str, day: dt.date) -> str | None:
        key = code.replace(".", "").upper()
        rows = self.diagnoses.get(key)
        if not rows:
            return f"diagnosis {code} is not a billable ICD-10-CM Z55-Z65 code"
        for r in rows:
            if r.start <= day <= r.end:
                return None
        last = max(rows, key=lambda r: r.end)
        if day > last.end:
            return f"diagnosis {last.code} is not billable for services on or after {(last.end + dt.timedelta(days=1)).isoformat()}"
        return f"diagnosis {rows[0].code} is not billable before {min(r.start for r in rows).isoformat()}"


def place_of_service_ok(code: str) -> bool:
    return code in load_table("place_of_service")


def taxonomy_known(code: str) -> bool:
    return code in load_table("taxonomy")
