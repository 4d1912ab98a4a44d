//! Pairwise distances between samples (rows) or genes (columns) on the CPU: blocked,
//! multithreaded, f64.
//!
//! # How
//! Each metric is reduced to one of two kernels on prepared rows:
//! - **Squared differences** through the GEMM identity `‖x‖² + ‖y‖² − 2 x·y` (faer GEMM,
//!   one block of rows against the rest, clamped at zero). Euclidean and squared
//!   Euclidean use the column-centred rows (distances do not change, cancellation does);
//!   cosine uses rows scaled to unit length, where `1 − cos = ½ ‖x̂ − ŷ‖²`; Pearson
//!   correlation centres each row first, and Spearman ranks each row (ties averaged) before
//!   that. Where the identity cancels badly (a result below 10⁻⁶ of `‖x‖² + ‖y‖²`: near
//!   duplicates), the entry is recomputed directly as `Σ (x − y)²`, so small distances keep
//!   full relative precision, as the direct loops of `scipy.spatial.distance` have.
//! - **Absolute differences** for Manhattan, directly, with four accumulators.
//! - **Few dimensions** (at most [`DIRECT_MAX_DIMS`]): Euclidean, squared Euclidean and
//!   Manhattan are summed directly, in dimension order, on the values as they are: exactly
//!   `SciPy`'s arithmetic, bit for bit. Low-dimensional, low-precision data (iris) has many
//!   distances that are equal but for rounding, and hierarchical clustering breaks such ties
//!   by the last bit; a GEMM gains nothing at this width anyway.
//!
//! Only the upper triangle is computed; the lower is mirrored. A row with no direction (all
//! zero for cosine, constant for correlation or Spearman) has distance 1 to every other
//! row, as if uncorrelated, and 0 to itself; `scipy.spatial.distance` returns NaN there.
//!
//! The GPU path (`crate::gpu`) uses the same preparation ([`prepare`]) and computes the
//! squared-difference kernel directly, in f32.

use std::thread;

use faer::Mat;
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::jobs::CancelToken;

/// A distance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// `‖x − y‖`.
    #[default]
    Euclidean,
    /// `‖x − y‖²`.
    #[value(name = "sqeuclidean")]
    SqEuclidean,
    /// `Σ |x − y|` (city block).
    Manhattan,
    /// `1 − x·y / (‖x‖ ‖y‖)`.
    Cosine,
    /// `1 − r`, Pearson's correlation.
    Correlation,
    /// `1 − ρ`, Spearman's rank correlation.
    Spearman,
}

impl Metric {
    /// Every metric, in menu order.
    pub const ALL: [Self; 6] =
        [Self::Euclidean, Self::SqEuclidean, Self::Manhattan, Self::Cosine, Self::Correlation, Self::Spearman];

    /// A label for menus and reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Euclidean => "Euclidean",
            Self::SqEuclidean => "squared Euclidean",
            Self::Manhattan => "Manhattan",
            Self::Cosine => "cosine",
            Self::Correlation => "Pearson correlation (1 − r)",
            Self::Spearman => "Spearman correlation (1 − ρ)",
        }
    }

    /// The kernel the metric reduces to.
    pub fn kernel(self) -> Kernel {
        match self {
            Self::Manhattan => Kernel::AbsoluteDifferences,
            _ => Kernel::SquaredDifferences,
        }
    }

    /// Turns the kernel's sum over prepared rows into the distance.
    pub fn finish(self, sum: f64) -> f64 {
        match self {
            Self::Euclidean => sum.sqrt(),
            Self::SqEuclidean | Self::Manhattan => sum,
            Self::Cosine | Self::Correlation | Self::Spearman => 0.5 * sum,
        }
    }

    /// True for the metrics that compare directions (cosine, correlations).
    fn is_angular(self) -> bool {
        matches!(self, Self::Cosine | Self::Correlation | Self::Spearman)
    }
}

/// What the inner loop sums over prepared rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// `Σ (x − y)²`.
    SquaredDifferences,
    /// `Σ |x − y|`.
    AbsoluteDifferences,
}

/// Distances between rows (samples) or columns (genes) of a samples × genes matrix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Between {
    /// Rows.
    #[default]
    Samples,
    /// Columns.
    Genes,
}

/// Why distances could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistanceError {
    /// Nothing to compare.
    #[error("distances need at least one item and one value per item")]
    Empty,
    /// A missing value in the input.
    #[error("the matrix has missing values (item {item}); impute or drop them first")]
    Missing {
        /// The first item (row or column) with one.
        item: usize,
    },
    /// Cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The result does not fit in memory.
    #[error(transparent)]
    Memory(#[from] crate::memory::MemoryError),
}

