//! `_core.Remit835Reader`: the 835 (005010X221A1) read by the core into the pydantic models of
//! `sdohedi.models.remit` (built by [`Models`] from the values read here, not validated again).
//!
//! Segments come from the core tokenizer; the state kept between them (the loop being read:
//! header, payer, payee, header number, claim, service line, footer) decides what a REF, DTM,
//! CAS or AMT belongs to, the same decisions, findings and errors as the models' contract in
//! `sdohedi.remit835.parser` (the former pure-Python parser is the differential tests' oracle
//! in `tests/remit835/oracle_parser.py`). A claim, a remittance or a claim's end is handed
//! over as soon as its loop ends, so memory is bounded by what the caller keeps.
//!
//! Findings are `sdohedi.problems.Problem` objects made by `problems.problem`; a stream that
//! cannot be read further raises `Remit835Error` (or the tokenizer's `X12SyntaxError`).

use std::collections::HashMap;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString};

use super::models::{new_list, Models};
use super::problem::raise;
use super::tokenizer::{latin1, ShortStrings};
use crate::codes::parse_day;
use crate::text;
use crate::tokenizer::{self as core, valid_id};

/// Amounts and dates repeat a lot; the caches are bounded so memory stays flat.
const CACHE_LIMIT: usize = 65_536;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ctx {
    Outside,
    Header,
    Payer,
    Payee,
    HeaderNumber,
    Claim,
    Service,
    Footer,
}

const KNOWN_SEGMENTS: &[&[u8]] = &[
    b"ISA", b"GS", b"ST", b"SE", b"GE", b"IEA", b"TA1", b"BPR", b"TRN", b"CUR", b"N1", b"N3",
    b"N4", b"PER", b"RDM", b"MOA", b"PLB", b"SVC", b"DTM", b"CAS", b"REF", b"AMT", b"QTY", b"LQ",
    b"CLP", b"NM1", b"LX", b"TS3", b"TS2", b"MIA",
];

fn nm1_field(code: &[u8]) -> Option<&'static str> {
    Some(match code {
        b"QC" => "patient",
        b"IL" => "insured",
        b"74" => "corrected_insured",
        b"82" => "rendering_provider",
        b"TT" => "crossover_carrier",
        b"PR" => "corrected_priority_payer",
        b"GB" => "other_subscriber",
        _ => return None,
    })
}

/// X12 'R': an optional minus, digits with an optional fraction (or a fraction alone); no
/// exponent, no '+'.
fn is_number(text: &[u8]) -> bool {
    let t = text.strip_prefix(b"-").unwrap_or(text);
    let (int, frac) = match t.iter().position(|&b| b == b'.') {
        Some(dot) => (&t[..dot], Some(&t[dot + 1..])),
        None => (t, None),
    };
    if !int.iter().all(u8::is_ascii_digit) {
        return false;
    }
    match frac {
        None => !int.is_empty(),
        Some(f) => f.iter().all(u8::is_ascii_digit) && (!int.is_empty() || !f.is_empty()),
    }
}

/// A count element (SE01, GE01, IEA01) equal to `count`.
fn count_matches(declared: &[u8], count: u64) -> bool {
    if declared.is_empty() || !declared.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let digits = {
        let first = declared.iter().position(|&b| b != b'0');
        first.map_or(&declared[..0], |i| &declared[i..])
    };
    digits.len() <= 19
        && std::str::from_utf8(digits).ok().map_or(Some(0), |s| {
            if s.is_empty() {
                Some(0)
            } else {
                s.parse::<u64>().ok()
            }
        }) == Some(count)
}

fn trim_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&c| c != b'0').unwrap_or(b.len());
    &b[i..]
}

fn split<'a>(text: &'a [u8], sep: &'a [u8]) -> Vec<&'a [u8]> {
    if sep.len() == 1 {
        return text.split(|&b| b == sep[0]).collect();
    }
    // ISA16 is one character in any ISA the tokenizer accepts; anything else splits nothing.
    vec![text]
}

fn first(bytes: &[u8], n: usize) -> String {
    text::latin1(&bytes[..bytes.len().min(n)])
}

struct Finding<'a> {
    severity: &'static str,
    rule: &'static str,
    message: &'a str,
    position: u64,
    segment: Option<&'a [u8]>,
    element: Option<usize>,
    envelope: bool,
}

/// Everything but the tokenizer, so the tokenizer's sink can borrow it.
struct State {
    streaming: bool,
    position: u64,
    short: ShortStrings,
    decimals: HashMap<Vec<u8>, Py<PyAny>>,
    dates: HashMap<[u8; 8], Py<PyAny>>,
    findings: Py<PyList>,
    // envelope
    isa: Option<Vec<Vec<u8>>>,
    isa13: Option<Py<PyString>>,
    isa_position: u64,
    groups: u64,
    gs: Option<Vec<Vec<u8>>>,
    gs06: Option<Py<PyString>>,
    transactions: u64,
    component: Vec<u8>,
    // transaction being read
    tx: Option<Py<PyDict>>,
    tx_position: u64,
    st02: Vec<u8>,
    st02_text: Option<Py<PyString>>,
    ctx: Ctx,
    party: Option<(bool, Py<PyDict>)>,
    claim: Option<Py<PyDict>>,
    service: Option<Py<PyDict>>,
    header_number: Option<Py<PyString>>,
    payment: Option<Py<PyDict>>,
    claim_count: u64,
    claims_paid: Option<Py<PyAny>>,
    claims_paid_unknown: u64,
    seen_bpr: bool,
    seen_trn: bool,
    /// The model classes the loops become (see [`Models`]); `payment_model` is `payment` built.
    models: Models,
    payment_model: Option<Py<PyAny>>,
}

/// The classes the Python face hands over (`sdohedi.remit835.parser.MODELS`), in this order.
const MODEL_NAMES: [&str; 20] = [
    "Remittance",
    "ClaimPayment",
    "RemittanceClaim",
    "RemittanceEnd",
    "Payer",
    "Payee",
    "Address",
    "Reference",
    "Contact",
    "Communication",
    "PartyName",
    "OutpatientAdjudication",
    "QualifiedDate",
    "QualifiedAmount",
    "QualifiedQuantity",
    "ServicePayment",
    "Adjustment",
    "ProviderAdjustment",
    "ProcedureId",
    "Remark",
];
const REMITTANCE: usize = 0;
const CLAIM_PAYMENT: usize = 1;
const REMITTANCE_CLAIM: usize = 2;
const REMITTANCE_END: usize = 3;
const PAYER: usize = 4;
const PAYEE: usize = 5;
const ADDRESS: usize = 6;
const REFERENCE: usize = 7;
const CONTACT: usize = 8;
const COMMUNICATION: usize = 9;
const PARTY_NAME: usize = 10;
const OUTPATIENT_ADJUDICATION: usize = 11;
const QUALIFIED_DATE: usize = 12;
const QUALIFIED_AMOUNT: usize = 13;
const QUALIFIED_QUANTITY: usize = 14;
const SERVICE_PAYMENT: usize = 15;
const ADJUSTMENT: usize = 16;
const PROVIDER_ADJUSTMENT: usize = 17;
const PROCEDURE_ID: usize = 18;
const REMARK: usize = 19;

fn problem_fn(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static F: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    F.import(py, "sdohedi.problems", "problem")
}

fn remit_error(
    py: Python<'_>,
    message: &str,
    rule: &str,
    segment: &str,
    position: u64,
    element: Option<usize>,
) -> PyErr {
    static CLS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let made = (|| -> PyResult<Bound<'_, PyAny>> {
        let cls = CLS.import(py, "sdohedi.remit835.errors", "Remit835Error")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("rule", rule)?;
        kwargs.set_item("segment", segment)?;
        kwargs.set_item("position", position)?;
        kwargs.set_item("element", element)?;
        cls.call((message,), Some(&kwargs))
    })();
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

fn envelope_element_missing(py: Python<'_>, segment: &str, position: u64, element: usize) -> PyErr {
    // Without GS06 or ST01/ST02 the envelope cannot be followed: what comes next is unreadable.
    remit_error(
        py,
        "a required envelope element is missing or empty",
        "element-missing",
        segment,
        position,
        Some(element),
    )
}

type Els<'a> = Vec<&'a [u8]>;

fn get<'a>(els: &Els<'a>, i: usize) -> &'a [u8] {
    els.get(i).copied().unwrap_or(b"")
}

/// A segment shorter than what its handler requires: skipped with a finding.
struct Short;

enum Stop {
    Short,
    Err(PyErr),
}

