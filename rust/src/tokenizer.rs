//! A streaming, sans-I/O X12 tokenizer over bytes.
//!
//! Feed it chunks cut anywhere; it hands each segment to a sink as soon as its terminator
//! arrives, borrowed from the input (no copy, no allocation per segment). Delimiters are read
//! from every ISA, so one stream may hold interchanges with different delimiters. A UTF-8
//! byte-order mark before the first ISA, CR/LF around segments and other whitespace before a
//! segment id are skipped. Memory is bounded by the longest segment (at most 1 MiB).
//!
//! How a segment's bytes are cut from what lies between two terminators is the one thing a reader
//! may choose (`keep_trailing_blanks`, `join_lines`); where segments and interchanges begin and
//! end, the delimiters and the errors are the same for every reader.
//!
//! An error stops the stream: the segments before it have been handed out, and every later
//! call returns the same error.

use memchr::memchr;

use crate::delimiters::{read_isa, Delimiters, Isa, BOM, ISA_LENGTH, PADDING, WHITESPACE};
use crate::problem::Problem;

pub const MAX_SEGMENT_LENGTH: usize = 1 << 20;

/// One segment, borrowed from the bytes fed.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    /// 1-based ordinal in the stream.
    pub position: u64,
    /// 1-based ordinal in its interchange (the ISA is 1).
    pub index: u64,
    /// Byte offset of the segment id in the stream.
    pub offset: u64,
    /// The segment's bytes without its terminator or the blanks around it (see
    /// [`Tokenizer::keep_trailing_blanks`] and [`Tokenizer::join_lines`]).
    pub bytes: &'a [u8],
    pub delimiters: Delimiters,
    /// An ISA whose elements were not at their fixed positions, read by its separators
    /// ([`Tokenizer::lenient_isa`]; the tokenizer's findings hold [`ISA_BY_SEPARATORS`] for it).
    pub isa_by_separators: bool,
}

/// The message of the `isa-fixed-length` finding for an ISA read by its separators.
pub const ISA_BY_SEPARATORS: &str =
    "ISA elements are not at their fixed positions: read by its separators";

impl<'a> Segment<'a> {
    pub fn id(&self) -> &'a [u8] {
        let end = memchr(self.delimiters.element, self.bytes).unwrap_or(self.bytes.len());
        &self.bytes[..end]
    }

    /// The elements (the id first), split on the element separator.
    pub fn elements(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let sep = self.delimiters.element;
        self.bytes.split(move |&b| b == sep)
    }
}

#[derive(Debug)]
pub struct Tokenizer {
    strict: bool,
    lenient_isa: bool,
    keep_trailing_blanks: bool,
    join_lines: bool,
    /// A segment with its inner line breaks removed (`join_lines`), reused.
    joined: Vec<u8>,
    pending: Vec<u8>,
    /// Stream offset of `pending[0]` (of the next byte when `pending` is empty).
    base: u64,
    /// Leading bytes of `pending` known to hold no terminator.
    scanned: usize,
    delimiters: Option<Delimiters>,
    position: u64,
    index: u64,
    started: bool,
    bom_allowed: bool,
    closed: bool,
    failed: Option<Problem>,
    findings: Vec<Problem>,
    /// The next segment is an ISA read by its separators.
    isa_by_separators: bool,
}

fn trim<'a>(mut s: &'a [u8], set: &[u8]) -> (usize, &'a [u8]) {
    let before = s.len();
    while let [first, rest @ ..] = s {
        if !set.contains(first) {
            break;
        }
        s = rest;
    }
    let lead = before - s.len();
    while let [rest @ .., last] = s {
        if !set.contains(last) {
            break;
        }
        s = rest;
    }
    (lead, s)
}

/// A segment id as the tokenizer takes one: 2-3 ASCII letters or digits.
pub fn valid_id(id: &[u8]) -> bool {
    (2..=3).contains(&id.len()) && id.iter().all(u8::is_ascii_alphanumeric)
}

