//! The SNIP 1-2 validator: over the tokenizer, per segment it checks the segment id and
//! separators, the envelope (ISA/GS/ST nesting, trailer counts, control numbers), the HL
//! hierarchy and LX sequence, the segment's place in its implementation guide (the walker) and
//! its elements. Sans-I/O: `feed(bytes)` and `close()` return [`Event`]s; memory does not grow
//! with the file (the walker keeps counters for the loops it is in; the control numbers seen
//! are kept to find repeats).
//!
//! The content checks (SNIP 3/5: balancing, NPI, code sets; [`crate::content`]) read every
//! segment of a transaction set of the 837P or 835 after it is placed. Nothing crosses over to
//! Python for a clean segment: only findings and the envelope events that frame them.

use std::collections::HashSet;
use std::sync::Arc;

use crate::codes::CodeSet;
use crate::content::{Checks, Seg};
use crate::delimiters::{BOM, WHITESPACE};
use crate::elements::{segment_problems, CodeLists, ElementProblem};
use crate::envelope::{self, py_int};
use crate::guide::Tables;
use crate::problem::Problem;
use crate::text::{digits, latin1};
use crate::tokenizer::{Segment, Tokenizer, ISA_BY_SEPARATORS};
use crate::walker::{is_segment_id, StructureProblem, Walker};

const ISA_PATH: &str = "/ISA_LOOP/ISA";
const GS_PATH: &str = "/ISA_LOOP/GS_LOOP/GS";
const GE_PATH: &str = "/ISA_LOOP/GS_LOOP/GE";

/// A broken rule, where it was broken. Values are bytes of the data; `value` is set for code
/// values only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub message: String,
    pub position: Option<u64>,
    pub tx_position: Option<u64>,
    pub segment: Option<Vec<u8>>,
    pub loop_id: Option<String>,
    pub element: Option<u32>,
    pub component: Option<u32>,
    pub value: Option<Vec<u8>>,
    pub data_element: Option<&'static str>,
}

/// What the validator hands back, in stream order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Finding(Finding),
    /// An ISA: ISA05, 06, 07, 08, 13, 15, and the component separator it declares (ISA16).
    Interchange([Vec<u8>; 6], u8),
    /// A GS: GS01, 02, 03, 06, 08, and whether the core has its guide.
    Group([Vec<u8>; 5], bool),
    /// An ST: ST01, ST02, ST03 (None when empty).
    Transaction([Vec<u8>; 2], Option<Vec<u8>>),
    TransactionClosed,
    /// GE01 as a number (None when it is not one).
    Declared(Option<i128>),
    GroupClosed,
    InterchangeClosed,
}

struct Interchange {
    isa13: Vec<u8>,
    groups: u64,
    gs06_seen: HashSet<Vec<u8>>,
}

struct Group {
    gs06: Vec<u8>,
    gs08: Vec<u8>,
    guide: Option<usize>,
    transactions: u64,
    st02_seen: HashSet<Vec<u8>>,
}

struct Transaction {
    st02: Vec<u8>,
    /// Ordinal of the segment before ST: position - base = position within the set.
    base: u64,
    hl_count: i128,
    /// The open HL levels, and the same as a set: a file of many top-level HLs (one per
    /// billing provider) keeps them all, and HL02 is looked up in it for every HL.
    hl_stack: Vec<i128>,
    hl_open: HashSet<i128>,
    lx_count: u64,
    checks: Option<Checks>,
    is_837: bool,
}

pub struct Validator {
    tokenizer: Tokenizer,
    state: State,
}

struct State {
    tables: &'static Tables,
    walker: Walker,
    lists: CodeLists,
    codes: Arc<CodeSet>,
    /// Functional identifiers (GS01) some guide knows, though the core may lack its version.
    known_groups: Vec<Vec<u8>>,
    isa: Option<Interchange>,
    gs: Option<Group>,
    st: Option<Transaction>,
    isa13_seen: HashSet<Vec<u8>>,
    comp: u8,
    /// The element separator of the segment being read.
    sep: u8,
    guided: bool,
    structure: Vec<StructureProblem>,
    problems: Vec<ElementProblem<'static>>,
    /// Findings of the content checks, before they become events.
    found: Vec<Finding>,
    events: Vec<Event>,
    last: u64,
    /// The first bytes after leading blanks, until they are or cannot be a byte-order mark
    /// (None once decided): a chunk may end inside the mark.
    head: Option<Vec<u8>>,
    fatal: bool,
}

