//! UMAP as `umap-learn` lays a graph out (arXiv 1802.03426), one epoch at a time
//! so the view can animate it: the low-dimensional curve `1/(1 + a·d^(2b))` fitted to
//! `min_dist` and `spread` ([`find_ab_params`], as umap-learn's `curve_fit`), a spectral (or
//! PCA) initialisation scaled to [0, 10], and stochastic gradient descent over the graph's edges,
//! each sampled in proportion to its weight, with `negative_sample_rate` random repulsions per
//! sample and a learning rate falling linearly to 0 (`optimize_layout_euclidean`, both ends of
//! an edge moving, gradients clipped at ±4). Edges lighter than max/epochs are dropped first, as
//! umap-learn does.
//!
//! The random numbers are ours, so embeddings differ from umap-learn's as its seeds differ
//! from each other; quality is compared by k-NN preservation.
//!
//! Why our own: `umap-rs` pulls ndarray 0.17 and pins linfa to an older release; `fast-umap`
//! pulls wgpu 26 beside the app's wgpu 30; and neither can stop after each epoch for the view.

use ndarray::Array2;

use super::rng::Rng;
use crate::data::Csr;

/// How the layout starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum UmapInit {
    /// The graph's Laplacian eigenvectors (umap-learn's default).
    #[default]
    Spectral,
    /// The first two principal components of the representation.
    Pca,
}

/// Settings of the layout.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct UmapParams {
    /// Smallest distance between points in the layout (scanpy: 0.5).
    pub min_dist: f64,
    /// Scale of the layout's distances.
    pub spread: f64,
    /// Epochs; `None`: 500 up to 10,000 cells, else 200 (umap-learn's rule).
    pub epochs: Option<usize>,
    /// The start.
    pub init: UmapInit,
    /// The seed.
    pub seed: u64,
    /// Repulsive samples per attractive one.
    pub negative_sample_rate: usize,
    /// Initial learning rate.
    pub learning_rate: f64,
    /// Weight of the repulsion.
    pub repulsion: f64,
}

impl Default for UmapParams {
    fn default() -> Self {
        Self {
            min_dist: 0.5,
            spread: 1.0,
            epochs: None,
            init: UmapInit::Spectral,
            seed: 0,
            negative_sample_rate: 5,
            learning_rate: 1.0,
            repulsion: 1.0,
        }
    }
}

impl UmapParams {
    /// The epochs that run for `n` cells.
    pub fn epochs_for(&self, n: usize) -> usize {
        self.epochs.unwrap_or(if n <= 10_000 { 500 } else { 200 })
    }
}

