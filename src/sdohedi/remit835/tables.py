"""An 835 as Arrow tables, built by the Rust core (rust/src/tables835.rs) with the guide walker.

Each table supports the Arrow PyCapsule interface (``__arrow_c_stream__``): ``pyarrow.table(t)``,
``polars.DataFrame(t)`` and ``duckdb`` read it with no copy. Columns, types and source elements:
schemas/tables/835.md. Rows link by keys: ``claims.payment_row`` -> ``payments.payment_row``,
``service_lines.claim_row`` -> ``claims.claim_row``, ``adjustments.line_row`` (null at claim level).
Amounts are decimal128(18, 2), quantities decimal128(18, 4), dates date32.

A value that does not read as its type is null and a row of ``findings`` names its rule, segment
position, segment and element; its row is kept. :class:`Remit835Error` only when nothing could be
read (the stream stopped before any ST).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from .. import _core
from ..problems import Problem, problem
from .errors import Remit835Error

NAMES = ("payments", "claims", "service_lines", "adjustments", "provider_adjustments", "findings", "remarks")
CHUNK_SIZE = 1 << 20
BATCH_CLAIMS = 65_536  # claims per record batch of a whole read (fewer, bigger batches)
STREAM_BATCH_CLAIMS = 8_192  # claims per batch of iter_835_tables: about 10 MB of tables, memory flat


@dataclass(frozen=True, slots=True)
class Tables835:
    """The seven tables of an 835 (or of one batch of it)."""

    payments: Any
    claims: Any
    service_lines: Any
    adjustments: Any
    provider_adjustments: Any
    findings: Any
    remarks: Any
    # The stream stopped at an error (the last batch only): the last findings row is it, and its
    # payment_row is the transaction set it cut short (null when it came between transaction sets).
    stopped: bool = False

    def items(self) -> Iterator[tuple[str, Any]]:
        return ((name, getattr(self, name)) for name in NAMES)

    def to_pyarrow(self) -> dict[str, Any]:
        """Each table as a ``pyarrow.Table`` (needs pyarrow: the ``parquet`` extra)."""
        import pyarrow

        return {name: pyarrow.table(t) for name, t in self.items()}


def _tables(got: dict[str, Any], *, stopped: bool = False) -> Tables835:
    return Tables835(**{name: got[name] for name in NAMES}, stopped=stopped)


def _raise_if_unread(failure: tuple[str, str, int | None] | None) -> None:
    if failure is not None:
        rule, message, position = failure
        raise Remit835Error(message, rule=rule, position=position)


def read_835_tables(source: bytes | str | PathLike[str], *, batch_claims: int = BATCH_CLAIMS) -> Tables835:
    """The tables of a whole 835: ``source`` is its bytes or a path (read in 1 MiB chunks by the
    core, without the GIL). The tables hold every row; :func:`iter_835_tables` bounds memory."""
    data = source if isinstance(source, bytes) else Path(source)
    got, failure = _core.read_835_tables(data, batch_claims)
    _raise_if_unread(failure)
    return _tables(got)


def iter_835_tables(path: str | PathLike[str], *, batch_claims: int = STREAM_BATCH_CLAIMS,
                    chunk_size: int = CHUNK_SIZE) -> Iterator[Tables835]:
    """The tables of an 835 file batch by batch, each with at most ``batch_claims`` claims: memory
    is bounded by one batch and one chunk. Keys count over the whole file, so rows of different
    batches still join. A payment's row comes in the batch of its first claim (or an earlier one)."""
    reader = _core.Tables835Reader(batch_claims)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            reader.feed(chunk)
            got = reader.take()
            if got is not None:
                yield _tables(got)
    got, failure, stopped = reader.close()
    _raise_if_unread(failure)
    yield _tables(got, stopped=stopped)


def finding_problem(row: dict[str, Any], payment: dict[str, Any] | None = None) -> Problem:
    """A row of the ``findings`` table as a :class:`~sdohedi.problems.Problem`; ``payment`` (its
    row of ``payments``) gives the envelope ids ISA13, GS06, ST02."""
    envelope = {} if payment is None else {
        "interchange": payment["isa13"], "group": payment["gs06"], "transaction": payment["st02"]}
    return problem(row["rule"], row["message"], severity=row["severity"], position=row["position"],
                   segment=row["segment"], element=row["element"], loop=row["loop_id"], **envelope)
