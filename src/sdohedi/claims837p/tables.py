"""An 837P as Arrow tables, built by the Rust core (rust/src/tables837p.rs) with the guide walker.

Each table supports the Arrow PyCapsule interface (``__arrow_c_stream__``): ``pyarrow.table(t)``,
``polars.DataFrame(t)`` and ``duckdb`` read it with no copy. Columns, types and source elements:
schemas/tables/837p.md. Rows link by keys: ``service_lines.claim_row``, ``diagnoses.claim_row``
and ``parties.claim_row`` -> ``claims.claim_row``; parties above the claim by ``hl_id`` ->
``claims.billing_hl_id`` / ``subscriber_hl_id`` / ``patient_hl_id`` within a ``transaction_row``.
Amounts are decimal128(18, 2), quantities decimal128(18, 4), dates date32. Member names, birth
dates, addresses and ids are not in the tables.

A value that does not read as its type is null and a row of ``findings`` names its rule, segment
position, segment and element; its row is kept. :class:`X12SyntaxError` only when nothing could
be read (the stream stopped before any ST).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from .. import _core
from ..x12 import X12SyntaxError

NAMES = ("claims", "service_lines", "diagnoses", "parties", "findings")
CHUNK_SIZE = 1 << 20
BATCH_CLAIMS = 65_536  # claims per record batch of a whole read (fewer, bigger batches)
STREAM_BATCH_CLAIMS = 8_192  # claims per batch of iter_837p_tables: memory flat


@dataclass(frozen=True, slots=True)
class Tables837P:
    """The five tables of an 837P (or of one batch of it)."""

    claims: Any
    service_lines: Any
    diagnoses: Any
    parties: Any
    findings: Any

    def items(self) -> Iterator[tuple[str, Any]]:
        return ((name, getattr(self, name)) for name in NAMES)

    def to_pyarrow(self) -> dict[str, Any]:
        """Each table as a ``pyarrow.Table`` (needs pyarrow: the ``parquet`` extra)."""
        import pyarrow

        return {name: pyarrow.table(t) for name, t in self.items()}


def _tables(got: dict[str, Any]) -> Tables837P:
    return Tables837P(**{name: got[name] for name in NAMES})


def _raise_if_unread(failure: tuple[str, str, int | None] | None) -> None:
    if failure is not None:
        rule, message, position = failure
        raise X12SyntaxError(message, rule=rule, position=position)


def read_837p_tables(source: bytes | str | PathLike[str], *, batch_claims: int = BATCH_CLAIMS) -> Tables837P:
    """The tables of a whole 837P: ``source`` is its bytes or a path (read in 1 MiB chunks by the
    core, without the GIL). The tables hold every row; :func:`iter_837p_tables` bounds memory."""
    data = source if isinstance(source, bytes) else Path(source)
    got, failure = _core.read_837p_tables(data, batch_claims)
    _raise_if_unread(failure)
    return _tables(got)


def iter_837p_tables(path: str | PathLike[str], *, batch_claims: int = STREAM_BATCH_CLAIMS,
                     chunk_size: int = CHUNK_SIZE) -> Iterator[Tables837P]:
    """The tables of an 837P file batch by batch, each with at most ``batch_claims`` claims:
    memory is bounded by one batch and one chunk. Keys count over the whole file, so rows of
    different batches still join."""
    reader = _core.Tables837PReader(batch_claims)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            reader.feed(chunk)
            got = reader.take()
            if got is not None:
                yield _tables(got)
    got, failure, _stopped = reader.close()
    _raise_if_unread(failure)
    yield _tables(got)
