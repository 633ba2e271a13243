//! Place each segment in its loop: the implementation guide's loop and segment-order rules.
//!
//! The same algorithm as `validate.walker` (now tests/validate/oracle/walker.py) (pyx12's `walk_tree` step for step, with
//! that module's two deliberate differences: namesakes at one position are told apart by their
//! other coded elements, and a wrapper table such as the 835's FOOTER does not start again when
//! its first segment repeats). From the current segment, look at the siblings at or after its
//! position; if none matches, climb to the parent loop and look again from the loop's position;
//! a loop is entered when its first segment matches. Required segments and loops passed over
//! are reported missing when they were not seen in the current loop instance; entering a loop
//! restarts the counts below it.
//!
//! Where a segment lands depends only on the current node, its id and its qualifier, never on
//! counts: the search runs once per (node, id, qualifier) and is kept as a [`Plan`]. Counting is
//! then a few array operations per segment. Counters are per x12 path; a loop's counters
//! restart by moving its generation on, not by clearing them.
//!
//! [`Walk`] drives a [`Walker`] over a stream the way the validator does: the ISA starts the
//! envelope map, a GS picks its group's guide (by GS01 and GS08), a group without a guide is
//! not walked.

use std::collections::HashMap;

use crate::guide::{packed_id, tables, FxMap, Guide, Loop, Node, Tables};
use crate::tokenizer::Segment;

/// Plans kept per guide before the memo starts over (qualifiers come from the data: bound it).
const MAX_PLANS: usize = 100_000;

/// A structure rule broken at a segment: the rule slug the validator uses, the segment's
/// position, the segment (for a missing one: that one) and loop it is about. The message names
/// guide entries and counts, never element values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructureProblem {
    pub rule: &'static str,
    pub position: u64,
    pub segment: String,
    pub loop_id: Option<String>,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Segment,
    Loop,
}

/// A required segment or loop passed over; reported if its counter is still 0.
#[derive(Clone, Copy, Debug)]
struct MissingCheck {
    kind: Kind,
    /// The missing segment, or the missing loop.
    node: usize,
    /// The missing segment, or the first segment of the missing loop.
    segment: usize,
    key: usize,
}

/// Where a segment lands from a given node, and what to check on the way.
#[derive(Debug)]
struct Plan {
    /// None: the segment has no place here.
    target: Option<usize>,
    checks: Vec<MissingCheck>,
    /// The loop this segment opens (its counters restart).
    entered: Option<usize>,
    /// Same id, same position, all accept the qualifier.
    alternatives: Vec<usize>,
}

fn element<'a>(els: &[&'a [u8]], ele: usize, sub: Option<usize>, comp: u8) -> &'a [u8] {
    let Some(&v) = els.get(ele) else {
        return b"";
    };
    match sub {
        None => v,
        Some(sub) => v
            .split(|&b| b == comp)
            .nth(sub.wrapping_sub(1))
            .unwrap_or(b""),
    }
}

/// pyx12's walk, recording count-dependent decisions instead of making them.
struct Builder<'a> {
    guide: &'a Guide,
    els: &'a [&'a [u8]],
    comp: u8,
    /// (check, position of its node, the segment it waits for).
    pending: Vec<(MissingCheck, i64, usize)>,
    reported: Vec<MissingCheck>,
}

