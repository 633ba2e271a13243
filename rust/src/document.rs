//! Lossless X12 documents: every byte of the input kept, every segment placed in its loop.
//!
//! A document is the input's bytes and, over them, the segments the core tokenizer cut (the
//! default cut, the one `GuideWalker` reads) and what lies after each up to the next: its
//! terminator, line breaks, blanks, empty segments. The bytes before the first segment (a
//! byte-order mark, blanks) are the head; when the tokenizer stopped on a broken rule, what it
//! could not read is the tail, kept with that rule. Writing concatenates head, each segment's
//! text and trailer, and tail: the input again, byte for byte, unless a segment's text was set.
//!
//! The guide walker places each segment (its node, hence its loop id and path); loop instances
//! are opened as the walker enters loops, by their first segment, so the segments form a tree:
//! interchange -> group -> transaction set -> loops -> segments. A segment the guide has no
//! place for is kept in the instance it was met in, with the walker's problem. Groups whose
//! guide the tables lack get their envelope levels from the segment ids alone.
//!
//! [`Reader`] reads a stream cut anywhere and, when asked to, hands out one document per
//! transaction set (ST..SE and what trails it) and one per stretch of envelope between them;
//! concatenated they are the stream. Memory is then bounded by one transaction set.

use std::collections::BTreeMap;

use memchr::memchr;

use crate::delimiters::Delimiters;
use crate::guide::{Loop, Node, Tables};
use crate::problem::Problem;
use crate::tokenizer::{Segment as Token, Tokenizer};
use crate::walker::{Placement, StructureProblem, Walk};

const ISA_LOOP: &str = "/ISA_LOOP";
const GS_LOOP: &str = "/ISA_LOOP/GS_LOOP";
const ST_LOOP: &str = "/ISA_LOOP/GS_LOOP/ST_LOOP";

/// One segment of a document. Ranges are byte offsets into [`Document::bytes`].
#[derive(Clone, Debug)]
pub struct Segment {
    /// Where the segment's text starts (its id) and ends (before its terminator).
    pub start: usize,
    pub end: usize,
    /// Where the bytes after it end: the next segment's start, or the tail's.
    pub trailer_end: usize,
    /// 1-based ordinal in the stream.
    pub position: u64,
    pub delimiters: Delimiters,
    /// None: the guide has no place for it (or its group has no guide).
    pub placement: Option<Placement>,
    /// The loop instance it belongs to, an index into [`Document::loops`].
    pub instance: usize,
}

/// One occurrence of a loop (or of an envelope level) in a document.
#[derive(Clone, Debug)]
pub struct LoopInstance {
    /// The enclosing instance; None at the top, or when it lies in an earlier document of a stream.
    pub parent: Option<usize>,
    /// The guide's path of the loop ('/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000A').
    pub path: &'static str,
    /// The guide's id of the loop ('2000A', 'DETAIL', 'ST_LOOP').
    pub id: &'static str,
    pub name: &'static str,
    /// The segment that opened it (the first of it in this document).
    pub first: usize,
    /// It began in an earlier document of the stream (its first segment is not here).
    pub continued: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Document {
    pub bytes: Vec<u8>,
    /// Stream offset of `bytes[0]`.
    pub base: u64,
    pub segments: Vec<Segment>,
    pub loops: Vec<LoopInstance>,
    /// What the walker found wrong, by segment index, in order (most segments have nothing).
    pub problems: Vec<(usize, StructureProblem)>,
    /// Texts set by edits, by segment index (written instead of the bytes read).
    pub edits: BTreeMap<usize, Box<[u8]>>,
    /// Where the bytes the tokenizer could not read begin (`bytes.len()` when it read them all).
    pub tail: usize,
    /// The rule that stopped the tokenizer, when one did.
    pub failure: Option<Problem>,
    /// Deviations the tokenizer read past (an ISA off its fixed offsets).
    pub findings: Vec<Problem>,
    /// Whether this document is one transaction set of a stream (ST..SE).
    pub transaction: bool,
}

impl Document {
    /// The bytes before the first segment.
    pub fn head(&self) -> &[u8] {
        let end = self.segments.first().map_or(self.tail, |s| s.start);
        &self.bytes[..end]
    }

