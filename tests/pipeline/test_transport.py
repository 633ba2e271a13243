"""Transport services (codes flagged ``transport``: T2003, S0215, A0080-A0160) carry where the ride
began and ended. The TR3 (005010X222A1) requires 2310E (NM1*PW) and 2310F (NM1*45), each with
N3/N4, "when billing for ambulance or non-emergency transportation services", and a line whose
locations differ gets its own 2420G/2420H. Expectations here are hand-written from the rows; the
837P is read with a plain split of its text, and checked by pyx12 and by our validator."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from factories import TRIP_HOME, TRIP_TO_CLINIC
from pyx12_oracle import assert_pyx12_clean
from sdohedi.claims837p import read_837p_file
from sdohedi.cli import main
from sdohedi.models import Address
from sdohedi.models.config import load_config
from sdohedi.pipeline.ingest import Reject
from row_checker import RowChecker

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONFIG = FIXTURES / "nle.toml"
TODAY = dt.date(2026, 11, 1)
# The service log's optional location columns, as the brief names them (line tuples keep this order).
TRIP_COLUMNS = ("pickup_address", "pickup_city", "pickup_state", "pickup_zip",
                "dropoff_address", "dropoff_city", "dropoff_state", "dropoff_zip")

MEMBER = dict(member_id="M00001", member_last_name="DOE", member_first_name="JO", member_birth_date="1960-01-01",
              member_sex="F", member_address="2 ELM ST", member_city="BEND", member_state="OR", member_zip="97701",
              payer="cascade", modifiers="", minutes="", diagnosis_codes="Z59.82", place_of_service="99", charge="",
              prior_auth="")


def ride(sid: str, day: str, code: str = "T2003", units: str = "1", **kw) -> dict:
    return dict(MEMBER, service_id=sid, cbo="rides", service_date=day, procedure_code=code, units=units, **kw)


def write_rows(path: Path, rows) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def plain_segments(path: Path) -> list[list[str]]:
    """The file's segments by a plain split (our writer ends segments with ~ and a line break)."""
    return [s.split("*") for s in path.read_text().replace("\n", "").split("~") if s]


def claims_of(segments) -> dict[str, list[list[str]]]:
    """CLM01 -> the claim's segments (CLM up to the next CLM, HL or SE)."""
    out, current = {}, None
    for s in segments:
        if s[0] == "CLM":
            current = out.setdefault(s[1], [])
        elif s[0] in ("HL", "SE"):
            current = None
        if current is not None:
            current.append(s)
    return out


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


CLINIC = ["N3", "2500 NE NEFF RD"], ["N4", "BEND", "OR", "97701"]
HOME = ["N3", "2 ELM ST"], ["N4", "BEND", "OR", "97701"]
HOME_PLUS4 = ["N3", "2 ELM ST"], ["N4", "BEND", "OR", "977011234"]


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rides")
    rows = [
        ride("R1", "2026-09-02", **TRIP_TO_CLINIC),                      # the claim's trip: 2310E/2310F
        ride("R2", "2026-09-02", code="S0215", units="6", **TRIP_TO_CLINIC),  # its mileage: same trip
        ride("R3", "2026-09-02", **TRIP_HOME),                           # the way back: 2420G/2420H
        ride("R4", "2026-09-03", **{**TRIP_TO_CLINIC, "dropoff_address": "1 PHARMACY LN"}),  # only 2420H
        # a meal with locations filled in: they are not sent for a service that is not transport
        dict(MEMBER, service_id="F1", cbo="meals", service_date="2026-09-02", procedure_code="S5170",
             modifiers="U6", units="1", diagnosis_codes="Z59.41", place_of_service="12", **TRIP_TO_CLINIC),
    ]
    # each location column left empty once: the row is rejected, naming the column
    rows += [ride(f"X{i}", "2026-09-04", **{**TRIP_TO_CLINIC, column: ""}) for i, column in enumerate(TRIP_COLUMNS)]
    rows.append(ride("X8", "2026-09-04"))  # no locations at all
    rows.append(ride("X9", "2026-09-04", **{**TRIP_TO_CLINIC, "pickup_zip": "9770"}))  # malformed
    rows.append(dict(rows[4], service_id="X10", pickup_zip="ABCDE"))  # malformed on a meal too: the model says so
    log = write_rows(tmp / "rides.csv", rows)
    out = tmp / "out"
    result = run("encode", log, "--config", CONFIG, "--out", out, "--ledger", tmp / "l.sqlite")
    files = sorted(out.glob("*.837"))
    assert len(files) == 1
    return result, out, files[0], log


def test_trip_columns_are_the_models():
    from sdohedi.models.service_row import TRIP_COLUMNS as columns

    assert columns == TRIP_COLUMNS


def test_transport_rows_without_locations_are_rejected_naming_the_column(encoded):
    result, out, _, _ = encoded
    assert result.exit_code == 1
    rejects = {r["service_id"]: r for r in csv.DictReader(open(out / "rejects.csv"))}
    assert sorted(rejects) == sorted([f"X{i}" for i in range(11)])
    for i, column in enumerate(TRIP_COLUMNS):
        assert rejects[f"X{i}"]["column"] == column
        assert "2310E/2310F" in rejects[f"X{i}"]["reason"] and "T2003" in rejects[f"X{i}"]["reason"]
    assert rejects["X8"]["column"] == "pickup_address"
    assert rejects["X9"]["column"] == "pickup_zip" and rejects["X10"]["column"] == "pickup_zip"


