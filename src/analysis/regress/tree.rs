//! Regression trees (CART, squared error) and random forests of them, as scikit-learn's
//! `DecisionTreeRegressor` and `RandomForestRegressor` (bootstrap samples, all genes as
//! candidates by default, predictions averaged over trees), with impurity-based importances.
//!
//! # How it works
//! A node's best split over each candidate gene sorts the node's samples by the gene and scans
//! the cut points between distinct values, keeping the largest drop in the summed squared error
//! (the threshold is the midpoint, as scikit-learn's). Nodes stop when pure, too small or at
//! the depth limit; a leaf predicts its samples' mean. The matrix is copied gene by gene once
//! per tree, so the scan reads contiguous memory. Trees of a forest grow in parallel, tree t from
//! seed `seed + t`, so a forest is the same whatever the number of threads.

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::{FittedRegressor, RegressError};
use crate::analysis::classify::forest::TreeParams;
use crate::analysis::rng::Rng;
use crate::jobs::CancelToken;

enum Node {
    Leaf(f64),
    Split { gene: usize, threshold: f64, left: usize, right: usize },
}

/// One fitted regression tree.
pub struct RegressionTree {
    nodes: Vec<Node>,
    /// Squared-error decrease per gene, weighted by node size, normalised to sum to 1.
    pub importance: Vec<f64>,
}

struct Grower<'a> {
    /// Gene-major copy of the matrix: gene g of sample s is `cols[g·n + s]`.
    cols: &'a [f64],
    n: usize,
    y: &'a [f64],
    params: TreeParams,
    candidates: usize,
    rng: Rng,
    nodes: Vec<Node>,
    importance: Vec<f64>,
    sorted: Vec<(f64, f64)>,
}

impl Grower<'_> {
    fn value(&self, sample: usize, gene: usize) -> f64 {
        self.cols[gene * self.n + sample]
    }

    fn grow(&mut self, samples: &mut [usize], depth: usize) -> usize {
        let count = samples.len() as f64;
        let sum: f64 = samples.iter().map(|&s| self.y[s]).sum();
        let mean = sum / count;
        let sse: f64 = samples.iter().map(|&s| (self.y[s] - mean).powi(2)).sum();
        let stop = sse <= f64::EPSILON * count
            || samples.len() < self.params.min_samples_split
            || self.params.max_depth.is_some_and(|d| depth >= d);
        let split = if stop { None } else { self.best_split(samples, sum, sse) };
        let Some((gene, threshold, gain)) = split else {
            self.nodes.push(Node::Leaf(mean));
            return self.nodes.len() - 1;
        };
        let mid = partition(samples, |&s| self.value(s, gene) <= threshold);
        if mid == 0 || mid == samples.len() {
            self.nodes.push(Node::Leaf(mean));
            return self.nodes.len() - 1;
        }
        self.importance[gene] += gain;
        let index = self.nodes.len();
        self.nodes.push(Node::Leaf(mean));
        let (left_samples, right_samples) = samples.split_at_mut(mid);
        let left = self.grow(left_samples, depth + 1);
        let right = self.grow(right_samples, depth + 1);
        self.nodes[index] = Node::Split { gene, threshold, left, right };
        index
    }

    /// The best (gene, threshold, decrease of the summed squared error).
    fn best_split(&mut self, samples: &[usize], sum: f64, sse: f64) -> Option<(usize, f64, f64)> {
        let genes = self.cols.len() / self.n.max(1);
        let mut order: Vec<usize> = (0..genes).collect();
        let n = samples.len() as f64;
        // Maximising Σl²/nl + Σr²/nr is minimising the children's summed squared error.
        let parent = sum * sum / n;
        let mut best: Option<(usize, f64, f64)> = None;
        let mut sorted = std::mem::take(&mut self.sorted);
        for drawn in 0..genes {
            if drawn >= self.candidates && best.is_some() {
                break;
            }
            let pick = drawn + self.rng.below(genes - drawn);
            order.swap(drawn, pick);
            let gene = order[drawn];
            let col = &self.cols[gene * self.n..(gene + 1) * self.n];
            sorted.clear();
            sorted.extend(samples.iter().map(|&s| (col[s], self.y[s])));
            sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            if sorted[0].0 >= sorted[sorted.len() - 1].0 {
                continue;
            }
            let mut left = 0.0;
            for k in 0..sorted.len() - 1 {
                left += sorted[k].1;
                if sorted[k].0 >= sorted[k + 1].0 {
                    continue;
                }
                let nl = (k + 1) as f64;
                let right = sum - left;
                let proxy = left * left / nl + right * right / (n - nl);
                let gain = proxy - parent;
                if best.is_none_or(|(_, _, g)| gain > g + 1e-12 * (1.0 + g.abs())) {
                    let mut threshold = f64::midpoint(sorted[k].0, sorted[k + 1].0);
                    if threshold >= sorted[k + 1].0 {
                        threshold = sorted[k].0;
                    }
                    best = Some((gene, threshold, gain));
                }
            }
        }
        self.sorted = sorted;
        best.map(|(g, t, gain)| (g, t, gain.min(sse)))
    }
}

