//! t-SNE that can animate: a stepwise optimiser (Barnes–Hut or FFT-interpolated
//! repulsion) whose embedding can be read after every iteration.
//!
//! # Why not linfa-tsne (or bhtsne)
//! linfa-tsne runs every epoch in one call, so nothing can be shown until it ends, and
//! it panics on non-standard array layouts. This optimiser is driven one iteration at a
//! time by [`Tsne::step`]; the app's job sends the embedding to the view ~20 times a second.
//!
//! # How it works (openTSNE's defaults)
//! The input is the first min(50, n − 1, genes) principal components of the centred
//! matrix. Affinities come from each point's `3 · perplexity` nearest neighbours (cosine
//! normalises rows first, after which Euclidean distance orders neighbours as cosine does):
//! each point's Gaussian precision is found by bisection so its conditional distribution has
//! the chosen perplexity (lowered to (n − 1)/3 for small n); P is symmetrised and normalised
//! to sum 1. The neighbours are exact (all distances by blocked GEMM) below
//! [`TsneNeighbors::APPROXIMATE_FROM`] points and approximate from there up (nearest-neighbour
//! descent from random-projection trees, [`crate::analysis::nn_descent`], seeded by the
//! t-SNE seed); [`TsneNeighbors`] can force either. openTSNE likewise switches to approximate
//! (Annoy) neighbours, from 1,000 points. The embedding starts
//! from the first two PCs scaled to SD 1e-4. Gradient descent with momentum and gains runs
//! 250 iterations with early exaggeration 12 (learning rate N/12, momentum 0.5), then 500
//! more (learning rate N, momentum 0.8): openTSNE's `learning_rate="auto"`, N / exaggeration
//! with no floor. (A floor of 200, as scikit-learn's, overshoots small sets: at 64 samples the
//! exaggerated step was 42× openTSNE's and split clusters, keeping 0.54 of the 10 nearest
//! neighbours against openTSNE's 0.61 on nci60.) Like openTSNE, the gradient omits the
//! constant 4 (the learning rates above account for it).
//!
//! The repulsive forces come from a Barnes–Hut quadtree (θ = 0.5, `barnes_hut.rs`) below
//! 10,000 points and from FFT-accelerated interpolation (`interpolation.rs`, FIt-SNE) from
//! there up, as openTSNE chooses; [`TsneGradient`] can force either. The attractive
//! forces are exact over the sparse P, each pair computed once and applied to both points
//! (`affinities.rs`; at 100,000 points they were a third of the run's CPU time when both
//! directions were stored). Both are split over threads, in a layout that does not depend on
//! the thread count. Internally the points are renumbered breadth-first over the k-NN graph
//! (`locality_order`), so a point's neighbours sit near it in memory: at 100,000 points
//! this took the whole run from 0.45× to 0.36× openTSNE's CPU time (the attraction had been
//! waiting on cache misses); [`Tsne::embedding`] returns the input's order.

mod affinities;
mod barnes_hut;
mod interpolation;

use std::thread;

use faer::Mat;
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use self::affinities::Affinities;
use super::nn_descent::{self, DescentParams};
use super::pca::{PcaError, PcaParams, PcaSolver, pca};
use crate::jobs::CancelToken;

/// Distance between samples in the PCA space.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TsneMetric {
    /// Euclidean.
    #[default]
    Euclidean,
    /// Cosine (rows normalised to unit length, then Euclidean).
    Cosine,
}

/// Which implementation runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TsneEngine {
    /// This module's stepwise optimiser (animates).
    #[default]
    Biolens,
    /// linfa-tsne (bhtsne underneath): one call, no progress or partial results, so it
    /// cannot animate; kept for comparison.
    Linfa,
}

/// How the repulsive forces are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TsneGradient {
    /// Barnes–Hut below [`TsneGradient::FFT_FROM`] points, interpolation from there up.
    #[default]
    Auto,
    /// Barnes–Hut quadtree with accuracy θ.
    #[value(name = "bh")]
    BarnesHut,
    /// Interpolation on a grid with FFT convolution (FIt-SNE).
    Fft,
}

impl TsneGradient {
    /// From this many points up, `Auto` uses interpolation (openTSNE's threshold).
    pub const FFT_FROM: usize = 10_000;