    pub fn tail_bytes(&self) -> &[u8] {
        &self.bytes[self.tail..]
    }

    /// The segment's text (edited or as read), without its terminator.
    pub fn text(&self, i: usize) -> &[u8] {
        let s = &self.segments[i];
        match self.edits.get(&i) {
            Some(text) => text,
            None => &self.bytes[s.start..s.end],
        }
    }

    /// The walker's problems at segment `i`.
    pub fn problems_of(&self, i: usize) -> &[(usize, StructureProblem)] {
        let from = self.problems.partition_point(|(at, _)| *at < i);
        let to = self.problems.partition_point(|(at, _)| *at <= i);
        &self.problems[from..to]
    }

    /// What follows segment `i` up to the next segment: its terminator, line breaks, blanks.
    pub fn trailer(&self, i: usize) -> &[u8] {
        let s = &self.segments[i];
        &self.bytes[s.end..s.trailer_end]
    }

    /// Set segment `i`'s text. It may not hold its terminator (the segment would read as two),
    /// and its id must stay (the segment would no longer be where the walker put it).
    pub fn set_text(&mut self, i: usize, text: &[u8]) -> Result<(), Problem> {
        let s = &self.segments[i];
        let d = s.delimiters;
        let id = |t: &[u8]| t[..memchr(d.element, t).unwrap_or(t.len())].to_vec();
        let position = s.position;
        if memchr(d.segment, text).is_some() {
            return Err(Problem::at(
                "delimiter-in-value",
                "a segment's text may not hold its segment terminator",
                position,
            ));
        }
        if id(text) != id(self.text(i)) {
            return Err(Problem::at(
                "segment-id",
                "an edit may not change the segment's id",
                position,
            ));
        }
        if self.bytes[s.start..s.end] == *text {
            self.edits.remove(&i);
        } else {
            self.edits.insert(i, text.into());
        }
        Ok(())
    }

    /// Append the document's bytes to `out`: the input's, but for the texts set.
    pub fn write_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.bytes.len());
        let mut from = 0;
        // Runs of unedited segments (and the head, trailers, tail around them) are one copy.
        for (&i, text) in &self.edits {
            let s = &self.segments[i];
            out.extend_from_slice(&self.bytes[from..s.start]);
            out.extend_from_slice(text);
            from = s.end;
        }
        out.extend_from_slice(&self.bytes[from..]);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_into(&mut out);
        out
    }
}

/// A segment the tokenizer handed out, with its place.
struct Cut {
    offset: u64,
    len: usize,
    position: u64,
    delimiters: Delimiters,
    placement: Option<Placement>,
    problems: Vec<StructureProblem>,
}

/// An open loop instance while reading: its instance in the document being built (None when it
/// was opened in an earlier document of the stream).
struct Open {
    /// The loop's path id ([`Tables::paths`]): one per path, whichever guide placed it.
    key: usize,
    path: &'static str,
    id: &'static str,
    name: &'static str,
    instance: Option<usize>,
}

/// Reads a stream cut anywhere into documents (see the module's text).
pub struct Reader {
    tokenizer: Tokenizer,
    walk: Walk,
    builder: Builder,
    closed: bool,
    /// How many of the tokenizer's findings are in documents already.
    kept_findings: usize,
}

/// The document being built, and the loops open at its end.
struct Builder {
    tables: &'static Tables,
    /// One document per transaction set and per envelope stretch, or one for the whole stream.
    split: bool,
    /// The stream from `base` on: the document being built and what is not cut yet.
    buf: Vec<u8>,
    base: u64,
    doc: Document,
    stack: Vec<Open>,
    after_se: bool,
    /// Path ids of the envelope levels (ISA_LOOP, GS_LOOP, ST_LOOP), for groups without a guide.
    envelope: [usize; 3],
    /// The loops from the top down to a segment's own, reused.
    chain: Vec<&'static Loop>,
}