fn el<'a>(els: &[&'a [u8]], i: usize) -> &'a [u8] {
    els.get(i).copied().unwrap_or(b"")
}

/// Is `text` the decimal digits of `n` (no sign, no leading zero)?
fn is_decimal_number(text: &[u8], n: u64) -> bool {
    text == digits(n, &mut [0; 20])
}

fn is_envelope(id: &[u8]) -> bool {
    matches!(id, b"ISA" | b"GS" | b"ST" | b"SE" | b"GE" | b"IEA")
}

impl Validator {
    pub fn new(
        lists: CodeLists,
        codes: Arc<CodeSet>,
        known_groups: Vec<Vec<u8>>,
    ) -> Result<Self, &'static str> {
        let walker = Walker::new()?;
        Ok(Validator {
            // Blanks before a terminator and odd whitespace before an id are kept: they are reported.
            // An ISA not at its fixed width is read by its separators, with a finding.
            tokenizer: Tokenizer::new(false)
                .keep_trailing_blanks(true)
                .lenient_isa(true),
            state: State {
                tables: walker.tables(),
                walker,
                lists,
                codes,
                known_groups,
                isa: None,
                gs: None,
                st: None,
                isa13_seen: HashSet::new(),
                comp: b':',
                sep: b'*',
                guided: false,
                structure: Vec::new(),
                problems: Vec::new(),
                found: Vec::new(),
                events: Vec::new(),
                last: 0,
                head: Some(Vec::new()),
                fatal: false,
            },
        })
    }

    /// Did a syntax error stop the stream?
    pub fn fatal(&self) -> bool {
        self.state.fatal
    }

    /// Ordinal of the last segment read.
    pub fn segments(&self) -> u64 {
        self.state.last
    }

    /// The events completed by `chunk`.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        let s = &mut self.state;
        if s.fatal || chunk.is_empty() {
            return Vec::new();
        }
        if let Some(head) = &mut s.head {
            let rest = if head.is_empty() {
                let blanks = chunk.iter().take_while(|b| WHITESPACE.contains(b)).count();
                &chunk[blanks..]
            } else {
                chunk
            };
            head.extend(rest.iter().take(BOM.len() - head.len()));
            let bom = head.as_slice() == BOM;
            if bom || !BOM.starts_with(head) {
                s.head = None;
            }
            if bom {
                s.emit(Finding {
                    rule: "byte-order-mark",
                    message:
                        "the file starts with a UTF-8 byte-order mark; X12 has none (read anyway, \
                              but some receivers reject it)"
                            .to_owned(),
                    ..Finding::default()
                });
            }
        }
        let result = self.tokenizer.feed(chunk, |seg| s.segment(&seg));
        if let Err(problem) = result {
            s.fail(&problem);
        }
        std::mem::take(&mut s.events)
    }

    /// The rest of the events: trailers missing at the end of the stream.
    pub fn close(&mut self) -> Vec<Event> {
        let s = &mut self.state;
        if !s.fatal {
            let result = self.tokenizer.close(|seg| s.segment(&seg));
            if let Err(problem) = result {
                s.fail(&problem);
            }
            // A stream cut short still leaves its envelopes open: their trailers are missing too.
            s.close_all(s.last + 1, false, false);
        }
        std::mem::take(&mut s.events)
    }
}

impl State {
    fn emit(&mut self, mut f: Finding) {
        if self.st.is_none() {
            f.tx_position = None;
        }
        self.events.push(Event::Finding(f));
    }

    fn at(&mut self, rule: &'static str, message: String, pos: u64, segment: &[u8]) -> Finding {
        Finding {
            rule,
            message,
            position: Some(pos),
            segment: Some(segment.to_vec()),
            ..Finding::default()
        }
    }

    fn fail(&mut self, problem: &Problem) {
        if self.fatal {
            return;
        }
        self.fatal = true;
        self.emit(Finding {
            rule: problem.rule,
            message: format!("{} (the rest of the file cannot be read)", problem.message),
            position: problem.position,
            segment: problem.segment.map(|s| s.as_bytes().to_vec()),
            ..Finding::default()
        });
    }

