"""Place each segment in its loop: the implementation guide's loop and segment-order rules.

The search follows pyx12's ``walk_tree`` step for step (that is what makes our findings agree
with pyx12's on the same files): from the current segment, look at the siblings at or after
its position; if none matches, climb to the parent loop and look again from the loop's
position; a loop is entered when its first segment matches. Required segments and loops
passed over on the way are reported missing when they were not seen in the current loop
instance; entering a loop resets the counts below it.

Which node a segment lands on depends only on where we are and on the segment's id and
qualifier, never on counts; so the search runs once per (node, id, qualifier) and is kept as a
:class:`Plan`. Counting is then a few dictionary operations per segment.

Deliberate differences from pyx12:
- when two segments of the same id share a position and both accept the qualifier (2400 PWK:
  line supplemental information and the DME certificate indicator both take PWK01 = CT), we
  take the first whose other coded elements fit the data, instead of always the first. pyx12
  reports ``PWK*CT*AD`` as an invalid PWK02 for that reason;
- a wrapper "loop" (HEADER, DETAIL, FOOTER: tables of the standard) does not start again when
  its first segment repeats: pyx12 reports two PLB segments in an 835 as "Loop FOOTER exceeded
  max count", although PLB may repeat.

The Rust core's walker (rust/src/walker.rs, ``sdohedi._core.GuideWalker``) is this algorithm over
the same tables (schemas/guides); tests/validate/test_walker_core.py holds the two equal, so a
change here is a change there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdohedi.validate.guide import Guide, LoopNode, SegmentNode, element_value

from . import memos

MAX_PLANS_PER_ID = 10_000


@dataclass(slots=True, frozen=True)
class MissingCheck:
    """A required segment or loop passed over; reported if its counter is still 0."""

    kind: str  # "segment" or "loop"
    name: str
    id: str  # segment id, or loop id
    segment: str  # the missing segment, or the first segment of the missing loop (999 IK301)
    loop: str | None  # the TR3 loop it belongs in
    frame: str  # path of the loop whose counters hold it
    key: str  # its counter path


class Plan:
    """Where a segment lands from a given node, and what to count and check on the way."""

    __slots__ = ("target", "checks", "entered", "alternatives", "quick", "frame", "counter", "limit", "check")

    def __init__(self, target: SegmentNode | None, checks: tuple[MissingCheck, ...], entered: LoopNode | None,
                 alternatives: tuple[SegmentNode, ...]) -> None:
        self.target = target  # None: the segment has no place here
        self.checks = checks
        self.entered = entered  # the loop this segment opens (its counters restart)
        self.alternatives = alternatives  # same id, same position, all accept the qualifier
        # The common case: a plain segment (no loop starts, no namesakes to choose from): check
        # that what it passed over was seen, count it and move on.
        self.quick = (target is not None and not alternatives and target.usage != "N"
                      and (entered is None or entered.usage != "N"))
        self.frame = target.parent.path if target is not None else ""
        self.counter = target.path if target is not None else ""
        self.limit = target.max_use if target is not None else 0
        self.check = None  # the target's generated element check, attached on first use by the engine
        if entered is not None:
            # Entering a loop counts the loop in its parent and restarts the counts below it.
            self.frame = entered.parent.path
            self.counter = entered.path
            self.limit = entered.max_repeat


@dataclass(slots=True)
class StructureEvent:
    """A finding of the walker, before it is dressed as a :class:`Finding`."""

    rule: str
    segment: str | None  # the segment the finding is about (for a missing one: that one)
    loop: str | None
    message: str


class _PlanBuilder:
    """pyx12's walk, recording count-dependent decisions instead of making them."""

    def __init__(self, els: list[str], comp: str) -> None:
        self.els = els
        self.comp = comp
        self.pending: list[tuple[MissingCheck, int, object]] = []  # (check, pos of its node, node)
        self.reported: list[MissingCheck] = []

    def match(self, node: SegmentNode) -> bool:
        return node.is_match(self.els, self.comp)

    def _missing_segment(self, seg: SegmentNode) -> None:
        check = MissingCheck("segment", seg.name, seg.id, seg.id, seg.parent.report_id, seg.parent.path, seg.path)
        self.pending.append((check, seg.pos, seg))

    def _flush(self, cur_pos: int | None) -> None:
        keep = []
        for item in self.pending:
            if item[1] != cur_pos:
                self.reported.append(item[0])
            else:
                keep.append(item)
        # Items at the matched position are dropped for good: pyx12 forgets them at the next segment.
        self.pending = []

    def is_loop_match(self, loop: LoopNode) -> bool:
        if not loop.children:
            return False
        first = loop.first_node
        if isinstance(first, LoopNode):
            return any(isinstance(c, LoopNode) and self.is_loop_match(c) for c in loop.child_nodes())
        if self.match(first):
            return True
        if loop.usage == "R":
            check = MissingCheck("loop", loop.name, loop.id, first.id, loop.report_id, loop.parent.path, loop.path)
            self.pending.append((check, first.pos, first))
        return False

    def goto(self, loop: LoopNode) -> tuple[SegmentNode | None, LoopNode | None]:
        first = loop.first_segment
        if first is not None and self.match(first):
            self._flush(None)
            return first, loop
        for child in loop.child_nodes():
            if isinstance(child, LoopNode):
                seg, entered = self.goto(child)
                if seg is not None:
                    return seg, entered
        return None, None

    def scan(self, loop: LoopNode, from_pos: int) -> Plan | None:
        for pos, nodes in loop.children:
            if pos < from_pos:
                continue
            for i, child in enumerate(nodes):
                if isinstance(child, SegmentNode):
                    if self.match(child):
                        # A wrapper (the 835's FOOTER around PLB) is a table, not a loop that repeats:
                        # its first segment again is that segment repeating (deliberate difference).
                        if not loop.is_root and loop.type != "wrapper" and self.is_loop_match(loop):
                            seg, entered = self.goto(loop)
                            return Plan(seg, tuple(self.reported), entered, ())
                        self.pending = [p for p in self.pending if p[2] is not child]
                        self._flush(child.pos)
                        alts = tuple(n for n in nodes[i:] if isinstance(n, SegmentNode) and self.match(n))
                        return Plan(child, tuple(self.reported), None, alts if len(alts) > 1 else ())
                    if child.usage == "R":
                        self._missing_segment(child)
                elif self.is_loop_match(child):
                    seg, entered = self.goto(child)
                    return Plan(seg, tuple(self.reported), entered, ())
        return None

    def build(self, start: SegmentNode) -> Plan:
        plan = self._build(start)
        # Some checks cannot fail: the segment we start from has been counted, and so has every
        # enclosing loop entered through its first segment (only wrappers are entered without).
        certain = {start.path}
        loop = start.parent
        while loop is not None and not loop.is_root:
            if isinstance(loop.first_node, SegmentNode):
                certain.add(loop.path)
            loop = loop.parent
        checks = tuple(c for c in plan.checks if c.key not in certain)
        if len(checks) != len(plan.checks):
            plan = Plan(plan.target, checks, plan.entered, plan.alternatives)
        return plan

    def _build(self, start: SegmentNode) -> Plan:
        loop = start.parent
        from_pos = start.pos
        while True:
            plan = self.scan(loop, from_pos)
            if plan is not None:
                return plan
            if loop.is_root:
                return Plan(None, (), None, ())
            from_pos = loop.pos
            loop = loop.parent


