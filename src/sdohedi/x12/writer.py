"""Segment writer and envelopes (ISA/GS/ST), sans-I/O: output goes to a ``write`` callable.

Trailer counts (SE01, GE01, IEA01) and control-number echoes (SE02, GE02, IEA02) are
computed here and can never be supplied by the caller. Every element is checked: a value
that holds one of the interchange's delimiters, or a character outside printable ASCII, is
refused with an :class:`X12ValueError` that names segment and element, and nothing of that
segment is written.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Sequence

from .delimiters import DEFAULT_DELIMITERS, Delimiters
from .errors import X12EnvelopeError, X12ValueError

Element = str | Sequence[str]  # a str, or a composite given as its components
Write = Callable[[str], object]


def _forbidden_pattern(d: Delimiters) -> re.Pattern[str]:
    return re.compile("[" + re.escape(d.all) + r"]|[^ -~]")


class SegmentWriter:
    """Writes segments to ``write``, counting them. Trailing empty elements are dropped."""

    def __init__(self, write: Write, delimiters: Delimiters = DEFAULT_DELIMITERS, *, newline: bool = True) -> None:
        self._write = write
        self.delimiters = delimiters
        self._terminator = delimiters.segment + ("\n" if newline else "")
        self._forbidden = _forbidden_pattern(delimiters)
        self.count = 0  # segments written

    def check(self, segment_id: str, index: int, value: str, component: int | None = None) -> None:
        m = self._forbidden.search(value)
        if m:
            c = m.group()
            if c in self.delimiters.all:
                name = {self.delimiters.element: "element separator", self.delimiters.component: "component separator",
                        self.delimiters.repetition: "repetition separator", self.delimiters.segment: "segment terminator"}[c]
                raise X12ValueError(f"value contains the {name}", rule="delimiter-in-value",
                                    segment=segment_id, element=index, component=component)
            raise X12ValueError("value contains a character outside printable ASCII", rule="invalid-character",
                                segment=segment_id, element=index, component=component)

    def render(self, segment_id: str, elements: Sequence[Element]) -> str:
        d = self.delimiters
        parts = [segment_id]
        for i, el in enumerate(elements, 1):
            if isinstance(el, str):
                self.check(segment_id, i, el)
                parts.append(el)
            else:
                comps = list(el)
                for j, comp in enumerate(comps, 1):
                    self.check(segment_id, i, comp, j)
                while comps and comps[-1] == "":
                    comps.pop()
                parts.append(d.component.join(comps))
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        return d.element.join(parts)

    def segment(self, segment_id: str, *elements: Element) -> None:
        text = self.render(segment_id, elements)
        self._write(text + self._terminator)
        self.count += 1

    def raw(self, text: str, segments: int) -> None:
        """Write pre-rendered, already-checked segments (used by the hot 837P path)."""
        self._write(text)
        self.count += segments


def _fixed(value: str, width: int, name: str) -> str:
    if len(value) > width:
        raise X12ValueError(f"longer than its fixed width of {width}", rule="isa-fixed-length", segment="ISA",
                            element=int(name[3:]))
    return value.ljust(width)


class Interchange:
    """One ISA...IEA interchange. Use :meth:`group` and :meth:`transaction` to nest.

    >>> out = []
    >>> ic = Interchange(out.append, sender_id="NLE", receiver_id="PAYER", control_number=1)
    """

    def __init__(
        self,
        write: Write,
        *,
        sender_id: str,
        receiver_id: str,
        control_number: int,
        sender_qualifier: str = "ZZ",
        receiver_qualifier: str = "ZZ",
        usage: str = "P",
        timestamp: _dt.datetime | None = None,
        ack_requested: bool = False,
        delimiters: Delimiters = DEFAULT_DELIMITERS,
        newline: bool = True,
    ) -> None:
        if not 1 <= control_number <= 999_999_999:
            raise X12EnvelopeError("ISA13 must be 1..999999999", rule="control-number", segment="ISA", element=13)
        if usage not in ("P", "T"):
            raise X12EnvelopeError("ISA15 must be P or T", rule="code-value", segment="ISA", element=15)
        self.writer = SegmentWriter(write, delimiters, newline=newline)
        self.control_number = control_number
        self.timestamp = timestamp or _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
        self._groups = 0
        self._open_group: FunctionalGroup | None = None
        self._closed = False
        ts = self.timestamp
        w = self.writer
        for i, v in ((6, sender_id), (8, receiver_id), (5, sender_qualifier), (7, receiver_qualifier)):
            w.check("ISA", i, v)
        d = delimiters
        isa = d.element.join([
            "ISA", "00", " " * 10, "00", " " * 10,
            _fixed(sender_qualifier, 2, "ISA05"), _fixed(sender_id, 15, "ISA06"),
            _fixed(receiver_qualifier, 2, "ISA07"), _fixed(receiver_id, 15, "ISA08"),
            ts.strftime("%y%m%d"), ts.strftime("%H%M"), d.repetition, "00501",
            f"{control_number:09d}", "1" if ack_requested else "0", usage, d.component,
        ])
        w.raw(isa + w._terminator, 1)

    def group(self, functional_id: str, sender_code: str, receiver_code: str, control_number: int,
              version: str) -> "FunctionalGroup":
        if self._open_group is not None or self._closed:
            raise X12EnvelopeError("a functional group is already open", rule="envelope-nesting", segment="GS")
        g = FunctionalGroup(self, functional_id, sender_code, receiver_code, control_number, version)
        self._open_group = g
        return g

    def close(self) -> None:
        if self._open_group is not None:
            raise X12EnvelopeError("functional group not closed before IEA", rule="envelope-nesting", segment="IEA")
        if self._closed:
            return
        self.writer.segment("IEA", str(self._groups), f"{self.control_number:09d}")
        self._closed = True


class FunctionalGroup:
    def __init__(self, ic: Interchange, functional_id: str, sender_code: str, receiver_code: str,
                 control_number: int, version: str) -> None:
        if not 1 <= control_number <= 999_999_999:
            raise X12EnvelopeError("GS06 must be 1..999999999", rule="control-number", segment="GS", element=6)
        self.interchange = ic
        self.control_number = control_number
        self.version = version
        self._transactions = 0
        self._open_tx: Transaction | None = None
        ts = ic.timestamp
        ic.writer.segment("GS", functional_id, sender_code, receiver_code, ts.strftime("%Y%m%d"),
                          ts.strftime("%H%M"), str(control_number), "X", version)

    def transaction(self, transaction_set: str, control_number: int, *,
                    implementation_reference: bool = True) -> "Transaction":
        if self._open_tx is not None:
            raise X12EnvelopeError("a transaction set is already open", rule="envelope-nesting", segment="ST")
        if not 1 <= control_number <= 999_999_999:
            raise X12EnvelopeError("ST02 must be 4-9 digits", rule="control-number", segment="ST", element=2)
        tx = Transaction(self, transaction_set, control_number, implementation_reference=implementation_reference)
        self._open_tx = tx
        return tx

    def close(self) -> None:
        if self._open_tx is not None:
            raise X12EnvelopeError("transaction set not closed before GE", rule="envelope-nesting", segment="GE")
        ic = self.interchange
        ic.writer.segment("GE", str(self._transactions), str(self.control_number))
        ic._groups += 1
        ic._open_group = None


class Transaction:
    """ST...SE. SE01 counts ST and SE and everything between; it is computed here."""

    def __init__(self, group: FunctionalGroup, transaction_set: str, control_number: int, *,
                 implementation_reference: bool = True) -> None:
        self.group = group
        self.writer = group.interchange.writer
        self.control_number = f"{control_number:04d}"
        self._start = self.writer.count
        # ST03 echoes GS08; some guides mark it Not Used (835 005010X221A1), so it can be left out.
        version = group.version if implementation_reference else ""
        self.writer.segment("ST", transaction_set, self.control_number, version)

    def segment(self, segment_id: str, *elements: Element) -> None:
        self.writer.segment(segment_id, *elements)

    @property
    def segment_count(self) -> int:
        return self.writer.count - self._start + 1  # + the SE to come

    def close(self) -> None:
        self.writer.segment("SE", str(self.segment_count), self.control_number)
        self.group._transactions += 1
        self.group._open_tx = None
