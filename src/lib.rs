//! Biolens: explore biological expression matrices by pointing and clicking.
//!
//! Data flows one way: a file is read into a [`data::Dataset`] (`data`, the only place
//! polars appears); [`recipes`] defines every analysis once — its settings, rules, memory
//! need ([`memory`]) and one function — on top of the algorithms in [`analysis`] (and
//! [`gpu`] for distances); the app (`app`, the only egui code, behind the `gui` feature) runs
//! recipes inside [`jobs`] (worker threads with progress and cancel), the command line
//! ([`cli`]) runs them directly, and [`export`] draws their figures and tables. A
//! [`session`] file stores the recipes' settings as they are. The core — everything but
//! `app` — builds without default features and pulls in no egui; see `docs/ARCHITECTURE.md`.

pub mod analysis;
pub mod cli;
pub mod data;
pub mod export;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod jobs;
pub mod memory;
pub mod palette;
pub mod recipes;
pub mod session;

#[cfg(feature = "gui")]
pub mod app;
