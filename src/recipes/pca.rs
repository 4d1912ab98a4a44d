//! Principal components: the fit ([`PcaParams`]: components, standardising, the SVD and its
//! seed; `PcaParams::default()` is the one default) and what the PCA view shows of it.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::{Colouring, Ctx, RecipeError};
use crate::analysis::pca::{Pca, PcaError, PcaParams, pca};
use crate::memory::{MemoryRule, matrix_bytes};

/// The PCA view's settings: the fit and what is shown of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PcaSettings {
    /// Components, solver, standardising, seed.
    pub params: PcaParams,
    /// Components on the axes (from 0).
    pub axes: (usize, usize),
    /// The loadings shown (from 0).
    pub loadings_pc: usize,
    /// Biplot arrows.
    pub biplot_genes: usize,
    /// Point colours.
    pub colour_by: Colouring,
}

impl Default for PcaSettings {
    fn default() -> Self {
        Self {
            params: PcaParams::default(),
            axes: (0, 1),
            loadings_pc: 0,
            biplot_genes: 0,
            colour_by: Colouring::Nothing,
        }
    }
}

/// The centred copy, the SVD's workspace and its factors, for the randomized SVD (its sketch
/// keeps the factors narrow: at most a few hundred columns).
pub const MEMORY: MemoryRule = MemoryRule {
    what: "PCA",
    bytes: |n, genes| 2 * matrix_bytes(n, genes) + matrix_bytes(n + genes, n.min(genes).min(500)),
};

/// The same for the exact SVD, whose factors are as wide as the smaller side.
pub const MEMORY_EXACT: MemoryRule = MemoryRule {
    what: "PCA (exact SVD)",
    bytes: |n, genes| 2 * matrix_bytes(n, genes) + matrix_bytes(n + genes, n.min(genes)),
};

/// The rule of the SVD that `params` run on `n` × `genes`.
pub fn memory(params: &PcaParams, n: usize, genes: usize) -> MemoryRule {
    match params.solver.resolve(n, genes, params.components) {
        crate::analysis::pca::PcaSolver::Exact => MEMORY_EXACT,
        _ => MEMORY,
    }
}

/// The fit of `x` (samples × genes).
pub fn run(x: ArrayView2<'_, f64>, params: &PcaParams, ctx: Ctx<'_>) -> Result<Pca, RecipeError> {
    let (n, genes) = x.dim();
    memory(params, n, genes).check(n, genes)?;
    ctx.progress(None, "Computing principal components");
    pca(x, params, ctx.cancel_token()).map_err(|e| match e {
        PcaError::Cancelled => RecipeError::Cancelled,
        other => RecipeError::Failed(other.to_string()),
    })
}
