//! t-SNE that can animate: a stepwise Barnes–Hut optimiser whose embedding can be read
//! after every iteration.
//!
//! # Why not linfa-tsne (or bhtsne)
//! linfa-tsne runs every epoch in one call, so nothing can be shown until it ends, and
//! it panics on non-standard array layouts. This optimiser is driven one iteration at a
//! time by [`Tsne::step`]; the app's job sends the embedding to the view ~20 times a second.
//!
//! # How it works (openTSNE's defaults)
//! The input is the first min(50, n − 1, genes) principal components of the centred
//! matrix. Affinities come from the exact `3 · perplexity` nearest neighbours (distances
//! by blocked GEMM; cosine normalises rows first): each point's Gaussian precision is
//! found by bisection so its conditional distribution has the chosen perplexity (lowered to
//! (n − 1)/3 for small n); P is symmetrised and normalised to sum 1. The embedding starts
//! from the first two PCs scaled to SD 1e-4. Gradient descent with momentum and gains runs
//! 250 iterations with early exaggeration 12 (learning rate max(N/12, 200), momentum 0.5),
//! then 500 more (learning rate max(N, 200), momentum 0.8). The repulsive forces use a
//! Barnes–Hut quadtree (θ = 0.5), split over threads. Like openTSNE, the gradient omits
//! the constant 4 (the learning rates above account for it).

use std::thread;

use faer::Mat;
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::pca::{PcaError, PcaParams, PcaSolver, pca};
use crate::jobs::CancelToken;

/// Distance between samples in the PCA space.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TsneMetric {
    /// Euclidean.
    #[default]
    Euclidean,
    /// Cosine (rows normalised to unit length, then Euclidean).
    Cosine,
}

/// Which implementation runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TsneEngine {
    /// This module's stepwise Barnes–Hut optimiser (animates).
    #[default]
    Biolens,
    /// linfa-tsne (bhtsne underneath): one call, no progress or partial results, so it
    /// cannot animate; kept for comparison.
    Linfa,
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
    /// Barnes–Hut accuracy (0 = exact, larger = faster).
    pub theta: f64,
    /// Distance.
    pub metric: TsneMetric,
    /// Seed (of the PCA used as input and initialisation).
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
            theta: 0.5,
            metric: TsneMetric::Euclidean,
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

/// Symmetric affinities in compressed rows.
#[derive(Debug, Clone)]
struct Affinities {
    offsets: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f64>,
}