impl Reader {
    /// An error only when the guide tables compiled into the core cannot be read.
    pub fn new(split: bool) -> Result<Self, &'static str> {
        let walk = Walk::new()?;
        let tables = walk.tables();
        let key = |path: &str, or: usize| tables.paths.iter().position(|p| p == path).unwrap_or(or);
        let envelope = [
            key(ISA_LOOP, usize::MAX - 2),
            key(GS_LOOP, usize::MAX - 1),
            key(ST_LOOP, usize::MAX),
        ];
        Ok(Reader {
            // The walker's cut: malformed ids are kept (the walker gives them no place), an ISA
            // off its fixed offsets is read by its separators.
            tokenizer: Tokenizer::new(false).lenient_isa(true),
            walk,
            builder: Builder {
                tables,
                split,
                buf: Vec::new(),
                base: 0,
                doc: Document::default(),
                stack: Vec::new(),
                after_se: false,
                envelope,
                chain: Vec::new(),
            },
            closed: false,
            kept_findings: 0,
        })
    }

    /// Read a whole stream into one document.
    pub fn read(mut self, data: &[u8]) -> Document {
        self.builder.split = false;
        let mut docs = self.feed(data).unwrap_or_default();
        docs.extend(self.close());
        docs.pop().unwrap_or_default()
    }

    /// Feed the next bytes; returns the documents they completed (only when splitting). An
    /// error only when fed after `close`: a broken rule is the document's failure, and what
    /// follows it its tail.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Document>, Problem> {
        if self.closed {
            return Err(Problem {
                rule: "stream-closed",
                message: "data fed after close()",
                position: None,
                segment: None,
            });
        }
        let mut out = Vec::new();
        let builder = &mut self.builder;
        builder.buf.extend_from_slice(chunk);
        if builder.doc.failure.is_some() {
            return Ok(out); // the rest of the stream is the tail
        }
        let walk = &mut self.walk;
        let result = self.tokenizer.feed(chunk, |seg| {
            out.extend(builder.place(cut(walk, &seg)));
        });
        self.settle(result);
        Ok(out)
    }

    /// The end of the stream: the last documents (a document with no segment, its bytes all
    /// tail, when not one segment could be read).
    pub fn close(&mut self) -> Vec<Document> {
        if self.closed {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.builder.doc.failure.is_none() {
            let (walk, builder) = (&mut self.walk, &mut self.builder);
            let result = self.tokenizer.close(|seg| {
                out.extend(builder.place(cut(walk, &seg)));
            });
            self.settle(result);
        }
        self.closed = true;
        let b = &mut self.builder;
        if !b.buf.is_empty() || out.is_empty() {
            let end = b.base + b.buf.len() as u64;
            out.push(b.finish(end));
        }
        out
    }

    /// Keep the tokenizer's new findings and its failure in the document being built.
    fn settle(&mut self, result: Result<(), Problem>) {
        let findings = self.tokenizer.findings();
        let b = &mut self.builder;
        b.doc
            .findings
            .extend(findings[self.kept_findings..].iter().cloned());
        self.kept_findings = findings.len();
        if let Err(problem) = result {
            // What follows the last segment's terminator could not be read: the tail.
            let tail = match b.doc.segments.last_mut() {
                Some(last) => {
                    let d = last.delimiters.segment;
                    let end =
                        memchr(d, &b.buf[last.end..]).map_or(b.buf.len(), |t| last.end + t + 1);
                    last.trailer_end = end;
                    end
                }
                None => 0,
            };
            b.doc.tail = tail;
            b.doc.failure = Some(problem);
        }
    }
}

