//! Biolens: explore biological expression matrices by pointing and clicking.
//!
//! Data flows one way: a file is read into a [`data::Dataset`] (`data`, the only place
//! polars appears), [`analysis`] runs on it inside [`jobs`] (worker threads with progress
//! and cancel), and the app (`app`, the only egui code, behind the `gui` feature) or the
//! command line ([`cli`]) shows the results. The core — `data`, `analysis`, `jobs`, `cli` —
//! builds without default features and pulls in no egui.

pub mod analysis;
pub mod cli;
pub mod data;
pub mod export;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod jobs;
pub mod palette;
pub mod session;

#[cfg(feature = "gui")]
pub mod app;