impl Tokenizer {
    /// `strict`: a malformed segment id is an error (`segment-id`); otherwise the segment is
    /// handed out as it is, for a validator to report where it is.
    pub fn new(strict: bool) -> Self {
        Tokenizer {
            strict,
            lenient_isa: false,
            keep_trailing_blanks: false,
            join_lines: false,
            joined: Vec::new(),
            pending: Vec::new(),
            base: 0,
            scanned: 0,
            delimiters: None,
            position: 0,
            index: 0,
            started: false,
            bom_allowed: true,
            closed: false,
            failed: None,
            findings: Vec::new(),
            isa_by_separators: false,
        }
    }

    /// Read an ISA whose elements are off their fixed offsets by its separators, with a finding
    /// (`isa-fixed-length`), instead of refusing the stream.
    pub fn lenient_isa(mut self, lenient: bool) -> Self {
        self.lenient_isa = lenient;
        self
    }

    /// The validator's cut: only the line breaks around a segment and the spaces, tabs and line
    /// breaks before its id are dropped. Blanks before the terminator stay part of the last
    /// element, and other whitespace before an id stays part of the id: the validator reports them.
    pub fn keep_trailing_blanks(mut self, keep: bool) -> Self {
        self.keep_trailing_blanks = keep;
        self
    }

    /// The readers' cut: CR and LF inside a segment are removed too, unless one of them is a
    /// delimiter. Values may not hold them, so a file wrapped at a fixed width reads as if it
    /// were not, and a reader need not look for them in values.
    pub fn join_lines(mut self, join: bool) -> Self {
        self.join_lines = join;
        self
    }

    /// The error that stopped the stream, if one did.
    pub fn failure(&self) -> Option<&Problem> {
        self.failed.as_ref()
    }

    /// Ordinal of the last segment handed out.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The delimiters of the interchange being read (None between interchanges).
    pub fn delimiters(&self) -> Option<Delimiters> {
        self.delimiters
    }

    /// Deviations read past rather than refused (an ISA not at its fixed offsets).
    pub fn findings(&self) -> &[Problem] {
        &self.findings
    }

    pub fn feed<F: FnMut(Segment<'_>)>(&mut self, chunk: &[u8], sink: F) -> Result<(), Problem> {
        if self.closed {
            return Err(Problem {
                rule: "stream-closed",
                message: "data fed after close()",
                position: None,
                segment: None,
            });
        }
        self.guard(|tok| {
            if tok.pending.is_empty() {
                // The common case: cut the chunk where it lies, keep only its unfinished tail.
                let used = tok.run(chunk, false, sink)?;
                tok.pending.extend_from_slice(&chunk[used..]);
                tok.base += used as u64;
            } else {
                let mut data = std::mem::take(&mut tok.pending);
                data.extend_from_slice(chunk);
                let used = tok.run(&data, false, sink);
                data.drain(..*used.as_ref().unwrap_or(&0));
                tok.pending = data;
                tok.base += *used.as_ref().unwrap_or(&0) as u64;
                used?;
            }
            Ok(())
        })
    }

    /// The end of the stream: what is left may only be padding, and an interchange must have begun.
    pub fn close<F: FnMut(Segment<'_>)>(&mut self, sink: F) -> Result<(), Problem> {
        self.guard(|tok| {
            if tok.closed {
                return Ok(());
            }
            let data = std::mem::take(&mut tok.pending);
            let used = tok.run(&data, true, sink)?;
            tok.closed = true;
            if !trim(&data[used..], PADDING).1.is_empty() {
                return Err(Problem::at(
                    "truncated",
                    "stream ends inside a segment (no segment terminator)",
                    tok.position + 1,
                ));
            }
            if !tok.started {
                return Err(Problem::at(
                    "isa-missing",
                    "no ISA segment found: not an X12 interchange",
                    1,
                ));
            }
            Ok(())
        })
    }

    /// Run `step` unless the stream already failed; a failure sticks.
    fn guard(
        &mut self,
        step: impl FnOnce(&mut Self) -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        if let Some(problem) = &self.failed {
            return Err(problem.clone());
        }
        let result = step(self);
        if let Err(problem) = &result {
            self.failed = Some(problem.clone());
        }
        result
    }

