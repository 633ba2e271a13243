"""The oracle for the core's walker (``sdohedi._core.GuideWalker``): ``oracle.walker`` (once ``validate.walker``) driven over
a stream the way ``validate.engine`` drives it (ISA starts the envelope map, GS picks the group's
guide, a group without one is not walked, malformed ids get no place), on the core tokenizer's
segments. Only the guides the core carries are used, so a group of another guide pyx12 has a
map for is unguided on both sides.
"""

from __future__ import annotations

import re

from sdohedi.validate.guide import control_guide, guide_for
from sdohedi.validate.guide_data import SUPPORTED
from oracle.walker import StructureEvent, Walker
from sdohedi.x12 import Tokenizer, X12Error

SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")  # the engine's
ENVELOPE = {"ISA", "GS", "ST", "SE", "GE", "IEA"}


def tokenize(chunks) -> tuple[list, str | None]:
    """(segments, rule of the syntax error that stopped the stream or None)."""
    tok = Tokenizer(strict=False, lenient_isa=True)
    out = []
    try:
        for chunk in chunks:
            out.extend(tok.feed(chunk))
        out.extend(tok.close())
    except X12Error as exc:
        return out, exc.rule
    return out, None


class ReferenceWalk:
    def __init__(self) -> None:
        self.walker = Walker()
        self.control = control_guide()
        self.isa = self.gs = self.guided = self.st = False
        self.comp = ":"

    def structure(self, els, events):
        if self.gs and not self.guided:
            return None
        return self.walker.step(els, self.comp, events)

    def segment(self, els: list[str], events: list[StructureEvent]):
        """The node ``els`` lands on (None: no place)."""
        sid = els[0]
        w = self.walker
        if sid == "ISA":
            self.isa, self.gs, self.guided, self.st = True, False, False, False
            self.comp = els[16] if len(els) > 16 and len(els[16]) == 1 else ":"
            return w.force(self.control, "/ISA_LOOP/ISA")
        if not SEGMENT_ID.match(sid):
            return None
        if self.st and sid not in ENVELOPE:
            return self.structure(els, events)
        if sid == "GS":
            if not self.isa:
                return None
            self.st = False
            self.gs = True
            key = (els[1] if len(els) > 1 else "", els[8] if len(els) > 8 else "")
            guide = guide_for(*key) if key in SUPPORTED else None
            if guide is None:
                self.guided = False
                w.guide, w.node = self.control, self.control.segment("/ISA_LOOP/GS_LOOP/GS")
                return w.node
            self.guided = True
            return w.force(guide, "/ISA_LOOP/GS_LOOP/GS")
        if sid == "ST":
            if not self.gs:
                return None
            self.st = True
            return self.structure(els, events)
        if sid == "SE":
            node = self.structure(els, events)
            self.st = False
            return node
        if sid == "GE":
            if not self.gs:
                return None
            self.st = False
            if self.guided:
                node = self.structure(els, events)
            else:
                w.guide, w.node = self.control, self.control.segment("/ISA_LOOP/GS_LOOP/GE")
                node = w.node
            self.gs = self.guided = False
            return node
        if sid == "IEA":
            if not self.isa:
                return None
            self.st = self.gs = self.guided = False
            node = self.structure(els, events)
            self.isa = False
            return node
        if not self.isa:
            return None
        return self.structure(els, events)


def reference_walk(chunks) -> tuple[list[tuple], list[tuple], str | None]:
    """(per segment: position, id, guide map, node path, loop id, parent loop path;
    structure problems: position, rule, segment, loop, message; the stopping syntax rule)."""
    segments, error = tokenize(chunks)
    walk = ReferenceWalk()
    placed, problems = [], []
    for seg in segments:
        events: list[StructureEvent] = []
        node = walk.segment(list(seg.elements), events)
        guide = walk.walker.guide
        if node is None:
            placed.append((seg.position, seg.id, None, None, None, None))
        else:
            placed.append((seg.position, seg.id, guide.name, node.path, node.loop_id, node.parent.path))
        problems.extend((seg.position, e.rule, e.segment, e.loop, e.message) for e in events)
    return placed, problems, error


def core_walk(chunks) -> tuple[list[tuple], list[tuple], str | None]:
    """The same, from ``sdohedi._core.GuideWalker``."""
    from sdohedi._core import GuideWalker

    w = GuideWalker()
    out = []
    error = None
    try:
        for chunk in chunks:
            out.extend(w.feed(chunk))
        out.extend(w.close())
    except X12Error as exc:
        error = exc.rule
    placed = [(p.position, p.segment, p.guide, p.path, p.loop, p.loop_path) for p in out]
    problems = [(q.position, q.rule, q.segment, q.loop, q.message) for p in out for q in p.problems]
    return placed, problems, error
