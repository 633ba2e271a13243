//! `sdohedi._core.CodeSet`: the code set of the content checks (procedures with their dates and
//! modifiers, dated SDOH Z codes), handed over once from `sdohedi.codes.CodeSet`.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::elements::latin1;
use crate::codes::{self, Day, Diagnosis, Procedure};

fn day(n: u32) -> PyResult<Day> {
    if codes::is_day(n) {
        Ok(n)
    } else {
        Err(PyValueError::new_err(format!(
            "{n} is not a date as CCYYMMDD"
        )))
    }
}

#[pyclass(module = "sdohedi._core", frozen)]
pub struct CodeSet {
    pub inner: Arc<codes::CodeSet>,
}

#[pymethods]
impl CodeSet {
    /// `procedures`: (code, start, end, allowed modifiers); `diagnoses`: (code without the dot,
    /// code as written, start, end). Dates are CCYYMMDD numbers.
    #[new]
    fn new(
        procedures: Vec<(String, u32, u32, Vec<String>)>,
        diagnoses: Vec<(String, String, u32, u32)>,
    ) -> PyResult<Self> {
        let mut set = codes::CodeSet::default();
        for (code, start, end, modifiers) in procedures {
            let mut modifiers = modifiers
                .iter()
                .map(|m| latin1(m))
                .collect::<PyResult<Vec<_>>>()?;
            modifiers.sort_unstable(); // looked up by binary search
            let p = Procedure {
                start: day(start)?,
                end: day(end)?,
                modifiers,
            };
            set.procedures.insert(latin1(&code)?, p);
        }
        for (key, code, start, end) in diagnoses {
            let d = Diagnosis {
                code,
                start: day(start)?,
                end: day(end)?,
            };
            set.diagnoses.entry(latin1(&key)?).or_default().push(d);
        }
        Ok(CodeSet {
            inner: Arc::new(set),
        })
    }
}
