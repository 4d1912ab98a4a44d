//! Regression trees (CART, squared error) and random forests of them: scikit-learn's
//! `DecisionTreeRegressor` and `RandomForestRegressor`, step for step, so the same
//! `random_state` grows the same trees and gives the same predictions.
//!
//! # Why a line-by-line port
//! On wide data (60 samples × thousands of genes) many genes split a small node equally well;
//! which one wins decides where a held-out sample goes, and so the cross-validated R². A tree
//! that is merely "the same algorithm" lands 0.1 R² away from scikit-learn's on such data. To
//! give the same numbers this module follows scikit-learn 1.6's Cython (`_splitter.pyx`
//! `node_split_best`, `_partitioner.pyx` `DensePartitioner` and its introsort, `_criterion.pyx`
//! `MSE`, `_tree.pyx` `DepthFirstTreeBuilder`) in the order of every operation that can change a
//! result:
//! - features are float32 copies, equal only when their float32 copies are (the source's
//!   `FEATURE_THRESHOLD` of 1e-7 is declared with its value in `_partitioner.pxd`, and in the
//!   compiled 1.6.1 it is 0: two samples 5e-8 or even 1e-45 apart are split — tested against
//!   scikit-learn itself); a threshold is the float64 midpoint of two float32 values;
//! - candidate genes are drawn by the Fisher–Yates walk over one `features` array that persists
//!   from node to node, with scikit-learn's `rand_r` (xorshift) seeded by
//!   `RandomState(random_state).randint(0, RAND_R_MAX)`, and genes found constant in a node are
//!   skipped in its descendants as scikit-learn does;
//! - each candidate gene sorts the node's samples with scikit-learn's introsort (median of three,
//!   three-way partition, heapsort fallback), in place, so ties leave the samples in the same
//!   order and every sum is added in the same order;
//! - the running left/right sums are updated forwards or backwards as `update` chooses; a split
//!   wins only by a strictly larger proxy improvement;
//! - nodes are grown depth first, left child first (one shared random stream);
//! - a forest draws each tree's seed with `randint(2³¹ − 1)` from `RandomState(seed)`, its
//!   bootstrap with `randint(0, n, n)` from `RandomState(tree seed)`, and fits the tree on the
//!   counts as sample weights (not on repeated rows); predictions are summed tree by tree and
//!   divided by the number of trees.
//!
//! The random state is the low 32 bits of the seed (scikit-learn accepts 0 ≤ seed < 2³²).
//! Trees of a forest grow in parallel; each tree is independent, so the forest is the same for
//! any number of threads. Importances are scikit-learn's (weighted impurity decrease, normalised
//! per tree, averaged over trees with more than one node, normalised again).

// Exact float comparisons are the point here: they are scikit-learn's.
#![allow(clippy::float_cmp)]

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::{FittedRegressor, RegressError};
use crate::analysis::classify::folds::Mt19937;
use crate::analysis::classify::forest::TreeParams;
use crate::jobs::CancelToken;

/// scikit-learn's `RAND_R_MAX`.
const RAND_R_MAX: u32 = 0x7FFF_FFFF;
/// `np.finfo('double').eps`, the tree builder's tolerance.
const EPSILON: f64 = f64::EPSILON;
/// scikit-learn's depth limit when `max_depth` is None (`np.iinfo(np.int32).max`).
const NO_DEPTH_LIMIT: usize = i32::MAX as usize;
/// Marks a leaf's missing children.
const LEAF: usize = usize::MAX;

/// scikit-learn's `our_rand_r` (xorshift, reduced to 31 bits).
fn our_rand_r(seed: &mut u32) -> u32 {
    if *seed == 0 {
        *seed = 1;
    }
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    *seed % (RAND_R_MAX + 1)
}

/// scikit-learn's `rand_int`: an integer in `low..high`.
fn rand_int(low: usize, high: usize, state: &mut u32) -> usize {
    low + our_rand_r(state) as usize % (high - low)
}

/// numpy's legacy `RandomState.randint(0, high)`: masked rejection on 32-bit draws.
fn randint(rng: &mut Mt19937, high: u32) -> u32 {
    rng.interval(high - 1)
}

// ---- scikit-learn's introsort of feature values, carrying the samples along ----

