//! `sdohedi._core.Claims837PReader`: an 837P (005010X222A1) stream fed in chunks, read into the
//! `Claim` models of `sdohedi.claims837p.reader.Reader837P` (the Python face, which documents
//! what is read and the strict and lenient modes).
//!
//! Where a segment belongs is decided by the loop being read (the states below), as the TR3
//! nests them: 2000A/2010AA billing provider, 2000B/2010BA/2010BB subscriber and payer,
//! 2000C/2010CA patient, 2300 claim with its 2310B rendering provider and 2310E/F locations,
//! 2400 lines with 2420A and 2420G/H; anything else the TR3 allows is read past.
//!
//! A claim whose every value passes this module's checks (each narrower than the models' rule:
//! see [`text_ok`] and the shape checks) is built by [`Models`] without validation; anything
//! else is handed to Python's hooks as the dicts pydantic validates, and pydantic then decides
//! and says what is wrong. The parties of an HL loop are built once per loop, billing
//! providers, payers and rendering providers once per distinct value (bounded caches, so
//! memory stays flat). What the reader hands over goes to an event list in stream order: each
//! `Claim`, each error (`ClaimNotRead`, trailer and header errors) and each header change.

use std::collections::HashMap;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::models::Models;
use super::problem::raise;
use super::tokenizer::{latin1, ShortStrings};
use crate::codes::parse_day;
use crate::tokenizer as core;

type B = Vec<u8>;
type Obj = Py<PyAny>;
/// SBR09 and NM1*PR as read (the cache key of a payer).
type PayerKey = (Option<B>, Option<(B, B, B, bool)>);

const VERSION: &[u8] = b"005010X222A1";
const OTHER_VERSIONS: [&[u8]; 2] = [b"005010X222", b"005010X222A2"];
const LENIENT_HINT: &str =
    " (a lenient read accepts this: Reader837P(lenient=True), sdohedi decode --lenient)";
const MAX_LINES_PER_CLAIM: usize = 50;
const MAX_DIAGNOSES: usize = 12;
const MAX_CLAIM_ID: usize = 20;
const MAX_LINE_CONTROL_NUMBER: usize = 30;
/// Distinct SV1/DTP/HI/CLM texts and locations kept, each cache cleared when full.
const CACHE_LIMIT: usize = 4096;

/// The models the fast path builds, in the order the Python face hands their specs.
const MODEL_NAMES: [&str; 5] = ["Address", "Subscriber", "Patient", "ServiceLine", "Claim"];
const ADDRESS: usize = 0;
const SUBSCRIBER: usize = 1;
const PATIENT: usize = 2;
const SERVICE_LINE: usize = 3;
const CLAIM: usize = 4;

/// What the `validate` hook builds (its `kind`).
const V_ADDRESS: usize = 0;
const V_SUBSCRIBER: usize = 1;
const V_PATIENT: usize = 2;
const V_BILLING: usize = 3;
const V_PAYER: usize = 4;

/// Where in the transaction set we are: decides what an NM1, N3, REF, PRV, DTP... belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum St {
    Outside,
    Header,
    Billing,
    PayTo,
    Subscriber,
    Payer,
    Patient,
    Claim,
    Rendering,
    ClaimOther,
    Cob,
    Line,
    LineRendering,
    LineOther,
    UnusableHl,
    ClaimLocation,
    LineLocation,
}

impl St {
    fn in_claim(self) -> bool {
        matches!(
            self,
            St::Claim
                | St::Rendering
                | St::ClaimOther
                | St::Cob
                | St::Line
                | St::LineRendering
                | St::LineOther
                | St::ClaimLocation
                | St::LineLocation
        )
    }
}

// shapes ---------------------------------------------------------------------------------------

/// A character of `X12_TEXT_PATTERN` (printable ASCII but `*`, `:`, `^`, `~`).
fn text_byte(b: u8) -> bool {
    matches!(b, 0x20..=0x29 | 0x2B..=0x39 | 0x3B..=0x5D | 0x5F..=0x7D)
}

/// What `Text(max, min)` keeps unchanged: `min..=max` text characters, no blank first or last
/// (pydantic strips blanks).
fn text_ok(b: &[u8], min: usize, max: usize) -> bool {
    (min..=max).contains(&b.len())
        && b.iter().all(|&c| text_byte(c))
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
}

fn digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

/// X12 'R' as `Decimal` reads it: `-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)`.
fn is_number(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"-").unwrap_or(b);
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    digits(int)
        && frac.is_none_or(digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()))
}

/// `[0-9]{1,int}(?:\.[0-9]{1,frac})?`
fn plain(b: &[u8], int: usize, frac: usize) -> bool {
    let (i, f) = match b.iter().position(|&c| c == b'.') {
        Some(k) => (&b[..k], Some(&b[k + 1..])),
        None => (b, None),
    };
    (1..=int).contains(&i.len())
        && digits(i)
        && f.is_none_or(|f| (1..=frac).contains(&f.len()) && digits(f))
}

/// The cents of a plain amount (see [`plain`] with 15 and 2).
fn cents(b: &[u8]) -> i128 {
    let (i, f) = match b.iter().position(|&c| c == b'.') {
        Some(k) => (&b[..k], &b[k + 1..]),
        None => (b, &b""[..]),
    };
    let mut n: i128 = 0;
    for &c in i {
        n = n * 10 + i128::from(c - b'0');
    }
    let mut k = 0;
    for &c in f {
        n = n * 10 + i128::from(c - b'0');
        k += 1;
    }
    while k < 2 {
        n *= 10;
        k += 1;
    }
    n
}

fn alnum_upper(b: &[u8]) -> bool {
    b.iter()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

/// `ICD10_PATTERN`: `[A-TV-Z][0-9][0-9A-Z][0-9A-Z]{0,4}`.
fn icd10_ok(b: &[u8]) -> bool {
    (3..=7).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[0] != b'U'
        && b[1].is_ascii_digit()
        && alnum_upper(&b[2..])
}

/// `ICD9_PATTERN`: `[0-9]{3,5}|V[0-9]{2,4}|E[0-9]{3,4}`.
fn icd9_ok(b: &[u8]) -> bool {
    match b.first() {
        Some(b'V') => (3..=5).contains(&b.len()) && digits(&b[1..]),
        Some(b'E') => (4..=5).contains(&b.len()) && digits(&b[1..]),
        _ => (3..=5).contains(&b.len()) && digits(b),
    }
}

/// An EIN or SSN printed with dashes is the same nine digits.
fn tax_id(b: &[u8]) -> B {
    let ein = b.len() == 10 && b[2] == b'-' && digits(&b[..2]) && digits(&b[3..]);
    let ssn = b.len() == 11
        && b[3] == b'-'
        && b[6] == b'-'
        && digits(&b[..3])
        && digits(&b[4..6])
        && digits(&b[7..]);
    if ein || ssn {
        b.iter().copied().filter(|&c| c != b'-').collect()
    } else {
        b.to_vec()
    }
}

fn split(b: &[u8], sep: u8) -> Vec<&[u8]> {
    b.split(|&c| c == sep).collect()
}

fn el<'a>(els: &[&'a [u8]], i: usize) -> &'a [u8] {
    els.get(i).copied().unwrap_or(b"")
}

fn opt(b: &[u8]) -> Option<B> {
    (!b.is_empty()).then(|| b.to_vec())
}

/// `s[:7] == f"{id}{sep}{qualifier}{sep}"`
fn prefixed(s: &[u8], id: &[u8; 3], qualifier: &[u8; 2], sep: u8) -> bool {
    s.len() >= 7 && &s[..3] == id && s[3] == sep && &s[4..6] == qualifier && s[6] == sep
}

/// A CCYYMMDD date (year 1 to 9999), as `datetime.date` takes one.
fn day(b: &[u8]) -> Option<u32> {
    if b.len() == 8 {
        parse_day(b)
    } else {
        None
    }
}

// what is read ---------------------------------------------------------------------------------

/// A built model and whether it is clean (passed strict validation), or the `_NotRead` of why not.
enum Built {
    Ok(Obj, bool),
    No(Obj),
}

enum Fail {
    NotRead(Obj),
    Py(PyErr),
}

impl From<PyErr> for Fail {
    fn from(e: PyErr) -> Self {
        Fail::Py(e)
    }
}

type R<T> = Result<T, Fail>;

impl Built {
    fn get(&self, py: Python<'_>) -> R<(Obj, bool)> {
        match self {
            Built::Ok(m, clean) => Ok((m.clone_ref(py), *clean)),
            Built::No(nr) => Err(Fail::NotRead(nr.clone_ref(py))),
        }
    }

    /// What a hook returned: `(model, clean)` or a `_NotRead`.
    fn from_hook(value: Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(t) = value.cast::<PyTuple>() {
            if t.len() == 2 {
                return Ok(Built::Ok(
                    t.get_item(0)?.unbind(),
                    t.get_item(1)?.is_truthy()?,
                ));
            }
        }
        Ok(Built::No(value.unbind()))
    }
}

#[derive(Default, Clone, PartialEq, Eq, Hash)]
struct AddressRead {
    n3: Option<(B, Option<B>)>,
    n4: Option<(B, B, B)>,
}

struct Billing {
    hl_id: B,
    position: u64,
    /// NM1*85: NM102, NM103, NM104, NM109 (when NM108 is sent)
    nm1: Option<(B, B, Option<B>, Option<B>)>,
    taxonomy: Option<Option<B>>,
    tax_id: Option<(B, B)>,
    address: Option<AddressRead>,
    problem: Option<Obj>,
    /// 2010BB secondary id -> the BillingProvider
    built: HashMap<Option<(B, B)>, Built>,
}

struct Parties {
    billing: Obj,
    subscriber: Obj,
    payer: Obj,
    patient: Option<Obj>,
    clean: bool,
}

/// 2000B/2010BA/2010BB (subscriber and payer) or 2000C/2010CA (patient) as read.
struct Member {
    hl_id: B,
    position: u64,
    responsibility: Option<B>,
    name: Option<(B, Option<B>)>,
    member_id: Option<B>,
    address: Option<AddressRead>,
    /// DMG02 as a date (None when it is not one: the loop's problem says so), DMG03
    demographics: Option<(Option<u32>, B)>,
    relationship: Option<B>,
    filing: Option<B>,
    /// NM1*PR: NM103, NM108, NM109; and whether SBR09 came before it
    payer: Option<(B, B, B, bool)>,
    secondary_id: Option<(B, B)>,
    problem: Option<Obj>,
    built: Option<Built>,
    parties: Option<Rc<Result<Parties, Obj>>>,
}

impl Member {
    fn new(hl_id: &[u8], position: u64) -> Self {
        Member {
            hl_id: hl_id.to_vec(),
            position,
            responsibility: None,
            name: None,
            member_id: None,
            address: None,
            demographics: None,
            relationship: None,
            filing: None,
            payer: None,
            secondary_id: None,
            problem: None,
            built: None,
            parties: None,
        }
    }
}

/// A 2310B or 2420A as its texts: NM1, PRV*PE, REF (secondary id), element separator.
#[derive(Clone, PartialEq, Eq, Hash)]
struct RawRendering {
    nm1: B,
    prv: Option<B>,
    reference: Option<B>,
    sep: u8,
}

struct Location {
    /// line index (None for 2310E/F), NM101
    line: Option<usize>,
    qualifier: [u8; 2],
    position: u64,
    n3: Option<Vec<B>>,
    n4: Option<Vec<B>>,
}

