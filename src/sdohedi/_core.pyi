"""Types of sdohedi._core, the compiled X12 core (rust/). Use it through sdohedi.x12."""

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

class Tokenizer:
    def __init__(self, *, strict: bool = True, lenient_isa: bool = False) -> None: ...
    def feed(self, chunk: bytes) -> list[Segment]: ...
    def close(self) -> list[Segment]: ...
    @property
    def position(self) -> int: ...
    @property
    def delimiters(self) -> Delimiters | None: ...
    @property
    def findings(self) -> list[X12SyntaxError]: ...