fn sort(values: &mut [f32], samples: &mut [usize]) {
    let n = values.len();
    if n == 0 {
        return;
    }
    let maxd = 2 * ((n as f64).log2() as isize);
    introsort(values, samples, maxd);
}

fn median3(v: &[f32]) -> f32 {
    let n = v.len();
    let (a, b, c) = (v[0], v[n / 2], v[n - 1]);
    if a < b {
        if b < c {
            b
        } else if a < c {
            c
        } else {
            a
        }
    } else if b < c {
        if a < c { a } else { c }
    } else {
        b
    }
}

fn introsort(mut values: &mut [f32], mut samples: &mut [usize], mut maxd: isize) {
    while values.len() > 1 {
        if maxd <= 0 {
            heapsort(values, samples);
            return;
        }
        maxd -= 1;
        let pivot = median3(values);
        let (mut i, mut l, mut r) = (0, 0, values.len());
        while i < r {
            if values[i] < pivot {
                values.swap(i, l);
                samples.swap(i, l);
                i += 1;
                l += 1;
            } else if values[i] > pivot {
                r -= 1;
                values.swap(i, r);
                samples.swap(i, r);
            } else {
                i += 1;
            }
        }
        let (head, tail) = std::mem::take(&mut values).split_at_mut(r);
        let (head_samples, tail_samples) = std::mem::take(&mut samples).split_at_mut(r);
        introsort(&mut head[..l], &mut head_samples[..l], maxd);
        values = tail;
        samples = tail_samples;
    }
}

fn sift_down(values: &mut [f32], samples: &mut [usize], start: usize, end: usize) {
    let mut root = start;
    loop {
        let child = root * 2 + 1;
        let mut max = root;
        if child < end && values[max] < values[child] {
            max = child;
        }
        if child + 1 < end && values[max] < values[child + 1] {
            max = child + 1;
        }
        if max == root {
            break;
        }
        values.swap(root, max);
        samples.swap(root, max);
        root = max;
    }
}

fn heapsort(values: &mut [f32], samples: &mut [usize]) {
    let n = values.len();
    let mut start = (n - 2) / 2;
    loop {
        sift_down(values, samples, start, n);
        if start == 0 {
            break;
        }
        start -= 1;
    }
    let mut end = n - 1;
    while end > 0 {
        values.swap(0, end);
        samples.swap(0, end);
        sift_down(values, samples, 0, end);
        end -= 1;
    }
}

/// The cut between two neighbouring float32 values: their float64 midpoint as a sum of halves,
/// or the lower value when the midpoint rounds onto the upper one.
fn threshold(lo: f32, hi: f32) -> f64 {
    let (lo, hi) = (f64::from(lo), f64::from(hi));
    let mid = lo / 2.0 + hi / 2.0;
    if mid == hi || mid.is_infinite() { lo } else { mid }
}

/// The order of `v` among floats as an unsigned key (−0 and +0 alike).
fn order_key(v: f32) -> u32 {
    let bits = (v + 0.0).to_bits();
    if bits & 0x8000_0000 == 0 { bits | 0x8000_0000 } else { !bits }
}

/// `sort_samples_and_feature_values`: gathers gene `col` of `samples` into `values` and sorts
/// both by value, leaving `samples` exactly as scikit-learn's introsort would. Without ties the
/// sorted order is unique, so a fast sort of (value, sample) keys gives it; with ties (their
/// order depends on the algorithm) the introsort runs.
/// Returns whether the values are all distinct.
fn sort_by_feature(col: &[f32], values: &mut [f32], samples: &mut [usize], keys: &mut Vec<u64>) -> bool {
    if col.len() > u32::MAX as usize {
        for (v, &s) in values.iter_mut().zip(samples.iter()) {
            *v = col[s];
        }
        sort(values, samples);
        return false;
    }
    keys.clear();
    keys.extend(samples.iter().map(|&s| (u64::from(order_key(col[s])) << 32) | s as u64));
    keys.sort_unstable();
    if keys.windows(2).all(|w| w[0] >> 32 != w[1] >> 32) {
        for ((v, s), &key) in values.iter_mut().zip(samples.iter_mut()).zip(keys.iter()) {
            *s = (key & 0xFFFF_FFFF) as usize;
            *v = col[*s];
        }
        true
    } else {
        for (v, &s) in values.iter_mut().zip(samples.iter()) {
            *v = col[s];
        }
        sort(values, samples);
        false
    }
}

