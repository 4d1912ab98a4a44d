//! Principal component analysis on faer: exact thin SVD for small matrices, randomized
//! truncated SVD (Halko, Martinsson & Tropp 2011) for large ones.
//!
//! # Why not linfa-reduction
//! linfa-reduction's PCA solves the eigenproblem of `XᵀX` with LOBPCG: slow on wide
//! expression matrices (thousands of genes) and it squares the condition number. faer's
//! SVD and GEMM work on the centred matrix directly.
//!
//! # How it works
//! The matrix is centred (and, with `scale`, divided by each gene's population SD; constant
//! genes become 0, as in preprocessing). *Exact*: thin SVD, X = U S Vᵀ. *Randomized*: a
//! seeded Gaussian sketch Y = X Ω with `components + oversamples` columns, `power_iterations`
//! rounds of Y ← X (Xᵀ Q) each re-orthonormalised by QR, then the small SVD of Qᵀ X. Scores
//! are U S, loadings the columns of V, explained variance s²/(n − 1), and its ratio divides by
//! the total variance of the (centred, scaled) matrix, as scikit-learn does. Signs follow
//! scikit-learn's `svd_flip` on V: each loading vector's largest-magnitude entry is positive,
//! so results are identical for a seed and across solvers.

use faer::Mat;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::rng::Rng;
use crate::data::preprocess::{is_constant, mean_var};
use crate::jobs::CancelToken;

/// Which SVD to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PcaSolver {
    /// Exact when the matrix is small (both sides ≤ 500) or most components are asked
    /// for (≥ 80 % of the smaller side) — scikit-learn's rule; the covariance route when there
    /// are at least as many samples as genes and at most [`COVARIANCE_MAX_GENES`] genes
    /// (scikit-learn's `covariance_eigh` wants 10 samples per gene and at most 1,000 genes;
    /// ours goes further so that PCA of the highly variable genes of a single-cell dataset is
    /// exact, as scanpy's ARPACK is: a randomized sketch underestimates the flat tail of
    /// components by several per cent); randomized otherwise.
    #[default]
    Auto,
    /// Thin SVD of the whole matrix.
    Exact,
    /// Randomized truncated SVD.
    Randomized,
    /// Eigendecomposition of the genes' covariance (scikit-learn's `covariance_eigh`): exact,
    /// and the fastest when samples far outnumber genes.
    #[value(name = "covariance")]
    Covariance,
}

/// The most genes for which `Auto` takes the covariance route (its matrix is genes² × 8 bytes:
/// 128 MB at 4,000).
pub const COVARIANCE_MAX_GENES: usize = 4000;

impl PcaSolver {
    /// The solver that runs for `n` × `p` and `k` components (`Auto`: scikit-learn's rule).
    #[must_use]
    pub fn resolve(self, n: usize, p: usize, k: usize) -> Self {
        let rank = n.min(p);
        match self {
            Self::Auto if n.max(p) <= 500 || k.min(rank) * 5 >= rank * 4 => Self::Exact,
            Self::Auto if p <= COVARIANCE_MAX_GENES && n >= p => Self::Covariance,
            Self::Auto => Self::Randomized,
            other => other,
        }
    }
}

/// PCA parameters. Defaults: 50 components (capped by the data), centred only, solver
/// `Auto`, seed 0, 10 oversamples, power iterations 7 when fewer than 10 % of the smaller
/// side are asked for, else 4 (scikit-learn's rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PcaParams {
    /// Components to keep (capped at min(samples, genes)).
    pub components: usize,
    /// Divide each gene by its population SD after centring.
    pub scale: bool,
    /// The SVD.
    pub solver: PcaSolver,
    /// Seed of the randomized sketch.
    pub seed: u64,
    /// Extra sketch columns beyond `components`.
    pub oversamples: usize,
    /// Power iterations; `None` chooses as documented above.
    pub power_iterations: Option<usize>,
}

