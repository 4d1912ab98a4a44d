//! Writing results: CSV tables now; figures (SVG/PNG) later. No egui.

pub mod csv;
pub mod figure;
pub mod heatmap;