    /// Hand out every segment complete in `data` (which starts at `self.base`); returns how
    /// many bytes were used up.
    fn run<F: FnMut(Segment<'_>)>(
        &mut self,
        data: &[u8],
        fin: bool,
        mut sink: F,
    ) -> Result<usize, Problem> {
        let mut i = 0;
        let mut scanned = std::mem::take(&mut self.scanned);
        loop {
            let Some(d) = self.delimiters else {
                let (skip, isa) = self.start(&data[i..], fin)?;
                i += skip;
                match isa {
                    Isa::NeedMore => return Ok(i),
                    Isa::Read {
                        delimiters,
                        fixed_width,
                    } => {
                        self.delimiters = Some(delimiters);
                        self.started = true;
                        self.bom_allowed = false;
                        self.index = 0;
                        if !fixed_width {
                            self.findings.push(Problem::in_isa(
                                "isa-fixed-length",
                                ISA_BY_SEPARATORS,
                                self.position + 1,
                            ));
                            self.isa_by_separators = true;
                        }
                    }
                }
                continue;
            };
            let rest = &data[i..];
            let Some(end) = memchr(d.segment, &rest[scanned..]).map(|e| e + scanned) else {
                if rest.len() > MAX_SEGMENT_LENGTH {
                    return Err(self.too_long());
                }
                self.scanned = rest.len();
                return Ok(i);
            };
            scanned = 0;
            if end > MAX_SEGMENT_LENGTH {
                return Err(self.too_long());
            }
            self.segment(&rest[..end], self.base + i as u64, d, &mut sink)?;
            i += end + 1;
        }
    }

    fn too_long(&self) -> Problem {
        Problem::at(
            "segment-length",
            "segment longer than 1 MiB: no terminator found",
            self.position + 1,
        )
    }

    /// Where the next interchange starts: blanks (and, before the first, a byte-order mark)
    /// skipped; returns the bytes skipped and what the ISA gave.
    fn start(&mut self, s: &[u8], fin: bool) -> Result<(usize, Isa), Problem> {
        let position = self.position + 1;
        let mut k = trim_start(s, WHITESPACE);
        if self.bom_allowed {
            if s[k..].starts_with(BOM) {
                self.bom_allowed = false;
                k += 3;
                k += trim_start(&s[k..], WHITESPACE);
            } else if !s[k..].is_empty() && BOM.starts_with(&s[k..]) && !fin {
                return Ok((k, Isa::NeedMore));
            }
        }
        let head = &s[k..];
        let missing = || Problem::at("isa-missing", "expected an ISA segment", position);
        if head.len() < ISA_LENGTH {
            let id = &head[..head.len().min(3)];
            let not_isa = !id.is_empty() && !b"ISA".starts_with(id);
            if (fin || not_isa) && !trim(head, PADDING).1.is_empty() {
                if !head.starts_with(b"ISA") {
                    return Err(missing());
                }
            } else {
                return Ok((k, Isa::NeedMore));
            }
        } else if !head.starts_with(b"ISA") {
            return Err(missing());
        }
        Ok((k, read_isa(head, fin, position, self.lenient_isa)?))
    }

