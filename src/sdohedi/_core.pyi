"""Types of sdohedi._core, the compiled X12 core (rust/). Use it through sdohedi.x12."""

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from os import PathLike

from sdohedi.x12.delimiters import Delimiters
from sdohedi.x12.errors import X12SyntaxError

__version__: str
MAX_SEGMENT_LENGTH: int

class Segment:
    """One segment: ordinal in the stream and in its interchange, byte offset, elements."""

    position: int
    index: int
    offset: int
    elements: list[str]
    def __init__(self, position: int, elements: list[str], *, index: int = 0, offset: int = 0) -> None: ...
    @property
    def id(self) -> str: ...
    def get(self, index: int, default: str = "") -> str: ...

Batch = tuple[int, Delimiters, list[str]]  # (start, delimiters, segments): the first has ordinal start + 1

class Tokenizer:
    def __init__(self, *, strict: bool = True, lenient_isa: bool = False, keep_trailing_blanks: bool = False,
                 join_lines: bool = False) -> None: ...
    def feed(self, chunk: bytes) -> list[Segment]: ...
    def close(self) -> list[Segment]: ...
    def feed_batches(self, chunk: bytes) -> list[Batch]: ...
    def close_batches(self) -> list[Batch]: ...
    def check(self) -> None: ...
    @property
    def position(self) -> int: ...
    @property
    def delimiters(self) -> Delimiters | None: ...
    @property
    def findings(self) -> list[X12SyntaxError]: ...

class StructureProblem:
    """A structure rule of the implementation guide broken at a segment (no element values)."""

    rule: str  # segment-missing, loop-missing, segment-max-use, loop-max-repeat, segment-unexpected, ...
    position: int
    segment: str  # the segment it is about (for a missing one: that one)
    loop: str | None
    message: str

class Placement:
    """Where one segment sits in its guide; guide/path/loop/loop_path are None when it has no place."""

    position: int
    segment: str
    guide: str | None  # pyx12's map file, e.g. "837.5010.X222.A1.xml"
    path: str | None  # the segment node's x12 path
    loop: str | None  # the TR3 loop id, e.g. "2010BA"; None in headers and envelopes
    loop_path: str | None  # the path of the loop it is in
    problems: list[StructureProblem]

class GuideWalker:
    """Tokenize and place segments in their loops (the guides compiled into the core)."""

    def __init__(self) -> None: ...
    def feed(self, chunk: bytes) -> list[Placement]: ...
    def close(self) -> list[Placement]: ...

def write_837p(
    claims: Iterable[Any],  # sdohedi.models.Claim
    write: Callable[[str], Any],
    *,
    isa_gs: str,
    interchange_control_number: int,
    group_control_number: int,
    date: str,
    time: str,
    transaction_type: str,
    max_claims_per_transaction: int,
    submitter: Any,
    receiver: Any,
) -> tuple[int, int, int, int, str, Decimal | None]:
    """Write claims after ``isa_gs`` and close the interchange (use sdohedi.claims837p.write_837p).

    Returns (transaction sets, claims, lines, segments, sum of CLM02 as decimal text, the sum of
    the totals that are not plain decimal text or None). On a refusal the claims before it are
    written and X12ValueError is raised."""

# (rule, position, segment, loop, message)
_StructureRow = tuple[str, int, str, str | None, str]

class Document:
    """A lossless document (rust/src/document.rs); use sdohedi.x12.document.Document."""

    base: int  # stream offset of its first byte
    transaction: bool  # one transaction set of a split stream
    failure: Any  # X12SyntaxError | None: the rule that stopped the tokenizer
    findings: list[Any]  # X12SyntaxError: deviations read past

    def __len__(self) -> int: ...
    def head(self) -> bytes: ...
    def tail(self) -> bytes: ...
    def text(self, i: int) -> bytes: ...
    def trailer(self, i: int) -> bytes: ...
    def delimiters(self, i: int) -> tuple[str, str, str, str]: ...
    def set_text(self, i: int, text: bytes) -> None: ...
    def to_bytes(self) -> bytes: ...
    # (position, stream offset, loop instance, id, (guide map, node path, TR3 loop id), problems)
    def segments(self) -> list[tuple[int, int, int, str, tuple[str | None, str | None, str | None],
                                     tuple[_StructureRow, ...]]]: ...
    # (parent, path, id, name, first segment, continued)
    def loops(self) -> list[tuple[int | None, str, str, str, int, bool]]: ...