/// `a` and `b` of the curve `1/(1 + a·x^(2b))` fitted by least squares to 1 below `min_dist` and
/// `exp(−(x − min_dist)/spread)` above, on 300 points over [0, 3·spread] (umap-learn's
/// `find_ab_params`; Levenberg–Marquardt from (1, 1) as `SciPy`'s `curve_fit`).
pub fn find_ab_params(spread: f64, min_dist: f64) -> (f64, f64) {
    let xs: Vec<f64> = (0..300).map(|i| 3.0 * spread * f64::from(i) / 299.0).collect();
    let ys: Vec<f64> = xs.iter().map(|&x| if x < min_dist { 1.0 } else { (-(x - min_dist) / spread).exp() }).collect();
    let cost = |a: f64, b: f64| -> f64 {
        xs.iter().zip(&ys).map(|(&x, &y)| (1.0 / (1.0 + a * x.powf(2.0 * b)) - y).powi(2)).sum()
    };
    let (mut a, mut b) = (1.0f64, 1.0f64);
    let mut lambda = 1e-3;
    let mut current = cost(a, b);
    for _ in 0..500 {
        // Normal equations of the Gauss–Newton step.
        let (mut jtj, mut jtr) = ([[0.0f64; 2]; 2], [0.0f64; 2]);
        for (&x, &y) in xs.iter().zip(&ys) {
            let p = if x > 0.0 { x.powf(2.0 * b) } else { 0.0 };
            let f = 1.0 / (1.0 + a * p);
            let da = -p * f * f;
            let db = if x > 0.0 { -a * p * 2.0 * x.ln() * f * f } else { 0.0 };
            let r = f - y;
            jtj[0][0] += da * da;
            jtj[0][1] += da * db;
            jtj[1][1] += db * db;
            jtr[0] += da * r;
            jtr[1] += db * r;
        }
        jtj[1][0] = jtj[0][1];
        let mut improved = false;
        for _ in 0..30 {
            let m00 = jtj[0][0] * (1.0 + lambda);
            let m11 = jtj[1][1] * (1.0 + lambda);
            let det = m00 * m11 - jtj[0][1] * jtj[1][0];
            if det.abs() < 1e-300 {
                break;
            }
            let step_a = -(m11 * jtr[0] - jtj[0][1] * jtr[1]) / det;
            let step_b = -(m00 * jtr[1] - jtj[1][0] * jtr[0]) / det;
            let next = cost(a + step_a, b + step_b);
            if next < current {
                let done = (current - next) <= 1e-15 * current.max(1e-300);
                a += step_a;
                b += step_b;
                current = next;
                lambda = (lambda / 10.0).max(1e-12);
                improved = !done;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (a, b)
}

/// A layout in progress: call [`Umap::step`] until [`Umap::is_done`].
#[derive(Debug, Clone)]
pub struct Umap {
    /// Cells × 2, in float32 as umap-learn (and half the memory traffic of the descent).
    embedding: Vec<[f32; 2]>,
    head: Vec<u32>,
    tail: Vec<u32>,
    epochs_per_sample: Vec<f64>,
    next_sample: Vec<f64>,
    epochs_per_negative: Vec<f64>,
    next_negative: Vec<f64>,
    a: f64,
    b: f64,
    params: UmapParams,
    epochs: usize,
    epoch: usize,
    /// The next edge of the current epoch (an epoch can stop part-way and go on).
    cursor: usize,
    rng: Rng,
}

/// Edges between two looks at the stop condition of [`Umap::step_until`].
const EDGES_PER_CHECK: usize = if cfg!(test) { 8 } else { 16_384 };

impl Umap {
    /// Prepares the layout of `graph` (symmetric connectivities) from `start` (cells × 2, e.g.
    /// [`spectral_init`] or principal components), scaled as umap-learn scales it.
    pub fn new(graph: &Csr, start: &Array2<f64>, params: UmapParams) -> Self {
        let n = graph.nrows();
        let epochs = params.epochs_for(n).max(1);
        let (a, b) = find_ab_params(params.spread, params.min_dist);
        let mut rng = Rng::new(params.seed);
        // Start: largest |coordinate| 10, tiny noise, then each axis to [0, 10].
        let top = start.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
        let mut start64: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                [start[[i, 0]] * 10.0 / top + 1e-4 * rng.normal(), start[[i, 1]] * 10.0 / top + 1e-4 * rng.normal()]
            })
            .collect();
        for d in 0..2 {
            let (lo, hi) =
                start64.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p[d]), h.max(p[d])));
            let span = (hi - lo).max(f64::MIN_POSITIVE);
            for p in &mut start64 {
                p[d] = 10.0 * (p[d] - lo) / span;
            }
        }
        #[allow(clippy::cast_possible_truncation)]
        let embedding: Vec<[f32; 2]> = start64.iter().map(|p| [p[0] as f32, p[1] as f32]).collect();
        // Edges (both directions, as umap-learn's COO of the symmetric graph), light ones dropped.
        let top_weight = graph.data().iter().fold(0.0f32, |m, &w| m.max(w));
        let floor = f64::from(top_weight) / epochs as f64;
        let (mut head, mut tail, mut weights) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..n {
            let (cols, vals) = graph.row(i);
            for (&j, &w) in cols.iter().zip(vals) {
                if f64::from(w) >= floor && w > 0.0 {
                    head.push(i as u32);
                    tail.push(j);
                    weights.push(f64::from(w));
                }
            }
        }
        let max_weight = weights.iter().fold(0.0f64, |m, &w| m.max(w));
        // make_epochs_per_sample: an edge of weight w is sampled every max/w epochs.
        let epochs_per_sample: Vec<f64> =
            weights.iter().map(|&w| if w > 0.0 { max_weight / w } else { f64::INFINITY }).collect();
        let rate = params.negative_sample_rate.max(1) as f64;
        let epochs_per_negative: Vec<f64> = epochs_per_sample.iter().map(|e| e / rate).collect();
        Self {
            embedding,
            head,
            tail,
            next_sample: epochs_per_sample.clone(),
            next_negative: epochs_per_negative.clone(),
            epochs_per_sample,
            epochs_per_negative,
            a,
            b,
            params,
            epochs,
            epoch: 0,
            cursor: 0,
            rng,
        }
    }

    /// True after the last epoch.
    pub fn is_done(&self) -> bool {
        self.epoch >= self.epochs
    }

    /// Epochs run and in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.epoch, self.epochs)
    }

    /// The curve's `a` and `b`.
    pub fn ab(&self) -> (f64, f64) {
        (self.a, self.b)
    }

    /// The layout now, cells × 2.
    pub fn embedding(&self) -> Array2<f64> {
        Array2::from_shape_fn((self.embedding.len(), 2), |(i, d)| f64::from(self.embedding[i][d]))
    }

    /// Runs one epoch (umap-learn's `optimize_layout_euclidean_single_epoch`).
    pub fn step(&mut self) {
        self.step_until(&|| false);
    }

    /// Runs the rest of the current epoch, looking at `stop` every few thousand edges; true
    /// when the epoch ended, false when `stop` interrupted it (the next call goes on from there).
    pub fn step_until(&mut self, stop: &dyn Fn() -> bool) -> bool {
        if self.is_done() {
            return true;
        }
        let n = self.embedding.len();
        let epoch = self.epoch as f64;
        #[allow(clippy::cast_possible_truncation)]
        let alpha = (self.params.learning_rate * (1.0 - epoch / self.epochs as f64)) as f32;
        #[allow(clippy::cast_possible_truncation)]
        let (a, b, gamma) = (self.a as f32, self.b as f32, self.params.repulsion as f32);
        let clip = |v: f32| v.clamp(-4.0, 4.0);
        let started = self.cursor;
        while self.cursor < self.head.len() {
            let e = self.cursor;
            // Every call moves on by at least one block.
            if e != started && e.is_multiple_of(EDGES_PER_CHECK) && stop() {
                return false;
            }
            self.cursor += 1;
            if self.next_sample[e] > epoch {
                continue;
            }
            let (j, k) = (self.head[e] as usize, self.tail[e] as usize);
            let (current, other) = (self.embedding[j], self.embedding[k]);
            let dist2 = (current[0] - other[0]).powi(2) + (current[1] - other[1]).powi(2);
            let coeff = if dist2 > 0.0 {
                // d^(2(b−1)) = d^(2b) / d²: one power instead of two.
                let power = dist2.powf(b);
                -2.0 * a * b * (power / dist2) / (a * power + 1.0)
            } else {
                0.0
            };
            for d in 0..2 {
                let g = clip(coeff * (current[d] - other[d]));
                self.embedding[j][d] += g * alpha;
                self.embedding[k][d] -= g * alpha;
            }
            self.next_sample[e] += self.epochs_per_sample[e];
            let negatives = ((epoch - self.next_negative[e]) / self.epochs_per_negative[e]).floor().max(0.0) as usize;
            for _ in 0..negatives {
                let k = self.rng.below(n);
                if k == j {
                    continue;
                }
                let current = self.embedding[j];
                let other = self.embedding[k];
                let dist2 = (current[0] - other[0]).powi(2) + (current[1] - other[1]).powi(2);
                if dist2 <= 0.0 {
                    continue;
                }
                let coeff = 2.0 * gamma * b / ((0.001 + dist2) * (a * dist2.powf(b) + 1.0));
                for d in 0..2 {
                    self.embedding[j][d] += clip(coeff * (current[d] - other[d])) * alpha;
                }
            }
            self.next_negative[e] += negatives as f64 * self.epochs_per_negative[e];
        }
        self.cursor = 0;
        self.epoch += 1;
        true
    }
}