    fn segment(&mut self, seg: &Segment<'_>) {
        if self.fatal {
            return;
        }
        self.sep = seg.delimiters.element;
        if seg.isa_by_separators {
            // Before the ISA's own findings: a new interchange starts here.
            self.close_all(seg.position, false, false);
            self.emit(Finding {
                rule: "isa-fixed-length",
                message: ISA_BY_SEPARATORS.to_owned(),
                position: Some(seg.position),
                segment: Some(b"ISA".to_vec()),
                ..Finding::default()
            });
        }
        // Most segments have few elements: cut them into a stack array, not a fresh Vec.
        let mut stack: [&[u8]; 32] = [b""; 32];
        let mut n = 0;
        for e in seg.elements() {
            if n == stack.len() {
                let els: Vec<&[u8]> = seg.elements().collect();
                return self.elements(seg.position, &els);
            }
            stack[n] = e;
            n += 1;
        }
        self.elements(seg.position, &stack[..n]);
    }

    fn elements(&mut self, pos: u64, els: &[&[u8]]) {
        self.last = pos;
        let sid = els[0];
        if sid == b"ISA" {
            self.isa_segment(pos, els);
            return;
        }
        let tx_pos = self.st.as_ref().map(|st| pos - st.base);
        if self.st.is_some() && !is_envelope(sid) {
            self.body(pos, els, tx_pos);
            return;
        }
        if !self.check_id(els, pos, tx_pos) {
            return;
        }
        match sid {
            b"GS" => self.gs_segment(pos, els),
            b"ST" => self.st_segment(pos, els),
            b"SE" => self.se_segment(pos, els),
            b"GE" => self.ge_segment(pos, els),
            b"IEA" => self.iea_segment(pos, els),
            _ if self.isa.is_none() => {
                let f = self.at(
                    "segment-outside-envelope",
                    "segment outside an interchange (no ISA before it)".to_owned(),
                    pos,
                    sid,
                );
                self.emit(f);
            }
            _ => {
                self.structure(pos, els, None);
            }
        }
    }

    /// Segment identifier and trailing separators; false when the identifier is unusable.
    fn check_id(&mut self, els: &[&[u8]], pos: u64, tx_pos: Option<u64>) -> bool {
        let sid = els[0];
        if !is_segment_id(sid) {
            let mut f = self.at(
                "segment-id",
                "a segment identifier is 2 or 3 capital letters or digits, starting with a letter"
                    .to_owned(),
                pos,
                sid,
            );
            f.tx_position = tx_pos;
            if sid.is_empty() {
                f.segment = None;
            }
            self.emit(f);
            return false;
        }
        if els.len() > 1 && els[els.len() - 1].is_empty() {
            let mut f = self.at(
                "trailing-separator",
                "the segment ends with an element separator; remove trailing separators".to_owned(),
                pos,
                sid,
            );
            f.tx_position = tx_pos;
            self.emit(f);
        }
        true
    }

    /// A segment inside a transaction set (not an envelope segment).
    fn body(&mut self, pos: u64, els: &[&[u8]], tx_pos: Option<u64>) {
        if !self.check_id(els, pos, tx_pos) {
            return;
        }
        let sid = els[0];
        let Some(st) = self.st.as_mut() else { return };
        if sid == b"HL" {
            self.hl(els, pos, tx_pos);
        } else if st.is_837 {
            if sid == b"LX" {
                st.lx_count += 1;
                let n = st.lx_count;
                if els.len() < 2 || !is_decimal_number(els[1], n) {
                    self.events.push(Event::Finding(Finding {
                        rule: "lx-sequence",
                        message: format!(
                            "LX01 should be {n}: service lines are numbered 1, 2, 3... within each claim"
                        ),
                        position: Some(pos),
                        tx_position: tx_pos,
                        segment: Some(b"LX".to_vec()),
                        loop_id: Some("2400".to_owned()),
                        element: Some(1),
                        data_element: Some("554"),
                        ..Finding::default()
                    }));
                }
            } else if sid == b"CLM" {
                st.lx_count = 0;
            }
        }
        let placed = self.structure(pos, els, tx_pos);
        let Some(checks) = self.st.as_mut().and_then(|st| st.checks.as_mut()) else {
            return;
        };
        let loop_id =
            placed.and_then(|(g, n)| self.tables.guides[g].segments[n].loop_id.as_deref());
        let seg = Seg {
            pos,
            tx_pos: tx_pos.unwrap_or(0),
            loop_id,
            els,
            comp: self.comp,
        };
        checks.segment(&seg, &mut self.found);
        self.content_findings();
    }

