//! The 835 and 837P tables (`crate::tables835`, `crate::tables837p`) handed to Python as Arrow
//! tables through the Arrow PyCapsule interface (pyo3-arrow): pyarrow, polars and duckdb take them
//! with no copy. One binding, stamped out per transaction by `tables_binding!`.

pub use p835::{read_835_tables, table_columns_835, Tables835Reader};

macro_rules! tables_binding {
    ($module:ident, $core:ident, $reader:ident, $read_fn:ident, $columns_fn:ident) => {
        pub mod $module {
            use std::io::Read;

            use pyo3::exceptions::{PyOSError, PyRuntimeError};
            use pyo3::prelude::*;
            use pyo3::types::{PyBytes, PyDict};
            use pyo3_arrow::PyTable;

            use crate::$core::{self as core, Batches, TABLES};

            /// One dict of name -> Table over the batches given (every table of every batch).
            fn tables<'py>(py: Python<'py>, batches: Vec<Batches>) -> PyResult<Bound<'py, PyDict>> {
                let mut columns: Vec<Vec<arrow_array::RecordBatch>> =
                    vec![Vec::new(); TABLES.len()];
                for b in batches {
                    for (i, t) in b.tables.into_iter().enumerate() {
                        columns[i].push(t);
                    }
                }
                let out = PyDict::new(py);
                for ((name, cols), batches) in TABLES.iter().zip(columns) {
                    let table = PyTable::try_new(batches, core::schema(cols))?;
                    out.set_item(*name, Bound::new(py, table)?)?;
                }
                Ok(out)
            }

            /// The stream error before any transaction set (nothing could be read): rule, message, position.
            type Failure = Option<(&'static str, &'static str, Option<u64>)>;

            fn failure(r: &core::Reader) -> Failure {
                r.failed_early().map(|p| (p.rule, p.message, p.position))
            }

            fn reader(batch_claims: usize) -> PyResult<core::Reader> {
                core::Reader::new(batch_claims).map_err(PyRuntimeError::new_err)
            }

            /// Read a whole file (bytes, or a path read in 1 MiB chunks) into a dict of its tables, and the
            /// error (rule, message, position) when nothing could be read.
            #[pyfunction]
            #[pyo3(signature = (source, batch_claims = core::BATCH_CLAIMS))]
            pub fn $read_fn<'py>(
                py: Python<'py>,
                source: &Bound<'py, PyAny>,
                batch_claims: usize,
            ) -> PyResult<(Bound<'py, PyDict>, Failure)> {
                let mut r = reader(batch_claims)?;
                let mut batches = Vec::new();
                if let Ok(bytes) = source.cast::<PyBytes>() {
                    let data = bytes.as_bytes();
                    batches = py.detach(|| {
                        r.feed(data);
                        let mut out = r.take();
                        out.extend(r.close());
                        out
                    });
                } else {
                    let path: std::path::PathBuf = source.extract()?;
                    let result: std::io::Result<()> = py.detach(|| {
                        let mut file = std::fs::File::open(&path)?;
                        let mut chunk = vec![0u8; 1 << 20];
                        loop {
                            let n = file.read(&mut chunk)?;
                            if n == 0 {
                                break;
                            }
                            r.feed(&chunk[..n]);
                            batches.extend(r.take());
                        }
                        batches.extend(r.close());
                        Ok(())
                    });
                    // The OS error names the path the caller gave; it holds no data from the file.
                    result.map_err(|e| PyOSError::new_err(e.to_string()))?;
                }
                let failed = failure(&r);
                Ok((tables(py, batches)?, failed))
            }

            /// A file read in chunks; `take` hands out the batches completed so far (each at most
            /// `batch_claims` claims), so memory stays bounded by one batch.
            #[pyclass(module = "sdohedi._core")]
            pub struct $reader {
                inner: core::Reader,
            }

            #[pymethods]
            impl $reader {
                #[new]
                #[pyo3(signature = (batch_claims = core::BATCH_CLAIMS))]
                fn new(batch_claims: usize) -> PyResult<Self> {
                    Ok($reader {
                        inner: reader(batch_claims)?,
                    })
                }

                fn feed(&mut self, py: Python<'_>, chunk: &[u8]) {
                    py.detach(|| self.inner.feed(chunk));
                }

                /// The batches completed so far, as a dict of the tables; None when there are none.
                fn take<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
                    let batches = self.inner.take();
                    if batches.is_empty() {
                        return Ok(None);
                    }
                    tables(py, batches).map(Some)
                }

                /// End of the stream: the last batches, the error when nothing at all could be read,
                /// and whether the stream stopped at an error (the last row of `findings`).
                fn close<'py>(
                    &mut self,
                    py: Python<'py>,
                ) -> PyResult<(Bound<'py, PyDict>, Failure, bool)> {
                    let batches = py.detach(|| self.inner.close());
                    let failed = failure(&self.inner);
                    Ok((tables(py, batches)?, failed, self.inner.failed().is_some()))
                }
            }

            /// (table, column, arrow type, source element) for every column: the docs table's rows.
            #[pyfunction]
            pub fn $columns_fn() -> Vec<(&'static str, &'static str, String, &'static str)> {
                TABLES
                    .iter()
                    .flat_map(|(table, cols)| {
                        cols.iter().map(move |c| {
                            (*table, c.name, format!("{}", c.kind.data_type()), c.source)
                        })
                    })
                    .collect()
            }
        }
    };
}

tables_binding!(
    p835,
    tables835,
    Tables835Reader,
    read_835_tables,
    table_columns_835
);
tables_binding!(
    p837,
    tables837p,
    Tables837PReader,
    read_837p_tables,
    table_columns_837p
);