/// The spectral start: the two leading non-trivial eigenvectors of the graph's normalised
/// adjacency `D^(−1/2) A D^(−1/2)` (the smallest of its normalised Laplacian, umap-learn's
/// `spectral_layout`), by block power iteration with Rayleigh–Ritz on `(I + N)/2`, seeded.
/// Cells without edges get small random positions. `None` once `cancelled` answers true
/// (checked every iteration, a few tens of milliseconds at 100,000 cells).
pub fn spectral_init(graph: &Csr, seed: u64, iterations: usize, cancelled: &dyn Fn() -> bool) -> Option<Array2<f64>> {
    let n = graph.nrows();
    let degree: Vec<f64> = (0..n).map(|i| graph.row(i).1.iter().map(|&w| f64::from(w)).sum()).collect();
    let scale: Vec<f64> = degree.iter().map(|&d| if d > 0.0 { 1.0 / d.sqrt() } else { 0.0 }).collect();
    let block = 6.min(n.max(1));
    let mut rng = Rng::new(seed);
    let mut v = Array2::from_shape_fn((n, block), |_| rng.normal());
    let multiply = |v: &Array2<f64>| -> Array2<f64> {
        use rayon::prelude::*;
        let width = v.ncols();
        let mut out = Array2::zeros(v.dim());
        let Some(slice) = out.as_slice_mut() else { return out };
        slice.par_chunks_mut(width).enumerate().for_each(|(i, row)| {
            let (cols, vals) = graph.row(i);
            for (c, slot) in row.iter_mut().enumerate() {
                let mut s = 0.0;
                for (&j, &w) in cols.iter().zip(vals) {
                    s += f64::from(w) * scale[j as usize] * v[[j as usize, c]];
                }
                *slot = 0.5 * (v[[i, c]] + scale[i] * s);
            }
        });
        out
    };
    for _ in 0..iterations.max(1) {
        if cancelled() {
            return None;
        }
        v = multiply(&v);
        orthonormalise(&mut v);
    }
    // Rayleigh–Ritz: the eigenvectors of VᵀMV order the block; the first is the trivial √d.
    let mv = multiply(&v);
    let small = v.t().dot(&mv);
    let (values, vectors) = symmetric_eigen(&small);
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&x, &y| values[y].total_cmp(&values[x]));
    let ritz = v.dot(&vectors);
    let mut out = Array2::zeros((n, 2));
    for (d, &c) in order.iter().skip(1).take(2).enumerate() {
        for i in 0..n {
            out[[i, d]] = ritz[[i, c]];
        }
    }
    Some(out)
}