// ---- the squared-error criterion (`MSE` of `_criterion.pyx`, one output) ----

#[derive(Default)]
struct Criterion {
    start: usize,
    end: usize,
    pos: usize,
    sq_sum_total: f64,
    sum_total: f64,
    sum_left: f64,
    sum_right: f64,
    weighted_n_samples: f64,
    weighted_n_node_samples: f64,
    weighted_n_left: f64,
    weighted_n_right: f64,
}

impl Criterion {
    fn init(&mut self, y: &[f64], w: &[f64], samples: &[usize], start: usize, end: usize) {
        self.start = start;
        self.end = end;
        self.weighted_n_node_samples = 0.0;
        self.sq_sum_total = 0.0;
        self.sum_total = 0.0;
        for &i in &samples[start..end] {
            let w_y = w[i] * y[i];
            self.sum_total += w_y;
            self.sq_sum_total += w_y * y[i];
            self.weighted_n_node_samples += w[i];
        }
        self.reset();
    }

    fn reset(&mut self) {
        self.pos = self.start;
        self.sum_left = 0.0;
        self.sum_right = self.sum_total;
        self.weighted_n_left = 0.0;
        self.weighted_n_right = self.weighted_n_node_samples;
    }

    fn reverse_reset(&mut self) {
        self.pos = self.end;
        self.sum_right = 0.0;
        self.sum_left = self.sum_total;
        self.weighted_n_right = 0.0;
        self.weighted_n_left = self.weighted_n_node_samples;
    }

    #[inline]
    fn update(&mut self, y: &[f64], w: &[f64], samples: &[usize], new_pos: usize) {
        let pos = self.pos;
        let end = self.end;
        if new_pos - pos <= end - new_pos {
            for &i in &samples[pos..new_pos] {
                self.sum_left += w[i] * y[i];
                self.weighted_n_left += w[i];
            }
        } else {
            self.reverse_reset();
            for &i in samples[new_pos..end].iter().rev() {
                self.sum_left -= w[i] * y[i];
                self.weighted_n_left -= w[i];
            }
        }
        self.weighted_n_right = self.weighted_n_node_samples - self.weighted_n_left;
        self.sum_right = self.sum_total - self.sum_left;
        self.pos = new_pos;
    }

    fn node_impurity(&self) -> f64 {
        let mean = self.sum_total / self.weighted_n_node_samples;
        self.sq_sum_total / self.weighted_n_node_samples - mean * mean
    }

    fn proxy_impurity_improvement(&self) -> f64 {
        self.sum_left * self.sum_left / self.weighted_n_left + self.sum_right * self.sum_right / self.weighted_n_right
    }

    fn children_impurity(&self, y: &[f64], w: &[f64], samples: &[usize]) -> (f64, f64) {
        let mut sq_sum_left = 0.0;
        for &i in &samples[self.start..self.pos] {
            sq_sum_left += w[i] * y[i] * y[i];
        }
        let sq_sum_right = self.sq_sum_total - sq_sum_left;
        let mean_left = self.sum_left / self.weighted_n_left;
        let mean_right = self.sum_right / self.weighted_n_right;
        (
            sq_sum_left / self.weighted_n_left - mean_left * mean_left,
            sq_sum_right / self.weighted_n_right - mean_right * mean_right,
        )
    }

    fn impurity_improvement(&self, parent: f64, left: f64, right: f64) -> f64 {
        (self.weighted_n_node_samples / self.weighted_n_samples)
            * (parent
                - self.weighted_n_right / self.weighted_n_node_samples * right
                - self.weighted_n_left / self.weighted_n_node_samples * left)
    }
}

// ---- the tree ----

#[derive(Clone, Copy)]
struct Node {
    feature: usize,
    threshold: f64,
    left: usize,
    right: usize,
    value: f64,
    impurity: f64,
    weighted_n: f64,
}

#[derive(Clone, Copy)]
struct SplitRecord {
    feature: usize,
    pos: usize,
    threshold: f64,
    improvement: f64,
    impurity_left: f64,
    impurity_right: f64,
}

impl SplitRecord {
    fn none(end: usize) -> Self {
        Self {
            feature: 0,
            pos: end,
            threshold: 0.0,
            improvement: f64::NEG_INFINITY,
            impurity_left: f64::INFINITY,
            impurity_right: f64::INFINITY,
        }
    }
}