fn location_loop(qualifier: &[u8; 2], line: bool) -> &'static str {
    match (qualifier, line) {
        (b"PW", false) => "2310E",
        (b"PW", true) => "2420G",
        (_, false) => "2310F",
        (_, true) => "2420H",
    }
}

struct LineRead {
    fields: Py<PyDict>,
    dated: bool,
    numbered: bool,
}

/// CLM02 onwards, read once per distinct text.
struct Tail {
    total: Option<Obj>,
    cents: Option<i128>,
    place: B,
    frequency: B,
    indicators: [B; 4],
    facility_b: bool,
    fast: bool,
}

enum Hi {
    Diagnoses {
        qualifier: &'static str,
        codes: Obj,
        count: usize,
        clean: bool,
    },
    Other,
    Problem(String, usize, Option<usize>),
}

enum Sv1 {
    Line {
        template: Py<PyDict>,
        cents: i128,
        top: i64,
        clean: bool,
    },
    Problem(&'static str, usize, Option<usize>),
    Ignored,
}

enum Dtp {
    Dates(Obj, Option<Obj>, bool),
    Message(&'static str),
    Ignored,
}

/// 2300 and its 2400 lines as read.
struct ClaimRead {
    ordinal: u64,
    position: u64,
    claim_id: B,
    tail: Rc<Tail>,
    lines: Vec<LineRead>,
    line_positions: Vec<u64>,
    numbers: Vec<B>,
    hi: Option<Rc<Hi>>,
    prior_authorization: Option<B>,
    payer_claim_number: Option<B>,
    rendering: Option<RawRendering>,
    line_renderings: Vec<(usize, RawRendering)>,
    locations: Vec<Location>,
    location: usize,
    awaiting_sv1: bool,
    dated: usize,
    total: i128,
    top_pointer: i64,
    clean: bool,
    problem: Option<Obj>,
    deviations: Vec<String>,
}

/// The Python face's hooks: what pydantic builds and judges.
struct Hooks {
    not_read: Obj,
    validate: Obj,
    rendering: Obj,
    claim: Obj,
    header: Obj,
    claim_not_read: Obj,
}

struct State {
    lenient: bool,
    models: Models,
    hooks: Hooks,
    events: Py<PyList>,
    short: ShortStrings,
    position: u64,
    st: St,
    isa: Option<Vec<B>>,
    gs: Option<Vec<B>>,
    stx: Option<Vec<B>>,
    st_position: u64,
    groups: u64,
    sets: u64,
    transactions: u64,
    bht: Vec<B>,
    submitter: Option<Vec<B>>,
    submitter_per: Option<Vec<B>>,
    receiver: Option<Vec<B>>,
    header_made: bool,
    guide_deviation: Option<String>,
    billing: Option<Billing>,
    subscriber: Option<Member>,
    patient: Option<Member>,
    claim: Option<ClaimRead>,
    /// the current LX has its SV1 (the claim's last line)
    line: bool,
    unusable_hl: Option<Obj>,
    claim_ordinal: u64,
    sv1s: FxHashMap<B, Rc<Sv1>>,
    dtps: FxHashMap<B, Rc<Dtp>>,
    his: FxHashMap<B, Rc<Hi>>,
    tails: FxHashMap<B, Rc<Tail>>,
    dates: FxHashMap<u32, Obj>,
    payers: FxHashMap<PayerKey, Built>,
    renderers: FxHashMap<RawRendering, (Built, Vec<String>)>,
    locations: FxHashMap<[B; 5], (Obj, bool)>,
}

fn cache_put<K: std::hash::Hash + Eq, V, S: std::hash::BuildHasher>(
    cache: &mut HashMap<K, V, S>,
    limit: usize,
    k: K,
    v: V,
) {
    if cache.len() >= limit {
        cache.clear();
    }
    cache.insert(k, v);
}

fn error_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("sdohedi.x12.errors")?.getattr(name)
}

fn x12_error<'py>(
    py: Python<'py>,
    class: &str,
    message: &str,
    rule: &str,
    segment: Option<&str>,
    position: u64,
    element: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("rule", rule)?;
    kwargs.set_item("segment", segment)?;
    kwargs.set_item("position", position)?;
    kwargs.set_item("element", element)?;
    error_class(py, class)?.call((message,), Some(&kwargs))
}

fn fatal(
    py: Python<'_>,
    message: &str,
    segment: &str,
    position: u64,
    element: Option<usize>,
    rule: &str,
) -> PyErr {
    match x12_error(
        py,
        "X12EnvelopeError",
        message,
        rule,
        Some(segment),
        position,
        element,
    ) {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

fn strs<'py>(py: Python<'py>, els: &[B]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, els.iter().map(|e| latin1(py, e)))
}

fn owned(els: &[&[u8]]) -> Vec<B> {
    els.iter().map(|e| e.to_vec()).collect()
}