impl Builder<'_> {
    fn matches(&self, seg: usize) -> bool {
        let s = &self.guide.segments[seg];
        if self.els.first().copied() != Some(s.id.as_bytes()) {
            return false;
        }
        match &s.key {
            None => true,
            Some(k) => k.accepts(element(self.els, k.element, k.component, self.comp)),
        }
    }

    fn flush(&mut self, current: Option<i64>) {
        // Checks at the matched position are dropped for good: pyx12 forgets them at the next segment.
        for (check, pos, _) in self.pending.drain(..) {
            if Some(pos) != current {
                self.reported.push(check);
            }
        }
    }

    fn is_loop_match(&mut self, lp: usize) -> bool {
        let l: &Loop = &self.guide.loops[lp];
        let Some(first) = l.first_node() else {
            return false;
        };
        match first {
            Node::Loop(_) => {
                for child in l.child_nodes() {
                    if let Node::Loop(c) = child {
                        if self.is_loop_match(c) {
                            return true;
                        }
                    }
                }
                false
            }
            Node::Segment(s) => {
                if self.matches(s) {
                    return true;
                }
                if l.usage == b'R' {
                    let key = l.path_id;
                    let pos = self.guide.segments[s].pos;
                    self.pending.push((
                        MissingCheck {
                            kind: Kind::Loop,
                            node: lp,
                            segment: s,
                            key,
                        },
                        pos,
                        s,
                    ));
                }
                false
            }
        }
    }

    fn goto(&mut self, lp: usize) -> (Option<usize>, Option<usize>) {
        let l = &self.guide.loops[lp];
        if let Some(Node::Segment(first)) = l.first_node() {
            if self.matches(first) {
                self.flush(None);
                return (Some(first), Some(lp));
            }
        }
        for child in l.child_nodes() {
            if let Node::Loop(c) = child {
                let found = self.goto(c);
                if found.0.is_some() {
                    return found;
                }
            }
        }
        (None, None)
    }

    fn plan(
        &self,
        target: Option<usize>,
        entered: Option<usize>,
        alternatives: Vec<usize>,
    ) -> Plan {
        Plan {
            target,
            checks: self.reported.clone(),
            entered,
            alternatives,
        }
    }

    fn scan(&mut self, lp: usize, from_pos: i64) -> Option<Plan> {
        let guide = self.guide;
        let l = &guide.loops[lp];
        for (pos, nodes) in &l.children {
            if *pos < from_pos {
                continue;
            }
            for (i, &child) in nodes.iter().enumerate() {
                match child {
                    Node::Segment(s) => {
                        if self.matches(s) {
                            // A wrapper (the 835's FOOTER around PLB) is a table, not a loop that
                            // repeats: its first segment again is that segment repeating.
                            let wrapper = l.kind.as_deref() == Some("wrapper");
                            if !l.is_root() && !wrapper && self.is_loop_match(lp) {
                                let (seg, entered) = self.goto(lp);
                                return Some(self.plan(seg, entered, Vec::new()));
                            }
                            self.pending.retain(|p| p.2 != s);
                            self.flush(Some(guide.segments[s].pos));
                            let alts: Vec<usize> = nodes[i..]
                                .iter()
                                .filter_map(|n| match *n {
                                    Node::Segment(a) if self.matches(a) => Some(a),
                                    _ => None,
                                })
                                .collect();
                            let alts = if alts.len() > 1 { alts } else { Vec::new() };
                            return Some(self.plan(Some(s), None, alts));
                        }
                        let seg = &guide.segments[s];
                        if seg.usage == b'R' {
                            let check = MissingCheck {
                                kind: Kind::Segment,
                                node: s,
                                segment: s,
                                key: seg.path_id,
                            };
                            self.pending.push((check, seg.pos, s));
                        }
                    }
                    Node::Loop(c) => {
                        if self.is_loop_match(c) {
                            let (seg, entered) = self.goto(c);
                            return Some(self.plan(seg, entered, Vec::new()));
                        }
                    }
                }
            }
        }
        None
    }

    fn build(mut self, start: usize) -> Plan {
        let guide = self.guide;
        let mut plan = self.walk(start);
        // Some checks cannot fail: the segment we start from has been counted, and so has every
        // enclosing loop entered through its first segment (only wrappers are entered without).
        let mut certain = vec![guide.segments[start].path_id];
        let mut lp = guide.segments[start].parent;
        while !guide.loops[lp].is_root() {
            if matches!(guide.loops[lp].first_node(), Some(Node::Segment(_))) {
                certain.push(guide.loops[lp].path_id);
            }
            match guide.loops[lp].parent {
                Some(p) => lp = p,
                None => break,
            }
        }
        plan.checks.retain(|c| !certain.contains(&c.key));
        plan
    }

    fn walk(&mut self, start: usize) -> Plan {
        let guide = self.guide;
        let mut lp = guide.segments[start].parent;
        let mut from_pos = guide.segments[start].pos;
        loop {
            if let Some(plan) = self.scan(lp, from_pos) {
                return plan;
            }
            let l = &guide.loops[lp];
            match l.parent {
                None => {
                    return Plan {
                        target: None,
                        checks: Vec::new(),
                        entered: None,
                        alternatives: Vec::new(),
                    }
                }
                Some(p) => {
                    from_pos = l.pos;
                    lp = p;
                }
            }
        }
    }
}

