//! `sdohedi._core.Document` and `DocumentReader`: lossless documents for `sdohedi.x12.document`,
//! which builds its navigable views from the plain tuples handed out here.

use std::collections::HashMap;

use pyo3::exceptions::{PyIndexError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use super::problem::{raise, syntax_error};
use crate::document as core;
use crate::text::latin1;

/// A lossless document: the input's bytes, its segments and loop instances (see `rust/src/document.rs`).
#[pyclass(module = "sdohedi._core")]
pub struct Document {
    doc: core::Document,
}

impl Document {
    fn check(&self, i: usize) -> PyResult<()> {
        if i < self.doc.segments.len() {
            Ok(())
        } else {
            Err(PyIndexError::new_err("segment index out of range"))
        }
    }
}

#[pymethods]
impl Document {
    fn __len__(&self) -> usize {
        self.doc.segments.len()
    }

    /// Stream offset of the document's first byte.
    #[getter]
    fn base(&self) -> u64 {
        self.doc.base
    }

    /// Whether it is one transaction set of a split stream.
    #[getter]
    fn transaction(&self) -> bool {
        self.doc.transaction
    }

    /// The rule that stopped the tokenizer (an `X12SyntaxError`), or None.
    #[getter]
    fn failure<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.doc
            .failure
            .as_ref()
            .map(|p| syntax_error(py, p))
            .transpose()
    }

    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.doc
            .findings
            .iter()
            .map(|p| syntax_error(py, p))
            .collect()
    }

    fn head<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.doc.head())
    }

    fn tail<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.doc.tail_bytes())
    }

    fn text<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyBytes>> {
        self.check(i)?;
        Ok(PyBytes::new(py, self.doc.text(i)))
    }

    fn trailer<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyBytes>> {
        self.check(i)?;
        Ok(PyBytes::new(py, self.doc.trailer(i)))
    }

    /// (element, component, repetition, segment terminator) of segment `i`'s interchange.
    fn delimiters(&self, i: usize) -> PyResult<(char, char, char, char)> {
        self.check(i)?;
        let d = self.doc.segments[i].delimiters;
        let c = char::from;
        Ok((c(d.element), c(d.component), c(d.repetition), c(d.segment)))
    }

    fn set_text(&mut self, py: Python<'_>, i: usize, text: &[u8]) -> PyResult<()> {
        self.check(i)?;
        self.doc.set_text(i, text).map_err(|p| raise(py, &p))
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.doc.to_bytes())
    }

    /// Per segment: (position, stream offset, instance, id, (guide map, node path, TR3 loop id),
    /// problems as (rule, position, segment, loop, message)); guide, path and loop are None
    /// where the guide has no place for it.
    fn segments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let tables = crate::guide::tables().map_err(PyRuntimeError::new_err)?;
        let out = PyList::empty(py);
        // The strings of a guide node, and the ids, repeat on every segment: one object each.
        let mut nodes: HashMap<(usize, usize), Bound<'py, PyTuple>> = HashMap::new();
        let mut ids: HashMap<Vec<u8>, Bound<'py, PyString>> = HashMap::new();
        let unplaced = (None::<&str>, None::<&str>, None::<&str>).into_pyobject(py)?;
        let none = PyTuple::empty(py);
        for (i, s) in self.doc.segments.iter().enumerate() {
            let text = self.doc.text(i);
            let id = &text[..memchr::memchr(s.delimiters.element, text).unwrap_or(text.len())];
            let id = match ids.get(id) {
                Some(id) => id.clone(),
                None => {
                    let made = PyString::new(py, &latin1(id));
                    if id.len() <= 3 {
                        ids.insert(id.to_vec(), made.clone());
                    }
                    made
                }
            };
            let node = match s.placement {
                Some(p) => match nodes.get(&(p.guide, p.segment)) {
                    Some(node) => node.clone(),
                    None => {
                        let g = &tables.guides[p.guide];
                        let seg = &g.segments[p.segment];
                        let made = (g.map.as_str(), seg.path.as_str(), seg.loop_id.as_deref())
                            .into_pyobject(py)?;
                        nodes.insert((p.guide, p.segment), made.clone());
                        made
                    }
                },
                None => unplaced.clone(),
            };
            let found = self.doc.problems_of(i);
            let problems = if found.is_empty() {
                none.clone()
            } else {
                let rows: Vec<_> = found
                    .iter()
                    .map(|(_, p)| {
                        (
                            p.rule,
                            p.position,
                            p.segment.as_str(),
                            p.loop_id.as_deref(),
                            p.message.as_str(),
                        )
                    })
                    .collect();
                PyTuple::new(py, rows)?
            };
            let row = (
                s.position,
                self.doc.base + s.start as u64,
                s.instance,
                id,
                node,
                problems,
            );
            out.append(row.into_pyobject(py)?)?;
        }
        Ok(out)
    }

    /// Per loop instance: (parent, path, id, name, first segment, continued).
    fn loops<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for l in &self.doc.loops {
            let row: Bound<'py, PyTuple> =
                (l.parent, l.path, l.id, l.name, l.first, l.continued).into_pyobject(py)?;
            out.append(row)?;
        }
        Ok(out)
    }
}

fn wrap(docs: Vec<core::Document>) -> Vec<Document> {
    docs.into_iter().map(|doc| Document { doc }).collect()
}

/// Feed a stream cut anywhere; `split`: one document per transaction set and per stretch of
/// envelope between them, else one for the stream (from `close`).
#[pyclass(module = "sdohedi._core")]
pub struct DocumentReader {
    reader: core::Reader,
}

#[pymethods]
impl DocumentReader {
    #[new]
    #[pyo3(signature = (split = true))]
    fn new(split: bool) -> PyResult<Self> {
        let reader = core::Reader::new(split).map_err(PyRuntimeError::new_err)?;
        Ok(DocumentReader { reader })
    }

    fn feed(&mut self, py: Python<'_>, chunk: &[u8]) -> PyResult<Vec<Document>> {
        self.reader.feed(chunk).map(wrap).map_err(|p| raise(py, &p))
    }

    fn close(&mut self) -> Vec<Document> {
        wrap(self.reader.close())
    }
}

/// The whole of `data` as one document (no segment in it, and its failure, when not one could be read).
#[pyfunction]
pub fn read_document(py: Python<'_>, data: &[u8]) -> PyResult<Document> {
    let reader = core::Reader::new(false).map_err(PyRuntimeError::new_err)?;
    let doc = py.detach(|| reader.read(data));
    Ok(Document { doc })
}
