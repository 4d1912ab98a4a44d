//! Reusable widgets drawn with the painter for speed.

pub mod cluster_plots;
pub mod confusion;
pub mod dendrogram;
pub mod heatmap;
pub mod scatter;
pub mod scatter_gpu;
pub mod table;
pub mod training;