/// Gram–Schmidt (twice) on the columns.
fn orthonormalise(v: &mut Array2<f64>) {
    for _ in 0..2 {
        for c in 0..v.ncols() {
            for p in 0..c {
                let dot = v.column(c).dot(&v.column(p));
                let prev = v.column(p).to_owned();
                v.column_mut(c).scaled_add(-dot, &prev);
            }
            let norm = v.column(c).dot(&v.column(c)).sqrt();
            if norm > 0.0 {
                v.column_mut(c).mapv_inplace(|x| x / norm);
            }
        }
    }
}

/// Eigenvalues and eigenvectors (columns) of a small symmetric matrix (cyclic Jacobi).
fn symmetric_eigen(m: &Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let k = m.nrows();
    let mut a = m.clone();
    let mut v = Array2::<f64>::eye(k);
    for _ in 0..100 {
        let off: f64 = (0..k)
            .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[[i, j]].powi(2))
            .sum();
        if off < 1e-24 {
            break;
        }
        for p in 0..k {
            for q in p + 1..k {
                if a[[p, q]].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * a[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..k {
                    let (arp, arq) = (a[[r, p]], a[[r, q]]);
                    a[[r, p]] = c * arp - s * arq;
                    a[[r, q]] = s * arp + c * arq;
                }
                for r in 0..k {
                    let (apr, aqr) = (a[[p, r]], a[[q, r]]);
                    a[[p, r]] = c * apr - s * aqr;
                    a[[q, r]] = s * apr + c * aqr;
                }
                for r in 0..k {
                    let (vrp, vrq) = (v[[r, p]], v[[r, q]]);
                    v[[r, p]] = c * vrp - s * vrq;
                    v[[r, q]] = s * vrp + c * vrq;
                }
            }
        }
    }
    ((0..k).map(|i| a[[i, i]]).collect(), v)
}

