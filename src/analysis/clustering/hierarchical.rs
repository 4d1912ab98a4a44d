//! Agglomerative (hierarchical) clustering that keeps the whole merge tree.
//!
//! linfa-hierarchical returns flat labels only and discards the tree the dendrogram and the
//! distance map's leaf order need, so this module calls kodama (a port of fastcluster, the
//! code behind `SciPy`'s `linkage`) directly and keeps every merge: single, complete, average
//! and weighted linkage. Ward, centroid and median use ports of `SciPy`'s own loops
//! (`scipy_linkage.rs` says why: kodama's rounding breaks ties differently).
//!
//! # How it works
//! [`linkage`] takes a condensed distance matrix (the upper triangle row by row, as `SciPy`'s
//! `pdist` writes it), which kodama overwrites as scratch. The result, [`Tree`], is `SciPy`'s
//! linkage layout: merge `k` joins `left` and `right` (samples are `0..n`, the cluster made by
//! merge `k` is `n + k`) at `height`, with `size` samples, heights non-decreasing.
//! [`Tree::leaf_order`] is `SciPy`'s `leaves_list`: the leaves left to right, visiting each
//! merge's `left` before its `right`.

use ndarray::Array2;

/// How the distance between two clusters is computed (`SciPy`'s `method`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Nearest pair.
    Single,
    /// Farthest pair.
    Complete,
    /// Mean over all pairs (UPGMA).
    #[default]
    Average,
    /// Mean of the two merged clusters' distances (WPGMA).
    Weighted,
    /// Increase of within-cluster variance (Euclidean distances only).
    Ward,
    /// Distance between centroids (Euclidean distances only).
    Centroid,
    /// Distance between the merged clusters' midpoints (Euclidean distances only).
    Median,
}

impl Method {
    /// Every method, in `SciPy`'s order.
    pub const ALL: [Self; 7] =
        [Self::Single, Self::Complete, Self::Average, Self::Weighted, Self::Ward, Self::Centroid, Self::Median];

    /// The name `SciPy` and the CLI use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Complete => "complete",
            Self::Average => "average",
            Self::Weighted => "weighted",
            Self::Ward => "ward",
            Self::Centroid => "centroid",
            Self::Median => "median",
        }
    }

    /// True for the methods that are only meaningful on Euclidean distances.
    pub fn requires_euclidean(self) -> bool {
        matches!(self, Self::Ward | Self::Centroid | Self::Median)
    }

    fn kodama(self) -> kodama::Method {
        match self {
            Self::Single => kodama::Method::Single,
            Self::Complete => kodama::Method::Complete,
            Self::Average => kodama::Method::Average,
            Self::Weighted => kodama::Method::Weighted,
            Self::Ward => kodama::Method::Ward,
            Self::Centroid => kodama::Method::Centroid,
            Self::Median => kodama::Method::Median,
        }
    }
}

/// Why a tree could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HierarchicalError {
    /// Fewer than two items.
    #[error("hierarchical clustering needs at least 2 samples, got {0}")]
    TooFew(usize),
    /// The condensed matrix has the wrong length.
    #[error("a condensed matrix for {n} items has {expected} values, got {got}")]
    Length {
        /// Items.
        n: usize,
        /// n(n−1)/2.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// A distance is NaN or infinite.
    #[error("the distance between items {0} and {1} is not a finite number")]
    NotFinite(usize, usize),
}

/// One merge of two clusters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merge {
    /// The smaller cluster id (samples `0..n`, merge `k` makes `n + k`).
    pub left: usize,
    /// The larger cluster id.
    pub right: usize,
    /// The distance between the two clusters.
    pub height: f64,
    /// Samples in the new cluster.
    pub size: usize,
}

/// A merge tree in `SciPy`'s linkage layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    /// Items clustered.
    pub n: usize,
    /// The `n − 1` merges, heights non-decreasing.
    pub merges: Vec<Merge>,
}

