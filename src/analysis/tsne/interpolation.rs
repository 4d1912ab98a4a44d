//! Repulsion by interpolation on a grid and FFT convolution: FIt-SNE (Linderman et al.,
//! Nature Methods 16:243, 2019), the method openTSNE uses from 10,000 points up.
//!
//! # The sums
//! With `q_ij = 1 / (1 + ‖y_i − y_j‖²)`, the repulsive force on point i is
//! `Σ_j q_ij² (y_i − y_j)` and the normalisation is `Z = Σ_{i≠j} q_ij`. Both follow from
//! four potentials of the kernel `K(a, b) = 1 / (1 + ‖a − b‖²)²` with the charges
//! `c_j = (1, y_j¹, y_j², ‖y_j‖²)`: `φ_i = Σ_j K(y_i, y_j) c_j`. The force is
//! `y_i φ_i⁰ − (φ_i¹, φ_i²)`, and since `q = K · (1 + ‖y_i − y_j‖²)`,
//! `Z = Σ_i [(1 + ‖y_i‖²) φ_i⁰ − 2 y_i · (φ_i¹, φ_i²) + φ_i³] − N`.
//!
//! # The grid
//! The embedding's bounding square is cut into B × B boxes with three Lagrange nodes per box
//! and axis (M = 3B nodes per axis). Charges are spread onto the nodes with the Lagrange
//! weights of each point's box, K is applied between every pair of nodes as a 2-D
//! convolution (FFT of the grid zero-padded to 2M × 2M), and the node potentials are
//! interpolated back to the points. Cost O(N + M² log M) per iteration, against
//! Barnes–Hut's O(N log N) with a large constant.
//!
//! Box sides follow openTSNE's rule (at least 50 boxes, sides of about 1 at most), except
//! that the side is rounded down to a power of 2^⅛ and B up to a 5-smooth number. Boxes are
//! thus never wider than openTSNE's, the FFT lengths factor well, and the kernel's spectrum,
//! which depends only on B and the side, is reused for as long as the grid stays the same.
//! The four charge grids are packed as two complex grids (the kernel is real and even, so
//! real and imaginary parts convolve independently).

use std::sync::Arc;
use std::thread;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Interpolation nodes per box and axis (openTSNE's default).
const NODES: usize = 3;
/// At least this many boxes per axis (openTSNE's `min_num_intervals`).
const MIN_BOXES: usize = 50;
/// Boxes are at most this wide: 2^-⅛ ≈ 0.917. openTSNE asks for sides of at most 1
/// (`ints_in_interval`) and rounds the box count up to an FFT-friendly size, which makes its
/// sides 0.92–1; this keeps ours no wider.
const MAX_BOX_WIDTH: f64 = 0.917_004_043_204_671_2;
/// More boxes than this per axis cost more than they gain (grids of 6,000² nodes);
/// beyond it boxes widen instead.
const MAX_BOXES: usize = 1000;

/// The interpolation grid, the kernel's spectrum and the two charge grids, reused across
/// iterations (the charge grids are megabytes: fresh ones would fault in every page).
#[derive(Clone, Default)]
pub(super) struct Interpolation {
    grid: Option<Grid>,
    charges: [Vec<Complex<f64>>; 2],
    /// Each point's place in the grid (kept, like the charge grids, to save page faults).
    stencils: Vec<Stencil>,
}

impl std::fmt::Debug for Interpolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interpolation")
            .field("boxes", &self.grid.as_ref().map(|g| g.boxes))
            .field("box_width", &self.grid.as_ref().map(|g| g.box_width))
            .finish_non_exhaustive()
    }
}

/// One grid size: its FFT plans and the kernel's spectrum.
#[derive(Clone)]
struct Grid {
    boxes: usize,
    box_width: f64,
    /// Padded side: 2 · nodes per axis.
    len: usize,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
    /// The kernel's 2-D spectrum, real (the kernel is even), scaled by 1 / len², in the
    /// transposed layout [`Grid::forward_2d`] produces.
    kernel: Vec<f64>,
}

