//! Reusable widgets drawn with the painter for speed.

pub mod heatmap;
pub mod scatter;
pub mod table;
