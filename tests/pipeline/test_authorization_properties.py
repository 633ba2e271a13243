"""Properties of billing under prior authorizations, over two runs on one ledger, checked on the
837P files by a plain split (not by our reader): no authorization is billed beyond its units, a line
billed under one falls in it (member, code, dates), every row is billed once, or rejected, or both
(billed for what its authorization had left, the units beyond rejected), and a row rejected for
units had authorizations covering it, none with room for it, the one it took used up."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from decimal import Decimal as D
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdohedi.ledger import Ledger
from sdohedi.models.config import load_config
from sdohedi.models.service_row import COLUMNS
from sdohedi.pipeline.authorizations import Authorization, AuthorizationBook
from sdohedi.pipeline.encode import encode

CONFIG = load_config(Path(__file__).resolve().parents[2] / "fixtures" / "nle.toml")
TODAY = dt.date(2026, 11, 1)
MEMBERS = ("MA0001", "MB0002")
SEPT = dt.date(2026, 9, 1)

days = st.integers(0, 29).map(lambda n: SEPT + dt.timedelta(days=n))
authorizations = st.lists(
    st.tuples(st.sampled_from(MEMBERS), st.integers(1, 12), days, st.integers(0, 20)), min_size=1, max_size=4)
services = st.lists(st.tuples(st.sampled_from(MEMBERS), days, st.sampled_from(["1", "2", "3", "1.5"])),
                    min_size=1, max_size=14)


def _row(n: int, member: str, day: dt.date, units: str) -> dict:
    r = dict.fromkeys(COLUMNS, "")
    r.update(service_id=f"S{n:04d}", member_id=member, member_last_name="DOE", member_birth_date="1960-01-01",
             member_sex="F", member_address="2 ELM ST", member_city="BEND", member_state="OR", member_zip="97701",
             payer="cascade", cbo="casemgmt", service_date=day.isoformat(), procedure_code="T1016", units=units,
             diagnosis_codes="Z59.41", place_of_service="12")
    return r


def _write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def _lines(out: Path) -> list[tuple[str, str, str, str, D]]:
    """(service id, member, REF*G1 or "", service date, units) of every line, by a plain split."""
    found = []
    for f in out.glob("*.837"):
        member = g1 = day = units = None
        for seg in f.read_text().replace("\n", "").split("~"):
            els = seg.split("*")
            if els[:2] == ["NM1", "IL"]:
                member = els[9]
            elif els[0] == "CLM":
                g1 = ""
            elif els[:2] == ["REF", "G1"]:
                g1 = els[2]
            elif els[0] == "SV1":
                units = D(els[4])
            elif els[:2] == ["DTP", "472"]:
                day = els[3]
            elif els[:2] == ["REF", "6R"]:
                found.append((els[2], member, g1, day, units))
    return found


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(authorizations, services, st.integers(0, 14))
def test_no_authorization_is_billed_beyond_its_units(auth_specs, service_specs, cut):
    auths = [Authorization(f"PA{i}", "cascade", member, "T1016", None, D(units), start,
                           min(start + dt.timedelta(days=length), dt.date(2026, 9, 30)), i + 2)
             for i, (member, units, start, length) in enumerate(auth_specs)]
    rows = [_row(n, *spec) for n, spec in enumerate(service_specs)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rejected: dict[str, str] = {}
        lines = []
        with Ledger(tmp / "l.sqlite") as ledger:
            for k, part in enumerate((rows[:cut], rows[cut:])):
                if not part:
                    continue
                out = tmp / f"out{k}"
                s = encode([_write(tmp / f"log{k}.csv", part)], CONFIG, out_dir=out, ledger=ledger, today=TODAY,
                           authorizations=AuthorizationBook(auths))
                lines += _lines(out)
                if s.rejects_path:
                    rejected.update((r["service_id"], r["reason"]) for r in csv.DictReader(open(s.rejects_path)))
        billed_ids = [ln[0] for ln in lines]
        assert set(billed_ids) | set(rejected) == {r["service_id"] for r in rows}
        assert len(set(billed_ids)) == len(billed_ids)
        billed_units = {ln[0]: (ln[2], ln[4]) for ln in lines}
        by_number = {a.number: a for a in auths}
        used = dict.fromkeys(by_number, D(0))
        for sid, member, g1, day, units in lines:
            if g1:
                a = by_number[g1]
                assert member == a.member_id and a.start.strftime("%Y%m%d") <= day <= a.end.strftime("%Y%m%d")
                used[g1] += units
            else:  # billed without one: none covers it
                assert not [a for a in auths if a.member_id == member
                            and a.start.strftime("%Y%m%d") <= day <= a.end.strftime("%Y%m%d")]
        for number, a in by_number.items():
            assert used[number] <= a.units
        row_of = {r["service_id"]: r for r in rows}
        for sid, reason in rejected.items():
            assert reason.startswith("exceeds authorization PA")
            r = row_of[sid]
            a = by_number[reason.split()[2].rstrip(":")]
            assert a.member_id == r["member_id"] and a.start.isoformat() <= r["service_date"] <= a.end.isoformat()
            # not left out while an authorization covering it had room: units only get used up
            covering = [b for b in auths
                        if b.member_id == r["member_id"] and b.start.isoformat() <= r["service_date"] <= b.end.isoformat()]
            for b in covering:
                assert b.units - used[b.number] < D(r["units"])
            if sid in billed_units:  # billed in part: under that authorization, all it had left
                g1, units = billed_units[sid]
                assert g1 == a.number and D(0) < units < D(r["units"]) and used[a.number] == a.units
                assert f"; {units.normalize():f} billed, {(D(r['units']) - units).normalize():f} not billed)" in reason
            else:  # not billed at all: nothing was left of any authorization covering it
                assert all(used[b.number] == b.units for b in covering)