/// Per guide: the plans built so far. By (node, packed segment id): the plan when the id has no
/// qualifier, else the plans by qualifier values (SipHash there: the data chooses those).
#[derive(Default)]
struct Memo {
    plans: Vec<Plan>,
    index: FxMap<(u32, u32), Slot>,
}

enum Slot {
    One(usize),
    ByValue(ByValue),
}

/// Plans by qualifier values: a short list searched in order (an id has a handful of
/// qualifiers), a SipHash map once the data has shown many.
#[derive(Default)]
struct ByValue {
    few: Vec<(Box<[u8]>, usize)>,
    many: HashMap<Box<[u8]>, usize>,
}

const FEW: usize = 16;

impl ByValue {
    fn get(&self, values: &[u8]) -> Option<usize> {
        if self.many.is_empty() {
            self.few.iter().find(|(v, _)| **v == *values).map(|e| e.1)
        } else {
            self.many.get(values).copied()
        }
    }

    fn insert(&mut self, values: &[u8], plan: usize) {
        if self.many.is_empty() && self.few.len() < FEW {
            self.few.push((values.into(), plan));
            return;
        }
        self.many.extend(self.few.drain(..));
        self.many.insert(values.into(), plan);
    }
}

/// The current node and the occurrence counters of one stream.
pub struct Walker {
    tables: &'static Tables,
    guide: Option<usize>,
    node: Option<usize>,
    /// Per path id: (generation of its frame when last counted, count).
    counts: Vec<(u64, u32)>,
    /// Per path id (as a frame): the generation of its counters.
    generations: Vec<u64>,
    memos: Vec<Memo>,
    key: Vec<u8>,
    under: HashMap<usize, Vec<usize>>,
}