impl From<PyErr> for Stop {
    fn from(e: PyErr) -> Self {
        Stop::Err(e)
    }
}

impl From<Short> for Stop {
    fn from(_: Short) -> Self {
        Stop::Short
    }
}

type R = Result<(), Stop>;

fn need(els: &Els<'_>, n: usize) -> Result<(), Short> {
    if els.len() < n {
        Err(Short)
    } else {
        Ok(())
    }
}

impl State {
    fn new(py: Python<'_>, streaming: bool, models: Models) -> Self {
        State {
            models,
            payment_model: None,
            streaming,
            position: 0,
            short: ShortStrings::new(),
            decimals: HashMap::new(),
            dates: HashMap::new(),
            findings: PyList::empty(py).unbind(),
            isa: None,
            isa13: None,
            isa_position: 0,
            groups: 0,
            gs: None,
            gs06: None,
            transactions: 0,
            component: b":".to_vec(),
            tx: None,
            tx_position: 0,
            st02: Vec::new(),
            st02_text: None,
            ctx: Ctx::Outside,
            party: None,
            claim: None,
            service: None,
            header_number: None,
            payment: None,
            claim_count: 0,
            claims_paid: None,
            claims_paid_unknown: 0,
            seen_bpr: false,
            seen_trn: false,
        }
    }

    // values ---------------------------------------------------------------------------------

