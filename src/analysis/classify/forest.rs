//! Decision trees (CART, Gini impurity) and random forests, as scikit-learn's
//! `DecisionTreeClassifier` and `RandomForestClassifier` (bootstrap samples, √genes candidate
//! genes per split, probabilities averaged over trees), with impurity-based importances.
//!
//! Trees of a forest are grown in parallel, tree t from seed `seed + t`, so a forest is the same
//! for the same seed whatever the number of threads.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::{ClassifyError, Fitted};
use crate::analysis::rng::Rng;
use crate::jobs::CancelToken;

/// How many genes each split may choose from.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxFeatures {
    /// √genes (scikit-learn's default for forests).
    #[default]
    Sqrt,
    /// log₂ genes.
    Log2,
    /// All genes (a plain tree).
    All,
    /// This many.
    Count(usize),
}

impl MaxFeatures {
    /// The number of candidate genes out of `genes` (at least 1).
    pub fn resolve(self, genes: usize) -> usize {
        let n = match self {
            Self::Sqrt => (genes as f64).sqrt() as usize,
            Self::Log2 => (genes as f64).log2() as usize,
            Self::All => genes,
            Self::Count(c) => c,
        };
        n.clamp(1, genes.max(1))
    }
}

/// Growth limits of a tree.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TreeParams {
    /// Deepest level (`None`: until pure).
    pub max_depth: Option<usize>,
    /// Fewest samples a node needs to be split (scikit-learn's default 2).
    pub min_samples_split: usize,
    /// Candidate genes per split.
    pub max_features: MaxFeatures,
}

impl Default for TreeParams {
    fn default() -> Self {
        Self { max_depth: None, min_samples_split: 2, max_features: MaxFeatures::All }
    }
}

enum Node {
    Leaf(Vec<f64>),
    Split { gene: usize, threshold: f64, left: usize, right: usize },
}

/// One fitted tree.
pub struct Tree {
    nodes: Vec<Node>,
    /// Impurity decrease per gene, weighted by node size, normalised to sum to 1.
    pub importance: Vec<f64>,
}

fn gini(counts: &[f64], total: f64) -> f64 {
    if total <= 0.0 {
        return 0.0;
    }
    1.0 - counts.iter().map(|c| (c / total) * (c / total)).sum::<f64>()
}

struct Grower<'a, 'x> {
    x: ArrayView2<'x, f64>,
    y: &'a [usize],
    classes: usize,
    params: TreeParams,
    candidates: usize,
    rng: Rng,
    nodes: Vec<Node>,
    importance: Vec<f64>,
}

impl Grower<'_, '_> {
    fn counts(&self, samples: &[usize]) -> Vec<f64> {
        let mut c = vec![0.0; self.classes];
        for &s in samples {
            c[self.y[s]] += 1.0;
        }
        c
    }

    /// Grows the subtree of `samples`; returns its node index.
    fn grow(&mut self, samples: &mut [usize], depth: usize) -> usize {
        let counts = self.counts(samples);
        let n = samples.len() as f64;
        let impurity = gini(&counts, n);
        let stop = impurity <= 0.0
            || samples.len() < self.params.min_samples_split
            || self.params.max_depth.is_some_and(|d| depth >= d);
        let split = if stop { None } else { self.best_split(samples, impurity) };
        let Some((gene, threshold, gain)) = split else {
            let leaf: Vec<f64> = counts.iter().map(|c| c / n).collect();
            self.nodes.push(Node::Leaf(leaf));
            return self.nodes.len() - 1;
        };
        let mid = partition(samples, |&s| self.x[[s, gene]] <= threshold);
        if mid == 0 || mid == samples.len() {
            // Never split into an empty side (guards against rounding): a leaf instead.
            let leaf: Vec<f64> = counts.iter().map(|c| c / n).collect();
            self.nodes.push(Node::Leaf(leaf));
            return self.nodes.len() - 1;
        }
        self.importance[gene] += gain * n;
        let index = self.nodes.len();
        self.nodes.push(Node::Leaf(Vec::new()));
        let (left_samples, right_samples) = samples.split_at_mut(mid);
        let left = self.grow(left_samples, depth + 1);
        let right = self.grow(right_samples, depth + 1);
        self.nodes[index] = Node::Split { gene, threshold, left, right };
        index
    }