/// The splitter's state (`Splitter` with a `DensePartitioner`).
struct Splitter<'a> {
    /// Gene-major float32 matrix: gene g of sample s is `cols[g·rows + s]`.
    cols: &'a [f32],
    rows: usize,
    y: &'a [f64],
    w: &'a [f64],
    samples: Vec<usize>,
    features: Vec<usize>,
    constant_features: Vec<usize>,
    values: Vec<f32>,
    /// Scratch for [`sort_by_feature`].
    keys: Vec<u64>,
    /// `w[i]·y[i]`, the term `update` adds.
    wy: Vec<f64>,
    max_features: usize,
    rand_r_state: u32,
    criterion: Criterion,
}

impl Splitter<'_> {
    fn node_reset(&mut self, start: usize, end: usize) {
        self.criterion.init(self.y, self.w, &self.samples, start, end);
    }

    /// `node_split_best`: the best split of `samples[start..end]`, updating the count of known
    /// constant genes.
    fn node_split(&mut self, start: usize, end: usize, impurity: f64, n_constant_features: &mut usize) -> SplitRecord {
        let n_features = self.features.len();
        let mut best = SplitRecord::none(end);
        let mut best_proxy = f64::NEG_INFINITY;
        let mut f_i = n_features;
        let mut n_visited = 0;
        let mut n_found_constants = 0;
        let mut n_drawn_constants = 0;
        let n_known_constants = *n_constant_features;
        let mut n_total_constants = n_known_constants;
        while f_i > n_total_constants
            && (n_visited < self.max_features || n_visited <= n_found_constants + n_drawn_constants)
        {
            n_visited += 1;
            let mut f_j = rand_int(n_drawn_constants, f_i - n_found_constants, &mut self.rand_r_state);
            if f_j < n_known_constants {
                self.features.swap(n_drawn_constants, f_j);
                n_drawn_constants += 1;
                continue;
            }
            f_j += n_found_constants;
            let feature = self.features[f_j];
            let col = &self.cols[feature * self.rows..(feature + 1) * self.rows];
            let distinct =
                sort_by_feature(col, &mut self.values[start..end], &mut self.samples[start..end], &mut self.keys);
            if self.values[end - 1] <= self.values[start] {
                self.features.swap(f_j, n_total_constants);
                n_found_constants += 1;
                n_total_constants += 1;
                continue;
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);
            if distinct {
                // Every cut is a step of one sample, which `update` adds forwards: the same sums
                // in a tight loop.
                self.scan_distinct(start, end, feature, &mut best, &mut best_proxy);
                continue;
            }
            self.criterion.reset();
            let values = &self.values;
            let mut p = start;
            while p < end {
                while p + 1 < end && values[p + 1] <= values[p] {
                    p += 1;
                }
                let p_prev = p;
                p += 1;
                // min_samples_leaf is 1 and min_weight_leaf 0: every cut is allowed.
                if p >= end {
                    continue;
                }
                self.criterion.update(self.y, self.w, &self.samples, p);
                let proxy = self.criterion.proxy_impurity_improvement();
                if proxy > best_proxy {
                    best_proxy = proxy;
                    best = SplitRecord { feature, pos: p, threshold: threshold(values[p_prev], values[p]), ..best };
                }
            }
        }
        if best.pos < end {
            self.partition_final(start, end, best.feature, best.threshold);
            self.criterion.reset();
            self.criterion.update(self.y, self.w, &self.samples, best.pos);
            let (left, right) = self.criterion.children_impurity(self.y, self.w, &self.samples);
            best.impurity_left = left;
            best.impurity_right = right;
            best.improvement = self.criterion.impurity_improvement(impurity, left, right);
        }
        self.features[..n_known_constants].copy_from_slice(&self.constant_features[..n_known_constants]);
        self.constant_features[n_known_constants..n_total_constants]
            .copy_from_slice(&self.features[n_known_constants..n_total_constants]);
        *n_constant_features = n_total_constants;
        best
    }

    /// The scan of `node_split_best` when the node's values of `feature` are all distinct:
    /// `update` then moves one sample at a time forwards, so the running sums are these.
    fn scan_distinct(&self, start: usize, end: usize, feature: usize, best: &mut SplitRecord, best_proxy: &mut f64) {
        let (wy, w, values) = (&self.wy, self.w, &self.values);
        let (total, weight) = (self.criterion.sum_total, self.criterion.weighted_n_node_samples);
        let (mut sum_left, mut weight_left) = (0.0, 0.0);
        for p in start + 1..end {
            let i = self.samples[p - 1];
            sum_left += wy[i];
            weight_left += w[i];
            let weight_right = weight - weight_left;
            let sum_right = total - sum_left;
            let proxy = sum_left * sum_left / weight_left + sum_right * sum_right / weight_right;
            if proxy > *best_proxy {
                *best_proxy = proxy;
                *best = SplitRecord { feature, pos: p, threshold: threshold(values[p - 1], values[p]), ..*best };
            }
        }
    }

    /// `partition_samples_final` (no missing values), including its untouched last slot.
    fn partition_final(&mut self, start: usize, end: usize, feature: usize, threshold: f64) {
        let col = &self.cols[feature * self.rows..(feature + 1) * self.rows];
        let mut p = start;
        let mut partition_end = end - 1;
        while p < partition_end {
            if f64::from(col[self.samples[p]]) <= threshold {
                p += 1;
            } else {
                self.samples.swap(p, partition_end);
                partition_end -= 1;
            }
        }
    }
}