impl Builder {
    /// Put one segment in the document being built; returns the document it completed, if any.
    fn place(&mut self, c: Cut) -> Option<Document> {
        let start = (c.offset - self.base) as usize;
        let text = &self.buf[start..start + c.len];
        let d = c.delimiters;
        // The id's first bytes, copied (ids that matter here are 2-3 bytes; a longer one stays longer).
        let full = memchr(d.element, text).unwrap_or(text.len());
        let mut key = [0u8; 4];
        let n = full.min(4);
        key[..n].copy_from_slice(&text[..n]);
        let id = &key[..n];
        let mut done = None;
        if self.split
            && !self.doc.segments.is_empty()
            && (id == b"ST" || (self.after_se && self.doc.transaction))
        {
            done = Some(self.finish(c.offset));
        }
        let start = (c.offset - self.base) as usize;
        if let Some(last) = self.doc.segments.last_mut() {
            last.trailer_end = start;
        }
        if self.doc.segments.is_empty() {
            self.doc.transaction = self.split && id == b"ST";
        }
        self.after_se = id == b"SE";
        let here = self.doc.segments.len();
        let instance = self.open(&c, id, here);
        self.doc.segments.push(Segment {
            start,
            end: start + c.len,
            trailer_end: start + c.len,
            position: c.position,
            delimiters: d,
            placement: c.placement,
            instance,
        });
        self.doc
            .problems
            .extend(c.problems.into_iter().map(|p| (here, p)));
        done
    }

    /// The instance segment number `here` belongs to, opening the loops it enters.
    fn open(&mut self, c: &Cut, id: &[u8], here: usize) -> usize {
        let tables = self.tables;
        match c.placement {
            Some(p) => {
                let g = &tables.guides[p.guide];
                let seg = &g.segments[p.segment];
                let own = &g.loops[seg.parent];
                // Its loop's first segment opens the next instance (a wrapper's does not repeat it).
                let opens_own = own.first_node() == Some(Node::Segment(p.segment))
                    && !own.is_root()
                    && own.kind.as_deref() != Some("wrapper");
                let on_top = self.stack.last().is_some_and(|o| o.key == own.path_id);
                if on_top && !opens_own {
                    return self.current(here); // the common case: the loop of the segment before
                }
                let mut chain = std::mem::take(&mut self.chain);
                chain.clear();
                let mut lp = Some(seg.parent);
                while let Some(l) = lp {
                    let l = &g.loops[l];
                    if l.is_root() {
                        break;
                    }
                    chain.push(l);
                    lp = l.parent;
                }
                chain.reverse();
                let kept = self
                    .stack
                    .iter()
                    .zip(&chain)
                    .take_while(|(open, l)| open.key == l.path_id)
                    .count();
                self.stack.truncate(kept);
                let opened = kept < chain.len();
                for l in &chain[kept..] {
                    self.push(l.path_id, &l.path, &l.id, &l.name, here);
                }
                if !opened && opens_own {
                    self.stack.pop();
                    self.push(own.path_id, &own.path, &own.id, &own.name, here);
                }
                self.chain = chain;
            }
            None => {
                // Envelope levels from the ids when the guide has no place (a group without one).
                let [isa, gs, st] = self.envelope;
                let level = |stack: &[Open], key: usize| stack.iter().position(|o| o.key == key);
                match id {
                    b"ST" => {
                        if let Some(g) = level(&self.stack, gs) {
                            self.stack.truncate(g + 1);
                            self.push(st, ST_LOOP, "ST_LOOP", "Transaction Set Header", here);
                        }
                    }
                    b"SE" | b"GE" | b"IEA" => {
                        let key = match id {
                            b"SE" => st,
                            b"GE" => gs,
                            _ => isa,
                        };
                        if let Some(k) = level(&self.stack, key) {
                            self.stack.truncate(k + 1);
                        }
                    }
                    _ => {}
                }
            }
        }
        self.current(here)
    }

    fn push(
        &mut self,
        key: usize,
        path: &'static str,
        id: &'static str,
        name: &'static str,
        here: usize,
    ) {
        let parent = self.stack.last().and_then(|o| o.instance);
        self.doc.loops.push(LoopInstance {
            parent,
            path,
            id,
            name,
            first: here,
            continued: false,
        });
        self.stack.push(Open {
            key,
            path,
            id,
            name,
            instance: Some(self.doc.loops.len() - 1),
        });
    }

