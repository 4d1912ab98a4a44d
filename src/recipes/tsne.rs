//! t-SNE: the embedding ([`TsneParams`], openTSNE's defaults) and the view's colouring.
//! The app runs [`Tsne`] step by step itself (to animate and pause); the command line and
//! `biolens run` call [`run`]. What ran is on the [`Tsne`] each step sees: `neighbors`
//! (exact, or approximate from 10,000 samples under `Auto`) and `gradient` (the repulsion).

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{Colouring, Ctx, RecipeError};
use crate::analysis::pca::PcaError;
use crate::analysis::tsne::{StepInfo, Tsne, TsneError, TsneParams};
use crate::memory::MemoryRule;

/// The t-SNE view's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TsneSettings {
    /// Every parameter, the seed included.
    pub params: TsneParams,
    /// Point colours.
    pub colour_by: Colouring,
}

/// The PCA input, then per sample the neighbour lists (exact: one GEMM block of 256 rows;
/// approximate: the descent's lists), affinities, gradient and tree.
pub const MEMORY: MemoryRule =
    MemoryRule { what: "t-SNE", bytes: |n, genes| super::pca::MEMORY.need(n, genes) + 4_000 * n as u128 };

/// Turns the algorithm's error into the layer's.
pub fn error(err: TsneError) -> RecipeError {
    match err {
        TsneError::Cancelled | TsneError::Pca(PcaError::Cancelled) => RecipeError::Cancelled,
        other => RecipeError::Failed(other.to_string()),
    }
}

/// The embedding of `x` (samples × genes), run to the end; `on_step` sees every iteration.
pub fn run(
    x: ArrayView2<'_, f64>,
    params: &TsneParams,
    ctx: Ctx<'_>,
    on_step: impl FnMut(&Tsne, StepInfo),
) -> Result<Array2<f64>, RecipeError> {
    MEMORY.check(x.nrows(), x.ncols())?;
    crate::analysis::tsne::run(x, params, ctx.cancel_token(), on_step).map_err(error)
}
