//! Writing results: CSV tables, figure descriptions and their SVG/PNG/PDF files, each file
//! written all or nothing ([`mod@file`]). No egui.

pub mod csv;
pub mod figure;
pub mod file;
pub mod heatmap;
pub mod marker_plots;
pub mod plots;
pub mod regress_plots;
pub mod svg;
