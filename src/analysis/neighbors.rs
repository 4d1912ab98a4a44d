//! The neighbour graph: each cell's k nearest neighbours in a representation (principal
//! components, or any embedding) and the weighted graph of their connectivities, as scanpy's
//! `sc.pp.neighbors(method="umap")` builds it; shared by Leiden (and later UMAP).
//!
//! - **Exact k-NN** ([`exact_knn`]): all distances, a block of rows at a time (a matrix
//!   product, ‖a‖² + ‖b‖² − 2a·b, to rank), the k − 1 nearest kept per row and their distances
//!   recomputed directly; the cell itself first at distance 0, as scikit-learn's
//!   `KNeighborsTransformer` gives scanpy (so k = 15 is the cell and 14 others). O(n²·d): the
//!   route scanpy takes below 8,192 cells.
//! - **Connectivities** ([`umap_connectivities`]): umap-learn's `fuzzy_simplicial_set` — per
//!   cell, ρ the distance to its nearest neighbour and σ found by binary search so that
//!   Σ exp(−(d − ρ)/σ) = log₂ k, memberships exp(−(d − ρ)/σ), then the fuzzy union
//!   A + Aᵀ − A∘Aᵀ. umap-learn computes the search and the weights in float32 (numba locals);
//!   so does this, so the weights agree with scanpy's to float32 rounding.
//!
//! Why not a crate: `umap-rs` pulls a second ndarray (0.17) and pins linfa down; the fuzzy set
//! is forty lines.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::data::Csr;

/// Each cell's nearest neighbours, the cell itself first.
#[derive(Debug, Clone, PartialEq)]
pub struct Knn {
    /// Neighbours per cell (the cell included).
    pub k: usize,
    /// n × k neighbour indices, row-major.
    pub indices: Vec<u32>,
    /// n × k Euclidean distances, row-major, ascending per row.
    pub distances: Vec<f64>,
}

impl Knn {
    /// Cells.
    pub fn n(&self) -> usize {
        self.indices.len() / self.k.max(1)
    }

    /// Neighbours of cell `i` (itself first).
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        (&self.indices[i * self.k..(i + 1) * self.k], &self.distances[i * self.k..(i + 1) * self.k])
    }
}

/// Rows per block of the distance computation.
const BLOCK: usize = 256;

