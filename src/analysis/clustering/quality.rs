//! How good a clustering is: the adjusted Rand index and contingency table against known
//! labels, and silhouette widths.

use super::hierarchical::condensed_index;

/// Counts of samples per (cluster, label): `table[c][l]`. Samples with no label are left out.
pub fn contingency(clusters: &[Option<usize>], labels: &[Option<usize>]) -> Vec<Vec<usize>> {
    let rows = clusters.iter().flatten().max().map_or(0, |m| m + 1);
    let cols = labels.iter().flatten().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0; cols]; rows];
    for (c, l) in clusters.iter().zip(labels) {
        if let (Some(c), Some(l)) = (c, l) {
            table[*c][*l] += 1;
        }
    }
    table
}

/// The adjusted Rand index of a contingency table (Hubert & Arabie; scikit-learn's
/// `adjusted_rand_score`): 1 for identical partitions, about 0 for random ones.
pub fn adjusted_rand_index(table: &[Vec<usize>]) -> f64 {
    let pairs = |m: usize| (m * m.saturating_sub(1) / 2) as f64;
    let n: usize = table.iter().flatten().sum();
    let index: f64 = table.iter().flatten().map(|&m| pairs(m)).sum();
    let rows: f64 = table.iter().map(|r| pairs(r.iter().sum())).sum();
    let cols_len = table.iter().map(Vec::len).max().unwrap_or(0);
    let cols: f64 = (0..cols_len).map(|j| pairs(table.iter().map(|r| r.get(j).copied().unwrap_or(0)).sum())).sum();
    let total = pairs(n);
    if total <= 0.0 {
        return 1.0;
    }
    let expected = rows * cols / total;
    let max = f64::midpoint(rows, cols);
    // Both partitions trivial (one cluster each, or all singletons): scikit-learn gives 1.
    if (max - expected).abs() <= f64::EPSILON * max.max(1.0) {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// The silhouette width of every sample (Rousseeuw 1987, as scikit-learn's
/// `silhouette_samples`), from condensed distances between the `labels.len()` samples: 0 for
/// samples alone in their cluster; `None` for samples without a cluster (DBSCAN noise),
/// which are also left out of the other samples' means.
pub fn silhouette(condensed: &[f64], labels: &[Option<usize>]) -> Vec<Option<f64>> {
    let n = labels.len();
    let k = labels.iter().flatten().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; k];
    for l in labels.iter().flatten() {
        sizes[*l] += 1;
    }
    // Sum of distances from each sample to each cluster.
    let mut sums = vec![0.0; n * k];
    for i in 0..n {
        for j in i + 1..n {
            let d = condensed[condensed_index(n, i, j)];
            if let Some(lj) = labels[j] {
                sums[i * k + lj] += d;
            }
            if let Some(li) = labels[i] {
                sums[j * k + li] += d;
            }
        }
    }
    (0..n)
        .map(|i| {
            let own = labels[i]?;
            if sizes[own] <= 1 {
                return Some(0.0);
            }
            let a = sums[i * k + own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && sizes[c] > 0)
                .map(|c| sums[i * k + c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if !b.is_finite() {
                return Some(0.0);
            }
            let m = a.max(b);
            Some(if m > 0.0 { (b - a) / m } else { 0.0 })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ari_of_identical_and_permuted_partitions_is_one() {
        let a = [Some(0), Some(0), Some(1), Some(1), Some(2)];
        let b = [Some(2), Some(2), Some(0), Some(0), Some(1)];
        assert!((adjusted_rand_index(&contingency(&a, &b)) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ari_matches_scikit_learn() {
        // adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285714
        let a = [Some(0), Some(0), Some(1), Some(1)];
        let b = [Some(0), Some(0), Some(1), Some(2)];
        assert!((adjusted_rand_index(&contingency(&a, &b)) - 0.571_428_571_428_571_4).abs() < 1e-12);
    }

    #[test]
    fn silhouette_matches_scikit_learn() {
        // Points 0, 1, 5, 6 on a line, clusters {0, 1} and {5, 6}: silhouette_samples gives
        // [0.81818182, 0.77777778, 0.77777778, 0.81818182] (sample 0: a = 1, b = (5 + 6) / 2).
        let x = [0.0f64, 1.0, 5.0, 6.0];
        let mut d = Vec::new();
        for i in 0..4 {
            for j in i + 1..4 {
                d.push((x[i] - x[j]).abs());
            }
        }
        let s = silhouette(&d, &[Some(0), Some(0), Some(1), Some(1)]);
        let want = [1.0 - 1.0 / 5.5, 1.0 - 1.0 / 4.5, 1.0 - 1.0 / 4.5, 1.0 - 1.0 / 5.5];
        for (got, want) in s.iter().zip(want) {
            assert!((got.unwrap() - want).abs() < 1e-12);
        }
    }
}
