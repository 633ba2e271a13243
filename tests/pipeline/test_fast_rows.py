"""The row checker's fast path accepts a row only with exactly the line the thorough check
(the ServiceRecord model and the rules one by one) gives; anything else it leaves to it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings, strategies as st

from sdohedi.models.config import load_config
from sdohedi.pipeline.ingest import Reject, read_rows
from row_checker import RowChecker
from strategies import BASE, raw_rows

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONFIG = load_config(FIXTURES / "nle.toml")
TODAY = dt.date(2026, 11, 1)

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