impl Default for PcaParams {
    fn default() -> Self {
        Self { components: 50, scale: false, solver: PcaSolver::Auto, seed: 0, oversamples: 10, power_iterations: None }
    }
}

impl PcaParams {
    /// Default parameters with `components` components.
    pub fn new(components: usize) -> Self {
        Self { components, ..Self::default() }
    }
    /// Sets standardisation.
    #[must_use]
    pub fn scale(mut self, scale: bool) -> Self {
        self.scale = scale;
        self
    }
    /// Sets the solver.
    #[must_use]
    pub fn solver(mut self, solver: PcaSolver) -> Self {
        self.solver = solver;
        self
    }
    /// Sets the seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Why PCA could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcaError {
    /// Fewer than two samples.
    #[error("PCA needs at least 2 samples (got {0})")]
    TooFewSamples(usize),
    /// No genes.
    #[error("PCA needs at least one gene")]
    NoGenes,
    /// Zero components asked for.
    #[error("PCA needs at least one component")]
    NoComponents,
    /// Missing or infinite values.
    #[error("the matrix has missing or infinite values: choose a missing-value policy first")]
    NotFinite,
    /// The SVD did not converge.
    #[error("the SVD did not converge")]
    NoConvergence,
    /// Cancelled through the token.
    #[error("cancelled")]
    Cancelled,
}

/// A fitted PCA.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Samples × components.
    pub scores: Array2<f64>,
    /// Genes × components: column k is component k (unit length).
    pub loadings: Array2<f64>,
    /// Variance along each component (s² / (n − 1)).
    pub explained_variance: Vec<f64>,
    /// Its share of the total variance.
    pub explained_variance_ratio: Vec<f64>,
    /// Singular values.
    pub singular_values: Vec<f64>,
    /// Total variance of the centred (scaled) matrix.
    pub total_variance: f64,
    /// The solver that ran.
    pub solver: PcaSolver,
    /// Whether genes were standardised.
    pub scaled: bool,
}

/// Fits PCA to `x` (samples × genes).
pub fn pca(x: ArrayView2<'_, f64>, params: &PcaParams, cancel: Option<&CancelToken>) -> Result<Pca, PcaError> {
    let (n, p) = x.dim();
    check_input((n, p), params, || x.iter().all(|v| v.is_finite()))?;
    let check = || if cancel.is_some_and(CancelToken::is_cancelled) { Err(PcaError::Cancelled) } else { Ok(()) };
    let rank = n.min(p);
    let k = params.components.min(rank);
    let (mean, var) = mean_var(x);
    let scale: Vec<f64> = if params.scale {
        mean.iter().zip(&var).map(|(&m, &v)| if is_constant(m, v) { 0.0 } else { 1.0 / v.sqrt() }).collect()
    } else {
        vec![1.0; p]
    };
    let xc = Mat::<f64>::from_fn(n, p, |i, j| (x[[i, j]] - mean[j]) * scale[j]);
    let total_variance = (0..p).map(|j| xc.col(j).iter().map(|v| v * v).sum::<f64>()).sum::<f64>() / (n - 1) as f64;
    check()?;
    let solver = params.solver.resolve(n, p, k);
    let (u, s, v) = match solver {
        PcaSolver::Randomized => randomized_svd(&xc, k, params, &check)?,
        PcaSolver::Covariance => covariance_svd(&xc, k)?,
        _ => exact_svd(&xc, k)?,
    };
    check()?;
    Ok(finish(&u, &s, &v, n, p, k, total_variance, solver, params.scale))
}

/// The refusals every PCA shares: fewer than 2 samples, no genes, no components, values that
/// are not finite (`finite` is asked last: it reads every value).
pub(crate) fn check_input(
    (n, p): (usize, usize),
    params: &PcaParams,
    finite: impl FnOnce() -> bool,
) -> Result<(), PcaError> {
    if n < 2 {
        return Err(PcaError::TooFewSamples(n));
    }
    if p == 0 {
        return Err(PcaError::NoGenes);
    }
    if params.components == 0 {
        return Err(PcaError::NoComponents);
    }
    if !finite() {
        return Err(PcaError::NotFinite);
    }
    Ok(())
}