impl State {
    fn text<'py>(&mut self, py: Python<'py>, b: &[u8]) -> Bound<'py, PyAny> {
        self.short.get(py, b).into_any()
    }

    fn opt_text<'py>(&mut self, py: Python<'py>, b: &Option<B>) -> Bound<'py, PyAny> {
        match b {
            Some(b) => self.text(py, b),
            None => py.None().into_bound(py),
        }
    }

    fn date<'py>(&mut self, py: Python<'py>, day: u32) -> PyResult<Bound<'py, PyAny>> {
        if let Some(v) = self.dates.get(&day) {
            return Ok(v.bind(py).clone());
        }
        static DATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let value = DATE.import(py, "datetime", "date")?.call1((
            day / 10_000,
            day / 100 % 100,
            day % 100,
        ))?;
        cache_put(&mut self.dates, CACHE_LIMIT, day, value.clone().unbind());
        Ok(value)
    }

    fn decimal<'py>(&self, py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        // ASCII by is_number.
        DECIMAL
            .import(py, "decimal", "Decimal")?
            .call1((std::str::from_utf8(b).unwrap_or("0"),))
    }

    fn push(&self, py: Python<'_>, event: Bound<'_, PyAny>) -> PyResult<()> {
        self.events.bind(py).append(event)
    }

    fn error(
        &self,
        py: Python<'_>,
        message: &str,
        rule: &str,
        segment: &str,
        position: u64,
        element: Option<usize>,
    ) -> PyResult<()> {
        let e = x12_error(
            py,
            "X12EnvelopeError",
            message,
            rule,
            Some(segment),
            position,
            element,
        )?;
        self.push(py, e)
    }

    /// A `_NotRead` (why a claim or an HL loop cannot be read, and where).
    #[allow(clippy::too_many_arguments)]
    fn not_read(
        &self,
        py: Python<'_>,
        message: &str,
        position: u64,
        segment: Option<&str>,
        element: Option<usize>,
        component: Option<usize>,
        rule: &str,
    ) -> PyResult<Obj> {
        Ok(self
            .hooks
            .not_read
            .bind(py)
            .call1((message, position, segment, element, component, rule))?
            .unbind())
    }

    #[allow(clippy::too_many_arguments)]
    fn claim_problem(
        &mut self,
        py: Python<'_>,
        message: &str,
        position: u64,
        segment: &str,
        element: Option<usize>,
        component: Option<usize>,
        rule: &str,
    ) -> PyResult<()> {
        if self.claim.as_ref().is_some_and(|c| c.problem.is_none()) {
            let nr = self.not_read(
                py,
                message,
                position,
                Some(segment),
                element,
                component,
                rule,
            )?;
            if let Some(c) = self.claim.as_mut() {
                c.problem = Some(nr);
            }
        }
        Ok(())
    }

    // the loop -----------------------------------------------------------------------------

    fn segment(
        &mut self,
        py: Python<'_>,
        s: &[u8],
        d: &crate::delimiters::Delimiters,
    ) -> PyResult<()> {
        self.position += 1;
        let pos = self.position;
        let sep = d.element;
        let comp = d.component;
        let head = &s[..s.len().min(3)];
        // The segments of a service line come first, as in the files.
        if head == b"DTP" {
            if self.st == St::Line && self.line {
                return self.dtp(py, s, sep, pos);
            }
            return Ok(());
        }
        if head == b"SV1" {
            if self.st == St::Line && !self.line {
                return self.sv1(py, s, sep, comp, pos);
            }
            if self.claim.is_some() && self.st.in_claim() && split(s, sep)[0] == b"SV1" {
                self.claim_problem(
                    py,
                    "SV1 out of place (one per LX)",
                    pos,
                    "SV1",
                    None,
                    None,
                    "claim-value",
                )?;
            }
            return Ok(());
        }
        if s.len() >= 3 && &s[..2] == b"LX" && s[2] == sep {
            return self.lx(py, pos);
        }
        if head == b"REF" {
            if self.st == St::Line {
                if prefixed(s, b"REF", b"6R", sep) && self.line {
                    let claim = self.claim.as_mut().expect("a line is in a claim");
                    let line = claim.lines.last_mut().expect("the line");
                    if !line.numbered {
                        let rest = &s[7..];
                        let value = rest.split(|&c| c == sep).next().unwrap_or(b"");
                        line.numbered = true;
                        let v = latin1(py, value);
                        line.fields
                            .bind(py)
                            .set_item(intern!(py, "line_control_number"), v)?;
                        claim.numbers.push(value.to_vec());
                    }
                }
                return Ok(());
            }
            if self.st == St::Rendering || self.st == St::LineRendering {
                let secondary = [b"0B", b"1G", b"G2", b"LU"]
                    .iter()
                    .any(|q| prefixed(s, b"REF", q, sep));
                if let Some(raw) = self.raw_rendering() {
                    if raw.reference.is_none() && secondary {
                        raw.reference = Some(s.to_vec());
                    }
                }
                return Ok(());
            }
        } else if head == b"NM1" {
            if matches!(
                self.st,
                St::Claim | St::Rendering | St::ClaimOther | St::ClaimLocation
            ) {
                if prefixed(s, b"NM1", b"82", sep) {
                    if self.claim.as_ref().is_some_and(|c| c.rendering.is_some()) {
                        self.claim_problem(
                            py,
                            "a second rendering provider (2310B)",
                            pos,
                            "NM1",
                            None,
                            None,
                            "claim-value",
                        )?;
                    }
                    if let Some(c) = self.claim.as_mut() {
                        c.rendering = Some(RawRendering {
                            nm1: s.to_vec(),
                            prv: None,
                            reference: None,
                            sep,
                        });
                    }
                    self.st = St::Rendering;
                } else if prefixed(s, b"NM1", b"PW", sep) || prefixed(s, b"NM1", b"45", sep) {
                    self.st = self.location(py, None, [s[4], s[5]], pos)?;
                } else {
                    self.st = St::ClaimOther;
                }
                return Ok(());
            }
            if matches!(
                self.st,
                St::Line | St::LineRendering | St::LineOther | St::LineLocation
            ) {
                let claim = self.claim.as_mut().expect("a line state is in a claim");
                let index = claim.lines.len().wrapping_sub(1);
                if self.st == St::Line
                    && self.line
                    && prefixed(s, b"NM1", b"82", sep)
                    && !claim.line_renderings.iter().any(|(k, _)| *k == index)
                {
                    claim.line_renderings.push((
                        index,
                        RawRendering {
                            nm1: s.to_vec(),
                            prv: None,
                            reference: None,
                            sep,
                        },
                    ));
                    self.st = St::LineRendering;
                } else if self.line
                    && (prefixed(s, b"NM1", b"PW", sep) || prefixed(s, b"NM1", b"45", sep))
                {
                    self.st = self.location(py, Some(index), [s[4], s[5]], pos)?;
                } else {
                    self.st = St::LineOther;
                }
                return Ok(());
            }
            if self.st == St::Cob {
                return Ok(());
            }
        } else if head == b"PRV" {
            if self.st == St::Rendering || self.st == St::LineRendering {
                let pe = prefixed(s, b"PRV", b"PE", sep);
                if let Some(raw) = self.raw_rendering() {
                    if raw.prv.is_none() && pe {
                        raw.prv = Some(s.to_vec());
                    }
                }
                return Ok(());
            }
        } else if s.len() >= 3 && &s[..2] == b"HI" && s[2] == sep {
            if self.st == St::Claim {
                return self.hi(py, s, sep, comp, pos);
            }
            return Ok(());
        } else if head == b"CLM" && (s.len() == 3 || s[3] == sep) {
            return self.clm(py, s, sep, comp, pos);
        }
        let els = split(s, sep);
        let e = |i: usize| el(&els, i);
        match els[0] {
            b"REF" => {
                let qualifier = e(1);
                match self.st {
                    St::Claim => {
                        let c = self.claim.as_mut().expect("claim state has a claim");
                        if qualifier == b"G1" && c.prior_authorization.is_none() {
                            c.prior_authorization = Some(e(2).to_vec());
                        } else if qualifier == b"F8" && c.payer_claim_number.is_none() {
                            c.payer_claim_number = Some(e(2).to_vec());
                        }
                    }
                    St::Billing => {
                        let b = self.billing.as_mut().expect("billing state has a billing");
                        if (qualifier == b"EI" || qualifier == b"SY") && b.tax_id.is_none() {
                            b.tax_id = Some((tax_id(e(2)), qualifier.to_vec()));
                        }
                    }
                    St::Payer => {
                        let m = self
                            .subscriber
                            .as_mut()
                            .expect("payer state has a subscriber");
                        if (qualifier == b"G2" || qualifier == b"LU") && m.secondary_id.is_none() {
                            m.secondary_id = Some((e(2).to_vec(), qualifier.to_vec()));
                        }
                    }
                    _ => {}
                }
            }
            b"NM1" => self.party_name(py, &els, pos)?,
            b"HL" => {
                self.finish_claim(py)?;
                self.start_hl(py, &els, pos)?;
            }
            b"PRV" => {
                if self.st == St::Billing && e(1) == b"BI" {
                    let b = self.billing.as_mut().expect("billing state has a billing");
                    if b.nm1.is_none() {
                        b.taxonomy = Some(opt(e(3)));
                    }
                }
            }
            b"SBR" => {
                if matches!(
                    self.st,
                    St::Claim | St::Rendering | St::ClaimOther | St::ClaimLocation | St::Cob
                ) {
                    self.st = St::Cob; // 2320: other subscriber information, not kept
                } else if self.st == St::Subscriber {
                    let m = self
                        .subscriber
                        .as_mut()
                        .expect("subscriber state has a subscriber");
                    if m.responsibility.is_none() {
                        m.responsibility = Some(e(1).to_vec());
                        m.filing = Some(e(9).to_vec());
                    }
                }
            }
            b"N3" | b"N4" => {
                let n3 = els[0] == b"N3";
                match self.st {
                    St::Billing | St::Subscriber | St::Patient => {
                        let address = match self.st {
                            St::Billing => &mut self.billing.as_mut().expect("billing").address,
                            St::Subscriber => {
                                &mut self.subscriber.as_mut().expect("subscriber").address
                            }
                            _ => &mut self.patient.as_mut().expect("patient").address,
                        };
                        let a = address.get_or_insert_with(AddressRead::default);
                        if n3 {
                            if a.n3.is_none() {
                                a.n3 = Some((e(1).to_vec(), opt(e(2))));
                            }
                        } else if a.n4.is_none() {
                            a.n4 = Some((e(1).to_vec(), e(2).to_vec(), e(3).to_vec()));
                        }
                    }
                    St::ClaimLocation | St::LineLocation => {
                        let c = self.claim.as_mut().expect("location state has a claim");
                        let loc = &mut c.locations[c.location];
                        let slot = if n3 { &mut loc.n3 } else { &mut loc.n4 };
                        if slot.is_none() {
                            *slot = Some(owned(&els));
                        }
                    }
                    _ => {}
                }
            }
            b"DMG" => {
                if self.st == St::Subscriber || self.st == St::Patient {
                    self.demographics(py, &els, pos)?;
                }
            }
            b"PAT" => {
                if self.st == St::Patient {
                    let m = self.patient.as_mut().expect("patient state has a patient");
                    if m.relationship.is_none() {
                        m.relationship = Some(e(1).to_vec());
                    }
                }
            }
            b"SE" => {
                self.finish_claim(py)?;
                self.end_transaction(py, &els, pos)?;
            }
            b"ST" => self.start_transaction(py, &els, pos)?,
            b"BHT" => {
                if self.st == St::Header {
                    self.bht = owned(&els);
                }
            }
            b"PER" => {
                if self.st == St::Header && self.submitter.is_some() && self.submitter_per.is_none()
                {
                    self.submitter_per = Some(owned(&els));
                }
            }
            b"GS" => self.start_group(py, &els, pos)?,
            b"GE" => self.end_group(py, &els, pos)?,
            b"ISA" => {
                if self.isa.is_some() {
                    return Err(fatal(
                        py,
                        "ISA before the IEA of the previous interchange",
                        "ISA",
                        pos,
                        None,
                        "envelope-nesting",
                    ));
                }
                self.isa = Some(owned(&els));
                self.groups = 0;
            }
            b"IEA" => self.end_interchange(py, &els, pos)?,
            sid => {
                if self.st == St::Outside && self.isa.is_none() {
                    // `str.isalnum` of the id as text (latin-1), as the Python face names ids
                    let text = latin1(py, sid);
                    let alnum = text.call_method0(intern!(py, "isalnum"))?.is_truthy()?;
                    let segment = if alnum {
                        Some(
                            text.get_item(pyo3::types::PySlice::new(py, 0, 3, 1))?
                                .extract::<String>()?,
                        )
                    } else {
                        None
                    };
                    let e = x12_error(
                        py,
                        "X12EnvelopeError",
                        "segment outside an interchange",
                        "segment-outside-envelope",
                        segment.as_deref(),
                        pos,
                        None,
                    )?;
                    return Err(PyErr::from_value(e));
                }
                // any other segment is one the TR3 allows that the models do not keep
            }
        }
        Ok(())
    }

    fn raw_rendering(&mut self) -> Option<&mut RawRendering> {
        let st = self.st;
        let c = self.claim.as_mut()?;
        if st == St::Rendering {
            c.rendering.as_mut()
        } else {
            let index = c.lines.len().wrapping_sub(1);
            c.line_renderings
                .iter_mut()
                .find(|(k, _)| *k == index)
                .map(|(_, r)| r)
        }
    }

    fn dtp(&mut self, py: Python<'_>, s: &[u8], sep: u8, pos: u64) -> PyResult<()> {
        let parsed = match self.dtps.get(s) {
            Some(p) => p.clone(),
            None => {
                let p = Rc::new(self.parse_dtp(py, s, sep)?);
                cache_put(&mut self.dtps, CACHE_LIMIT, s.to_vec(), p.clone());
                p
            }
        };
        match &*parsed {
            Dtp::Ignored => Ok(()),
            Dtp::Message(m) => self.claim_problem(py, m, pos, "DTP", Some(3), None, "claim-value"),
            Dtp::Dates(first, last, ok) => {
                let dated = self
                    .claim
                    .as_ref()
                    .and_then(|c| c.lines.last())
                    .is_some_and(|l| l.dated);
                if dated {
                    return self.claim_problem(
                        py,
                        "a second DTP*472 in the line",
                        pos,
                        "DTP",
                        None,
                        None,
                        "claim-value",
                    );
                }
                let c = self.claim.as_mut().expect("a line is in a claim");
                let line = c.lines.last_mut().expect("the line");
                let fields = line.fields.bind(py);
                fields.set_item(intern!(py, "service_date"), first.bind(py))?;
                match last {
                    Some(l) => fields.set_item(intern!(py, "service_date_end"), l.bind(py))?,
                    None => fields.set_item(intern!(py, "service_date_end"), py.None())?,
                }
                line.dated = true;
                c.dated += 1;
                if !ok {
                    c.clean = false;
                }
                Ok(())
            }
        }
    }

    fn parse_dtp(&mut self, py: Python<'_>, s: &[u8], sep: u8) -> PyResult<Dtp> {
        let els = split(s, sep);
        if els[0] != b"DTP" || els.len() < 4 || els[1] != b"472" {
            return Ok(Dtp::Ignored);
        }
        let (format, text) = (els[2], els[3]);
        if format == b"D8" {
            return Ok(match day(text) {
                Some(d) => Dtp::Dates(self.date(py, d)?.unbind(), None, true),
                None => Dtp::Message("DTP03 is not a date (CCYYMMDD)"),
            });
        }
        if format == b"RD8" {
            let (first, last) = match text.iter().position(|&c| c == b'-') {
                Some(k) => (&text[..k], &text[k + 1..]),
                None => (text, &b""[..]),
            };
            let (Some(start), Some(end)) = (day(first), day(last)) else {
                return Ok(Dtp::Message(
                    "DTP03 is not a date range (CCYYMMDD-CCYYMMDD)",
                ));
            };
            let a = self.date(py, start)?.unbind();
            if end == start {
                return Ok(Dtp::Dates(a, None, true));
            }
            let b = self.date(py, end)?.unbind();
            return Ok(Dtp::Dates(a, Some(b), end > start));
        }
        Ok(Dtp::Message("DTP02 must be D8 or RD8"))
    }

    fn sv1(&mut self, py: Python<'_>, s: &[u8], sep: u8, comp: u8, pos: u64) -> PyResult<()> {
        let parsed = match self.sv1s.get(s) {
            Some(p) => p.clone(),
            None => {
                let p = Rc::new(self.parse_sv1(py, s, sep, comp)?);
                cache_put(&mut self.sv1s, CACHE_LIMIT, s.to_vec(), p.clone());
                p
            }
        };
        match &*parsed {
            Sv1::Ignored => Ok(()),
            Sv1::Problem(m, element, component) => {
                self.claim_problem(py, m, pos, "SV1", Some(*element), *component, "claim-value")
            }
            Sv1::Line {
                template,
                cents,
                top,
                clean,
            } => {
                let fields = template.bind(py).copy()?;
                let c = self.claim.as_mut().expect("a line is in a claim");
                c.lines.push(LineRead {
                    fields: fields.unbind(),
                    dated: false,
                    numbered: false,
                });
                c.awaiting_sv1 = false;
                c.total += cents;
                if !clean {
                    c.clean = false;
                }
                if *top > c.top_pointer {
                    c.top_pointer = *top;
                }
                self.line = true;
                Ok(())
            }
        }
    }

    fn parse_sv1(&mut self, py: Python<'_>, s: &[u8], sep: u8, comp: u8) -> PyResult<Sv1> {
        let els = split(s, sep);
        if els[0] != b"SV1" {
            return Ok(Sv1::Ignored);
        }
        let e = |i: usize| el(&els, i);
        let composite = split(e(1), comp);
        if composite[0] != b"HC" {
            return Ok(Sv1::Problem(
                "SV101-1 must be HC: only HCPCS/CPT procedure codes are read",
                1,
                Some(1),
            ));
        }
        let procedure = el(&composite, 1);
        let modifiers: Vec<&[u8]> = composite
            .iter()
            .skip(2)
            .take(4)
            .copied()
            .filter(|m| !m.is_empty())
            .collect();
        let (charge_text, basis, units_text) = (e(2), e(3), e(4));
        if !is_number(charge_text) {
            return Ok(Sv1::Problem("SV102 (charge) is not a number", 2, None));
        }
        if !is_number(units_text) {
            return Ok(Sv1::Problem("SV104 (units) is not a number", 4, None));
        }
        let place = e(5);
        let pointer_texts = split(e(7), comp);
        let plain_pointers = pointer_texts.iter().all(|p| {
            matches!(p.len(), 1 | 2) && digits(p) && p[0] != b'0' && {
                let n = p.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
                (1..=12).contains(&n)
            }
        });
        if !plain_pointers
            && !pointer_texts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 2 && digits(p))
        {
            return Ok(Sv1::Problem(
                "SV107 (diagnosis pointers) must be numbers 1-12",
                7,
                None,
            ));
        }
        let pointers: Vec<i64> = pointer_texts
            .iter()
            .map(|p| p.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0')))
            .collect();
        let units_positive = units_text.iter().any(|&c| (b'1'..=b'9').contains(&c));
        let unique = (1..pointers.len()).all(|i| !pointers[..i].contains(&pointers[i]));
        let clean = plain_pointers
            && procedure.len() == 5
            && alnum_upper(procedure)
            && modifiers.iter().all(|m| m.len() == 2 && alnum_upper(m))
            && plain(charge_text, 15, 2)
            && (basis == b"UN" || basis == b"MJ")
            && plain(units_text, 12, 3)
            && units_positive
            && (place.is_empty() || (place.len() == 2 && digits(place)))
            && (1..=4).contains(&pointers.len())
            && unique;
        let template = self.models.values(py, SERVICE_LINE)?;
        template.set_item(intern!(py, "procedure_code"), self.text(py, procedure))?;
        let mods: Vec<Bound<'_, PyAny>> = modifiers.iter().map(|m| self.text(py, m)).collect();
        template.set_item(intern!(py, "modifiers"), PyTuple::new(py, mods)?)?;
        template.set_item(intern!(py, "charge"), self.decimal(py, charge_text)?)?;
        template.set_item(intern!(py, "unit_basis"), self.text(py, basis))?;
        template.set_item(intern!(py, "units"), self.decimal(py, units_text)?)?;
        template.set_item(
            intern!(py, "diagnosis_pointers"),
            PyTuple::new(py, &pointers)?,
        )?;
        let place_value = self.opt_text(py, &opt(place));
        template.set_item(intern!(py, "place_of_service"), place_value)?;
        Ok(Sv1::Line {
            template: template.unbind(),
            cents: if clean { cents(charge_text) } else { 0 },
            top: pointers.iter().copied().max().unwrap_or(0),
            clean,
        })
    }

    fn lx(&mut self, py: Python<'_>, pos: u64) -> PyResult<()> {
        if self.claim.is_none() || !self.st.in_claim() {
            return self.orphan(py, "LX (2400) outside a claim", pos, "LX");
        }
        self.line = false;
        let (awaiting, last, count) = {
            let c = self.claim.as_ref().expect("checked");
            (
                c.awaiting_sv1,
                c.line_positions.last().copied(),
                c.line_positions.len(),
            )
        };
        if awaiting {
            let at = last.unwrap_or(pos);
            self.claim_problem(
                py,
                "a service line (LX) without SV1",
                at,
                "LX",
                None,
                None,
                "segment-missing",
            )?;
        }
        if count >= MAX_LINES_PER_CLAIM {
            let m = format!("more than {MAX_LINES_PER_CLAIM} service lines");
            self.claim_problem(py, &m, pos, "LX", None, None, "line-count")?;
            self.st = St::LineOther; // the rest of this line is read past, not kept
        } else {
            let c = self.claim.as_mut().expect("checked");
            c.line_positions.push(pos);
            c.awaiting_sv1 = true;
            self.st = St::Line;
        }
        Ok(())
    }

    fn hi(&mut self, py: Python<'_>, s: &[u8], sep: u8, comp: u8, pos: u64) -> PyResult<()> {
        let parsed = match self.his.get(s) {
            Some(p) => p.clone(),
            None => {
                let p = Rc::new(self.parse_hi(py, s, sep, comp)?);
                cache_put(&mut self.his, CACHE_LIMIT, s.to_vec(), p.clone());
                p
            }
        };
        match &*parsed {
            Hi::Other => Ok(()),
            Hi::Diagnoses { .. } => {
                if self.claim.as_ref().is_some_and(|c| c.hi.is_some()) {
                    self.claim_problem(
                        py,
                        "a second diagnosis HI",
                        pos,
                        "HI",
                        None,
                        None,
                        "claim-value",
                    )
                } else {
                    if let Some(c) = self.claim.as_mut() {
                        c.hi = Some(parsed.clone());
                    }
                    Ok(())
                }
            }
            Hi::Problem(m, element, component) => {
                self.claim_problem(py, m, pos, "HI", Some(*element), *component, "claim-value")
            }
        }
    }

    fn parse_hi(&mut self, py: Python<'_>, s: &[u8], sep: u8, comp: u8) -> PyResult<Hi> {
        let els = split(s, sep);
        let first = split(el(&els, 1), comp);
        let (qualifier, follow): (&'static str, &'static str) = match first[0] {
            b"ABK" => ("ABK", "ABF"),
            b"BK" => ("BK", "BF"),
            b"ABF" | b"BF" => {
                return Ok(Hi::Problem(
                    "HI01-1 must be ABK or BK (the principal diagnosis)".into(),
                    1,
                    Some(1),
                ))
            }
            _ => return Ok(Hi::Other),
        };
        if els.len() > MAX_DIAGNOSES + 1 {
            return Ok(Hi::Problem(
                format!("more than {MAX_DIAGNOSES} diagnoses"),
                MAX_DIAGNOSES + 1,
                None,
            ));
        }
        let mut codes: Vec<&[u8]> = Vec::new();
        for (i, element) in els.iter().enumerate().skip(1) {
            if element.is_empty() {
                continue;
            }
            let parts = split(element, comp);
            if i > 1 && parts[0] != follow.as_bytes() {
                return Ok(Hi::Problem(
                    format!("HI{i:02}-1 must be {follow} after {qualifier}"),
                    i,
                    Some(1),
                ));
            }
            let code = el(&parts, 1);
            if code.is_empty() {
                return Ok(Hi::Problem(
                    format!("HI{i:02}-2 (diagnosis code) is missing"),
                    i,
                    Some(2),
                ));
            }
            codes.push(code);
        }
        let unique = (1..codes.len()).all(|i| !codes[..i].contains(&codes[i]));
        let shaped = codes.iter().all(|c| {
            if qualifier == "ABK" {
                icd10_ok(c)
            } else {
                icd9_ok(c)
            }
        });
        let texts: Vec<Bound<'_, PyAny>> = codes.iter().map(|c| self.text(py, c)).collect();
        Ok(Hi::Diagnoses {
            qualifier,
            codes: PyTuple::new(py, texts)?.into_any().unbind(),
            count: codes.len(),
            clean: unique && shaped,
        })
    }

    fn clm(&mut self, py: Python<'_>, s: &[u8], sep: u8, comp: u8, pos: u64) -> PyResult<()> {
        self.finish_claim(py)?;
        self.line = false;
        if self.st == St::Outside {
            return Err(fatal(
                py,
                "CLM outside a transaction set",
                "CLM",
                pos,
                None,
                "envelope-nesting",
            ));
        }
        let mut parts = s.splitn(3, |&c| c == sep);
        parts.next();
        let claim_id = parts.next().unwrap_or(b"");
        let rest = parts.next().unwrap_or(b"");
        let tail = match self.tails.get(rest) {
            Some(t) => t.clone(),
            None => {
                let t = Rc::new(self.parse_tail(py, rest, sep, comp)?);
                cache_put(&mut self.tails, CACHE_LIMIT, rest.to_vec(), t.clone());
                t
            }
        };
        self.claim_ordinal += 1;
        let problem = match (&self.unusable_hl, &self.subscriber) {
            (Some(nr), _) => Some(nr.clone_ref(py)),
            (None, None) => Some(self.not_read(
                py,
                "CLM before any subscriber HL (22)",
                pos,
                Some("CLM"),
                None,
                None,
                "hl-structure",
            )?),
            _ => None,
        };
        self.claim = Some(ClaimRead {
            ordinal: self.claim_ordinal,
            position: pos,
            claim_id: claim_id.to_vec(),
            tail,
            lines: Vec::new(),
            line_positions: Vec::new(),
            numbers: Vec::new(),
            hi: None,
            prior_authorization: None,
            payer_claim_number: None,
            rendering: None,
            line_renderings: Vec::new(),
            locations: Vec::new(),
            location: 0,
            awaiting_sv1: false,
            dated: 0,
            total: 0,
            top_pointer: 0,
            clean: true,
            problem,
            deviations: Vec::new(),
        });
        self.st = St::Claim;
        Ok(())
    }

    fn parse_tail(&mut self, py: Python<'_>, text: &[u8], sep: u8, comp: u8) -> PyResult<Tail> {
        let els = split(text, sep); // CLM02, CLM03, ...
        let e = |i: usize| el(&els, i);
        let total_text = e(0);
        let (mut total, mut amount) = (None, None);
        if is_number(total_text) {
            total = Some(self.decimal(py, total_text)?.unbind());
            if plain(total_text, 15, 2) {
                amount = Some(cents(total_text));
            }
        }
        let clm05 = split(e(3), comp);
        let place = clm05[0];
        let facility_b = clm05.len() >= 2 && clm05[1] == b"B";
        let frequency = el(&clm05, 2);
        let indicators = [e(4), e(5), e(6), e(7)];
        let fast = facility_b
            && place.len() == 2
            && digits(place)
            && matches!(frequency, b"1" | b"7" | b"8")
            && matches!(indicators[0], b"N" | b"Y")
            && matches!(indicators[1], b"A" | b"B" | b"C")
            && matches!(indicators[2], b"N" | b"W" | b"Y")
            && matches!(indicators[3], b"I" | b"Y");
        Ok(Tail {
            total,
            cents: amount,
            place: place.to_vec(),
            frequency: frequency.to_vec(),
            indicators: indicators.map(|i| i.to_vec()),
            facility_b,
            fast,
        })
    }

    fn location(
        &mut self,
        py: Python<'_>,
        line: Option<usize>,
        qualifier: [u8; 2],
        pos: u64,
    ) -> PyResult<St> {
        let c = self.claim.as_ref().expect("a location is in a claim");
        let existing = c
            .locations
            .iter()
            .position(|l| l.line == line && l.qualifier == qualifier);
        if existing.is_some() {
            let m = format!(
                "a second {} location",
                location_loop(&qualifier, line.is_some())
            );
            self.claim_problem(py, &m, pos, "NM1", None, None, "claim-value")?;
        }
        let c = self.claim.as_mut().expect("checked");
        let fresh = Location {
            line,
            qualifier,
            position: pos,
            n3: None,
            n4: None,
        };
        match existing {
            Some(k) => {
                c.locations[k] = fresh; // a dict keeps the key where it was
                c.location = k;
            }
            None => {
                c.locations.push(fresh);
                c.location = c.locations.len() - 1;
            }
        }
        Ok(if line.is_none() {
            St::ClaimLocation
        } else {
            St::LineLocation
        })
    }

    fn orphan(&mut self, py: Python<'_>, message: &str, pos: u64, segment: &str) -> PyResult<()> {
        if self.st != St::UnusableHl && self.stx.is_some() {
            self.error(py, message, "segment-unexpected", segment, pos, None)?;
        }
        self.st = if self.st != St::Outside {
            St::UnusableHl
        } else {
            St::Outside
        };
        Ok(())
    }

    fn party_name(&mut self, py: Python<'_>, els: &[&[u8]], pos: u64) -> PyResult<()> {
        let e = |i: usize| el(els, i);
        let qualifier = e(1);
        match self.st {
            St::Header => {
                if qualifier == b"41" && self.submitter.is_none() {
                    self.submitter = Some(owned(els));
                } else if qualifier == b"40" && self.receiver.is_none() {
                    self.receiver = Some(owned(els));
                }
            }
            St::Billing | St::PayTo => {
                let named = self.billing.as_ref().is_some_and(|b| b.nm1.is_some());
                if qualifier == b"85" && !named {
                    let npi = if e(8).is_empty() {
                        None
                    } else {
                        if e(8) != b"XX"
                            && self.billing.as_ref().is_some_and(|b| b.problem.is_none())
                        {
                            let nr = self.not_read(
                                py,
                                "NM108 must be XX (NPI) when an identifier is sent",
                                pos,
                                Some("NM1"),
                                Some(8),
                                None,
                                "claim-value",
                            )?;
                            self.billing.as_mut().expect("billing").problem = Some(nr);
                        }
                        opt(e(9))
                    };
                    let b = self.billing.as_mut().expect("billing state has a billing");
                    b.nm1 = Some((e(2).to_vec(), e(3).to_vec(), opt(e(4)), npi));
                    self.st = St::Billing;
                } else {
                    self.st = St::PayTo; // 2010AB pay-to address, 2010AC pay-to plan: not kept
                }
            }
            St::Subscriber | St::Payer => {
                let (has_id, has_payer) = {
                    let m = self
                        .subscriber
                        .as_ref()
                        .expect("subscriber state has a subscriber");
                    (m.member_id.is_some(), m.payer.is_some())
                };
                if qualifier == b"IL" && !has_id {
                    if e(2) != b"1" {
                        self.member_problem(
                            py,
                            true,
                            "a non-person subscriber (2010BA NM102 = 2) is not read",
                            pos,
                            "NM1",
                            2,
                            "unsupported",
                        )?;
                    }
                    if e(8) != b"MI" {
                        self.member_problem(
                            py,
                            true,
                            "2010BA NM108 must be MI (member id)",
                            pos,
                            "NM1",
                            8,
                            "claim-value",
                        )?;
                    }
                    let m = self.subscriber.as_mut().expect("checked");
                    m.name = Some((e(3).to_vec(), opt(e(4))));
                    m.member_id = Some(e(9).to_vec());
                    self.st = St::Subscriber;
                } else if qualifier == b"PR" && !has_payer {
                    let m = self.subscriber.as_mut().expect("checked");
                    m.payer = Some((
                        e(3).to_vec(),
                        e(8).to_vec(),
                        e(9).to_vec(),
                        m.filing.is_some(),
                    ));
                    self.st = St::Payer;
                }
            }
            St::Patient => {
                let m = self.patient.as_mut().expect("patient state has a patient");
                if qualifier == b"QC" && m.name.is_none() {
                    m.name = Some((e(3).to_vec(), opt(e(4))));
                }
            }
            _ => {}
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn member_problem(
        &mut self,
        py: Python<'_>,
        subscriber: bool,
        message: &str,
        pos: u64,
        segment: &str,
        element: usize,
        rule: &str,
    ) -> PyResult<()> {
        let has = if subscriber {
            &self.subscriber
        } else {
            &self.patient
        };
        if has.as_ref().is_some_and(|m| m.problem.is_none()) {
            let nr = self.not_read(py, message, pos, Some(segment), Some(element), None, rule)?;
            let m = if subscriber {
                &mut self.subscriber
            } else {
                &mut self.patient
            };
            m.as_mut().expect("checked").problem = Some(nr);
        }
        Ok(())
    }

    fn demographics(&mut self, py: Python<'_>, els: &[&[u8]], pos: u64) -> PyResult<()> {
        let subscriber = self.st == St::Subscriber;
        let m = if subscriber {
            &self.subscriber
        } else {
            &self.patient
        };
        if m.as_ref().is_some_and(|m| m.demographics.is_some()) {
            return Ok(());
        }
        if el(els, 1) != b"D8" {
            self.member_problem(
                py,
                subscriber,
                "DMG01 must be D8",
                pos,
                "DMG",
                1,
                "claim-value",
            )?;
        }
        let date = day(el(els, 2));
        if date.is_none() {
            self.member_problem(
                py,
                subscriber,
                "DMG02 is not a date (CCYYMMDD)",
                pos,
                "DMG",
                2,
                "claim-value",
            )?;
        }
        let m = if subscriber {
            &mut self.subscriber
        } else {
            &mut self.patient
        };
        m.as_mut()
            .expect("a member state has its member")
            .demographics = Some((date, el(els, 3).to_vec()));
        Ok(())
    }

    // envelopes ------------------------------------------------------------------------------

    fn end_interchange(&mut self, py: Python<'_>, els: &[&[u8]], pos: u64) -> PyResult<()> {
        if self.isa.is_none() || self.gs.is_some() {
            return Err(fatal(
                py,
                "IEA outside an interchange or before GE",
                "IEA",
                pos,
                None,
                "envelope-nesting",
            ));
        }
        if el(els, 1) != self.groups.to_string().as_bytes() {
            self.error(
                py,
                "IEA01 does not count the interchange's functional groups",
                "iea01-count",
                "IEA",
                pos,
                Some(1),
            )?;
        }
        let isa13 = self
            .isa
            .as_ref()
            .and_then(|i| i.get(13))
            .map(Vec::as_slice)
            .unwrap_or(b"");
        if el(els, 2) != isa13 {
            self.error(
                py,
                "IEA02 does not match ISA13",
                "iea02-mismatch",
                "IEA",
                pos,
                Some(2),
            )?;
        }
        self.isa = None;
        Ok(())
    }

    fn version_ok(&self, version: &[u8]) -> bool {
        version == VERSION || (self.lenient && OTHER_VERSIONS.contains(&version))
    }

    fn start_group(&mut self, py: Python<'_>, els: &[&[u8]], pos: u64) -> PyResult<()> {
        if self.isa.is_none() || self.gs.is_some() || self.st != St::Outside {
            return Err(fatal(
                py,
                "GS outside an interchange, or before the previous GE or SE",
                "GS",
                pos,
                None,
                "envelope-nesting",
            ));
        }
        if el(els, 1) != b"HC" {
            return Err(fatal(
                py,
                "GS01 must be HC: this functional group holds no health care claims",
                "GS",
                pos,
                Some(1),
                "group-not-supported",
            ));
        }
        let version = el(els, 8);
        if !self.version_ok(version) {
            let hint = if OTHER_VERSIONS.contains(&version) {
                LENIENT_HINT
            } else {
                ""
            };
            let m = format!("GS08 must be 005010X222A1 (837 professional){hint}");
            return Err(fatal(
                py,
                &m,
                "GS",
                pos,
                Some(8),
                "group-version-not-supported",
            ));
        }
        self.gs = Some(owned(els));
        self.sets = 0;
        Ok(())
    }

    fn end_group(&mut self, py: Python<'_>, els: &[&[u8]], pos: u64) -> PyResult<()> {
        if self.gs.is_none() || self.st != St::Outside {
            return Err(fatal(
                py,
                "GE outside a functional group or before SE",
                "GE",
                pos,
                None,
                "envelope-nesting",
            ));
        }
        if el(els, 1) != self.sets.to_string().as_bytes() {
            self.error(
                py,
                "GE01 does not count the group's transaction sets",
                "ge01-count",
                "GE",
                pos,
                Some(1),
            )?;
        }
        let gs06 = self
            .gs
            .as_ref()
            .and_then(|g| g.get(6))
            .map(Vec::as_slice)
            .unwrap_or(b"");
        if el(els, 2) != gs06 {
            self.error(
                py,
                "GE02 does not match GS06",
                "ge02-mismatch",
                "GE",
                pos,
                Some(2),
            )?;
        }
        self.gs = None;
        self.groups += 1;
        Ok(())
    }

    fn start_transaction(&mut self, py: Python<'_>, els: &[&[u8]], pos: u64) -> PyResult<()> {
        if self.gs.is_none() || self.st != St::Outside {
            return Err(fatal(
                py,
                "ST outside a functional group or before the previous SE",
                "ST",
                pos,
                None,
                "envelope-nesting",
            ));
        }
        if el(els, 1) != b"837" {
            return Err(fatal(
                py,
                "ST01 must be 837",
                "ST",
                pos,
                Some(1),
                "transaction-not-supported",
            ));
        }
        let gs08 = self
            .gs
            .as_ref()
            .and_then(|g| g.get(8))
            .cloned()
            .unwrap_or_default();
        let version = if el(els, 3).is_empty() {
            gs08.as_slice()
        } else {
            el(els, 3)
        };
        if !self.version_ok(version) {
            let hint = if OTHER_VERSIONS.contains(&version) {
                LENIENT_HINT
            } else {
                ""
            };
            let m = format!("ST03 must be 005010X222A1 (837 professional){hint}");
            return Err(fatal(
                py,
                &m,
                "ST",
                pos,
                Some(3),
                "group-version-not-supported",
            ));
        }
        self.guide_deviation =
            (version != VERSION).then(|| format!("guide-{}", String::from_utf8_lossy(version)));
        self.stx = Some(owned(els));
        self.st_position = pos;
        self.bht = Vec::new();
        self.submitter = None;
        self.submitter_per = None;
        self.receiver = None;
        self.header_made = false;
        self.push(py, py.None().into_bound(py))?; // no header until this set's is read
        self.billing = None;
        self.subscriber = None;
        self.patient = None;
        self.unusable_hl = None;
        self.st = St::Header;
        Ok(())
    }

    fn end_transaction(&mut self, py: Python<'_>, els: &[&[u8]], pos: u64) -> PyResult<()> {
        if self.st == St::Outside || self.stx.is_none() {
            return Err(fatal(
                py,
                "SE without ST",
                "SE",
                pos,
                None,
                "envelope-nesting",
            ));
        }
        if self.st == St::Header && !self.header_made {
            self.make_header(py, pos)?;
        }
        if el(els, 1) != (pos - self.st_position + 1).to_string().as_bytes() {
            self.error(
                py,
                "SE01 does not count the transaction set's segments",
                "se01-count",
                "SE",
                pos,
                Some(1),
            )?;
        }
        let st02 = self
            .stx
            .as_ref()
            .and_then(|s| s.get(2))
            .map(Vec::as_slice)
            .unwrap_or(b"");
        if el(els, 2) != st02 {
            self.error(
                py,
                "SE02 does not match ST02",
                "se02-mismatch",
                "SE",
                pos,
                Some(2),
            )?;
        }
        self.stx = None;
        self.sets += 1;
        self.transactions += 1;
        self.billing = None;
        self.subscriber = None;
        self.patient = None;
        self.st = St::Outside;
        Ok(())
    }

    /// The header of the set, built by the Python face: its errors, then the header, as events.
    fn make_header(&mut self, py: Python<'_>, pos: u64) -> PyResult<()> {
        let none = || py.None().into_bound(py);
        let list = |els: &Option<Vec<B>>| -> PyResult<Bound<'_, PyAny>> {
            Ok(match els {
                Some(e) => strs(py, e)?.into_any(),
                None => none(),
            })
        };
        let args = (
            list(&self.isa)?,
            list(&self.gs)?,
            list(&self.stx)?,
            strs(py, &self.bht)?,
            list(&self.submitter)?,
            list(&self.submitter_per)?,
            list(&self.receiver)?,
            self.st_position,
            pos,
        );
        let made = self.hooks.header.bind(py).call1(args)?;
        let (header, errors): (Bound<'_, PyAny>, Bound<'_, PyList>) = made.extract()?;
        for e in errors.iter() {
            self.push(py, e)?;
        }
        self.push(py, header)?;
        self.header_made = true;
        Ok(())
    }

    fn start_hl(&mut self, py: Python<'_>, els: &[&[u8]], pos: u64) -> PyResult<()> {
        if self.st == St::Outside {
            return Err(fatal(
                py,
                "HL outside a transaction set",
                "HL",
                pos,
                None,
                "envelope-nesting",
            ));
        }
        if !self.header_made {
            self.make_header(py, pos)?;
        }
        let (hl_id, parent, level) = (el(els, 1), el(els, 2), el(els, 3));
        self.unusable_hl = None;
        match level {
            b"20" => {
                let problem = if parent.is_empty() {
                    None
                } else {
                    Some(self.not_read(
                        py,
                        "the billing provider HL (20) has a parent (HL02)",
                        pos,
                        Some("HL"),
                        Some(2),
                        None,
                        "hl-structure",
                    )?)
                };
                self.billing = Some(Billing {
                    hl_id: hl_id.to_vec(),
                    position: pos,
                    nm1: None,
                    taxonomy: None,
                    tax_id: None,
                    address: None,
                    problem,
                    built: HashMap::new(),
                });
                self.subscriber = None;
                self.patient = None;
                self.st = St::Billing;
            }
            b"22" => {
                let mut m = Member::new(hl_id, pos);
                if self
                    .billing
                    .as_ref()
                    .is_none_or(|b| parent != b.hl_id.as_slice())
                {
                    m.problem = Some(self.not_read(
                        py,
                        "HL02 of the subscriber HL (22) is not the billing provider HL above it",
                        pos,
                        Some("HL"),
                        Some(2),
                        None,
                        "hl-structure",
                    )?);
                }
                self.subscriber = Some(m);
                self.patient = None;
                self.st = St::Subscriber;
            }
            b"23" => {
                let mut m = Member::new(hl_id, pos);
                if self
                    .subscriber
                    .as_ref()
                    .is_none_or(|s| parent != s.hl_id.as_slice())
                {
                    m.problem = Some(self.not_read(
                        py,
                        "HL02 of the patient HL (23) is not the subscriber HL above it",
                        pos,
                        Some("HL"),
                        Some(2),
                        None,
                        "hl-structure",
                    )?);
                }
                self.patient = Some(m);
                self.st = St::Patient;
            }
            _ => {
                self.unusable_hl = Some(self.not_read(
                    py,
                    "HL03 must be 20, 22 or 23 in an 837P",
                    pos,
                    Some("HL"),
                    Some(3),
                    None,
                    "hl-structure",
                )?);
                self.st = St::UnusableHl;
            }
        }
        Ok(())
    }

    // building the models ----------------------------------------------------------------------

    fn finish_claim(&mut self, py: Python<'_>) -> PyResult<()> {
        let Some(mut rec) = self.claim.take() else {
            return Ok(());
        };
        self.line = false;
        match self.build(py, &mut rec) {
            Ok(claim) => {
                let mut extra: Vec<String> = self.guide_deviation.iter().cloned().collect();
                extra.extend(rec.deviations.iter().cloned());
                if !extra.is_empty() {
                    // the model computes its own deviations; these it cannot see
                    let name = intern!(py, "deviations");
                    let own = claim.getattr(name)?;
                    let all = own.add(PyTuple::new(py, extra)?)?;
                    claim
                        .getattr(intern!(py, "__dict__"))?
                        .set_item(name, all)?;
                }
                self.push(py, claim)
            }
            Err(Fail::NotRead(nr)) => {
                let e =
                    self.hooks
                        .claim_not_read
                        .bind(py)
                        .call1((nr, rec.ordinal, rec.position))?;
                self.push(py, e)
            }
            Err(Fail::Py(e)) => Err(e),
        }
    }

    fn address_dict<'py>(
        &mut self,
        py: Python<'py>,
        a: &AddressRead,
    ) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        if let Some((line1, line2)) = &a.n3 {
            d.set_item(intern!(py, "line1"), self.text(py, line1))?;
            d.set_item(intern!(py, "line2"), self.opt_text(py, line2))?;
        }
        if let Some((city, state, zip)) = &a.n4 {
            d.set_item(intern!(py, "city"), self.text(py, city))?;
            d.set_item(intern!(py, "state"), self.text(py, state))?;
            d.set_item(intern!(py, "zip"), self.text(py, zip))?;
        }
        Ok(d)
    }

    /// The Address pydantic would build unchanged, built unchecked; None when pydantic must decide.
    fn fast_address<'py>(
        &mut self,
        py: Python<'py>,
        a: &AddressRead,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let (Some((line1, line2)), Some((city, state, zip))) = (&a.n3, &a.n4) else {
            return Ok(None);
        };
        let ok = text_ok(line1, 1, 55)
            && line2.as_ref().is_none_or(|l| text_ok(l, 1, 55))
            && text_ok(city, 2, 30)
            && state.len() == 2
            && state.iter().all(u8::is_ascii_uppercase)
            && (zip.len() == 5 || zip.len() == 9)
            && digits(zip);
        if !ok {
            return Ok(None);
        }
        let d = self.address_dict(py, a)?;
        Ok(Some(self.models.build(py, ADDRESS, &d)?))
    }

    fn validate(
        &self,
        py: Python<'_>,
        kind: usize,
        values: &Bound<'_, PyDict>,
        position: u64,
        what: &str,
    ) -> PyResult<Built> {
        Built::from_hook(
            self.hooks
                .validate
                .bind(py)
                .call1((kind, values, position, what))?,
        )
    }

    fn member_dict<'py>(&mut self, py: Python<'py>, m: &Member) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        if let Some(r) = &m.responsibility {
            d.set_item(intern!(py, "payer_responsibility"), self.text(py, r))?;
        }
        if let Some(r) = &m.relationship {
            d.set_item(intern!(py, "relationship"), self.text(py, r))?;
        }
        if let Some((last, first)) = &m.name {
            d.set_item(intern!(py, "last_name"), self.text(py, last))?;
            d.set_item(intern!(py, "first_name"), self.opt_text(py, first))?;
        }
        if let Some(id) = &m.member_id {
            d.set_item(intern!(py, "member_id"), self.text(py, id))?;
        }
        if let Some(a) = &m.address {
            d.set_item(intern!(py, "address"), self.address_dict(py, a)?)?;
        }
        if let Some((birth, sex)) = &m.demographics {
            let b = match birth {
                Some(day) => self.date(py, *day)?,
                None => py.None().into_bound(py),
            };
            d.set_item(intern!(py, "birth_date"), b)?;
            d.set_item(intern!(py, "sex"), self.text(py, sex))?;
        }
        Ok(d)
    }

    /// The Subscriber or Patient pydantic would build unchanged, built unchecked; None when
    /// pydantic must decide (it then also says what is wrong).
    fn fast_member<'py>(
        &mut self,
        py: Python<'py>,
        m: &Member,
        patient: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some((last, first)) = &m.name else {
            return Ok(None);
        };
        if !text_ok(last, 1, 60) || first.as_ref().is_some_and(|f| !text_ok(f, 1, 35)) {
            return Ok(None);
        }
        if let Some((birth, sex)) = &m.demographics {
            if birth.is_none() || !matches!(sex.as_slice(), b"M" | b"F" | b"U") {
                return Ok(None);
            }
        }
        let address = match &m.address {
            Some(a) => match self.fast_address(py, a)? {
                Some(model) => Some(model),
                None => return Ok(None),
            },
            None => None,
        };
        let d = PyDict::new(py);
        d.set_item(intern!(py, "last_name"), self.text(py, last))?;
        d.set_item(intern!(py, "first_name"), self.opt_text(py, first))?;
        let (birth, sex) = match &m.demographics {
            Some((Some(day), sex)) => (self.date(py, *day)?, self.text(py, sex)),
            _ => (py.None().into_bound(py), py.None().into_bound(py)),
        };
        d.set_item(intern!(py, "birth_date"), birth)?;
        d.set_item(intern!(py, "sex"), sex)?;
        d.set_item(intern!(py, "address"), address.clone())?;
        if patient {
            let relationship = m.relationship.as_deref().unwrap_or(b"");
            let known = matches!(
                relationship,
                b"01" | b"19" | b"20" | b"21" | b"39" | b"40" | b"53" | b"G8"
            );
            if m.demographics.is_none() || address.is_none() || !known {
                return Ok(None);
            }
            d.set_item(intern!(py, "relationship"), self.text(py, relationship))?;
            return Ok(Some(self.models.build(py, PATIENT, &d)?));
        }
        let (Some(id), Some(r)) = (&m.member_id, &m.responsibility) else {
            return Ok(None);
        };
        if !(text_ok(id, 2, 80) && r.len() == 1 && b"ABCDEFGHPSTU".contains(&r[0])) {
            return Ok(None);
        }
        d.set_item(intern!(py, "member_id"), self.text(py, id))?;
        d.set_item(intern!(py, "payer_responsibility"), self.text(py, r))?;
        Ok(Some(self.models.build(py, SUBSCRIBER, &d)?))
    }

    fn member_model(&mut self, py: Python<'_>, m: &mut Member, patient: bool) -> R<(Obj, bool)> {
        if let Some(p) = &m.problem {
            return Err(Fail::NotRead(p.clone_ref(py)));
        }
        if !patient && m.responsibility.is_none() {
            let nr = self.not_read(
                py,
                "the subscriber HL (22) has no SBR",
                m.position,
                Some("SBR"),
                None,
                None,
                "segment-missing",
            )?;
            m.problem = Some(nr.clone_ref(py));
            return Err(Fail::NotRead(nr));
        }
        if m.built.is_none() {
            m.built = Some(match self.fast_member(py, m, patient)? {
                Some(model) => Built::Ok(model.unbind(), true),
                None => {
                    let what = if patient {
                        "patient (2010CA)"
                    } else {
                        "subscriber (2010BA)"
                    };
                    let values = self.member_dict(py, m)?;
                    let kind = if patient { V_PATIENT } else { V_SUBSCRIBER };
                    self.validate(
                        py,
                        kind,
                        &values,
                        m.position,
                        &format!("{what}, HL at segment #{}", m.position),
                    )?
                }
            });
        }
        m.built.as_ref().expect("just built").get(py)
    }

    fn billing_model(
        &mut self,
        py: Python<'_>,
        secondary: &Option<(B, B)>,
        position: u64,
    ) -> R<(Obj, bool)> {
        let Some(mut b) = self.billing.take() else {
            let nr = self.not_read(
                py,
                "no billing provider HL (20) above the claim",
                position,
                Some("HL"),
                None,
                None,
                "hl-structure",
            )?;
            return Err(Fail::NotRead(nr));
        };
        let result = self.billing_built(py, &mut b, secondary);
        self.billing = Some(b);
        result
    }

    fn billing_built(
        &mut self,
        py: Python<'_>,
        b: &mut Billing,
        secondary: &Option<(B, B)>,
    ) -> R<(Obj, bool)> {
        if let Some(p) = &b.problem {
            return Err(Fail::NotRead(p.clone_ref(py)));
        }
        if let Some(built) = b.built.get(secondary) {
            return built.get(py);
        }
        let d = PyDict::new(py);
        if let Some((entity, name, first, npi)) = &b.nm1 {
            d.set_item(intern!(py, "entity_type"), self.text(py, entity))?;
            d.set_item(intern!(py, "name"), self.text(py, name))?;
            d.set_item(intern!(py, "first_name"), self.opt_text(py, first))?;
            d.set_item(intern!(py, "npi"), self.opt_text(py, npi))?;
        }
        if let Some(t) = &b.taxonomy {
            d.set_item(intern!(py, "taxonomy"), self.opt_text(py, t))?;
        }
        if let Some((id, qualifier)) = &b.tax_id {
            d.set_item(intern!(py, "tax_id"), self.text(py, id))?;
            d.set_item(intern!(py, "tax_id_qualifier"), self.text(py, qualifier))?;
        }
        if let Some(a) = &b.address {
            d.set_item(intern!(py, "address"), self.address_dict(py, a)?)?;
        }
        if let Some((value, qualifier)) = secondary {
            d.set_item(intern!(py, "payer_assigned_id"), self.text(py, value))?;
            d.set_item(
                intern!(py, "payer_assigned_id_qualifier"),
                self.text(py, qualifier),
            )?;
        }
        let what = format!("billing provider (2010AA, HL at segment #{})", b.position);
        let built = self.validate(py, V_BILLING, &d, b.position, &what)?;
        let out = built.get(py);
        cache_put(&mut b.built, 64, secondary.clone(), built);
        out
    }

    fn payer_model(&mut self, py: Python<'_>, m: &Member) -> R<(Obj, bool)> {
        let key = (m.filing.clone(), m.payer.clone());
        if let Some(built) = self.payers.get(&key) {
            return built.get(py);
        }
        let d = PyDict::new(py);
        let filing_first = m.payer.as_ref().is_none_or(|p| p.3);
        if filing_first {
            if let Some(f) = &m.filing {
                d.set_item(intern!(py, "claim_filing_indicator"), self.text(py, f))?;
            }
        }
        if let Some((name, qualifier, id, _)) = &m.payer {
            d.set_item(intern!(py, "name"), self.text(py, name))?;
            d.set_item(intern!(py, "payer_id_qualifier"), self.text(py, qualifier))?;
            d.set_item(intern!(py, "payer_id"), self.text(py, id))?;
        }
        if !filing_first {
            if let Some(f) = &m.filing {
                d.set_item(intern!(py, "claim_filing_indicator"), self.text(py, f))?;
            }
        }
        let what = format!("payer (2010BB, HL at segment #{})", m.position);
        let built = self.validate(py, V_PAYER, &d, m.position, &what)?;
        let out = built.get(py);
        cache_put(&mut self.payers, 1024, key, built);
        out
    }

    fn parties(&mut self, py: Python<'_>) -> R<Rc<Result<Parties, Obj>>> {
        let on_patient = self.patient.is_some();
        let cached = if on_patient {
            &self.patient
        } else {
            &self.subscriber
        };
        if let Some(p) = cached.as_ref().and_then(|m| m.parties.clone()) {
            return Ok(p);
        }
        let mut sub = self.subscriber.take();
        let mut pat = self.patient.take();
        let result = self.build_parties(py, sub.as_mut(), pat.as_mut());
        self.subscriber = sub;
        self.patient = pat;
        let parties = Rc::new(match result {
            Ok(p) => Ok(p),
            Err(Fail::NotRead(nr)) => Err(nr),
            Err(Fail::Py(e)) => return Err(Fail::Py(e)),
        });
        let owner = if on_patient {
            &mut self.patient
        } else {
            &mut self.subscriber
        };
        if let Some(m) = owner.as_mut() {
            m.parties = Some(parties.clone());
        }
        Ok(parties)
    }

    fn build_parties(
        &mut self,
        py: Python<'_>,
        sub: Option<&mut Member>,
        pat: Option<&mut Member>,
    ) -> R<Parties> {
        let Some(sub) = sub else {
            let position = self.claim_position();
            let nr = self.not_read(
                py,
                "CLM before any subscriber HL (22)",
                position,
                Some("CLM"),
                None,
                None,
                "hl-structure",
            )?;
            return Err(Fail::NotRead(nr));
        };
        let (subscriber, mut clean) = self.member_model(py, sub, false)?;
        let (billing, ok) = self.billing_model(py, &sub.secondary_id.clone(), sub.position)?;
        clean &= ok;
        let (payer, ok) = self.payer_model(py, sub)?;
        clean &= ok;
        let mut patient = None;
        if let Some(p) = pat {
            let (model, ok) = self.member_model(py, p, true)?;
            clean &= ok;
            patient = Some(model);
        }
        // the subscriber who is the patient needs N3/N4 and DMG: else pydantic says so
        if clean && patient.is_none() {
            let s = subscriber.bind(py);
            clean = !s.getattr(intern!(py, "address"))?.is_none()
                && !s.getattr(intern!(py, "birth_date"))?.is_none();
        }
        Ok(Parties {
            billing,
            subscriber,
            payer,
            patient,
            clean,
        })
    }

    fn claim_position(&self) -> u64 {
        self.claim.as_ref().map_or(self.position, |c| c.position)
    }

    fn rendering_model(
        &mut self,
        py: Python<'_>,
        raw: &RawRendering,
        position: u64,
        what: &str,
    ) -> R<(Option<Obj>, bool, Vec<String>)> {
        if !self.renderers.contains_key(raw) {
            let sep = [raw.sep];
            let args = (
                latin1(py, &raw.nm1),
                raw.prv.as_ref().map(|p| latin1(py, p)),
                raw.reference.as_ref().map(|r| latin1(py, r)),
                latin1(py, &sep),
                position,
                what,
            );
            let made = self.hooks.rendering.bind(py).call1(args)?;
            let (built, deviations): (Bound<'_, PyAny>, Vec<String>) = made.extract()?;
            let built = Built::from_hook(built)?;
            if self.renderers.len() >= 1024 {
                self.renderers.clear();
            }
            self.renderers.insert(raw.clone(), (built, deviations));
        }
        let (built, deviations) = self.renderers.get(raw).expect("just put");
        let (model, ok) = built.get(py)?;
        let model = if model.is_none(py) { None } else { Some(model) };
        Ok((model, ok, if ok { Vec::new() } else { deviations.clone() }))
    }

    fn build<'py>(&mut self, py: Python<'py>, rec: &mut ClaimRead) -> R<Bound<'py, PyAny>> {
        if let Some(p) = &rec.problem {
            return Err(Fail::NotRead(p.clone_ref(py)));
        }
        let position = rec.position;
        let parties = self.parties(py)?;
        let parties = match &*parties {
            Ok(p) => p,
            Err(nr) => return Err(Fail::NotRead(nr.clone_ref(py))),
        };
        let mut clean = parties.clean;
        let mut rendering: Option<Obj> = None;
        if let Some(raw) = rec.rendering.clone() {
            let (model, ok, deviations) =
                self.rendering_model(py, &raw, position, "rendering provider (2310B)")?;
            rendering = model;
            clean &= ok;
            rec.deviations.extend(deviations);
        }
        let Some(hi) = rec.hi.clone() else {
            let nr = self.not_read(
                py,
                "the diagnosis HI (ABK or BK) is missing",
                position,
                Some("HI"),
                None,
                None,
                "segment-missing",
            )?;
            return Err(Fail::NotRead(nr));
        };
        let Hi::Diagnoses {
            qualifier,
            codes,
            count,
            clean: hi_clean,
        } = &*hi
        else {
            unreachable!("only diagnoses are kept");
        };
        if rec.awaiting_sv1 {
            let at = rec.line_positions.last().copied().unwrap_or(position);
            let nr = self.not_read(
                py,
                "a service line (LX) without SV1",
                at,
                Some("LX"),
                None,
                None,
                "segment-missing",
            )?;
            return Err(Fail::NotRead(nr));
        }
        if rec.lines.is_empty() {
            let nr = self.not_read(
                py,
                "the claim has no service line (LX/SV1)",
                position,
                Some("LX"),
                None,
                None,
                "segment-missing",
            )?;
            return Err(Fail::NotRead(nr));
        }
        if rec.dated != rec.lines.len() {
            let k = rec.lines.iter().position(|l| !l.dated).unwrap_or(0);
            let m = format!("line {}: DTP*472 (service date) is missing", k + 1);
            let nr = self.not_read(
                py,
                &m,
                rec.line_positions[k],
                Some("LX"),
                None,
                None,
                "segment-missing",
            )?;
            return Err(Fail::NotRead(nr));
        }
        for (k, raw) in rec.line_renderings.clone() {
            let what = format!("line {} rendering provider (2420A)", k + 1);
            let (model, ok, deviations) =
                self.rendering_model(py, &raw, rec.line_positions[k], &what)?;
            for d in deviations {
                if !rec.deviations.contains(&d) {
                    rec.deviations.push(d);
                }
            }
            // sent only when it differs from 2310B: else it is 2310B
            let differs = match (&model, &rendering) {
                (None, None) => false,
                (Some(a), Some(b)) => a.bind(py).ne(b.bind(py))?,
                _ => true,
            };
            if differs {
                let value = model.as_ref().map(|m| m.bind(py).clone());
                rec.lines[k]
                    .fields
                    .bind(py)
                    .set_item(intern!(py, "rendering_provider"), value)?;
                clean &= ok;
            }
        }
        let (mut pickup, mut dropoff) = (None, None);
        if !rec.locations.is_empty() {
            let (p, d, ok) = self.locations(py, rec)?;
            pickup = p;
            dropoff = d;
            clean &= ok;
        }
        let tail = rec.tail.clone();
        let Some(total) = &tail.total else {
            let nr = self.not_read(
                py,
                "CLM02 (total charge) is not a number",
                position,
                Some("CLM"),
                Some(2),
                None,
                "claim-value",
            )?;
            return Err(Fail::NotRead(nr));
        };
        if !tail.facility_b {
            let nr = self.not_read(
                py,
                "CLM05-2 must be B (place of service codes)",
                position,
                Some("CLM"),
                Some(5),
                Some(2),
                "claim-value",
            )?;
            return Err(Fail::NotRead(nr));
        }
        let text_50 = |v: &Option<B>| v.as_ref().is_none_or(|v| text_ok(v, 1, 50));
        let numbers_ok = text_ok(&rec.claim_id, 1, MAX_CLAIM_ID)
            && rec
                .numbers
                .iter()
                .all(|n| text_ok(n, 1, MAX_LINE_CONTROL_NUMBER))
            && (1..rec.numbers.len()).all(|i| !rec.numbers[..i].contains(&rec.numbers[i]))
            && !rec.numbers.contains(&rec.claim_id);
        let fast = clean
            && *hi_clean
            && rec.clean
            && tail.fast
            && tail.cents == Some(rec.total)
            && (tail.frequency == b"1") == rec.payer_claim_number.is_none()
            && rec.top_pointer <= *count as i64
            && text_50(&rec.prior_authorization)
            && text_50(&rec.payer_claim_number)
            && numbers_ok;
        let fields = if fast {
            self.models.values(py, CLAIM)?
        } else {
            PyDict::new(py)
        };
        fields.set_item(intern!(py, "claim_id"), latin1(py, &rec.claim_id))?;
        fields.set_item(intern!(py, "frequency"), self.text(py, &tail.frequency))?;
        let pcn = self.opt_text(py, &rec.payer_claim_number);
        fields.set_item(intern!(py, "payer_claim_number"), pcn)?;
        fields.set_item(intern!(py, "place_of_service"), self.text(py, &tail.place))?;
        fields.set_item(intern!(py, "diagnosis_code_qualifier"), *qualifier)?;
        fields.set_item(intern!(py, "diagnoses"), codes.bind(py))?;
        let pa = self.opt_text(py, &rec.prior_authorization);
        fields.set_item(intern!(py, "prior_authorization"), pa)?;
        fields.set_item(intern!(py, "total_charge"), total.bind(py))?;
        if fast {
            let made: Vec<Bound<'_, PyAny>> = rec
                .lines
                .iter()
                .map(|l| self.models.build(py, SERVICE_LINE, l.fields.bind(py)))
                .collect::<PyResult<_>>()?;
            fields.set_item(intern!(py, "lines"), PyTuple::new(py, made)?)?;
        } else {
            let lines = PyList::new(py, rec.lines.iter().map(|l| l.fields.bind(py)))?;
            fields.set_item(intern!(py, "lines"), lines)?;
        }
        fields.set_item(intern!(py, "billing_provider"), parties.billing.bind(py))?;
        fields.set_item(intern!(py, "subscriber"), parties.subscriber.bind(py))?;
        fields.set_item(
            intern!(py, "patient"),
            parties.patient.as_ref().map(|p| p.bind(py)),
        )?;
        fields.set_item(intern!(py, "payer"), parties.payer.bind(py))?;
        fields.set_item(
            intern!(py, "rendering_provider"),
            rendering.as_ref().map(|r| r.bind(py)),
        )?;
        fields.set_item(intern!(py, "pickup"), pickup.as_ref())?;
        fields.set_item(intern!(py, "dropoff"), dropoff.as_ref())?;
        let names = [
            intern!(py, "provider_signature"),
            intern!(py, "assignment_participation"),
            intern!(py, "benefits_assignment"),
            intern!(py, "release_of_information"),
        ];
        for (name, value) in names.iter().zip(tail.indicators.iter()) {
            fields.set_item(name, self.text(py, value))?;
        }
        if fast {
            fields.set_item(intern!(py, "deviations"), PyTuple::empty(py))?;
            return Ok(self.models.build(py, CLAIM, &fields)?);
        }
        // Something unusual: pydantic decides, and says what is wrong.
        let made = self.hooks.claim.bind(py).call1((fields, position))?;
        if made.is_instance(self.hooks.not_read.bind(py))? {
            return Err(Fail::NotRead(made.unbind()));
        }
        Ok(made)
    }

    /// (claim pick-up, claim drop-off, clean), with each line's own set in its fields; a
    /// 2420G/H equal to the claim's 2310E/F is read as none (sent only when it differs).
    fn locations(
        &mut self,
        py: Python<'_>,
        rec: &mut ClaimRead,
    ) -> R<(Option<Obj>, Option<Obj>, bool)> {
        let mut found: Vec<(Option<usize>, [u8; 2], Obj)> = Vec::new();
        let mut clean = true;
        for loc in &rec.locations {
            let name = location_loop(&loc.qualifier, loc.line.is_some());
            let (Some(n3), Some(n4)) = (&loc.n3, &loc.n4) else {
                let missing = if loc.n3.is_none() { "N3" } else { "N4" };
                let m = format!("{name} location: {missing} is missing");
                let nr = self.not_read(
                    py,
                    &m,
                    loc.position,
                    Some("NM1"),
                    None,
                    None,
                    "segment-missing",
                )?;
                return Err(Fail::NotRead(nr));
            };
            let get = |els: &Vec<B>, i: usize| els.get(i).cloned().unwrap_or_default();
            let key = [get(n3, 1), get(n3, 2), get(n4, 1), get(n4, 2), get(n4, 3)];
            let built = match self.locations.get(&key) {
                Some((a, ok)) => (a.clone_ref(py), *ok),
                None => {
                    let a = AddressRead {
                        n3: Some((key[0].clone(), opt(&key[1]))),
                        n4: Some((key[2].clone(), key[3].clone(), key[4].clone())),
                    };
                    let built = match self.fast_address(py, &a)? {
                        Some(model) => (model.unbind(), true),
                        None => {
                            let values = self.address_dict(py, &a)?;
                            let what = format!("{name} location (N3/N4)");
                            self.validate(py, V_ADDRESS, &values, loc.position, &what)?
                                .get(py)?
                        }
                    };
                    cache_put(
                        &mut self.locations,
                        CACHE_LIMIT,
                        key,
                        (built.0.clone_ref(py), built.1),
                    );
                    built
                }
            };
            clean &= built.1;
            found.push((loc.line, loc.qualifier, built.0));
        }
        let claim_level = |q: &[u8; 2]| {
            found
                .iter()
                .find(|(l, fq, _)| l.is_none() && fq == q)
                .map(|(_, _, a)| a.clone_ref(py))
        };
        let (pickup, dropoff) = (claim_level(b"PW"), claim_level(b"45"));
        let dict = intern!(py, "__dict__");
        for (line, qualifier, address) in &found {
            let Some(k) = line else { continue };
            let level = if qualifier == b"PW" {
                &pickup
            } else {
                &dropoff
            };
            let differs = match level {
                None => true,
                Some(c) => address
                    .bind(py)
                    .getattr(dict)?
                    .ne(c.bind(py).getattr(dict)?)?,
            };
            if differs {
                let field = if qualifier == b"PW" {
                    intern!(py, "pickup")
                } else {
                    intern!(py, "dropoff")
                };
                rec.lines[*k]
                    .fields
                    .bind(py)
                    .set_item(field, address.bind(py))?;
            }
        }
        Ok((pickup, dropoff, clean))
    }
}

