"""The encode engine on Apache Spark: service-log rows -> 837P interchanges, written by executors.

DataFrame API only (``mapInArrow``, ``repartitionById``, joins, windows; no RDD), so it runs on
classic clusters, Spark Connect and shared or serverless compute. Steps:

1. **check** (executors): each run of a file's rows goes through the local engine's row rules
   (:class:`~sdohedi.pipeline.rules.BatchRules`, one batch); rejects keep file, row number,
   column and reason. ``read_service_logs`` reads whole files with the
   local readers, so rows, row numbers and rejects are the local engine's.
2. **duplicates**: within the run, the first row of a service_id (by file order, then row)
   wins (a window); against the ledger, the driver streams the service_ids and asks the ledger
   (``billed``) in batches; replacements (``resubmit``) look up payer claim numbers there.
3. **plan** (driver): units as in :mod:`sdohedi.pipeline.units` (one payer, at most
   ``max_lines_per_file`` lines, claim groups whole). Group sizes are packed on the executors,
   payer by payer in sorted order; the driver collects one row per unit.
4. **reserve** (driver, one ledger transaction): ISA13 and GS06 blocks of one per unit and one
   claim-id block of one per line, cut into per-unit blocks in unit order. Numbers reserved are
   never handed out again, even if the job fails.
5. **write** (executors): ``repartitionById`` puts unit ``k`` alone in partition ``k``;
   each task sorts its lines and calls the local engine's :func:`write_unit` with the unit's
   numbers and the run's fixed timestamp, into a 0600 temp file renamed to a staged name. A
   retried (or speculative) task writes the same bytes again. The task returns the ledger rows
   of its claims and lines, written to a staging Parquet dataset by Spark's commit protocol.
6. **publish** (driver, one ledger transaction): record every claim, line and interchange,
   rename the staged files to ``<payer>-<ISA13>.837``, commit. A failure before the commit
   renames them back: no published file without its record, no record without its file.

The output folder must be a path that the driver and every executor open as a file system
(local disk in local mode; NFS, ``/dbfs`` or ``/Volumes`` mounts on a cluster). Staging lives
in a hidden ``.sdohedi-spark-<run>`` folder inside it (mode 0700) and is removed at the end.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import json
import operator
import os
import pickle
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path

from ..models.config import NLEConfig
from ..pipeline.encode import (
    EncodeSummary, PayerOutput, _Rejects, duplicate_in_ledger, duplicate_in_run, no_payer_claim_number,
    unit_file_name, write_unit,
)
from ..pipeline.files import HashingFile
from ..pipeline.grouping import Parties
from ..pipeline.ingest import LINE_FIELDS, Fault, IngestError, L, Reject, RowContext, read_rows, reject_of
from ..pipeline.rules import BatchRules, dict_batch
from ..pipeline.logmap import LogMapping
from ..pipeline.units import GROUP_FIELDS, SORT_FIELDS, UnitNumbers, UnitPacker, number_units
from .paths import local_dir, normalize_path, to_uri, to_uris

DEFAULT_MAX_LINES_PER_FILE = 100_000
LEDGER_CHECK_BATCH = 5000
_BATCH = 4096

PROVENANCE = ("_file_index", "_file", "_row", "_raw", "_fatal")
RAW_DDL = "_file_index int, _file string, _row bigint, _raw binary, _fatal string"
_LINE_DDL = ", ".join(f"`{f}` {'bigint' if f == 'row_number' else 'string'}" for f in LINE_FIELDS)
CHECKED_DDL = "file_index int, fatal string, ok boolean, reject_column string, reject_reason string, " + _LINE_DDL
PLAN_DDL = ", ".join(f"`{f}` string" for f in GROUP_FIELDS) + ", n bigint, unit_seq int"
RECORD_DDL = "unit_id int, kind string, data string"
_NOT_SHARED = ("the executors' staged files are not visible on the driver: the output folder must be a path that "
               "the driver and every executor open as one file system (local mode, NFS, /dbfs or /Volumes)")
REJECT_COLUMNS = ("file_index", "row_number", "service_id", "file", "column", "kind", "arg")


# -- reading -----------------------------------------------------------------------------------

def read_service_logs(spark, paths: Iterable[str | os.PathLike[str]], log: LogMapping | None = None):
    """Service logs (CSV, JSON Lines, Parquet; by extension, as the local engine) -> a DataFrame
    for :func:`encode_837p`. Each file is read whole on an executor (``binaryFile``) by the local
    readers, so row numbers, values and reading errors are exactly the local engine's. Columns:
    ``_file_index`` (position in ``paths``), ``_file`` (the name as given), ``_row`` (row number),
    ``_raw`` (the row as the reader gave it, pickled) and ``_fatal`` (a file that cannot be read).
    ``log`` (``LogMapping`` of the config's ``[log]``): a file must have the columns it maps, as
    locally; :func:`encode_837p` maps the rows (its ``BatchRules`` do)."""
    names = [os.fspath(p) for p in paths]
    index = {normalize_path(to_uri(n)): (i, n) for i, n in enumerate(names)}
    files = spark.read.format("binaryFile").load(to_uris(names)).select("path", "content")
    return files.mapInArrow(_read_fn(index, log), RAW_DDL)


class _Columns:
    """Rows gathered column by column on an executor, handed out as Arrow record batches."""

    def __init__(self, schema) -> None:
        self.schema = schema
        self.cols: list[list] = [[] for _ in schema.types]

    def add(self, values) -> None:
        for c, v in zip(self.cols, values):
            c.append(v)

    def __len__(self) -> int:
        return len(self.cols[0])

    def batch(self):
        import pyarrow as pa

        out = pa.RecordBatch.from_arrays([pa.array(c, t) for c, t in zip(self.cols, self.schema.types)],
                                         schema=self.schema)
        for c in self.cols:
            c.clear()
        return out


def _read_fn(index: dict[str, tuple[int, str]], log: LogMapping | None = None):
    def read(batches):
        import pyarrow as pa

        out = _Columns(pa.schema([("_file_index", pa.int32()), ("_file", pa.string()), ("_row", pa.int64()),
                                  ("_raw", pa.binary()), ("_fatal", pa.string())]))
        for batch in batches:
            paths = batch.column("path").to_pylist()
            content = batch.column("content")
            for i, path in enumerate(paths):
                file_index, name = index.get(normalize_path(path), (len(index), path))
                try:
                    for n, raw in read_rows(name, content[i].as_py(), log):
                        out.add((file_index, name, n, pickle.dumps(raw, protocol=5), None))
                        if len(out) >= _BATCH:
                            yield out.batch()
                except IngestError as exc:
                    out.add((file_index, name, 0, None, str(exc)))
        if len(out):
            yield out.batch()

    return read


# -- checking ------------------------------------------------------------------------------------

def _with_provenance(df):
    """The ``read_service_logs`` shape as is; any other DataFrame of service-log columns gets
    ``_file`` "", ``_file_index`` 0 and ``_row`` from ``monotonically_increasing_id`` unless it has them."""
    from pyspark.sql import functions as F

    cols = df.columns
    if "_raw" in cols:
        return df.select(*PROVENANCE), None
    data_cols = [c for c in cols if c not in PROVENANCE]
    extra = {
        "_file_index": F.col("_file_index").cast("int") if "_file_index" in cols else F.lit(0).cast("int"),
        "_file": F.col("_file").cast("string") if "_file" in cols else F.lit(""),
        "_row": F.col("_row").cast("bigint") if "_row" in cols else (F.monotonically_increasing_id() + 1),
        "_raw": F.lit(None).cast("binary"),
        "_fatal": F.lit(None).cast("string"),
    }
    return df.select(*[v.alias(k) for k, v in extra.items()], *data_cols), data_cols


def _checked_arrow_schema():
    import pyarrow as pa

    fields = [("file_index", pa.int32()), ("fatal", pa.string()), ("ok", pa.bool_()), ("reject_column", pa.string()),
              ("reject_reason", pa.string())]
    fields += [(f, pa.int64() if f == "row_number" else pa.string()) for f in LINE_FIELDS]
    return pa.schema(fields)


def _check_fn(config: NLEConfig, today: dt.date, data_cols: list[str] | None, allow_late: bool = False):
    def check(batches):
        rules = BatchRules(config, today=today, allow_late=allow_late)
        out = _Columns(_checked_arrow_schema())
        add = out.add
        nothing = (None,) * len(LINE_FIELDS)
        sid_at, row_at, file_at = 5 + L["service_id"], 5 + L["row_number"], 5 + L["file"]

        for batch in batches:
            fidx = batch.column("_file_index").to_pylist()
            files = batch.column("_file").to_pylist()
            rows = batch.column("_row").to_pylist()
            fatal = batch.column("_fatal").to_pylist()
            if data_cols is None:
                raws = batch.column("_raw").to_pylist()
                data = None
            else:
                raws = None
                data = batch.select(data_cols).to_pylist()
            i, size = 0, batch.num_rows
            while i < size:
                if fatal[i] is not None:
                    values = [fidx[i], fatal[i], False, None, None, *nothing]
                    values[file_at] = files[i]
                    add(values)
                    i += 1
                    continue
                end = i  # a run of rows of one file: one batch through the rules
                while end < size and fatal[end] is None and files[end] == files[i]:
                    end += 1
                run = [pickle.loads(raws[k]) if raws is not None else
                       {key: ("" if v is None else v) for key, v in data[k].items()} for k in range(i, end)]
                results = rules.check(dict_batch(files[i], rows[i:end], run, rules.log))
                for k, result in zip(range(i, end), results):
                    if isinstance(result, Reject):
                        values = [fidx[k], None, False, result.column, _faults_text(result), *nothing]
                        values[sid_at], values[row_at], values[file_at] = result.service_id, rows[k], files[k]
                        add(values)
                    else:
                        add((fidx[k], None, True, None, None, *result))
                    if len(out) >= _BATCH:
                        yield out.batch()
                i = end
        if len(out):
            yield out.batch()

    return check


# -- planning and writing ---------------------------------------------------------------------------

def _pack_fn(max_lines: int | None):
    """Groups sorted by (payer, group key), payers whole within a partition -> unit_seq per group."""
    def pack(batches):
        import pyarrow as pa

        payer = None
        packer = None
        for batch in batches:
            payers = batch.column("payer").to_pylist()
            sizes = batch.column("n").to_pylist()
            seqs = []
            for p, n in zip(payers, sizes):
                if p != payer:
                    payer, packer = p, UnitPacker(max_lines)
                seqs.append(packer.add(n))
            yield batch.append_column("unit_seq", pa.array(seqs, pa.int32()))

    return pack


def _write_fn(config: NLEConfig, units: dict[int, tuple[str, UnitNumbers]], staged: str | None,
              timestamp: dt.datetime, icns: dict[str, str], live: bool,
              after_unit: Callable[[int, str | None], None] | None):
    """One task: the units of its partition (one, with ``repartitionById``), each sorted."""
    def write(batches):
        import pyarrow as pa

        schema = pa.schema([("unit_id", pa.int32()), ("kind", pa.string()), ("data", pa.string())])
        parties = Parties(config)
        out: list[tuple] = []

        def emit():
            ids, kinds, data = zip(*out)
            out.clear()
            return pa.RecordBatch.from_arrays([pa.array(ids, pa.int32()), pa.array(kinds), pa.array(data)],
                                              schema=schema)

        def rows() -> Iterator[tuple[int, int, tuple]]:
            for batch in batches:
                uids = batch.column("unit_id").to_pylist()
                fidx = batch.column("file_index").to_pylist()
                cols = [batch.column(c).to_pylist() for c in LINE_FIELDS]
                for i, line in enumerate(zip(*cols)):
                    yield uids[i], fidx[i], line

        done: set[int] = set()
        for unit_id, group in itertools.groupby(rows(), key=lambda r: r[0]):
            if unit_id in done:
                raise RuntimeError(f"unit {unit_id} is not contiguous in its partition")
            done.add(unit_id)
            payer_key, numbers = units[unit_id]
            file_index: dict[str, int] = {}
            consumed = 0

            def lines() -> Iterator[tuple]:
                nonlocal consumed
                for _, fi, line in group:
                    file_index.setdefault(line[L["file"]], fi)
                    consumed += 1
                    yield line

            rejected: list[Reject] = []

            def record(claim_row: tuple, line_rows: list[tuple]) -> None:
                out.append((unit_id, "claim", json.dumps(claim_row)))
                out.extend((unit_id, "line", json.dumps(r)) for r in line_rows)

            name = unit_file_name(payer_key, numbers.isa13)
            common = dict(payer_key=payer_key, config=config, parties=parties, numbers=numbers, timestamp=timestamp,
                          reject=rejected.append, payer_claim_numbers=icns)
            target = None
            sha256 = None
            size = 0
            if live:
                target = os.path.join(staged, name)
                sink = HashingFile(target, tmp=os.path.join(staged, f".{name}.{uuid.uuid4().hex}.tmp"))
                try:
                    result = write_unit(lines(), write=sink, record=record, **common)
                    sink.finish()
                    if result.claims:
                        sink.commit()  # same name and same bytes on every attempt
                    else:
                        sink.abort()
                except BaseException:
                    sink.abort()
                    raise
                sha256, size = sink.sha256.hexdigest(), sink.size
            else:
                result = write_unit(lines(), write=lambda s: None, **common)
            if consumed != numbers.claim_block:
                raise RuntimeError(f"unit {unit_id}: {consumed} lines in this task, {numbers.claim_block} planned "
                                   "(a unit must sit whole in one partition)")
            if after_unit is not None:
                after_unit(unit_id, target if live and result.claims else None)
            for r in rejected:
                out.append((unit_id, "reject", json.dumps([file_index.get(r.file, 0), r.row_number, r.service_id,
                                                           r.file, r.column, _faults_text(r)])))
            out.append((unit_id, "unit", json.dumps({
                "payer": payer_key, "name": name, "isa13": numbers.isa13, "gs06": numbers.gs06,
                "claims": result.claims, "lines": result.lines, "total_charge": str(result.total_charge),
                "st02s": result.transaction_control_numbers, "sha256": sha256, "size": size})))
            if len(out) >= _BATCH:
                yield emit()  # a unit's records at most (about two rows per line)
        if out:
            yield emit()

    return write


# -- the driver --------------------------------------------------------------------------------------

def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _stage(df, run_dir: Path | None, name: str):
    """Materialize ``df`` as Parquet in the run folder (later steps read it back, so nothing
    upstream is computed twice and retried tasks see the same rows); without one, ``df`` as is."""
    if run_dir is None:
        return df
    path = to_uri(run_dir / name)
    df.write.mode("overwrite").parquet(path)
    return df.sparkSession.read.schema(df.schema).parquet(path)


def _line_stub(row_number: int, service_id: str, file: str) -> tuple:
    stub = [None] * len(LINE_FIELDS)
    stub[L["row_number"]], stub[L["service_id"]], stub[L["file"]] = row_number, service_id, file
    return tuple(stub)


def _faults_text(r: Reject) -> str:
    """A reject's faults (column, rule, reason) as one string column of a Spark row."""
    return json.dumps([[f.column, f.rule, f.reason] for f in r.faults])


def _reject_of(kind: str, row_number: int, service_id: str, file: str, column: str, arg: str) -> Reject:
    """Reject rows from Spark carry a kind and an argument; the text is the local engine's."""
    if kind in ("check", "build"):  # made by the row rules or write_unit on an executor
        return reject_of(row_number, service_id, [Fault(*f) for f in json.loads(arg)], file)
    if kind == "dup_run":
        return duplicate_in_run(row_number, service_id, int(arg), file)
    if kind == "dup_ledger":
        return duplicate_in_ledger(_line_stub(row_number, service_id, file), arg)
    if kind == "no_icn":
        return no_payer_claim_number(_line_stub(row_number, service_id, file), arg)
    raise ValueError(f"unknown reject kind {kind!r}")


def encode_837p(
    df,
    out_uri: str | os.PathLike[str] | None,
    config: NLEConfig,
    ledger,
    *,
    dry_run: bool = False,
    resubmit: bool = False,
    today: dt.date | None = None,
    timestamp: dt.datetime | None = None,
    max_lines_per_file: int | None = DEFAULT_MAX_LINES_PER_FILE,
    allow_late: bool = False,
    _after_unit: Callable[[int, str | None], None] | None = None,
) -> EncodeSummary:
    """Encode the service-log rows of ``df`` into 837P files in ``out_uri``; see the module docstring.

    ``df`` is :func:`read_service_logs`'s DataFrame, or any DataFrame with the service-log columns
    (optionally ``_file``, ``_file_index``, ``_row`` for reject reports). ``ledger`` is a SQLite
    ``Ledger`` or a ``PgLedger`` (``sdohedi.ledger.open_ledger``); ``None`` (or ``dry_run``)
    writes no file and reserves no number. ``timestamp`` (ISA09/10, GS04/05, BHT04/05) defaults to
    now, taken once on the driver. Returns the local engine's :class:`EncodeSummary`, with one
    output per unit. ``_after_unit(unit_id, staged_path)`` runs on the executor after each unit
    (tests use it to fail a task once).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = df.sparkSession
    out = local_dir(out_uri) if out_uri is not None else None
    today = today or dt.date.today()
    timestamp = timestamp or _now()
    summary = EncodeSummary(dry_run=dry_run)
    live = ledger is not None and not dry_run and out is not None
    run_dir = None
    if out is not None and not dry_run:
        out.mkdir(parents=True, exist_ok=True)
        run_dir = out / f".sdohedi-spark-{uuid.uuid4().hex}"
        run_dir.mkdir(mode=0o700)
    rejects = _Rejects(None if dry_run else out, summary, LogMapping(config.log))
    try:
        # 1. check every row
        source, data_cols = _with_provenance(df)
        checked = _stage(source.mapInArrow(_check_fn(config, today, data_cols, allow_late), CHECKED_DDL), run_dir,
                         "checked")
        (rows, fatal), = checked.agg(F.count(F.lit(1)), F.min_by("fatal", F.when(F.col("fatal").isNotNull(),
                                                                               F.col("file_index")))).collect()
        if fatal is not None:
            raise IngestError(fatal)  # the first file (in input order) that cannot be read, as the local engine
        summary.rows = rows
        reject_frames = [checked.where(~F.col("ok")).select(
            "file_index", "row_number", "service_id", "file", F.col("reject_column").alias("column"),
            F.lit("check").alias("kind"), F.col("reject_reason").alias("arg"))]

        # 2. duplicates in the run: the first row of a service_id (file order, then row) wins
        w = Window.partitionBy("service_id").orderBy("file_index", "row_number")
        ranked = _stage(checked.where(F.col("ok")).select("file_index", *LINE_FIELDS)
                        .withColumn("_rank", F.row_number().over(w))
                        .withColumn("_first_row", F.first("row_number").over(w)), run_dir, "ranked")
        reject_frames.append(ranked.where(F.col("_rank") > 1).select(
            "file_index", "row_number", "service_id", "file", F.lit("service_id").alias("column"),
            F.lit("dup_run").alias("kind"), F.col("_first_row").cast("string").alias("arg")))
        firsts = ranked.where(F.col("_rank") == 1).select("file_index", *LINE_FIELDS)

        # ... and against the ledger, asked on the driver in batches
        actions, icns = _ledger_actions(firsts, ledger, resubmit)
        if actions:
            billed = spark.createDataFrame(actions, "service_id string, _original string, _action string")
            joined = firsts.join(F.broadcast(billed), "service_id", "left")
            reject_frames.append(joined.where(F.col("_action").isin("dup_ledger", "no_icn")).select(
                "file_index", "row_number", "service_id", "file", F.lit("service_id").alias("column"),
                F.col("_action").alias("kind"), F.col("_original").alias("arg")))
            admitted = joined.where(F.col("_action").isNull() | (F.col("_action") == "replace")).withColumn(
                "replaces", F.when(F.col("_action") == "replace", F.col("_original")).otherwise(F.col("replaces")))
        else:
            admitted = firsts
        lines = _stage(admitted.select("file_index", *LINE_FIELDS), run_dir, "lines")
        if allow_late:  # as the local engine counts them: admitted lines past their payer's limit
            late = [(F.col("payer") == key) & (F.col("service_date") < (today - dt.timedelta(days=days)).isoformat())
                    for key, days in RowContext.filing_limits_of(config).items()]
            if late:
                summary.billed_late = lines.where(functools.reduce(operator.or_, late)).count()

        # 3. plan the units
        groups = lines.groupBy(*GROUP_FIELDS).agg(F.count(F.lit(1)).alias("n"))
        plan = _stage(groups.repartition("payer").sortWithinPartitions(*GROUP_FIELDS)
                      .mapInArrow(_pack_fn(max_lines_per_file), PLAN_DDL), run_dir, "plan")
        unit_rows = plan.groupBy("payer", "unit_seq").agg(F.sum("n").alias("lines")).collect()
        units = sorted((r["payer"], r["unit_seq"], int(r["lines"])) for r in unit_rows)
        unit_lines = [n for _, _, n in units]

        # 4. reserve every number of the run in one transaction
        if live and units:
            sender = config.interchange.sender_id
            isa13s, gs06s, claim_numbers = ledger.reserve_many([
                (f"isa13:{sender}", len(units), 999_999_999), (f"gs06:{sender}", len(units), 999_999_999),
                ("claim_id", sum(unit_lines), 10**10 - 1)])
            numbers = number_units(unit_lines, isa13s, gs06s, claim_numbers)
        else:
            numbers = [UnitNumbers(1, 1, 1, n) for n in unit_lines]  # as the local engine's dry run

        # 5. one task per unit writes its interchange
        built: list[list] = []
        unit_out: dict[int, dict] = {}
        if units:
            unit_map = spark.createDataFrame([(p, s, k) for k, (p, s, _) in enumerate(units)],
                                             "payer string, unit_seq int, unit_id int")
            plan_u = plan.join(F.broadcast(unit_map), ["payer", "unit_seq"]).select(*GROUP_FIELDS, "unit_id")
            staged = run_dir / "units" if live else None
            if staged is not None:
                staged.mkdir(mode=0o700)
            info = {k: (units[k][0], numbers[k]) for k in range(len(units))}
            records = (lines.join(plan_u, list(GROUP_FIELDS))
                       .repartitionById(len(units), "unit_id")
                       .sortWithinPartitions("unit_id", *SORT_FIELDS)
                       .mapInArrow(_write_fn(config, info, str(staged) if staged else None, timestamp, icns, live,
                                             _after_unit), RECORD_DDL))
            if run_dir is not None:
                _stage(records, run_dir, "records")
                record_iter = _read_records(run_dir / "records")
            else:
                record_iter = ((r[0], r[1], r[2]) for r in records.toLocalIterator())

            # 6. publish: record and rename in one ledger transaction
            if live:
                _publish(record_iter, ledger, config, out, staged, unit_out, built)
            else:
                _collect(record_iter, unit_out, built)

        for k, (payer_key, _, _) in enumerate(units):
            u = unit_out.get(k)
            if u is None:
                raise RuntimeError(f"unit {k} was not written")
            if live and u["claims"]:
                summary.outputs.append(PayerOutput(payer_key, str(out / u["name"]), u["isa13"], u["claims"], u["lines"],
                                                   Decimal(u["total_charge"]), u["sha256"]))
            elif live:
                summary.outputs.append(PayerOutput(payer_key, None, None, 0, 0, Decimal(0)))
            else:
                summary.outputs.append(PayerOutput(payer_key, None, None, u["claims"], u["lines"],
                                                   Decimal(u["total_charge"])))
            summary.billed_rows += u["lines"]

        # rejects, in file and row order
        all_rejects = reject_frames[0]
        for frame in reject_frames[1:]:
            all_rejects = all_rejects.unionByName(frame)
        spark_rejects = (tuple(r) for r in all_rejects.orderBy("file_index", "row_number", "column", "kind", "arg")
                         .select(*REJECT_COLUMNS).toLocalIterator())
        build_rejects = sorted((fi, row, sid, file, column, "build", reason)
                               for fi, row, sid, file, column, reason in built)
        for fi, row, sid, file, column, kind, arg in heapq.merge(spark_rejects, build_rejects,
                                                                 key=lambda r: (r[0], r[1])):
            rejects(_reject_of(kind, row, sid, file, column, arg))
        summary.rejects_path = rejects.finish()
        return summary
    except BaseException:
        rejects.abort()
        raise
    finally:
        if run_dir is not None:
            shutil.rmtree(run_dir, ignore_errors=True)


def _ledger_actions(firsts, ledger, resubmit: bool) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """[(service_id, original claim, action)] for service_ids already billed, and the payer claim
    numbers of the claims they replace. Actions: dup_ledger, no_icn (rejects) or replace."""
    if ledger is None:
        return [], {}
    billed: dict[str, str] = {}
    batch: list[str] = []
    for row in firsts.select("service_id").toLocalIterator():
        batch.append(row[0])
        if len(batch) >= LEDGER_CHECK_BATCH:
            billed.update(ledger.billed(batch))
            batch = []
    if batch:
        billed.update(ledger.billed(batch))
    icns: dict[str, str] = {}
    missing: set[str] = set()
    actions = []
    for sid, original in billed.items():
        if not resubmit:
            actions.append((sid, original, "dup_ledger"))
            continue
        if original not in icns and original not in missing:
            row = ledger.claim(original)
            if row is None or not row["payer_claim_number"]:
                missing.add(original)
            else:
                icns[original] = row["payer_claim_number"]
        actions.append((sid, original, "replace" if original in icns else "no_icn"))
    return actions, icns


def _read_records(path: Path) -> Iterator[tuple[int, str, str]]:
    """The staged records in the order each task wrote them (file by file)."""
    import pyarrow.parquet as pq

    if not path.is_dir():
        raise RuntimeError(_NOT_SHARED)
    for f in sorted(path.glob("part-*")):
        for batch in pq.ParquetFile(f).iter_batches(batch_size=_BATCH):
            yield from zip(batch.column("unit_id").to_pylist(), batch.column("kind").to_pylist(),
                           batch.column("data").to_pylist())


def _collect(records: Iterable[tuple[int, str, str]], unit_out: dict[int, dict], built: list[list]) -> None:
    for unit_id, kind, data in records:
        if kind == "unit":
            unit_out[unit_id] = json.loads(data)
        elif kind == "reject":
            built.append(json.loads(data))


def _publish(records: Iterable[tuple[int, str, str]], ledger, config: NLEConfig, out: Path, staged: Path,
             unit_out: dict[int, dict], built: list[list]) -> None:
    sender = config.interchange.sender_id
    claim_rows: list[tuple] = []
    line_rows: list[tuple] = []

    def flush() -> None:
        if claim_rows or line_rows:
            ledger.record_claims(claim_rows, line_rows, replacing=any(r[9] for r in claim_rows))
            claim_rows.clear()
            line_rows.clear()

    published: list[tuple[Path, Path]] = []
    try:
        with ledger.transaction():
            for unit_id, kind, data in records:
                if kind == "claim":
                    claim_rows.append(tuple(json.loads(data)))
                elif kind == "line":
                    line_rows.append(tuple(json.loads(data)))
                    if len(line_rows) >= 5000:
                        flush()  # a claim's row always comes before its lines
                elif kind == "reject":
                    built.append(json.loads(data))
                elif kind == "unit":
                    flush()
                    u = unit_out[unit_id] = json.loads(data)
                    if u["claims"]:
                        payer = config.payers[u["payer"]]
                        ledger.record_interchange(
                            sender_id=sender, isa13=u["isa13"], receiver_id=payer.receiver_id, gs06=u["gs06"],
                            payer_key=u["payer"], path=str(out / u["name"]), sha256=u["sha256"], size=u["size"],
                            claims=u["claims"], lines=u["lines"], total_charge=u["total_charge"], st02s=u["st02s"])
            flush()
            for unit_id in sorted(unit_out):
                u = unit_out[unit_id]
                if u["claims"]:
                    source, target = staged / u["name"], out / u["name"]
                    try:
                        os.replace(source, target)
                    except FileNotFoundError:
                        raise RuntimeError(_NOT_SHARED) from None
                    published.append((target, source))
                    os.chmod(target, 0o600)
    except BaseException:
        for target, source in reversed(published):  # the transaction rolled back: no file without its record
            try:
                os.replace(target, source)
            except OSError:
                pass
        raise
