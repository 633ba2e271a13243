//! `sdohedi.x12.Tokenizer` and `sdohedi.x12.Segment`: the core tokenizer, segments as Python objects.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyString, PyTuple, PyType};

use super::problem::{raise, syntax_error};
use crate::delimiters as core_delimiters;
use crate::tokenizer as core;

/// Short values (ids, qualifiers, empty elements) repeat on every segment: one `str` each,
/// shared, instead of one allocation per element. Direct-mapped: a collision just replaces.
pub(super) struct ShortStrings {
    slots: Vec<Option<(u32, Py<PyString>)>>,
}

const SHORT_SLOTS: usize = 4096;

impl ShortStrings {
    pub(super) fn new() -> Self {
        ShortStrings {
            slots: (0..SHORT_SLOTS).map(|_| None).collect(),
        }
    }

    pub(super) fn get<'py>(&mut self, py: Python<'py>, bytes: &[u8]) -> Bound<'py, PyString> {
        if bytes.len() > 3 {
            return latin1(py, bytes);
        }
        let key = bytes
            .iter()
            .enumerate()
            .fold(bytes.len() as u32, |k, (i, &b)| {
                k | (u32::from(b) << (8 * (i + 1)))
            });
        let slot = (key.wrapping_mul(2_654_435_761) >> 20) as usize % SHORT_SLOTS;
        if let Some((k, s)) = &self.slots[slot] {
            if *k == key {
                return s.bind(py).clone();
            }
        }
        let s = latin1(py, bytes);
        self.slots[slot] = Some((key, s.clone().unbind()));
        s
    }
}

/// Bytes as text, one character per byte (latin-1): no decode errors, no lost bytes; which
/// characters are allowed is the validator's business.
pub(super) fn latin1<'py>(py: Python<'py>, bytes: &[u8]) -> Bound<'py, PyString> {
    if bytes.is_ascii() {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return PyString::new(py, text);
        }
    }
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    PyString::new(py, &text)
}

/// One segment: its 1-based ordinal in the stream (`position`) and in its interchange
/// (`index`), the byte offset of its id in the stream, and its elements (`elements[0]` is the id).
#[pyclass(module = "sdohedi.x12", frozen)]
pub struct Segment {
    #[pyo3(get)]
    position: u64,
    #[pyo3(get)]
    index: u64,
    #[pyo3(get)]
    offset: u64,
    #[pyo3(get)]
    elements: Py<PyList>,
}

#[pymethods]
impl Segment {
    #[new]
    #[pyo3(signature = (position, elements, *, index = 0, offset = 0))]
    fn new(position: u64, elements: Py<PyList>, index: u64, offset: u64) -> Self {
        Segment {
            position,
            index,
            offset,
            elements,
        }
    }

    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.elements.bind(py).get_item(0)
    }

    /// Element `index` (1-based, as in 'CLP02'), or `default` when absent.
    #[pyo3(signature = (index, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        index: isize,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let elements = self.elements.bind(py);
        if index < elements.len() as isize {
            return elements.as_any().get_item(index);
        }
        Ok(default.unwrap_or_else(|| PyString::new(py, "").into_any()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        // Segment ids and positions only: element values may be protected health information.
        let id = self.id(py)?.str()?.to_string();
        Ok(format!("Segment(position={}, id={:?})", self.position, id))
    }
}

fn to_python(
    py: Python<'_>,
    seg: &core::Segment<'_>,
    short: &mut ShortStrings,
) -> PyResult<Py<Segment>> {
    // Collected first: PyList::new sizes the list from the iterator's lower bound, and a split's is 1.
    let values: Vec<_> = seg.elements().map(|e| short.get(py, e)).collect();
    let elements = PyList::new(py, values)?;
    Py::new(
        py,
        Segment {
            position: seg.position,
            index: seg.index,
            offset: seg.offset,
            elements: elements.unbind(),
        },
    )
}

/// An `x12.Delimiters` for the core's.
fn delimiters_object<'py>(
    py: Python<'py>,
    d: &core_delimiters::Delimiters,
) -> PyResult<Bound<'py, PyAny>> {
    static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let cls = CLASS.import(py, "sdohedi.x12.delimiters", "Delimiters")?;
    let chars = [d.element, d.component, d.repetition, d.segment].map(|b| latin1(py, &[b]));
    cls.call1((
        chars[0].clone(),
        chars[1].clone(),
        chars[2].clone(),
        chars[3].clone(),
    ))
}

/// The segments of one `feed_batches` call as `(start, delimiters, segments)` tuples: consecutive
/// segments of one interchange, the first of which has ordinal `start + 1`, each one `str`.
struct Batches<'py> {
    py: Python<'py>,
    done: Vec<Bound<'py, PyTuple>>,
    start: u64,
    segments: Vec<Bound<'py, PyString>>,
}

impl<'py> Batches<'py> {
    fn new(py: Python<'py>) -> Self {
        Batches {
            py,
            done: Vec::new(),
            start: 0,
            segments: Vec::new(),
        }
    }

    fn push(
        &mut self,
        seg: &core::Segment<'_>,
        delimiters: &mut Option<(core_delimiters::Delimiters, Py<PyAny>)>,
    ) -> PyResult<()> {
        let current = delimiters
            .as_ref()
            .is_some_and(|(d, _)| *d == seg.delimiters);
        if seg.index == 1 || !current || self.segments.is_empty() {
            self.finish(delimiters)?;
            if !current {
                let obj = delimiters_object(self.py, &seg.delimiters)?;
                *delimiters = Some((seg.delimiters, obj.unbind()));
            }
            self.start = seg.position - 1;
        }
        self.segments.push(latin1(self.py, seg.bytes));
        Ok(())
    }