/// Reads an 837P stream fed in chunks into `Claim` models (see the module doc). `models`: the
/// specs of `sdohedi.models.build.model_specs` for Address, Subscriber, Patient, ServiceLine
/// and Claim; `hooks`: the Python face's `(not_read, validate, rendering, claim, header,
/// claim_not_read)`.
#[pyclass(module = "sdohedi._core", unsendable)]
pub struct Claims837PReader {
    tokenizer: core::Tokenizer,
    state: State,
    /// The error that finished the stream, raised by every later call.
    error: Option<PyErr>,
}

impl Claims837PReader {
    /// Runs a tokenizer step. Returns false when an error is kept for the next call: a
    /// segment's, when this call read a claim (else it is raised now), or the tokenizer's, when
    /// segments came before it.
    fn run(
        &mut self,
        py: Python<'_>,
        step: impl FnOnce(
            &mut core::Tokenizer,
            &mut dyn FnMut(core::Segment<'_>),
        ) -> Result<(), crate::problem::Problem>,
    ) -> PyResult<bool> {
        if let Some(e) = &self.error {
            return Err(e.clone_ref(py));
        }
        let before = self.state.events.bind(py).len();
        let mut failure: Option<PyErr> = None;
        let mut segments = 0usize;
        let state = &mut self.state;
        let result = step(&mut self.tokenizer, &mut |seg| {
            segments += 1;
            if failure.is_none() {
                if let Err(e) = state.segment(py, seg.bytes, &seg.delimiters) {
                    failure = Some(e);
                }
            }
        });
        let error = match (failure, result) {
            (Some(e), _) => e,
            // Segments came before the tokenizer's error in this call: they are read, and the
            // error is raised by the next call (as the tokenizer does).
            (None, Err(p)) if segments > 0 => {
                self.error = Some(raise(py, &p));
                return Ok(false);
            }
            (None, Err(p)) => raise(py, &p),
            (None, Ok(())) => return Ok(true),
        };
        self.error = Some(error.clone_ref(py));
        if self.claims_since(py, before)? {
            Ok(false)
        } else {
            Err(error)
        }
    }

    /// Whether a Claim is among the events from index `before` on.
    fn claims_since(&self, py: Python<'_>, before: usize) -> PyResult<bool> {
        let claim = py.import("sdohedi.models.claim")?.getattr("Claim")?;
        let events = self.state.events.bind(py);
        for k in before..events.len() {
            if events.get_item(k)?.get_type().is(&claim) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[pymethods]
impl Claims837PReader {
    #[new]
    #[pyo3(signature = (models, hooks, *, lenient = false))]
    fn new(
        py: Python<'_>,
        models: &Bound<'_, PyAny>,
        hooks: &Bound<'_, PyTuple>,
        lenient: bool,
    ) -> PyResult<Self> {
        let hook = |i: usize| -> PyResult<Obj> { Ok(hooks.get_item(i)?.unbind()) };
        Ok(Claims837PReader {
            // ids are checked by the readers of what they hold
            tokenizer: core::Tokenizer::new(false).join_lines(true),
            state: State {
                lenient,
                models: Models::new(models, &MODEL_NAMES)?,
                hooks: Hooks {
                    not_read: hook(0)?,
                    validate: hook(1)?,
                    rendering: hook(2)?,
                    claim: hook(3)?,
                    header: hook(4)?,
                    claim_not_read: hook(5)?,
                },
                events: PyList::empty(py).unbind(),
                short: ShortStrings::new(),
                position: 0,
                st: St::Outside,
                isa: None,
                gs: None,
                stx: None,
                st_position: 0,
                groups: 0,
                sets: 0,
                transactions: 0,
                bht: Vec::new(),
                submitter: None,
                submitter_per: None,
                receiver: None,
                header_made: false,
                guide_deviation: None,
                billing: None,
                subscriber: None,
                patient: None,
                claim: None,
                line: false,
                unusable_hl: None,
                claim_ordinal: 0,
                sv1s: FxHashMap::default(),
                dtps: FxHashMap::default(),
                his: FxHashMap::default(),
                tails: FxHashMap::default(),
                dates: FxHashMap::default(),
                payers: FxHashMap::default(),
                renderers: FxHashMap::default(),
                locations: FxHashMap::default(),
            },
            error: None,
        })
    }

    /// Read the segments `chunk` completes; what they complete goes to the events (see `take`).
    fn feed(&mut self, py: Python<'_>, chunk: &[u8]) -> PyResult<()> {
        self.run(py, |tok, sink| tok.feed(chunk, sink)).map(|_| ())
    }

    /// Read what is left and check that the stream ended where an interchange ends.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        let before = self.state.events.bind(py).len();
        if !self.run(py, |tok, sink| tok.close(sink))? {
            // the last call: an error kept for the next one is raised now, unless claims came first
            if self.claims_since(py, before)? {
                return Ok(());
            }
            return Err(self.error.as_ref().expect("kept").clone_ref(py));
        }
        let problem = if let Some(p) = self.tokenizer.failure() {
            Some(raise(py, p))
        } else if self.state.isa.is_some() {
            let at = self.state.position + 1;
            Some(fatal(
                py,
                "stream ends inside an interchange (no IEA)",
                "IEA",
                at,
                None,
                "truncated",
            ))
        } else {
            None
        };
        if let Some(e) = problem {
            self.error = Some(e.clone_ref(py));
            // claims completed by this call are handed over first; the next call raises
            if !self.claims_since(py, before)? {
                return Err(e);
            }
        }
        Ok(())
    }

    /// The events since the last call, in stream order: each `Claim`, each error, and each
    /// header change (an `InterchangeHeader`, or None from an ST until its header is read).
    fn take<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyList> {
        let events = std::mem::replace(&mut self.state.events, PyList::empty(py).unbind());
        events.into_bound(py)
    }

    /// Raise the error that finished the stream, if any.
    fn check(&self, py: Python<'_>) -> PyResult<()> {
        match &self.error {
            Some(e) => Err(e.clone_ref(py)),
            None => Ok(()),
        }
    }

    /// Transaction sets read to their SE.
    #[getter]
    fn transactions(&self) -> u64 {
        self.state.transactions
    }

    /// Segments read.
    #[getter]
    fn position(&self) -> u64 {
        self.state.position
    }
}