class DocumentReader:
    """Documents of a stream fed in chunks: one per transaction set and envelope stretch (split)."""

    def __init__(self, split: bool = True) -> None: ...
    def feed(self, chunk: bytes) -> list[Document]: ...
    def close(self) -> list[Document]: ...

def read_document(data: bytes) -> Document: ...
# 835 -> Arrow tables (rust/src/tables835.rs). Each table is an Arrow table object with the
# PyCapsule interface (__arrow_c_stream__): pyarrow.table(t), polars.DataFrame(t), duckdb take it.
def read_835_tables(source: bytes | str | PathLike[str], batch_claims: int = ...) -> tuple[dict[str, Any], tuple[str, str, int | None] | None]:
    """The six tables of an 835, and (rule, message, position) of the stream error when nothing
    could be read (it stopped before any ST)."""

class Tables835Reader:
    """An 835 fed in chunks; batches of at most ``batch_claims`` claims."""

    def __init__(self, batch_claims: int = ...) -> None: ...
    def feed(self, chunk: bytes) -> None: ...
    def take(self) -> dict[str, Any] | None: ...
    def close(self) -> tuple[dict[str, Any], tuple[str, str, int | None] | None, bool]:
        """The last batches, the error when nothing could be read, whether the stream stopped at an error."""

def table_columns_835() -> list[tuple[str, str, str, str]]:
    """(table, column, Arrow type, source element) of every column of the 835 tables."""

def read_837p_tables(source: bytes | str | PathLike[str], batch_claims: int = ...) -> tuple[dict[str, Any], tuple[str, str, int | None] | None]:
    """The five tables of an 837P, and (rule, message, position) of the stream error when nothing
    could be read (it stopped before any ST)."""

class Tables837PReader:
    """An 837P fed in chunks; batches of at most ``batch_claims`` claims."""

    def __init__(self, batch_claims: int = ...) -> None: ...
    def feed(self, chunk: bytes) -> None: ...
    def take(self) -> dict[str, Any] | None: ...
    def close(self) -> tuple[dict[str, Any], tuple[str, str, int | None] | None, bool]:
        """The last batches, the error when nothing could be read, whether the stream stopped at an error."""

def table_columns_837p() -> list[tuple[str, str, str, str]]:
    """(table, column, Arrow type, source element) of every column of the 837P tables."""

class Remit835Reader:
    """An 835 fed in chunks, read into the models of sdohedi.models.remit (built, not validated:
    ``models`` is sdohedi.models.build.model_specs of Remittance, ClaimPayment, RemittanceClaim,
    RemittanceEnd and the classes they hold, in that order)."""

    def __init__(self, models: list[tuple[Any, ...]], *, by_claim: bool = ...) -> None: ...
    def feed(self, chunk: bytes) -> list[Any]: ...
    def close(self) -> list[Any]: ...
    def check(self) -> None:
        """Raise the error that finished the stream, if any."""
    @property
    def findings(self) -> list[Any]: ...

class ModelBuilder:
    """pydantic instances from checked values (sdohedi.models.build.model_makers)."""

    def __init__(self, specs: list[tuple[Any, ...]], names: list[str]) -> None: ...
    def build(self, index: int, values: dict[str, Any]) -> Any: ...
    def maker(self, index: int) -> Maker: ...

class Maker:
    """One class of a ModelBuilder: ``maker(values)`` is ``builder.build(index, values)``."""

    def __call__(self, values: dict[str, Any]) -> Any: ...