def test_claim_gets_2310e_2310f_and_lines_of_another_trip_2420g_2420h(encoded):
    _, _, path, _ = encoded
    claims = claims_of(plain_segments(path))
    assert len(claims) == 2  # rides and meals of one member and month
    rides = next(c for c in claims.values() if ["SV1", "HC:T2003", "28", "UN", "1", "", "", "1"] in c)
    meals = next(c for c in claims.values() if c is not rides)
    assert not any(s[0] == "NM1" and s[1] in ("PW", "45") for s in meals)

    ids = [s[0] + ("*" + s[1] if s[0] in ("NM1", "REF") else "") for s in rides]
    lx = [i for i, s in enumerate(rides) if s[0] == "LX"]
    claim_part, lines = rides[:lx[0]], [rides[a:b] for a, b in zip(lx, lx[1:] + [len(rides)])]
    # 2310E then 2310F, after the rendering provider (2310B) and before the first line
    start = ids.index("NM1*PW")
    assert ids[start - 2:start] == ["NM1*82", "PRV"]
    assert claim_part[start:] == [["NM1", "PW", "2"], *HOME, ["NM1", "45", "2"], *CLINIC]
    # lines, in service date and id order: R1, R2 (the claim's trip), R3 (back), R4 (elsewhere)
    assert [next(s[2] for s in ln if s[:2] == ["REF", "6R"]) for ln in lines] == ["R1", "R2", "R3", "R4"]
    assert not any(s[0] == "NM1" for s in lines[0] + lines[1])
    after_ref = lambda ln: ln[[s[:2] for s in ln].index(["REF", "6R"]) + 1:]  # noqa: E731
    assert after_ref(lines[2]) == [["NM1", "PW", "2"], *CLINIC, ["NM1", "45", "2"], *HOME_PLUS4]
    assert after_ref(lines[3]) == [["NM1", "45", "2"], ["N3", "1 PHARMACY LN"], CLINIC[1]]


def test_transport_837p_passes_pyx12_and_our_validator(encoded):
    _, _, path, _ = encoded
    assert_pyx12_clean(path.read_bytes())
    result = run("validate", path)
    assert result.exit_code == 0, result.output


def test_decode_reads_the_locations_back(encoded):
    _, _, path, _ = encoded
    rides = next(c for c in read_837p_file(path) if c.pickup is not None)
    home = Address(line1="2 ELM ST", city="BEND", state="OR", zip="97701")
    clinic = Address(line1="2500 NE NEFF RD", city="BEND", state="OR", zip="97701")
    assert (rides.pickup, rides.dropoff) == (home, clinic)
    assert [(ln.pickup, ln.dropoff) for ln in rides.lines] == [
        (None, None), (None, None), (clinic, home.model_copy(update={"zip": "977011234"})),
        (None, Address(line1="1 PHARMACY LN", city="BEND", state="OR", zip="97701"))]


def test_both_paths_take_the_rule_and_the_fast_path_takes_plain_rides():
    checker = RowChecker(load_config(CONFIG), today=TODAY)
    good = ride("R1", "2026-09-02", **TRIP_TO_CLINIC)
    quick = checker._fast.check(2, good, "log")
    assert quick is not None and quick == checker.check_thoroughly(2, good, "log")
    for column in TRIP_COLUMNS:
        bad = dict(good, **{column: " "})
        assert checker._fast.check(2, bad, "log") is None
        reject = checker.check(2, bad, "log")
        assert isinstance(reject, Reject) and reject.column == column
    # a pick-up on a meal is not kept: the line's trip fields are empty, as for any other service
    meal = dict(good, cbo="meals", procedure_code="S5170", modifiers="U6", diagnosis_codes="Z59.41")
    line = checker.check(2, meal, "log")
    assert not isinstance(line, Reject) and set(line[-9:-1]) == {""}


def test_free_text_of_a_location_is_cleaned_as_member_addresses_are():
    checker = RowChecker(load_config(CONFIG), today=TODAY)
    row = ride("R1", "2026-09-02", **{**TRIP_TO_CLINIC, "dropoff_address": "Calle Peñas 5*B", "pickup_city": "Coös Bay"})
    line = checker.check(2, row, "log")
    assert not isinstance(line, Reject)
    assert line[-9:-1] == ("2 ELM ST", "Coos Bay", "OR", "97701", "Calle Penas 5 B", "BEND", "OR", "97701")


def test_no_cr1_on_non_emergency_transport(encoded):
    """CR1 is required "on all claims involving ambulance transport services"; T2003/S0215 are
    non-emergency transport, not ambulance, so neither CR1 nor the ambulance CRC*07 is sent."""
    _, _, path, _ = encoded
    segments = plain_segments(path)
    assert any(s[:2] == ["NM1", "PW"] for s in segments)
    assert not any(s[0] == "CR1" or s[:2] == ["CRC", "07"] for s in segments)
