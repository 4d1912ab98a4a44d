//! DBSCAN (Ester et al. 1996, as scikit-learn's `DBSCAN`) on condensed distances, and the
//! sorted k-distance curve that helps choose `eps`.
//!
//! A sample is a core sample when at least `min_samples` samples (itself included) lie within
//! `eps`. Clusters grow from core samples in index order through their neighbourhoods;
//! samples reached only as neighbours are border samples; the rest are noise (`None`).

use std::collections::VecDeque;

use super::hierarchical::condensed_index;

/// DBSCAN settings; defaults are scikit-learn's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DbscanParams {
    /// Neighbourhood radius.
    pub eps: f64,
    /// Samples within `eps` (the sample itself included) that make a core sample.
    pub min_samples: usize,
}

impl Default for DbscanParams {
    fn default() -> Self {
        Self { eps: 0.5, min_samples: 5 }
    }
}

/// The neighbours of every sample within `eps` (itself excluded).
fn neighbourhoods(condensed: &[f64], n: usize, eps: f64) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); n];
    for i in 0..n {
        for j in i + 1..n {
            if condensed[condensed_index(n, i, j)] <= eps {
                out[i].push(j);
                out[j].push(i);
            }
        }
    }
    out
}

/// Cluster of each of the `n` samples (`None`: noise), clusters numbered in order of their
/// first core sample.
pub fn dbscan(condensed: &[f64], n: usize, params: DbscanParams) -> Vec<Option<usize>> {
    let neighbours = neighbourhoods(condensed, n, params.eps);
    let core: Vec<bool> = neighbours.iter().map(|nb| nb.len() + 1 >= params.min_samples).collect();
    let mut labels = vec![None; n];
    let mut next = 0;
    for start in 0..n {
        if labels[start].is_some() || !core[start] {
            continue;
        }
        labels[start] = Some(next);
        let mut queue = VecDeque::from([start]);
        while let Some(i) = queue.pop_front() {
            if !core[i] {
                continue;
            }
            for &j in &neighbours[i] {
                if labels[j].is_none() {
                    labels[j] = Some(next);
                    queue.push_back(j);
                }
            }
        }
        next += 1;
    }
    labels
}

/// For every sample, the distance to its `k`-th nearest other sample, sorted ascending: with
/// `k = min_samples − 1`, a sample is core exactly when its value is at most `eps`, so the
/// curve's knee suggests `eps`.
pub fn k_distances(condensed: &[f64], n: usize, k: usize) -> Vec<f64> {
    let k = k.clamp(1, n.saturating_sub(1).max(1));
    let mut out: Vec<f64> = (0..n)
        .map(|i| {
            let mut row: Vec<f64> =
                (0..n).filter(|&j| j != i).map(|j| condensed[condensed_index(n, i.min(j), i.max(j))]).collect();
            if row.len() < k {
                return f64::NAN;
            }
            let (_, kth, _) = row.select_nth_unstable_by(k - 1, f64::total_cmp);
            *kth
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(points: &[f64]) -> Vec<f64> {
        let mut d = Vec::new();
        for i in 0..points.len() {
            for j in i + 1..points.len() {
                d.push((points[i] - points[j]).abs());
            }
        }
        d
    }

    #[test]
    fn two_groups_a_border_and_noise() {
        // 0, 0.1, 0.2 dense; 0.9 reachable from 0.2? no (0.7 > eps); 5, 5.1, 5.2 dense; 9 alone.
        let x = [0.0, 0.1, 0.2, 0.9, 5.0, 5.1, 5.2, 9.0];
        let labels = dbscan(&line(&x), x.len(), DbscanParams { eps: 0.15, min_samples: 2 });
        assert_eq!(labels, vec![Some(0), Some(0), Some(0), None, Some(1), Some(1), Some(1), None]);
    }

    #[test]
    fn k_distances_are_sorted_kth_neighbours() {
        let x = [0.0, 1.0, 3.0];
        assert_eq!(k_distances(&line(&x), 3, 1), vec![1.0, 1.0, 2.0]);
    }
}