    fn content_findings(&mut self) {
        if self.found.is_empty() {
            return;
        }
        for f in std::mem::take(&mut self.found) {
            self.emit(f);
        }
    }

    /// The content checks of the open transaction set at its end.
    fn content_end(&mut self) {
        if let Some(st) = self.st.as_mut() {
            if let Some(checks) = st.checks.as_mut() {
                checks.end(st.base, &mut self.found);
            }
        }
        self.content_findings();
    }

    /// Place the segment in its guide and check its elements; returns (guide, node).
    fn structure(
        &mut self,
        pos: u64,
        els: &[&[u8]],
        tx_pos: Option<u64>,
    ) -> Option<(usize, usize)> {
        if self.gs.is_some() && !self.guided {
            return None; // unsupported guide: envelope checks only (reported once at GS)
        }
        self.structure.clear();
        let node = self.walker.step(els, self.comp, pos, &mut self.structure);
        let structure = if self.structure.is_empty() {
            Vec::new()
        } else {
            std::mem::take(&mut self.structure)
        };
        for p in structure {
            self.emit(Finding {
                rule: p.rule,
                message: p.message,
                position: Some(pos),
                tx_position: tx_pos,
                segment: Some(p.segment.into_bytes()),
                loop_id: p.loop_id,
                ..Finding::default()
            });
        }
        let node = node?;
        let (guide, _) = self.walker.current()?;
        self.element_problems(guide, node, els, pos, tx_pos, Some(self.comp));
        Some((guide, node))
    }

    fn element_problems(
        &mut self,
        guide: usize,
        node: usize,
        els: &[&[u8]],
        pos: u64,
        tx_pos: Option<u64>,
        comp: Option<u8>,
    ) {
        let seg = &self.tables.guides[guide].segments[node];
        let mut problems = std::mem::take(&mut self.problems);
        segment_problems(seg, els, comp, &self.lists, &mut problems);
        if problems.is_empty() {
            self.problems = problems;
            return;
        }
        for p in problems.drain(..) {
            self.emit(Finding {
                rule: p.rule,
                message: p.message,
                position: Some(pos),
                tx_position: tx_pos,
                segment: Some(seg.id.as_bytes().to_vec()),
                loop_id: seg.loop_id.clone(),
                element: p.element,
                component: p.component,
                value: p.value.map(|v| v.chars().map(|c| c as u8).collect()),
                data_element: p.data_ele,
            });
        }
        self.problems = problems;
    }

    fn hl(&mut self, els: &[&[u8]], pos: u64, tx_pos: Option<u64>) {
        let Some(st) = self.st.as_mut() else { return };
        st.hl_count += 1;
        let count = st.hl_count;
        let wrong_number = py_int(el(els, 1)) != Some(count);
        let parent_text = el(els, 2);
        let mut orphan = false;
        if !parent_text.is_empty() {
            let parent = py_int(parent_text);
            orphan = !parent.is_some_and(|p| st.hl_open.contains(&p));
            while st.hl_stack.last().is_some_and(|&top| Some(top) != parent) {
                if let Some(top) = st.hl_stack.pop() {
                    st.hl_open.remove(&top);
                }
            }
        }
        st.hl_stack.push(count);
        st.hl_open.insert(count);
        let hl = |rule, message: String, element, data_element| Finding {
            rule,
            message,
            position: Some(pos),
            tx_position: tx_pos,
            segment: Some(b"HL".to_vec()),
            element: Some(element),
            data_element: Some(data_element),
            ..Finding::default()
        };
        if wrong_number {
            self.emit(hl(
                "hl-sequence",
                format!(
                    "HL01 should be {count}: hierarchical levels are numbered 1, 2, 3... within the transaction set"
                ),
                1,
                "628",
            ));
        }
        if orphan {
            self.emit(hl(
                "hl-parent",
                "HL02 does not name an open parent level (an earlier HL01 on the path to this level)"
                    .to_owned(),
                2,
                "734",
            ));
        }
    }

    // -- envelopes ------------------------------------------------------------------------------