    fn segment<F: FnMut(Segment<'_>)>(
        &mut self,
        raw: &[u8],
        offset: u64,
        d: Delimiters,
        sink: &mut F,
    ) -> Result<(), Problem> {
        // A line break is removed from inside a segment (join_lines) unless it is a delimiter.
        let cr = self.join_lines && !d.contains(b'\r');
        let lf = self.join_lines && !d.contains(b'\n');
        // A line break that is a delimiter (an ISA16 of LF, say) is data at a segment's end.
        let tail: &[u8] = match (d.contains(b'\r'), d.contains(b'\n')) {
            (false, false) => b"\r\n",
            (true, false) => b"\n",
            (false, true) => b"\r",
            (true, true) => b"",
        };
        let (lead, bytes) = if self.keep_trailing_blanks {
            let lead = trim_start(raw, b" \t\r\n");
            (lead, trim_end(&raw[lead..], tail))
        } else {
            trimmed(raw, d.element, tail, |c| {
                (c == b'\r' && cr) || (c == b'\n' && lf)
            })
        };
        if bytes.is_empty() {
            return Ok(());
        }
        let id = &bytes[..id_end(bytes, d.element)];
        if self.strict && !valid_id(id) {
            return Err(Problem::at(
                "segment-id",
                "segment identifier must be 2-3 letters or digits",
                self.position + 1,
            ));
        }
        let ends_interchange = id == b"IEA";
        self.position += 1;
        self.index += 1;
        let mut joined = std::mem::take(&mut self.joined);
        // Segments are short: a branch-free pass (vectorized) beats setting up memchr2 for each.
        let breaks = (cr || lf)
            && bytes
                .iter()
                .fold(false, |seen, &c| seen | (c == b'\r') | (c == b'\n'));
        let bytes = if breaks {
            joined.clear();
            joined.extend(
                bytes
                    .iter()
                    .filter(|&&c| !((c == b'\r' && cr) || (c == b'\n' && lf))),
            );
            &joined[..]
        } else {
            bytes
        };
        sink(Segment {
            position: self.position,
            index: self.index,
            offset: offset + lead as u64,
            bytes,
            delimiters: d,
            isa_by_separators: std::mem::take(&mut self.isa_by_separators),
        });
        self.joined = joined;
        if ends_interchange {
            // The next ISA may declare other delimiters: read them from there.
            self.delimiters = None;
        }
        Ok(())
    }
}

/// Ids are 2-3 bytes: a loop that stops at the separator beats a memchr call set up per segment.
fn id_end(bytes: &[u8], element: u8) -> usize {
    bytes
        .iter()
        .position(|&c| c == element)
        .unwrap_or(bytes.len())
}

/// The tokenizer's cut of `raw` (the bytes between two terminators): line breaks around it
/// dropped, and other whitespace around it too when it touches the id (whitespace between
/// segments); at its end only the line breaks in `tail` (those that are not delimiters). `removed`
/// tells the line breaks that `join_lines` removes: the id is judged
/// without them. Returns the bytes dropped before the segment and the segment.
fn trimmed<'a>(
    raw: &'a [u8],
    element: u8,
    tail: &[u8],
    removed: impl Fn(u8) -> bool,
) -> (usize, &'a [u8]) {
    let lead = trim_start(raw, b"\r\n");
    let bytes = trim_end(&raw[lead..], tail);
    let id = &bytes[..id_end(bytes, element)];
    let blank = |c: Option<&u8>| c.is_some_and(|c| WHITESPACE.contains(c));
    if !blank(id.first()) && !blank(id.iter().rev().find(|&&c| !removed(c))) {
        return (lead, bytes);
    }
    let (more, bytes) = trim(bytes, WHITESPACE);
    (lead + more, bytes)
}

fn trim_end<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let end = s
        .iter()
        .rposition(|c| !set.contains(c))
        .map_or(0, |i| i + 1);
    &s[..end]
}

