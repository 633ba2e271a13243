//! `sdohedi._core.GuideWalker`: the core tokenizer and guide walker over bytes, each segment's
//! place in its implementation guide as a Python object.

use std::collections::HashMap;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::problem::raise;
use crate::problem::Problem;
use crate::text::latin1;
use crate::tokenizer::{Segment, Tokenizer};
use crate::walker::{StructureProblem as CoreProblem, Walk};

/// A structure rule broken at a segment (no element values in it).
#[pyclass(module = "sdohedi._core", frozen, get_all)]
pub struct StructureProblem {
    rule: &'static str,
    position: u64,
    segment: String,
    #[pyo3(name = "loop")]
    loop_id: Option<String>,
    message: String,
}

#[pymethods]
impl StructureProblem {
    fn __repr__(&self) -> String {
        format!(
            "StructureProblem(rule={:?}, position={}, segment={:?}, loop={:?})",
            self.rule, self.position, self.segment, self.loop_id
        )
    }
}

/// Where one segment sits: its guide (pyx12's map file), its node's path, its TR3 loop id and
/// the path of the loop it is in; all None when it has no place (or its group has no guide).
#[pyclass(module = "sdohedi._core", frozen, get_all)]
pub struct Placement {
    position: u64,
    segment: Py<PyString>,
    guide: Option<Py<PyString>>,
    path: Option<Py<PyString>>,
    #[pyo3(name = "loop")]
    loop_id: Option<Py<PyString>>,
    loop_path: Option<Py<PyString>>,
    problems: Vec<Py<StructureProblem>>,
}

#[pymethods]
impl Placement {
    fn __repr__(&self, py: Python<'_>) -> String {
        let show = |s: &Option<Py<PyString>>| {
            s.as_ref()
                .map(|s| format!("{:?}", s.bind(py).to_string()))
                .unwrap_or_else(|| "None".to_owned())
        };
        // A malformed id may be a run of data with no separator in it: shown only when it is an id.
        let id = self.segment.bind(py).to_string();
        let id = if (2..=3).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            id
        } else {
            "?".to_owned()
        };
        format!(
            "Placement(position={}, segment={:?}, loop={}, path={})",
            self.position,
            id,
            show(&self.loop_id),
            show(&self.path)
        )
    }
}

type NodeStrings = [Option<Py<PyString>>; 4];

/// Feed bytes cut anywhere; `feed` returns the placements of the segments completed, `close`
/// the rest. A broken syntax rule raises `X12SyntaxError` (after the placements before it).
#[pyclass(module = "sdohedi._core")]
pub struct GuideWalker {
    tokenizer: Tokenizer,
    walk: Walk,
    /// (guide, node) -> its strings, made once.
    strings: HashMap<(usize, usize), NodeStrings>,
}

impl GuideWalker {
    fn run(
        &mut self,
        py: Python<'_>,
        step: impl FnOnce(&mut Tokenizer, &mut dyn FnMut(Segment<'_>)) -> Result<(), Problem>,
    ) -> PyResult<Vec<Placement>> {
        let mut out = Vec::new();
        let walk = &mut self.walk;
        let strings = &mut self.strings;
        let tables = walk.tables();
        let mut problems: Vec<CoreProblem> = Vec::new();
        let mut failure: Option<PyErr> = None;
        let result = step(&mut self.tokenizer, &mut |seg| {
            if failure.is_some() {
                return;
            }
            problems.clear();
            let placed = walk.segment(&seg, &mut problems);
            let [guide, path, loop_id, loop_path] = match placed {
                None => [None, None, None, None],
                Some(p) => {
                    let node = strings.entry((p.guide, p.segment)).or_insert_with(|| {
                        let g = &tables.guides[p.guide];
                        let s = &g.segments[p.segment];
                        let text = |t: &str| Some(PyString::new(py, t).unbind());
                        [
                            text(&g.map),
                            text(&s.path),
                            s.loop_id.as_deref().and_then(text),
                            text(&g.loops[s.parent].path),
                        ]
                    });
                    node.each_ref().map(|s| s.as_ref().map(|s| s.clone_ref(py)))
                }
            };
            let converted: PyResult<Vec<_>> = problems
                .drain(..)
                .map(|p| {
                    Py::new(
                        py,
                        StructureProblem {
                            rule: p.rule,
                            position: p.position,
                            segment: p.segment,
                            loop_id: p.loop_id,
                            message: p.message,
                        },
                    )
                })
                .collect();
            match converted {
                Ok(problems) => out.push(Placement {
                    position: seg.position,
                    segment: PyString::new(py, &latin1(seg.id())).unbind(),
                    guide,
                    path,
                    loop_id,
                    loop_path,
                    problems,
                }),
                Err(err) => failure = Some(err),
            }
        });
        if let Some(err) = failure {
            return Err(err);
        }
        match result {
            Err(problem) if out.is_empty() => Err(raise(py, &problem)),
            _ => Ok(out),
        }
    }
}

#[pymethods]
impl GuideWalker {
    #[new]
    fn new() -> PyResult<Self> {
        let walk = Walk::new().map_err(PyRuntimeError::new_err)?;
        Ok(GuideWalker {
            // Malformed ids are handed out (the walker gives them no place); an ISA off its
            // fixed offsets is read by its separators, as the validator reads it.
            tokenizer: Tokenizer::new(false).lenient_isa(true),
            walk,
            strings: HashMap::new(),
        })
    }

    fn feed(&mut self, py: Python<'_>, chunk: &[u8]) -> PyResult<Vec<Placement>> {
        self.run(py, |tok, sink| tok.feed(chunk, sink))
    }

    fn close(&mut self, py: Python<'_>) -> PyResult<Vec<Placement>> {
        self.run(py, |tok, sink| tok.close(sink))
    }
}
