//! sdohedi's compiled X12 core. The pure Rust engine lives in plain modules (tested with
//! `cargo test`, no Python needed); `python` holds the PyO3 bindings that make `sdohedi._core`.

// No unsafe code, but in one place: python/models.rs sets a pydantic instance's slots through
// the C API, as pydantic-core's own model construction does (its `force_setattr`).
#![deny(unsafe_code)]

pub mod amount;
pub mod balance835;
pub mod codes;
pub mod content;
pub mod content835;
pub mod content837p;
pub mod delimiters;
pub mod document;
pub mod elements;
pub mod envelope;
pub mod guide;
pub mod problem;
pub mod table_builder;
pub mod tables835;
pub mod tables837p;
pub mod text;
pub mod tokenizer;
pub mod validator;
pub mod walker;
pub mod writer837p;

#[cfg(feature = "python")]
mod python;