impl Tree {
    /// Flat clusters after the first `n − k` merges (`k` clamped to `1..=n`): label per item,
    /// numbered `0..k` from left to right in [`Tree::leaf_order`]. On a monotone tree this is
    /// `SciPy`'s `fcluster(criterion="maxclust")` up to the numbering.
    pub fn cut_k(&self, k: usize) -> Vec<usize> {
        let k = k.clamp(1, self.n.max(1));
        self.labels_after(self.n.saturating_sub(k))
    }

    /// Flat clusters cut at `height`: `SciPy`'s `fcluster(Z, t=height, criterion="distance")`,
    /// numbered `0..` from left to right in [`Tree::leaf_order`] (`SciPy`'s labels minus one).
    /// Every subtree whose highest merge is at most `height` is one cluster, so no cluster has
    /// a cophenetic distance above `height`, also where centroid or median linkage put a merge
    /// below one it contains (an inversion).
    pub fn cut_height(&self, height: f64) -> Vec<usize> {
        let highest = self.highest_merges();
        self.labels_with(|k| highest[k] <= height)
    }

    /// The number of clusters a cut at `height` gives (see [`Tree::cut_height`]).
    pub fn clusters_at(&self, height: f64) -> usize {
        self.n - self.highest_merges().iter().filter(|&&h| h <= height).count()
    }

    /// For every merge, the highest merge in its subtree (itself included): `SciPy`'s
    /// `maxdists`. Equal to the merge's own height unless the tree has inversions.
    pub fn highest_merges(&self) -> Vec<f64> {
        let mut highest: Vec<f64> = Vec::with_capacity(self.merges.len());
        for m in &self.merges {
            let below = |id: usize| if id < self.n { f64::NEG_INFINITY } else { highest[id - self.n] };
            let h = m.height.max(below(m.left)).max(below(m.right));
            highest.push(h);
        }
        highest
    }

    /// The cophenetic distances as a condensed matrix (`SciPy`'s `cophenet(Z)`): for every pair
    /// of items, the height of the merge that first joins them.
    pub fn cophenetic(&self) -> Vec<f64> {
        let n = self.n;
        let mut out = vec![0.0; n * n.saturating_sub(1) / 2];
        let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
        members.resize_with(n + self.merges.len(), Vec::new);
        for (k, m) in self.merges.iter().enumerate() {
            let left = std::mem::take(&mut members[m.left]);
            let right = std::mem::take(&mut members[m.right]);
            for &a in &left {
                for &b in &right {
                    out[condensed_index(n, a.min(b), a.max(b))] = m.height;
                }
            }
            let mut joined = left;
            joined.extend(right);
            members[n + k] = joined;
        }
        out
    }

    /// A height that cuts the tree into `k` clusters: midway between the merges around it.
    pub fn height_for_k(&self, k: usize) -> f64 {
        let k = k.clamp(1, self.n.max(1));
        let applied = self.n - k;
        let below = if applied == 0 { 0.0 } else { self.merges[applied - 1].height };
        match self.merges.get(applied) {
            Some(above) => f64::midpoint(below, above.height),
            None => below * 1.05,
        }
    }