/// Up to this many values per item, difference metrics are summed directly in `SciPy`'s order.
pub const DIRECT_MAX_DIMS: usize = 16;

/// Items prepared for a metric: one row per item.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Items × values, row-major.
    pub rows: Array2<f64>,
    /// The metric.
    pub metric: Metric,
    /// Rows with no direction (see the module docs); only for angular metrics.
    pub undirected: Vec<bool>,
}

impl Prepared {
    /// Sets the distances of rows with no direction (see the module docs): 1 to every other
    /// row, in both triangles.
    pub fn fix_undirected(&self, out: &mut Array2<f64>) {
        if !self.metric.is_angular() {
            return;
        }
        let n = out.nrows();
        for (i, _) in self.undirected.iter().enumerate().filter(|(_, flat)| **flat) {
            for j in (0..n).filter(|&j| j != i) {
                out[[i, j]] = 1.0;
                out[[j, i]] = 1.0;
            }
        }
    }
}

/// Takes the items out of `x` (samples × genes) and transforms them for `metric`.
pub fn prepare(x: ArrayView2<'_, f64>, between: Between, metric: Metric) -> Result<Prepared, DistanceError> {
    let mut rows = match between {
        Between::Samples => x.as_standard_layout().into_owned(),
        Between::Genes => x.t().as_standard_layout().into_owned(),
    };
    if rows.nrows() == 0 || rows.ncols() == 0 {
        return Err(DistanceError::Empty);
    }
    if let Some(item) = rows.outer_iter().position(|r| r.iter().any(|v| !v.is_finite())) {
        return Err(DistanceError::Missing { item });
    }
    let mut undirected = Vec::new();
    match metric {
        Metric::Euclidean | Metric::SqEuclidean | Metric::Manhattan if rows.ncols() <= DIRECT_MAX_DIMS => {}
        Metric::Euclidean | Metric::SqEuclidean | Metric::Manhattan => {
            let means = rows.mean_axis(Axis(0)).unwrap_or_default();
            rows -= &means;
        }
        Metric::Cosine | Metric::Correlation | Metric::Spearman => {
            for mut row in rows.outer_iter_mut() {
                if metric == Metric::Spearman {
                    let ranked = ranks(row.as_slice().unwrap_or_default());
                    row.assign(&ndarray::ArrayView1::from(&ranked));
                }
                if metric != Metric::Cosine {
                    let mean = row.mean().unwrap_or(0.0);
                    row -= mean;
                }
                let norm = row.dot(&row).sqrt();
                // Constant rows centre to rounding noise: treat that as no direction.
                let scale = row.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let flat = norm == 0.0 || (metric != Metric::Cosine && norm <= 1e-12 * scale.max(f64::MIN_POSITIVE));
                undirected.push(flat);
                if flat {
                    row.fill(0.0);
                } else {
                    row /= norm;
                }
            }
        }
    }
    Ok(Prepared { rows, metric, undirected })
}

/// Ranks of `values` (1-based, ties get their average rank), as `scipy.stats.rankdata`.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]].total_cmp(&values[order[start]]).is_eq() {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            out[i] = rank;
        }
        start = end;
    }
    out
}

/// The full symmetric distance matrix between the items of `x` (samples × genes).
/// `progress` gets the fraction done after each block of rows; cancel is checked there.
pub fn pairwise(
    x: ArrayView2<'_, f64>,
    between: Between,
    metric: Metric,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(f32),
) -> Result<Array2<f64>, DistanceError> {
    let prepared = prepare(x, between, metric)?;
    pairwise_prepared(&prepared, cancel, progress)
}

/// [`pairwise`] on rows already [`prepare`]d.
pub fn pairwise_prepared(
    prepared: &Prepared,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(f32),
) -> Result<Array2<f64>, DistanceError> {
    let n = prepared.rows.nrows();
    let mut out = crate::memory::try_matrix(n, n, "the distance matrix")?;
    {
        let flat = out.as_slice_mut().ok_or(DistanceError::Empty)?;
        let tails: Vec<&mut [f64]> = flat.chunks_mut(n.max(1)).enumerate().map(|(i, row)| &mut row[i + 1..]).collect();
        upper_rows(prepared, tails, cancel, progress)?;
    }
    mirror_upper(&mut out);
    Ok(out)
}