impl Walker {
    pub fn new() -> Result<Self, &'static str> {
        let tables = tables()?;
        Ok(Walker {
            tables,
            guide: None,
            node: None,
            counts: vec![(0, 0); tables.paths.len()],
            generations: vec![0; tables.paths.len()],
            memos: tables.guides.iter().map(|_| Memo::default()).collect(),
            key: Vec::new(),
            under: HashMap::new(),
        })
    }

    pub fn tables(&self) -> &'static Tables {
        self.tables
    }

    /// (guide, segment node) of the current segment.
    pub fn current(&self) -> Option<(usize, usize)> {
        Some((self.guide?, self.node?))
    }

    fn count(&self, key: usize) -> u32 {
        let (generation, n) = self.counts[key];
        if generation == self.generations[self.tables.frame_of[key]] {
            n
        } else {
            0
        }
    }

    fn inc(&mut self, key: usize) -> u32 {
        let n = self.count(key) + 1;
        self.counts[key] = (self.generations[self.tables.frame_of[key]], n);
        n
    }

    fn restart(&mut self, frame: usize) {
        self.generations[frame] += 1;
    }

    /// Jump to `segment_path` of `guide` (an ISA or a GS starts there) and restart the counts of
    /// its loop.
    pub fn force(&mut self, guide: usize, segment_path: &str) -> Option<usize> {
        let tables = self.tables;
        let g = &tables.guides[guide];
        let node = g.segment_at(segment_path)?;
        let seg = &g.segments[node];
        let lp = &g.loops[seg.parent];
        if lp.path == "/ISA_LOOP" {
            for frame in 0..self.generations.len() {
                self.restart(frame);
            }
        } else {
            let frames = self
                .under
                .entry(lp.path_id)
                .or_insert_with(|| tables.paths_under(&lp.path))
                .clone();
            for frame in frames {
                self.restart(frame);
            }
        }
        self.inc(lp.path_id);
        self.inc(seg.path_id);
        self.guide = Some(guide);
        self.node = Some(node);
        Some(node)
    }

    /// Stand on `segment_path` of `guide` without counting (a group whose guide we lack).
    pub fn stand(&mut self, guide: usize, segment_path: &str) -> Option<usize> {
        let node = self.tables.guides[guide].segment_at(segment_path)?;
        self.guide = Some(guide);
        self.node = Some(node);
        Some(node)
    }

    fn plan_index(&mut self, guide: usize, start: usize, els: &[&[u8]], comp: u8) -> usize {
        let g = &self.tables.guides[guide];
        let sid = els[0];
        let packed = packed_id(sid);
        let locations = packed.and_then(|k| g.key_locations.get(&k));
        let values = &mut self.key;
        values.clear();
        for &(e, c) in locations.into_iter().flatten() {
            let v = element(els, e, c, comp);
            values.extend_from_slice(&(v.len() as u32).to_le_bytes());
            values.extend_from_slice(v);
        }
        let qualified = locations.is_some_and(|l| !l.is_empty());
        let memo = &mut self.memos[guide];
        // An id too long for any guide has no place anywhere: one plan per node serves them all.
        let slot_key = (start as u32, packed.unwrap_or(u32::MAX));
        match memo.index.get(&slot_key) {
            Some(Slot::One(i)) => return *i,
            Some(Slot::ByValue(by_value)) => {
                if let Some(i) = by_value.get(values) {
                    return i;
                }
            }
            None => {}
        }
        let plan = Builder {
            guide: g,
            els,
            comp,
            pending: Vec::new(),
            reported: Vec::new(),
        }
        .build(start);
        if memo.plans.len() >= MAX_PLANS {
            memo.plans.clear();
            memo.index.clear();
        }
        memo.plans.push(plan);
        let i = memo.plans.len() - 1;
        if qualified {
            match memo
                .index
                .entry(slot_key)
                .or_insert_with(|| Slot::ByValue(ByValue::default()))
            {
                Slot::ByValue(by_value) => by_value.insert(values, i),
                Slot::One(_) => {} // not met: whether an id has qualifiers is the guide's, fixed
            }
        } else {
            memo.index.insert(slot_key, Slot::One(i));
        }
        i
    }

    /// Place the segment `els` (elements, the id first; never empty); push what it breaks onto
    /// `problems`. Returns its node in the current guide, None when it has no place here.
    pub fn step(
        &mut self,
        els: &[&[u8]],
        comp: u8,
        position: u64,
        problems: &mut Vec<StructureProblem>,
    ) -> Option<usize> {
        let (guide, start) = self.current()?;
        let sid = *els.first()?;
        let i = self.plan_index(guide, start, els, comp);
        let g = &self.tables.guides[guide];
        let plan = &self.memos[guide].plans[i];
        let problem =
            |rule, segment: &str, loop_id: &Option<String>, message: String| StructureProblem {
                rule,
                position,
                segment: segment.to_owned(),
                loop_id: loop_id.clone(),
                message,
            };
        for check in &plan.checks {
            if self.count(check.key) >= 1 {
                continue;
            }
            let first = &g.segments[check.segment];
            problems.push(match check.kind {
                Kind::Loop => {
                    let l = &g.loops[check.node];
                    problem(
                        "loop-missing",
                        &first.id,
                        &l.report_id,
                        format!(
                            "required loop {} ({}) is missing before this segment",
                            l.id, l.name
                        ),
                    )
                }
                Kind::Segment => {
                    let loop_id = &g.loops[first.parent].report_id;
                    let place = loop_id
                        .as_ref()
                        .map(|l| format!(" in loop {l}"))
                        .unwrap_or_default();
                    problem(
                        "segment-missing",
                        &first.id,
                        loop_id,
                        format!(
                            "required segment {} ({}){place} is missing before this segment",
                            first.id, first.name
                        ),
                    )
                }
            });
        }
        let Some(mut target) = plan.target else {
            let here = &g.segments[start];
            let id = String::from_utf8_lossy(sid);
            let (rule, message) = if g.knows(sid) {
                let place = here
                    .loop_id
                    .as_deref()
                    .unwrap_or(g.loops[here.parent].id.as_str());
                (
                    "segment-unexpected",
                    format!(
                        "segment {id} is not expected here (after {} in {place}); check the segment \
                         order and the loop it belongs to",
                        here.id
                    ),
                )
            } else {
                (
                    "segment-unknown",
                    format!("segment {id} is not part of this transaction set"),
                )
            };
            problems.push(problem(rule, &id, &here.loop_id, message));
            return None;
        };
        if let Some(entered) = plan.entered {
            let l = &g.loops[entered];
            let t = &g.segments[target];
            if l.usage == b'N' {
                problems.push(problem(
                    "loop-not-used",
                    &t.id,
                    &l.report_id,
                    format!("loop {} ({}) is not used in this guide", l.id, l.name),
                ));
            } else {
                for &frame in &l.descendant_frames {
                    self.generations[frame] += 1;
                }
                let n = self.inc(l.path_id);
                if n > l.max_repeat {
                    problems.push(problem(
                        "loop-max-repeat",
                        &t.id,
                        &l.report_id,
                        format!(
                            "loop {} ({}) occurs {n} times; at most {} allowed",
                            l.id, l.name, l.max_repeat
                        ),
                    ));
                }
            }
            self.inc(t.path_id);
        } else {
            if let Some(&alt) = plan.alternatives.iter().find(|&&a| fits(g, a, els, comp)) {
                target = alt;
            }
            let t = &g.segments[target];
            let n = self.inc(t.path_id);
            if t.usage == b'N' {
                problems.push(problem(
                    "segment-not-used",
                    &t.id,
                    &t.loop_id,
                    format!(
                        "segment {} ({}) is not used in this guide; remove it",
                        t.id, t.name
                    ),
                ));
            } else if n > t.max_use {
                problems.push(problem(
                    "segment-max-use",
                    &t.id,
                    &t.loop_id,
                    format!(
                        "segment {} ({}) occurs {n} times; at most {} allowed",
                        t.id, t.name, t.max_use
                    ),
                ));
            }
        }
        self.node = Some(target);
        Some(target)
    }
}