    fn trailer_missing(&mut self, rule: &'static str, segment: &[u8], message: String, pos: u64) {
        let tx_position = self.st.as_ref().map(|st| pos - st.base);
        self.emit(Finding {
            rule,
            message,
            segment: Some(segment.to_vec()),
            tx_position,
            ..Finding::default()
        });
    }

    /// Report and close what is still open before `pos` (a new header, or the end of the stream).
    fn close_all(&mut self, pos: u64, keep_interchange: bool, keep_group: bool) {
        if let Some(st) = &self.st {
            let message = format!("transaction set {} has no SE trailer", latin1(&st.st02));
            self.trailer_missing("se-missing", b"SE", message, pos);
            self.content_end();
            self.close_transaction();
        }
        if !keep_group {
            if let Some(gs) = &self.gs {
                let message = format!("functional group {} has no GE trailer", latin1(&gs.gs06));
                self.trailer_missing("ge-missing", b"GE", message, pos);
                self.close_group();
            }
            if !keep_interchange {
                if let Some(isa) = &self.isa {
                    let message = format!("interchange {} has no IEA trailer", latin1(&isa.isa13));
                    self.trailer_missing("iea-missing", b"IEA", message, pos);
                    self.isa = None;
                    self.events.push(Event::InterchangeClosed);
                }
            }
        }
    }

    fn close_transaction(&mut self) {
        if self.st.take().is_some() {
            self.events.push(Event::TransactionClosed);
        }
    }

    fn close_group(&mut self) {
        if self.gs.take().is_some() {
            self.events.push(Event::GroupClosed);
        }
        self.guided = false;
    }

    fn isa_segment(&mut self, pos: u64, els: &[&[u8]]) {
        self.close_all(pos, false, false);
        // ISA16 is the component separator of this interchange.
        self.comp = match els.get(16) {
            Some(&[c]) => *c,
            _ => b':',
        };
        let isa13 = el(els, 13).to_vec();
        self.events.push(Event::Interchange(
            [5, 6, 7, 8, 13, 15].map(|i| el(els, i).to_vec()),
            self.comp,
        ));
        self.isa = Some(Interchange {
            isa13: isa13.clone(),
            groups: 0,
            gs06_seen: HashSet::new(),
        });
        if !self.isa13_seen.insert(isa13) {
            let mut f = self.at(
                "isa13-duplicate",
                "ISA13 repeats an earlier interchange control number in this file; receivers reject repeats"
                    .to_owned(),
                pos,
                b"ISA",
            );
            f.element = Some(13);
            f.data_element = Some("I12");
            self.emit(f);
        }
        let control = self.tables.control;
        let node = self.walker.force(control, ISA_PATH);
        self.guided = false;
        // ISA holds the component separator as a value (ISA16): no composite check here.
        if let Some(node) = node {
            self.element_problems(control, node, els, pos, None, None);
        }
    }

    fn gs_segment(&mut self, pos: u64, els: &[&[u8]]) {
        if self.isa.is_none() {
            let f = self.at(
                "segment-outside-envelope",
                "GS outside an interchange (no ISA before it)".to_owned(),
                pos,
                b"GS",
            );
            self.emit(f);
            return;
        }
        self.close_all(pos, true, false);
        let (gs01, gs06, gs08) = (el(els, 1), el(els, 6), el(els, 8));
        let guide = self.tables.guide_for(gs01, gs08);
        self.events.push(Event::Group(
            [1, 2, 3, 6, 8].map(|i| el(els, i).to_vec()),
            guide.is_some(),
        ));
        self.gs = Some(Group {
            gs06: gs06.to_vec(),
            gs08: gs08.to_vec(),
            guide,
            transactions: 0,
            st02_seen: HashSet::new(),
        });
        let Some(isa) = self.isa.as_mut() else { return };
        isa.groups += 1;
        if !isa.gs06_seen.insert(gs06.to_vec()) {
            let mut f = self.at(
                "gs06-duplicate",
                "GS06 repeats an earlier group control number in this interchange".to_owned(),
                pos,
                b"GS",
            );
            f.element = Some(6);
            f.data_element = Some("28");
            self.emit(f);
        }
        let node = match guide {
            None => {
                let known = self.known_groups.iter().any(|k| k == gs01);
                let rule = if known {
                    "group-version-not-supported"
                } else {
                    "group-not-supported"
                };
                let mut f = self.at(
                    rule,
                    format!(
                        "no implementation guide for GS01 '{}' with GS08 '{}'; only envelopes are checked in this group",
                        latin1(gs01),
                        latin1(gs08)
                    ),
                    pos,
                    b"GS",
                );
                f.element = Some(if known { 8 } else { 1 });
                f.value = Some(if known { gs08 } else { gs01 }.to_vec());
                f.data_element = Some(if known { "480" } else { "479" });
                self.emit(f);
                self.guided = false;
                self.walker
                    .stand(self.tables.control, GS_PATH)
                    .map(|n| (self.tables.control, n))
            }
            Some(g) => {
                self.guided = true;
                self.walker.force(g, GS_PATH).map(|n| (g, n))
            }
        };
        if let Some((g, n)) = node {
            self.element_problems(g, n, els, pos, None, Some(self.comp));
        }
    }