impl Interpolation {
    /// Writes the repulsive force on each point, `Σ_j q_ij² (y_i − y_j)`, into `forces`, and
    /// returns `Z = Σ_{i≠j} q_ij`.
    pub(super) fn repulsion(&mut self, y: &[[f64; 2]], forces: &mut [[f64; 2]]) -> f64 {
        let (lo, hi) = super::bounds(y);
        let span = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1e-12);
        let grid = fit_grid(&mut self.grid, span);
        let [a, b] = &mut self.charges;
        let (boxes, width, len) = (grid.boxes, grid.box_width, grid.len);
        let m = NODES * boxes;
        // Centre the embedding in the grid.
        let origin = [0, 1].map(|d| f64::midpoint(lo[d], hi[d]) - width * boxes as f64 / 2.0);

        // Each point's first node (row-major in the M × M node grid) and its weights.
        let stencils = &mut self.stencils;
        stencils.clear();
        stencils.extend(y.iter().map(|p| Stencil::new(*p, origin, width, boxes, m)));

        // Spread the charges: grid a holds (1, y¹), grid b holds (y², ‖y‖²), as re + i·im.
        for grid in [&mut *a, &mut *b] {
            grid.clear();
            grid.resize(len * len, Complex::new(0.0, 0.0));
        }
        for (p, s) in y.iter().zip(&*stencils) {
            let ca = Complex::new(1.0, p[0]);
            let cb = Complex::new(p[1], p[0] * p[0] + p[1] * p[1]);
            for (idx, w) in s.nodes(len) {
                a[idx] += ca * w;
                b[idx] += cb * w;
            }
        }
        thread::scope(|scope| {
            scope.spawn(|| grid.convolve(a, m));
            grid.convolve(b, m);
        });

        // Interpolate the potentials back to the points.
        let (a, b, stencils) = (&*a, &*b, &*stencils);
        let z = super::parallel_sum(forces, |i, f| {
            let p = y[i];
            let (mut pa, mut pb) = (Complex::new(0.0, 0.0), Complex::new(0.0, 0.0));
            for (idx, w) in stencils[i].nodes(len) {
                pa += a[idx] * w;
                pb += b[idx] * w;
            }
            // φ⁰ = pa.re, φ¹ = pa.im, φ² = pb.re, φ³ = pb.im.
            *f = [p[0] * pa.re - pa.im, p[1] * pa.re - pb.re];
            (1.0 + p[0] * p[0] + p[1] * p[1]) * pa.re - 2.0 * (p[0] * pa.im + p[1] * pb.re) + pb.im
        });
        z - y.len() as f64
    }
}

/// The grid for an embedding `span` wide: the one in `slot` when it fits, else a new one.
fn fit_grid(slot: &mut Option<Grid>, span: f64) -> &Grid {
    // Box side: at most MAX_BOX_WIDTH and span / 50, rounded down to a power of 2^⅛.
    let widest = (span / MIN_BOXES as f64).min(MAX_BOX_WIDTH);
    let mut width = 2f64.powf((widest.log2() * 8.0 + 1e-9).floor() / 8.0);
    let mut needed = (span / width).ceil() as usize + 1;
    if needed > MAX_BOXES {
        width = span / (MAX_BOXES - 1) as f64;
        needed = MAX_BOXES;
    }
    let reuse = slot.as_ref().is_some_and(|g| {
        g.box_width.to_bits() == width.to_bits() && g.boxes >= needed && (g.boxes as f64) <= needed as f64 * 1.15
    });
    if !reuse {
        *slot = None;
    }
    slot.get_or_insert_with(|| Grid::new(smooth_at_least(needed), width))
}