    /// The items under cluster `id` (an item, or `n + k` for merge `k`).
    pub fn members(&self, id: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            if id < self.n {
                out.push(id);
            } else if let Some(m) = self.merges.get(id - self.n) {
                stack.push(m.right);
                stack.push(m.left);
            }
        }
        out
    }

    /// Labels after applying the first `applied` merges, numbered by leaf order.
    fn labels_after(&self, applied: usize) -> Vec<usize> {
        self.labels_with(|k| k < applied)
    }

    /// Labels after applying the merges `apply` accepts (by index; a merge must be applied
    /// whenever one above it is), numbered by leaf order.
    fn labels_with(&self, apply: impl Fn(usize) -> bool) -> Vec<usize> {
        fn root(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        let n = self.n;
        let mut parent: Vec<usize> = (0..n + self.merges.len()).collect();
        for (k, m) in self.merges.iter().enumerate().filter(|(k, _)| apply(*k)) {
            let (a, b) = (root(&mut parent, m.left), root(&mut parent, m.right));
            parent[a] = n + k;
            parent[b] = n + k;
        }
        let mut number = std::collections::HashMap::new();
        let mut labels = vec![0; n];
        for item in self.leaf_order() {
            let r = root(&mut parent, item);
            let next = number.len();
            labels[item] = *number.entry(r).or_insert(next);
        }
        labels
    }

    /// The leaves left to right (`SciPy`'s `leaves_list`): position → item.
    pub fn leaf_order(&self) -> Vec<usize> {
        if self.merges.is_empty() {
            return (0..self.n).collect();
        }
        let mut order = Vec::with_capacity(self.n);
        let mut stack = vec![self.n + self.merges.len() - 1];
        while let Some(id) = stack.pop() {
            if id < self.n {
                order.push(id);
            } else {
                let merge = &self.merges[id - self.n];
                stack.push(merge.right);
                stack.push(merge.left);
            }
        }
        order
    }

    /// Where every node sits along the leaves: the leaf at position `p` of `order` (the leaf
    /// order) at `p + ½`, a merge midway between its children. Indexed by node id (leaves
    /// `0..n`, merge `k` at `n + k`), as dendrograms draw them.
    pub fn node_x(&self, order: &[usize]) -> Vec<f64> {
        let mut x = vec![0.0; self.n + self.merges.len()];
        for (p, &item) in order.iter().enumerate() {
            x[item] = p as f64 + 0.5;
        }
        for (k, m) in self.merges.iter().enumerate() {
            x[self.n + k] = f64::midpoint(x[m.left], x[m.right]);
        }
        x
    }
}