    fn st_segment(&mut self, pos: u64, els: &[&[u8]]) {
        if self.gs.is_none() {
            let f = self.at(
                "segment-outside-envelope",
                "ST outside a functional group (no GS before it)".to_owned(),
                pos,
                b"ST",
            );
            self.emit(f);
            return;
        }
        self.close_all(pos, false, true);
        let (st01, st02) = (el(els, 1), el(els, 2));
        let st03 = els.get(3).filter(|v| !v.is_empty()).map(|v| v.to_vec());
        let Some(gs) = self.gs.as_mut() else { return };
        let checks = gs.guide.and_then(|_| Checks::of(&gs.gs08, &self.codes));
        let is_837 = gs
            .guide
            .is_some_and(|g| self.tables.guides[g].transaction == "837");
        self.events.push(Event::Transaction(
            [st01.to_vec(), st02.to_vec()],
            st03.clone(),
        ));
        gs.transactions += 1;
        let repeated = !gs.st02_seen.insert(st02.to_vec());
        let mismatch = st03.as_ref().is_some_and(|v| *v != gs.gs08);
        self.st = Some(Transaction {
            st02: st02.to_vec(),
            base: pos - 1,
            hl_count: 0,
            hl_stack: Vec::new(),
            hl_open: HashSet::new(),
            lx_count: 0,
            checks,
            is_837,
        });
        if repeated {
            let mut f = self.at(
                "st02-duplicate",
                "ST02 repeats an earlier transaction set control number in this group".to_owned(),
                pos,
                b"ST",
            );
            (f.element, f.tx_position, f.data_element) = (Some(2), Some(1), Some("329"));
            self.emit(f);
        }
        if mismatch {
            let mut f = self.at(
                "st03-mismatch",
                "ST03 (implementation convention reference) differs from GS08".to_owned(),
                pos,
                b"ST",
            );
            (f.element, f.tx_position, f.data_element) = (Some(3), Some(1), Some("1705"));
            f.value = st03;
            self.emit(f);
        }
        self.structure(pos, els, Some(1));
    }

    fn se_segment(&mut self, pos: u64, els: &[&[u8]]) {
        let Some(st) = &self.st else {
            let f = self.at(
                "segment-outside-envelope",
                "SE without a matching ST".to_owned(),
                pos,
                b"SE",
            );
            self.emit(f);
            self.structure(pos, els, None);
            return;
        };
        let count = pos - st.base;
        let trailer = envelope::se(el(els, 1), el(els, 2), count, &st.st02);
        self.content_end();
        for p in trailer {
            let mut f = self.at(p.rule, p.message, pos, b"SE");
            let data_element = if p.element == 1 { "96" } else { "329" };
            (f.element, f.tx_position, f.data_element) =
                (Some(u32::from(p.element)), Some(count), Some(data_element));
            self.emit(f);
        }
        self.structure(pos, els, Some(count));
        self.close_transaction();
    }