def key_value(els: list[str], single: tuple[int, bool], comp: str) -> str:
    """The qualifier of a segment whose nodes all read it from one place."""
    e, first_component = single
    v = els[e] if e < len(els) else ""
    if first_component:
        i = v.find(comp)
        if i >= 0:
            v = v[:i]
    return v


def lookup_plan(guide: Guide, start: SegmentNode, els: list[str], comp: str) -> Plan:
    """The memoized plan for ``els`` from ``start`` (built on first use)."""
    by_id = memos.transitions(guide)[start.idx]
    sid = els[0]
    single = guide.single_keys.get(sid)
    if single is not None:
        value = key_value(els, single, comp)
    else:
        locs = guide.key_locations.get(sid)
        value = tuple(element_value(els, e, c, comp) for e, c in locs) if locs else None
    entry = by_id.get(sid)
    if entry is None:
        # (where the qualifier is, plans by qualifier): the engine's inline path reads both at once.
        entry = by_id[sid] = (single, {})
    by_value = entry[1]
    plan = by_value.get(value)
    if plan is None:
        plan = _PlanBuilder(els, comp).build(start)
        if len(by_value) >= MAX_PLANS_PER_ID:
            by_value.clear()  # qualifiers come from the data: bound the memo against hostile input
        by_value[value] = plan
    return plan


def _fits(node: SegmentNode, els: list[str], comp: str) -> bool:
    for ele, sub, codes in node.coded:
        v = element_value(els, ele, sub, comp)
        if v and v not in codes:
            return False
    return True