type Svd3 = (Mat<f64>, Vec<f64>, Mat<f64>);

fn exact_svd(xc: &Mat<f64>, k: usize) -> Result<Svd3, PcaError> {
    let svd = xc.thin_svd().map_err(|_| PcaError::NoConvergence)?;
    let s: Vec<f64> = svd.S().column_vector().iter().copied().take(k).collect();
    let u = Mat::from_fn(xc.nrows(), k, |i, j| svd.U()[(i, j)]);
    let v = Mat::from_fn(xc.ncols(), k, |i, j| svd.V()[(i, j)]);
    Ok((u, s, v))
}

/// The top `k` singular triplets from the eigendecomposition of `XᵀX` (p × p): V its top
/// eigenvectors, s the square roots of their eigenvalues, U = X V / s.
fn covariance_svd(xc: &Mat<f64>, k: usize) -> Result<Svd3, PcaError> {
    let p = xc.ncols();
    let gram = xc.transpose() * xc;
    let eig = gram.self_adjoint_eigen(faer::Side::Lower).map_err(|_| PcaError::NoConvergence)?;
    let values = eig.S().column_vector();
    // Eigenvalues come in increasing order: the last k, largest first.
    let s: Vec<f64> = (0..k).map(|c| values[p - 1 - c].max(0.0).sqrt()).collect();
    let v = Mat::from_fn(p, k, |g, c| eig.U()[(g, p - 1 - c)]);
    let xv = xc * &v;
    let u = Mat::from_fn(xc.nrows(), k, |i, c| if s[c] > 0.0 { xv[(i, c)] / s[c] } else { 0.0 });
    Ok((u, s, v))
}

fn randomized_svd(
    xc: &Mat<f64>,
    k: usize,
    params: &PcaParams,
    check: &dyn Fn() -> Result<(), PcaError>,
) -> Result<Svd3, PcaError> {
    let (n, p) = (xc.nrows(), xc.ncols());
    let l = (k + params.oversamples).min(n.min(p));
    let power = params.power_iterations.unwrap_or(if k * 10 < n.min(p) { 7 } else { 4 });
    let mut rng = Rng::new(params.seed);
    let omega = Mat::<f64>::from_fn(p, l, |_, _| rng.normal());
    let mut q = (xc * &omega).qr().compute_thin_Q();
    for _ in 0..power {
        check()?;
        let z = (xc.transpose() * &q).qr().compute_thin_Q();
        q = (xc * &z).qr().compute_thin_Q();
    }
    check()?;
    // B = Qᵀ X is small (l × p): its SVD gives the top singular triplets of X.
    let b = q.transpose() * xc;
    let svd = b.thin_svd().map_err(|_| PcaError::NoConvergence)?;
    let ub = Mat::from_fn(l, k, |i, j| svd.U()[(i, j)]);
    let u = &q * &ub;
    let s: Vec<f64> = svd.S().column_vector().iter().copied().take(k).collect();
    let v = Mat::from_fn(p, k, |i, j| svd.V()[(i, j)]);
    Ok((u, s, v))
}