    fn text<'py>(&mut self, py: Python<'py>, b: &[u8]) -> Bound<'py, PyAny> {
        self.short.get(py, b).into_any()
    }

    /// The text, or None when empty (`els[i] or None`).
    fn opt<'py>(&mut self, py: Python<'py>, b: &[u8]) -> Bound<'py, PyAny> {
        if b.is_empty() {
            py.None().into_bound(py)
        } else {
            self.text(py, b)
        }
    }

    /// The amount, or None (with a finding) when it is missing or not a number.
    fn decimal<'py>(
        &mut self,
        py: Python<'py>,
        text: &[u8],
        pos: u64,
        segment: &[u8],
        element: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Some(v) = self.decimals.get(text) {
            return Ok(v.bind(py).clone());
        }
        if !is_number(text) {
            if text.is_empty() {
                self.missing(py, segment, pos, Some(element))?;
            } else {
                self.unreadable(
                    py,
                    "invalid-decimal",
                    "not a decimal number",
                    segment,
                    pos,
                    element,
                )?;
            }
            return Ok(py.None().into_bound(py));
        }
        static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let cls = DECIMAL.import(py, "decimal", "Decimal")?;
        // ASCII by is_number.
        let value = cls.call1((std::str::from_utf8(text).unwrap_or("0"),))?;
        if self.decimals.len() >= CACHE_LIMIT {
            self.decimals.clear();
        }
        self.decimals.insert(text.to_vec(), value.clone().unbind());
        Ok(value)
    }

    /// The date, or None (with a finding) when it is missing or not a CCYYMMDD date.
    fn date<'py>(
        &mut self,
        py: Python<'py>,
        text: &[u8],
        pos: u64,
        segment: &[u8],
        element: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key: Option<[u8; 8]> = text.try_into().ok();
        if let Some(k) = key {
            if let Some(v) = self.dates.get(&k) {
                return Ok(v.bind(py).clone());
            }
        }
        let none = py.None().into_bound(py);
        let Some(k) = key.filter(|k| k.iter().all(u8::is_ascii_digit)) else {
            if text.is_empty() {
                self.missing(py, segment, pos, Some(element))?;
            } else {
                self.unreadable(
                    py,
                    "invalid-date",
                    "not a date (CCYYMMDD)",
                    segment,
                    pos,
                    element,
                )?;
            }
            return Ok(none);
        };
        // A real day, year 1 to 9999 (Python's `date` range), as the code sets' dates are read.
        let Some(day) = parse_day(&k) else {
            self.unreadable(
                py,
                "invalid-date",
                "not a calendar date",
                segment,
                pos,
                element,
            )?;
            return Ok(none);
        };
        static DATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let (y, m, d) = (day / 10_000, day / 100 % 100, day % 100);
        let value = DATE.import(py, "datetime", "date")?.call1((y, m, d))?;
        if self.dates.len() >= CACHE_LIMIT {
            self.dates.clear();
        }
        self.dates.insert(k, value.clone().unbind());
        Ok(value)
    }

    fn optional_decimal<'py>(
        &mut self,
        py: Python<'py>,
        els: &Els<'_>,
        i: usize,
        pos: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        if i < els.len() && !els[i].is_empty() {
            self.decimal(py, els[i], pos, els[0], i)
        } else {
            Ok(py.None().into_bound(py))
        }
    }

    // findings -------------------------------------------------------------------------------

    fn finding(&mut self, py: Python<'_>, f: Finding<'_>) -> PyResult<()> {
        let kwargs = PyDict::new(py);
        kwargs.set_item(intern!(py, "severity"), f.severity)?;
        kwargs.set_item(intern!(py, "rule"), f.rule)?;
        kwargs.set_item(intern!(py, "message"), f.message)?;
        kwargs.set_item(intern!(py, "interchange"), self.isa13.as_ref())?;
        kwargs.set_item(intern!(py, "group"), self.gs06.as_ref())?;
        let transaction = self.tx.as_ref().and(self.st02_text.as_ref());
        kwargs.set_item(intern!(py, "transaction"), transaction)?;
        kwargs.set_item(intern!(py, "position"), f.position)?;
        kwargs.set_item(intern!(py, "segment"), f.segment.map(|s| latin1(py, s)))?;
        kwargs.set_item(intern!(py, "element"), f.element)?;
        let p = problem_fn(py)?.call((), Some(&kwargs))?;
        match &self.tx {
            Some(tx) if !f.envelope => tx
                .bind(py)
                .get_item(intern!(py, "findings"))?
                .expect("findings list")
                .cast_into::<PyList>()?
                .append(p),
            _ => self.findings.bind(py).append(p),
        }
    }

    fn missing(
        &mut self,
        py: Python<'_>,
        segment: &[u8],
        position: u64,
        element: Option<usize>,
    ) -> PyResult<()> {
        self.finding(
            py,
            Finding {
                severity: "error",
                rule: "element-missing",
                message: "a required element is missing or empty; read as empty",
                position,
                segment: Some(segment),
                element,
                envelope: false,
            },
        )
    }

    fn unreadable(
        &mut self,
        py: Python<'_>,
        rule: &'static str,
        message: &str,
        segment: &[u8],
        position: u64,
        element: usize,
    ) -> PyResult<()> {
        let message = format!("{message}; read as empty");
        self.finding(
            py,
            Finding {
                severity: "error",
                rule,
                message: &message,
                position,
                segment: Some(segment),
                element: Some(element),
                envelope: false,
            },
        )
    }

    fn warning(
        &mut self,
        py: Python<'_>,
        rule: &'static str,
        message: &str,
        pos: u64,
        segment: &[u8],
        element: Option<usize>,
    ) -> PyResult<()> {
        self.finding(
            py,
            Finding {
                severity: "warning",
                rule,
                message,
                position: pos,
                segment: Some(segment),
                element,
                envelope: false,
            },
        )
    }

    fn envelope_error(
        &mut self,
        py: Python<'_>,
        rule: &'static str,
        message: &str,
        pos: u64,
        segment: &[u8],
        element: usize,
    ) -> PyResult<()> {
        self.finding(
            py,
            Finding {
                severity: "error",
                rule,
                message,
                position: pos,
                segment: Some(segment),
                element: Some(element),
                envelope: true,
            },
        )
    }

    fn unexpected(&mut self, py: Python<'_>, sid: &[u8], pos: u64) -> PyResult<()> {
        if !valid_id(sid) {
            // The segment's bounds are sure (the terminator found it): skip it, not the file.
            return self.finding(
                py,
                Finding {
                    severity: "error",
                    rule: "segment-id",
                    message: "segment identifier must be 2-3 letters or digits; segment skipped",
                    position: pos,
                    segment: None,
                    element: None,
                    envelope: false,
                },
            );
        }
        // Allowed by the TR3, not kept by the models: read without a finding.
        let ignored = match sid {
            b"TS3" | b"TS2" => self.ctx == Ctx::HeaderNumber,
            b"MIA" | b"PER" => self.ctx == Ctx::Claim,
            _ => false,
        };
        if ignored {
            return Ok(());
        }
        let known = KNOWN_SEGMENTS.contains(&sid);
        let id = text::latin1(sid);
        let place = if self.tx.is_none() {
            "outside a transaction set"
        } else {
            "here"
        };
        let message = if known {
            format!("segment {id} is not expected {place}; skipped")
        } else {
            format!("unknown segment {id} is not expected {place}; skipped")
        };
        self.warning(
            py,
            if known {
                "segment-unexpected"
            } else {
                "segment-unknown"
            },
            &message,
            pos,
            sid,
            None,
        )
    }

    // the segments ---------------------------------------------------------------------------

    fn segment(
        &mut self,
        py: Python<'_>,
        bytes: &[u8],
        sep: u8,
        out: &Bound<'_, PyList>,
    ) -> PyResult<()> {
        self.position += 1;
        let pos = self.position;
        let els: Els<'_> = bytes.split(|&b| b == sep).collect();
        let sid = els[0];
        match self.dispatch(py, &els, pos, out) {
            Ok(()) => Ok(()),
            Err(Stop::Err(e)) => Err(e),
            Err(Stop::Short) => {
                // Every handler checks the elements it requires before it changes anything,
                // so a short segment is skipped with the state as it was before it.
                self.finding(
                    py,
                    Finding {
                        severity: "error",
                        rule: "element-missing",
                        message: "segment ends before a required element; segment skipped",
                        position: pos,
                        segment: valid_id(sid).then_some(sid),
                        element: None,
                        envelope: false,
                    },
                )
            }
        }
    }

    fn dispatch(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64, out: &Bound<'_, PyList>) -> R {
        let sid = els[0];
        match sid {
            b"CAS" => self.cas(py, els, pos)?,
            b"DTM" => self.dtm(py, els, pos)?,
            b"SVC" => self.svc(py, els, pos)?,
            b"REF" => self.reference(py, els, pos)?,
            b"AMT" => self.amt(py, els, pos)?,
            b"NM1" => self.nm1(py, els, pos)?,
            b"CLP" => self.clp(py, els, pos, out)?,
            b"LQ" => self.lq(py, els, pos)?,
            b"LX" => self.lx(py, els, pos, out)?,
            b"QTY" if matches!(self.ctx, Ctx::Service | Ctx::Claim) => self.qty(py, els, pos)?,
            b"ISA" => self.isa_segment(py, els, pos)?,
            b"GS" => self.gs_segment(py, els, pos)?,
            b"ST" => self.st_segment(py, els, pos)?,
            b"SE" => self.se_segment(py, els, pos, out)?,
            b"GE" => self.ge_segment(py, els, pos)?,
            b"IEA" => self.iea_segment(py, els, pos)?,
            b"TA1" => {
                if self.isa.is_none() || self.gs.is_some() {
                    self.unexpected(py, sid, pos)?;
                }
            }
            b"BPR" => self.bpr(py, els, pos)?,
            b"TRN" => self.trn(py, els, pos)?,
            b"CUR" => self.cur(py, els, pos)?,
            b"N1" => self.n1(py, els, pos)?,
            b"N3" => self.n3(py, els, pos)?,
            b"N4" => self.n4(py, els, pos)?,
            b"PER" => self.per(py, els, pos)?,
            b"RDM" => self.rdm(py, els, pos)?,
            b"MOA" => self.moa(py, els, pos)?,
            b"PLB" => self.plb(py, els, pos, out)?,
            _ => self.unexpected(py, sid, pos)?,
        }
        Ok(())
    }

    fn tx<'py>(&self, py: Python<'py>) -> &Bound<'py, PyDict> {
        self.tx.as_ref().expect("a transaction is open").bind(py)
    }

    fn list_of<'py>(
        d: &Bound<'py, PyDict>,
        key: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyList>> {
        Ok(d.get_item(key)?
            .expect("list field")
            .cast_into::<PyList>()?)
    }

    fn cas(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        let sid = els[0];
        let target = match (self.ctx, &self.service, &self.claim) {
            (Ctx::Service, Some(s), _) => s.bind(py).clone(),
            (Ctx::Claim, _, Some(c)) => c.bind(py).clone(),
            _ => return Ok(self.unexpected(py, sid, pos)?),
        };
        need(els, 2)?;
        let target = Self::list_of(&target, intern!(py, "adjustments"))?;
        let group = if els[1].is_empty() {
            self.missing(py, sid, pos, Some(1))?;
            py.None().into_bound(py)
        } else {
            self.text(py, els[1])
        };
        let n = els.len().max(4);
        let mut i = 2;
        while i < n {
            let reason = get(els, i);
            let amount_text = get(els, i + 1);
            let quantity_text = get(els, i + 2);
            let mut reason_obj = None;
            if reason.is_empty() || amount_text.is_empty() {
                if reason.is_empty() && amount_text.is_empty() && quantity_text.is_empty() {
                    if i == 2 {
                        // CAS02-03 are required
                        self.missing(py, sid, pos, Some(2))?;
                    }
                    i += 3;
                    continue;
                }
                if reason.is_empty() {
                    // an adjustment of unknown reason is still money
                    self.missing(py, sid, pos, Some(i))?;
                    reason_obj = Some(py.None().into_bound(py));
                }
            }
            let reason_obj = match reason_obj {
                Some(r) => r,
                None => self.text(py, reason),
            };
            let amount = self.decimal(py, amount_text, pos, sid, i + 1)?;
            let quantity = if quantity_text.is_empty() {
                py.None().into_bound(py)
            } else {
                self.decimal(py, quantity_text, pos, sid, i + 2)?
            };
            let a = self.models.values(py, ADJUSTMENT)?;
            a.set_item(intern!(py, "group"), &group)?;
            a.set_item(intern!(py, "reason"), reason_obj)?;
            a.set_item(intern!(py, "amount"), amount)?;
            a.set_item(intern!(py, "quantity"), quantity)?;
            a.set_item(intern!(py, "position"), pos)?;
            target.append(a)?;
            i += 3;
        }
        Ok(())
    }

    fn dtm(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        let sid = els[0];
        need(els, 3)?;
        let qualifier = els[1];
        let day = self.date(py, els[2], pos, sid, 2)?;
        match self.ctx {
            Ctx::Service => {
                let key = match qualifier {
                    b"472" => intern!(py, "service_date"),
                    b"150" => intern!(py, "service_start"),
                    b"151" => intern!(py, "service_end"),
                    _ => {
                        self.warning(
                            py,
                            "unexpected-qualifier",
                            "service DTM qualifier is not 472, 150 or 151; skipped",
                            pos,
                            sid,
                            Some(1),
                        )?;
                        return Ok(());
                    }
                };
                if let Some(s) = &self.service {
                    s.bind(py).set_item(key, day)?;
                }
            }
            Ctx::Claim => {
                if !day.is_none() {
                    let d = self.models.values(py, QUALIFIED_DATE)?;
                    d.set_item(intern!(py, "qualifier"), self.text(py, qualifier))?;
                    d.set_item(intern!(py, "date"), day)?;
                    if let Some(c) = &self.claim {
                        Self::list_of(c.bind(py), intern!(py, "dates"))?.append(d)?;
                    }
                }
            }
            Ctx::Header if qualifier == b"405" => {
                self.tx(py).set_item(intern!(py, "production_date"), day)?;
            }
            _ => self.unexpected(py, sid, pos)?,
        }
        Ok(())
    }

    fn procedure<'py>(
        &mut self,
        py: Python<'py>,
        text: &[u8],
        pos: u64,
        element: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let component = self.component.clone();
        let parts = split(text, &component);
        if parts.len() < 2 || parts[0].is_empty() || parts[1].is_empty() {
            self.missing(py, b"SVC", pos, Some(element))?;
            return Ok(py.None().into_bound(py));
        }
        let d = self.models.values(py, PROCEDURE_ID)?;
        d.set_item(intern!(py, "qualifier"), self.text(py, parts[0]))?;
        d.set_item(intern!(py, "code"), self.text(py, parts[1]))?;
        d.set_item(intern!(py, "modifiers"), self.modifiers(py, &parts)?)?;
        Ok(d.into_any())
    }

    /// Components 3..6 of a procedure composite that are not empty.
    fn modifiers<'py>(&mut self, py: Python<'py>, parts: &[&[u8]]) -> PyResult<Bound<'py, PyList>> {
        let list = new_list(py);
        for m in parts.iter().skip(2).take(4) {
            if !m.is_empty() {
                list.append(self.text(py, m))?;
            }
        }
        Ok(list)
    }

    fn svc(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        let sid = els[0];
        if self.ctx != Ctx::Service && self.ctx != Ctx::Claim {
            return Ok(self.unexpected(py, sid, pos)?);
        }
        let n = els.len();
        let component = self.component.clone();
        let parts = split(get(els, 1), &component);
        if parts.len() < 2 || parts[0].is_empty() || parts[1].is_empty() {
            self.missing(py, sid, pos, Some(1))?;
        }
        let charge = self.decimal(py, get(els, 2), pos, sid, 2)?;
        let paid = self.decimal(py, get(els, 3), pos, sid, 3)?;
        let s = self.models.values(py, SERVICE_PAYMENT)?;
        let none = py.None().into_bound(py);
        s.set_item(intern!(py, "qualifier"), self.opt(py, parts[0]))?;
        let code = parts
            .get(1)
            .map_or_else(|| none.clone(), |p| self.opt(py, p));
        s.set_item(intern!(py, "procedure_code"), code)?;
        s.set_item(intern!(py, "modifiers"), self.modifiers(py, &parts)?)?;
        s.set_item(intern!(py, "charge"), charge)?;
        s.set_item(intern!(py, "paid"), paid)?;
        let mut revenue = none.clone();
        let mut units = None;
        let mut original = none.clone();
        let mut original_units = none.clone();
        if n > 4 {
            revenue = self.opt(py, els[4]);
            if n > 5 && !els[5].is_empty() {
                units = Some(self.decimal(py, els[5], pos, sid, 5)?);
            }
            if n > 6 && !els[6].is_empty() {
                original = self.procedure(py, els[6], pos, 6)?;
            }
            if n > 7 && !els[7].is_empty() {
                original_units = self.decimal(py, els[7], pos, sid, 7)?;
            }
        }
        let units = match units {
            Some(u) => u,
            None => self.decimal(py, b"1", pos, sid, 5)?,
        };
        s.set_item(intern!(py, "revenue_code"), revenue)?;
        s.set_item(intern!(py, "units"), units)?;
        s.set_item(intern!(py, "original_procedure"), original)?;
        s.set_item(intern!(py, "original_units"), original_units)?;
        // Dates, REF*6R and AMT*B6: None in the template until their segments come.
        s.set_item(intern!(py, "position"), pos)?;
        if let Some(c) = &self.claim {
            Self::list_of(c.bind(py), intern!(py, "services"))?.append(&s)?;
        }
        self.service = Some(s.unbind());
        self.ctx = Ctx::Service;
        Ok(())
    }

    fn qualified<'py>(
        &mut self,
        py: Python<'py>,
        model: usize,
        key: &Bound<'py, PyString>,
        qualifier: &[u8],
        value: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let d = self.models.values(py, model)?;
        d.set_item(intern!(py, "qualifier"), self.text(py, qualifier))?;
        d.set_item(key, value)?;
        Ok(d)
    }

    fn reference(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        let sid = els[0];
        need(els, 3)?;
        let (qualifier, value) = (els[1], els[2]);
        if qualifier.is_empty() || value.is_empty() {
            // a REF without both says nothing
            self.missing(py, sid, pos, Some(if qualifier.is_empty() { 1 } else { 2 }))?;
            return Ok(());
        }
        let v = self.short.get(py, value).into_any();
        let target = match self.ctx {
            Ctx::Service => {
                let s = self.service.as_ref().expect("open line").bind(py).clone();
                if qualifier == b"6R" {
                    s.set_item(intern!(py, "line_control_number"), v)?;
                    return Ok(());
                }
                s
            }
            Ctx::Claim => self.claim.as_ref().expect("open claim").bind(py).clone(),
            Ctx::Header => self.tx(py).clone(),
            Ctx::Payer | Ctx::Payee => self.party.as_ref().expect("open party").1.bind(py).clone(),
            _ => return Ok(self.unexpected(py, b"REF", pos)?),
        };
        let r = self.qualified(py, REFERENCE, intern!(py, "value"), qualifier, v)?;
        Self::list_of(&target, intern!(py, "references"))?.append(r)?;
        Ok(())
    }

    fn amt(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        let sid = els[0];
        need(els, 3)?;
        let qualifier = els[1];
        let amount = self.decimal(py, els[2], pos, sid, 2)?;
        if qualifier.is_empty() || amount.is_none() {
            if qualifier.is_empty() {
                self.missing(py, sid, pos, Some(1))?;
            }
            return Ok(());
        }
        let target = match self.ctx {
            Ctx::Service => {
                let s = self.service.as_ref().expect("open line").bind(py).clone();
                if qualifier == b"B6" {
                    s.set_item(intern!(py, "allowed_amount"), amount)?;
                    return Ok(());
                }
                s
            }
            Ctx::Claim => self.claim.as_ref().expect("open claim").bind(py).clone(),
            _ => return Ok(self.unexpected(py, sid, pos)?),
        };
        let a = self.qualified(
            py,
            QUALIFIED_AMOUNT,
            intern!(py, "amount"),
            qualifier,
            amount,
        )?;
        Self::list_of(&target, intern!(py, "amounts"))?.append(a)?;
        Ok(())
    }

    fn qty(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        let sid = els[0];
        need(els, 3)?;
        let quantity = self.decimal(py, els[2], pos, sid, 2)?;
        if els[1].is_empty() || quantity.is_none() {
            if els[1].is_empty() {
                self.missing(py, sid, pos, Some(1))?;
            }
            return Ok(());
        }
        let target = if self.ctx == Ctx::Service {
            &self.service
        } else {
            &self.claim
        };
        let target = target.as_ref().expect("open loop").bind(py).clone();
        let q = self.qualified(
            py,
            QUALIFIED_QUANTITY,
            intern!(py, "quantity"),
            els[1],
            quantity,
        )?;
        Self::list_of(&target, intern!(py, "quantities"))?.append(q)?;
        Ok(())
    }

    fn nm1(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        let sid = els[0];
        let field = if self.ctx == Ctx::Claim {
            need(els, 2)?;
            nm1_field(els[1])
        } else {
            None
        };
        let Some(field) = field else {
            if self.ctx == Ctx::Claim {
                self.warning(
                    py,
                    "unexpected-qualifier",
                    "NM1 entity code not used in a claim loop; skipped",
                    pos,
                    sid,
                    Some(1),
                )?;
            } else {
                self.unexpected(py, sid, pos)?;
            }
            return Ok(());
        };
        let d = self.models.values(py, PARTY_NAME)?;
        d.set_item(intern!(py, "entity_code"), self.text(py, els[1]))?;
        d.set_item(intern!(py, "entity_type"), self.text(py, get(els, 2)))?;
        d.set_item(intern!(py, "last_name"), self.opt(py, get(els, 3)))?;
        d.set_item(intern!(py, "first_name"), self.opt(py, get(els, 4)))?;
        d.set_item(intern!(py, "middle_name"), self.opt(py, get(els, 5)))?;
        d.set_item(intern!(py, "suffix"), self.opt(py, get(els, 7)))?;
        d.set_item(intern!(py, "id_qualifier"), self.opt(py, get(els, 8)))?;
        d.set_item(intern!(py, "identifier"), self.opt(py, get(els, 9)))?;
        self.claim
            .as_ref()
            .expect("open claim")
            .bind(py)
            .set_item(PyString::intern(py, field), d)?;
        Ok(())
    }

    fn clp(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64, out: &Bound<'_, PyList>) -> R {
        let sid = els[0];
        let ctx = self.ctx;
        if ctx == Ctx::Outside {
            return Ok(self.unexpected(py, sid, pos)?);
        }
        if ctx < Ctx::HeaderNumber || ctx == Ctx::Footer {
            let (rule, message) = if ctx != Ctx::Footer {
                (
                    "claim-outside-lx",
                    "CLP is not inside an LX header-number loop",
                )
            } else {
                ("claim-after-plb", "CLP after a PLB segment")
            };
            self.warning(py, rule, message, pos, sid, None)?;
            if ctx != Ctx::Footer {
                self.header_number = None;
            }
        }
        // kept: the money of a claim without CLP01 is still money
        if get(els, 1).is_empty() {
            self.missing(py, sid, pos, Some(1))?;
        }
        if get(els, 2).is_empty() {
            self.missing(py, sid, pos, Some(2))?;
        }
        let charge = self.decimal(py, get(els, 3), pos, sid, 3)?;
        let paid = self.decimal(py, get(els, 4), pos, sid, 4)?;
        let none = py.None().into_bound(py);
        let responsibility = if get(els, 5).is_empty() {
            none.clone()
        } else {
            self.decimal(py, els[5], pos, sid, 5)?
        };
        let c = self.models.values(py, CLAIM_PAYMENT)?;
        c.set_item(intern!(py, "claim_id"), self.opt(py, get(els, 1)))?;
        c.set_item(intern!(py, "status_code"), self.opt(py, get(els, 2)))?;
        c.set_item(intern!(py, "charge"), charge)?;
        c.set_item(intern!(py, "paid"), paid)?;
        c.set_item(intern!(py, "patient_responsibility"), responsibility)?;
        c.set_item(intern!(py, "filing_indicator"), self.opt(py, get(els, 6)))?;
        c.set_item(intern!(py, "payer_claim_number"), self.opt(py, get(els, 7)))?;
        c.set_item(intern!(py, "facility_code"), self.opt(py, get(els, 8)))?;
        c.set_item(intern!(py, "frequency"), self.opt(py, get(els, 9)))?;
        c.set_item(intern!(py, "header_number"), self.header_number.as_ref())?;
        // The parties and MOA: None in the template until their segments come.
        c.set_item(intern!(py, "position"), pos)?;
        self.service = None;
        if self.streaming {
            self.start_claim(py, pos, out)?;
        } else {
            // the transaction's list holds the dict the loop goes on filling
            Self::list_of(self.tx(py), intern!(py, "claims"))?.append(&c)?;
        }
        self.claim = Some(c.unbind());
        self.ctx = Ctx::Claim;
        Ok(())
    }

    fn lq(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        let sid = els[0];
        if self.ctx != Ctx::Service {
            return Ok(self.unexpected(py, sid, pos)?);
        }
        need(els, 3)?;
        if els[1].is_empty() || els[2].is_empty() {
            self.missing(py, sid, pos, Some(if els[1].is_empty() { 1 } else { 2 }))?;
            return Ok(());
        }
        let code = self.text(py, els[2]);
        let r = self.qualified(py, REMARK, intern!(py, "code"), els[1], code)?;
        let s = self.service.as_ref().expect("open line").bind(py).clone();
        Self::list_of(&s, intern!(py, "remarks"))?.append(r)?;
        Ok(())
    }

    fn lx(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64, out: &Bound<'_, PyList>) -> R {
        let sid = els[0];
        if self.ctx < Ctx::Header || self.ctx == Ctx::Footer {
            return Ok(self.unexpected(py, sid, pos)?);
        }
        need(els, 2)?;
        if els[1].is_empty() {
            self.missing(py, sid, pos, Some(1))?;
        }
        self.header_number = (!els[1].is_empty()).then(|| self.short.get(py, els[1]).unbind());
        if self.streaming && self.claim.is_some() {
            self.end_claim(py, out)?;
        }
        self.claim = None;
        self.service = None;
        self.ctx = Ctx::HeaderNumber;
        Ok(())
    }

    // envelope -------------------------------------------------------------------------------

    fn isa_segment(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if self.isa.is_some() {
            return Err(remit_error(
                py,
                "ISA before the IEA of the previous interchange",
                "envelope-nesting",
                "ISA",
                pos,
                None,
            )
            .into());
        }
        if els.len() != 17 {
            return Err(remit_error(
                py,
                "ISA must have 16 elements",
                "isa-fixed-length",
                "ISA",
                pos,
                None,
            )
            .into());
        }
        self.isa = Some(els.iter().map(|e| e.to_vec()).collect());
        self.isa13 = Some(latin1(py, els[13]).unbind());
        self.isa_position = pos;
        self.groups = 0;
        self.component = els[16].to_vec();
        Ok(())
    }

    fn gs_segment(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if self.isa.is_none() || self.gs.is_some() {
            return Err(remit_error(
                py,
                "GS outside an interchange or before the GE of the previous group",
                "envelope-nesting",
                "GS",
                pos,
                None,
            )
            .into());
        }
        if els.len() < 9 || els[6].is_empty() {
            let element = if els.len() > 6 { 6 } else { els.len() };
            return Err(envelope_element_missing(py, "GS", pos, element).into());
        }
        let hp = els[1] == b"HP";
        let version = els[8].starts_with(b"005010X221");
        if !hp && !version {
            let message = format!(
                "functional group {} ({}) is not an 835 remittance group (HP)",
                first(els[1], 2),
                first(els[8], 12)
            );
            return Err(remit_error(
                py,
                &message,
                "transaction-not-supported",
                "GS",
                pos,
                Some(1),
            )
            .into());
        }
        self.gs = Some(els.iter().map(|e| e.to_vec()).collect());
        self.gs06 = Some(latin1(py, els[6]).unbind());
        self.transactions = 0;
        if !hp {
            self.finding(
                py,
                Finding {
                    severity: "warning",
                    rule: "group-not-supported",
                    message: "GS01 is not HP (health care claim payment/advice)",
                    position: pos,
                    segment: Some(b"GS"),
                    element: Some(1),
                    envelope: true,
                },
            )?;
        }
        if !version {
            let message = format!(
                "GS08 {} is not 005010X221A1; read as 005010X221A1",
                first(els[8], 12)
            );
            self.finding(
                py,
                Finding {
                    severity: "warning",
                    rule: "group-version-not-supported",
                    message: &message,
                    position: pos,
                    segment: Some(b"GS"),
                    element: Some(8),
                    envelope: true,
                },
            )?;
        }
        Ok(())
    }

    fn st_segment(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if self.gs.is_none() || self.tx.is_some() {
            return Err(remit_error(
                py,
                "ST outside a functional group or before the SE of the previous transaction",
                "envelope-nesting",
                "ST",
                pos,
                None,
            )
            .into());
        }
        if els.len() < 3 || els[1].is_empty() || els[2].is_empty() {
            let element = if els.len() < 2 || els[1].is_empty() {
                1
            } else {
                2
            };
            return Err(envelope_element_missing(py, "ST", pos, element).into());
        }
        if els[1] != b"835" {
            let message = format!(
                "transaction set {} is not an 835 remittance",
                first(els[1], 3)
            );
            return Err(remit_error(
                py,
                &message,
                "transaction-not-supported",
                "ST",
                pos,
                Some(1),
            )
            .into());
        }
        let isa = self.isa.clone().expect("inside an interchange");
        let gs = self.gs.clone().expect("inside a group");
        let none = py.None().into_bound(py);
        let tx = self.models.values(py, REMITTANCE)?;
        tx.set_item(
            intern!(py, "interchange_control_number"),
            self.isa13.as_ref(),
        )?;
        tx.set_item(
            intern!(py, "interchange_sender_id"),
            latin1(py, &isa[6]).call_method0(intern!(py, "strip"))?,
        )?;
        tx.set_item(
            intern!(py, "interchange_receiver_id"),
            latin1(py, &isa[8]).call_method0(intern!(py, "strip"))?,
        )?;
        tx.set_item(intern!(py, "group_control_number"), self.gs06.as_ref())?;
        tx.set_item(intern!(py, "application_sender"), latin1(py, &gs[2]))?;
        tx.set_item(intern!(py, "application_receiver"), latin1(py, &gs[3]))?;
        tx.set_item(intern!(py, "version"), latin1(py, &gs[8]))?;
        let st02 = latin1(py, els[2]);
        tx.set_item(intern!(py, "transaction_control_number"), &st02)?;
        for key in [
            "handling_code",
            "total_payment",
            "credit_debit",
            "payment_method",
            "payment_format",
            "sender_dfi_qualifier",
            "sender_dfi_id",
            "sender_account_qualifier",
            "sender_account_number",
            "originator_id",
            "originator_supplemental_code",
            "receiver_dfi_qualifier",
            "receiver_dfi_id",
            "receiver_account_qualifier",
            "receiver_account_number",
            "payment_date",
            "trace_type",
            "trace_number",
            "trace_payer_id",
            "trace_supplemental_id",
            "currency",
        ] {
            tx.set_item(PyString::intern(py, key), &none)?;
        }
        tx.set_item(intern!(py, "production_date"), &none)?;
        tx.set_item(intern!(py, "payer"), &none)?;
        tx.set_item(intern!(py, "payee"), &none)?;
        tx.set_item(intern!(py, "position"), pos)?;
        tx.set_item(intern!(py, "payment_position"), &none)?;
        tx.set_item(intern!(py, "interchange_position"), self.isa_position)?;
        tx.set_item(intern!(py, "trace_position"), &none)?;
        self.tx = Some(tx.unbind());
        self.tx_position = pos;
        self.st02 = els[2].to_vec();
        self.st02_text = Some(st02.unbind());
        self.ctx = Ctx::Header;
        self.party = None;
        self.claim = None;
        self.service = None;
        self.header_number = None;
        self.payment = None;
        self.claim_count = 0;
        self.claims_paid = None;
        self.claims_paid_unknown = 0;
        self.seen_bpr = false;
        self.seen_trn = false;
        Ok(())
    }

    fn se_segment(
        &mut self,
        py: Python<'_>,
        els: &Els<'_>,
        pos: u64,
        out: &Bound<'_, PyList>,
    ) -> R {
        if self.tx.is_none() {
            return Err(
                remit_error(py, "SE without ST", "envelope-nesting", "SE", pos, None).into(),
            );
        }
        if self.streaming {
            self.end_claim(py, out)?;
        }
        self.close_party(py)?;
        self.check_header(py, pos)?;
        let count = pos - self.tx_position + 1;
        let declared = get(els, 1);
        if !count_matches(declared, count) {
            let said = if declared.is_empty() {
                "nothing".to_string()
            } else {
                first(declared, 10)
            };
            let message = format!("SE01 says {said}; the transaction set has {count} segments");
            self.finding(
                py,
                Finding {
                    severity: "error",
                    rule: "se01-count",
                    message: &message,
                    position: pos,
                    segment: Some(b"SE"),
                    element: Some(1),
                    envelope: false,
                },
            )?;
        }
        if get(els, 2) != self.st02.as_slice() {
            self.finding(
                py,
                Finding {
                    severity: "error",
                    rule: "se02-mismatch",
                    message: "SE02 does not match ST02",
                    position: pos,
                    segment: Some(b"SE"),
                    element: Some(2),
                    envelope: false,
                },
            )?;
        }
        let tx = self.tx.take().expect("open transaction");
        let tx = tx.into_bound(py);
        let event = if self.streaming {
            let paid = match self.claims_paid.take() {
                Some(p) => p.into_bound(py),
                None => self.decimal(py, b"0", pos, b"SE", 0)?,
            };
            let end = self.models.values(py, REMITTANCE_END)?;
            end.set_item(
                intern!(py, "remittance"),
                self.models.build(py, REMITTANCE, &tx)?,
            )?;
            end.set_item(intern!(py, "claim_count"), self.claim_count)?;
            end.set_item(intern!(py, "claims_paid"), paid)?;
            end.set_item(intern!(py, "claims_paid_unknown"), self.claims_paid_unknown)?;
            self.models.build(py, REMITTANCE_END, &end)?
        } else {
            self.models.build(py, REMITTANCE, &tx)?
        };
        out.append(event)?;
        self.payment = None;
        self.payment_model = None;
        self.claim_count = 0;
        self.claims_paid_unknown = 0;
        self.ctx = Ctx::Outside;
        self.claim = None;
        self.service = None;
        self.transactions += 1;
        Ok(())
    }

    fn check_header(&mut self, py: Python<'_>, pos: u64) -> PyResult<()> {
        // By the segments seen, not by their values: a BPR whose BPR02 is unreadable is a BPR.
        let tx = self.tx(py);
        let payer = tx
            .get_item(intern!(py, "payer"))?
            .is_none_or(|p| p.is_none());
        let payee = tx
            .get_item(intern!(py, "payee"))?
            .is_none_or(|p| p.is_none());
        for (segment, what, absent) in [
            ("BPR", "BPR", !self.seen_bpr),
            ("TRN", "TRN", !self.seen_trn),
            ("N1", "payer loop (N1*PR)", payer),
            ("N1", "payee loop (N1*PE)", payee),
        ] {
            if absent {
                let message = format!("transaction set has no {what}");
                return Err(remit_error(
                    py,
                    &message,
                    "segment-missing",
                    segment,
                    pos,
                    None,
                ));
            }
        }
        Ok(())
    }

    fn ge_segment(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if self.gs.is_none() || self.tx.is_some() {
            return Err(remit_error(
                py,
                "GE without GS, or before the SE of a transaction",
                "envelope-nesting",
                "GE",
                pos,
                None,
            )
            .into());
        }
        let declared = get(els, 1);
        if !count_matches(declared, self.transactions) {
            let said = if declared.is_empty() {
                "nothing".to_string()
            } else {
                first(declared, 10)
            };
            let message = format!(
                "GE01 says {said}; the group has {} transaction sets",
                self.transactions
            );
            self.envelope_error(py, "ge01-count", &message, pos, b"GE", 1)?;
        }
        let gs06 = self.gs.as_ref().map(|g| g[6].clone()).unwrap_or_default();
        if trim_zeros(get(els, 2)) != trim_zeros(&gs06) {
            self.envelope_error(
                py,
                "ge02-mismatch",
                "GE02 does not match GS06",
                pos,
                b"GE",
                2,
            )?;
        }
        self.gs = None;
        self.gs06 = None;
        self.groups += 1;
        Ok(())
    }

    fn iea_segment(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if self.isa.is_none() || self.gs.is_some() {
            return Err(remit_error(
                py,
                "IEA without ISA, or before the GE of a group",
                "envelope-nesting",
                "IEA",
                pos,
                None,
            )
            .into());
        }
        let declared = get(els, 1);
        if !count_matches(declared, self.groups) {
            let said = if declared.is_empty() {
                "nothing".to_string()
            } else {
                first(declared, 10)
            };
            let message = format!(
                "IEA01 says {said}; the interchange has {} functional groups",
                self.groups
            );
            self.envelope_error(py, "iea01-count", &message, pos, b"IEA", 1)?;
        }
        let isa13 = self.isa.as_ref().map(|i| i[13].clone()).unwrap_or_default();
        if get(els, 2) != isa13.as_slice() {
            self.envelope_error(
                py,
                "iea02-mismatch",
                "IEA02 does not match ISA13",
                pos,
                b"IEA",
                2,
            )?;
        }
        self.isa = None;
        self.isa13 = None;
        Ok(())
    }

    // header ---------------------------------------------------------------------------------

    fn in_header(&mut self, py: Python<'_>, sid: &[u8], pos: u64) -> PyResult<bool> {
        if self.ctx != Ctx::Header {
            self.unexpected(py, sid, pos)?;
            return Ok(false);
        }
        Ok(true)
    }

    fn bpr(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if !self.in_header(py, b"BPR", pos)? {
            return Ok(());
        }
        for i in [1, 3, 4] {
            if get(els, i).is_empty() {
                self.missing(py, b"BPR", pos, Some(i))?;
            }
        }
        self.seen_bpr = true;
        let total = self.decimal(py, get(els, 2), pos, b"BPR", 2)?;
        let day = self.date(py, get(els, 16), pos, b"BPR", 16)?;
        let tx = self.tx(py).clone();
        tx.set_item(intern!(py, "handling_code"), self.opt(py, get(els, 1)))?;
        tx.set_item(intern!(py, "total_payment"), total)?;
        let keys = [
            (3, "credit_debit"),
            (4, "payment_method"),
            (5, "payment_format"),
            (6, "sender_dfi_qualifier"),
            (7, "sender_dfi_id"),
            (8, "sender_account_qualifier"),
            (9, "sender_account_number"),
            (10, "originator_id"),
            (11, "originator_supplemental_code"),
            (12, "receiver_dfi_qualifier"),
            (13, "receiver_dfi_id"),
            (14, "receiver_account_qualifier"),
            (15, "receiver_account_number"),
        ];
        for (i, key) in keys {
            tx.set_item(PyString::intern(py, key), self.opt(py, get(els, i)))?;
        }
        tx.set_item(intern!(py, "payment_date"), day)?;
        tx.set_item(intern!(py, "payment_position"), pos)?;
        Ok(())
    }

    fn trn(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if !self.in_header(py, b"TRN", pos)? {
            return Ok(());
        }
        for i in [1, 2, 3] {
            if get(els, i).is_empty() {
                self.missing(py, b"TRN", pos, Some(i))?;
            }
        }
        self.seen_trn = true;
        let tx = self.tx(py).clone();
        tx.set_item(intern!(py, "trace_type"), self.opt(py, get(els, 1)))?;
        tx.set_item(intern!(py, "trace_number"), self.opt(py, get(els, 2)))?;
        tx.set_item(intern!(py, "trace_payer_id"), self.opt(py, get(els, 3)))?;
        tx.set_item(
            intern!(py, "trace_supplemental_id"),
            self.opt(py, get(els, 4)),
        )?;
        tx.set_item(intern!(py, "trace_position"), pos)?;
        Ok(())
    }

    fn cur(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if self.in_header(py, b"CUR", pos)? {
            if get(els, 2).is_empty() {
                self.missing(py, b"CUR", pos, Some(2))?;
                return Ok(());
            }
            let v = self.text(py, els[2]);
            self.tx(py).set_item(intern!(py, "currency"), v)?;
        }
        Ok(())
    }

    fn n1(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        need(els, 2)?;
        let code = els[1];
        let in_parties = matches!(self.ctx, Ctx::Header | Ctx::Payer | Ctx::Payee);
        if !in_parties || (code != b"PR" && code != b"PE") {
            if in_parties {
                self.warning(
                    py,
                    "unexpected-qualifier",
                    "N1 entity code is not PR or PE; skipped",
                    pos,
                    b"N1",
                    Some(1),
                )?;
            } else {
                self.unexpected(py, b"N1", pos)?;
            }
            return Ok(());
        }
        self.close_party(py)?;
        if get(els, 2).is_empty() {
            self.missing(py, b"N1", pos, Some(2))?;
        }
        let payer = code == b"PR";
        if !payer {
            for i in [3, 4] {
                if get(els, i).is_empty() {
                    self.missing(py, b"N1", pos, Some(i))?;
                }
            }
        }
        let none = py.None().into_bound(py);
        let d = self.models.values(py, if payer { PAYER } else { PAYEE })?;
        d.set_item(intern!(py, "name"), self.opt(py, get(els, 2)))?;
        d.set_item(intern!(py, "id_qualifier"), self.opt(py, get(els, 3)))?;
        d.set_item(intern!(py, "id"), self.opt(py, get(els, 4)))?;
        d.set_item(intern!(py, "address"), &none)?;
        if payer {
            self.ctx = Ctx::Payer;
        } else {
            d.set_item(intern!(py, "delivery_method"), &none)?;
            d.set_item(intern!(py, "delivery_name"), &none)?;
            d.set_item(intern!(py, "delivery_communication"), &none)?;
            self.ctx = Ctx::Payee;
        }
        self.party = Some((payer, d.unbind()));
        Ok(())
    }

    fn close_party(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some((payer, party)) = self.party.take() {
            let key = if payer {
                intern!(py, "payer")
            } else {
                intern!(py, "payee")
            };
            // Built as its loop ends: the header a claim-by-claim read hands over and the
            // remittance at SE hold the same party.
            let party = self
                .models
                .build(py, if payer { PAYER } else { PAYEE }, party.bind(py))?;
            self.tx(py).set_item(key, party)?;
        }
        Ok(())
    }

    fn address<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let party = self.party.as_ref().expect("open party").1.bind(py);
        if let Some(a) = party.get_item(intern!(py, "address"))? {
            if !a.is_none() {
                return Ok(a.cast_into::<PyDict>()?);
            }
        }
        let none = py.None().into_bound(py);
        let a = self.models.values(py, ADDRESS)?;
        a.set_item(intern!(py, "line1"), intern!(py, ""))?;
        a.set_item(intern!(py, "line2"), &none)?;
        a.set_item(intern!(py, "city"), intern!(py, ""))?;
        for key in [
            intern!(py, "state"),
            intern!(py, "postal_code"),
            intern!(py, "country"),
            intern!(py, "country_subdivision"),
        ] {
            a.set_item(key, &none)?;
        }
        party.set_item(intern!(py, "address"), &a)?;
        Ok(a)
    }

    fn n3(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if !matches!(self.ctx, Ctx::Payer | Ctx::Payee) {
            return Ok(self.unexpected(py, b"N3", pos)?);
        }
        if get(els, 1).is_empty() {
            self.missing(py, b"N3", pos, Some(1))?;
            return Ok(());
        }
        let a = self.address(py)?;
        a.set_item(intern!(py, "line1"), self.text(py, els[1]))?;
        a.set_item(intern!(py, "line2"), self.opt(py, get(els, 2)))?;
        Ok(())
    }

    fn n4(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if !matches!(self.ctx, Ctx::Payer | Ctx::Payee) {
            return Ok(self.unexpected(py, b"N4", pos)?);
        }
        if get(els, 1).is_empty() {
            self.missing(py, b"N4", pos, Some(1))?;
        }
        let a = self.address(py)?;
        a.set_item(intern!(py, "city"), self.opt(py, get(els, 1)))?;
        a.set_item(intern!(py, "state"), self.opt(py, get(els, 2)))?;
        a.set_item(intern!(py, "postal_code"), self.opt(py, get(els, 3)))?;
        a.set_item(intern!(py, "country"), self.opt(py, get(els, 4)))?;
        a.set_item(
            intern!(py, "country_subdivision"),
            self.opt(py, get(els, 7)),
        )?;
        Ok(())
    }

    fn per(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if self.ctx != Ctx::Payer {
            return Ok(self.unexpected(py, b"PER", pos)?);
        }
        need(els, 2)?;
        if els[1].is_empty() {
            self.missing(py, b"PER", pos, Some(1))?;
            return Ok(());
        }
        let communications = new_list(py);
        let n = els.len();
        let mut i = 3;
        while i < n {
            let (qualifier, number) = (els[i], get(els, i + 1));
            if !qualifier.is_empty() || !number.is_empty() {
                if qualifier.is_empty() || number.is_empty() {
                    self.missing(
                        py,
                        b"PER",
                        pos,
                        Some(if qualifier.is_empty() { i } else { i + 1 }),
                    )?;
                } else {
                    let number = self.text(py, number);
                    let c = self.qualified(
                        py,
                        COMMUNICATION,
                        intern!(py, "number"),
                        qualifier,
                        number,
                    )?;
                    communications.append(c)?;
                }
            }
            i += 2;
        }
        let c = self.models.values(py, CONTACT)?;
        c.set_item(intern!(py, "function"), self.text(py, els[1]))?;
        c.set_item(intern!(py, "name"), self.opt(py, get(els, 2)))?;
        c.set_item(intern!(py, "communications"), communications)?;
        let party = self.party.as_ref().expect("open party").1.bind(py).clone();
        Self::list_of(&party, intern!(py, "contacts"))?.append(c)?;
        Ok(())
    }

    fn rdm(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if self.ctx != Ctx::Payee {
            return Ok(self.unexpected(py, b"RDM", pos)?);
        }
        need(els, 2)?;
        if els[1].is_empty() {
            self.missing(py, b"RDM", pos, Some(1))?;
            return Ok(());
        }
        let party = self.party.as_ref().expect("open party").1.bind(py).clone();
        party.set_item(intern!(py, "delivery_method"), self.text(py, els[1]))?;
        party.set_item(intern!(py, "delivery_name"), self.opt(py, get(els, 2)))?;
        party.set_item(
            intern!(py, "delivery_communication"),
            self.opt(py, get(els, 3)),
        )?;
        Ok(())
    }

    // claim and footer -----------------------------------------------------------------------

    fn moa(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64) -> R {
        if self.ctx != Ctx::Claim {
            return Ok(self.unexpected(py, b"MOA", pos)?);
        }
        let d = self.models.values(py, OUTPATIENT_ADJUDICATION)?;
        d.set_item(
            intern!(py, "reimbursement_rate"),
            self.optional_decimal(py, els, 1, pos)?,
        )?;
        d.set_item(
            intern!(py, "hcpcs_payable_amount"),
            self.optional_decimal(py, els, 2, pos)?,
        )?;
        let codes = new_list(py);
        for i in 3..8 {
            let c = get(els, i);
            if !c.is_empty() {
                codes.append(self.text(py, c))?;
            }
        }
        d.set_item(intern!(py, "remark_codes"), codes)?;
        d.set_item(
            intern!(py, "esrd_payment_amount"),
            self.optional_decimal(py, els, 8, pos)?,
        )?;
        d.set_item(
            intern!(py, "nonpayable_professional_amount"),
            self.optional_decimal(py, els, 9, pos)?,
        )?;
        self.claim
            .as_ref()
            .expect("open claim")
            .bind(py)
            .set_item(intern!(py, "outpatient"), d)?;
        Ok(())
    }

    fn plb(&mut self, py: Python<'_>, els: &Els<'_>, pos: u64, out: &Bound<'_, PyList>) -> R {
        if self.ctx < Ctx::Header {
            return Ok(self.unexpected(py, b"PLB", pos)?);
        }
        if self.streaming {
            self.end_claim(py, out)?;
        }
        self.close_party(py)?;
        let n = els.len().max(5);
        if get(els, 1).is_empty() {
            self.missing(py, b"PLB", pos, Some(1))?;
        }
        let provider_id = self.opt(py, get(els, 1));
        let fiscal_date = self.date(py, get(els, 2), pos, b"PLB", 2)?;
        let target = Self::list_of(self.tx(py), intern!(py, "provider_adjustments"))?;
        let component = self.component.clone();
        let mut pairs = 0;
        let mut i = 3;
        while i < n {
            let (composite, amount_text) = (get(els, i), get(els, i + 1));
            if composite.is_empty() && amount_text.is_empty() {
                i += 2;
                continue;
            }
            pairs += 1;
            let parts = split(composite, &component);
            if parts[0].is_empty() {
                self.missing(py, b"PLB", pos, Some(i))?;
            }
            // kept when a part is unreadable: a known amount is still money
            let d = self.models.values(py, PROVIDER_ADJUSTMENT)?;
            d.set_item(intern!(py, "provider_id"), &provider_id)?;
            d.set_item(intern!(py, "fiscal_period_date"), &fiscal_date)?;
            d.set_item(intern!(py, "reason"), self.opt(py, parts[0]))?;
            let reference = parts
                .get(1)
                .map_or_else(|| py.None().into_bound(py), |p| self.opt(py, p));
            d.set_item(intern!(py, "reference_id"), reference)?;
            d.set_item(
                intern!(py, "amount"),
                self.decimal(py, amount_text, pos, b"PLB", i + 1)?,
            )?;
            d.set_item(intern!(py, "position"), pos)?;
            target.append(d)?;
            i += 2;
        }
        if pairs == 0 {
            self.missing(py, b"PLB", pos, Some(3))?;
        }
        self.claim = None;
        self.service = None;
        self.ctx = Ctx::Footer;
        Ok(())
    }

    // claim by claim -------------------------------------------------------------------------

    /// A CLP opens a claim: hand over the one it closes, and copy the payment header at the
    /// first one (nothing after the first CLP can change it).
    fn start_claim(&mut self, py: Python<'_>, pos: u64, out: &Bound<'_, PyList>) -> PyResult<()> {
        self.end_claim(py, out)?;
        if self.payment.is_none() {
            self.close_party(py)?;
            self.check_header(py, pos)?;
            let header = self.tx(py).copy()?;
            // The transaction's own lists keep filling; the header gets empty ones.
            header.set_item(intern!(py, "claims"), new_list(py))?;
            header.set_item(intern!(py, "provider_adjustments"), new_list(py))?;
            header.set_item(intern!(py, "findings"), new_list(py))?;
            // Its own list of references: the header and the remittance at SE are two models.
            let references = self.tx(py).get_item(intern!(py, "references"))?;
            if let Some(r) = references {
                header.set_item(
                    intern!(py, "references"),
                    r.cast::<PyList>()?.get_slice(0, usize::MAX),
                )?;
            }
            self.payment = Some(header.unbind());
        }
        Ok(())
    }

    /// Hand over the open claim, if any (its CLP loop ends at LX, CLP, PLB or SE).
    fn end_claim(&mut self, py: Python<'_>, out: &Bound<'_, PyList>) -> PyResult<()> {
        let Some(claim) = self.claim.take() else {
            return Ok(());
        };
        self.service = None;
        let claim = claim.into_bound(py);
        self.claim_count += 1;
        let paid = claim.get_item(intern!(py, "paid"))?.expect("paid field");
        if paid.is_none() {
            self.claims_paid_unknown += 1;
        } else {
            self.claims_paid = Some(match self.claims_paid.take() {
                Some(sum) => sum.bind(py).add(&paid)?.unbind(),
                None => paid.unbind(),
            });
        }
        let header = match &self.payment_model {
            Some(h) => h.bind(py).clone(),
            None => {
                let values = self
                    .payment
                    .as_ref()
                    .expect("payment header")
                    .bind(py)
                    .clone();
                let h = self.models.build(py, REMITTANCE, &values)?;
                self.payment_model = Some(h.clone().unbind());
                h
            }
        };
        let event = self.models.values(py, REMITTANCE_CLAIM)?;
        event.set_item(intern!(py, "payment"), header)?;
        event.set_item(
            intern!(py, "claim"),
            self.models.build(py, CLAIM_PAYMENT, &claim)?,
        )?;
        let event = self.models.build(py, REMITTANCE_CLAIM, &event)?;
        out.append(event)
    }
}

