//! PCA of a sparse matrix without densifying it: the centring is implicit, as scanpy does
//! when `sc.pp.pca` gets a sparse matrix (no scaling asked).
//!
//! # How it works
//! With X the cells × genes matrix and μ its gene means, the centred matrix is X − 1μᵀ.
//! - **Up to [`COVARIANCE_GENES`] genes** (the usual case: PCA runs on the highly variable
//!   genes) the gene covariance `C = (XᵀX − n μμᵀ)/(n − 1)` is formed from the non-zeros of each
//!   row (p × p, at most 128 MB) and decomposed exactly (faer's symmetric eigensolver). Its
//!   top eigenpairs are the exact principal components, as ARPACK's are, so the explained
//!   variances match `svd_solver="arpack"`.
//! - **More genes**: a randomized SVD (Halko et al., as [`super::pca`]) whose products with the
//!   centred matrix are sparse products minus the rank-one mean term.
//!
//! Scores are X·V − 1(μᵀV); the sign rule is scikit-learn's (largest loading positive).

use faer::{Mat, Side};
use ndarray::Array2;
use rayon::prelude::*;

use super::pca::{Pca, PcaError, PcaParams, PcaSolver};
use super::rng::Rng;
use crate::data::sparse::Csr;
use crate::jobs::CancelToken;

/// The most genes for which the exact covariance route runs (4,000² × 8 bytes = 128 MB).
pub const COVARIANCE_GENES: usize = 4000;

/// PCA of `x` (cells × genes, sparse) with implicit centring (module docs). `params.scale` is
/// not applied: standardising would make the matrix dense (`recipes::pca::run_values` refuses
/// it and says to scale in preprocessing first, as scanpy does).
pub fn pca_sparse(x: &Csr, params: &PcaParams, cancel: Option<&CancelToken>) -> Result<Pca, PcaError> {
    let (n, p) = (x.nrows(), x.ncols());
    super::pca::check_input((n, p), params, || x.data().iter().all(|v| v.is_finite()))?;
    let check = || if cancel.is_some_and(CancelToken::is_cancelled) { Err(PcaError::Cancelled) } else { Ok(()) };
    let k = params.components.min(n.min(p));
    let (mean, var) = x.column_mean_var(1);
    let total_variance: f64 = var.iter().sum();
    let (v, solver) = if p <= COVARIANCE_GENES && params.solver != PcaSolver::Randomized {
        (covariance_components(x, &mean, k, &check)?, PcaSolver::Exact)
    } else {
        (randomized_components(x, &mean, k, params, &check)?, PcaSolver::Randomized)
    };
    check()?;
    // Scores: X·V minus the mean's projection.
    let mean_proj: Vec<f64> = (0..k).map(|c| (0..p).map(|g| mean[g] * v[(g, c)]).sum()).collect();
    let mut scores = Array2::<f64>::zeros((n, k));
    scores.as_slice_mut().expect("contiguous").par_chunks_mut(k).enumerate().for_each(|(i, row)| {
        let (idx, val) = x.row(i);
        for (&g, &value) in idx.iter().zip(val) {
            let value = f64::from(value);
            for (c, out) in row.iter_mut().enumerate() {
                *out += value * v[(g as usize, c)];
            }
        }
        for (out, m) in row.iter_mut().zip(&mean_proj) {
            *out -= m;
        }
    });
    // Order by variance (the randomized route returns them ordered; keep both alike) and flip.
    let explained_variance: Vec<f64> =
        (0..k).map(|c| scores.column(c).iter().map(|s| s * s).sum::<f64>() / (n - 1) as f64).collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| explained_variance[b].total_cmp(&explained_variance[a]));
    let signs: Vec<f64> = order
        .iter()
        .map(|&c| {
            let at = (0..p).max_by(|&a, &b| v[(a, c)].abs().total_cmp(&v[(b, c)].abs())).unwrap_or(0);
            if v[(at, c)] < 0.0 { -1.0 } else { 1.0 }
        })
        .collect();
    let scores = Array2::from_shape_fn((n, k), |(i, j)| scores[[i, order[j]]] * signs[j]);
    let loadings = Array2::from_shape_fn((p, k), |(g, j)| v[(g, order[j])] * signs[j]);
    let explained_variance: Vec<f64> = order.iter().map(|&c| explained_variance[c]).collect();
    let explained_variance_ratio =
        explained_variance.iter().map(|e| if total_variance > 0.0 { e / total_variance } else { 0.0 }).collect();
    let singular_values = explained_variance.iter().map(|e| (e * (n - 1) as f64).sqrt()).collect();
    Ok(Pca {
        scores,
        loadings,
        explained_variance,
        explained_variance_ratio,
        singular_values,
        total_variance,
        solver,
        scaled: false,
    })
}

/// The top `k` eigenvectors of the gene covariance, as genes × k.
fn covariance_components(
    x: &Csr,
    mean: &[f64],
    k: usize,
    check: &dyn Fn() -> Result<(), PcaError>,
) -> Result<Mat<f64>, PcaError> {
    let (n, p) = (x.nrows(), x.ncols());
    // XᵀX from each row's non-zeros, in parallel over row blocks (lower triangle).
    let block = (n / (rayon::current_num_threads() * 4)).max(256);
    let gram = (0..n.div_ceil(block))
        .into_par_iter()
        .map(|b| {
            let mut g = vec![0.0f64; p * p];
            for i in b * block..((b + 1) * block).min(n) {
                let (idx, val) = x.row(i);
                for (a, (&ja, &va)) in idx.iter().zip(val).enumerate() {
                    let va = f64::from(va);
                    let row = ja as usize * p;
                    for (&jb, &vb) in idx[..=a].iter().zip(&val[..=a]) {
                        g[row + jb as usize] += va * f64::from(vb);
                    }
                }
            }
            g
        })
        .reduce(
            || vec![0.0; p * p],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        );
    check()?;
    let nf = n as f64;
    let cov = Mat::<f64>::from_fn(p, p, |i, j| {
        let (a, b) = if i >= j { (i, j) } else { (j, i) };
        (gram[a * p + b] - nf * mean[a] * mean[b]) / (nf - 1.0)
    });
    let eig = cov.self_adjoint_eigen(Side::Lower).map_err(|_| PcaError::NoConvergence)?;
    // Eigenvalues come in increasing order: the last k, largest first.
    let u = eig.U();
    Ok(Mat::from_fn(p, k, |g, c| u[(g, p - 1 - c)]))
}