/// Moves the items where `keep` holds to the front; returns how many.
fn partition<T>(items: &mut [T], keep: impl Fn(&T) -> bool) -> usize {
    let mut next = 0;
    for i in 0..items.len() {
        if keep(&items[i]) {
            items.swap(i, next);
            next += 1;
        }
    }
    next
}

/// `x` gene by gene.
fn gene_major(x: ArrayView2<'_, f64>) -> Vec<f64> {
    let (n, p) = x.dim();
    let mut cols = Vec::with_capacity(n * p);
    for col in x.columns() {
        cols.extend(col.iter().copied());
    }
    cols
}

impl RegressionTree {
    /// Grows a tree on `samples` (repeats allowed: a bootstrap sample; `None`: all).
    pub fn fit(x: ArrayView2<'_, f64>, y: &[f64], samples: Option<Vec<usize>>, params: TreeParams, seed: u64) -> Self {
        let cols = gene_major(x);
        Self::fit_columns(&cols, x.nrows(), y, samples, params, seed)
    }

    fn fit_columns(
        cols: &[f64],
        n: usize,
        y: &[f64],
        samples: Option<Vec<usize>>,
        params: TreeParams,
        seed: u64,
    ) -> Self {
        let genes = cols.len() / n.max(1);
        let mut samples = samples.unwrap_or_else(|| (0..n).collect());
        let mut grower = Grower {
            cols,
            n,
            y,
            params,
            candidates: params.max_features.resolve(genes),
            rng: Rng::new(seed),
            nodes: Vec::new(),
            importance: vec![0.0; genes],
            sorted: Vec::with_capacity(samples.len()),
        };
        if !samples.is_empty() {
            grower.grow(&mut samples, 0);
        }
        let total: f64 = grower.importance.iter().sum();
        if total > 0.0 {
            grower.importance.iter_mut().for_each(|v| *v /= total);
        }
        Self { nodes: grower.nodes, importance: grower.importance }
    }

    fn predict_row(&self, row: &[f64]) -> f64 {
        let mut at = 0;
        loop {
            match self.nodes.get(at) {
                Some(Node::Leaf(v)) => return *v,
                Some(Node::Split { gene, threshold, left, right }) => {
                    at = if row[*gene] <= *threshold { *left } else { *right }
                }
                None => return f64::NAN,
            }
        }
    }
}

impl FittedRegressor for RegressionTree {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        x.outer_iter().map(|row| self.predict_row(&row.to_vec())).collect()
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
    /// Grows `trees` bootstrap trees in parallel, tree t seeded `seed + t`.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[f64],
        trees: usize,
        params: TreeParams,
        seed: u64,
        cancel: Option<&CancelToken>,
    ) -> Result<Self, RegressError> {
        let n = y.len();
        let cols = gene_major(x);
        let grown: Vec<Option<RegressionTree>> = (0..trees.max(1))
            .into_par_iter()
            .map(|t| {
                if cancel.is_some_and(CancelToken::is_cancelled) {
                    return None;
                }
                let tree_seed = seed.wrapping_add(t as u64);
                let mut rng = Rng::new(tree_seed ^ 0x5eed_f0e5);
                let samples: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
                Some(RegressionTree::fit_columns(&cols, n, y, Some(samples), params, tree_seed))
            })
            .collect();
        let trees: Option<Vec<RegressionTree>> = grown.into_iter().collect();
        Ok(Self { trees: trees.ok_or(RegressError::Cancelled)? })
    }
}

impl FittedRegressor for RegressionForest {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let count = self.trees.len().max(1) as f64;
        x.outer_iter()
            .map(|row| {
                let row = row.to_vec();
                self.trees.iter().map(|t| t.predict_row(&row)).sum::<f64>() / count
            })
            .collect()
    }

    fn importance(&self) -> Option<Vec<f64>> {
        crate::analysis::classify::forest::mean_importance(self.trees.iter().map(|t| &t.importance[..]))
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
        let tree = RegressionTree::fit(x.view(), &y, None, TreeParams::default(), 0);
        let p = tree.predict(x.view());
        assert!(p.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-12));
        assert!(tree.importance[0] > 0.99);
    }
}
