//! The neighbour graph of a dataset: the representation (principal components of the processed
//! values, or a stored embedding), its exact k-NN and the UMAP connectivities
//! ([`crate::analysis::neighbors`]); what Leiden, Louvain and UMAP start from.

use std::sync::Arc;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::{Ctx, RecipeError};
use crate::analysis::neighbors::{self, Knn};
use crate::data::{Csr, Dataset};

/// How the graph is built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GraphSettings {
    /// Neighbours per cell, the cell included (scanpy's `n_neighbors`).
    pub neighbors: usize,
    /// Principal components of the processed values to search in.
    pub pcs: usize,
    /// A stored embedding (`obsm` key) to search in instead.
    pub use_rep: Option<String>,
}

impl Default for GraphSettings {
    fn default() -> Self {
        Self { neighbors: 15, pcs: 50, use_rep: None }
    }
}

/// The graph and what it was built from.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Cells × dimensions searched.
    pub representation: Arc<Array2<f64>>,
    /// "50 principal components" or the embedding's name.
    pub from: String,
    /// True when the representation is principal components (its first two are a PCA start).
    pub is_pca: bool,
    /// The neighbours.
    pub knn: Knn,
    /// The symmetric connectivities.
    pub connectivities: Csr,
}

/// Builds the graph of `dataset`'s processed samples.
pub fn build(dataset: &Dataset, settings: &GraphSettings, ctx: Ctx<'_>) -> Result<Graph, RecipeError> {
    let (representation, from, is_pca) = if let Some(name) = &settings.use_rep {
        let stored = dataset.raw().single_cell().embeddings.iter().find(|e| &e.name == name).ok_or_else(|| {
            let names: Vec<&str> = dataset.raw().single_cell().embeddings.iter().map(|e| e.name.as_str()).collect();
            RecipeError::Invalid(format!(
                "no stored embedding '{name}'; the file holds: {}",
                if names.is_empty() { "none".to_owned() } else { names.join(", ") }
            ))
        })?;
        (stored.coords.select(ndarray::Axis(0), dataset.raw_rows()), name.clone(), false)
    } else {
        ctx.progress(None, "Computing principal components");
        let params = crate::analysis::pca::PcaParams { components: settings.pcs, ..Default::default() };
        let pca = super::pca::run_values(dataset.values(), &params, ctx)?;
        let from = format!("{} principal components", pca.scores.ncols());
        (pca.scores, from, true)
    };
    ctx.check()?;
    ctx.progress(None, "Finding neighbours");
    let token = ctx.cancel_token();
    let cancelled = || token.is_some_and(crate::jobs::CancelToken::is_cancelled);
    let knn =
        neighbors::exact_knn(representation.view(), settings.neighbors, &cancelled).ok_or(RecipeError::Cancelled)?;
    ctx.progress(None, "Connectivities");
    let connectivities = neighbors::umap_connectivities(&knn);
    Ok(Graph { representation: Arc::new(representation), from, is_pca, knn, connectivities })
}
