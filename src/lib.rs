//! imrlint: checks California workers' compensation Independent Medical Review determination
//! letters against the guideline criteria they rest on.
//!
//! The stages, each a pure function of the one before:
//! [`input`] (bytes to text) → [`text`] (folded text and offsets) → [`letter`] (layout, sections,
//! items) → [`facts`] (what the letter establishes) → reports. Medical knowledge lives in the YAML
//! files of `rules/`, loaded by [`rules`].

pub mod baseline;
pub mod check;
pub mod config;
pub mod coverage;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod gold;
pub mod input;
pub mod letter;
pub mod linter;
pub mod output;
pub mod report;
pub mod rules;
pub mod run;
pub mod templates;
pub mod text;

#[cfg(test)]
mod testing;
