"""The row rules over batches (pipeline.rules) against the row-by-row checker they replace
(``RowChecker``, the oracle until it goes): the same lines, value for value, and the same
rejects (row, service_id, every fault's column, rule and reason, in order) on the fixtures and
on hypothesis-generated logs with bad rows of every kind, across batch boundaries."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from pathlib import Path

from hypothesis import given, settings, strategies as st

from sdohedi.models.config import load_config
from sdohedi.pipeline.ingest import IngestError, Reject, read_rows
from row_checker import RowChecker
from sdohedi.pipeline.rules import BatchRules, dict_batch, read_batches
from strategies import BASE, VARIANTS, raw_rows

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONFIG = load_config(FIXTURES / "nle.toml")
TODAY = dt.date(2026, 11, 1)


def _config(by_day: bool):
    if not by_day:
        return CONFIG
    return CONFIG.model_copy(update={"interchange": CONFIG.interchange.model_copy(update={"grouping": "day"})})


def outcome(results, *args, **kw):
    """The results, or the IngestError that ends the file (both paths must agree on it too)."""
    try:
        return results(*args, **kw)
    except IngestError as exc:
        return f"IngestError: {exc}"


def old_results(path: Path, config, data: bytes | None = None, **kw) -> list:
    checker = RowChecker(config, today=TODAY, **kw)
    out = []
    for n, raw in read_rows(path, data, log=checker.log):
        r = checker.check(n, raw, str(path))
        out.append(dataclasses.replace(r, file=str(path)) if isinstance(r, Reject) else r)
    return out


def new_results(path: Path, config, data: bytes | None = None, batch_rows: int = 65536, **kw) -> list:
    rules = BatchRules(config, today=TODAY, **kw)
    return [r for batch in read_batches(path, data, log=rules.log, batch_rows=batch_rows) for r in rules.check(batch)]


def test_fixture_log_gives_the_same_lines_and_rejects():
    path = FIXTURES / "service_log.csv"
    for allow_late in (False, True):
        for by_day in (False, True):
            old = old_results(path, _config(by_day), allow_late=allow_late)
            new = new_results(path, _config(by_day), batch_rows=97, allow_late=allow_late)
            assert new == old
            assert sum(isinstance(r, Reject) for r in new) > 10 and sum(isinstance(r, tuple) for r in new) > 400


def test_platform_export_with_its_log_mapping_gives_the_same_lines_and_rejects():
    config = load_config(FIXTURES / "platform.toml")
    path = FIXTURES / "platform_export.csv"
    data = path.read_bytes()
    # a date the [log] date_format does not read, on one row: that row's only fault
    lines = data.decode().splitlines(keepends=True)
    lines[2] = lines[2].replace("03/14/1961", "1961-03-14", 1)
    bad = "".join(lines).encode()
    for content in (None, bad):
        old = old_results(path, config, content)
        new = new_results(path, config, content, batch_rows=3)
        assert new == old
    assert any(isinstance(r, Reject) and r.rule == "log-date-format" for r in new)


def _csv_bytes(rows: list[dict], extras: list[tuple[int, str]]) -> bytes:
    header = list(rows[0])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for i, row in enumerate(rows):
        for at, text in extras:
            if at == i:
                buf.write(text)
        w.writerow([row.get(k, "") for k in header])
    return buf.getvalue().encode()


# odd lines between rows: a blank line, a row of another width, a row of empty fields
EXTRAS = st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["\r\n", "A,B\r\n", ",,\r\n", "x" * 3 + "\r\n"])),
                  max_size=3)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(raw_rows(), min_size=1, max_size=30), extras=EXTRAS, batch_rows=st.integers(1, 12),
       by_day=st.booleans(), allow_late=st.booleans())
def test_generated_csv_logs_give_the_same_lines_and_rejects(rows, extras, batch_rows, by_day, allow_late):
    data = _csv_bytes(rows, extras)
    path = Path("log.csv")
    old = outcome(old_results, path, _config(by_day), data, allow_late=allow_late)
    new = outcome(new_results, path, _config(by_day), data, batch_rows=batch_rows, allow_late=allow_late)
    assert new == old


# JSON values a row may hold in place of text
ODD_VALUES = st.sampled_from([None, 0, 2, 12.5, True, [1], {"a": 1}, "", " "])


@st.composite
def json_rows(draw):
    row = draw(raw_rows())
    for column in draw(st.sets(st.sampled_from(sorted(VARIANTS)), max_size=2)):
        row[column] = draw(ODD_VALUES)
    return row


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(json_rows(), min_size=1, max_size=20))
def test_generated_json_rows_give_the_same_lines_and_rejects(rows):
    """Rows with different columns and JSON numbers, lists and objects in them, as JSON Lines
    and as the dict rows the batch function takes."""
    data = "".join(json.dumps(r) + "\n" for r in rows).encode() + b"not json\n[1]\n"
    path = Path("log.jsonl")
    assert outcome(new_results, path, CONFIG, data, batch_rows=7) == outcome(old_results, path, CONFIG, data)
    checker = RowChecker(CONFIG, today=TODAY)
    old = [checker.check(n, r, "f") for n, r in enumerate(rows, 1)]
    old = [dataclasses.replace(r, file="f") if isinstance(r, Reject) else r for r in old]
    assert BatchRules(CONFIG, today=TODAY).check(dict_batch("f", list(range(1, len(rows) + 1)), rows)) == old


def test_a_batch_of_plain_rows_is_lines_and_a_bad_row_among_them_only_its_reject():
    rows = [dict(BASE, service_id=f"SV{i}") for i in range(5)]
    rows[2]["units"] = "abc"
    out = BatchRules(CONFIG, today=TODAY).check(dict_batch("f", [2, 3, 4, 5, 6], rows))
    assert [type(r) for r in out] == [tuple, tuple, Reject, tuple, tuple]
    assert out[2].row_number == 4 and out[2].column == "units" and out[2].rule == "invalid-decimal"


def test_a_json_number_where_codes_belong_is_a_reject_not_a_traceback():
    """modifiers / diagnosis_codes split text or a list; a number there was a TypeError out of the model."""
    for column in ("modifiers", "diagnosis_codes"):
        row = dict(BASE, **{column: 0})
        for out in (RowChecker(CONFIG, today=TODAY).check(3, row, "f"),
                    BatchRules(CONFIG, today=TODAY).check(dict_batch("f", [3], [row]))[0]):
            assert isinstance(out, Reject) and out.column == column and out.rule == "field-format"
