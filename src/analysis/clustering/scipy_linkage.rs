//! `SciPy`'s own algorithms for Ward, centroid and median linkage, ported line for line.
//!
//! kodama computes these three on squared distances and takes square roots at the end;
//! `SciPy` updates the distances themselves with square roots at every step. Both are exact
//! in real arithmetic, but their rounding differs, and data with many equal distances (iris)
//! breaks ties by the last bit: to give `SciPy`'s whole merge list, these methods follow its
//! code — the nearest-neighbour chain for Ward (`nn_chain`), the generic algorithm with a
//! heap of lower bounds for centroid and median (`fast_linkage`) — including the formulas'
//! order of operations.

use super::hierarchical::{Merge, condensed_index};

/// `SciPy`'s `_ward`: the Ward distance from the merge of x and y to cluster i.
fn ward(d_xi: f64, d_yi: f64, d_xy: f64, size_x: usize, size_y: usize, size_i: usize) -> f64 {
    let t = 1.0 / (size_x + size_y + size_i) as f64;
    ((size_i + size_x) as f64 * t * d_xi * d_xi + (size_i + size_y) as f64 * t * d_yi * d_yi
        - size_i as f64 * t * d_xy * d_xy)
        .sqrt()
}

/// `SciPy`'s `_centroid`.
fn centroid(d_xi: f64, d_yi: f64, d_xy: f64, size_x: usize, size_y: usize, _size_i: usize) -> f64 {
    let (sx, sy) = (size_x as f64, size_y as f64);
    (((sx * d_xi * d_xi) + (sy * d_yi * d_yi) - ((size_x * size_y) as f64 * d_xy * d_xy) / (size_x + size_y) as f64)
        / (size_x + size_y) as f64)
        .sqrt()
}

/// `SciPy`'s `_median`.
fn median(d_xi: f64, d_yi: f64, d_xy: f64, _size_x: usize, _size_y: usize, _size_i: usize) -> f64 {
    (0.5 * (d_xi * d_xi + d_yi * d_yi) - 0.25 * d_xy * d_xy).sqrt()
}

/// The distance from cluster `i` to the merge of `x` and `y`.
type Update = fn(f64, f64, f64, usize, usize, usize) -> f64;

/// Ward linkage by the nearest-neighbour chain, then sorted and labelled (`SciPy`'s
/// `nn_chain` for `method="ward"`). `d` is the condensed matrix, used as scratch.
pub(super) fn ward_chain(d: &mut [f64], n: usize) -> Vec<Merge> {
    let idx = |a: usize, b: usize| condensed_index(n, a.min(b), a.max(b));
    let mut size = vec![1usize; n];
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let mut raw: Vec<(usize, usize, f64, usize)> = Vec::with_capacity(n - 1);
    for _ in 0..n - 1 {
        if chain.is_empty() {
            chain.extend((0..n).find(|&i| size[i] > 0));
        }
        // Follow nearest neighbours until two are mutual.
        let (x, y, current_min) = loop {
            let x = chain[chain.len() - 1];
            // Prefer the previous element of the chain as the minimum, to avoid cycles.
            let (mut y, mut current_min) = if chain.len() > 1 {
                (chain[chain.len() - 2], d[idx(x, chain[chain.len() - 2])])
            } else {
                (x, f64::INFINITY)
            };
            for i in 0..n {
                if size[i] == 0 || i == x {
                    continue;
                }
                let dist = d[idx(x, i)];
                if dist < current_min {
                    current_min = dist;
                    y = i;
                }
            }
            if chain.len() > 1 && y == chain[chain.len() - 2] {
                break (x, y, current_min);
            }
            chain.push(y);
        };
        chain.truncate(chain.len() - 2);
        let (x, y) = (x.min(y), x.max(y));
        let (nx, ny) = (size[x], size[y]);
        raw.push((x, y, current_min, nx + ny));
        size[x] = 0;
        size[y] = nx + ny;
        for i in 0..n {
            let ni = size[i];
            if ni == 0 || i == y {
                continue;
            }
            d[idx(i, y)] = ward(d[idx(i, x)], d[idx(i, y)], current_min, nx, ny, ni);
        }
    }
    // Stable sort by height (numpy's mergesort), then relabel with a union-find.
    raw.sort_by(|a, b| a.2.total_cmp(&b.2));
    label(&raw, n)
}

/// Gives each merge `SciPy`'s cluster ids: the roots of its two sides, smaller first.
fn label(raw: &[(usize, usize, f64, usize)], n: usize) -> Vec<Merge> {
    let mut parent: Vec<usize> = (0..2 * n - 1).collect();
    let mut sizes = vec![1usize; 2 * n - 1];
    let find = |parent: &mut Vec<usize>, mut x: usize| {
        let mut root = x;
        while parent[root] != root {
            root = parent[root];
        }
        while parent[x] != root {
            let next = parent[x];
            parent[x] = root;
            x = next;
        }
        root
    };
    raw.iter()
        .enumerate()
        .map(|(k, &(x, y, height, _))| {
            let (rx, ry) = (find(&mut parent, x), find(&mut parent, y));
            let label = n + k;
            parent[rx] = label;
            parent[ry] = label;
            sizes[label] = sizes[rx] + sizes[ry];
            Merge { left: rx.min(ry), right: rx.max(ry), height, size: sizes[label] }
        })
        .collect()
}

