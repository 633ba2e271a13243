"""The row-by-row checker that ``pipeline.rules`` replaced, kept as the oracle of its
differential test (tests/pipeline/test_batch_rules.py) and the old side of
benchmarks/bench_rules.py: ``check`` (a cached fast path, ``_FastRows``, then
``check_thoroughly``: the ``ServiceRecord`` model and the rules one by one). Nothing in src
uses it."""

from __future__ import annotations

import datetime as dt
import operator
import re
from decimal import Decimal

from pydantic import ValidationError

from sdohedi.codes import place_of_service_ok
from sdohedi.models.service_row import TRIP_COLUMNS, ServiceRecord
from sdohedi.pipeline.ingest import (ICD10_START, NO_TRIP, REQUIRED_COLUMNS, _IDENT, _PLAIN_TEXT, _STAND_INS,
                                     Fault, Reject, RowContext, _TripProblem, model_rule, reject_of)
from sdohedi.pipeline.pricing import fee_for, minutes_to_units, price
from sdohedi.x12.text import UnrepresentableText


class RowChecker(RowContext):
    """Checks one raw row against types, the code set, the config and the calendar, and prices it."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._fast = _FastRows(self)

    def check(self, row_number: int, raw: dict, file: str = "") -> tuple | Reject:
        """The checked, priced line of a raw row, or the first rule it breaks. A row of another
        platform's export is mapped first (``[log]``, see ``logmap``; the rejects file names the
        export's columns again)."""
        if self.log.active:
            raw, bad_date = self.log.rename(raw)
            if bad_date is not None:
                return Reject(row_number, str(raw.get("service_id", "") or "").strip(), bad_date,
                              f"not a date in the [log] date_format {self.log.date_format}", file, "log-date-format")
        try:
            line = self._fast.check(row_number, raw, file)
        except TypeError:  # a JSON list or object where text belongs: no cache key; the model says what is wrong
            line = None
        if line is not None:
            return self._authorized(line) if self.required else line
        return self.check_thoroughly(row_number, raw, file)

    def check_thoroughly(self, row_number: int, raw: dict, file: str = "") -> tuple | Reject:
        """``check`` by the model (``ServiceRecord``) and the rules one by one: the reference for
        the fast path (``_FastRows``) and the way every row it is unsure of goes. A row that
        fails gets every fault it has: each value the model refuses, then each rule that reads
        only columns the model accepted."""
        sid = str(raw.get("service_id", "") or "").strip()
        if "__error__" in raw:
            return reject_of(row_number, sid, [Fault("(row)", "row-shape", raw["__error__"])])
        faults: list[Fault] = []
        rec, bad = self._record(raw, faults)
        if rec is None:
            return reject_of(row_number, sid, faults)

        def fault(column: str, rule: str, reason: str) -> None:
            faults.append(Fault(column, rule, reason))

        def ok(*columns: str) -> bool:  # the rule can run: the model accepted what it reads
            return not bad.intersection(columns)

        cleaned = {}
        for column, clean in (("service_id", self._ident), ("member_id", self._ident), ("prior_auth", self._ident),
                              ("member_last_name", self._text), ("member_first_name", self._text),
                              ("member_address", self._text), ("member_city", self._text)):
            value = getattr(rec, column)
            try:
                cleaned[column] = clean(value) if value and ok(column) else ""
            except UnrepresentableText as exc:
                cleaned[column] = None
                fault(column, exc.rule, str(exc))
        for column, least in (("member_last_name", 1), ("member_address", 1), ("member_city", 2)):
            if ok(column) and cleaned[column] is not None and len(cleaned[column]) < least:
                fault(column, "empty-after-cleaning", "required member field is empty after cleaning")
        sid = cleaned["service_id"] or sid

        payer = self.config.payers.get(rec.payer)
        if payer is None and ok("payer"):
            fault("payer", "unknown-payer", f"unknown payer key {rec.payer!r} (not in [payers] of the config)")
        if rec.cbo not in self.config.cbos and ok("cbo"):
            fault("cbo", "unknown-cbo", f"unknown cbo key {rec.cbo!r} (not in [cbos] of the config)")
        day = rec.service_date
        if ok("service_date"):
            if day > self.today:
                fault("service_date", "service-date-future", "service date is in the future")
            if day < ICD10_START:
                fault("service_date", "service-date-before-icd10", "service date is before ICD-10-CM (2015-10-01)")
            late = self.days_late(rec.payer, day)
            if late is not None and not self.allow_late:
                fault("service_date", "past-timely-filing",
                      f"past timely filing: {late} days, limit {self.filing_limits[rec.payer]}")
        if ok("member_birth_date", "service_date") and rec.member_birth_date > day:
            fault("member_birth_date", "birth-date-after-service", "birth date is after the service date")
        if ok("member_birth_date") and rec.member_birth_date.year < 1900:
            fault("member_birth_date", "birth-date-before-1900", "birth date is before 1900")
        codes = self.codes[rec.payer] if payer is not None else self.base
        proc = None
        if ok("procedure_code"):
            proc = codes.procedures.get(rec.procedure_code)
            if proc is None and rec.procedure_code in self.base.procedures:
                fault("procedure_code", "procedure-not-covered",
                      f"procedure code {rec.procedure_code} is not covered by payer {rec.payer!r} (covered_codes)")
            elif ok("modifiers", "service_date"):
                for rule, reason, _, _ in codes.procedure_problems(rec.procedure_code, rec.modifiers, day):
                    fault("modifiers" if rule == "procedure-modifier" else "procedure_code", rule, reason)
        if ok("modifiers") and len(set(rec.modifiers)) != len(rec.modifiers):
            fault("modifiers", "modifier-repeated", "a modifier is repeated")
        dx = []
        if ok("diagnosis_codes", "service_date"):
            for code in rec.diagnosis_codes:
                reason = codes.diagnosis_problem(code, day)
                key = code.replace(".", "")
                if reason:
                    fault("diagnosis_codes", "diagnosis-date" if key in codes.diagnoses else "diagnosis-not-billable",
                          reason)
                elif key not in dx:
                    dx.append(key)
        if ok("place_of_service") and not place_of_service_ok(rec.place_of_service):
            fault("place_of_service", "place-of-service",
                  f"{rec.place_of_service} is not a CMS place-of-service code")

        trip = NO_TRIP
        if proc is not None and ok(*TRIP_COLUMNS):
            try:
                trip = self._trip(proc, tuple(getattr(rec, c) or "" for c in TRIP_COLUMNS))
            except _TripProblem as problem:
                fault(problem.column, problem.rule, problem.reason)
        units = None
        if rec.units is not None:
            if ok("units") and rec.units <= 0:
                fault("units", "units-not-positive", "units must be greater than 0")
            units = rec.units
        elif rec.minutes is not None:
            if proc is not None and payer is not None and ok("minutes"):
                if proc.unit_minutes is None:
                    fault("minutes", "not-timed", f"{proc.code} is billed per {proc.unit}, not by time: give units")
                else:
                    n = minutes_to_units(rec.minutes, proc.unit_minutes, payer.unit_rounding)
                    if n <= 0:
                        fault("minutes", "minutes-below-unit",
                              f"{rec.minutes} minutes is less than one {proc.unit_minutes}-minute unit "
                              f"under the {payer.unit_rounding} rule")
                    units = Decimal(n)
        elif ok("units", "minutes"):
            fault("units", "units-missing", "units or minutes is required")
        charge = rec.charge
        if charge is not None:
            if ok("charge") and charge <= 0:
                fault("charge", "charge-not-positive", "charge must be greater than 0")
        elif proc is not None and payer is not None and units is not None and units > 0 and ok("charge", "modifiers"):
            fee = fee_for(payer.fee_schedule, rec.procedure_code, rec.modifiers)
            if fee is None:
                mods = (":" + ":".join(rec.modifiers)) if rec.modifiers else ""
                fault("charge", "no-fee", f"no charge given and no fee for {rec.procedure_code}{mods} in payer "
                                          f"{rec.payer!r}'s fee schedule")
            else:
                charge = price(fee, units)
                if charge <= 0:
                    fault("charge", "charge-not-positive", "priced charge is 0: a claim line needs a positive charge")
        if faults:
            return reject_of(row_number, sid, faults)
        period = day.isoformat() if self.by_day else day.isoformat()[:7]
        line = (
            rec.payer, cleaned["member_id"], rec.cbo, period, cleaned["prior_auth"], "", day.isoformat(), sid,
            row_number, rec.procedure_code, ":".join(rec.modifiers), str(units), str(charge), ";".join(dx),
            rec.place_of_service, cleaned["member_last_name"], cleaned["member_first_name"],
            rec.member_birth_date.isoformat(), rec.member_sex, cleaned["member_address"], cleaned["member_city"],
            rec.member_state, rec.member_zip, *trip, file,
        )
        return self._authorized(line) if self.required else line

    @staticmethod
    def _record(raw: dict, faults: list) -> tuple[ServiceRecord | None, frozenset[str]]:
        """The row as a ``ServiceRecord`` and the columns whose values the model refused (each
        one a fault). A refused value is replaced by a stand-in so the rest can be checked; the
        record is None when that is not possible."""
        try:
            return ServiceRecord.model_validate(raw), frozenset()
        except ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False)
        bad = set()
        for err in errors:
            column = str(err["loc"][0]) if err["loc"] else "(row)"
            one = Fault(column, model_rule(err["type"]), err["msg"])
            if one not in faults:
                faults.append(one)
            bad.add(column)
        patched = {k: v for k, v in raw.items() if k not in bad}
        for column in bad:
            if column in _STAND_INS:
                patched[column] = _STAND_INS[column]
            elif column in REQUIRED_COLUMNS or column == "(row)":
                return None, frozenset(bad)
        try:
            return ServiceRecord.model_validate(patched), frozenset(bad)
        except ValidationError:
            return None, frozenset(bad)

