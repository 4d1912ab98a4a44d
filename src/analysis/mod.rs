//! Analyses on a dataset's matrix. No egui: every function takes `ArrayView2`/plain data and
//! returns a plain result struct that the app, the CLI and export all use.

pub mod classify;
pub mod clustering;
pub mod density;
pub mod distance;
pub mod leiden;
pub mod markers;
pub mod neighbors;
pub mod nn;
pub mod nn_descent;
pub mod pca;
pub mod pca_sparse;
pub mod regress;
pub mod rng;
pub mod special;
pub mod tsne;
pub mod umap;