    /// The method that runs for `n` points.
    #[must_use]
    pub fn resolve(self, n: usize) -> Self {
        match self {
            Self::Auto if n >= Self::FFT_FROM => Self::Fft,
            Self::Auto => Self::BarnesHut,
            other => other,
        }
    }

    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::BarnesHut => "Barnes–Hut",
            Self::Fft => "FFT interpolation",
        }
    }
}

/// How the `3 · perplexity` nearest neighbours behind the affinities are found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TsneNeighbors {
    /// Exact below [`TsneNeighbors::APPROXIMATE_FROM`] points, approximate from there up.
    #[default]
    Auto,
    /// Every distance, by blocked GEMM (O(n²·d)).
    Exact,
    /// Nearest-neighbour descent from random-projection trees (pynndescent's method,
    /// recall ≥ 0.95), seeded by the t-SNE seed.
    Approximate,
}

impl TsneNeighbors {
    /// From this many points up, `Auto` searches approximately. openTSNE switches at 1,000
    /// (exact below, Annoy above), but the exact GEMM search here is fast at small n: its
    /// O(n²) cost, about two minutes at 100,000 points (50 dimensions), is about a second at
    /// 10,000, little beside the 750 iterations. Below it, exact neighbours cost nothing in
    /// quality or repeatability and keep runs as they were (the openTSNE references the tests
    /// compare with are all smaller). The same size as [`TsneGradient::FFT_FROM`], and near
    /// scanpy's 8,192 for its neighbour graph.
    pub const APPROXIMATE_FROM: usize = 10_000;

    /// The search that runs for `n` points (never `Auto`).
    #[must_use]
    pub fn resolve(self, n: usize) -> Self {
        match self {
            Self::Auto if n >= Self::APPROXIMATE_FROM => Self::Approximate,
            Self::Auto => Self::Exact,
            other => other,
        }
    }

    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Exact => "exact neighbours",
            Self::Approximate => "approximate neighbours",
        }
    }
}

/// t-SNE parameters; the defaults are openTSNE's (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TsneParams {
    /// Perplexity (lowered to (n − 1)/3 for small n).
    pub perplexity: f64,
    /// Principal components used as input.
    pub pca_components: usize,
    /// Early exaggeration factor.
    pub early_exaggeration: f64,
    /// Iterations with exaggeration.
    pub exaggeration_iterations: usize,
    /// Iterations after it.
    pub iterations: usize,
    /// Repulsion method.
    pub gradient: TsneGradient,
    /// Barnes–Hut accuracy (0 = exact, larger = faster).
    pub theta: f64,
    /// Distance.
    pub metric: TsneMetric,
    /// Neighbour search for the affinities.
    pub neighbors: TsneNeighbors,
    /// Seed (of the PCA used as input and initialisation, and of the approximate
    /// neighbour search).
    pub seed: u64,
    /// Implementation.
    pub engine: TsneEngine,
}

impl Default for TsneParams {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            pca_components: 50,
            early_exaggeration: 12.0,
            exaggeration_iterations: 250,
            iterations: 500,
            gradient: TsneGradient::Auto,
            theta: 0.5,
            metric: TsneMetric::Euclidean,
            neighbors: TsneNeighbors::Auto,
            seed: 0,
            engine: TsneEngine::Biolens,
        }
    }
}

/// Why t-SNE could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsneError {
    /// Too few samples for a neighbourhood.
    #[error("t-SNE needs at least 5 samples (got {0})")]
    TooFewSamples(usize),
    /// The perplexity must be positive.
    #[error("the perplexity must be positive")]
    BadPerplexity,
    /// The PCA step failed.
    #[error("PCA before t-SNE: {0}")]
    Pca(#[from] PcaError),
    /// Cancelled.
    #[error("cancelled")]
    Cancelled,
    /// linfa-tsne failed.
    #[error("linfa-tsne: {0}")]
    Linfa(String),
}

/// The optimisation phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Early exaggeration.
    EarlyExaggeration,
    /// The main phase.
    Main,
}