/// A binary min-heap of values keyed `0..n` with decrease/increase-key (`SciPy`'s `Heap`).
struct Heap {
    size: usize,
    index_by_key: Vec<usize>,
    key_by_index: Vec<usize>,
    values: Vec<f64>,
}

impl Heap {
    fn new(values: &[f64]) -> Self {
        let n = values.len();
        let mut heap =
            Self { size: n, index_by_key: (0..n).collect(), key_by_index: (0..n).collect(), values: values.to_vec() };
        for i in (0..n / 2).rev() {
            heap.sift_down(i);
        }
        heap
    }

    fn min(&self) -> (usize, f64) {
        (self.key_by_index[0], self.values[0])
    }

    fn remove_min(&mut self) {
        self.swap(0, self.size - 1);
        self.size -= 1;
        self.sift_down(0);
    }

    fn change_value(&mut self, key: usize, value: f64) {
        let index = self.index_by_key[key];
        let old = self.values[index];
        self.values[index] = value;
        if value < old {
            self.sift_up(index);
        } else {
            self.sift_down(index);
        }
    }

    fn sift_up(&mut self, mut index: usize) {
        while index > 0 {
            let parent = (index - 1) / 2;
            if self.values[parent] > self.values[index] {
                self.swap(index, parent);
                index = parent;
            } else {
                break;
            }
        }
    }

    fn sift_down(&mut self, mut index: usize) {
        let mut child = 2 * index + 1;
        while child < self.size {
            if child + 1 < self.size && self.values[child + 1] < self.values[child] {
                child += 1;
            }
            if self.values[index] > self.values[child] {
                self.swap(index, child);
                index = child;
                child = 2 * index + 1;
            } else {
                break;
            }
        }
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.values.swap(i, j);
        self.key_by_index.swap(i, j);
        self.index_by_key[self.key_by_index[i]] = i;
        self.index_by_key[self.key_by_index[j]] = j;
    }
}

/// Exact equality, as `SciPy` tests a stored lower bound against the current distance.
#[allow(clippy::float_cmp)]
fn same(a: f64, b: f64) -> bool {
    a == b
}

/// The nearest active cluster after `x` (higher index) and its distance; `None` if none.
fn nearest_after(n: usize, d: &[f64], size: &[usize], x: usize) -> (Option<usize>, f64) {
    let mut best = (None, f64::INFINITY);
    for i in x + 1..n {
        if size[i] == 0 {
            continue;
        }
        let dist = d[condensed_index(n, x, i)];
        if dist < best.1 {
            best = (Some(i), dist);
        }
    }
    best
}

/// Centroid (`median == false`) or median linkage by `SciPy`'s generic algorithm
/// (`fast_linkage`). `d` is the condensed matrix, used as scratch.
pub(super) fn generic(d: &mut [f64], n: usize, median_method: bool) -> Vec<Merge> {
    let update: Update = if median_method { median } else { centroid };
    let idx = |a: usize, b: usize| condensed_index(n, a.min(b), a.max(b));
    let mut size = vec![1usize; n];
    let mut cluster_id: Vec<usize> = (0..n).collect();
    let mut neighbor = vec![0usize; n - 1];
    let mut min_dist = vec![0.0; n - 1];
    for x in 0..n - 1 {
        let (y, dist) = nearest_after(n, d, &size, x);
        neighbor[x] = y.unwrap_or(0);
        min_dist[x] = dist;
    }
    let mut heap = Heap::new(&min_dist);
    let mut merges = Vec::with_capacity(n - 1);
    for k in 0..n - 1 {
        let (mut x, mut y, mut dist) = (0, 0, 0.0);
        for _ in 0..n - k {
            (x, dist) = heap.min();
            y = neighbor[x];
            if same(dist, d[idx(x, y)]) {
                break;
            }
            let (found, found_dist) = nearest_after(n, d, &size, x);
            y = found.unwrap_or(0);
            dist = found_dist;
            neighbor[x] = y;
            min_dist[x] = dist;
            heap.change_value(x, dist);
        }
        heap.remove_min();
        let (id_x, id_y) = (cluster_id[x], cluster_id[y]);
        let (nx, ny) = (size[x], size[y]);
        merges.push(Merge { left: id_x.min(id_y), right: id_x.max(id_y), height: dist, size: nx + ny });
        size[x] = 0;
        size[y] = nx + ny;
        cluster_id[y] = n + k;
        for z in 0..n {
            let nz = size[z];
            if nz == 0 || z == y {
                continue;
            }
            d[idx(y, z)] = update(d[idx(x, z)], d[idx(y, z)], dist, nx, ny, nz);
        }
        for z in 0..x {
            if size[z] > 0 && neighbor[z] == x {
                neighbor[z] = y;
            }
        }
        for z in 0..y {
            if size[z] == 0 {
                continue;
            }
            let dz = d[idx(z, y)];
            if dz < min_dist[z] {
                neighbor[z] = y;
                min_dist[z] = dz;
                heap.change_value(z, dz);
            }
        }
        if y < n - 1
            && let (Some(z), dz) = nearest_after(n, d, &size, y)
        {
            neighbor[y] = z;
            min_dist[y] = dz;
            heap.change_value(y, dz);
        }
    }
    merges
}