# --------------------------------------------------------------------------------------------
# The fast path: most rows of a log are plain text (CSV strings in the usual formats) and
# repeat their member, their codes and their dates. ``_FastRows`` accepts such rows with
# plain string checks and caches, and gives up (None) on anything else, which then goes
# through ``RowChecker.check_thoroughly``: the model and the rules one by one, which also
# word every reject. So a row the fast path accepts gives exactly the line the thorough check
# gives (a property test holds them equal), and rejects are worded in one place only.
# --------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_STATE = re.compile(r"[A-Z]{2}\Z")
_ZIP = re.compile(r"[0-9]{5}(?:[0-9]{4})?\Z")
_PROCEDURE = re.compile(r"[A-Z0-9]{5}\Z")
_MODIFIER = re.compile(r"[A-Z0-9]{2}\Z")
_DIAGNOSIS = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?\Z")
_POS = re.compile(r"[0-9]{2}\Z")
_UNITS = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,3})?\Z")  # Decimal, <= 15 digits, <= 3 decimals
_MINUTES = re.compile(r"[0-9]{1,9}\Z")
_CHARGE = re.compile(r"[0-9]{1,16}(?:\.[0-9]{1,2})?\Z")  # Decimal, <= 18 digits, <= 2 decimals
# Entries per cache, so memory stays flat (a member entry is about 1 KB). Logs list a member's
# services together, so even small caches hit nearly always.
_MEMBER_CACHE = 16384
_SEXES = frozenset(("M", "F", "U"))
_CACHE_LIMIT = 16384
_TRIP_VALUES = operator.itemgetter(*TRIP_COLUMNS)