/// Where the optimiser is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepInfo {
    /// Iterations done.
    pub iteration: usize,
    /// Iterations in all.
    pub total: usize,
    /// Phase of the iteration just done.
    pub phase: Phase,
    /// KL divergence, computed every 25 iterations and at the end.
    pub kl_divergence: Option<f64>,
}

/// A t-SNE run in progress.
#[derive(Debug, Clone)]
pub struct Tsne {
    params: TsneParams,
    p: Affinities,
    /// Σ P log P, for the KL divergence.
    p_log_p: f64,
    /// The embedding, in the internal numbering: `y[r]` is the position of sample `order[r]`.
    y: Vec<[f64; 2]>,
    order: Vec<u32>,
    update: Vec<[f64; 2]>,
    gains: Vec<[f64; 2]>,
    iteration: usize,
    /// Perplexity actually used.
    pub perplexity: f64,
    /// Input dimensions (principal components) used.
    pub input_dims: usize,
    last_kl: Option<f64>,
    /// Repulsion method in use (never `Auto`).
    pub gradient: TsneGradient,
    /// Neighbour search that ran for the affinities (never `Auto`).
    pub neighbors: TsneNeighbors,
    interpolation: interpolation::Interpolation,
    /// Scratch of the attraction (one buffer per chunk of P's rows).
    attraction_buffers: Vec<Vec<[f64; 2]>>,
    /// The repulsive and attractive forces, kept between iterations (fresh megabytes each
    /// iteration would fault in every page).
    forces: [Vec<[f64; 2]>; 2],
}

impl Tsne {
    /// Prepares a run on `x` (samples × genes): PCA input, neighbours, affinities,
    /// initialisation. The expensive part before the first step.
    pub fn new(x: ArrayView2<'_, f64>, params: &TsneParams, cancel: Option<&CancelToken>) -> Result<Self, TsneError> {
        let n = x.nrows();
        if n < 5 {
            return Err(TsneError::TooFewSamples(n));
        }
        if params.perplexity.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(TsneError::BadPerplexity);
        }
        let mut input = pca_input(x, params, cancel)?;
        let dims = input.ncols();
        if input.ncols() < 2 {
            // One gene: pad a zero column so there are two initial coordinates.
            input = ndarray::concatenate![Axis(1), input, Array2::zeros((n, 1))];
        }
        let cancelled = || cancel.is_some_and(CancelToken::is_cancelled);
        let init_sd = {
            let c = input.column(0);
            let mean = c.mean().unwrap_or(0.0);
            (c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt()
        };
        let scale = if init_sd > 0.0 { 1e-4 / init_sd } else { 1.0 };
        let y: Vec<[f64; 2]> = (0..n).map(|i| [input[[i, 0]] * scale, input[[i, 1]] * scale]).collect();
        if params.metric == TsneMetric::Cosine {
            for mut row in input.axis_iter_mut(Axis(0)) {
                let norm = row.dot(&row).sqrt();
                if norm > 0.0 {
                    row.mapv_inplace(|v| v / norm);
                }
            }
        }
        let perplexity = params.perplexity.min((n - 1) as f64 / 3.0);
        let k = ((3.0 * perplexity).floor() as usize).clamp(1, n - 1);
        let search = params.neighbors.resolve(n);
        let (neighbours, distances) = match search {
            TsneNeighbors::Approximate => approximate_knn(input.view(), k, params.seed, &cancelled),
            TsneNeighbors::Exact | TsneNeighbors::Auto => exact_knn(input.view(), k, &cancelled),
        }
        .ok_or(TsneError::Cancelled)?;
        // From here on points are numbered in `order` (see `locality_order`).
        let order = locality_order(&neighbours, k);
        let (neighbours, distances) = renumber(&order, &neighbours, &distances, k);
        let y: Vec<[f64; 2]> = order.iter().map(|&i| y[i as usize]).collect();
        let p = affinities(&neighbours, &distances, k, perplexity, &cancelled).ok_or(TsneError::Cancelled)?;
        let p_log_p = p.p_log_p();
        Ok(Self {
            params: params.clone(),
            p,
            p_log_p,
            update: vec![[0.0; 2]; n],
            gains: vec![[1.0; 2]; n],
            y,
            order,
            iteration: 0,
            perplexity,
            input_dims: dims,
            last_kl: None,
            gradient: params.gradient.resolve(n),
            neighbors: search,
            interpolation: interpolation::Interpolation::default(),
            attraction_buffers: Vec::new(),
            forces: [Vec::new(), Vec::new()],
        })
    }