/// The distances between the rows of `x` (samples × genes, or its columns for
/// [`Between::Genes`]) as a condensed matrix: the upper triangle row by row, `SciPy`'s `pdist`
/// layout, n(n−1)/2 values and no other n² buffer.
pub fn condensed(
    x: ArrayView2<'_, f64>,
    between: Between,
    metric: Metric,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(f32),
) -> Result<Vec<f64>, DistanceError> {
    let prepared = prepare(x, between, metric)?;
    let n = prepared.rows.nrows();
    let mut out = crate::memory::try_zeros(n * n.saturating_sub(1) / 2, "the condensed distance matrix")?;
    let mut tails = Vec::with_capacity(n);
    let mut rest = out.as_mut_slice();
    for i in 0..n {
        let (tail, after) = rest.split_at_mut(n - i - 1);
        tails.push(tail);
        rest = after;
    }
    upper_rows(&prepared, tails, cancel, progress)?;
    Ok(out)
}

/// Fills `tails[i]` (length n − i − 1) with the distances from row `i` to rows `i + 1..n`,
/// in blocks of rows spread over threads; rows with no direction get 1 (module docs).
fn upper_rows(
    prepared: &Prepared,
    mut tails: Vec<&mut [f64]>,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(f32),
) -> Result<(), DistanceError> {
    let rows = &prepared.rows;
    let n = rows.nrows();
    let metric = prepared.metric;
    let threads = thread::available_parallelism().map_or(1, usize::from).clamp(1, 16);
    // Blocks of rows against every later row: large enough for efficient GEMMs, small
    // enough for prompt Cancel and progress.
    let block = 256.min(n.max(1));
    let direct = !metric.is_angular() && rows.ncols() <= DIRECT_MAX_DIMS;
    let (faer_rows, norms) = match metric.kernel() {
        Kernel::SquaredDifferences if !direct => {
            let m = Mat::<f64>::from_fn(n, rows.ncols(), |i, j| rows[[i, j]]);
            let norms: Vec<f64> = rows.outer_iter().map(|r| r.dot(&r)).collect();
            (Some(m), norms)
        }
        _ => (None, Vec::new()),
    };
    let total_work = (n * (n + 1) / 2) as f64;
    let mut done_work = 0.0;
    let flat: std::borrow::Cow<'_, [f64]> = match rows.as_slice() {
        Some(s) => s.into(),
        None => rows.iter().copied().collect::<Vec<_>>().into(),
    };
    let d = rows.ncols();
    let mut start = 0;
    while start < n {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(DistanceError::Cancelled);
        }
        let len = block.min(n - start);
        let gram = faer_rows.as_ref().map(|m| {
            // (n − start) × len, column-major: each block row's products are contiguous.
            m.subrows(start, n - start) * m.subrows(start, len).transpose()
        });
        let per = len.div_ceil(threads).max(1);
        thread::scope(|scope| {
            for (c, chunk) in tails[start..start + len].chunks_mut(per).enumerate() {
                let (gram, norms, flat) = (&gram, &norms, &*flat);
                scope.spawn(move || {
                    for (r, tail) in chunk.iter_mut().enumerate() {
                        let local = c * per + r;
                        let i = start + local;
                        let xi = &flat[i * d..(i + 1) * d];
                        for (k, slot) in tail.iter_mut().enumerate() {
                            let j = i + 1 + k;
                            let xj = &flat[j * d..(j + 1) * d];
                            let sum = match gram {
                                Some(g) => {
                                    let scale = norms[i] + norms[j];
                                    let s = scale - 2.0 * g[(j - start, local)];
                                    if s < 1e-6 * scale { squared_differences(xi, xj) } else { s }
                                }
                                None if direct => sequential_sum(metric.kernel(), xi, xj),
                                None => absolute_differences(xi, xj),
                            };
                            *slot = metric.finish(sum);
                        }
                    }
                });
            }
        });
        done_work += (len * (2 * n - 2 * start - len + 1) / 2) as f64;
        progress((done_work / total_work) as f32);
        start += len;
    }
    if metric.is_angular() {
        for (i, _) in prepared.undirected.iter().enumerate().filter(|(_, flat)| **flat) {
            for (p, tail) in tails.iter_mut().enumerate().take(i) {
                tail[i - p - 1] = 1.0;
            }
            tails[i].fill(1.0);
        }
    }
    Ok(())
}

/// Copies the strict upper triangle onto the lower, in tiles.
pub fn mirror_upper(m: &mut Array2<f64>) {
    const TILE: usize = 64;
    let n = m.nrows();
    for i0 in (0..n).step_by(TILE) {
        for j0 in (i0..n).step_by(TILE) {
            for i in i0..(i0 + TILE).min(n) {
                for j in j0.max(i + 1)..(j0 + TILE).min(n) {
                    m[[j, i]] = m[[i, j]];
                }
            }
        }
    }
}