class _FastRows:
    """See the comment above. Caches are per run and bounded."""

    def __init__(self, checker: RowChecker) -> None:
        self.checker = checker
        self.members: dict[tuple, tuple | None] = {}
        self.birth_dates: dict[str, dt.date] = {}
        self.services: dict[tuple, tuple | None] = {}
        self.diagnoses: dict[tuple, str | None] = {}
        self.quantities: dict[tuple, tuple | None] = {}
        self.trips: dict[tuple, tuple | None] = {}

    @staticmethod
    def _put(cache: dict, key, value, limit: int = _CACHE_LIMIT):
        if len(cache) >= limit:
            cache.clear()
        cache[key] = value
        return value

    def check(self, row_number: int, raw: dict, file: str) -> tuple | None:
        try:
            member_key = (raw["member_id"], raw["member_last_name"], raw.get("member_first_name", ""),
                          raw["member_birth_date"], raw["member_sex"], raw["member_address"], raw["member_city"],
                          raw["member_state"], raw["member_zip"])
            sid = raw["service_id"]
            payer_key = raw["payer"]
            cbo = raw["cbo"]
            day_text = raw["service_date"]
            code = raw["procedure_code"]
            dx_text = raw["diagnosis_codes"]
            pos = raw["place_of_service"]
        except KeyError:  # a required column is missing, or a row error: the thorough check decides
            return None
        # Optional columns may be absent from a log altogether: blank, as the model reads them.
        get = raw.get
        modifiers = get("modifiers", "")
        units_text = get("units", "")
        minutes_text = get("minutes", "")
        charge_text = get("charge", "")
        auth = get("prior_auth", "")
        if type(sid) is not str or type(auth) is not str:
            return None
        member = self.members.get(member_key, False)
        if member is False:
            member = self._put(self.members, member_key, self._member(member_key), _MEMBER_CACHE)
        if member is None:
            return None
        sid = sid.strip()
        if not 0 < len(sid) <= 30 or not _IDENT.match(sid):
            return None
        auth = auth.strip()
        if auth and (len(auth) > 50 or not _IDENT.match(auth)):
            return None
        service = self.services.get((payer_key, cbo, code, modifiers, day_text), False)
        if service is False:
            service = self._put(self.services, (payer_key, cbo, code, modifiers, day_text),
                                self._service(payer_key, cbo, code, modifiers, day_text))
        if service is None:
            return None
        payer, cbo, code, joined_modifiers, day, period, proc, mods = service
        if member[9] > day:  # born after the service
            return None
        dx = self.diagnoses.get((dx_text, day_text), False)
        if dx is False:
            dx = self._put(self.diagnoses, (dx_text, day_text), self._diagnoses(dx_text, day))
        if dx is None or type(pos) is not str:
            return None
        pos = pos.strip()
        if not _POS.match(pos) or not place_of_service_ok(pos):
            return None
        try:
            trip = _TRIP_VALUES(raw)  # one C call where the log has every location column
        except KeyError:
            trip = tuple([get(column, "") for column in TRIP_COLUMNS])
        if proc.transport:
            cached = self.trips.get(trip, False)
            if cached is False:
                cached = self._put(self.trips, trip, self._trip(proc, trip))
            trip = cached
            if trip is None:
                return None
        elif trip != NO_TRIP:
            if any(trip):
                return None  # locations on another service: the model checks their format, then they are dropped
            trip = NO_TRIP
        quantity_key = (payer, code, joined_modifiers, units_text, minutes_text, charge_text)
        quantity = self.quantities.get(quantity_key, False)
        if quantity is False:
            quantity = self._put(self.quantities, quantity_key,
                                 self._quantity(payer, proc, mods, units_text, minutes_text, charge_text))
        if quantity is None:
            return None
        member_id, last, first, birth, sex, address, city, state, zip_code, _ = member
        return (payer, member_id, cbo, period, auth, "", day_text, sid, row_number, code, joined_modifiers,
                quantity[0], quantity[1], dx, pos, last, first, birth, sex, address, city, state, zip_code, *trip,
                file)

    def _trip(self, proc, raw_values: tuple) -> tuple | None:
        """A transport line's trip fields when the raw values have the model's formats and
        pass ``RowChecker._trip`` (a transport code's own rule: the result holds for all of them);
        else None."""
        try:
            values = [v.strip() for v in raw_values]
        except AttributeError:  # not text (JSON numbers, null): the model converts or refuses them
            return None
        address, city, state, zip_code, to_address, to_city, to_state, to_zip = values
        if not (len(address) <= 55 and len(to_address) <= 55 and (not city or 2 <= len(city) <= 30)
                and (not to_city or 2 <= len(to_city) <= 30) and (not state or _STATE.match(state))
                and (not to_state or _STATE.match(to_state)) and (not zip_code or _ZIP.match(zip_code))
                and (not to_zip or _ZIP.match(to_zip))):
            return None
        try:
            return self.checker._trip(proc, values)
        except _TripProblem:
            return None

    def _member(self, values: tuple) -> tuple | None:
        """The member's cleaned fields and birth date, or None when any of them needs a closer look."""
        try:
            member_id, last, first, birth_text, sex, address, city, state, zip_code = (
                values[0].strip(), values[1].strip(), values[2].strip(), values[3], values[4], values[5].strip(),
                values[6].strip(), values[7].strip(), values[8].strip())
        except AttributeError:  # not text (JSON numbers, Parquet dates): the model converts them
            return None
        if (sex not in _SEXES or type(birth_text) is not str or not _ISO_DATE.match(birth_text)
                or not (2 <= len(member_id) <= 80 and 1 <= len(last) <= 60 and len(first) <= 35
                        and 1 <= len(address) <= 55 and 2 <= len(city) <= 30)
                or not _STATE.match(state) or not _ZIP.match(zip_code) or not _IDENT.match(member_id)):
            return None
        birth = self.birth_dates.get(birth_text)
        try:
            if birth is None:
                birth = self._put(self.birth_dates, birth_text, dt.date.fromisoformat(birth_text))
            # names and addresses: most are plain already (the check ``RowChecker._text`` starts with)
            if not (_PLAIN_TEXT.match(last) and _PLAIN_TEXT.match(first) and _PLAIN_TEXT.match(address)
                    and _PLAIN_TEXT.match(city)) or "  " in last + first + address + city:
                text = self.checker._text
                last, first, address, city = text(last), text(first), text(address), text(city)
        except (ValueError, UnrepresentableText):
            return None
        if not last or not address or len(city) < 2 or birth.year < 1900:
            return None
        return member_id, last, first, birth_text, sex, address, city, state, zip_code, birth

    def _service(self, payer_key, cbo, code, modifiers, day_text) -> tuple | None:
        """Payer, CBO, procedure, modifiers and date checked together (they decide billability)."""
        checker = self.checker
        if any(type(v) is not str for v in (payer_key, cbo, code, modifiers, day_text)):
            return None
        payer_key, cbo, code = payer_key.strip(), cbo.strip(), code.strip()
        if payer_key not in checker.config.payers or cbo not in checker.config.cbos or not _PROCEDURE.match(code):
            return None
        if not _ISO_DATE.match(day_text):
            return None
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            return None
        if day > checker.today or day < ICD10_START:
            return None
        if not checker.allow_late and checker.days_late(payer_key, day) is not None:
            return None
        mods = tuple(m.strip().upper() for m in modifiers.split(":") if m.strip())
        if len(mods) > 4 or len(set(mods)) != len(mods) or not all(_MODIFIER.match(m) for m in mods):
            return None
        codes = checker.codes[payer_key]
        if code not in codes.procedures or codes.procedure_problems(code, mods, day):
            return None
        period = day_text if checker.by_day else day_text[:7]
        return payer_key, cbo, code, ":".join(mods), day, period, codes.procedures[code], mods

    def _diagnoses(self, dx_text, day: dt.date) -> str | None:
        if type(dx_text) is not str:
            return None
        codes = self.checker.base
        dx: list[str] = []
        for code in dx_text.split(";"):
            code = code.strip().upper()
            if not code:
                continue
            if not _DIAGNOSIS.match(code) or codes.diagnosis_problem(code, day):
                return None
            key = code.replace(".", "")
            if key not in dx:
                dx.append(key)
        return ";".join(dx) if dx else None

    def _quantity(self, payer_key, proc, mods, units_text, minutes_text, charge_text) -> tuple | None:
        """(units, charge) as the line carries them (strings), or None."""
        if any(type(v) is not str for v in (units_text, minutes_text, charge_text)):
            return None
        units_text, minutes_text, charge_text = units_text.strip(), minutes_text.strip(), charge_text.strip()
        # The model reads all three even when one decides: each must be well formed.
        if ((units_text and not _UNITS.match(units_text)) or (minutes_text and not _MINUTES.match(minutes_text))
                or (charge_text and not _CHARGE.match(charge_text))):
            return None
        payer = self.checker.config.payers[payer_key]
        if units_text:
            units = Decimal(units_text)
            if units <= 0:
                return None
        elif minutes_text:
            if proc.unit_minutes is None:
                return None
            n = minutes_to_units(int(minutes_text), proc.unit_minutes, payer.unit_rounding)
            if n <= 0:
                return None
            units = Decimal(n)
        else:
            return None
        if charge_text:
            charge = Decimal(charge_text)
        else:
            fee = fee_for(payer.fee_schedule, proc.code, mods)
            if fee is None:
                return None
            charge = price(fee, units)
        if charge <= 0:
            return None
        return str(units), str(charge)
