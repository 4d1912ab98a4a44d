//! The neighbour graph of a dataset: the representation (principal components of the processed
//! values, or a stored embedding), its exact k-NN and the UMAP connectivities
//! ([`crate::analysis::neighbors`]; approximate from 8,192 cells,
//! [`crate::analysis::nn_descent`]); what Leiden, Louvain and UMAP start from.

use std::sync::Arc;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::{Ctx, RecipeError};
use crate::analysis::neighbors::{self, Knn};
use crate::data::{Csr, Dataset};

/// How the neighbours are searched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Search {
    /// Exact below [`APPROXIMATE_FROM`] cells, approximate from there (scanpy's rule).
    #[default]
    Auto,
    /// Every distance (O(n²)).
    Exact,
    /// Nearest-neighbour descent from random-projection trees (pynndescent's method).
    Approximate,
}

/// How neighbours are weighted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    /// UMAP's fuzzy union (scanpy's default, `method="umap"`).
    #[default]
    Umap,
    /// A Gaussian kernel with an adaptive width (scanpy's `method="gauss"`).
    Gauss,
}

/// Cells from which [`Search::Auto`] searches approximately (scanpy: 8,192).
pub const APPROXIMATE_FROM: usize = 8192;

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
    /// Exact or approximate search.
    pub search: Search,
    /// Seed of the approximate search.
    pub seed: u64,
    /// How neighbours are weighted.
    pub connectivity: Connectivity,
}

impl Default for GraphSettings {
    fn default() -> Self {
        Self { neighbors: 15, pcs: 50, use_rep: None, search: Search::Auto, seed: 0, connectivity: Connectivity::Umap }
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
    /// True when they were searched approximately.
    pub approximate: bool,
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
    let approximate = match settings.search {
        Search::Auto => representation.nrows() >= APPROXIMATE_FROM,
        Search::Exact => false,
        Search::Approximate => true,
    };
    let knn = if approximate {
        let params = crate::analysis::nn_descent::DescentParams { seed: settings.seed, ..Default::default() };
        crate::analysis::nn_descent::approximate_knn(representation.view(), settings.neighbors, params, &cancelled)
    } else {
        neighbors::exact_knn(representation.view(), settings.neighbors, &cancelled)
    }
    .ok_or(RecipeError::Cancelled)?;
    ctx.progress(None, "Connectivities");
    let connectivities = match settings.connectivity {
        Connectivity::Umap => neighbors::umap_connectivities(&knn),
        Connectivity::Gauss => neighbors::gauss_connectivities(&knn),
    };
    Ok(Graph { representation: Arc::new(representation), from, is_pca, knn, approximate, connectivities })
}

/// The last neighbour graph built, shared by the views that use one (the UMAP view, Leiden and
/// Louvain in the Clusters view): a graph is built once for the same data (matrix generation)
/// and settings, whichever view asks first. Sessions keep only the settings; the graph is built
/// again when they are opened.
#[derive(Default)]
pub struct GraphCache {
    last: std::sync::Mutex<Option<(u64, GraphSettings, Arc<Graph>)>>,
}

impl GraphCache {
    /// The graph of `dataset` (at matrix generation `generation`) built as `settings` say: the
    /// one kept when it matches, else built now (the cache is not locked meanwhile) and kept.
    pub fn get_or_build(
        &self,
        generation: u64,
        dataset: &Dataset,
        settings: &GraphSettings,
        ctx: Ctx<'_>,
    ) -> Result<Arc<Graph>, RecipeError> {
        if let Some(graph) = self.get(generation, settings) {
            return Ok(graph);
        }
        let graph = Arc::new(build(dataset, settings, ctx)?);
        *self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((generation, settings.clone(), Arc::clone(&graph)));
        Ok(graph)
    }

    /// The kept graph, when it was built for `generation` and `settings`.
    pub fn get(&self, generation: u64, settings: &GraphSettings) -> Option<Arc<Graph>> {
        let last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        last.as_ref().filter(|(g, s, _)| *g == generation && s == settings).map(|(_, _, graph)| Arc::clone(graph))
    }
}