    /// Iterations in all.
    pub fn total_iterations(&self) -> usize {
        self.params.exaggeration_iterations + self.params.iterations
    }

    /// True when every iteration has run.
    pub fn is_done(&self) -> bool {
        self.iteration >= self.total_iterations()
    }

    /// The current embedding, samples × 2.
    pub fn embedding(&self) -> Array2<f64> {
        let mut out = Array2::zeros((self.y.len(), 2));
        for (&i, p) in self.order.iter().zip(&self.y) {
            out[[i as usize, 0]] = p[0];
            out[[i as usize, 1]] = p[1];
        }
        out
    }

    /// The last progress report.
    pub fn info(&self) -> StepInfo {
        StepInfo {
            iteration: self.iteration,
            total: self.total_iterations(),
            phase: if self.iteration <= self.params.exaggeration_iterations && self.params.exaggeration_iterations > 0 {
                Phase::EarlyExaggeration
            } else {
                Phase::Main
            },
            kl_divergence: self.last_kl,
        }
    }

    /// Runs one gradient-descent iteration (no-op once done).
    pub fn step(&mut self) -> StepInfo {
        if self.is_done() {
            return self.info();
        }
        let n = self.y.len() as f64;
        let early = self.iteration < self.params.exaggeration_iterations;
        let (exaggeration, momentum) = if early { (self.params.early_exaggeration, 0.5) } else { (1.0, 0.8) };
        // openTSNE's "auto" rate, without a floor (see the module docs).
        let learning_rate = n / exaggeration;
        let report = (self.iteration + 1).is_multiple_of(25) || self.iteration + 1 >= self.total_iterations();
        let (grad, z, attraction_log_q) = self.gradient(exaggeration, report);
        for (((y, update), gains), grad) in self.y.iter_mut().zip(&mut self.update).zip(&mut self.gains).zip(&grad) {
            for d in 0..2 {
                let g = grad[d];
                gains[d] = if (update[d] * g) < 0.0 { gains[d] + 0.2 } else { (gains[d] * 0.8).max(0.01) };
                update[d] = momentum * update[d] - learning_rate * gains[d] * g;
                y[d] += update[d];
            }
        }
        // Keep the embedding centred.
        let mean = self.y.iter().fold([0.0; 2], |m, p| [m[0] + p[0], m[1] + p[1]]).map(|v| v / n);
        for p in &mut self.y {
            p[0] -= mean[0];
            p[1] -= mean[1];
        }
        self.iteration += 1;
        if self.iteration.is_multiple_of(25) || self.is_done() {
            // KL(P‖Q) = Σ P log P − Σ P log q + log Z, with q unnormalised (P sums to 1).
            self.last_kl = Some(self.p_log_p - attraction_log_q + z.ln());
        }
        self.info()
    }

    /// The gradient, the normalisation Z, and Σ P log q (for the KL divergence, when
    /// `with_log`).
    fn gradient(&mut self, exaggeration: f64, with_log: bool) -> (Vec<[f64; 2]>, f64, f64) {
        let n = self.y.len();
        let [repulsion, attraction] = &mut self.forces;
        repulsion.resize(n, [0.0; 2]);
        attraction.resize(n, [0.0; 2]);
        let z = match self.gradient {
            TsneGradient::Fft => self.interpolation.repulsion(&self.y, repulsion),
            TsneGradient::BarnesHut | TsneGradient::Auto => {
                let tree = barnes_hut::QuadTree::build(&self.y);
                let theta2 = self.params.theta * self.params.theta;
                parallel_sum(repulsion, |i, r| {
                    *r = [0.0; 2];
                    tree.repulsion(&self.y, i, theta2, r)
                })
            }
        };
        let p_log_q = self.p.attraction(&self.y, with_log, &mut self.attraction_buffers, attraction);
        let z = z.max(f64::MIN_POSITIVE);
        let grad = attraction
            .iter()
            .zip(&*repulsion)
            .map(|(a, r)| [exaggeration * a[0] - r[0] / z, exaggeration * a[1] - r[1] / z])
            .collect();
        (grad, z, p_log_q)
    }
}