/// Reads an 835 stream fed in chunks into models: a `Remittance` per ST/SE, or claim by claim
/// a `RemittanceClaim` per CLP loop and a `RemittanceEnd` per SE. `models`: the specs of
/// `sdohedi.models.build.model_specs`, Remittance, ClaimPayment, RemittanceClaim and
/// RemittanceEnd first.
#[pyclass(module = "sdohedi._core")]
pub struct Remit835Reader {
    tokenizer: core::Tokenizer,
    state: State,
    /// The error that finished the stream, raised by every later call.
    error: Option<PyErr>,
}

impl Remit835Reader {
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        step: impl FnOnce(
            &mut core::Tokenizer,
            &mut dyn FnMut(core::Segment<'_>),
        ) -> Result<(), crate::problem::Problem>,
    ) -> PyResult<(Bound<'py, PyList>, bool)> {
        if let Some(e) = &self.error {
            return Err(e.clone_ref(py));
        }
        let out = PyList::empty(py);
        let mut failure: Option<PyErr> = None;
        let mut segments = 0usize;
        let state = &mut self.state;
        let result = step(&mut self.tokenizer, &mut |seg| {
            segments += 1;
            if failure.is_none() {
                let r = state.segment(py, seg.bytes, seg.delimiters.element, &out);
                if let Err(e) = r {
                    failure = Some(e);
                }
            }
        });
        let error = match (failure, result) {
            (Some(e), _) => Some(e),
            // Segments came before the tokenizer's error in this call: they are handed over
            // and the error is raised by the next call (as the tokenizer does).
            (None, Err(p)) if segments > 0 => {
                self.error = Some(raise(py, &p));
                return Ok((out, false));
            }
            (None, Err(p)) => Some(raise(py, &p)),
            (None, Ok(())) => None,
        };
        if let Some(e) = error {
            if out.is_empty() {
                self.error = Some(e.clone_ref(py));
                return Err(e);
            }
            self.error = Some(e);
            return Ok((out, false));
        }
        Ok((out, true))
    }
}

