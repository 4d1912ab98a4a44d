//! k-means: scikit-learn's algorithm (greedy k-means++ seeding, Lloyd iterations, the best of
//! several seedings by inertia), with a cancel token and an elbow curve.
//!
//! # How it works
//! Seeding is greedy k-means++ (Arthur & Vassilvitskii, with scikit-learn's 2 + ln k local
//! trials per centre). Lloyd iterations assign every sample to its nearest centre (rows in
//! parallel) and move centres to their means; an empty cluster takes the sample farthest
//! from its centre. Iteration stops when the centres move less than `tol` × the mean
//! per-gene variance (scikit-learn's tolerance) or after `max_iter`. Defaults are
//! scikit-learn's: 10 seedings, 300 iterations, tol 1e-4, seed 0.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::analysis::rng::Rng;
use crate::jobs::CancelToken;

/// k-means settings; defaults are scikit-learn's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KMeansParams {
    /// Clusters.
    pub k: usize,
    /// Seedings; the result with the lowest inertia wins.
    pub n_init: usize,
    /// Iterations per seeding.
    pub max_iter: usize,
    /// Convergence: centre movement below `tol` × the mean per-gene variance.
    pub tol: f64,
    /// Random seed.
    pub seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        Self { k: 3, n_init: 10, max_iter: 300, tol: 1e-4, seed: 0 }
    }
}

/// Why k-means did not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KMeansError {
    /// `k` is 0 or above the number of samples.
    #[error("k must be between 1 and the number of samples ({n}), got {k}")]
    BadK {
        /// Asked.
        k: usize,
        /// Samples.
        n: usize,
    },
    /// A missing value.
    #[error("the matrix has missing values (sample {0}); impute or drop them first")]
    Missing(usize),
    /// Cancelled.
    #[error("cancelled")]
    Cancelled,
}

/// A k-means result.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    /// Cluster of each sample, `0..k`.
    pub labels: Vec<usize>,
    /// k × genes.
    pub centroids: Array2<f64>,
    /// Sum of squared distances of samples to their centre.
    pub inertia: f64,
    /// Lloyd iterations of the winning seeding.
    pub iterations: usize,
}

/// Runs k-means on the rows of `x`.
pub fn kmeans(
    x: ArrayView2<'_, f64>,
    params: &KMeansParams,
    cancel: Option<&CancelToken>,
) -> Result<KMeans, KMeansError> {
    let n = x.nrows();
    if params.k == 0 || params.k > n {
        return Err(KMeansError::BadK { k: params.k, n });
    }
    if let Some(i) = x.outer_iter().position(|r| r.iter().any(|v| !v.is_finite())) {
        return Err(KMeansError::Missing(i));
    }
    let x = x.as_standard_layout();
    let variance = x.var_axis(Axis(0), 0.0).mean().unwrap_or(0.0);
    let tol = params.tol * variance;
    let mut rng = Rng::new(params.seed);
    let mut best: Option<KMeans> = None;
    for _ in 0..params.n_init.max(1) {
        let centres = plus_plus(x.view(), params.k, &mut rng, cancel)?;
        let run = lloyd(x.view(), centres, params.max_iter, tol, cancel)?;
        if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
            best = Some(run);
        }
    }
    best.ok_or(KMeansError::Cancelled)
}

/// Inertia of k-means for each k in `ks` (the elbow curve).
pub fn elbow(
    x: ArrayView2<'_, f64>,
    ks: &[usize],
    params: &KMeansParams,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(f32),
) -> Result<Vec<(usize, f64)>, KMeansError> {
    let mut out = Vec::with_capacity(ks.len());
    for (done, &k) in ks.iter().enumerate() {
        let fit = kmeans(x, &KMeansParams { k, ..params.clone() }, cancel)?;
        out.push((k, fit.inertia));
        progress((done + 1) as f32 / ks.len() as f32);
    }
    Ok(out)
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    crate::analysis::distance::squared_differences(a, b)
}

/// Greedy k-means++: each new centre is the best of 2 + ln k candidates drawn in proportion to
/// the squared distance to the nearest centre so far.
fn plus_plus(
    x: ArrayView2<'_, f64>,
    k: usize,
    rng: &mut Rng,
    cancel: Option<&CancelToken>,
) -> Result<Array2<f64>, KMeansError> {
    let (n, d) = x.dim();
    let rows: Vec<&[f64]> = x.outer_iter().map(|r| r.to_slice().unwrap_or_default()).collect();
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = Array2::zeros((k, d));
    let first = rng.below(n);
    centres.row_mut(0).assign(&x.row(first));
    let mut closest: Vec<f64> = rows.par_iter().map(|r| squared_distance(r, rows[first])).collect();
    let mut potential: f64 = closest.iter().sum();
    for c in 1..k {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(KMeansError::Cancelled);
        }
        let cumulative: Vec<f64> = closest
            .iter()
            .scan(0.0, |acc, v| {
                *acc += v;
                Some(*acc)
            })
            .collect();
        let mut best = (f64::INFINITY, 0, Vec::new());
        for _ in 0..trials {
            let target = rng.uniform() * potential;
            let candidate = cumulative.partition_point(|&v| v < target).min(n - 1);
            let updated: Vec<f64> =
                rows.par_iter().zip(&closest).map(|(r, &old)| old.min(squared_distance(r, rows[candidate]))).collect();
            let pot: f64 = updated.iter().sum();
            if pot < best.0 {
                best = (pot, candidate, updated);
            }
        }
        let (pot, chosen, updated) = best;
        centres.row_mut(c).assign(&x.row(chosen));
        closest = updated;
        potential = pot;
    }
    Ok(centres)
}