/// A numbering of the points in which neighbours sit close together: breadth-first over the
/// k-NN graph (each point's neighbours, nearest first), a new search from the lowest
/// unnumbered point whenever one runs out. `order[r]` is the sample numbered r.
///
/// The attraction reads and writes the positions of each point's neighbours; in the input's
/// order those are scattered over the whole array (megabytes at 100,000 points, beyond the
/// per-core cache), in this order mostly within the same cluster's few thousand entries.
fn locality_order(neighbours: &[u32], k: usize) -> Vec<u32> {
    let n = neighbours.len() / k;
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut head = order.len();
        order.push(start as u32);
        while head < order.len() {
            let i = order[head] as usize;
            head += 1;
            for &j in &neighbours[i * k..(i + 1) * k] {
                if !std::mem::replace(&mut seen[j as usize], true) {
                    order.push(j);
                }
            }
        }
    }
    order
}

/// The k-NN lists (indices and distances, row by row) in the numbering `order`.
fn renumber(order: &[u32], neighbours: &[u32], distances: &[f64], k: usize) -> (Vec<u32>, Vec<f64>) {
    let mut rank = vec![0u32; order.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    let mut new_neighbours = Vec::with_capacity(neighbours.len());
    let mut new_distances = Vec::with_capacity(distances.len());
    for &i in order {
        let row = i as usize * k..(i as usize + 1) * k;
        new_neighbours.extend(neighbours[row.clone()].iter().map(|&j| rank[j as usize]));
        new_distances.extend_from_slice(&distances[row]);
    }
    (new_neighbours, new_distances)
}

/// The embedding's bounding box: (lowest, highest) per axis.
fn bounds(y: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    y.iter().fold(([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]), |(lo, hi), p| {
        ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])])
    })
}

