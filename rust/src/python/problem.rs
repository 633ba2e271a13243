//! Problems of the core as the Python layer's typed errors (`sdohedi.x12.errors.X12SyntaxError`).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::problem::Problem;

/// An `X12SyntaxError` instance for `problem` (raised, or kept as a finding).
pub fn syntax_error<'py>(py: Python<'py>, problem: &Problem) -> PyResult<Bound<'py, PyAny>> {
    let cls = py.import("sdohedi.x12.errors")?.getattr("X12SyntaxError")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("rule", problem.rule)?;
    kwargs.set_item("position", problem.position)?;
    kwargs.set_item("segment", problem.segment)?;
    cls.call((problem.message,), Some(&kwargs))
}

pub fn raise(py: Python<'_>, problem: &Problem) -> PyErr {
    match syntax_error(py, problem) {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}