impl Grid {
    fn new(boxes: usize, box_width: f64) -> Self {
        let m = NODES * boxes;
        let len = 2 * m;
        let mut planner = FftPlanner::new();
        let forward = planner.plan_fft_forward(len);
        let inverse = planner.plan_fft_inverse(len);
        let mut grid = Self { boxes, box_width, len, forward, inverse, kernel: Vec::new() };
        // The kernel between nodes `dr` rows and `dc` columns apart, laid out circularly.
        let h = box_width / NODES as f64;
        let offset = |k: usize| if k <= m { k } else { len - k } as f64 * h;
        let mut kernel: Vec<Complex<f64>> = (0..len * len)
            .map(|idx| {
                let (dr, dc) = (offset(idx / len), offset(idx % len));
                let q = 1.0 / (1.0 + dr * dr + dc * dc);
                Complex::new(q * q, 0.0)
            })
            .collect();
        grid.forward_2d(&mut kernel, len);
        let scale = 1.0 / (len * len) as f64;
        grid.kernel = kernel.iter().map(|v| v.re * scale).collect();
        grid
    }

    /// Convolves the node grid in the top-left `m × m` corner of `data` with the kernel; the
    /// result replaces that corner (the rest is left as scratch).
    fn convolve(&self, data: &mut [Complex<f64>], m: usize) {
        self.forward_2d(data, m);
        for (v, k) in data.iter_mut().zip(&self.kernel) {
            *v *= *k;
        }
        // Inverse: along the first (transposed) axis on every row, then back to row-major
        // and along the second axis on the rows that hold nodes.
        rows_fft(&*self.inverse, data, self.len, self.len);
        transpose(data, self.len);
        rows_fft(&*self.inverse, data, self.len, m);
    }

    /// 2-D forward FFT of a `len × len` grid whose rows from `nonzero_rows` on are zero;
    /// the spectrum is left transposed.
    fn forward_2d(&self, data: &mut [Complex<f64>], nonzero_rows: usize) {
        rows_fft(&*self.forward, data, self.len, nonzero_rows);
        transpose(data, self.len);
        rows_fft(&*self.forward, data, self.len, self.len);
    }
}

/// A point's place in the node grid: its box's first node and the Lagrange weights of the
/// box's three nodes along each axis.
#[derive(Clone, Copy)]
struct Stencil {
    row: usize,
    col: usize,
    wx: [f64; NODES],
    wy: [f64; NODES],
}

impl Stencil {
    fn new(p: [f64; 2], origin: [f64; 2], width: f64, boxes: usize, m: usize) -> Self {
        let place = |d: usize| {
            let t = (p[d] - origin[d]) / width;
            let b = (t.floor().max(0.0) as usize).min(boxes - 1);
            (b * NODES, lagrange(t - b as f64))
        };
        let (col, wx) = place(0);
        let (row, wy) = place(1);
        debug_assert!(row + NODES <= m && col + NODES <= m);
        Self { row, col, wx, wy }
    }
}

impl Stencil {
    /// The nine nodes of the point's box as (index in a `len`-wide grid, weight).
    fn nodes(&self, len: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.wy.iter().enumerate().flat_map(move |(r, wr)| {
            self.wx.iter().enumerate().map(move |(c, wc)| ((self.row + r) * len + self.col + c, wr * wc))
        })
    }
}

/// Lagrange weights at `t` ∈ [0, 1] of the nodes (k + ½) / 3, k = 0, 1, 2.
fn lagrange(t: f64) -> [f64; NODES] {
    let nodes: [f64; NODES] = std::array::from_fn(|k| (k as f64 + 0.5) / NODES as f64);
    std::array::from_fn(|k| {
        nodes.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, &nj)| (t - nj) / (nodes[k] - nj)).product()
    })
}

/// Runs `fft` on the first `rows` rows (each `len` long) of `data`, split over threads.
fn rows_fft(fft: &dyn Fft<f64>, data: &mut [Complex<f64>], len: usize, rows: usize) {
    let threads = thread::available_parallelism().map_or(1, usize::from).clamp(1, 8);
    let per = rows.div_ceil(threads).max(16);
    thread::scope(|scope| {
        for chunk in data[..rows * len].chunks_mut(per * len) {
            scope.spawn(move || {
                let mut scratch = vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()];
                fft.process_with_scratch(chunk, &mut scratch);
            });
        }
    });
}