class Walker:
    """Tracks the current node and the occurrence counters of one stream."""

    __slots__ = ("guide", "node", "frames")

    def __init__(self) -> None:
        self.guide: Guide | None = None
        self.node: SegmentNode | None = None
        self.frames: dict[str, dict[str, int]] = {}

    def _inc(self, frame: str, key: str) -> int:
        f = self.frames.get(frame)
        if f is None:
            f = self.frames[frame] = {}
        n = f.get(key, 0) + 1
        f[key] = n
        return n

    def _reset(self, loop: LoopNode) -> None:
        frames = self.frames
        for p in loop.descendant_loops:
            if p in frames:
                del frames[p]

    def force(self, guide: Guide, segment_path: str) -> SegmentNode:
        """Start an interchange (ISA) or a group (GS): pyx12 jumps there and restarts the counts."""
        node = guide.segment(segment_path)
        loop = node.parent
        if loop.path == "/ISA_LOOP":
            self.frames.clear()
        else:
            for p in [p for p in self.frames if p == loop.path or p.startswith(loop.path + "/")]:
                del self.frames[p]
        self._inc(loop.parent.path, loop.path)
        self._inc(loop.path, node.path)
        self.guide = guide
        self.node = node
        return node

    def step(self, els: list[str], comp: str, events: list[StructureEvent]) -> SegmentNode | None:
        """Find the node of ``els``; append structure findings to ``events``. None when it has no place."""
        start = self.node
        guide = self.guide
        if start is None or guide is None:
            return None
        sid = els[0]
        plan = lookup_plan(guide, start, els, comp)
        if plan.quick and not plan.checks and plan.entered is None:
            frames = self.frames
            f = frames.get(plan.frame)
            if f is None:
                f = frames[plan.frame] = {}
            counter = plan.counter
            n = f.get(counter, 0) + 1
            f[counter] = n
            target = plan.target
            if n > plan.limit:
                events.append(StructureEvent("segment-max-use", target.id, target.loop_id,
                                             f"segment {target.id} ({target.name}) occurs {n} times; "
                                             f"at most {target.max_use} allowed"))
            self.node = target
            return target
        self.report_missing(plan, events)
        target = plan.target
        if target is None:
            rule = "segment-unexpected" if sid in guide.known_segment_ids else "segment-unknown"
            where = start.loop_id or start.parent.id
            msg = (f"segment {sid} is not expected here (after {start.id} in {where}); check the segment order "
                   "and the loop it belongs to" if rule == "segment-unexpected"
                   else f"segment {sid} is not part of this transaction set")
            events.append(StructureEvent(rule, sid, start.loop_id, msg))
            return None
        return self._count(plan, target, els, comp, events)

    def report_missing(self, plan: Plan, events: list[StructureEvent]) -> None:
        """Required segments and loops the plan passed over without having seen them."""
        frames = self.frames
        for chk in plan.checks:
            f = frames.get(chk.frame)
            if f is None or f.get(chk.key, 0) < 1:
                if chk.kind == "loop":
                    events.append(StructureEvent("loop-missing", chk.segment, chk.loop,
                                                 f"required loop {chk.id} ({chk.name}) is missing before this segment"))
                else:
                    where = f" in loop {chk.loop}" if chk.loop else ""
                    events.append(StructureEvent("segment-missing", chk.segment, chk.loop,
                                                 f"required segment {chk.id} ({chk.name}){where} is missing "
                                                 "before this segment"))

    def _count(self, plan: Plan, target: SegmentNode, els: list[str], comp: str,
               events: list[StructureEvent]) -> SegmentNode:
        entered = plan.entered
        if entered is not None:
            if entered.usage == "N":
                events.append(StructureEvent("loop-not-used", target.id, entered.report_id,
                                             f"loop {entered.id} ({entered.name}) is not used in this guide"))
            else:
                self._reset(entered)
                n = self._inc(entered.parent.path, entered.path)
                if n > entered.max_repeat:
                    events.append(StructureEvent("loop-max-repeat", target.id, entered.report_id,
                                                 f"loop {entered.id} ({entered.name}) occurs {n} times; "
                                                 f"at most {entered.max_repeat} allowed"))
            self._inc(entered.path, target.path)
        else:
            if plan.alternatives:
                for alt in plan.alternatives:
                    if _fits(alt, els, comp):
                        target = alt
                        break
            n = self._inc(target.parent.path, target.path)
            if target.usage == "N":
                events.append(StructureEvent("segment-not-used", target.id, target.loop_id,
                                             f"segment {target.id} ({target.name}) is not used in this guide; "
                                             "remove it"))
            elif n > target.max_use:
                events.append(StructureEvent("segment-max-use", target.id, target.loop_id,
                                             f"segment {target.id} ({target.name}) occurs {n} times; "
                                             f"at most {target.max_use} allowed"))
        self.node = target
        return target