    /// The instance on top, made in this document if it was opened in an earlier one.
    fn current(&mut self, here: usize) -> usize {
        let depth = self.stack.len();
        if depth == 0 {
            // Nothing open (cannot happen after an ISA): a loop of its own at the top.
            self.push(usize::MAX - 3, "", "", "", here);
            return self.doc.loops.len() - 1;
        }
        if let Some(i) = self.stack[depth - 1].instance {
            return i;
        }
        let parent = self.stack[..depth - 1]
            .iter()
            .rev()
            .find_map(|o| o.instance);
        let top = &self.stack[depth - 1];
        self.doc.loops.push(LoopInstance {
            parent,
            path: top.path,
            id: top.id,
            name: top.name,
            first: here,
            continued: true,
        });
        let i = self.doc.loops.len() - 1;
        self.stack[depth - 1].instance = Some(i);
        i
    }

    /// Hand out the document built so far, its bytes up to stream offset `end`.
    fn finish(&mut self, end: u64) -> Document {
        let len = (end - self.base) as usize;
        let mut doc = std::mem::take(&mut self.doc);
        doc.bytes = if len == self.buf.len() {
            std::mem::take(&mut self.buf) // the whole rest: no copy
        } else {
            self.buf.drain(..len).collect()
        };
        doc.base = self.base;
        if doc.failure.is_none() {
            doc.tail = len;
            if let Some(last) = doc.segments.last_mut() {
                last.trailer_end = len;
            }
        }
        self.base = end;
        for open in &mut self.stack {
            open.instance = None;
        }
        doc
    }
}

