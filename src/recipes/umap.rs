//! UMAP of a dataset: its neighbour graph ([`super::neighbors`]) laid out by
//! [`crate::analysis::umap`], epoch by epoch.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::neighbors::{Graph, GraphSettings};
use super::{Colouring, Ctx, RecipeError};
use crate::analysis::umap::{Umap, UmapInit, UmapParams, spectral_init};

/// Power iterations of the spectral start.
const SPECTRAL_ITERATIONS: usize = 300;

/// What the UMAP view and `biolens umap` run (saved with a session as it is).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UmapSettings {
    /// The neighbour graph.
    pub graph: GraphSettings,
    /// The layout.
    pub params: UmapParams,
    /// What the points are coloured by.
    pub colour_by: Colouring,
}

/// The layout's start for `graph`: spectral, or the representation's first two principal
/// components.
pub fn start(graph: &Graph, params: &UmapParams, ctx: Ctx<'_>) -> Result<Umap, RecipeError> {
    let init: Array2<f64> = match params.init {
        UmapInit::Spectral => {
            ctx.progress(None, "Spectral start");
            let token = ctx.cancel_token();
            let cancelled = || token.is_some_and(crate::jobs::CancelToken::is_cancelled);
            spectral_init(&graph.connectivities, params.seed, SPECTRAL_ITERATIONS, &cancelled)
                .ok_or(RecipeError::Cancelled)?
        }
        UmapInit::Pca if graph.is_pca => {
            graph.representation.slice(ndarray::s![.., ..2.min(graph.representation.ncols())]).to_owned()
        }
        UmapInit::Pca => {
            let pca_params = crate::analysis::pca::PcaParams { components: 2, ..Default::default() };
            super::pca::run(graph.representation.view(), &pca_params, ctx)?.scores
        }
    };
    if init.ncols() < 2 {
        return Err(RecipeError::Invalid("UMAP needs a representation of at least two dimensions".into()));
    }
    ctx.check()?;
    Ok(Umap::new(&graph.connectivities, &init, *params))
}

/// The whole layout (the command line): graph, start and every epoch.
pub fn run(
    dataset: &crate::data::Dataset,
    settings: &UmapSettings,
    ctx: Ctx<'_>,
) -> Result<(Graph, Umap), RecipeError> {
    let graph = super::neighbors::build(dataset, &settings.graph, ctx)?;
    let mut umap = start(&graph, &settings.params, ctx)?;
    while !umap.is_done() {
        ctx.check()?;
        umap.step();
        let (epoch, total) = umap.progress();
        ctx.progress(Some(epoch as f32 / total as f32), "optimising");
    }
    Ok((graph, umap))
}