/// The top `k` right singular vectors of the centred matrix by randomized SVD.
fn randomized_components(
    x: &Csr,
    mean: &[f64],
    k: usize,
    params: &PcaParams,
    check: &dyn Fn() -> Result<(), PcaError>,
) -> Result<Mat<f64>, PcaError> {
    let (n, p) = (x.nrows(), x.ncols());
    let l = (k + params.oversamples).min(n.min(p));
    let power = params.power_iterations.unwrap_or(if k * 10 < n.min(p) { 7 } else { 4 });
    let mut rng = Rng::new(params.seed);
    let omega = Mat::<f64>::from_fn(p, l, |_, _| rng.normal());
    let mut q = times(x, mean, &omega).qr().compute_thin_Q();
    for _ in 0..power {
        check()?;
        let z = transpose_times(x, mean, &q).qr().compute_thin_Q();
        q = times(x, mean, &z).qr().compute_thin_Q();
    }
    check()?;
    // B = Qᵀ A (l × p) = (Aᵀ Q)ᵀ.
    let bt = transpose_times(x, mean, &q);
    let b = bt.transpose().to_owned();
    let svd = b.thin_svd().map_err(|_| PcaError::NoConvergence)?;
    Ok(Mat::from_fn(p, k, |g, c| svd.V()[(g, c)]))
}

/// (X − 1μᵀ) · M for M of p × l.
fn times(x: &Csr, mean: &[f64], m: &Mat<f64>) -> Mat<f64> {
    let l = m.ncols();
    let shift: Vec<f64> = (0..l).map(|c| (0..m.nrows()).map(|g| mean[g] * m[(g, c)]).sum()).collect();
    let rows: Vec<Vec<f64>> = (0..x.nrows())
        .into_par_iter()
        .map(|i| {
            let (idx, val) = x.row(i);
            let mut out = vec![0.0; l];
            for (&g, &v) in idx.iter().zip(val) {
                let v = f64::from(v);
                for (c, o) in out.iter_mut().enumerate() {
                    *o += v * m[(g as usize, c)];
                }
            }
            for (o, s) in out.iter_mut().zip(&shift) {
                *o -= s;
            }
            out
        })
        .collect();
    Mat::from_fn(x.nrows(), l, |i, c| rows[i][c])
}

/// (X − 1μᵀ)ᵀ · Q for Q of n × l.
fn transpose_times(x: &Csr, mean: &[f64], q: &Mat<f64>) -> Mat<f64> {
    let (p, l) = (x.ncols(), q.ncols());
    let column_sums: Vec<f64> = (0..l).map(|c| (0..q.nrows()).map(|i| q[(i, c)]).sum()).collect();
    let block = (x.nrows() / (rayon::current_num_threads() * 4)).max(256);
    let acc = (0..x.nrows().div_ceil(block))
        .into_par_iter()
        .map(|b| {
            let mut out = vec![0.0; p * l];
            for i in b * block..((b + 1) * block).min(x.nrows()) {
                let (idx, val) = x.row(i);
                for (&g, &v) in idx.iter().zip(val) {
                    let v = f64::from(v);
                    let row = g as usize * l;
                    for c in 0..l {
                        out[row + c] += v * q[(i, c)];
                    }
                }
            }
            out
        })
        .reduce(
            || vec![0.0; p * l],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        );
    Mat::from_fn(p, l, |g, c| acc[g * l + c] - mean[g] * column_sums[c])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::pca::pca;

    fn example() -> Array2<f64> {
        let mut rng = Rng::new(3);
        Array2::from_shape_fn((90, 30), |(i, j)| {
            let signal = if j < 6 && i % 3 == 0 { 4.0 } else { 0.0 };
            let v = signal + rng.normal();
            if v > 0.8 { v } else { 0.0 }
        })
    }

    #[test]
    fn both_routes_equal_the_dense_pca() {
        let d = example();
        let s = Csr::from_dense(&d);
        let dense = pca(d.view(), &PcaParams::new(5).solver(PcaSolver::Exact), None).expect("dense");
        let exact = pca_sparse(&s, &PcaParams::new(5), None).expect("covariance");
        let rand = pca_sparse(&s, &PcaParams::new(5).solver(PcaSolver::Randomized), None).expect("randomized");
        assert!((dense.total_variance - exact.total_variance).abs() < 1e-6);
        for c in 0..5 {
            assert!((dense.explained_variance_ratio[c] - exact.explained_variance_ratio[c]).abs() < 1e-6, "PC{c}");
        }
        assert!((dense.explained_variance_ratio[0] - rand.explained_variance_ratio[0]).abs() < 1e-6);
        for i in 0..90 {
            assert!((dense.scores[[i, 0]] - exact.scores[[i, 0]]).abs() < 1e-5, "cell {i}");
            assert!((dense.scores[[i, 0]] - rand.scores[[i, 0]]).abs() < 1e-4, "cell {i}");
        }
    }
}
