"""835 files -> a Spark DataFrame of payments (``read_835``), the same table ``sdohedi remit`` writes.

Files are read whole (Spark's ``binaryFile`` source: many 835s are a single line, so they cannot
be split by lines) and parsed on the executors with :class:`sdohedi.remit835.Parser835`; rows
come from :func:`sdohedi.remit835.rows.service_rows` (or ``claim_rows``), so the table equals
the local command's for the same files.

Schema (fixed): the columns of ``sdohedi.remit835.rows.SERVICE_COLUMNS`` (``CLAIM_COLUMNS``
with ``claims=True``) in that order, typed as the local Parquet export types them: amounts and
quantities ``decimal(20,4)``, ``payment_date``/``service_date`` ``date``, everything else
``string``; then one more column, ``problem`` (string):

* a payment row has ``problem`` null;
* a problem row stands for something the local command prints on stderr: a finding (trailer
  counts, unknown segments, balancing; ``finding_text``) or a file that could not be read
  further (``error: ...``, after the rows of the transactions read before the problem). Only
  ``file`` and ``problem`` are set. Messages name rules and positions, never patient data.

``read_835(...).where("problem IS NULL").drop("problem")`` is the payments table.
``file`` is the path as Spark lists it (``file:/...``) unless ``names`` maps it to another name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..remit835.export import arrow_schema
from ..remit835.rows import (
    CLAIM_COLUMNS, DATE_COLUMNS, MONEY_COLUMNS, QUANTITY_COLUMNS, SERVICE_COLUMNS, claim_rows, service_rows,
)
from .paths import normalize_path, to_uris

PROBLEM = "problem"
_BATCH = 4096


def remit_schema_ddl(claims: bool = False) -> str:
    columns = CLAIM_COLUMNS if claims else SERVICE_COLUMNS
    parts = []
    for c in columns:
        kind = "decimal(20,4)" if c in MONEY_COLUMNS or c in QUANTITY_COLUMNS else "date" if c in DATE_COLUMNS \
            else "string"
        parts.append(f"`{c}` {kind}")
    return ", ".join(parts + [f"`{PROBLEM}` string"])


def _arrow_schema(claims: bool):
    columns = list(CLAIM_COLUMNS if claims else SERVICE_COLUMNS) + [PROBLEM]
    return arrow_schema(columns, money=MONEY_COLUMNS, quantities=QUANTITY_COLUMNS, dates=DATE_COLUMNS)


def file_rows(data: bytes, name: str, claims: bool = False) -> Iterator[dict[str, Any]]:
    """The rows of one whole 835 file (payments and problems), as the local command sees them."""
    from ..models.remit import finding_text
    from ..problems import Problem
    from ..remit835 import Parser835, balance_findings
    from ..x12 import READ_SIZE, X12Error

    to_rows = claim_rows if claims else service_rows
    parser = Parser835()
    read_here = 0
    try:
        # Fed in slices, as the local command reads files: only the transaction set being read
        # is held as models, not every remittance of the file at once.
        for start in range(0, len(data), READ_SIZE):
            for remit in parser.feed(data[start:start + READ_SIZE]):
                yield from _remit_rows(remit, name, to_rows, balance_findings)
                read_here += 1
        remits = parser.close()
        for remit in remits:
            yield from _remit_rows(remit, name, to_rows, balance_findings)
            read_here += 1
    except X12Error as exc:
        # the call that hit the error may have returned complete remittances: feed() keeps the
        # error for the next call, so nothing read before it is lost
        yield {"file": name, PROBLEM: f"error: {exc}" + (f" (after {read_here} transaction sets)" if read_here
                                                          else "")}
    finding: Problem
    for finding in parser.findings:
        yield {"file": name, PROBLEM: finding_text(finding)}


def _remit_rows(remit, name, to_rows, balance_findings) -> Iterator[dict[str, Any]]:
    from ..models.remit import finding_text

    for finding in remit.findings + balance_findings(remit):
        yield {"file": name, PROBLEM: finding_text(finding)}
    yield from to_rows(remit, name)


def _parse_fn(claims: bool, names: dict[str, str]):
    def parse(batches):
        import pyarrow as pa

        schema = _arrow_schema(claims)
        columns = schema.names
        buf: list[dict[str, Any]] = []
        for batch in batches:
            paths = batch.column("path").to_pylist()
            contents = batch.column("content")
            for i, path in enumerate(paths):
                data = contents[i].as_py()
                name = names.get(normalize_path(path), path)
                for row in file_rows(data, name, claims):
                    buf.append(row)
                    if len(buf) >= _BATCH:
                        yield pa.RecordBatch.from_pylist([{c: r.get(c) for c in columns} for r in buf], schema=schema)
                        buf = []
        if buf:
            yield pa.RecordBatch.from_pylist([{c: r.get(c) for c in columns} for r in buf], schema=schema)

    return parse


def read_835(spark, path: str | Iterable[str], *, claims: bool = False, names: dict[str, str] | None = None):
    """A DataFrame of the payments in the 835 file(s) at ``path`` (a file, a folder, a glob or a
    list of them): one row per service payment (per claim with ``claims=True``), plus problem
    rows (see the module docstring). Lazy: nothing is read until an action runs."""
    paths = [path] if isinstance(path, str) else list(path)
    keyed = {normalize_path(u): n for u, n in (names or {}).items()}
    files = spark.read.format("binaryFile").load(to_uris(paths)).select("path", "content")
    return files.mapInArrow(_parse_fn(claims, keyed), remit_schema_ddl(claims))