/// `Σ (x − y)²` or `Σ |x − y|` in dimension order, one accumulator (`SciPy`'s loops).
fn sequential_sum(kernel: Kernel, x: &[f64], y: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (a, b) in x.iter().zip(y) {
        let t = a - b;
        sum += match kernel {
            Kernel::SquaredDifferences => t * t,
            Kernel::AbsoluteDifferences => t.abs(),
        };
    }
    sum
}

/// `Σ (x − y)²` with four accumulators.
pub fn squared_differences(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| (a - b) * (a - b)).sum();
    for (a, b) in xc.zip(yc) {
        for k in 0..4 {
            let t = a[k] - b[k];
            acc[k] += t * t;
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// `Σ |x − y|` with four accumulators.
pub fn absolute_differences(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| (a - b).abs()).sum();
    for (a, b) in xc.zip(yc) {
        for k in 0..4 {
            acc[k] += (a[k] - b[k]).abs();
        }
    }
    acc.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rng::Rng;

    /// Straight from the definitions, O(n² d).
    fn naive(x: &Array2<f64>, metric: Metric) -> Array2<f64> {
        let n = x.nrows();
        let corr = |a: Vec<f64>, b: Vec<f64>, centre: bool| {
            let ma = if centre { a.iter().sum::<f64>() / a.len() as f64 } else { 0.0 };
            let mb = if centre { b.iter().sum::<f64>() / b.len() as f64 } else { 0.0 };
            let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
            for (u, v) in a.iter().zip(&b) {
                ab += (u - ma) * (v - mb);
                aa += (u - ma) * (u - ma);
                bb += (v - mb) * (v - mb);
            }
            1.0 - ab / (aa * bb).sqrt()
        };
        Array2::from_shape_fn((n, n), |(i, j)| {
            let (a, b) = (x.row(i).to_vec(), x.row(j).to_vec());
            match metric {
                Metric::Euclidean => squared_differences(&a, &b).sqrt(),
                Metric::SqEuclidean => squared_differences(&a, &b),
                Metric::Manhattan => absolute_differences(&a, &b),
                Metric::Cosine => corr(a, b, false),
                Metric::Correlation => corr(a, b, true),
                Metric::Spearman => corr(ranks(&a), ranks(&b), true),
            }
        })
    }

    #[test]
    fn every_metric_matches_its_definition() {
        let mut rng = Rng::new(4);
        // More rows than one block, with a duplicate row and offset columns.
        let mut x = Array2::from_shape_fn((300, 7), |(_, j)| rng.normal() + j as f64 * 10.0);
        let copy = x.row(3).to_owned();
        x.row_mut(250).assign(&copy);
        for metric in Metric::ALL {
            let got = pairwise(x.view(), Between::Samples, metric, None, &mut |_| {}).unwrap();
            let want = naive(&x, metric);
            for ((i, j), w) in want.indexed_iter() {
                let g = got[[i, j]];
                let ok = if i == j { g == 0.0 } else { (g - w).abs() <= 1e-9 * w.abs().max(1e-3) };
                assert!(ok, "{metric:?} [{i},{j}]: {g} vs {w}");
            }
            assert!(got[[3, 250]].abs() <= 0.0, "{metric:?}: duplicate rows");
        }
    }

    #[test]
    fn genes_and_flat_rows() {
        let x = ndarray::array![[1.0, 2.0, 2.0], [1.0, 4.0, 2.0], [1.0, 0.0, 2.0], [1.0, 1.0, 2.0]];
        let genes = pairwise(x.view(), Between::Genes, Metric::Euclidean, None, &mut |_| {}).unwrap();
        assert_eq!(genes.dim(), (3, 3));
        assert!((genes[[0, 2]] - 2.0).abs() < 1e-12);
        // Gene 0 and gene 2 are constant: no direction.
        let corr = pairwise(x.view(), Between::Genes, Metric::Correlation, None, &mut |_| {}).unwrap();
        assert_eq!((corr[[0, 1]], corr[[0, 2]], corr[[0, 0]]), (1.0, 1.0, 0.0));
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn missing_values_and_cancel_are_errors() {
        let x = ndarray::array![[1.0, f64::NAN], [2.0, 3.0]];
        let err = pairwise(x.view(), Between::Samples, Metric::Euclidean, None, &mut |_| {}).unwrap_err();
        assert_eq!(err, DistanceError::Missing { item: 0 });
        let token = CancelToken::default();
        token.cancel();
        let y = ndarray::array![[1.0, 0.0], [2.0, 3.0]];
        let err = pairwise(y.view(), Between::Samples, Metric::Euclidean, Some(&token), &mut |_| {}).unwrap_err();
        assert_eq!(err, DistanceError::Cancelled);
    }
}
