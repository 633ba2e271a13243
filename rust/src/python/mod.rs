//! The `sdohedi._core` extension module: thin PyO3 classes over the pure Rust engine.

mod arrow;
mod claims837p;
mod codes;
mod document;
mod elements;
mod lines837p;
mod models;
mod problem;
mod remit835;
mod tokenizer;
mod validator;
mod walker;
mod writer837p;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MAX_SEGMENT_LENGTH", crate::tokenizer::MAX_SEGMENT_LENGTH)?;
    m.add_class::<elements::CodeLists>()?;
    m.add_class::<codes::CodeSet>()?;
    m.add_function(wrap_pyfunction!(elements::segment_problems, m)?)?;
    m.add_class::<tokenizer::Segment>()?;
    m.add_class::<tokenizer::Tokenizer>()?;
    m.add_class::<validator::Validator>()?;
    m.add_class::<walker::GuideWalker>()?;
    m.add_class::<walker::Placement>()?;
    m.add_class::<walker::StructureProblem>()?;
    m.add_function(wrap_pyfunction!(writer837p::write_837p, m)?)?;
    m.add_class::<document::Document>()?;
    m.add_class::<document::DocumentReader>()?;
    m.add_function(wrap_pyfunction!(document::read_document, m)?)?;
    m.add_function(wrap_pyfunction!(lines837p::write_837p_lines, m)?)?;
    m.add_class::<arrow::Tables835Reader>()?;
    m.add_function(wrap_pyfunction!(arrow::read_835_tables, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::table_columns_835, m)?)?;
    m.add_class::<arrow::p837::Tables837PReader>()?;
    m.add_function(wrap_pyfunction!(arrow::p837::read_837p_tables, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::p837::table_columns_837p, m)?)?;
    m.add_class::<remit835::Remit835Reader>()?;
    m.add_class::<claims837p::Claims837PReader>()?;
    m.add_class::<models::ModelBuilder>()?;
    m.add_class::<models::Maker>()?;
    Ok(())
}