    /// The best (gene, threshold, impurity decrease) among `candidates` random genes.
    fn best_split(&mut self, samples: &[usize], impurity: f64) -> Option<(usize, f64, f64)> {
        let genes = self.x.ncols();
        let mut order: Vec<usize> = (0..genes).collect();
        let n = samples.len() as f64;
        let total = self.counts(samples);
        let mut best: Option<(usize, f64, f64)> = None;
        let mut sorted: Vec<(f64, usize)> = Vec::with_capacity(samples.len());
        // Draw candidate genes without replacement; like scikit-learn, keep drawing past
        // `candidates` while no valid split was found.
        for drawn in 0..genes {
            if drawn >= self.candidates && best.is_some() {
                break;
            }
            let pick = drawn + self.rng.below(genes - drawn);
            order.swap(drawn, pick);
            let gene = order[drawn];
            sorted.clear();
            sorted.extend(samples.iter().map(|&s| (self.x[[s, gene]], self.y[s])));
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut left = vec![0.0; self.classes];
            for k in 0..sorted.len() - 1 {
                left[sorted[k].1] += 1.0;
                if sorted[k].0 >= sorted[k + 1].0 {
                    continue;
                }
                let nl = (k + 1) as f64;
                let nr = n - nl;
                let right: Vec<f64> = total.iter().zip(&left).map(|(t, l)| t - l).collect();
                let child = (nl * gini(&left, nl) + nr * gini(&right, nr)) / n;
                let gain = impurity - child;
                if best.is_none_or(|(_, _, g)| gain > g + 1e-12) {
                    // The midpoint of adjacent floats can round up to the upper value, which
                    // would send every sample left: then split at the lower value (as
                    // scikit-learn does).
                    let mut threshold = f64::midpoint(sorted[k].0, sorted[k + 1].0);
                    if threshold >= sorted[k + 1].0 {
                        threshold = sorted[k].0;
                    }
                    best = Some((gene, threshold, gain));
                }
            }
        }
        best
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

impl Tree {
    /// Grows a tree on `samples` (repeats allowed: a bootstrap sample).
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[usize],
        classes: usize,
        samples: &mut [usize],
        params: TreeParams,
        seed: u64,
    ) -> Self {
        let genes = x.ncols();
        let mut grower = Grower {
            x,
            y,
            classes,
            params,
            candidates: params.max_features.resolve(genes),
            rng: Rng::new(seed),
            nodes: Vec::new(),
            importance: vec![0.0; genes],
        };
        grower.grow(samples, 0);
        let total: f64 = grower.importance.iter().sum();
        if total > 0.0 {
            grower.importance.iter_mut().for_each(|v| *v /= total);
        }
        Self { nodes: grower.nodes, importance: grower.importance }
    }

    fn leaf(&self, row: &[f64]) -> &[f64] {
        let mut at = 0;
        loop {
            match &self.nodes[at] {
                Node::Leaf(p) => return p,
                Node::Split { gene, threshold, left, right } => {
                    at = if row[*gene] <= *threshold { *left } else { *right }
                }
            }
        }
    }
}

impl Fitted for Tree {
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let classes = self
            .nodes
            .iter()
            .find_map(|n| if let Node::Leaf(p) = n { Some(p.len()) } else { None })
            .unwrap_or_default();
        let mut out = Array2::zeros((x.nrows(), classes));
        for (row, mut s) in x.outer_iter().zip(out.outer_iter_mut()) {
            let p = self.leaf(&row.to_vec()).to_vec();
            s.iter_mut().zip(p).for_each(|(o, v)| *o = v);
        }
        out
    }

    fn importance(&self) -> Option<Vec<f64>> {
        Some(self.importance.clone())
    }
}

/// A random forest: bootstrap trees with random candidate genes, probabilities averaged.
pub struct Forest {
    trees: Vec<Tree>,
    classes: usize,
}

impl Forest {
    /// Grows `trees` trees in parallel, tree t seeded `seed + t`.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[usize],
        classes: usize,
        trees: usize,
        params: TreeParams,
        seed: u64,
        cancel: Option<&CancelToken>,
    ) -> Result<Self, ClassifyError> {
        let n = y.len();
        let grown: Vec<Option<Tree>> = (0..trees.max(1))
            .into_par_iter()
            .map(|t| {
                if cancel.is_some_and(CancelToken::is_cancelled) {
                    return None;
                }
                let tree_seed = seed.wrapping_add(t as u64);
                let mut rng = Rng::new(tree_seed ^ 0x5eed_f0e5);
                let mut samples: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
                Some(Tree::fit(x, y, classes, &mut samples, params, tree_seed))
            })
            .collect();
        let trees: Option<Vec<Tree>> = grown.into_iter().collect();
        Ok(Self { trees: trees.ok_or(ClassifyError::Cancelled)?, classes })
    }
}

impl Fitted for Forest {
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = Array2::zeros((x.nrows(), self.classes));
        for (row, mut s) in x.outer_iter().zip(out.outer_iter_mut()) {
            let row = row.to_vec();
            for tree in &self.trees {
                s.iter_mut().zip(tree.leaf(&row)).for_each(|(o, v)| *o += v);
            }
            s /= self.trees.len() as f64;
        }
        out
    }

    fn importance(&self) -> Option<Vec<f64>> {
        mean_importance(self.trees.iter().map(|t| &t.importance[..]))
    }
}

/// The mean of the trees' per-gene importances (`None`: no trees) — forests of either kind.
pub(crate) fn mean_importance<'a>(trees: impl ExactSizeIterator<Item = &'a [f64]>) -> Option<Vec<f64>> {
    let count = trees.len() as f64;
    let mut total: Option<Vec<f64>> = None;
    for importance in trees {
        let sum = total.get_or_insert_with(|| vec![0.0; importance.len()]);
        sum.iter_mut().zip(importance).for_each(|(a, b)| *a += b);
    }
    let mut total = total?;
    for v in &mut total {
        *v /= count;
    }
    Some(total)
}
