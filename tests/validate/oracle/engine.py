"""The oracle for the core validator (``sdohedi._core.Validator``, rust/src/validator.rs): the pure
Python engine it replaced, kept as it was. The validator: a sans-I/O state machine over the core tokenizer's segment batches.

``Validator.feed(chunk)`` returns the findings completed by that chunk; ``close()`` the rest.
Per segment it checks, in this order: the segment identifier and separators (syntax); the
envelope (ISA/GS/ST nesting, trailer counts and control numbers); its place in the
implementation guide (``walker``); its elements (``fast``, then ``elements`` when in doubt);
and the content checks of its transaction type (``checks837p``/``checks835``). Memory does
not grow with the file: the walker keeps counters for the loops it is in, content checks keep
one claim, and only with ``keep_results=True`` (for a 999) is a small record kept per
transaction set.

Most segments take the inline path of ``_run``: a memoized walker plan with nothing unusual
about it, a generated element check that says "fine", a content handler or none. Anything
else (envelopes, HL, unknown plans, problems) goes the long way through ``_segment``.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from sdohedi.codes import CodeSet
from sdohedi.x12 import Batch, Delimiters, Tokenizer, X12Error, read_chunks
from sdohedi.x12.delimiters import ISA_LENGTH
from oracle.checks835 import Remit835Checks
from oracle.checks837p import Claim837PChecks
from .elements import segment_problems
from . import memos
from .fast import build_fast_check
from sdohedi.validate.findings import Finding, Location
from sdohedi.validate.guide import Guide, SegmentNode, control_guide, guide_for, map_index
from sdohedi.validate.guide_data import SUPPORTED
from oracle.issues import Issue
from sdohedi.validate.results import GroupResult, InterchangeResult, TransactionResult
from sdohedi.validate.rules import RULES
from .walker import StructureEvent, Walker

SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
ISA_PATH = "/ISA_LOOP/ISA"
GS_PATH = "/ISA_LOOP/GS_LOOP/GS"
GE_PATH = "/ISA_LOOP/GS_LOOP/GE"
PROFESSIONAL_CLAIM = "005010X222A1"
REMITTANCE = "005010X221A1"
_SLICE = 1 << 16  # bytes handed to the tokenizer at a time: keeps the live segments few
_ENVELOPE_IDS = frozenset(("ISA", "GS", "ST", "SE", "GE", "IEA"))
_SPECIAL_IDS = _ENVELOPE_IDS | {"HL"}  # envelopes, and HL with its hierarchy checks
# Bytes that are always fine in a chunk; anything else sends its segments down the slow path.
_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\r\n"
_ISA = re.compile(rb"ISA")


class _Interchange:
    __slots__ = ("isa13", "groups", "gs06_seen", "result")

    def __init__(self, isa13: str, result: InterchangeResult | None) -> None:
        self.isa13 = isa13
        self.groups = 0
        self.gs06_seen: set[str] = set()
        self.result = result


class _Group:
    __slots__ = ("gs06", "gs08", "guide", "transactions", "st02_seen", "result")

    def __init__(self, gs06: str, gs08: str, guide: Guide | None, result: GroupResult | None) -> None:
        self.gs06 = gs06
        self.gs08 = gs08
        self.guide = guide
        self.transactions = 0
        self.st02_seen: set[str] = set()
        self.result = result


class _Transaction:
    __slots__ = ("st02", "base", "hl_count", "hl_stack", "lx_count", "checks", "handlers", "result", "is_837")

    def __init__(self, st02: str, base: int, checks, result: TransactionResult | None, is_837: bool) -> None:
        self.st02 = st02
        self.base = base  # ordinal of the segment before ST: position - base = position within the set
        self.hl_count = 0
        self.hl_stack: list[int] = []
        self.lx_count = 0
        self.checks = checks
        self.handlers = checks.handlers if checks is not None else {}
        self.result = result
        self.is_837 = is_837


class Validator:
    """Validate one stream of interchanges. Not thread-safe; cheap to create."""

    def __init__(self, *, codes: CodeSet | None = None, keep_results: bool = False) -> None:
        # Blanks before a terminator and odd whitespace before an id are kept: they are reported.
        self._scanner = Tokenizer(strict=False, keep_trailing_blanks=True)
        self._walker = Walker()
        self._codes = codes or CodeSet.bundled()
        self._control = control_guide()
        self.results: list[InterchangeResult] | None = [] if keep_results else None
        self._out: list[Finding] = []
        self._isa: _Interchange | None = None
        self._gs: _Group | None = None
        self._st: _Transaction | None = None
        self._isa13_seen: set[str] = set()
        self._comp = ":"
        self._guided = False  # inside a group whose implementation guide we have
        self._events: list[StructureEvent] = []
        self._issues: list[Issue] = []
        self._valid_ids: set[str] = set()
        self._answers: dict = {}  # code-set answers shared by the transactions of this stream
        self._terms: set[bytes] = {b"~"}
        self._dirty = False
        self._last_byte = b"~"
        self.fatal = False
        self._head: bytes | None = b""  # leading bytes until they are or cannot be a byte-order mark
        self.segments = 0
        self.errors = 0
        self.warnings = 0
        self.interchanges = 0

    # -- feeding ------------------------------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> list[Finding]:
        if self.fatal or not chunk:
            return []
        if self._head is not None:
            # Kept across chunks (changed here: the old engine looked at the first chunk only and
            # missed a mark cut across two, which the differential tests may now cut anywhere).
            self._head = (self._head + (chunk if self._head else chunk.lstrip(b" \t\r\n\x0b\x0c")))[:3]
            bom = self._head == b"\xef\xbb\xbf"
            if bom or not b"\xef\xbb\xbf".startswith(self._head):
                self._head = None
            if bom:
                self._emit("byte-order-mark", "the file starts with a UTF-8 byte-order mark; X12 has none (read anyway, "
                           "but some receivers reject it)", position=None, segment=None)
        if b"ISA" in chunk:
            self._learn_terminators(chunk)
        dirty = self._suspect(chunk)
        slow = self._dirty or dirty
        # Bytes still buffered after this feed come from this chunk alone if it holds a terminator.
        holds_terminator = any(t in chunk for t in self._terms)
        self._dirty = dirty if holds_terminator else (self._dirty or dirty)
        self._last_byte = chunk[-1:]
        # The cyclic collector is paused meanwhile: the loop makes many short-lived objects and
        # no cycles, and collections triggered by them cost a factor of several (MEASUREMENTS).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for i in range(0, len(chunk), _SLICE):
                try:
                    batches = self._scanner.feed_batches(chunk[i:i + _SLICE])
                except X12Error as exc:
                    self._fatal(exc)
                    break
                for batch in batches:
                    self._run(batch, slow)
        finally:
            if gc_was_enabled:
                gc.enable()
        return self._drain()

    def close(self) -> list[Finding]:
        if not self.fatal:
            try:
                batches = self._scanner.close_batches()
            except X12Error as exc:
                self._fatal(exc)
                batches = []
            for batch in batches:
                self._run(batch, True)
            if not self.fatal:
                try:
                    self._scanner.check()  # an error found after the segments close_batches() handed out
                except X12Error as exc:
                    self._fatal(exc)
            self._close_all(self.segments + 1)
        return self._drain()

    def _suspect(self, chunk: bytes) -> bool:
        """Might values in ``chunk`` hold characters the fast element checks do not look at?

        Anything outside printable ASCII, or a line break that does not follow a segment
        terminator (a line break inside a value), makes it so.
        """
        if chunk.translate(None, _PRINTABLE):
            return True
        if chunk[:1] in (b"\r", b"\n") and self._last_byte not in self._terms and self._last_byte not in b"\r\n":
            return True
        cr = chunk.count(b"\r")
        lf = chunk.count(b"\n")
        if not cr and not lf:
            return False
        cr_ok = sum(chunk.count(t + b"\r") for t in self._terms) + (chunk[:1] == b"\r")
        lf_ok = sum(chunk.count(t + b"\n") for t in self._terms) + chunk.count(b"\r\n") + (chunk[:1] == b"\n")
        return cr != cr_ok or lf != lf_ok

    def _learn_terminators(self, chunk: bytes) -> None:
        """Segment terminators declared by the ISAs in ``chunk`` (for the character pre-check)."""
        for m in _ISA.finditer(chunk):
            head = chunk[m.start():m.start() + ISA_LENGTH]
            try:
                d = Delimiters.from_isa(head.decode("latin-1"))
            except X12Error:
                continue
            self._terms.add(d.segment.encode("latin-1"))

    def _drain(self) -> list[Finding]:
        out = self._out
        self._out = []
        return out

    # -- reporting ------------------------------------------------------------------------------------------------

    def _emit(self, rule_id: str, message: str, *, position: int | None, segment: str | None,
              loop: str | None = None, element: int | None = None, component: int | None = None,
              tx_position: int | None = None, value: str | None = None, data_element: str | None = None) -> None:
        rule = RULES[rule_id]
        isa, gs, st = self._isa, self._gs, self._st
        # Every value here is ours and already of the right type: skip pydantic's validation.
        finding = Finding.model_construct(
            severity=rule.severity, level=rule.level, rule=rule_id, message=message, value=value,
            location=Location.model_construct(
                interchange=isa.isa13 if isa else None, group=gs.gs06 if gs else None,
                transaction=st.st02 if st else None, position=position,
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
        if rule.scope == "transaction" and st is not None and st.result is not None:
            st.result.syntax_codes.add(rule.code or "5")
        elif rule.scope == "group" and gs is not None and gs.result is not None:
            gs.result.syntax_codes.add(rule.code or "1")
        elif st is not None and st.result is not None and rule.scope in ("segment", "element"):
            st.result.add(finding)
        elif gs is not None and gs.result is not None and rule.scope in ("segment", "element"):
            gs.result.envelope_errors += 1

    def _emit_events(self, pos: int, tx_pos: int | None) -> None:
        events = self._events
        for ev in events:
            self._emit(ev.rule, ev.message, position=pos, segment=ev.segment, loop=ev.loop, tx_position=tx_pos)
        events.clear()

    def _emit_issues(self) -> None:
        issues = self._issues
        for i in issues:
            s = i.spot
            self._emit(i.rule, i.message, position=s.position, segment=s.segment, loop=s.loop, element=i.element,
                       component=i.component, tx_position=s.transaction_position, value=i.value,
                       data_element=i.data_element)
        issues.clear()

    def _fatal(self, exc: X12Error) -> None:
        self.fatal = True
        rule = exc.rule if exc.rule in RULES else "isa-missing"
        self._emit(rule, exc.message + " (the rest of the file cannot be read)", position=exc.position,
                   segment=exc.segment)

    # -- the hot loop -----------------------------------------------------------------------------------------

    def _run(self, batch: Batch, slow: bool) -> None:
        pos, delims, pieces = batch
        if not pieces:
            return
        sep = delims.element
        walker = self._walker
        frames = walker.frames
        special = _SPECIAL_IDS
        valid_ids = self._valid_ids
        st = self._st
        guide = walker.guide
        node = walker.node
        guided = self._guided
        comp = self._comp
        base = st.base if st is not None else 0
        handlers = st.handlers if st is not None else None
        lx_checked = st is not None and st.is_837
        for raw in pieces:
            pos += 1
            els = raw.split(sep)
            sid = els[0]
            if st is None or not guided or sid in special or sid not in valid_ids or els[-1] == "":
                walker.node = node
                self._segment(pos, els, slow)
                st, guide, node, guided, comp = self._st, walker.guide, walker.node, self._guided, self._comp
                if st is not None:
                    base, handlers, lx_checked = st.base, st.handlers, st.is_837
                continue
            tx_pos = pos - base
            if lx_checked:
                if sid == "LX":
                    st.lx_count += 1
                    if els[1:2] != [str(st.lx_count)]:
                        self._lx_out_of_sequence(st, pos)
                elif sid == "CLM":
                    st.lx_count = 0
            entry = memos.transitions(guide)[node.idx].get(sid)
            plan = None
            if entry is not None:
                single, by_value = entry
                if single is not None:
                    e, first_component = single
                    v = els[e] if e < len(els) else ""
                    if first_component:
                        i = v.find(comp)
                        if i >= 0:
                            v = v[:i]
                    plan = by_value.get(v)
                else:
                    plan = by_value.get(None)  # a segment without qualifier (several: not memoized by None)
            if plan is None or not plan.quick:
                walker.node = node
                self._body(pos, els, slow, st, tx_pos)
                node = walker.node
                continue
            for chk in plan.checks:
                f = frames.get(chk.frame)
                if f is None or f.get(chk.key, 0) < 1:
                    self._walker.report_missing(plan, self._events)
                    self._emit_events(pos, tx_pos)
                    break
            target = plan.target
            entered = plan.entered
            if entered is not None:
                for p in entered.descendant_loops:
                    if p in frames:
                        del frames[p]
            f = frames.get(plan.frame)
            if f is None:
                f = frames[plan.frame] = {}
            counter = plan.counter
            n = f.get(counter, 0) + 1
            f[counter] = n
            if entered is not None:
                frames[entered.path] = {target.path: 1}
            node = target
            if n > plan.limit:
                self._over_limit(plan, n, pos, tx_pos)
            check = plan.check
            if check is None:
                fast = memos.fast_checks(guide)
                check = fast[target.idx]
                if check is None:
                    check = fast[target.idx] = build_fast_check(target)
                plan.check = check
            if slow or not check(els, comp):
                self._element_problems(target, els, pos, tx_pos)
            handler = handlers.get(sid)
            if handler is not None:
                handler(els, pos, tx_pos, target.loop_id, comp, self._issues)
                if self._issues:
                    self._emit_issues()
        walker.node = node
        self.segments = pos

    def _over_limit(self, plan, n: int, pos: int, tx_pos: int) -> None:
        target, entered = plan.target, plan.entered
        if entered is not None:
            self._emit("loop-max-repeat", f"loop {entered.id} ({entered.name}) occurs {n} times; at most "
                       f"{entered.max_repeat} allowed", position=pos, segment=target.id, loop=entered.report_id,
                       tx_position=tx_pos)
        else:
            self._emit("segment-max-use", f"segment {target.id} ({target.name}) occurs {n} times; at most "
                       f"{target.max_use} allowed", position=pos, segment=target.id, loop=target.loop_id,
                       tx_position=tx_pos)

    def _lx_out_of_sequence(self, st: _Transaction, pos: int) -> None:
        self._emit("lx-sequence", f"LX01 should be {st.lx_count}: service lines are numbered 1, 2, 3... within each "
                   "claim", position=pos, segment="LX", loop="2400", element=1, tx_position=pos - st.base,
                   data_element="554")

    # -- the long way -----------------------------------------------------------------------------------------

    def _segment(self, pos: int, els: list[str], slow: bool) -> None:
        sid = els[0]
        if sid == "ISA":
            self._isa_segment(pos, els)
            return
        st = self._st
        tx_pos = pos - st.base if st is not None else None
        if st is not None and sid not in _ENVELOPE_IDS:
            self._body(pos, els, slow, st, tx_pos, sequence_checked=False)
            return
        if not self._check_id_and_separators(els, pos, tx_pos):
            return
        if sid in _ENVELOPE_IDS:
            if sid == "GS":
                self._gs_segment(pos, els)
            elif sid == "ST":
                self._st_segment(pos, els, slow)
            elif sid == "SE":
                self._se_segment(pos, els, slow)
            elif sid == "GE":
                self._ge_segment(pos, els)
            else:
                self._iea_segment(pos, els)
            return
        if self._isa is None:
            self._emit("segment-outside-envelope", "segment outside an interchange (no ISA before it)",
                       position=pos, segment=sid)
            return
        self._structure(pos, els, slow, None)

    def _check_id_and_separators(self, els: list[str], pos: int, tx_pos: int | None) -> bool:
        """Segment identifier and trailing separators; False when the identifier is unusable."""
        sid = els[0]
        if sid not in self._valid_ids:
            if not SEGMENT_ID.match(sid):
                self._emit("segment-id", "a segment identifier is 2 or 3 capital letters or digits, starting with "
                           "a letter", position=pos, segment=sid or None, tx_position=tx_pos)
                return False
            self._valid_ids.add(sid)
        if len(els) > 1 and els[-1] == "":
            self._emit("trailing-separator", "the segment ends with an element separator; remove trailing separators",
                       position=pos, segment=sid, tx_position=tx_pos)
        return True

    def _body(self, pos: int, els: list[str], slow: bool, st: _Transaction, tx_pos: int,
              sequence_checked: bool = True) -> None:
        """A segment inside a transaction set (not an envelope segment), the long way."""
        sid = els[0]
        if not self._check_id_and_separators(els, pos, tx_pos):
            return
        if sid == "HL":
            self._hl(els, pos, tx_pos)
        elif st.is_837 and not sequence_checked:
            if sid == "LX":
                st.lx_count += 1
                if els[1:2] != [str(st.lx_count)]:
                    self._lx_out_of_sequence(st, pos)
            elif sid == "CLM":
                st.lx_count = 0
        node = self._structure(pos, els, slow, tx_pos)
        handler = st.handlers.get(sid)
        if handler is not None:
            handler(els, pos, tx_pos, node.loop_id if node is not None else None, self._comp, self._issues)
            if self._issues:
                self._emit_issues()

    def _structure(self, pos: int, els: list[str], slow: bool, tx_pos: int | None) -> SegmentNode | None:
        """Place the segment in the guide and check its elements; returns its node (or None)."""
        if self._gs is not None and not self._guided:
            return None  # unsupported guide: envelope checks only (reported once at GS)
        walker = self._walker
        node = walker.step(els, self._comp, self._events)
        if self._events:
            self._emit_events(pos, tx_pos)
        if node is not None:
            fast = memos.fast_checks(walker.guide)
            check = fast[node.idx]
            if check is None:
                check = fast[node.idx] = build_fast_check(node)
            if slow or not check(els, self._comp):
                self._element_problems(node, els, pos, tx_pos)
        return node

    def _element_problems(self, node: SegmentNode, els: list[str], pos: int, tx_pos: int | None,
                          comp: str | None = None) -> None:
        for p in segment_problems(node, els, self._comp if comp is None else comp):
            self._emit(p.rule, p.message, position=pos, segment=node.id, loop=node.loop_id, element=p.element,
                       component=p.component, tx_position=tx_pos, value=p.value, data_element=p.data_ele)

    def _hl(self, els: list[str], pos: int, tx_pos: int | None) -> None:
        st = self._st
        st.hl_count += 1
        if _int(els[1] if len(els) > 1 else "") != st.hl_count:
            self._emit("hl-sequence", f"HL01 should be {st.hl_count}: hierarchical levels are numbered 1, 2, 3... "
                       "within the transaction set", position=pos, segment="HL", element=1, tx_position=tx_pos,
                       data_element="628")
        parent_text = els[2] if len(els) > 2 else ""
        if parent_text:
            parent = _int(parent_text)
            stack = st.hl_stack
            if parent not in stack:
                self._emit("hl-parent", "HL02 does not name an open parent level (an earlier HL01 on the path to "
                           "this level)", position=pos, segment="HL", element=2, tx_position=tx_pos,
                           data_element="734")
            while stack and stack[-1] != parent:
                stack.pop()
        st.hl_stack.append(st.hl_count)

    # -- envelopes --------------------------------------------------------------------------------------------

    def _missing_trailer(self, rule: str, segment: str, message: str, pos: int) -> None:
        st = self._st
        self._emit(rule, message, position=None, segment=segment,
                   tx_position=(pos - st.base) if st is not None else None)

    def _close_all(self, pos: int, keep_interchange: bool = False, keep_group: bool = False) -> None:
        """Report and close what is still open before ``pos`` (a new header, or the end of the stream)."""
        if self._st is not None:
            self._missing_trailer("se-missing", "SE", f"transaction set {self._st.st02} has no SE trailer", pos)
            if self._st.checks is not None:
                self._st.checks.end(self._issues)
                self._emit_issues()
            self._close_transaction()
        if self._gs is not None and not keep_group:
            self._missing_trailer("ge-missing", "GE", f"functional group {self._gs.gs06} has no GE trailer", pos)
            self._close_group()
        if self._isa is not None and not keep_interchange and not keep_group:
            self._missing_trailer("iea-missing", "IEA", f"interchange {self._isa.isa13} has no IEA trailer", pos)
            self._isa = None

    def _isa_segment(self, pos: int, els: list[str]) -> None:
        self._close_all(pos)
        # ISA16 is the component separator of this interchange.
        self._comp = els[16] if len(els) > 16 and len(els[16]) == 1 else ":"
        isa13 = els[13] if len(els) > 13 else ""
        result = None
        if self.results is not None:
            result = InterchangeResult(*(els[i] if len(els) > i else "" for i in (5, 6, 7, 8, 13, 15)))
            self.results.append(result)
        self._isa = _Interchange(isa13, result)
        self.interchanges += 1
        if isa13 in self._isa13_seen:
            self._emit("isa13-duplicate", "ISA13 repeats an earlier interchange control number in this file; "
                       "receivers reject repeats", position=pos, segment="ISA", element=13, data_element="I12")
        self._isa13_seen.add(isa13)
        node = self._walker.force(self._control, ISA_PATH)
        self._guided = False
        # ISA holds the component separator as a value (ISA16): no composite check here.
        self._element_problems(node, els, pos, None, comp="")

    def _gs_segment(self, pos: int, els: list[str]) -> None:
        isa = self._isa
        if isa is None:
            self._emit("segment-outside-envelope", "GS outside an interchange (no ISA before it)", position=pos,
                       segment="GS")
            return
        self._close_all(pos, keep_interchange=True)
        gs01 = els[1] if len(els) > 1 else ""
        gs06 = els[6] if len(els) > 6 else ""
        gs08 = els[8] if len(els) > 8 else ""
        # Only the guides the core carries (as walker_reference): other groups are envelopes only.
        guide = guide_for(gs01, gs08) if (gs01, gs08) in SUPPORTED else None
        result = None
        if isa.result is not None:
            result = GroupResult(gs01, *(els[i] if len(els) > i else "" for i in (2, 3)), gs06, gs08,
                                 supported=guide is not None)
            isa.result.groups.append(result)
        self._gs = _Group(gs06, gs08, guide, result)
        isa.groups += 1
        if gs06 in isa.gs06_seen:
            self._emit("gs06-duplicate", "GS06 repeats an earlier group control number in this interchange",
                       position=pos, segment="GS", element=6, data_element="28")
        isa.gs06_seen.add(gs06)
        if guide is None:
            known = {fic for fic, _ in map_index()}
            rule = "group-version-not-supported" if gs01 in known else "group-not-supported"
            self._emit(rule, f"no implementation guide for GS01 '{gs01}' with GS08 '{gs08}'; only envelopes are "
                       "checked in this group", position=pos, segment="GS", element=8 if gs01 in known else 1,
                       value=gs08 if gs01 in known else gs01, data_element="480" if gs01 in known else "479")
            node = self._control.segment(GS_PATH)
            self._walker.guide = self._control
            self._walker.node = node
            self._guided = False
        else:
            node = self._walker.force(guide, GS_PATH)
            self._guided = True
        self._element_problems(node, els, pos, None)

    def _st_segment(self, pos: int, els: list[str], slow: bool) -> None:
        gs = self._gs
        if gs is None:
            self._emit("segment-outside-envelope", "ST outside a functional group (no GS before it)", position=pos,
                       segment="ST")
            return
        self._close_all(pos, keep_group=True)
        st01 = els[1] if len(els) > 1 else ""
        st02 = els[2] if len(els) > 2 else ""
        st03 = els[3] if len(els) > 3 and els[3] else None
        result = None
        if gs.result is not None:
            result = TransactionResult(st01, st02, st03)
            gs.result.transactions.append(result)
        guide = gs.guide
        checks = None
        if guide is not None and gs.gs08 == PROFESSIONAL_CLAIM:
            checks = Claim837PChecks(self._codes, self._answers, self._comp)
        elif guide is not None and gs.gs08 == REMITTANCE:
            checks = Remit835Checks()
        self._st = _Transaction(st02, pos - 1, checks, result,
                                is_837=guide is not None and guide.transaction == "837")
        gs.transactions += 1
        if st02 in gs.st02_seen:
            self._emit("st02-duplicate", "ST02 repeats an earlier transaction set control number in this group",
                       position=pos, segment="ST", element=2, tx_position=1, data_element="329")
        gs.st02_seen.add(st02)
        if st03 is not None and st03 != gs.gs08:
            self._emit("st03-mismatch", "ST03 (implementation convention reference) differs from GS08",
                       position=pos, segment="ST", element=3, tx_position=1, value=st03, data_element="1705")
        self._structure(pos, els, slow, 1)

    def _se_segment(self, pos: int, els: list[str], slow: bool) -> None:
        st = self._st
        if st is None:
            self._emit("segment-outside-envelope", "SE without a matching ST", position=pos, segment="SE")
            self._structure(pos, els, slow, None)
            return
        count = pos - st.base
        if st.checks is not None:
            st.checks.end(self._issues)
            self._emit_issues()
        if _int(els[1] if len(els) > 1 else "") != count:
            self._emit("se01-count", f"SE01 should be {count}, the number of segments from ST to SE inclusive",
                       position=pos, segment="SE", element=1, tx_position=count, data_element="96")
        if (els[2] if len(els) > 2 else "") != st.st02:
            self._emit("se02-mismatch", "SE02 must repeat ST02", position=pos, segment="SE", element=2,
                       tx_position=count, data_element="329")
        self._structure(pos, els, slow, count)
        self._close_transaction()

    def _ge_segment(self, pos: int, els: list[str]) -> None:
        gs = self._gs
        if gs is None:
            self._emit("segment-outside-envelope", "GE without a matching GS", position=pos, segment="GE")
            return
        self._close_all(pos, keep_group=True)
        declared = _int(els[1] if len(els) > 1 else "")
        if gs.result is not None:
            gs.result.declared_count = declared
        if declared != gs.transactions:
            self._emit("ge01-count", f"GE01 should be {gs.transactions}, the number of transaction sets in the group",
                       position=pos, segment="GE", element=1, data_element="97")
        if (els[2] if len(els) > 2 else "") != gs.gs06:
            self._emit("ge02-mismatch", "GE02 must repeat GS06", position=pos, segment="GE", element=2,
                       data_element="28")
        if not self._guided:
            self._walker.guide = self._control
            self._walker.node = self._control.segment(GE_PATH)
            self._element_problems(self._walker.node, els, pos, None)
        else:
            self._structure(pos, els, True, None)
        self._close_group()

    def _iea_segment(self, pos: int, els: list[str]) -> None:
        isa = self._isa
        if isa is None:
            self._emit("segment-outside-envelope", "IEA without a matching ISA", position=pos, segment="IEA")
            return
        self._close_all(pos, keep_interchange=True)
        if _int(els[1] if len(els) > 1 else "") != isa.groups:
            self._emit("iea01-count", f"IEA01 should be {isa.groups}, the number of functional groups",
                       position=pos, segment="IEA", element=1, data_element="I16")
        if (els[2] if len(els) > 2 else "") != isa.isa13:
            self._emit("iea02-mismatch", "IEA02 must repeat ISA13", position=pos, segment="IEA", element=2,
                       data_element="I12")
        self._structure(pos, els, True, None)
        self._isa = None

    def _close_transaction(self) -> None:
        st = self._st
        if st is not None and st.result is not None:
            st.result.closed = True
        self._st = None

    def _close_group(self) -> None:
        self._gs = None
        self._guided = False


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


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
