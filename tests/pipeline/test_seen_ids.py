"""In-run duplicate service_ids, found in batches through an on-disk set (pipeline.seen)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from hypothesis import given, strategies as st

from sdohedi.models.config import load_config
from sdohedi.pipeline import encode as encode_module
from sdohedi.pipeline.encode import encode
from sdohedi.pipeline.seen import SeenIds

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@given(ids=st.lists(st.sampled_from(["A", "B", "C", "D", "E", "F"]), max_size=40),
       batch=st.integers(1, 7))
def test_first_row_of_each_id_is_reported_like_a_dict_would(ids, batch):
    reference: dict[str, int] = {}
    expected = []
    for row, sid in enumerate(ids, 2):
        expected.append(reference.get(sid))
        reference.setdefault(sid, row)
    seen = SeenIds()
    try:
        got = []
        rows = list(enumerate(ids, 2))
        for i in range(0, len(rows), batch):
            got.extend(seen.add_batch([(sid, row) for row, sid in rows[i:i + batch]]))
    finally:
        seen.close()
    assert got == expected


def test_duplicates_across_batches_are_rejected_with_the_first_row(tmp_path, monkeypatch):
    monkeypatch.setattr(encode_module, "LEDGER_CHECK_BATCH", 4)
    with open(FIXTURES / "service_log.csv", newline="") as f:
        rows = list(csv.DictReader(f))[:30]
    log = tmp_path / "log.csv"
    with open(log, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows + [rows[0], rows[9], rows[9]])  # file rows 32, 33, 34 repeat rows 2 and 11
    config = load_config(FIXTURES / "nle.toml")
    summary = encode([log], config, out_dir=tmp_path / "out", ledger=None, dry_run=True, today=dt.date(2026, 11, 1))
    assert summary.rejected_rows >= 3
    out = tmp_path / "out2"
    summary = encode([log], config, out_dir=out, ledger=None, today=dt.date(2026, 11, 1))
    with open(out / "rejects.csv", newline="") as f:
        dups = [r for r in csv.DictReader(f) if "duplicate service_id in this run" in r["reason"]]
    assert {(r["row_number"], r["reason"].rsplit(" ", 1)[-1]) for r in dups} == {
        ("32", "2)"), ("33", "11)"), ("34", "11)")}
