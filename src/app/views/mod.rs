//! Views: each draws one part of the app from the state and pushes commands.

pub mod data;
pub mod distance_map;
pub mod embedding;
pub mod pca;
pub mod tsne;