fn cut(walk: &mut Walk, seg: &Token<'_>) -> Cut {
    let mut problems = Vec::new();
    let placement = walk.segment(seg, &mut problems);
    Cut {
        offset: seg.offset,
        len: seg.bytes.len(),
        position: seg.position,
        delimiters: seg.delimiters,
        placement,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/corpus");
        let mut out = Vec::new();
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() || dir.ends_with("licenses") {
                continue;
            }
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                let data = std::fs::read(&f).unwrap();
                out.push((f, data));
            }
        }
        assert!(out.len() > 50);
        out
    }

    /// The documents a split reader hands out for `data` fed in chunks of `size` bytes.
    fn read(data: &[u8]) -> Document {
        Reader::new(false).unwrap().read(data)
    }

    fn split(data: &[u8], size: usize) -> Vec<Document> {
        let mut reader = Reader::new(true).unwrap();
        let mut docs = Vec::new();
        for chunk in data.chunks(size.max(1)) {
            docs.extend(reader.feed(chunk).unwrap());
        }
        docs.extend(reader.close());
        assert!(reader.feed(b"ISA").is_err(), "fed after close");
        docs
    }

    fn joined(docs: &[Document]) -> Vec<u8> {
        let mut out = Vec::new();
        docs.iter().for_each(|d| d.write_into(&mut out));
        out
    }

    #[test]
    fn every_corpus_file_writes_back_its_bytes_whole_and_split() {
        for (path, data) in corpus() {
            let doc = read(&data);
            assert_eq!(doc.to_bytes(), data, "{path:?}");
            for size in [1 << 20, 97, 7] {
                let docs = split(&data, size);
                assert_eq!(joined(&docs), data, "{path:?} in chunks of {size}");
                let n: usize = docs.iter().map(|d| d.segments.len()).sum();
                assert_eq!(n, doc.segments.len());
            }
            // Not X12 at all (no ISA where one must be): no segment, every byte in the tail.
            if doc.segments.is_empty() {
                assert_eq!(doc.failure.as_ref().map(|p| p.rule), Some("isa-missing"));
                assert_eq!(doc.tail_bytes(), data);
            }
        }
    }

    const CLAIM: &[u8] = b"\xef\xbb\xbfISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *261102*0930*^*00501*000000001*0*T*:~\r\n\
GS*HC*SUBMITTER*RECEIVER*20261102*0930*1*X*005010X222A1~\r\n\
ST*837*0001*005010X222A1~BHT*0019*00*1*20261102*0930*CH~\
NM1*41*2*SUBMITTER*****46*S1~PER*IC*DESK*TE*5555550100~NM1*40*2*PAYER*****46*P1~\
HL*1**20*1~NM1*85*2*CBO*****XX*1234567893~N3*1 MAIN ST~N4*CITY*CA*90001~REF*EI*123456789~\
HL*2*1*22*0~SBR*P*18*******MC~NM1*IL*1*DOE*JANE****MI*M1~NM1*PR*2*PLAN*****PI*P1~\
CLM*C1*25***12:B:1*Y*A*Y*Y~HI*ABK:Z590~LX*1~SV1*HC:S9470*25*UN*1***1~DTP*472*D8*20261101~\
LX*2~SV1*HC:S9470*25*UN*1***1~DTP*472*D8*20261102~\
CLM*C2*25***12:B:1*Y*A*Y*Y~HI*ABK:Z590~LX*1~SV1*HC:S9470*25*UN*1***1~DTP*472*D8*20261101~\
SE*26*0001~GE*1*1~IEA*1*000000001~\n\n";

    fn loop_of(doc: &Document, i: usize) -> &LoopInstance {
        &doc.loops[doc.segments[i].instance]
    }

    #[test]
    fn segments_form_a_tree_of_loop_instances() {
        let doc = read(CLAIM);
        assert_eq!(doc.head(), b"\xef\xbb\xbf");
        assert_eq!(doc.trailer(0), b"~\r\n");
        assert_eq!(doc.trailer(doc.segments.len() - 1), b"~\n\n");
        let ids: Vec<&str> = (0..doc.segments.len())
            .map(|i| loop_of(&doc, i).id)
            .collect();
        assert_eq!(&ids[..3], ["ISA_LOOP", "GS_LOOP", "ST_LOOP"]);
        assert_eq!(ids[16], "2300");
        // Two claims: two instances of 2300, each with its own 2400s under it.
        let claims: Vec<usize> = (0..doc.loops.len())
            .filter(|&l| doc.loops[l].id == "2300")
            .collect();
        assert_eq!(claims.len(), 2);
        let lines = |claim: usize| {
            doc.loops
                .iter()
                .filter(|l| l.id == "2400" && l.parent == Some(claim))
                .count()
        };
        assert_eq!((lines(claims[0]), lines(claims[1])), (2, 1));
        // Up from a service line: 2400 -> 2300 -> 2000B -> ... -> ST_LOOP -> GS_LOOP -> ISA_LOOP.
        let sv1 = (0..doc.segments.len())
            .find(|&i| doc.text(i).starts_with(b"SV1"))
            .unwrap();
        let mut up = Vec::new();
        let mut at = Some(doc.segments[sv1].instance);
        while let Some(l) = at {
            up.push(doc.loops[l].id);
            at = doc.loops[l].parent;
        }
        assert_eq!(up.first(), Some(&"2400"));
        assert!(up.contains(&"2300") && up.contains(&"2000B"));
        assert_eq!(&up[up.len() - 3..], ["ST_LOOP", "GS_LOOP", "ISA_LOOP"]);
        let se = doc.segments.len() - 3;
        assert_eq!(loop_of(&doc, se).id, "ST_LOOP");
        assert_eq!(loop_of(&doc, se + 1).id, "GS_LOOP");
        assert_eq!(loop_of(&doc, se + 2).id, "ISA_LOOP");
    }

    #[test]
    fn an_unknown_segment_is_kept_where_it_was_met_with_its_problem() {
        let text = String::from_utf8_lossy(&CLAIM[3..]).replace("LX*2~", "ZZZ*1~LX*2~");
        let doc = read(text.as_bytes());
        assert_eq!(doc.to_bytes(), text.as_bytes());
        let zzz = (0..doc.segments.len())
            .find(|&i| doc.text(i).starts_with(b"ZZZ"))
            .unwrap();
        assert!(doc.segments[zzz].placement.is_none());
        assert_eq!(doc.problems_of(zzz)[0].1.rule, "segment-unknown");
        assert_eq!(loop_of(&doc, zzz).id, "2400");
    }

    #[test]
    fn a_group_without_a_guide_still_has_its_envelope_levels() {
        let text = String::from_utf8_lossy(&CLAIM[3..]).replace("005010X222A1", "004010X999");
        let doc = read(text.as_bytes());
        let ids: Vec<&str> = (0..doc.segments.len())
            .map(|i| loop_of(&doc, i).id)
            .collect();
        assert_eq!(&ids[..4], ["ISA_LOOP", "GS_LOOP", "ST_LOOP", "ST_LOOP"]);
        assert_eq!(&ids[ids.len() - 3..], ["ST_LOOP", "GS_LOOP", "ISA_LOOP"]);
    }

    #[test]
    fn a_split_stream_gives_envelope_transaction_envelope() {
        let two = String::from_utf8_lossy(&CLAIM[3..]).replace(
            "SE*26*0001~",
            "SE*26*0001~ST*837*0002*005010X222A1~BHT*0019*00*1*20261102*0930*CH~SE*3*0002~",
        );
        let docs = split(two.as_bytes(), 13);
        assert_eq!(joined(&docs), two.as_bytes());
        let kinds: Vec<bool> = docs.iter().map(|d| d.transaction).collect();
        assert_eq!(kinds, [false, true, true, false]);
        let first = |d: &Document| d.text(0)[..2].to_vec();
        assert_eq!(first(&docs[1]), b"ST");
        assert_eq!(first(&docs[3]), b"GE");
        // The transaction's top instance is its ST_LOOP; GE continues the group opened before.
        assert_eq!(docs[1].loops[0].id, "ST_LOOP");
        assert_eq!(docs[1].loops[0].parent, None);
        assert!(docs[3].loops[0].continued && docs[3].loops[0].id == "GS_LOOP");
    }

    #[test]
    fn an_edit_changes_only_that_segments_bytes() {
        let mut doc = read(CLAIM);
        let clm = (0..doc.segments.len())
            .find(|&i| doc.text(i).starts_with(b"CLM"))
            .unwrap();
        doc.set_text(clm, b"CLM*C1*30***12:B:1*Y*A*Y*Y").unwrap();
        let out = doc.to_bytes();
        let at = out.windows(6).position(|w| w == b"CLM*C1").unwrap();
        assert_eq!(&out[..at + 7], &CLAIM[..at + 7]);
        assert_eq!(&out[at + 7..at + 9], b"30");
        assert_eq!(&out[at + 9..], &CLAIM[at + 9..]);
        assert_eq!(
            doc.set_text(clm, b"CLM*C1~").unwrap_err().rule,
            "delimiter-in-value"
        );
        assert_eq!(doc.set_text(clm, b"CLP*C1").unwrap_err().rule, "segment-id");
        doc.set_text(clm, b"CLM*C1*25***12:B:1*Y*A*Y*Y").unwrap();
        assert_eq!(doc.to_bytes(), CLAIM);
    }

    #[test]
    fn what_the_tokenizer_cannot_read_is_the_tail() {
        let cut = &CLAIM[..CLAIM.len() - 8]; // inside the IEA
        let doc = read(cut);
        assert_eq!(doc.failure.as_ref().map(|p| p.rule), Some("truncated"));
        assert_eq!(doc.to_bytes(), cut);
        assert!(doc.tail_bytes().starts_with(b"IEA*1"));
        for junk in [&b"not x12"[..], b""] {
            let doc = read(junk);
            assert_eq!(doc.failure.as_ref().map(|p| p.rule), Some("isa-missing"));
            assert_eq!((doc.segments.len(), doc.tail_bytes()), (0, junk));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn any_bytes_give_a_document_that_writes_them_back(
            data in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..400),
                (0..CLAIM.len(), any::<u8>(), 0..CLAIM.len()).prop_map(|(at, b, end)| {
                    let mut d = CLAIM.to_vec();
                    d[at] = b;
                    d.truncate(end.max(at));
                    d
                }),
            ],
            size in 1usize..64,
        ) {
            let doc = read(&data);
            prop_assert_eq!(doc.to_bytes(), data.clone());
            let docs = split(&data, size);
            prop_assert_eq!(joined(&docs), data);
            let n: usize = docs.iter().map(|d| d.segments.len()).sum();
            prop_assert_eq!(n, doc.segments.len());
            prop_assert_eq!(doc.failure.is_some(), docs.last().unwrap().failure.is_some());
        }
    }
}
