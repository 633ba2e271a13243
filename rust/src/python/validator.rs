//! `sdohedi._core.Validator`: the SNIP 1-2 validator over bytes. `feed` and `close` return its
//! events as tuples, the first item a tag (see `sdohedi.validate.engine`, which reads them):
//!
//! - `(0, rule, message, position, tx_position, segment, loop, element, component, value, data_element)`
//! - `(1, isa05, isa06, isa07, isa08, isa13, isa15, component separator)`, `(2, gs01, gs02, gs03, gs06, gs08, supported)`,
//!   `(3, st01, st02, st03)`: an envelope opens;
//! - `(4,)` the transaction set closes; `(5, ge01)`; `(6,)` the group closes; `(7,)` the
//!   interchange closes.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;

use super::codes::CodeSet;
use super::elements::CodeLists;
use crate::validator::{Event, Validator as Core};

fn text<'py>(py: Python<'py>, bytes: &[u8]) -> Bound<'py, PyString> {
    if bytes.is_ascii() {
        if let Ok(t) = std::str::from_utf8(bytes) {
            return PyString::new(py, t);
        }
    }
    let t: String = bytes.iter().map(|&b| char::from(b)).collect();
    PyString::new(py, &t)
}

fn opt<'py>(py: Python<'py>, bytes: &Option<Vec<u8>>) -> PyResult<Bound<'py, PyAny>> {
    match bytes {
        Some(b) => Ok(text(py, b).into_any()),
        None => Ok(py.None().into_bound(py)),
    }
}

fn event<'py>(py: Python<'py>, e: Event) -> PyResult<Bound<'py, PyTuple>> {
    let items: Vec<Bound<'py, PyAny>> = match e {
        Event::Finding(f) => vec![
            0.into_bound_py_any(py)?,
            f.rule.into_bound_py_any(py)?,
            f.message.into_bound_py_any(py)?,
            f.position.into_bound_py_any(py)?,
            f.tx_position.into_bound_py_any(py)?,
            opt(py, &f.segment)?,
            f.loop_id.into_bound_py_any(py)?,
            f.element.into_bound_py_any(py)?,
            f.component.into_bound_py_any(py)?,
            opt(py, &f.value)?,
            f.data_element.into_bound_py_any(py)?,
        ],
        Event::Interchange(fields, comp) => std::iter::once(1.into_bound_py_any(py))
            .chain(fields.iter().map(|v| Ok(text(py, v).into_any())))
            .chain(std::iter::once(Ok(text(py, &[comp]).into_any())))
            .collect::<PyResult<_>>()?,
        Event::Group(fields, supported) => std::iter::once(2.into_bound_py_any(py))
            .chain(fields.iter().map(|v| Ok(text(py, v).into_any())))
            .chain(std::iter::once(supported.into_bound_py_any(py)))
            .collect::<PyResult<_>>()?,
        Event::Transaction([st01, st02], st03) => vec![
            3.into_bound_py_any(py)?,
            text(py, &st01).into_any(),
            text(py, &st02).into_any(),
            opt(py, &st03)?,
        ],
        Event::TransactionClosed => vec![4.into_bound_py_any(py)?],
        Event::Declared(n) => vec![5.into_bound_py_any(py)?, n.into_bound_py_any(py)?],
        Event::GroupClosed => vec![6.into_bound_py_any(py)?],
        Event::InterchangeClosed => vec![7.into_bound_py_any(py)?],
    };
    PyTuple::new(py, items)
}

fn events<'py>(py: Python<'py>, events: Vec<Event>) -> PyResult<Bound<'py, PyList>> {
    let items = events
        .into_iter()
        .map(|e| event(py, e))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// Validate one stream of interchanges: `feed(chunk)` returns the events that chunk completes,
/// `close()` the rest. `codes` is the code set the 837P's content checks use; `known_groups`
/// the GS01 codes some guide knows (to tell an unsupported version from an
/// unsupported group).
#[pyclass(module = "sdohedi._core", unsendable)]
pub struct Validator {
    inner: Core,
}

#[pymethods]
impl Validator {
    #[new]
    fn new(lists: &CodeLists, codes: &CodeSet, known_groups: Vec<String>) -> PyResult<Self> {
        let known = known_groups.into_iter().map(String::into_bytes).collect();
        let inner = Core::new(lists.lists.clone(), codes.inner.clone(), known)
            .map_err(PyRuntimeError::new_err)?;
        Ok(Validator { inner })
    }

    fn feed<'py>(&mut self, py: Python<'py>, chunk: &[u8]) -> PyResult<Bound<'py, PyList>> {
        events(py, self.inner.feed(chunk))
    }

    fn close<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        events(py, self.inner.close())
    }

    /// Did a syntax error stop the stream?
    #[getter]
    fn fatal(&self) -> bool {
        self.inner.fatal()
    }

    /// Ordinal of the last segment read.
    #[getter]
    fn segments(&self) -> u64 {
        self.inner.segments()
    }
}