/// The exact `k` nearest neighbours (the cell included) of every row of `x` by Euclidean
/// distance; `None` when `cancelled` answers true between blocks. `k` is capped at n.
pub fn exact_knn(x: ArrayView2<'_, f64>, k: usize, cancelled: &(dyn Fn() -> bool + Sync)) -> Option<Knn> {
    let n = x.nrows();
    let k = k.clamp(1, n.max(1));
    let norms: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
    let mut indices = vec![0u32; n * k];
    let mut distances = vec![0.0f64; n * k];
    for start in (0..n).step_by(BLOCK) {
        if cancelled() {
            return None;
        }
        let end = (start + BLOCK).min(n);
        let block = x.slice(ndarray::s![start..end, ..]);
        let products = block.dot(&x.t());
        indices[start * k..end * k]
            .par_chunks_mut(k)
            .zip(distances[start * k..end * k].par_chunks_mut(k))
            .enumerate()
            .for_each(|(r, (idx, dist))| {
                let i = start + r;
                let row = products.row(r);
                let mut candidates: Vec<(f64, u32)> = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| ((norms[i] + norms[j] - 2.0 * row[j]).max(0.0), j as u32))
                    .collect();
                let keep = (k - 1).min(candidates.len());
                if keep < candidates.len() {
                    candidates.select_nth_unstable_by(keep, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    candidates.truncate(keep + 1);
                }
                // Exact distances of the candidates (one beyond k for ties at the boundary).
                let xi = x.row(i);
                let mut exact: Vec<(f64, u32)> = candidates
                    .iter()
                    .map(|&(_, j)| {
                        let xj = x.row(j as usize);
                        (xi.iter().zip(xj.iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt(), j)
                    })
                    .collect();
                exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                idx[0] = i as u32;
                dist[0] = 0.0;
                for (slot, &(d, j)) in exact.iter().take(keep).enumerate() {
                    idx[slot + 1] = j;
                    dist[slot + 1] = d;
                }
            });
    }
    Some(Knn { k, indices, distances })
}

/// umap-learn's `smooth_knn_dist` for one cell (its distances ascending, itself first): ρ and σ.
fn smooth_knn_dist(distances: &[f32], target: f64, mean_distances: f32) -> (f32, f32) {
    const TOLERANCE: f64 = 1e-5;
    const MIN_K_DIST_SCALE: f32 = 1e-3;
    let rho = distances.iter().copied().find(|&d| d > 0.0).unwrap_or(0.0);
    let (mut lo, mut hi, mut mid) = (0.0f32, f32::MAX, 1.0f32);
    for _ in 0..64 {
        let mut psum = 0.0f32;
        for &d in &distances[1..] {
            let d = d - rho;
            psum += if d > 0.0 { (-(d / mid)).exp() } else { 1.0 };
        }
        if (f64::from(psum) - target).abs() < TOLERANCE {
            break;
        }
        if f64::from(psum) > target {
            hi = mid;
            mid = f32::midpoint(lo, hi);
        } else {
            lo = mid;
            if hi >= f32::MAX {
                mid *= 2.0;
            } else {
                mid = f32::midpoint(lo, hi);
            }
        }
    }
    let mut sigma = mid;
    let floor = if rho > 0.0 {
        MIN_K_DIST_SCALE * (distances.iter().sum::<f32>() / distances.len() as f32)
    } else {
        MIN_K_DIST_SCALE * mean_distances
    };
    if sigma < floor {
        sigma = floor;
    }
    (rho, sigma)
}

/// The UMAP connectivities of `knn` (scanpy's `method="umap"`): a symmetric n × n sparse
/// matrix of weights in (0, 1], no self loops.
pub fn umap_connectivities(knn: &Knn) -> Csr {
    let n = knn.n();
    let k = knn.k;
    #[allow(clippy::cast_possible_truncation)] // umap-learn works in float32
    let dists: Vec<f32> = knn.distances.iter().map(|&d| d as f32).collect();
    let target = (k as f64).log2();
    let mean_distances = (dists.iter().map(|&d| f64::from(d)).sum::<f64>() / dists.len().max(1) as f64) as f32;
    // Directed memberships, row by row (column order as the neighbours).
    let weights: Vec<f32> = (0..n)
        .into_par_iter()
        .flat_map_iter(|i| {
            let row = &dists[i * k..(i + 1) * k];
            let (rho, sigma) = smooth_knn_dist(row, target, mean_distances);
            let idx = &knn.indices[i * k..(i + 1) * k];
            (0..k).map(move |j| {
                if idx[j] as usize == i {
                    0.0
                } else if row[j] - rho <= 0.0 || sigma == 0.0 {
                    1.0
                } else {
                    (-((row[j] - rho) / sigma)).exp()
                }
            })
        })
        .collect();
    let mut entries: Vec<(u32, u32, f32)> = Vec::with_capacity(n * k);
    for i in 0..n {
        for j in 0..k {
            let w = weights[i * k + j];
            if w != 0.0 {
                entries.push((i as u32, knn.indices[i * k + j], w));
            }
        }
    }
    let directed = Csr::from_triplets(n, n, &entries);
    // The fuzzy union: a + b − ab for each pair, a = A[i, j], b = A[j, i].
    let mut union: Vec<(u32, u32, f32)> = Vec::with_capacity(entries.len() * 2);
    for &(i, j, a) in &entries {
        #[allow(clippy::cast_possible_truncation)]
        let b = directed.get(j as usize, i as usize) as f32;
        union.push((i, j, a + b - a * b));
        if b == 0.0 {
            union.push((j, i, a));
        }
    }
    Csr::from_triplets(n, n, &union)
}

/// Gaussian connectivities of `knn` (scanpy's `method="gauss"`, Haghverdi et al. 2016): for
/// neighbours i and j, `√(2σᵢσⱼ / (σᵢ² + σⱼ²)) · exp(−d² / (σᵢ² + σⱼ²))`, σᵢ² the median of
/// cell i's squared neighbour distances (itself left out); symmetric over the union of the
/// k-NN edges, no self loops.
pub fn gauss_connectivities(knn: &Knn) -> Csr {
    let n = knn.n();
    let k = knn.k;
    let sigma_sq: Vec<f64> = (0..n)
        .map(|i| {
            let mut d2: Vec<f64> = knn.row(i).1[1..].iter().map(|d| d * d).collect();
            d2.sort_by(f64::total_cmp);
            let m = d2.len();
            match m {
                0 => 0.0,
                _ if m % 2 == 1 => d2[m / 2],
                _ => 0.5 * (d2[m / 2 - 1] + d2[m / 2]),
            }
        })
        .collect();
    let weight = |i: usize, j: usize, d: f64| {
        let den = sigma_sq[i] + sigma_sq[j];
        if den > 0.0 { (2.0 * (sigma_sq[i] * sigma_sq[j]).sqrt() / den).sqrt() * (-(d * d) / den).exp() } else { 0.0 }
    };
    let mut present = std::collections::HashSet::with_capacity(n * k);
    for i in 0..n {
        for &j in &knn.row(i).0[1..] {
            present.insert((i as u32, j));
        }
    }
    let mut entries: Vec<(u32, u32, f32)> = Vec::with_capacity(2 * n * k);
    for i in 0..n {
        let (idx, dist) = knn.row(i);
        for (&j, &d) in idx[1..].iter().zip(&dist[1..]) {
            #[allow(clippy::cast_possible_truncation)]
            let w = weight(i, j as usize, d) as f32;
            entries.push((i as u32, j, w));
            if !present.contains(&(j, i as u32)) {
                entries.push((j, i as u32, w));
            }
        }
    }
    Csr::from_triplets(n, n, &entries)
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn exact_neighbours_come_in_distance_order_with_the_cell_first() {
        let x = array![[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [5.0, 5.0], [1.1, 0.1]];
        let knn = exact_knn(x.view(), 3, &|| false).unwrap();
        let (idx, dist) = knn.row(0);
        assert_eq!(idx, [0, 1, 4]);
        assert!((dist[1] - 1.0).abs() < 1e-12 && (dist[2] - (1.21f64 + 0.01).sqrt()).abs() < 1e-12);
        assert_eq!(knn.row(3).0[0], 3);
    }

    #[test]
    fn connectivities_are_a_symmetric_fuzzy_union() {
        let x = array![[0.0], [1.0], [2.0], [4.0], [8.0], [8.5]];
        let knn = exact_knn(x.view(), 3, &|| false).unwrap();
        let c = umap_connectivities(&knn);
        for i in 0..6 {
            assert!(c.get(i, i).abs() < 1e-12, "no self loop");
            for j in 0..6 {
                assert!((c.get(i, j) - c.get(j, i)).abs() < 1e-7);
                assert!((0.0..=1.0).contains(&c.get(i, j)));
            }
        }
        // The nearest neighbour gets weight 1.
        assert!((c.get(4, 5) - 1.0).abs() < 1e-7);
    }
}