/// Lloyd iterations from `centres`.
fn lloyd(
    x: ArrayView2<'_, f64>,
    mut centres: Array2<f64>,
    max_iter: usize,
    tol: f64,
    cancel: Option<&CancelToken>,
) -> Result<KMeans, KMeansError> {
    let (n, d) = x.dim();
    let k = centres.nrows();
    let rows: Vec<&[f64]> = x.outer_iter().map(|r| r.to_slice().unwrap_or_default()).collect();
    let mut labels = vec![0; n];
    let mut iterations = 0;
    for iteration in 1..=max_iter.max(1) {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(KMeansError::Cancelled);
        }
        iterations = iteration;
        let assigned = assign(&rows, &centres);
        for (label, (c, _)) in labels.iter_mut().zip(&assigned) {
            *label = *c;
        }
        let mut sums = Array2::<f64>::zeros((k, d));
        let mut counts = vec![0usize; k];
        for (row, &c) in rows.iter().zip(&labels) {
            counts[c] += 1;
            for (s, v) in sums.row_mut(c).iter_mut().zip(row.iter()) {
                *s += v;
            }
        }
        // An empty cluster takes the sample farthest from its centre.
        let mut by_distance: Vec<usize> = (0..n).collect();
        by_distance.sort_by(|&a, &b| assigned[b].1.total_cmp(&assigned[a].1));
        let mut donors = by_distance.into_iter();
        for c in 0..k {
            if counts[c] == 0
                && let Some(far) = donors.next()
            {
                let old = labels[far];
                counts[old] -= 1;
                for (s, v) in sums.row_mut(old).iter_mut().zip(rows[far].iter()) {
                    *s -= v;
                }
                labels[far] = c;
                counts[c] = 1;
                sums.row_mut(c).assign(&x.row(far));
            }
        }
        let mut shift = 0.0;
        for (c, &count) in counts.iter().enumerate() {
            let mean = sums.row(c).mapv(|s| s / count.max(1) as f64);
            shift +=
                squared_distance(mean.as_slice().unwrap_or_default(), centres.row(c).to_slice().unwrap_or_default());
            centres.row_mut(c).assign(&mean);
        }
        if shift <= tol {
            break;
        }
    }
    // Final assignment to the final centres (scikit-learn does the same).
    let assigned = assign(&rows, &centres);
    let inertia = assigned.iter().map(|(_, d)| d).sum();
    Ok(KMeans { labels: assigned.into_iter().map(|(c, _)| c).collect(), centroids: centres, inertia, iterations })
}

/// The nearest centre of every row and the squared distance to it.
fn assign(rows: &[&[f64]], centres: &Array2<f64>) -> Vec<(usize, f64)> {
    let centre_rows: Vec<&[f64]> = centres.outer_iter().map(|r| r.to_slice().unwrap_or_default()).collect();
    rows.par_iter()
        .map(|r| {
            centre_rows
                .iter()
                .enumerate()
                .map(|(c, centre)| (c, squared_distance(r, centre)))
                .fold((0, f64::INFINITY), |best, cur| if cur.1 < best.1 { cur } else { best })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_two_obvious_groups() {
        let x = ndarray::array![[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [10.0, 10.0], [10.1, 10.0], [10.0, 10.1]];
        let fit = kmeans(x.view(), &KMeansParams { k: 2, ..KMeansParams::default() }, None).unwrap();
        assert_eq!(fit.labels[0], fit.labels[1]);
        assert_eq!(fit.labels[0], fit.labels[2]);
        assert_eq!(fit.labels[3], fit.labels[4]);
        assert_ne!(fit.labels[0], fit.labels[3]);
        // Each group: squared distances 2, 5 and 5 (/900) to its centroid.
        assert!((fit.inertia - 24.0 / 900.0).abs() < 1e-12, "{}", fit.inertia);
    }

    #[test]
    fn bad_k_is_an_error() {
        let x = ndarray::array![[0.0], [1.0]];
        assert_eq!(
            kmeans(x.view(), &KMeansParams { k: 3, ..KMeansParams::default() }, None),
            Err(KMeansError::BadK { k: 3, n: 2 })
        );
    }
}
