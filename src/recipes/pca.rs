//! Principal components: the fit ([`PcaParams`]: components, standardising, the SVD and its
//! seed; `PcaParams::default()` is the one default) and what the PCA view shows of it.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::{Colouring, Ctx, RecipeError};
use crate::analysis::pca::{Pca, PcaError, PcaParams, pca};
use crate::analysis::pca_sparse::pca_sparse;
use crate::data::Matrix;
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

/// PCA of a sparse matrix: the gene covariance (up to 4,000 genes) or the randomized
/// sketch's factors, and the scores; the matrix itself is never densified.
pub const MEMORY_SPARSE: MemoryRule = MemoryRule {
    what: "PCA of the sparse matrix",
    bytes: |n, genes| {
        let genes_side = if genes <= crate::analysis::pca_sparse::COVARIANCE_GENES {
            // The covariance and one partial Gram matrix per worker thread.
            matrix_bytes(genes, genes) * (1 + rayon::current_num_threads() as u128)
        } else {
            matrix_bytes(genes, 512) * (1 + rayon::current_num_threads() as u128)
        };
        genes_side + matrix_bytes(n, 512)
    },
};

/// The fit of the dataset's values: a sparse matrix with implicit centring (scanpy's way; no
/// standardising, which would densify it: scale it in preprocessing first), a dense one as
/// [`run`].
pub fn run_values(values: &Matrix, params: &PcaParams, ctx: Ctx<'_>) -> Result<Pca, RecipeError> {
    let Some(x) = values.as_sparse() else {
        return run(values.dense()?.view(), params, ctx);
    };
    if params.scale {
        return Err(RecipeError::Invalid(
            "standardising genes would make this sparse matrix dense: add a 'scale' step to the \
             preprocessing (after selecting highly variable genes) and run PCA without standardising"
                .to_owned(),
        ));
    }
    let (n, genes) = x.dim();
    MEMORY_SPARSE.check(n, genes)?;
    ctx.progress(None, "Computing principal components (sparse, implicit centring)");
    pca_sparse(x, params, ctx.cancel_token()).map_err(|e| match e {
        PcaError::Cancelled => RecipeError::Cancelled,
        other => RecipeError::Failed(other.to_string()),
    })
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