    fn finish(
        &mut self,
        delimiters: &Option<(core_delimiters::Delimiters, Py<PyAny>)>,
    ) -> PyResult<()> {
        if self.segments.is_empty() {
            return Ok(());
        }
        let Some((_, obj)) = delimiters else {
            return Ok(());
        };
        let segments = PyList::new(self.py, std::mem::take(&mut self.segments))?;
        let batch = PyTuple::new(
            self.py,
            [
                self.start.into_pyobject(self.py)?.into_any(),
                obj.bind(self.py).clone(),
                segments.into_any(),
            ],
        )?;
        self.done.push(batch);
        Ok(())
    }
}

/// Incremental tokenizer: `feed(chunk)` returns the segments completed by that chunk, `close()`
/// checks that the stream did not end inside a segment. A broken rule raises `X12SyntaxError`;
/// when segments came before it in the same chunk they are returned first and the error is
/// raised by the next call. `strict=False` hands out segments whose id is malformed;
/// `lenient_isa=True` reads an ISA off its fixed offsets by its separators, with a finding.
/// `feed_batches`/`close_batches` give the same segments as strings, in batches;
/// `keep_trailing_blanks` and `join_lines` choose how their text is cut (see the core).
#[pyclass(module = "sdohedi.x12")]
pub struct Tokenizer {
    inner: core::Tokenizer,
    short: ShortStrings,
    /// The delimiters of the last batch, with their `x12.Delimiters`: one object per interchange.
    delimiters: Option<(core_delimiters::Delimiters, Py<PyAny>)>,
}

impl Tokenizer {
    fn collect<'py>(
        &mut self,
        py: Python<'py>,
        step: impl FnOnce(
            &mut core::Tokenizer,
            &mut dyn FnMut(core::Segment<'_>),
        ) -> Result<(), crate::problem::Problem>,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut out: Vec<Py<Segment>> = Vec::new();
        let mut failure: Option<PyErr> = None;
        let short = &mut self.short;
        let result = step(&mut self.inner, &mut |seg| {
            if failure.is_none() {
                match to_python(py, &seg, short) {
                    Ok(obj) => out.push(obj),
                    Err(err) => failure = Some(err),
                }
            }
        });
        if let Some(err) = failure {
            return Err(err);
        }
        match result {
            Err(problem) if out.is_empty() => Err(raise(py, &problem)),
            _ => PyList::new(py, out),
        }
    }

    fn collect_batches<'py>(
        &mut self,
        py: Python<'py>,
        step: impl FnOnce(
            &mut core::Tokenizer,
            &mut dyn FnMut(core::Segment<'_>),
        ) -> Result<(), crate::problem::Problem>,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut batches = Batches::new(py);
        let mut failure: Option<PyErr> = None;
        let delimiters = &mut self.delimiters;
        let result = step(&mut self.inner, &mut |seg| {
            if failure.is_none() {
                if let Err(err) = batches.push(&seg, delimiters) {
                    failure = Some(err);
                }
            }
        });
        if let Some(err) = failure {
            return Err(err);
        }
        batches.finish(delimiters)?;
        match result {
            Err(problem) if batches.done.is_empty() => Err(raise(py, &problem)),
            _ => PyList::new(py, batches.done),
        }
    }
}

#[pymethods]
impl Tokenizer {
    #[new]
    #[pyo3(signature = (*, strict = true, lenient_isa = false, keep_trailing_blanks = false, join_lines = false))]
    fn new(strict: bool, lenient_isa: bool, keep_trailing_blanks: bool, join_lines: bool) -> Self {
        Tokenizer {
            inner: core::Tokenizer::new(strict)
                .lenient_isa(lenient_isa)
                .keep_trailing_blanks(keep_trailing_blanks)
                .join_lines(join_lines),
            short: ShortStrings::new(),
            delimiters: None,
        }
    }

    fn feed<'py>(&mut self, py: Python<'py>, chunk: &[u8]) -> PyResult<Bound<'py, PyList>> {
        self.collect(py, |tok, sink| tok.feed(chunk, sink))
    }

    fn close<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.collect(py, |tok, sink| tok.close(sink))
    }

    /// The segments completed by `chunk` as `(start, delimiters, segments)` batches (one per
    /// interchange the chunk touches), each segment one `str` (latin-1: one character a byte).
    fn feed_batches<'py>(&mut self, py: Python<'py>, chunk: &[u8]) -> PyResult<Bound<'py, PyList>> {
        self.collect_batches(py, |tok, sink| tok.feed(chunk, sink))
    }

    /// `close()` for `feed_batches`.
    fn close_batches<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.collect_batches(py, |tok, sink| tok.close(sink))
    }

    /// Raise the error that stopped the stream, if any: after a call that returned segments
    /// and kept its error for the next call, a reader that makes no next call asks here.
    fn check(&self, py: Python<'_>) -> PyResult<()> {
        match self.inner.failure() {
            Some(problem) => Err(raise(py, problem)),
            None => Ok(()),
        }
    }

    /// Ordinal of the last segment produced.
    #[getter]
    fn position(&self) -> u64 {
        self.inner.position()
    }

    /// The delimiters of the interchange being read (an `x12.Delimiters`), None between interchanges.
    #[getter]
    fn delimiters<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(d) = self.inner.delimiters() else {
            return Ok(None);
        };
        delimiters_object(py, &d).map(Some)
    }

    /// What was read past rather than refused (an ISA not at its fixed offsets), as
    /// `X12SyntaxError` instances that were not raised.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.inner
            .findings()
            .iter()
            .map(|p| syntax_error(py, p))
            .collect()
    }
}