    fn ge_segment(&mut self, pos: u64, els: &[&[u8]]) {
        if self.gs.is_none() {
            let f = self.at(
                "segment-outside-envelope",
                "GE without a matching GS".to_owned(),
                pos,
                b"GE",
            );
            self.emit(f);
            return;
        }
        self.close_all(pos, false, true);
        let Some(gs) = &self.gs else { return };
        let declared = py_int(el(els, 1));
        let trailer = envelope::ge(el(els, 1), el(els, 2), gs.transactions, &gs.gs06);
        self.events.push(Event::Declared(declared));
        for p in trailer {
            let mut f = self.at(p.rule, p.message, pos, b"GE");
            let data_element = if p.element == 1 { "97" } else { "28" };
            (f.element, f.data_element) = (Some(u32::from(p.element)), Some(data_element));
            self.emit(f);
        }
        if !self.guided {
            let control = self.tables.control;
            if let Some(node) = self.walker.stand(control, GE_PATH) {
                self.element_problems(control, node, els, pos, None, Some(self.comp));
            }
        } else {
            self.structure(pos, els, None);
        }
        self.close_group();
    }

    fn iea_segment(&mut self, pos: u64, els: &[&[u8]]) {
        if self.isa.is_none() {
            let f = self.at(
                "segment-outside-envelope",
                "IEA without a matching ISA".to_owned(),
                pos,
                b"IEA",
            );
            self.emit(f);
            return;
        }
        self.close_all(pos, true, false);
        let Some(isa) = &self.isa else { return };
        for p in envelope::iea(el(els, 1), el(els, 2), isa.groups, &isa.isa13) {
            let mut f = self.at(p.rule, p.message, pos, b"IEA");
            let data_element = if p.element == 1 { "I16" } else { "I12" };
            (f.element, f.data_element) = (Some(u32::from(p.element)), Some(data_element));
            self.emit(f);
        }
        self.structure(pos, els, None);
        self.isa = None;
        self.events.push(Event::InterchangeClosed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_line_number_is_its_digits() {
        assert!(is_decimal_number(b"1", 1) && is_decimal_number(b"1000", 1000));
        assert!(is_decimal_number(b"0", 0) && !is_decimal_number(b"01", 1));
        assert!(!is_decimal_number(b"", 1) && !is_decimal_number(b"+1", 1));
        assert!(is_decimal_number(b"18446744073709551615", u64::MAX));
    }

    #[test]
    fn counts_read_as_python_reads_them() {
        assert_eq!(py_int(b" 12 "), Some(12));
        assert_eq!(py_int(b"+1_000"), Some(1000));
        assert_eq!(py_int(b"-3"), Some(-3));
        for bad in [&b""[..], b"1__0", b"_1", b"1_", b"1.0", b"- 1", b"\xb2"] {
            assert_eq!(py_int(bad), None, "{bad:?}");
        }
    }

    const INTERCHANGE: &[u8] =
        b"ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       \
        *240101*1200*^*00501*000000001*0*P*:~IEA*0*000000001~";

    fn events(chunks: &[&[u8]]) -> Vec<Event> {
        let mut v = Validator::new(CodeLists::default(), Arc::default(), Vec::new()).unwrap();
        let mut out: Vec<Event> = chunks.iter().flat_map(|c| v.feed(c)).collect();
        out.extend(v.close());
        out
    }

    fn rules(events: &[Event]) -> Vec<&'static str> {
        let rule = |e: &Event| match e {
            Event::Finding(f) => Some(f.rule),
            _ => None,
        };
        events.iter().filter_map(rule).collect()
    }

    #[test]
    fn a_byte_order_mark_cut_anywhere_is_one_finding() {
        // The interchange alone (no group: a GS loop is missing) is the oracle for the rest.
        let plain = rules(&events(&[INTERCHANGE]));
        assert!(!plain.contains(&"byte-order-mark"));
        let with_mark: Vec<&str> = ["byte-order-mark"].into_iter().chain(plain).collect();
        let data = [BOM, INTERCHANGE].concat();
        let whole = events(&[&data]);
        assert_eq!(rules(&whole), with_mark);
        for cut in 1..=BOM.len() {
            assert_eq!(events(&[&data[..cut], &data[cut..]]), whole, "cut at {cut}");
        }
        let bytewise: Vec<&[u8]> = data[..8].chunks(1).chain([&data[8..]]).collect();
        assert_eq!(events(&bytewise), whole);
        // Blanks before the mark, as the tokenizer skips them, and the empty chunks a reader may feed.
        let blanks = [b" \r\n", BOM, INTERCHANGE].concat();
        assert_eq!(
            rules(&events(&[b"", b" ", &blanks[1..4], b"", &blanks[4..]])),
            with_mark
        );
    }
}
