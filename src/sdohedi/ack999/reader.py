"""Read 999 acknowledgments (005010X231A1) into :class:`~sdohedi.models.ack.Ack999`.

Tolerant: whatever the validator finds wrong with the 999 itself (a byte-order mark, a
6-digit GS05, an IEA02 that does not repeat ISA13) ends up in ``findings``; the
acknowledgment is read anyway. Segments the 999 does not define are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models.ack import Ack999, ElementError, GroupAck, SegmentError, TransactionAck
from ..validate.reading import ValidatingReader


def _get(els: list[str], i: int) -> str:
    return els[i] if i < len(els) else ""


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


class _Builder:
    """Collects the loops of the 999 as plain dicts, then freezes them into models."""

    def __init__(self) -> None:
        self.groups: list[dict] = []
        self.group: dict | None = None
        self.tx: dict | None = None
        self.seg: dict | None = None
        self.isa13: str | None = None
        self.st02: str | None = None

    def segment(self, els: list[str], comp: str, pos: int | None = None) -> None:
        sid = els[0]
        if sid == "ISA":
            self.isa13 = _get(els, 13) or None
        elif sid == "ST":
            self.st02 = _get(els, 2) or None
        elif sid == "AK1":
            self._close_group()
            self.group = {"functional_id": _get(els, 1), "control_number": _get(els, 2),
                          "version": _get(els, 3) or None, "transactions": [], "ack_interchange": self.isa13,
                          "ack_transaction": self.st02, "position": pos}
        elif sid == "AK2":
            self._close_tx()
            self.tx = {"transaction_set": _get(els, 1), "control_number": _get(els, 2),
                       "implementation": _get(els, 3) or None, "status": "", "segment_errors": []}
        elif sid == "IK3" and self.tx is not None:
            self._close_seg()
            self.seg = {"segment_id": _get(els, 1), "position": _int(_get(els, 2)), "loop": _get(els, 3) or None,
                        "code": _get(els, 4) or None, "contexts": [], "elements": []}
        elif sid == "CTX":
            if self.seg is not None:
                self.seg["contexts"].append("*".join(els[1:]))
        elif sid == "IK4" and self.seg is not None:
            where = _get(els, 1).split(comp)
            self.seg["elements"].append(ElementError(
                position=_int(where[0]) or 0, component=_int(where[1]) if len(where) > 1 and where[1] else None,
                repetition=_int(where[2]) if len(where) > 2 and where[2] else None,
                data_element=_get(els, 2) or None, code=_get(els, 3), bad_value=_get(els, 4) or None))
        elif sid == "IK5" and self.tx is not None:
            self._close_seg()
            self.tx["status"] = _get(els, 1)
            self.tx["syntax_errors"] = tuple(e for e in els[2:7] if e)
            self._close_tx()
        elif sid == "AK9" and self.group is not None:
            self._close_tx()
            self.group.update(status=_get(els, 1) or None, included=_int(_get(els, 2)),
                              received=_int(_get(els, 3)), accepted_count=_int(_get(els, 4)),
                              syntax_errors=tuple(e for e in els[5:10] if e))
            self._close_group()
        elif sid in ("SE", "GE", "IEA"):
            self._close_group()

    def _close_seg(self) -> None:
        if self.seg is not None and self.tx is not None:
            s = self.seg
            self.tx["segment_errors"].append(SegmentError(
                segment_id=s["segment_id"], position=s["position"], loop=s["loop"], code=s["code"],
                contexts=tuple(s["contexts"]), elements=tuple(s["elements"])))
        self.seg = None

    def _close_tx(self) -> None:
        self._close_seg()
        if self.tx is not None and self.group is not None:
            t = self.tx
            self.group["transactions"].append(TransactionAck(
                transaction_set=t["transaction_set"], control_number=t["control_number"],
                implementation=t["implementation"], status=t["status"],
                syntax_errors=t.get("syntax_errors", ()), segment_errors=tuple(t["segment_errors"])))
        self.tx = None

    def _close_group(self) -> None:
        self._close_tx()
        if self.group is not None:
            g = self.group
            g["transactions"] = tuple(g["transactions"])
            self.groups.append(GroupAck(**g))
        self.group = None


def read_999(chunks: Iterable[bytes]) -> Ack999:
    """Read every 999 in a stream of byte chunks (``read_chunks(f)``, or ``[data]``)."""
    reader = ValidatingReader()
    builder = _Builder()
    count = 0
    for count, els, comp in reader.segments(chunks):
        builder.segment(els, comp, count)
    builder._close_group()
    return Ack999(groups=tuple(builder.groups), findings=tuple(reader.findings), segments=count)