/// Transposes a square `len × len` grid in place, in cache-sized tiles.
fn transpose(data: &mut [Complex<f64>], len: usize) {
    const TILE: usize = 32;
    for r0 in (0..len).step_by(TILE) {
        for c0 in (r0..len).step_by(TILE) {
            for r in r0..(r0 + TILE).min(len) {
                for c in c0.max(r + 1)..(c0 + TILE).min(len) {
                    data.swap(r * len + c, c * len + r);
                }
            }
        }
    }
}

/// The smallest 2^a 3^b 5^c ≥ `n` (FFT lengths 6 · that factor well).
fn smooth_at_least(n: usize) -> usize {
    // A power of two always lies in [n, 2n].
    (n.max(1)..=2 * n.max(1))
        .find(|&k| {
            let mut k = k;
            for p in [2, 3, 5] {
                while k.is_multiple_of(p) {
                    k /= p;
                }
            }
            k == 1
        })
        .unwrap_or(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rng::Rng;

    /// Exact forces and Z, O(N²).
    fn exact(y: &[[f64; 2]]) -> (Vec<[f64; 2]>, f64) {
        let mut z = 0.0;
        let forces = y
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut f = [0.0; 2];
                for (j, b) in y.iter().enumerate() {
                    if i != j {
                        let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
                        let q = 1.0 / (1.0 + dx * dx + dy * dy);
                        z += q;
                        f[0] += q * q * dx;
                        f[1] += q * q * dy;
                    }
                }
                f
            })
            .collect();
        (forces, z)
    }

    /// The approximation is as accurate as openTSNE's at its default settings. The bounds
    /// are openTSNE's own errors on data made the same way (1,500 points in five clusters;
    /// the worst of five draws, measured with its `estimate_negative_gradient_fft_2d`),
    /// rounded up: Z's relative error and the forces' relative RMS error, by spread.
    #[test]
    fn matches_exact_sums_as_closely_as_opentsne() {
        let bounds =
            [(1e-4, 1e-12, 1e-12), (0.5, 1e-8, 3e-6), (5.0, 4e-6, 1e-3), (40.0, 3.7e-3, 2.8e-2), (150.0, 3e-2, 4.6e-2)];
        let mut rng = Rng::new(3);
        let mut interp = Interpolation::default();
        for (scale, z_bound, force_bound) in bounds {
            let y: Vec<[f64; 2]> = (0..1500_u32)
                .map(|i| {
                    let centre = f64::from(i % 5) * scale / 3.0;
                    [centre + rng.normal() * scale / 10.0, -centre + rng.normal() * scale / 10.0]
                })
                .collect();
            let (want, want_z) = exact(&y);
            let mut got = vec![[0.0; 2]; y.len()];
            let z = interp.repulsion(&y, &mut got);
            let z_err = ((z - want_z) / want_z).abs();
            let err: f64 = got.iter().zip(&want).map(|(g, w)| (g[0] - w[0]).powi(2) + (g[1] - w[1]).powi(2)).sum();
            let norm: f64 = want.iter().map(|w| w[0] * w[0] + w[1] * w[1]).sum();
            let force_err = (err / norm).sqrt();
            assert!(z_err <= z_bound, "spread {scale}: Z {z} vs {want_z}");
            assert!(force_err <= force_bound, "spread {scale}: relative force error {force_err}");
        }
    }

    #[test]
    fn grid_follows_the_box_rules() {
        let mut slot = None;
        let g = fit_grid(&mut slot, 0.01);
        assert!(g.boxes >= MIN_BOXES && g.box_width <= 0.01 / 50.0);
        let g = fit_grid(&mut slot, 120.0);
        assert!(g.box_width <= 1.0 && g.boxes as f64 * g.box_width >= 120.0);
        assert_eq!(smooth_at_least(121), 125);
        let sum: f64 = lagrange(0.3).iter().sum();
        assert!((sum - 1.0).abs() < 1e-12);
    }
}