/// The fraction of each cell's `k` nearest neighbours in `high` that are among its `k` nearest
/// in `low` (the cell itself excluded), averaged: how well a layout keeps neighbourhoods.
pub fn knn_preservation(high: ndarray::ArrayView2<'_, f64>, low: ndarray::ArrayView2<'_, f64>, k: usize) -> f64 {
    let never = || false;
    let (Some(h), Some(l)) =
        (super::neighbors::exact_knn(high, k + 1, &never), super::neighbors::exact_knn(low, k + 1, &never))
    else {
        return 0.0;
    };
    let n = high.nrows();
    let kept: usize = (0..n)
        .map(|i| {
            let a: std::collections::HashSet<u32> = h.row(i).0[1..].iter().copied().collect();
            l.row(i).0[1..].iter().filter(|j| a.contains(j)).count()
        })
        .sum();
    kept as f64 / (n * k) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ab_params_equal_umap_learns() {
        // umap.umap_.find_ab_params (umap-learn 0.5, SciPy's curve_fit).
        for (spread, min_dist, a, b) in [
            (1.0, 0.5, 0.583_030_020_341_442_5, 1.334_166_992_431_491_4),
            (1.0, 0.1, 1.576_943_460_269_765_2, 0.895_060_877_851_573_3),
        ] {
            let (ours_a, ours_b) = find_ab_params(spread, min_dist);
            assert!((ours_a - a).abs() < 1e-4 * a && (ours_b - b).abs() < 1e-4 * b, "{ours_a} {ours_b} vs {a} {b}");
        }
    }

    #[test]
    fn two_clusters_stay_apart_and_runs_repeat() {
        // Two groups of 20 points on a line, k-NN graph within each.
        let x = Array2::from_shape_fn(
            (40, 2),
            |(i, d)| if d == 0 { (i / 20) as f64 * 100.0 + (i % 20) as f64 } else { 0.0 },
        );
        let knn = super::super::neighbors::exact_knn(x.view(), 5, &|| false).unwrap();
        let graph = super::super::neighbors::umap_connectivities(&knn);
        let start = spectral_init(&graph, 0, 100, &|| false).unwrap();
        let params = UmapParams { epochs: Some(100), ..UmapParams::default() };
        let mut u = Umap::new(&graph, &start, params);
        while !u.is_done() {
            u.step();
        }
        let e = u.embedding();
        assert!(e.iter().all(|v| v.is_finite()));
        let centre = |r: std::ops::Range<usize>| {
            let n = r.len() as f64;
            let (sx, sy) = r.fold((0.0, 0.0), |(sx, sy), i| (sx + e[[i, 0]], sy + e[[i, 1]]));
            (sx / n, sy / n)
        };
        let (a, b) = (centre(0..20), centre(20..40));
        let between = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let spread =
            (0..20).map(|i| ((e[[i, 0]] - a.0).powi(2) + (e[[i, 1]] - a.1).powi(2)).sqrt()).fold(0.0, f64::max);
        assert!(between > 2.0 * spread, "groups {between} apart, spread {spread}");
        let mut again = Umap::new(&graph, &start, params);
        while !again.is_done() {
            again.step();
        }
        assert_eq!(again.embedding(), e);
        // Interrupted every block and resumed, an epoch gives the same layout.
        let mut parts = Umap::new(&graph, &start, params);
        while !parts.is_done() {
            let _ = parts.step_until(&|| true);
        }
        assert_eq!(parts.embedding(), e);
        assert!(knn_preservation(x.view(), e.view(), 3) > 0.5);
    }
}
