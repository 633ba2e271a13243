//! `sdohedi._core.CodeLists` and `segment_problems`: the element checks of one segment, for the
//! differential test against the Python checks they replaced (tests/validate/oracle/elements.py) (the validator calls them from Rust).

use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::elements::{self, CodeLists as Lists};
use crate::guide::tables;

/// The external code lists (`states`, `country`, `pos`...) by name, given once.
#[pyclass(module = "sdohedi._core", frozen)]
pub struct CodeLists {
    pub lists: Lists,
}

#[pymethods]
impl CodeLists {
    #[new]
    fn new(lists: Vec<(String, Vec<String>)>) -> PyResult<Self> {
        let lists = lists
            .into_iter()
            .map(|(name, codes)| {
                Ok((
                    name,
                    codes.iter().map(|c| latin1(c)).collect::<PyResult<_>>()?,
                ))
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(CodeLists {
            lists: Lists::new(lists),
        })
    }
}

/// Text from Python (one character per byte, as the tokenizer made it) back to bytes.
pub fn latin1(text: &str) -> PyResult<Vec<u8>> {
    text.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .map_err(|_| PyValueError::new_err("a character past latin-1"))
        })
        .collect()
}

/// Problems of `elements` (the id first) against the segment at `path` of guide `map`:
/// (rule, element, component, message, value, data element) in the order found.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn segment_problems(
    map: &str,
    path: &str,
    elements: Vec<String>,
    comp: &str,
    lists: &CodeLists,
) -> PyResult<
    Vec<(
        &'static str,
        Option<u32>,
        Option<u32>,
        String,
        Option<String>,
        Option<&'static str>,
    )>,
> {
    let t = tables().map_err(PyRuntimeError::new_err)?;
    let guide = t
        .guides
        .iter()
        .find(|g| g.map == map)
        .ok_or_else(|| PyKeyError::new_err(map.to_owned()))?;
    let node = &guide.segments[guide
        .segment_at(path)
        .ok_or_else(|| PyKeyError::new_err(path.to_owned()))?];
    let els = elements
        .iter()
        .map(|e| latin1(e))
        .collect::<PyResult<Vec<_>>>()?;
    let els: Vec<&[u8]> = els.iter().map(Vec::as_slice).collect();
    let comp = match latin1(comp)?.as_slice() {
        [c] => *c,
        _ => {
            return Err(PyValueError::new_err(
                "the component separator is one character",
            ))
        }
    };
    let mut out = Vec::new();
    elements::segment_problems(node, &els, Some(comp), &lists.lists, &mut out);
    Ok(out
        .into_iter()
        .map(|p| {
            (
                p.rule,
                p.element,
                p.component,
                p.message,
                p.value,
                p.data_ele,
            )
        })
        .collect())
}