#[pymethods]
impl Remit835Reader {
    /// `by_claim`: hand over claims as their CLP loops end (see the class doc).
    #[new]
    #[pyo3(signature = (models, *, by_claim = false))]
    fn new(py: Python<'_>, models: &Bound<'_, PyAny>, by_claim: bool) -> PyResult<Self> {
        Ok(Remit835Reader {
            // ids are checked here, as findings
            tokenizer: core::Tokenizer::new(false).join_lines(true),
            state: State::new(py, by_claim, Models::new(models, &MODEL_NAMES)?),
            error: None,
        })
    }

    /// What the segments completed by `chunk` complete.
    fn feed<'py>(&mut self, py: Python<'py>, chunk: &[u8]) -> PyResult<Bound<'py, PyList>> {
        self.run(py, |tok, sink| tok.feed(chunk, sink))
            .map(|(out, _)| out)
    }

    /// Read what is left and check that the stream ended where an interchange ends.
    fn close<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let (out, ok) = self.run(py, |tok, sink| tok.close(sink))?;
        if !ok {
            return Ok(out);
        }
        let where_ = self.state.position + 1;
        let problem = if let Some(p) = self.tokenizer.failure() {
            Some(raise(py, p))
        } else if self.state.tx.is_some() {
            Some(remit_error(
                py,
                "stream ends inside a transaction set (no SE)",
                "truncated",
                "SE",
                where_,
                None,
            ))
        } else if self.state.gs.is_some() {
            Some(remit_error(
                py,
                "stream ends inside a functional group (no GE)",
                "truncated",
                "GE",
                where_,
                None,
            ))
        } else if self.state.isa.is_some() {
            Some(remit_error(
                py,
                "stream ends inside an interchange (no IEA)",
                "truncated",
                "IEA",
                where_,
                None,
            ))
        } else {
            None
        };
        if let Some(e) = problem {
            self.error = Some(e.clone_ref(py));
            if out.is_empty() {
                return Err(e);
            }
        }
        Ok(out)
    }

    /// Raise the error that finished the stream, if any.
    fn check(&self, py: Python<'_>) -> PyResult<()> {
        match &self.error {
            Some(e) => Err(e.clone_ref(py)),
            None => Ok(()),
        }
    }

    /// Envelope-level findings (GS/GE, ISA/IEA); a transaction's own are in its dict.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> Bound<'py, PyList> {
        self.state.findings.bind(py).clone()
    }
}
