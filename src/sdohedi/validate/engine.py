"""The validator: the core's validator (``sdohedi._core.Validator``, rust/src/validator.rs) dressed
as ``Finding`` models, with the per-envelope results a 999 is built from.

``Validator.feed(chunk)`` returns the findings completed by that chunk; ``close()`` the rest. The
core checks each segment's id and separators, the envelope (ISA/GS/ST nesting, trailer counts,
control numbers), HL and LX numbering, its place in the implementation guide and its elements
(SNIP 1-2), and the content of 837P and 835 sets (SNIP 3/5: balancing, NPIs, taxonomy, diagnosis
and procedure codes against the code set; rust/src/content*.rs); it returns findings and the
envelope events that frame them, nothing for a clean segment. Memory does not grow with the
file: the core keeps counters for the loops it is in and one claim, and only with
``keep_results=True`` (for a 999) is a small record kept per transaction set.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from .. import _core
from ..codes import CodeSet
from ..x12 import read_chunks
from .findings import Finding, Location
from .guide import map_index
from .lists import code_lists
from .results import GroupResult, InterchangeResult, TransactionResult
from .rules import RULES

_SLICE = 1 << 16  # bytes handed to the core at a time
(_FINDING, _INTERCHANGE, _GROUP, _TRANSACTION, _TRANSACTION_CLOSED, _DECLARED, _GROUP_CLOSED,
 _INTERCHANGE_CLOSED) = range(8)
_core_code_sets: "weakref.WeakKeyDictionary[CodeSet, _core.CodeSet]" = weakref.WeakKeyDictionary()


def _ccyymmdd(day: dt.date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def core_code_set(codes: CodeSet) -> _core.CodeSet:
    """The code set as the core holds it, built once per ``CodeSet``."""
    try:
        return _core_code_sets[codes]
    except KeyError:
        pass
    procedures = [(code, _ccyymmdd(p.start), _ccyymmdd(p.end), sorted(p.allowed_modifiers))
                  for code, p in codes.procedures.items()]
    diagnoses = [(key, d.code, _ccyymmdd(d.start), _ccyymmdd(d.end))
                 for key, rows in codes.diagnoses.items() for d in rows]
    core = _core_code_sets[codes] = _core.CodeSet(procedures, diagnoses)
    return core


@cache
def _known_groups() -> list[str]:
    return sorted({fic for fic, _ in map_index()})


class _Transaction:
    __slots__ = ("st02", "result")

    def __init__(self, st02: str, result: TransactionResult | None) -> None:
        self.st02 = st02
        self.result = result


class Validator:
    """Validate one stream of interchanges. Not thread-safe; cheap to create."""

    def __init__(self, *, codes: CodeSet | None = None, keep_results: bool = False) -> None:
        self._core = _core.Validator(code_lists(), core_code_set(codes or CodeSet.bundled()), _known_groups())
        self.results: list[InterchangeResult] | None = [] if keep_results else None
        self._out: list[Finding] = []
        self._isa13: str | None = None
        self._isa_result: InterchangeResult | None = None
        self._gs06: str | None = None
        self._gs_result: GroupResult | None = None
        self._st: _Transaction | None = None
        self.errors = 0
        self.warnings = 0
        self.interchanges = 0

    @property
    def fatal(self) -> bool:
        return self._core.fatal

    @property
    def segments(self) -> int:
        return self._core.segments

    def feed(self, chunk: bytes) -> list[Finding]:
        # A slice at a time: the events of one slice are all alive at once, so memory stays
        # bounded by the slice, not by the chunk a caller hands over.
        for i in range(0, len(chunk), _SLICE):
            self._run(self._core.feed(chunk[i:i + _SLICE]))
        return self._drain()

    def close(self) -> list[Finding]:
        self._run(self._core.close())
        return self._drain()

    def _drain(self) -> list[Finding]:
        out = self._out
        self._out = []
        return out

    def _run(self, events: list[tuple]) -> None:
        for ev in events:
            tag = ev[0]
            if tag == _FINDING:
                self._emit(*ev[1:])
            elif tag == _TRANSACTION:
                self._open_transaction(*ev[1:])
            elif tag == _TRANSACTION_CLOSED:
                if self._st.result is not None:
                    self._st.result.closed = True
                self._st = None
            elif tag == _INTERCHANGE:
                self._open_interchange(*ev[1:])
            elif tag == _GROUP:
                self._open_group(*ev[1:])
            elif tag == _DECLARED:
                if self._gs_result is not None:
                    self._gs_result.declared_count = ev[1]
            elif tag == _GROUP_CLOSED:
                self._gs06 = self._gs_result = None
            elif tag == _INTERCHANGE_CLOSED:
                self._isa13 = self._isa_result = None

    def _open_interchange(self, isa05: str, isa06: str, isa07: str, isa08: str, isa13: str, isa15: str,
                          comp: str) -> None:
        self._isa13 = isa13
        self._isa_result = None
        if self.results is not None:
            self._isa_result = InterchangeResult(isa05, isa06, isa07, isa08, isa13, isa15)
            self.results.append(self._isa_result)
        self.interchanges += 1

    def _open_group(self, gs01: str, gs02: str, gs03: str, gs06: str, gs08: str, supported: bool) -> None:
        self._gs06 = gs06
        self._gs_result = None
        if self._isa_result is not None:
            self._gs_result = GroupResult(gs01, gs02, gs03, gs06, gs08, supported=supported)
            self._isa_result.groups.append(self._gs_result)

    def _open_transaction(self, st01: str, st02: str, st03: str | None) -> None:
        result = None
        if self._gs_result is not None:
            result = TransactionResult(st01, st02, st03)
            self._gs_result.transactions.append(result)
        self._st = _Transaction(st02, result)

    # -- reporting ------------------------------------------------------------------------------------------------

    def _emit(self, rule_id: str, message: str, position: int | None, tx_position: int | None, segment: str | None,
              loop: str | None, element: int | None, component: int | None, value: str | None,
              data_element: str | None) -> None:
        rule = RULES.get(rule_id) or RULES["isa-missing"]  # a syntax rule the registry lacks reads as no ISA
        if rule_id not in RULES:
            rule_id = "isa-missing"
        st = self._st
        # Every value here is ours and already of the right type: skip pydantic's validation.
        finding = Finding.model_construct(
            severity=rule.severity, level=rule.level, rule=rule_id, message=message, value=value,
            location=Location.model_construct(
                interchange=self._isa13, group=self._gs06, transaction=st.st02 if st else None, position=position,
                transaction_position=tx_position if st else None, loop=loop, segment=segment, element=element,
                component=component, data_element=data_element,
            ),
        )
        self._out.append(finding)
        if rule.severity == "error":
            self.errors += 1
        else:
            self.warnings += 1
        if self.results is None or rule.severity != "error":
            return
        gs_result = self._gs_result
        if rule.scope == "transaction" and st is not None and st.result is not None:
            st.result.syntax_codes.add(rule.code or "5")
        elif rule.scope == "group" and gs_result is not None:
            gs_result.syntax_codes.add(rule.code or "1")
        elif st is not None and st.result is not None and rule.scope in ("segment", "element"):
            st.result.add(finding)
        elif gs_result is not None and rule.scope in ("segment", "element"):
            gs_result.envelope_errors += 1


def validate_stream(chunks: Iterable[bytes], *, codes: CodeSet | None = None) -> Iterator[Finding]:
    """Findings of a stream of byte chunks, as soon as each is known. Memory stays flat."""
    v = Validator(codes=codes)
    for chunk in chunks:
        yield from v.feed(chunk)
    yield from v.close()


def validate_file(path: str | Path, *, codes: CodeSet | None = None, chunk_size: int = 1 << 20) -> Iterator[Finding]:
    """Findings of the file at ``path`` (read in 1 MiB chunks)."""
    with open(path, "rb") as f:
        yield from validate_stream(read_chunks(f, chunk_size), codes=codes)