fn fits(g: &Guide, seg: usize, els: &[&[u8]], comp: u8) -> bool {
    g.segments[seg].coded.iter().all(|k| {
        let v = element(els, k.element, k.component, comp);
        v.is_empty() || k.accepts(v)
    })
}

const ISA_PATH: &str = "/ISA_LOOP/ISA";
const GS_PATH: &str = "/ISA_LOOP/GS_LOOP/GS";
const GE_PATH: &str = "/ISA_LOOP/GS_LOOP/GE";

/// Where one segment was placed: (guide, segment node) in [`Tables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub guide: usize,
    pub segment: usize,
}

/// What the validator accepts as a segment id: a capital letter, then 1-2 capitals or digits.
pub fn is_segment_id(id: &[u8]) -> bool {
    matches!(id, [first, rest @ ..] if first.is_ascii_uppercase()
        && (1..=2).contains(&rest.len())
        && rest.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

/// A [`Walker`] driven over a stream of interchanges the way the validator drives it.
pub struct Walk {
    walker: Walker,
    interchange: bool,
    group: bool,
    guided: bool,
    transaction: bool,
    comp: u8,
}

impl Walk {
    pub fn new() -> Result<Self, &'static str> {
        Ok(Walk {
            walker: Walker::new()?,
            interchange: false,
            group: false,
            guided: false,
            transaction: false,
            comp: b':',
        })
    }

    pub fn tables(&self) -> &'static Tables {
        self.walker.tables
    }

    fn structure(
        &mut self,
        els: &[&[u8]],
        position: u64,
        problems: &mut Vec<StructureProblem>,
    ) -> Option<usize> {
        if self.group && !self.guided {
            return None; // a group without a guide: envelopes only
        }
        self.walker.step(els, self.comp, position, problems)
    }

    fn placed(&self, node: Option<usize>) -> Option<Placement> {
        Some(Placement {
            guide: self.walker.guide?,
            segment: node?,
        })
    }

    /// Walk the open group by `guide` although its GS01/GS08 name no guide the core has (a
    /// lenient reader: an 835 of GS08 005010X221 read by the 005010X221A1 guide). Call it right
    /// after the GS.
    pub fn read_as(&mut self, guide: usize) {
        if self.group && !self.guided {
            self.guided = true;
            self.walker.force(guide, GS_PATH);
        }
    }

    /// Place one segment of the stream; push the structure problems it shows onto `problems`.
    pub fn segment(
        &mut self,
        seg: &Segment<'_>,
        problems: &mut Vec<StructureProblem>,
    ) -> Option<Placement> {
        // Most segments have few elements: cut them into a stack array, not a fresh Vec.
        let mut stack: [&[u8]; 48] = [b""; 48];
        let mut n = 0;
        for e in seg.elements() {
            if n == stack.len() {
                let els: Vec<&[u8]> = seg.elements().collect();
                return self.elements(&els, seg.position, problems);
            }
            stack[n] = e;
            n += 1;
        }
        self.elements(&stack[..n], seg.position, problems)
    }

    /// As [`Walk::segment`], from the elements (the id first) and the position of a segment.
    pub fn elements(
        &mut self,
        els: &[&[u8]],
        position: u64,
        problems: &mut Vec<StructureProblem>,
    ) -> Option<Placement> {
        let id = *els.first()?;
        let control = self.walker.tables.control;
        let envelope = matches!(id, b"ISA" | b"GS" | b"ST" | b"SE" | b"GE" | b"IEA");
        if id == b"ISA" {
            self.interchange = true;
            self.group = false;
            self.guided = false;
            self.transaction = false;
            self.comp = match els.get(16) {
                Some(&&[c]) => c,
                _ => b':',
            };
            let node = self.walker.force(control, ISA_PATH);
            return self.placed(node);
        }
        if !is_segment_id(id) {
            return None;
        }
        if self.transaction && !envelope {
            let node = self.structure(els, position, problems);
            return self.placed(node);
        }
        let node = match id {
            b"GS" => {
                if !self.interchange {
                    return None;
                }
                self.transaction = false;
                let (gs01, gs08) = (
                    els.get(1).copied().unwrap_or(b""),
                    els.get(8).copied().unwrap_or(b""),
                );
                self.group = true;
                match self.walker.tables.guide_for(gs01, gs08) {
                    Some(guide) => {
                        self.guided = true;
                        self.walker.force(guide, GS_PATH)
                    }
                    None => {
                        self.guided = false;
                        self.walker.stand(control, GS_PATH)
                    }
                }
            }
            b"ST" => {
                if !self.group {
                    return None;
                }
                self.transaction = true;
                self.structure(els, position, problems)
            }
            b"SE" => {
                let node = self.structure(els, position, problems);
                self.transaction = false;
                node
            }
            b"GE" => {
                if !self.group {
                    return None;
                }
                self.transaction = false;
                let node = if self.guided {
                    self.structure(els, position, problems)
                } else {
                    self.walker.stand(control, GE_PATH)
                };
                self.group = false;
                self.guided = false;
                node
            }
            b"IEA" => {
                if !self.interchange {
                    return None;
                }
                self.transaction = false;
                self.group = false;
                self.guided = false;
                let node = self.structure(els, position, problems);
                self.interchange = false;
                node
            }
            _ => {
                if !self.interchange {
                    return None;
                }
                self.structure(els, position, problems)
            }
        };
        self.placed(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::Tokenizer;

    fn walk(data: &[u8]) -> (Vec<Option<String>>, Vec<StructureProblem>) {
        let mut walk = Walk::new().unwrap();
        let tables = walk.tables();
        let mut loops = Vec::new();
        let mut problems = Vec::new();
        let mut tok = Tokenizer::new(false);
        let mut sink = |seg: Segment<'_>| {
            let placed = walk.segment(&seg, &mut problems);
            loops.push(
                placed.and_then(|p| tables.guides[p.guide].segments[p.segment].loop_id.clone()),
            );
        };
        tok.feed(data, &mut sink).unwrap();
        tok.close(&mut sink).unwrap();
        (loops, problems)
    }

    const CLAIM: &[u8] = b"ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *261102*0930*^*00501*000000001*0*T*:~\
GS*HC*SUBMITTER*RECEIVER*20261102*0930*1*X*005010X222A1~\
ST*837*0001*005010X222A1~\
BHT*0019*00*1*20261102*0930*CH~\
NM1*41*2*SUBMITTER*****46*S1~PER*IC*DESK*TE*5555550100~\
NM1*40*2*PAYER*****46*P1~\
HL*1**20*1~NM1*85*2*CBO*****XX*1234567893~N3*1 MAIN ST~N4*CITY*CA*90001~REF*EI*123456789~\
HL*2*1*22*0~SBR*P*18*******MC~NM1*IL*1*DOE*JANE****MI*M1~NM1*PR*2*PLAN*****PI*P1~\
CLM*C1*25***12:B:1*Y*A*Y*Y~HI*ABK:Z590~\
LX*1~SV1*HC:S9470*25*UN*1***1~DTP*472*D8*20261101~\
SE*21*0001~GE*1*1~IEA*1*000000001~";

    #[test]
    fn segments_land_in_their_loops() {
        let (loops, problems) = walk(CLAIM);
        let ids: Vec<_> = loops.iter().map(|l| l.as_deref()).collect();
        assert_eq!(ids[4], Some("1000A")); // NM1*41
        assert_eq!(ids[7], Some("2000A")); // HL*1
        assert_eq!(ids[8], Some("2010AA")); // NM1*85
        assert_eq!(ids[14], Some("2010BA")); // NM1*IL
        assert_eq!(ids[15], Some("2010BB")); // NM1*PR
        assert_eq!(ids[16], Some("2300")); // CLM
        assert_eq!(ids[19], Some("2400")); // SV1
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn structure_problems_name_rule_segment_and_loop() {
        // The claim without its subscriber name: 2010BA is required.
        let text = String::from_utf8_lossy(CLAIM).replace("NM1*IL*1*DOE*JANE****MI*M1~", "");
        let (_, problems) = walk(text.as_bytes());
        let missing: Vec<_> = problems
            .iter()
            .map(|p| (p.rule, p.segment.as_str(), p.loop_id.as_deref()))
            .collect();
        assert!(missing.contains(&("loop-missing", "NM1", Some("2010BA"))));
        assert!(problems.iter().all(|p| !p.message.contains("DOE")));
    }

    #[test]
    fn plans_by_value_survive_the_move_to_a_map() {
        let mut by_value = ByValue::default();
        for i in 0..3 * FEW {
            assert_eq!(by_value.get(format!("Q{i}").as_bytes()), None);
            by_value.insert(format!("Q{i}").as_bytes(), i);
            assert!((0..=i).all(|j| by_value.get(format!("Q{j}").as_bytes()) == Some(j)));
        }
        assert!(by_value.few.is_empty() && by_value.many.len() == 3 * FEW);
    }

    #[test]
    fn an_unknown_segment_has_no_place() {
        let text = String::from_utf8_lossy(CLAIM).replace("LX*1~", "ZZZ*1~LX*1~");
        let (loops, problems) = walk(text.as_bytes());
        assert_eq!(loops[18], None);
        assert_eq!(problems[0].rule, "segment-unknown");
        assert_eq!(problems[0].position, 19);
    }
}