/// The index of pair `(i, j)`, `i < j`, in a condensed matrix of `n` items.
pub fn condensed_index(n: usize, i: usize, j: usize) -> usize {
    debug_assert!(i < j && j < n);
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

/// The upper triangle of a square distance matrix, row by row (`SciPy`'s `squareform`).
pub fn condensed(square: &Array2<f64>) -> Vec<f64> {
    let n = square.nrows();
    let mut out = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for (i, row) in square.outer_iter().enumerate() {
        out.extend(row.iter().skip(i + 1));
    }
    out
}

/// The cophenetic correlation coefficient: Pearson's r between the distances the tree was
/// built from and its cophenetic distances, both condensed (`SciPy`'s `cophenet(Z, Y)[0]`).
/// NaN when either is constant.
pub fn cophenetic_correlation(distances: &[f64], cophenetic: &[f64]) -> f64 {
    debug_assert_eq!(distances.len(), cophenetic.len());
    let len = distances.len() as f64;
    let (mean_y, mean_z) = (distances.iter().sum::<f64>() / len, cophenetic.iter().sum::<f64>() / len);
    let (mut yz, mut yy, mut zz) = (0.0, 0.0, 0.0);
    for (y, z) in distances.iter().zip(cophenetic) {
        let (dy, dz) = (y - mean_y, z - mean_z);
        yz += dy * dz;
        yy += dy * dy;
        zz += dz * dz;
    }
    yz / (yy * zz).sqrt()
}

/// Builds the tree of `n` items from their condensed distances, which are used as scratch
/// (overwritten). Heights and ids match `SciPy`'s `linkage` with the same method.
pub fn linkage(condensed: &mut [f64], n: usize, method: Method) -> Result<Tree, HierarchicalError> {
    if n < 2 {
        return Err(HierarchicalError::TooFew(n));
    }
    let expected = n * (n - 1) / 2;
    if condensed.len() != expected {
        return Err(HierarchicalError::Length { n, expected, got: condensed.len() });
    }
    if let Some(k) = condensed.iter().position(|v| !v.is_finite()) {
        let (i, j) = pair_of(n, k);
        return Err(HierarchicalError::NotFinite(i, j));
    }
    match method {
        Method::Ward => return Ok(Tree { n, merges: super::scipy_linkage::ward_chain(condensed, n) }),
        Method::Centroid => return Ok(Tree { n, merges: super::scipy_linkage::generic(condensed, n, false) }),
        Method::Median => return Ok(Tree { n, merges: super::scipy_linkage::generic(condensed, n, true) }),
        _ => {}
    }
    let dendrogram = kodama::linkage(condensed, n, method.kodama());
    let merges = dendrogram
        .steps()
        .iter()
        .map(|s| Merge {
            left: s.cluster1.min(s.cluster2),
            right: s.cluster1.max(s.cluster2),
            height: s.dissimilarity,
            size: s.size,
        })
        .collect();
    Ok(Tree { n, merges })
}

/// The pair `(i, j)` at index `k` of a condensed matrix of `n` items.
fn pair_of(n: usize, k: usize) -> (usize, usize) {
    let mut i = 0;
    let mut start = 0;
    while start + (n - i - 1) <= k {
        start += n - i - 1;
        i += 1;
    }
    (i, i + 1 + k - start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condensed_indices_round_trip() {
        let n = 7;
        let mut k = 0;
        for i in 0..n {
            for j in i + 1..n {
                assert_eq!(condensed_index(n, i, j), k);
                assert_eq!(pair_of(n, k), (i, j));
                k += 1;
            }
        }
    }

    #[test]
    fn three_points_on_a_line() {
        // 0 — 1 ——— 2: 0 and 1 merge first at 1, then {0,1} meets 2 at the average (4 + 3) / 2.
        let mut d = vec![1.0, 4.0, 3.0];
        let tree = linkage(&mut d, 3, Method::Average).unwrap();
        assert_eq!(tree.merges[0], Merge { left: 0, right: 1, height: 1.0, size: 2 });
        assert_eq!(tree.merges[1], Merge { left: 2, right: 3, height: 3.5, size: 3 });
        assert_eq!(tree.leaf_order(), vec![2, 0, 1]);
    }

    #[test]
    fn cuts_give_k_clusters_numbered_left_to_right() {
        // 0 — 1 ——— 2: k = 2 splits off 2, which is leftmost in the leaf order [2, 0, 1].
        let tree = linkage(&mut [1.0, 4.0, 3.0], 3, Method::Average).unwrap();
        assert_eq!(tree.cut_k(2), vec![1, 1, 0]);
        assert_eq!(tree.cut_k(1), vec![0, 0, 0]);
        assert_eq!(tree.cut_k(3), vec![1, 2, 0]);
        assert_eq!(tree.cut_height(2.0), tree.cut_k(2));
        assert_eq!(tree.clusters_at(tree.height_for_k(2)), 2);
        assert_eq!(tree.members(4), vec![2, 0, 1]);
    }

    #[test]
    fn cophenetic_distances_are_the_joining_heights() {
        // 0 — 1 ——— 2: 0 and 1 join at 1, both join 2 at 3.5.
        let tree = linkage(&mut [1.0, 4.0, 3.0], 3, Method::Average).unwrap();
        assert_eq!(tree.cophenetic(), vec![1.0, 3.5, 3.5]);
        // Both mean 8/3: Σ dy·dz = 25/6, Σ dy² = 14/3, Σ dz² = 25/6.
        let r = cophenetic_correlation(&[1.0, 4.0, 3.0], &tree.cophenetic());
        assert!((r - (25.0 / 6.0) / (14.0 / 3.0 * 25.0 / 6.0_f64).sqrt()).abs() < 1e-12, "{r}");
    }

    #[test]
    fn a_height_cut_keeps_an_inversion_whole() {
        // Merge 1 (height 2) sits below merge 0 (height 3) it contains: a cut at 2.5 may not
        // apply merge 1 without merge 0, so all three items stay apart.
        let tree = Tree {
            n: 3,
            merges: vec![
                Merge { left: 0, right: 1, height: 3.0, size: 2 },
                Merge { left: 2, right: 3, height: 2.0, size: 3 },
            ],
        };
        assert_eq!(tree.highest_merges(), vec![3.0, 3.0]);
        assert_eq!(tree.clusters_at(2.5), 3);
        assert_eq!(tree.cut_height(2.5), vec![1, 2, 0]);
        assert_eq!(tree.cut_height(3.0), vec![0, 0, 0]);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(linkage(&mut [], 1, Method::Single), Err(HierarchicalError::TooFew(1)));
        assert!(matches!(linkage(&mut [1.0], 3, Method::Single), Err(HierarchicalError::Length { .. })));
        assert_eq!(linkage(&mut [1.0, f64::NAN, 2.0], 3, Method::Single), Err(HierarchicalError::NotFinite(0, 2)));
    }
}