/// A t-SNE run in progress.
#[derive(Debug, Clone)]
pub struct Tsne {
    params: TsneParams,
    p: Affinities,
    /// Σ P log P, for the KL divergence.
    p_log_p: f64,
    y: Vec<[f64; 2]>,
    update: Vec<[f64; 2]>,
    gains: Vec<[f64; 2]>,
    iteration: usize,
    /// Perplexity actually used.
    pub perplexity: f64,
    /// Input dimensions (principal components) used.
    pub input_dims: usize,
    last_kl: Option<f64>,
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
        let (neighbours, distances) = exact_knn(input.view(), k, &cancelled).ok_or(TsneError::Cancelled)?;
        let p = affinities(&neighbours, &distances, k, perplexity);
        let p_log_p = p.values.iter().filter(|&&v| v > 0.0).map(|v| v * v.ln()).sum();
        Ok(Self {
            params: params.clone(),
            p,
            p_log_p,
            update: vec![[0.0; 2]; n],
            gains: vec![[1.0; 2]; n],
            y,
            iteration: 0,
            perplexity,
            input_dims: dims,
            last_kl: None,
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
        Array2::from_shape_fn((self.y.len(), 2), |(i, d)| self.y[i][d])
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
        let learning_rate = (n / exaggeration).max(200.0);
        let (grad, z, attraction_log_q) = self.gradient(exaggeration);
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

    /// The gradient, the normalisation Z, and Σ P log q (for the KL divergence).
    fn gradient(&self, exaggeration: f64) -> (Vec<[f64; 2]>, f64, f64) {
        let n = self.y.len();
        let tree = QuadTree::build(&self.y);
        let threads = thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
        let chunk = n.div_ceil(threads).max(64);
        let mut repulsion = vec![[0.0; 2]; n];
        let mut attraction = vec![[0.0; 2]; n];
        let theta2 = self.params.theta * self.params.theta;
        let (z, p_log_q) = thread::scope(|scope| {
            let handles: Vec<_> = repulsion
                .chunks_mut(chunk)
                .zip(attraction.chunks_mut(chunk))
                .enumerate()
                .map(|(c, (rep, att))| {
                    let tree = &tree;
                    scope.spawn(move || {
                        let start = c * chunk;
                        let mut z = 0.0;
                        let mut p_log_q = 0.0;
                        for (k, (r, a)) in rep.iter_mut().zip(att.iter_mut()).enumerate() {
                            let i = start + k;
                            z += tree.repulsion(&self.y, i, theta2, r);
                            p_log_q += self.attraction(i, a);
                        }
                        (z, p_log_q)
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).fold((0.0, 0.0), |acc, v| (acc.0 + v.0, acc.1 + v.1))
        });
        let z = z.max(f64::MIN_POSITIVE);
        let grad = attraction
            .iter()
            .zip(&repulsion)
            .map(|(a, r)| [exaggeration * a[0] - r[0] / z, exaggeration * a[1] - r[1] / z])
            .collect();
        (grad, z, p_log_q)
    }

    /// Attractive force on point `i` (into `out`); returns `Σ_j P_ij log q_ij`.
    fn attraction(&self, i: usize, out: &mut [f64; 2]) -> f64 {
        let yi = self.y[i];
        let mut p_log_q = 0.0;
        for idx in self.p.offsets[i]..self.p.offsets[i + 1] {
            let j = self.p.columns[idx] as usize;
            let pij = self.p.values[idx];
            let dx = yi[0] - self.y[j][0];
            let dy = yi[1] - self.y[j][1];
            let q = 1.0 / (1.0 + dx * dx + dy * dy);
            out[0] += pij * q * dx;
            out[1] += pij * q * dy;
            p_log_q += pij * q.ln();
        }
        p_log_q
    }
}

/// Exact k nearest neighbours (self excluded) by blocked GEMM: squared distances and
/// indices, row by row. `None` when cancelled.
fn exact_knn(x: ArrayView2<'_, f64>, k: usize, cancelled: &dyn Fn() -> bool) -> Option<(Vec<u32>, Vec<f64>)> {
    let (n, d) = x.dim();
    let m = Mat::<f64>::from_fn(n, d, |i, j| x[[i, j]]);
    let norms: Vec<f64> = (0..n).map(|i| x.row(i).dot(&x.row(i))).collect();
    let mut neighbours = vec![0u32; n * k];
    let mut distances = vec![0.0; n * k];
    let block = 512.min(n);
    let mut start = 0;
    while start < n {
        if cancelled() {
            return None;
        }
        let rows = block.min(n - start);
        let gram = m.subrows(start, rows) * m.transpose();
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
                        let local = c * per + r;
                        let i = start + local;
                        candidates.clear();
                        candidates.extend(
                            (0..n)
                                .filter(|&j| j != i)
                                .map(|j| ((norms[i] + norms[j] - 2.0 * gram[(local, j)]).max(0.0), j as u32)),
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
    Some((neighbours, distances))
}

/// Conditional Gaussian affinities calibrated to `perplexity`, symmetrised, summing to 1.
fn affinities(neighbours: &[u32], distances: &[f64], k: usize, perplexity: f64) -> Affinities {
    let n = neighbours.len() / k;
    let target = perplexity.ln();
    let mut rows: Vec<Vec<(u32, f64)>> = vec![Vec::with_capacity(2 * k); n];
    let mut p = vec![0.0; k];
    for i in 0..n {
        let d = &distances[i * k..(i + 1) * k];
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
        for (t, &pj) in p.iter().enumerate() {
            let j = neighbours[i * k + t];
            let v = pj / sum / (2.0 * n as f64);
            rows[i].push((j, v));
            rows[j as usize].push((i as u32, v));
        }
    }
    let mut offsets = Vec::with_capacity(n + 1);
    let mut columns = Vec::with_capacity(n * 2 * k);
    let mut values = Vec::with_capacity(n * 2 * k);
    offsets.push(0);
    for mut row in rows {
        row.sort_unstable_by_key(|&(j, _)| j);
        let mut last: Option<u32> = None;
        for (j, v) in row {
            if last == Some(j) {
                if let Some(x) = values.last_mut() {
                    *x += v;
                }
            } else {
                columns.push(j);
                values.push(v);
                last = Some(j);
            }
        }
        offsets.push(columns.len());
    }
    Affinities { offsets, columns, values }
}

/// A Barnes–Hut quadtree over the embedding.
struct QuadTree {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Cell width.
    width: f64,
    /// Centre of mass.
    com: [f64; 2],
    /// Points inside.
    count: f64,
    /// Children (`u32::MAX` for none); all `MAX` in a leaf.
    children: [u32; 4],
}

impl QuadTree {
    fn build(y: &[[f64; 2]]) -> Self {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in y {
            for d in 0..2 {
                lo[d] = lo[d].min(p[d]);
                hi[d] = hi[d].max(p[d]);
            }
        }
        let half = ((hi[0] - lo[0]).max(hi[1] - lo[1]) / 2.0).max(1e-12) * (1.0 + 1e-9);
        let centre = [f64::midpoint(lo[0], hi[0]), f64::midpoint(lo[1], hi[1])];
        let mut tree = Self { nodes: Vec::with_capacity(2 * y.len()) };
        let mut index: Vec<u32> = (0..y.len() as u32).collect();
        tree.insert(y, &mut index, centre, half, 0);
        tree
    }

    fn insert(&mut self, y: &[[f64; 2]], index: &mut [u32], centre: [f64; 2], half: f64, depth: usize) -> u32 {
        let id = self.nodes.len() as u32;
        let count = index.len() as f64;
        let com =
            index.iter().fold([0.0; 2], |c, &i| [c[0] + y[i as usize][0], c[1] + y[i as usize][1]]).map(|v| v / count);
        self.nodes.push(Node { width: 2.0 * half, com, count, children: [u32::MAX; 4] });
        if index.len() <= 1 || depth >= 48 {
            return id;
        }
        // Partition into quadrants: left/right of the centre, then bottom/top of each half.
        let split_x = partition(index, |i| y[i as usize][0] < centre[0]);
        let (left, right) = index.split_at_mut(split_x);
        let split_left = partition(left, |i| y[i as usize][1] < centre[1]);
        let split_right = partition(right, |i| y[i as usize][1] < centre[1]);
        let (lb, lt) = left.split_at_mut(split_left);
        let (rb, rt) = right.split_at_mut(split_right);
        let h = half / 2.0;
        let quadrants = [
            (lb, [centre[0] - h, centre[1] - h]),
            (lt, [centre[0] - h, centre[1] + h]),
            (rb, [centre[0] + h, centre[1] - h]),
            (rt, [centre[0] + h, centre[1] + h]),
        ];
        for (q, (part, c)) in quadrants.into_iter().enumerate() {
            if !part.is_empty() {
                let child = self.insert(y, part, c, h, depth + 1);
                self.nodes[id as usize].children[q] = child;
            }
        }
        id
    }

    /// Adds the repulsive force on point `i` to `out`; returns its share of Z.
    fn repulsion(&self, y: &[[f64; 2]], i: usize, theta2: f64, out: &mut [f64; 2]) -> f64 {
        let yi = y[i];
        let mut z = 0.0;
        let mut stack = Vec::with_capacity(64);
        stack.push(0u32);
        while let Some(id) = stack.pop() {
            let node = &self.nodes[id as usize];
            let dx = yi[0] - node.com[0];
            let dy = yi[1] - node.com[1];
            let d2 = dx * dx + dy * dy;
            let leaf = node.children == [u32::MAX; 4];
            if leaf || node.width * node.width < theta2 * d2 {
                if d2 <= f64::MIN_POSITIVE {
                    // The point itself (and exact duplicates, which exert no force).
                    z += node.count - 1.0;
                    continue;
                }
                let q = 1.0 / (1.0 + d2);
                z += node.count * q;
                out[0] += node.count * q * q * dx;
                out[1] += node.count * q * q * dy;
            } else {
                stack.extend(node.children.iter().copied().filter(|&c| c != u32::MAX));
            }
        }
        z
    }
}

/// Moves the elements satisfying `pred` to the front; returns how many there are.
fn partition(items: &mut [u32], pred: impl Fn(u32) -> bool) -> usize {
    let mut next = 0;
    for k in 0..items.len() {
        if pred(items[k]) {
            items.swap(next, k);
            next += 1;
        }
    }
    next
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
        let p = affinities(&nb, &ds, 10, 5.0);
        let total: f64 = p.values.iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
        let get = |i: usize, j: u32| (p.offsets[i]..p.offsets[i + 1]).find(|&t| p.columns[t] == j).map(|t| p.values[t]);
        for i in 0..50 {
            for t in p.offsets[i]..p.offsets[i + 1] {
                assert_eq!(get(p.columns[t] as usize, i as u32), Some(p.values[t]));
            }
        }
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
