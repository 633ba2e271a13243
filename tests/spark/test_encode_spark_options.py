"""The Spark encode engine on the per-payer options and a [log]-mapped export: the local
engine's bytes and rejects (the export's column names, timely filing, BHT06 = RP)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sdohedi.ledger import Ledger
from sdohedi.models.config import load_config
from sdohedi.pipeline.encode import encode
from sdohedi.pipeline.ingest import IngestError
from sdohedi.pipeline.logmap import LogMapping

pytestmark = pytest.mark.spark

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CONFIG = load_config(FIXTURES / "platform.toml")
RUN_DATE = dt.date(2026, 12, 1)
STAMP = dt.datetime(2026, 12, 1, 9, 30)


def test_the_export_through_spark_gives_the_local_files_and_rejects(spark, tmp_path):
    from sdohedi.spark import encode_837p, read_service_logs

    export = FIXTURES / "platform_export.csv"
    with Ledger(tmp_path / "local.sqlite") as ledger:
        local = encode([export], CONFIG, out_dir=tmp_path / "local", ledger=ledger, today=RUN_DATE, timestamp=STAMP)
    with Ledger(tmp_path / "spark.sqlite") as ledger:
        got = encode_837p(read_service_logs(spark, [export], LogMapping(CONFIG.log)), str(tmp_path / "spark"),
                          CONFIG, ledger, today=RUN_DATE, timestamp=STAMP)
    assert local.billed_rows == got.billed_rows == 5
    for a, b in zip(local.outputs, got.outputs, strict=True):
        assert Path(a.path).read_bytes() == Path(b.path).read_bytes()
    assert b"*RP~" in Path(next(o.path for o in got.outputs if o.payer == "lakeside")).read_bytes()
    ref = (tmp_path / "local" / "rejects.csv").read_text().splitlines()
    out = (tmp_path / "spark" / "rejects.csv").read_text().splitlines()
    assert sorted(out) == sorted(ref) and any(',Date of Service,"past timely filing' in line for line in out)


def test_a_mapped_column_the_export_lacks_stops_spark_as_local(spark, tmp_path):
    from sdohedi.spark import encode_837p, read_service_logs

    lines = (FIXTURES / "platform_export.csv").read_text().splitlines()
    bad = tmp_path / "export.csv"
    bad.write_text("\n".join([lines[0].replace("Invoice ID", "Invoice")] + lines[1:]) + "\n")
    with pytest.raises(IngestError, match='service_id = "Invoice ID"'):
        encode_837p(read_service_logs(spark, [bad], LogMapping(CONFIG.log)), str(tmp_path / "spark"), CONFIG, None,
                    dry_run=True, today=RUN_DATE)


def test_allow_late_through_spark_bills_and_counts_as_local(spark, tmp_path):
    from sdohedi.spark import encode_837p, read_service_logs

    export = FIXTURES / "platform_export.csv"
    local = encode([export], CONFIG, out_dir=tmp_path / "local", ledger=None, today=RUN_DATE, dry_run=True,
                   allow_late=True)
    got = encode_837p(read_service_logs(spark, [export], LogMapping(CONFIG.log)), str(tmp_path / "spark"), CONFIG,
                      None, dry_run=True, today=RUN_DATE, allow_late=True)
    assert (got.billed_rows, got.billed_late) == (local.billed_rows, local.billed_late) == (6, 1)
    assert got.reject_reasons == local.reject_reasons