/// One fitted regression tree.
pub struct RegressionTree {
    nodes: Vec<Node>,
    /// scikit-learn's `feature_importances_`: impurity decrease per gene, summing to 1 (all
    /// zero for a single leaf).
    pub importance: Vec<f64>,
}

struct StackRecord {
    start: usize,
    end: usize,
    depth: usize,
    parent: Option<(usize, bool)>,
    impurity: f64,
    n_constant_features: usize,
}

/// `x` gene by gene, as float32.
fn gene_major_f32(x: ArrayView2<'_, f64>) -> Vec<f32> {
    let (n, p) = x.dim();
    let mut cols = Vec::with_capacity(n * p);
    for col in x.columns() {
        cols.extend(col.iter().map(|&v| v as f32));
    }
    cols
}

impl RegressionTree {
    /// `DecisionTreeRegressor(max_depth, min_samples_split, max_features,
    /// random_state=seed).fit(x, y)`.
    pub fn fit(x: ArrayView2<'_, f64>, y: &[f64], params: TreeParams, seed: u64) -> Self {
        let cols = gene_major_f32(x);
        let weights = vec![1.0; y.len()];
        Self::fit_columns(&cols, x.nrows(), y, &weights, params, seed as u32)
    }

    /// Grows a tree on float32 gene-major `cols` with sample weights `w` (zero: left out).
    fn fit_columns(cols: &[f32], rows: usize, y: &[f64], w: &[f64], params: TreeParams, seed: u32) -> Self {
        let genes = cols.len() / rows.max(1);
        let rand_r_state = randint(&mut Mt19937::new(seed), RAND_R_MAX);
        let samples: Vec<usize> = (0..rows).filter(|&i| w[i] != 0.0).collect();
        let mut splitter = Splitter {
            cols,
            rows,
            y,
            w,
            values: vec![0.0; rows],
            keys: Vec::with_capacity(rows),
            wy: w.iter().zip(y).map(|(w, y)| w * y).collect(),
            samples,
            features: (0..genes).collect(),
            constant_features: vec![0; genes],
            max_features: params.max_features.resolve(genes),
            rand_r_state,
            criterion: Criterion { weighted_n_samples: w.iter().sum(), ..Criterion::default() },
        };
        let max_depth = params.max_depth.unwrap_or(NO_DEPTH_LIMIT);
        let min_samples_split = params.min_samples_split.max(2);
        let mut nodes: Vec<Node> = Vec::new();
        let mut stack = vec![StackRecord {
            start: 0,
            end: splitter.samples.len(),
            depth: 0,
            parent: None,
            impurity: f64::INFINITY,
            n_constant_features: 0,
        }];
        let mut first = true;
        while let Some(record) = stack.pop() {
            let StackRecord { start, end, depth, parent, mut impurity, mut n_constant_features } = record;
            if start == end {
                break;
            }
            splitter.node_reset(start, end);
            let mut is_leaf = depth >= max_depth || end - start < min_samples_split;
            if first {
                impurity = splitter.criterion.node_impurity();
                first = false;
            }
            is_leaf = is_leaf || impurity <= EPSILON;
            let mut split = SplitRecord::none(end);
            if !is_leaf {
                split = splitter.node_split(start, end, impurity, &mut n_constant_features);
                is_leaf = split.pos >= end || split.improvement + EPSILON < 0.0;
            }
            let id = nodes.len();
            nodes.push(Node {
                feature: split.feature,
                threshold: split.threshold,
                left: LEAF,
                right: LEAF,
                value: splitter.criterion.sum_total / splitter.criterion.weighted_n_node_samples,
                impurity,
                weighted_n: splitter.criterion.weighted_n_node_samples,
            });
            match parent {
                Some((p, true)) => nodes[p].left = id,
                Some((p, false)) => nodes[p].right = id,
                None => {}
            }
            if !is_leaf {
                stack.push(StackRecord {
                    start: split.pos,
                    end,
                    depth: depth + 1,
                    parent: Some((id, false)),
                    impurity: split.impurity_right,
                    n_constant_features,
                });
                stack.push(StackRecord {
                    start,
                    end: split.pos,
                    depth: depth + 1,
                    parent: Some((id, true)),
                    impurity: split.impurity_left,
                    n_constant_features,
                });
            }
        }
        let importance = importances(&nodes, genes);
        Self { nodes, importance }
    }