fn trim_start(s: &[u8], set: &[u8]) -> usize {
    s.iter().position(|c| !set.contains(c)).unwrap_or(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SAMPLE: &[u8] = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261102*0930*^*00501*000000001*0*T*:~\r\n\
GS*HC*S*R*20261102*0930*1*X*005010X222A1~\r\n\
ST*837*0001*005010X222A1~BHT*0019*00*X*20261102*0930*CH~SE*3*0001~\n\
GE*1*1~IEA*1*000000001~\n";

    type Seg = (u64, u64, u64, Vec<u8>);

    fn tokens(data: &[u8], cuts: &[usize], strict: bool) -> (Vec<Seg>, Option<&'static str>) {
        let mut tok = Tokenizer::new(strict);
        let mut out = Vec::new();
        let mut sink = |s: Segment<'_>| out.push((s.position, s.index, s.offset, s.bytes.to_vec()));
        let mut prev = 0;
        let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(data.len())).collect();
        bounds.sort_unstable();
        bounds.push(data.len());
        for c in bounds {
            if let Err(p) = tok.feed(&data[prev..c], &mut sink) {
                return (out, Some(p.rule));
            }
            prev = c;
        }
        let end = tok.close(&mut sink).err().map(|p| p.rule);
        (out, end)
    }

    #[test]
    fn a_line_break_that_is_a_delimiter_stays_at_the_segment_end() {
        // ISA16 (the component separator) is LF and the terminator CR: LF is data, not a line break.
        let data = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261102*0930*^*00501*000000001*0*T*\n\r\nGS*HC\r\nIEA*1*000000001\r";
        for join in [false, true] {
            let mut tok = Tokenizer::new(false).join_lines(join);
            let mut out = Vec::new();
            tok.feed(data, &mut |s: Segment<'_>| out.push(s.bytes.to_vec()))
                .unwrap();
            tok.close(&mut |s: Segment<'_>| out.push(s.bytes.to_vec()))
                .unwrap();
            assert_eq!(out[0].len(), 105, "join_lines {join}");
            assert_eq!(out[0].last(), Some(&b'\n'));
            assert_eq!(out[1], b"GS*HC");
        }
    }

    #[test]
    fn sample_segments_positions_and_offsets() {
        let (segs, err) = tokens(SAMPLE, &[], true);
        assert_eq!(err, None);
        let ids: Vec<&[u8]> = segs
            .iter()
            .map(|s| &s.3[..s.3.iter().position(|&b| b == b'*').unwrap()])
            .collect();
        assert_eq!(
            ids,
            [&b"ISA"[..], b"GS", b"ST", b"BHT", b"SE", b"GE", b"IEA"]
        );
        for (i, (position, index, offset, bytes)) in segs.iter().enumerate() {
            assert_eq!((*position, *index), (i as u64 + 1, i as u64 + 1));
            let at = *offset as usize;
            assert_eq!(&SAMPLE[at..at + bytes.len()], &bytes[..]);
        }
        assert_eq!(segs[1].2, 108); // after the ISA's terminator and CR/LF
    }

    #[test]
    fn every_cut_gives_the_same_segments() {
        let whole = tokens(SAMPLE, &[], true);
        for a in 0..SAMPLE.len() {
            assert_eq!(tokens(SAMPLE, &[a], true), whole, "cut at {a}");
            assert_eq!(tokens(SAMPLE, &[a, a + 1, a + 7], true), whole);
        }
    }

    #[test]
    fn a_second_interchange_may_change_delimiters_and_restarts_the_index() {
        let other: Vec<u8> = SAMPLE
            .iter()
            .filter(|&&b| b != b'\r' && b != b'\n')
            .map(|&b| match b {
                b'*' => b'|',
                b'~' => b'!',
                b => b,
            })
            .collect();
        let data = [SAMPLE, &other[..]].concat();
        let (segs, err) = tokens(&data, &[], true);
        assert_eq!(err, None);
        assert_eq!(segs.len(), 14);
        assert_eq!((segs[7].0, segs[7].1), (8, 1));
        assert_eq!(segs[13].3, b"IEA|1|000000001");
    }

    #[test]
    fn errors_name_their_rule_and_position() {
        let cases: [(&[u8], &str); 5] = [
            (b"", "isa-missing"),
            (b"hello world, this is not X12", "isa-missing"),
            (&SAMPLE[..50], "isa-fixed-length"),
            (&SAMPLE[..SAMPLE.len() - 5], "truncated"),
            (b"\xef\xbb\xbf\xef\xbb\xbfISA", "isa-missing"),
        ];
        for (data, rule) in cases {
            assert_eq!(tokens(data, &[], true).1, Some(rule));
        }
        let bht = SAMPLE.windows(4).position(|w| w == b"BHT*").unwrap();
        let bad = [&SAMPLE[..bht], b"B!T", &SAMPLE[bht + 3..]].concat();
        let (segs, err) = tokens(&bad, &[], true);
        assert_eq!((segs.len(), err), (3, Some("segment-id")));
        let (segs, err) = tokens(&bad, &[], false);
        assert_eq!((segs.len(), err), (7, None));
    }

    #[test]
    fn an_error_sticks() {
        let mut tok = Tokenizer::new(true);
        assert!(tok.feed(b"GS*HC*1~", |_| ()).is_err());
        assert_eq!(tok.feed(SAMPLE, |_| ()).unwrap_err().rule, "isa-missing");
        assert_eq!(tok.close(|_| ()).unwrap_err().rule, "isa-missing");
    }

    #[test]
    fn a_segment_over_one_mib_is_refused_however_it_is_cut() {
        let long = [
            &SAMPLE[..108],
            b"NTE*",
            &vec![b'A'; MAX_SEGMENT_LENGTH][..],
            b"~",
        ]
        .concat();
        for cuts in [&[][..], &[200], &[200, 600_000]] {
            assert_eq!(
                tokens(&long, cuts, true),
                (tokens(&SAMPLE[..108], &[], true).0, Some("segment-length"))
            );
        }
    }

    fn texts(data: &[u8], keep: bool, join: bool) -> Vec<Vec<u8>> {
        let mut tok = Tokenizer::new(false)
            .keep_trailing_blanks(keep)
            .join_lines(join);
        let mut out = Vec::new();
        let mut sink = |s: Segment<'_>| out.push(s.bytes.to_vec());
        tok.feed(data, &mut sink).unwrap();
        tok.close(&mut sink).unwrap();
        out.drain(..2).for_each(drop); // ISA, GS
        out
    }

    #[test]
    fn each_reader_cuts_the_segment_text_its_way() {
        let data = [
            &SAMPLE[..150],
            b"  NM1*A \r\nB  ~\x0bN3*X~N4\r\n*Y ~ \t~IEA*1*000000001~",
        ]
        .concat();
        let want: [&[&[u8]]; 3] = [
            // the tokenizer's: blanks touching the id go at both ends, line breaks at the ends
            &[b"NM1*A \r\nB", b"N3*X", b"N4\r\n*Y", b"IEA*1*000000001"],
            // the validator's: blanks before the terminator and a VT before an id stay
            &[
                b"NM1*A \r\nB  ",
                b"\x0bN3*X",
                b"N4\r\n*Y ",
                b"IEA*1*000000001",
            ],
            // the readers': line breaks inside go; an id is judged without them
            &[b"NM1*A B", b"N3*X", b"N4*Y ", b"IEA*1*000000001"],
        ];
        assert_eq!(texts(&data, false, false), want[0]);
        assert_eq!(texts(&data, true, false), want[1]);
        assert_eq!(texts(&data, false, true), want[2]);
        // a line break that is a delimiter (here LF, the terminator) is no line break to remove
        let lf = [&SAMPLE[..105], b"\n", b"GS*HC\r*1\nIEA*1*000000001\n"].concat();
        let mut tok = Tokenizer::new(false).join_lines(true);
        let mut out = Vec::new();
        tok.feed(&lf, |s| out.push(s.bytes.to_vec())).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[1], b"GS*HC*1");
    }

    #[test]
    fn close_after_a_failed_close_fails_again() {
        let mut tok = Tokenizer::new(true);
        tok.feed(&SAMPLE[..SAMPLE.len() - 5], |_| ()).unwrap();
        assert_eq!(tok.close(|_| ()).unwrap_err().rule, "truncated");
        assert_eq!(tok.close(|_| ()).unwrap_err().rule, "truncated");
        assert_eq!(tok.failure().map(|p| p.rule), Some("truncated"));
    }

    #[test]
    fn a_short_isa_is_read_with_a_finding() {
        let short = b"ISA*00**00**ZZ*S*ZZ*R*261102*0930*^*00501*1*0*T*:~GS*HC~IEA*1*1~";
        assert_eq!(tokens(short, &[], true).1, Some("isa-fixed-length"));
        let mut tok = Tokenizer::new(true).lenient_isa(true);
        let mut n = 0;
        tok.feed(short, |_| n += 1).unwrap();
        tok.close(|_| n += 1).unwrap();
        assert_eq!(n, 3);
        assert_eq!(tok.findings()[0].rule, "isa-fixed-length");
        assert_eq!(tok.findings()[0].position, Some(1));
    }
}
