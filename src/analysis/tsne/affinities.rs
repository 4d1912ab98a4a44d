//! The symmetric affinities P and the attractive forces over them.
//!
//! P is symmetric, so each pair is stored once (row i holds its columns j > i) and each
//! pair's `p_ij q_ij (y_i − y_j)` is computed once and applied to both points: half the
//! memory, half the divisions and logarithms of storing both directions. The rows are cut
//! into [`CHUNKS`] runs of about equal pair counts, each summed into its own buffer by its
//! own thread; the buffers are then added in a fixed order, so the forces do not depend on
//! the machine's thread count.

use std::thread;

/// Runs of rows the attraction is split into (at most this many threads).
const CHUNKS: usize = 4;

/// Symmetric affinities summing to 1, each pair once: compressed rows, row i holding the
/// columns j > i.
#[derive(Debug, Clone)]
pub(super) struct Affinities {
    pub(super) offsets: Vec<usize>,
    pub(super) columns: Vec<u32>,
    pub(super) values: Vec<f64>,
    /// Row boundaries of the chunks: `CHUNKS + 1` ascending row indices from 0 to n.
    chunks: Vec<usize>,
}

impl Affinities {
    /// Symmetrises the row-normalised conditional probabilities of each point's `k`
    /// neighbours (n × k, with their indices): `P_ij = (p_j|i + p_i|j) / 2n`.
    pub(super) fn symmetrise(neighbours: &[u32], conditional: &[f64], k: usize) -> Self {
        let n = neighbours.len() / k;
        let scale = 1.0 / (2.0 * n as f64);
        // Pairs by their lower index.
        let mut counts = vec![0usize; n + 1];
        for (i, row) in neighbours.chunks(k).enumerate() {
            for &j in row {
                counts[i.min(j as usize)] += 1;
            }
        }
        let mut starts = Vec::with_capacity(n + 1);
        let mut total = 0;
        for c in &counts {
            starts.push(total);
            total += c;
        }
        let mut next = starts.clone();
        let mut pairs = vec![(0u32, 0.0); total];
        for (i, (row, p)) in neighbours.chunks(k).zip(conditional.chunks(k)).enumerate() {
            for (&j, &v) in row.iter().zip(p) {
                let (lo, hi) = (i.min(j as usize), i.max(j as usize) as u32);
                pairs[next[lo]] = (hi, v * scale);
                next[lo] += 1;
            }
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut columns = Vec::with_capacity(total);
        let mut values = Vec::with_capacity(total);
        offsets.push(0);
        for i in 0..n {
            let row = &mut pairs[starts[i]..starts[i + 1]];
            row.sort_unstable_by_key(|&(j, _)| j);
            let mut last: Option<u32> = None;
            for &(j, v) in &*row {
                if last == Some(j) {
                    if let Some(x) = values.last_mut() {
                        *x += v;
                    }
                } else {
                    columns.push(j);
                    values.push(v);
                    last = Some(j);
                }
            }
            offsets.push(columns.len());
        }
        // Chunk boundaries at about equal pair counts.
        let pairs_total = columns.len();
        let chunks = (0..=CHUNKS)
            .map(|c| if c == CHUNKS { n } else { offsets.partition_point(|&o| o < pairs_total * c / CHUNKS).min(n) })
            .collect();
        Self { offsets, columns, values, chunks }
    }

    /// `Σ_{i≠j} P_ij log P_ij` (both directions).
    pub(super) fn p_log_p(&self) -> f64 {
        2.0 * self.values.iter().filter(|&&v| v > 0.0).map(|v| v * v.ln()).sum::<f64>()
    }

    /// The value stored for the pair (i, j), either order (tests).
    #[cfg(test)]
    pub(super) fn get(&self, i: usize, j: usize) -> Option<f64> {
        let (lo, hi) = (i.min(j), i.max(j) as u32);
        (self.offsets[lo]..self.offsets[lo + 1]).find(|&t| self.columns[t] == hi).map(|t| self.values[t])
    }

    /// The attractive force on every point, `Σ_j P_ij q_ij (y_i − y_j)`, into `out`
    /// (overwritten); returns `Σ_{i≠j} P_ij log q_ij` when `with_log`, else 0. `buffers` is
    /// scratch kept between calls.
    pub(super) fn attraction(
        &self,
        y: &[[f64; 2]],
        with_log: bool,
        buffers: &mut Vec<Vec<[f64; 2]>>,
        out: &mut [[f64; 2]],
    ) -> f64 {
        let n = y.len();
        buffers.resize_with(CHUNKS, Vec::new);
        let log_sums: Vec<f64> = thread::scope(|scope| {
            let handles: Vec<_> = buffers
                .iter_mut()
                .enumerate()
                .map(|(c, buffer)| {
                    let rows = self.chunks[c]..self.chunks[c + 1];
                    scope.spawn(move || {
                        // The chunk only writes to its own rows and to later ones.
                        buffer.clear();
                        buffer.resize(n - rows.start, [0.0; 2]);
                        if with_log {
                            self.attract_rows::<true>(y, rows, buffer)
                        } else {
                            self.attract_rows::<false>(y, rows, buffer)
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        let (buffers, chunks) = (&*buffers, &self.chunks);
        super::parallel_sum(out, |i, f| {
            *f = [0.0; 2];
            for (buffer, &start) in buffers.iter().zip(chunks).take_while(|&(_, &start)| start <= i) {
                let b = buffer[i - start];
                f[0] += b[0];
                f[1] += b[1];
            }
            0.0
        });
        2.0 * log_sums.iter().sum::<f64>()
    }

    /// Adds the forces of the pairs in `rows` into `buffer` (indexed from `rows.start`);
    /// returns Σ P log q over them when `LOG`.
    fn attract_rows<const LOG: bool>(
        &self,
        y: &[[f64; 2]],
        rows: std::ops::Range<usize>,
        buffer: &mut [[f64; 2]],
    ) -> f64 {
        let start = rows.start;
        let mut p_log_q = 0.0;
        for i in rows {
            let yi = y[i];
            let mut fi = [0.0; 2];
            let span = self.offsets[i]..self.offsets[i + 1];
            for (&j, &p) in self.columns[span.clone()].iter().zip(&self.values[span]) {
                let j = j as usize;
                let (dx, dy) = (yi[0] - y[j][0], yi[1] - y[j][1]);
                let q = 1.0 / (1.0 + dx * dx + dy * dy);
                let w = p * q;
                fi[0] += w * dx;
                fi[1] += w * dy;
                let bj = &mut buffer[j - start];
                bj[0] -= w * dx;
                bj[1] -= w * dy;
                if LOG {
                    p_log_q += p * q.ln();
                }
            }
            let bi = &mut buffer[i - start];
            bi[0] += fi[0];
            bi[1] += fi[1];
        }
        p_log_q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rng::Rng;

    /// Each pair once, applied to both points, gives the forces and Σ P log q of summing
    /// every ordered pair, in every chunk layout.
    #[test]
    fn attraction_equals_the_sum_over_ordered_pairs() {
        let mut rng = Rng::new(5);
        let (n, k) = (300, 12);
        let neighbours: Vec<u32> = (0..n * k)
            .map(|t| {
                let i = t / k;
                ((i + 1 + rng.below(n - 1)) % n) as u32
            })
            .collect();
        // Rows of conditional probabilities, each summing to 1.
        let mut conditional: Vec<f64> = (0..n * k).map(|_| rng.uniform()).collect();
        for row in conditional.chunks_mut(k) {
            let sum: f64 = row.iter().sum();
            for v in row {
                *v /= sum;
            }
        }
        let p = Affinities::symmetrise(&neighbours, &conditional, k);
        assert_eq!((p.chunks.len(), p.chunks[0], p.chunks[CHUNKS]), (CHUNKS + 1, 0, n));
        let y: Vec<[f64; 2]> = (0..n).map(|_| [rng.normal() * 5.0, rng.normal() * 5.0]).collect();
        let mut dense = vec![vec![0.0; n]; n];
        for i in 0..n {
            for (&j, &v) in neighbours[i * k..(i + 1) * k].iter().zip(&conditional[i * k..(i + 1) * k]) {
                dense[i][j as usize] += v / (2.0 * n as f64);
                dense[j as usize][i] += v / (2.0 * n as f64);
            }
        }
        let (mut want, mut want_log) = (vec![[0.0; 2]; n], 0.0);
        for i in 0..n {
            for j in 0..n {
                if dense[i][j] > 0.0 {
                    let (dx, dy) = (y[i][0] - y[j][0], y[i][1] - y[j][1]);
                    let q = 1.0 / (1.0 + dx * dx + dy * dy);
                    want[i][0] += dense[i][j] * q * dx;
                    want[i][1] += dense[i][j] * q * dy;
                    want_log += dense[i][j] * q.ln();
                }
            }
        }
        let mut buffers = Vec::new();
        let mut got = vec![[9.0; 2]; n];
        let log = p.attraction(&y, true, &mut buffers, &mut got);
        assert!((log - want_log).abs() < 1e-12 * want_log.abs());
        for (g, w) in got.iter().zip(&want) {
            assert!((g[0] - w[0]).abs() < 1e-13 && (g[1] - w[1]).abs() < 1e-13, "{g:?} vs {w:?}");
        }
        // Reused buffers, without the logarithms: the same forces.
        let mut again = vec![[0.0; 2]; n];
        assert_eq!(p.attraction(&y, false, &mut buffers, &mut again).to_bits(), 0f64.to_bits());
        assert_eq!(again, got);
        let total: f64 = dense.iter().flatten().sum();
        let p_log_p: f64 = dense.iter().flatten().filter(|&&v| v > 0.0).map(|v| v * v.ln()).sum();
        assert!((total - 1.0).abs() < 1e-12);
        assert!((p.p_log_p() - p_log_p).abs() < 1e-12 * p_log_p.abs());
    }
}