    /// The leaf value of one sample (its genes as float32, as scikit-learn predicts).
    fn predict_row(&self, row: &[f32]) -> f64 {
        let mut at = 0;
        loop {
            let Some(node) = self.nodes.get(at) else { return f64::NAN };
            if node.left == LEAF {
                return node.value;
            }
            at = if f64::from(row[node.feature]) <= node.threshold { node.left } else { node.right };
        }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

/// `compute_feature_importances(normalize=True)`.
fn importances(nodes: &[Node], genes: usize) -> Vec<f64> {
    let mut out = vec![0.0; genes];
    for node in nodes.iter().filter(|n| n.left != LEAF) {
        let (l, r) = (&nodes[node.left], &nodes[node.right]);
        out[node.feature] += node.weighted_n * node.impurity - l.weighted_n * l.impurity - r.weighted_n * r.impurity;
    }
    if let Some(root) = nodes.first() {
        for v in &mut out {
            *v /= root.weighted_n;
        }
    }
    let total: f64 = out.iter().sum();
    if total > 0.0 {
        for v in &mut out {
            *v /= total;
        }
    }
    out
}

/// Rows of `x` as float32.
fn rows_f32(x: ArrayView2<'_, f64>) -> Vec<Vec<f32>> {
    x.outer_iter().map(|row| row.iter().map(|&v| v as f32).collect()).collect()
}

impl FittedRegressor for RegressionTree {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        rows_f32(x).iter().map(|row| self.predict_row(row)).collect()
    }

    fn importance(&self) -> Option<Vec<f64>> {
        Some(self.importance.clone())
    }
}

/// A random forest of regression trees.
pub struct RegressionForest {
    trees: Vec<RegressionTree>,
}

impl RegressionForest {
    /// `RandomForestRegressor(trees, …, random_state=seed).fit(x, y)`; trees grow in parallel.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[f64],
        trees: usize,
        params: TreeParams,
        seed: u64,
        cancel: Option<&CancelToken>,
    ) -> Result<Self, RegressError> {
        let n = y.len();
        let cols = gene_major_f32(x);
        let mut state = Mt19937::new(seed as u32);
        let seeds: Vec<u32> = (0..trees.max(1)).map(|_| randint(&mut state, i32::MAX as u32)).collect();
        let grown: Vec<Option<RegressionTree>> = seeds
            .into_par_iter()
            .map(|tree_seed| {
                if cancel.is_some_and(CancelToken::is_cancelled) {
                    return None;
                }
                let mut draws = Mt19937::new(tree_seed);
                let mut weights = vec![0.0; n];
                for _ in 0..n {
                    weights[randint(&mut draws, n as u32) as usize] += 1.0;
                }
                Some(RegressionTree::fit_columns(&cols, n, y, &weights, params, tree_seed))
            })
            .collect();
        let trees: Option<Vec<RegressionTree>> = grown.into_iter().collect();
        Ok(Self { trees: trees.ok_or(RegressError::Cancelled)? })
    }
}