#[allow(clippy::too_many_arguments)]
fn finish(
    u: &Mat<f64>,
    s: &[f64],
    v: &Mat<f64>,
    n: usize,
    p: usize,
    k: usize,
    total_variance: f64,
    solver: PcaSolver,
    scaled: bool,
) -> Pca {
    // svd_flip on V: the largest-magnitude entry of each loading vector is positive.
    let signs: Vec<f64> = (0..k)
        .map(|c| {
            let (mut best, mut at) = (0.0_f64, 0);
            for g in 0..p {
                if v[(g, c)].abs() > best {
                    best = v[(g, c)].abs();
                    at = g;
                }
            }
            if v[(at, c)] < 0.0 { -1.0 } else { 1.0 }
        })
        .collect();
    let scores = Array2::from_shape_fn((n, k), |(i, c)| u[(i, c)] * s[c] * signs[c]);
    let loadings = Array2::from_shape_fn((p, k), |(g, c)| v[(g, c)] * signs[c]);
    let explained_variance: Vec<f64> = s.iter().map(|s| s * s / (n - 1) as f64).collect();
    let explained_variance_ratio =
        explained_variance.iter().map(|v| if total_variance > 0.0 { v / total_variance } else { 0.0 }).collect();
    Pca {
        scores,
        loadings,
        explained_variance,
        explained_variance_ratio,
        singular_values: s.to_vec(),
        total_variance,
        solver,
        scaled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn two_dimensional_line_has_one_component() {
        let x = array![[1.0, 2.0], [2.0, 4.0], [3.0, 6.0], [4.0, 8.0]];
        let p = pca(x.view(), &PcaParams::new(2).solver(PcaSolver::Exact), None).unwrap();
        assert!((p.explained_variance_ratio[0] - 1.0).abs() < 1e-12);
        assert!(p.explained_variance_ratio[1].abs() < 1e-12);
        // Loading of PC1 is (1, 2)/√5 with a positive largest entry.
        assert!((p.loadings[[1, 0]] - 2.0 / 5f64.sqrt()).abs() < 1e-12);
        assert!((p.scores[[3, 0]] - 1.5 * 5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn randomized_matches_exact() {
        let mut rng = Rng::new(1);
        let x =
            Array2::from_shape_fn((120, 80), |(i, j)| rng.normal() + if j < 5 { (i % 4) as f64 * 2.0 } else { 0.0 });
        let exact = pca(x.view(), &PcaParams::new(5).solver(PcaSolver::Exact), None).unwrap();
        let rand = pca(x.view(), &PcaParams::new(5).solver(PcaSolver::Randomized), None).unwrap();
        // PC1 carries the (rank-1) signal; PCs 2–5 are near-degenerate noise.
        assert!((exact.explained_variance_ratio[0] - rand.explained_variance_ratio[0]).abs() < 1e-9);
        for c in 1..5 {
            assert!((exact.explained_variance_ratio[c] - rand.explained_variance_ratio[c]).abs() < 2e-3);
        }
        // Same signs, same scores for the well-separated first component.
        for i in 0..120 {
            assert!((exact.scores[[i, 0]] - rand.scores[[i, 0]]).abs() < 1e-6);
        }
    }

    #[test]
    fn covariance_route_matches_the_exact_svd() {
        let mut rng = Rng::new(2);
        let x = Array2::from_shape_fn((400, 12), |(i, j)| rng.normal() * (1.0 + j as f64) + (i % 3) as f64);
        let exact = pca(x.view(), &PcaParams::new(6).solver(PcaSolver::Exact), None).unwrap();
        let cov = pca(x.view(), &PcaParams::new(6).solver(PcaSolver::Covariance), None).unwrap();
        assert_eq!(PcaSolver::Auto.resolve(100_000, 2000, 50), PcaSolver::Covariance);
        assert_eq!(PcaSolver::Auto.resolve(150, 4, 2), PcaSolver::Exact);
        for c in 0..6 {
            assert!((exact.explained_variance_ratio[c] - cov.explained_variance_ratio[c]).abs() < 1e-12);
            for i in 0..400 {
                assert!((exact.scores[[i, c]] - cov.scores[[i, c]]).abs() < 1e-8, "PC{c} sample {i}");
            }
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let one = array![[1.0, 2.0]];
        assert_eq!(pca(one.view(), &PcaParams::default(), None), Err(PcaError::TooFewSamples(1)));
        let nan = array![[1.0, f64::NAN], [2.0, 3.0]];
        assert_eq!(pca(nan.view(), &PcaParams::default(), None), Err(PcaError::NotFinite));
    }
}