/// Calls `f(i, &mut out[i])` for every element, split over threads; returns the sum of
/// what it returns.
fn parallel_sum<T: Send>(out: &mut [T], f: impl Fn(usize, &mut T) -> f64 + Sync) -> f64 {
    let threads = thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
    let chunk = out.len().div_ceil(threads).max(64);
    let f = &f;
    thread::scope(|scope| {
        let handles: Vec<_> = out
            .chunks_mut(chunk)
            .enumerate()
            .map(|(c, part)| {
                scope.spawn(move || part.iter_mut().enumerate().map(|(k, v)| f(c * chunk + k, v)).sum::<f64>())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).sum()
    })
}

/// Exact k nearest neighbours (self excluded) by blocked GEMM: squared distances and
/// indices, row by row. `None` when cancelled.
fn exact_knn(x: ArrayView2<'_, f64>, k: usize, cancelled: &(dyn Fn() -> bool + Sync)) -> Option<(Vec<u32>, Vec<f64>)> {
    let (n, d) = x.dim();
    let m = Mat::<f64>::from_fn(n, d, |i, j| x[[i, j]]);
    let norms: Vec<f64> = (0..n).map(|i| x.row(i).dot(&x.row(i))).collect();
    let mut neighbours = vec![0u32; n * k];
    let mut distances = vec![0.0; n * k];
    // Small blocks keep Cancel prompt (each block's GEMM cannot be interrupted).
    let block = 256.min(n);
    let mut start = 0;
    while start < n {
        if cancelled() {
            return None;
        }
        let rows = block.min(n - start);
        // n × rows, column-major: each block row's dot products are contiguous.
        let gram = &m * m.subrows(start, rows).transpose();
        let threads = thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
        let per = rows.div_ceil(threads).max(1);
        thread::scope(|scope| {
            for (c, (nb, ds)) in neighbours[start * k..(start + rows) * k]
                .chunks_mut(per * k)
                .zip(distances[start * k..(start + rows) * k].chunks_mut(per * k))
                .enumerate()
            {
                let (gram, norms) = (&gram, &norms);
                scope.spawn(move || {
                    let mut candidates: Vec<(f64, u32)> = Vec::with_capacity(n);
                    for r in 0..nb.len() / k {
                        if cancelled() {
                            return;
                        }
                        let local = c * per + r;
                        let i = start + local;
                        candidates.clear();
                        candidates.extend(
                            (0..n)
                                .filter(|&j| j != i)
                                .map(|j| ((norms[i] + norms[j] - 2.0 * gram[(j, local)]).max(0.0), j as u32)),
                        );
                        candidates.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
                        let nearest = &mut candidates[..k];
                        nearest.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                        for (t, &(dist, j)) in nearest.iter().enumerate() {
                            nb[r * k + t] = j;
                            ds[r * k + t] = dist;
                        }
                    }
                });
            }
        });
        start += rows;
    }
    (!cancelled()).then_some((neighbours, distances))
}

/// Approximate k nearest neighbours (self excluded; `k` < n) by nearest-neighbour descent, in
/// [`exact_knn`]'s layout: squared distances and indices, ascending, row by row. `None` when
/// cancelled.
fn approximate_knn(
    x: ArrayView2<'_, f64>,
    k: usize,
    seed: u64,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<(Vec<u32>, Vec<f64>)> {
    let n = x.nrows();
    // The search lists each point itself first (at distance 0): ask for one more and drop it.
    let knn = nn_descent::approximate_knn(x, k + 1, DescentParams { seed, ..DescentParams::default() }, cancelled)?;
    debug_assert_eq!(knn.k, k + 1, "k must be below n");
    let mut neighbours = Vec::with_capacity(n * k);
    let mut distances = Vec::with_capacity(n * k);
    for i in 0..n {
        let (idx, dist) = knn.row(i);
        debug_assert_eq!(idx[0] as usize, i);
        neighbours.extend_from_slice(&idx[1..]);
        // Its distances are Euclidean; the affinities take squared ones.
        distances.extend(dist[1..].iter().map(|d| d * d));
    }
    (!cancelled()).then_some((neighbours, distances))
}

/// Conditional Gaussian affinities calibrated to `perplexity`, symmetrised, summing to 1.
/// Rows are calibrated in parallel; `None` when cancelled (checked every 64 rows).
fn affinities(
    neighbours: &[u32],
    distances: &[f64],
    k: usize,
    perplexity: f64,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Affinities> {
    let n = neighbours.len() / k;
    let target = perplexity.ln();
    // Row-normalised conditional probabilities, n × k.
    let mut conditional = vec![0.0; n * k];
    let threads = thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
    let per = n.div_ceil(threads).max(64);
    let finished = thread::scope(|scope| {
        let handles: Vec<_> = conditional
            .chunks_mut(per * k)
            .zip(distances.chunks(per * k))
            .map(|(out, dist)| {
                scope.spawn(move || {
                    for (r, (p, d)) in out.chunks_mut(k).zip(dist.chunks(k)).enumerate() {
                        if r % 64 == 0 && cancelled() {
                            return false;
                        }
                        calibrate_row(d, target, p);
                    }
                    true
                })
            })
            .collect();
        handles.into_iter().all(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    if !finished {
        return None;
    }
    Some(Affinities::symmetrise(neighbours, &conditional, k))
}

/// Fills `p` with the Gaussian conditional probabilities over squared distances `d`
/// (ascending) whose entropy is ln(perplexity) = `target`, found by bisection on the
/// precision; `p` sums to 1.
fn calibrate_row(d: &[f64], target: f64, p: &mut [f64]) {
    let d_min = d[0];
    let (mut beta, mut lo, mut hi) = (1.0, 0.0, f64::INFINITY);
    for _ in 0..200 {
        let mut sum = 0.0;
        let mut weighted = 0.0;
        for (pj, &dj) in p.iter_mut().zip(d) {
            *pj = (-(dj - d_min) * beta).exp();
            sum += *pj;
            weighted += (dj - d_min) * *pj;
        }
        let entropy = sum.ln() + beta * weighted / sum;
        if (entropy - target).abs() < 1e-8 {
            break;
        }
        if entropy > target {
            lo = beta;
            beta = if hi.is_finite() { f64::midpoint(beta, hi) } else { beta * 2.0 };
        } else {
            hi = beta;
            beta = f64::midpoint(beta, lo);
        }
    }
    let sum: f64 = p.iter().sum();
    for pj in p {
        *pj /= sum;
    }
}

/// The mean fraction of each sample's `k` nearest neighbours in `high` that stay among its
/// `k` nearest in `low` (exact, O(n²); the measure `reference_opentsne.json` uses).
pub fn knn_preservation(high: ArrayView2<'_, f64>, low: ArrayView2<'_, f64>, k: usize) -> f64 {
    let n = high.nrows();
    let never = || false;
    let (Some((a, _)), Some((b, _))) = (exact_knn(high, k, &never), exact_knn(low, k, &never)) else { return 0.0 };
    let mut kept = 0usize;
    for i in 0..n {
        let mine: std::collections::HashSet<u32> = b[i * k..(i + 1) * k].iter().copied().collect();
        kept += a[i * k..(i + 1) * k].iter().filter(|j| mine.contains(j)).count();
    }
    kept as f64 / (n * k) as f64
}

/// Runs t-SNE to the end (CLI, tests) with the chosen engine; `on_step` sees every
/// iteration of the Biolens engine (linfa-tsne reports none).
pub fn run(
    x: ArrayView2<'_, f64>,
    params: &TsneParams,
    cancel: Option<&CancelToken>,
    mut on_step: impl FnMut(&Tsne, StepInfo),
) -> Result<Array2<f64>, TsneError> {
    if params.engine == TsneEngine::Linfa {
        return run_linfa(x, params);
    }
    let mut tsne = Tsne::new(x, params, cancel)?;
    while !tsne.is_done() {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(TsneError::Cancelled);
        }
        let info = tsne.step();
        on_step(&tsne, info);
    }
    Ok(tsne.embedding())
}

/// linfa-tsne on the same PCA input and perplexity, for comparison. Its exaggeration
/// schedule is bhtsne's (`preliminary_iter` = our exaggeration iterations).
pub fn run_linfa(x: ArrayView2<'_, f64>, params: &TsneParams) -> Result<Array2<f64>, TsneError> {
    use linfa::traits::Transformer as _;
    let n = x.nrows();
    if n < 5 {
        return Err(TsneError::TooFewSamples(n));
    }
    let input = pca_input(x, params, None)?;
    // bhtsne needs n − 1 ≥ 3 · perplexity.
    let perplexity = params.perplexity.min((n - 1) as f64 / 3.0 - 1e-9);
    linfa_tsne::TSneParams::embedding_size(2)
        .perplexity(perplexity)
        .approx_threshold(params.theta)
        .max_iter(params.exaggeration_iterations + params.iterations)
        .preliminary_iter(params.exaggeration_iterations)
        .transform(input)
        .map_err(|e| TsneError::Linfa(e.to_string()))
}

/// The PCA input t-SNE uses for `x` (for quality measures against the same space).
pub fn pca_input(
    x: ArrayView2<'_, f64>,
    params: &TsneParams,
    cancel: Option<&CancelToken>,
) -> Result<Array2<f64>, TsneError> {
    let n = x.nrows();
    let dims = params.pca_components.min(n.saturating_sub(1)).min(x.ncols()).max(1);
    let fit = pca(x, &PcaParams::new(dims).solver(PcaSolver::Auto).seed(params.seed), cancel)?;
    Ok(fit.scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rng::Rng;

    #[test]
    fn separates_two_clusters_and_reports_progress() {
        let mut rng = Rng::new(5);
        let x = Array2::from_shape_fn((120, 10), |(i, _)| rng.normal() + if i < 60 { 0.0 } else { 8.0 });
        let params = TsneParams { iterations: 200, ..TsneParams::default() };
        let mut last = None;
        let y = run(x.view(), &params, None, |_, info| last = Some(info)).unwrap();
        let info = last.unwrap();
        assert_eq!(info.iteration, 450);
        assert_eq!(info.phase, Phase::Main);
        assert!(info.kl_divergence.unwrap().is_finite());
        // Every point's nearest neighbour in the embedding is in its own cluster.
        let same = (0..120)
            .filter(|&i| {
                let nearest = (0..120)
                    .filter(|&j| j != i)
                    .min_by(|&a, &b| {
                        let d = |j: usize| (y[[i, 0]] - y[[j, 0]]).powi(2) + (y[[i, 1]] - y[[j, 1]]).powi(2);
                        d(a).total_cmp(&d(b))
                    })
                    .unwrap();
                (nearest < 60) == (i < 60)
            })
            .count();
        assert_eq!(same, 120);
    }

    #[test]
    fn affinities_sum_to_one_and_are_symmetric() {
        let mut rng = Rng::new(2);
        let x = Array2::from_shape_fn((50, 3), |_| rng.normal());
        let (nb, ds) = exact_knn(x.view(), 10, &|| false).unwrap();
        let p = affinities(&nb, &ds, 10, 5.0, &|| false).unwrap();
        // Each pair is stored once, so the stored values sum to ½.
        let total: f64 = p.values.iter().sum();
        assert!((total - 0.5).abs() < 1e-12);
        // Every neighbour pair is there once, under its lower index, and nothing else is.
        let is_neighbour = |i: usize, j: usize| nb[i * 10..(i + 1) * 10].contains(&(j as u32));
        for i in 0..50 {
            for t in p.offsets[i]..p.offsets[i + 1] {
                let j = p.columns[t] as usize;
                assert!(j > i, "row {i} holds only later columns");
                assert!(is_neighbour(i, j) || is_neighbour(j, i));
                assert_eq!(p.get(j, i), Some(p.values[t]));
            }
            for &j in &nb[i * 10..(i + 1) * 10] {
                assert!(p.get(i, j as usize).is_some_and(|v| v > 0.0));
            }
        }
    }

    #[test]
    fn approximate_neighbours_have_the_exact_layout() {
        let mut rng = Rng::new(4);
        let x = Array2::from_shape_fn((400, 5), |(i, _)| rng.normal() + (i % 4) as f64 * 6.0);
        let k = 15;
        let (exact_nb, _) = exact_knn(x.view(), k, &|| false).unwrap();
        let (nb, ds) = approximate_knn(x.view(), k, 3, &|| false).unwrap();
        assert_eq!((nb.len(), ds.len()), (400 * k, 400 * k));
        let mut found = 0;
        for i in 0..400 {
            let row = &nb[i * k..(i + 1) * k];
            let dist = &ds[i * k..(i + 1) * k];
            assert!(!row.contains(&(i as u32)), "self excluded");
            assert!(dist.windows(2).all(|w| w[0] <= w[1]), "ascending");
            for (&j, &d) in row.iter().zip(dist) {
                let direct: f64 = x.row(i).iter().zip(x.row(j as usize).iter()).map(|(a, b)| (a - b) * (a - b)).sum();
                // Squared, to f32 precision (the search computes in f32, as Annoy and pynndescent).
                assert!((d - direct).abs() <= 1e-5 * direct.max(1.0), "squared distances");
            }
            let truth: std::collections::HashSet<u32> = exact_nb[i * k..(i + 1) * k].iter().copied().collect();
            found += row.iter().filter(|j| truth.contains(j)).count();
        }
        assert!(found as f64 / (400 * k) as f64 >= 0.95);
        assert!(approximate_knn(x.view(), k, 3, &|| true).is_none());
        // Auto resolves by size; the run reports the search it used.
        assert_eq!(TsneNeighbors::Auto.resolve(TsneNeighbors::APPROXIMATE_FROM - 1), TsneNeighbors::Exact);
        assert_eq!(TsneNeighbors::Auto.resolve(TsneNeighbors::APPROXIMATE_FROM), TsneNeighbors::Approximate);
        let forced = TsneParams { neighbors: TsneNeighbors::Approximate, ..TsneParams::default() };
        assert_eq!(Tsne::new(x.view(), &forced, None).unwrap().neighbors, TsneNeighbors::Approximate);
        assert_eq!(Tsne::new(x.view(), &TsneParams::default(), None).unwrap().neighbors, TsneNeighbors::Exact);
    }

    #[test]
    fn seeded_runs_are_identical() {
        let mut rng = Rng::new(9);
        let x = Array2::from_shape_fn((40, 6), |_| rng.normal());
        let params = TsneParams { exaggeration_iterations: 20, iterations: 30, ..TsneParams::default() };
        let a = run(x.view(), &params, None, |_, _| {}).unwrap();
        let b = run(x.view(), &params, None, |_, _| {}).unwrap();
        assert_eq!(a, b);
    }
}