impl FittedRegressor for RegressionForest {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let count = self.trees.len().max(1) as f64;
        rows_f32(x)
            .iter()
            .map(|row| {
                let mut sum = 0.0;
                for tree in &self.trees {
                    sum += tree.predict_row(row);
                }
                sum / count
            })
            .collect()
    }

    fn importance(&self) -> Option<Vec<f64>> {
        let grown: Vec<&[f64]> = self.trees.iter().filter(|t| t.node_count() > 1).map(|t| &t.importance[..]).collect();
        let mut mean = crate::analysis::classify::forest::mean_importance(grown.into_iter())?;
        let total: f64 = mean.iter().sum();
        if total > 0.0 {
            for v in &mut mean {
                *v /= total;
            }
        }
        Some(mean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn a_step_is_found_exactly() {
        let x = Array2::from_shape_fn((20, 2), |(i, j)| if j == 0 { i as f64 } else { ((i * 7) % 5) as f64 });
        let y: Vec<f64> = (0..20).map(|i| if i < 8 { 1.0 } else { 5.0 }).collect();
        let tree = RegressionTree::fit(x.view(), &y, TreeParams::default(), 0);
        let p = tree.predict(x.view());
        assert!(p.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-12));
        assert!(tree.importance[0] > 0.99);
    }

    #[test]
    fn the_random_streams_are_numpys_and_sklearns() {
        // np.random.RandomState(0).randint(0, 2**31 - 1) == 209652396,
        // RandomState(1).randint(0, 10, 5, dtype=np.int32) == [5, 8, 9, 5, 0].
        assert_eq!(randint(&mut Mt19937::new(0), RAND_R_MAX), 209_652_396);
        let mut one = Mt19937::new(1);
        let draws: Vec<u32> = (0..5).map(|_| randint(&mut one, 10)).collect();
        assert_eq!(draws, [5, 8, 9, 5, 0]);
        // our_rand_r from state 1: 1 → 270369 (1 ^ 1<<13 = 8193; ^ >>17 = 8193; ^ <<5 = 270369).
        let mut state = 1;
        assert_eq!(our_rand_r(&mut state), 270_369);
    }

    #[test]
    fn introsort_sorts_with_ties_and_carries_samples() {
        let mut values: Vec<f32> = (0..300).map(|i| ((i * 37) % 11) as f32).collect();
        let original = values.clone();
        let mut samples: Vec<usize> = (0..300).collect();
        sort(&mut values, &mut samples);
        assert!(values.windows(2).all(|w| w[0] <= w[1]));
        assert!(samples.iter().zip(&values).all(|(&s, &v)| original[s] == v));
        // Ties come out in the order of scikit-learn's own sort
        // (`sklearn.tree._partitioner._py_sort` on these 23 values).
        let mut values: Vec<f32> =
            [0, 2, 4, 2, 3, 0, 2, 4, 1, 3, 2, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2, 4].map(|v: i32| v as f32).to_vec();
        let mut samples: Vec<usize> = (0..23).collect();
        sort(&mut values, &mut samples);
        assert_eq!(samples, [0, 20, 5, 15, 8, 18, 13, 3, 1, 16, 10, 11, 21, 6, 14, 4, 19, 9, 7, 17, 22, 2, 12]);
        // The fast path gives the introsort's order, ties or not (−0 and +0 tie).
        for distinct in [3_usize, 40, 1000] {
            let col: Vec<f32> =
                (0..97).map(|i| if i == 5 { -0.0 } else { ((i * 7919) % distinct) as f32 - 1.0 }).collect();
            let mut samples: Vec<usize> = (0..97).rev().filter(|i| i % 4 != 1).collect();
            let (mut values, mut keys) = (vec![0.0; samples.len()], Vec::new());
            let mut plain_samples = samples.clone();
            let mut plain: Vec<f32> = plain_samples.iter().map(|&s| col[s]).collect();
            sort(&mut plain, &mut plain_samples);
            sort_by_feature(&col, &mut values, &mut samples, &mut keys);
            assert_eq!(samples, plain_samples, "{distinct} distinct values");
            assert_eq!(values, plain);
        }
        // Deep recursion limit reached: heapsort keeps it sorted too.
        let mut values: Vec<f32> = (0..64).map(|i| (i % 2) as f32 * 64.0 - i as f32).collect();
        let mut samples: Vec<usize> = (0..64).collect();
        heapsort(&mut values, &mut samples);
        assert!(values.windows(2).all(|w| w[0] <= w[1]));
    }
}
