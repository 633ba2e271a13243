"""The row checker's fast path accepts a row only with exactly the line the thorough check
(the ServiceRecord model and the rules one by one) gives; anything else it leaves to it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings, strategies as st

from sdohedi.models.config import load_config
from sdohedi.pipeline.ingest import Reject, RowChecker, read_rows

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONFIG = load_config(FIXTURES / "nle.toml")
TODAY = dt.date(2026, 11, 1)

# Each column: values a log might hold, good, odd and bad (checked by the thorough path).
VARIANTS = {
    "service_id": ["SV1", " SV2 ", "", "A" * 30, "A" * 31, "SV*3", "SV~4", "SVé", "SV 5"],
    "member_id": ["OR0461897", "M1", "M", " OR1 ", "OR:1", "X" * 80, "X" * 81, "ÖR1"],
    "member_last_name": ["SMITH", "Peña", "O'NEIL*X", "  ", "", "LEE  JR", "A" * 60, "A" * 61, " NG "],
    "member_first_name": ["ANH", "", " ", "José", "B" * 35, "B" * 36, "A~B"],
    "member_birth_date": ["1961-10-03", "1899-12-31", "2026-10-23", "1961-13-03", "19611003", " 1961-10-03",
                          "1961-10-3", "2030-01-01", ""],
    "member_sex": ["F", "M", "U", "f", " F", "X", ""],
    "member_address": ["9795 N LOMBARD ST", "1 MAIN ST APT #3", "", "Calle Peñas 5", "A" * 55, "A" * 56, "1*2"],
    "member_city": ["PORTLAND", "SALEM", "X", " BEND ", "Coös Bay", ""],
    "member_state": ["OR", "or", "ORE", " WA "],
    "member_zip": ["97222", "972221234", "9722", "97222-1234", " 97222"],
    "payer": ["cascade", "summit", " cascade ", "nope", "", "lakeside"],  # lakeside: timely filing in 90 days
    "cbo": ["meals", "rides", "casemgmt", "nope", " rides"],
    "service_date": ["2026-10-22", "2026-09-30", "2025-09-30", "2025-10-01", "2015-09-30", "2026-11-02",
                     "2026-02-30", "20261022", ""],
    "procedure_code": ["T2003", "S5170", "T1016", "S0215", "97535", "t2003", "T200", "ZZZZZ", " T1016"],
    "modifiers": ["", "U6", "U6:95", "u6", " U6 ", "U6:U6", "ZZ", "U1:U2:U3:U4:U5", "U6::", ":"],
    "units": ["1", "2", "1.5", "1.50", "0", "-1", "01", "", " 3 ", "1e2", "1.2345", "abc"],
    "minutes": ["", "30", "7", "8", "08", "60", "0", "x"],
    "diagnosis_codes": ["Z59.82", "Z5982", "z59.82", "Z59.86", "Z59.861;Z59.41", "Z59.41;Z59.41", "", ";",
                        "Z59.1", "A00.0", "Z59.82; Z60.2", "Z59.12;Z59.41;Z56.0;Z60.2;Z63.8"],
    "place_of_service": ["12", "99", "02", "1", "00", " 12"],
    "charge": ["", "25.00", "25", "0", "0.00", "12.345", "-5", "9999999999999999.99"],
    "prior_auth": ["", "PA123", " PA9 ", "PA*1", "P" * 50, "P" * 51],
    # the first value of each is a good one: BASE is a ride (T2003), which needs all eight
    "pickup_address": ["9795 N LOMBARD ST", "", " ", "Calle Peñas 5", "A" * 55, "A" * 56, "1*2", "  2  ELM "],
    "pickup_city": ["PORTLAND", "X", "", " BEND ", "Coös Bay", "C" * 31],
    "pickup_state": ["OR", "or", "", "ORE", " WA "],
    "pickup_zip": ["97203", "972031234", "9720", "", " 97203"],
    "dropoff_address": ["3181 SW SAM JACKSON PARK RD", "", "1 MAIN ST APT #3", "A~B", "B" * 55, "B" * 56],
    "dropoff_city": ["PORTLAND", "", "SALEM", "Y"],
    "dropoff_state": ["OR", "", "wa", "O1"],
    "dropoff_zip": ["97239", "", "97239-1234", "972391234"],
}
BASE = {column: values[0] for column, values in VARIANTS.items()}
DROPPABLE = [  # optional columns, and one required column
    "member_first_name", "modifiers", "units", "minutes", "charge", "prior_auth", "service_id", "pickup_address",
    "dropoff_zip"]


@st.composite
def raw_rows(draw):
    row = dict(BASE)
    for column in draw(st.sets(st.sampled_from(sorted(VARIANTS)), max_size=4)):
        row[column] = draw(st.sampled_from(VARIANTS[column]))
    for column in draw(st.sets(st.sampled_from(DROPPABLE), max_size=2)):  # a log without the column
        del row[column]
    return row


def test_fast_path_takes_the_plain_rows_of_the_fixture_log():
    checker = RowChecker(CONFIG, today=TODAY)
    accepted = fast = 0
    for n, raw in read_rows(FIXTURES / "service_log.csv"):
        thorough = checker.check_thoroughly(n, raw, "log")
        quick = checker._fast.check(n, raw, "log")
        if quick is not None:
            fast += 1
            assert quick == thorough
        accepted += not isinstance(thorough, Reject)
    assert fast == accepted > 400


@settings(max_examples=1500, deadline=None)
@given(row=raw_rows(), by_day=st.booleans(), allow_late=st.booleans())
def test_fast_path_accepts_only_with_the_thorough_line(row, by_day, allow_late):
    config = CONFIG
    if by_day:
        config = CONFIG.model_copy(update={"interchange": CONFIG.interchange.model_copy(update={"grouping": "day"})})
    checker = RowChecker(config, today=TODAY, allow_late=allow_late)
    thorough = checker.check_thoroughly(7, row, "log")
    quick = checker._fast.check(7, row, "log")
    assert quick is None or quick == thorough
    assert checker.check(7, row, "log") == thorough


def test_fast_path_reads_a_log_without_optional_columns():
    checker = RowChecker(CONFIG, today=TODAY)
    row = {k: v for k, v in BASE.items() if k not in ("charge", "prior_auth", "minutes", "modifiers")}
    line = checker._fast.check(3, row, "log")
    assert line is not None and line == checker.check_thoroughly(3, row, "log")


def test_fast_path_leaves_non_string_values_to_the_model():
    """JSON Lines rows carry numbers: the model converts them; the fast path does not guess."""
    checker = RowChecker(CONFIG, today=TODAY)
    row = dict(BASE, units=2, charge=12.5)
    assert checker._fast.check(3, row, "log") is None
    line = checker.check(3, row, "log")
    assert not isinstance(line, Reject) and line[11:13] == ("2", "12.5")


def test_json_lists_and_objects_go_to_the_model_not_a_traceback():
    """JSON Lines values may be lists or objects: they cannot key the fast path's caches."""
    checker = RowChecker(CONFIG, today=TODAY)
    for column in ("member_id", "modifiers", "service_date", "pickup_zip", "dropoff_address"):
        for value in ([1], {"a": 1}):
            reject = checker.check(3, dict(BASE, **{column: value}), "log")
            assert isinstance(reject, Reject) and reject.column == column


def test_timely_filing_counts_days_from_the_run_date_in_both_paths():
    """lakeside takes services up to 90 days old: day 91 is rejected (by the thorough path, the fast
    one gives up), day 90 is billed by both; with allow_late day 91 is billed by both."""
    row = dict(BASE, payer="lakeside")
    for allow_late in (False, True):
        checker = RowChecker(CONFIG, today=TODAY, allow_late=allow_late)
        for age, late in ((90, False), (91, True)):
            raw = dict(row, service_date=(TODAY - dt.timedelta(days=age)).isoformat())
            thorough = checker.check_thoroughly(3, raw, "log")
            if late and not allow_late:
                assert thorough == Reject(3, "SV1", "service_date", "past timely filing: 91 days, limit 90", "",
                                              "past-timely-filing")
                assert checker._fast.check(3, raw, "log") is None
            else:
                assert not isinstance(thorough, Reject) and checker._fast.check(3, raw, "log") == thorough
            assert (checker.days_late("lakeside", dt.date.fromisoformat(raw["service_date"])) is not None) == late
