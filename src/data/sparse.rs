//! Sparse matrices for single-cell counts: compressed sparse rows (CSR).
//!
//! # Why this layout
//! A single-cell experiment is 10⁴–10⁶ cells × 20,000–35,000 genes with 90–95 % zeros. Dense
//! `f64` would need ~17 GB for 100,000 cells; CSR stores only the non-zeros.
//! - **Rows are cells** (samples), as everywhere in Biolens, so per-cell work (QC metrics,
//!   `normalize_total`, subsetting cells) walks contiguous memory; per-gene statistics are one
//!   pass that scatters into a gene-length accumulator.
//! - **Values are `f32`**: counts are integers far below 2²⁴ (exact in `f32`), and a
//!   normalised or log value keeps ~6·10⁻⁸ relative precision, well inside the 10⁻⁶ the scanpy
//!   comparison asks. Every sum and statistic accumulates in `f64`. This halves the memory of
//!   the dominant array, as anndata does with its `float32` X.
//! - **Column indices are `u32`** (no experiment has 4 billion genes): 4 bytes per non-zero
//!   instead of 8. Row pointers are `usize`: 10⁶ cells × 5,000 genes detected exceeds 2³².
//!
//! A matrix is *canonical*: indices sorted within each row, no duplicates, no stored zeros
//! are not required (a stored zero is harmless). [`Csr::new`] checks a file's arrays and says
//! what is wrong; every other constructor keeps the invariants itself.

use ndarray::Array2;
use rayon::prelude::*;

/// What is wrong with the arrays of a sparse matrix (the readers add the file and HDF5 path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    /// `indptr` does not have `rows + 1` entries.
    #[error("the index pointer has {found} entries but {rows} rows need {}", rows + 1)]
    PointerLength {
        /// Entries found.
        found: usize,
        /// Rows of the matrix.
        rows: usize,
    },
    /// `indptr` decreases, does not start at 0, or does not end at the number of values.
    #[error("the index pointer is not valid at row {row}: {why}")]
    Pointer {
        /// The row.
        row: usize,
        /// What is wrong.
        why: String,
    },
    /// `indices` and `data` differ in length.
    #[error("{indices} indices but {values} values")]
    Lengths {
        /// Length of `indices`.
        indices: usize,
        /// Length of `data`.
        values: usize,
    },
    /// An index is outside the minor dimension.
    #[error("index {index} at position {position} is out of range (there are {limit})")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// Its position in `indices`.
        position: usize,
        /// The size of the dimension.
        limit: usize,
    },
}

/// A cells × genes sparse matrix in CSR form (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    rows: usize,
    cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f32>,
}

impl Csr {
    /// Checks and assembles a matrix from its arrays; unsorted rows are sorted and duplicate
    /// entries summed (scipy allows both).
    pub fn new(
        rows: usize,
        cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        data: Vec<f32>,
    ) -> Result<Self, CsrError> {
        check_arrays(rows, cols, &indptr, &indices, data.len())?;
        let mut m = Self { rows, cols, indptr, indices, data };
        m.canonicalise();
        Ok(m)
    }

    /// A matrix from compressed-column arrays (rows × cols): the transpose of the CSR matrix
    /// those arrays describe, checked like [`Csr::new`].
    pub fn from_csc(
        rows: usize,
        cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        data: Vec<f32>,
    ) -> Result<Self, CsrError> {
        Ok(Self::new(cols, rows, indptr, indices, data)?.transpose())
    }

    /// A matrix from (row, column, value) entries in any order; repeated entries are summed.
    /// Indices must be in range (the caller checked them).
    pub fn from_triplets(rows: usize, cols: usize, entries: &[(u32, u32, f32)]) -> Self {
        let mut indptr = vec![0usize; rows + 1];
        for &(i, _, _) in entries {
            indptr[i as usize + 1] += 1;
        }
        for i in 0..rows {
            indptr[i + 1] += indptr[i];
        }
        let mut next = indptr.clone();
        let mut indices = vec![0u32; entries.len()];
        let mut data = vec![0f32; entries.len()];
        for &(i, j, v) in entries {
            let at = next[i as usize];
            indices[at] = j;
            data[at] = v;
            next[i as usize] += 1;
        }
        let mut m = Self { rows, cols, indptr, indices, data };
        m.canonicalise();
        m
    }

    /// The non-zeros of a dense matrix.
    pub fn from_dense(m: &Array2<f64>) -> Self {
        let mut indptr = Vec::with_capacity(m.nrows() + 1);
        indptr.push(0);
        let (mut indices, mut data) = (Vec::new(), Vec::new());
        for row in m.rows() {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    indices.push(j as u32);
                    data.push(v as f32);
                }
            }
            indptr.push(data.len());
        }
        Self { rows: m.nrows(), cols: m.ncols(), indptr, indices, data }
    }

    /// Rows (cells).
    pub fn nrows(&self) -> usize {
        self.rows
    }
    /// Columns (genes).
    pub fn ncols(&self) -> usize {
        self.cols
    }
    /// (rows, columns).
    pub fn dim(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    /// Stored values.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }
    /// The fraction of entries stored.
    pub fn density(&self) -> f64 {
        let cells = self.rows as f64 * self.cols as f64;
        if cells == 0.0 { 0.0 } else { self.nnz() as f64 / cells }
    }
    /// Row pointers (`rows + 1`).
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }
    /// Column index of every stored value.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }
    /// Stored values.
    pub fn data(&self) -> &[f32] {
        &self.data
    }
    /// Stored values, to change in place (the pattern stays).
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Column indices and values of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let range = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[range.clone()], &self.data[range])
    }

    /// The value at (`i`, `j`).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let (idx, val) = self.row(i);
        idx.binary_search(&(j as u32)).map_or(0.0, |k| f64::from(val[k]))
    }

    /// Column `j` as dense values, one per row.
    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.rows).into_par_iter().with_min_len(4096).map(|i| self.get(i, j)).collect()
    }

    /// The dense matrix (the caller checks that it fits: see `memory`).
    pub fn to_dense(&self) -> Array2<f64> {
        let mut out = Array2::zeros((self.rows, self.cols));
        self.fill_dense(out.as_slice_mut().expect("a new array is contiguous"));
        out
    }

    /// Writes the matrix into a zeroed row-major buffer of `rows × cols`.
    pub fn fill_dense(&self, out: &mut [f64]) {
        if self.cols == 0 {
            return;
        }
        out.par_chunks_mut(self.cols).enumerate().for_each(|(i, row)| {
            let (idx, val) = self.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                row[j as usize] = f64::from(v);
            }
        });
    }

    /// The transpose (also: this matrix in compressed-column form).
    #[must_use]
    pub fn transpose(&self) -> Self {
        let mut counts = vec![0usize; self.cols + 1];
        for &j in &self.indices {
            counts[j as usize + 1] += 1;
        }
        for j in 0..self.cols {
            counts[j + 1] += counts[j];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut data = vec![0f32; self.nnz()];
        for i in 0..self.rows {
            let (idx, val) = self.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                let at = next[j as usize];
                indices[at] = i as u32;
                data[at] = v;
                next[j as usize] += 1;
            }
        }
        Self { rows: self.cols, cols: self.rows, indptr, indices, data }
    }

    /// The rows `keep`, in that order.
    #[must_use]
    pub fn select_rows(&self, keep: &[usize]) -> Self {
        let nnz: usize = keep.iter().map(|&i| self.indptr[i + 1] - self.indptr[i]).sum();
        let mut indptr = Vec::with_capacity(keep.len() + 1);
        indptr.push(0);
        let mut indices = Vec::with_capacity(nnz);
        let mut data = Vec::with_capacity(nnz);
        for &i in keep {
            let (idx, val) = self.row(i);
            indices.extend_from_slice(idx);
            data.extend_from_slice(val);
            indptr.push(data.len());
        }
        Self { rows: keep.len(), cols: self.cols, indptr, indices, data }
    }

    /// The columns `keep` (increasing), renumbered `0..keep.len()`.
    #[must_use]
    pub fn select_cols(&self, keep: &[usize]) -> Self {
        const DROPPED: u32 = u32::MAX;
        let mut new_index = vec![DROPPED; self.cols];
        for (new, &old) in keep.iter().enumerate() {
            new_index[old] = new as u32;
        }
        let mut indptr = Vec::with_capacity(self.rows + 1);
        indptr.push(0);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        for i in 0..self.rows {
            let (idx, val) = self.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                let n = new_index[j as usize];
                if n != DROPPED {
                    indices.push(n);
                    data.push(v);
                }
            }
            indptr.push(data.len());
        }
        let mut m = Self { rows: self.rows, cols: keep.len(), indptr, indices, data };
        if !keep.is_sorted() {
            m.canonicalise();
        }
        m
    }

    /// The sum of each row.
    pub fn row_sums(&self) -> Vec<f64> {
        (0..self.rows)
            .into_par_iter()
            .with_min_len(1024)
            .map(|i| self.row(i).1.iter().map(|&v| f64::from(v)).sum())
            .collect()
    }

    /// The number of non-zero values in each column.
    pub fn column_nonzeros(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.cols];
        for (&j, &v) in self.indices.iter().zip(&self.data) {
            if v != 0.0 {
                counts[j as usize] += 1;
            }
        }
        counts
    }

    /// The sum of each column.
    pub fn column_sums(&self) -> Vec<f64> {
        self.column_fold(|acc, v| acc + v)
    }

    /// Per-column mean and variance with `ddof` delta degrees of freedom (0: population, 1:
    /// sample, as scanpy), over all rows including the zeros. Sums in `f64`: the mean first,
    /// then the squared deviations of the stored values plus the zeros' share, so a large
    /// mean does not cancel as `E[x²] − E[x]²` would.
    pub fn column_mean_var(&self, ddof: usize) -> (Vec<f64>, Vec<f64>) {
        let n = self.rows as f64;
        let sums = self.column_sums();
        let mean: Vec<f64> = sums.iter().map(|s| if n > 0.0 { s / n } else { 0.0 }).collect();
        let squares = self.column_fold_with(&mean, |acc, v, mu| acc + (v - mu) * (v - mu));
        let stored = self.column_nonzeros_stored();
        let denominator = (n - ddof as f64).max(0.0);
        let var = squares
            .iter()
            .zip(&mean)
            .zip(&stored)
            .map(|((&sq, &mu), &k)| {
                let zeros = n - k as f64;
                if denominator > 0.0 { (sq + zeros * mu * mu) / denominator } else { f64::NAN }
            })
            .collect();
        (mean, var)
    }

    /// [`Csr::column_mean_var`] of `f` applied to every value (`f(0)` must be 0), without a
    /// copy of the matrix (scanpy's `seurat` flavour: the statistics of `expm1(x)`).
    pub fn column_mean_var_of(&self, f: impl Fn(f64) -> f64 + Sync, ddof: usize) -> (Vec<f64>, Vec<f64>) {
        let n = self.rows as f64;
        // f is applied in f32 and widened, as NumPy applies it to a float32 matrix.
        let g = |v: f64| f64::from(f(v) as f32);
        let sums = self.column_fold_with(&vec![0.0; self.cols], |acc, v, _| acc + g(v));
        let mean: Vec<f64> = sums.iter().map(|s| if n > 0.0 { s / n } else { 0.0 }).collect();
        let squares = self.column_fold_with(&mean, |acc, v, mu| acc + (g(v) - mu) * (g(v) - mu));
        let stored = self.column_nonzeros_stored();
        let denominator = (n - ddof as f64).max(0.0);
        let var = squares
            .iter()
            .zip(&mean)
            .zip(&stored)
            .map(
                |((&sq, &mu), &k)| {
                    if denominator > 0.0 { (sq + (n - k as f64) * mu * mu) / denominator } else { f64::NAN }
                },
            )
            .collect();
        (mean, var)
    }

    /// Multiplies each row `i` by `factors[i]` in place.
    pub fn scale_rows(&mut self, factors: &[f64]) {
        let indptr = &self.indptr;
        let mut chunks: Vec<&mut [f32]> = Vec::with_capacity(self.rows);
        let mut rest = self.data.as_mut_slice();
        for i in 0..self.rows {
            let (row, tail) = rest.split_at_mut(indptr[i + 1] - indptr[i]);
            chunks.push(row);
            rest = tail;
        }
        chunks.into_par_iter().zip(factors.par_iter()).for_each(|(row, &f)| {
            for v in row {
                *v = (f64::from(*v) * f) as f32;
            }
        });
    }

    /// Applies `f` to every stored value in place (`f(0)` must be 0 for the result to mean
    /// what it says: log1p, scaling).
    pub fn map_values(&mut self, f: impl Fn(f64) -> f64 + Sync) {
        self.data.par_iter_mut().with_min_len(65_536).for_each(|v| *v = f(f64::from(*v)) as f32);
    }

    /// The smallest and largest value, counting the zeros that are not stored.
    pub fn min_max(&self) -> (f64, f64) {
        let (lo, hi) = self
            .data
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(f64::from(v)), hi.max(f64::from(v))));
        if self.nnz() < self.rows * self.cols { (lo.min(0.0), hi.max(0.0)) } else { (lo, hi) }
    }

    /// The first stored value (in row order) that `bad` rejects, with its row and column.
    pub fn find(&self, bad: impl Fn(f64) -> bool) -> Option<(usize, usize, f64)> {
        let k = self.data.iter().position(|&v| bad(f64::from(v)))?;
        let i = self.indptr.partition_point(|&p| p <= k) - 1;
        Some((i, self.indices[k] as usize, f64::from(self.data[k])))
    }

    fn column_nonzeros_stored(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.cols];
        for &j in &self.indices {
            counts[j as usize] += 1;
        }
        counts
    }

    fn column_fold(&self, f: impl Fn(f64, f64) -> f64 + Sync) -> Vec<f64> {
        self.column_fold_with(&vec![0.0; self.cols], |acc, v, _| f(acc, v))
    }

    /// Folds the stored values into one accumulator per column, in parallel over row blocks.
    fn column_fold_with(&self, per_column: &[f64], f: impl Fn(f64, f64, f64) -> f64 + Sync) -> Vec<f64> {
        let cols = self.cols;
        let block = (self.rows / (rayon::current_num_threads() * 4)).max(2048);
        (0..self.rows.div_ceil(block).max(1))
            .into_par_iter()
            .map(|b| {
                let mut acc = vec![0.0; cols];
                let start = self.indptr[(b * block).min(self.rows)];
                let end = self.indptr[((b + 1) * block).min(self.rows)];
                for (&j, &v) in self.indices[start..end].iter().zip(&self.data[start..end]) {
                    let j = j as usize;
                    acc[j] = f(acc[j], f64::from(v), per_column[j]);
                }
                acc
            })
            .reduce(
                || vec![0.0; cols],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            )
    }

    /// Sorts each row's indices and sums duplicates.
    fn canonicalise(&mut self) {
        let sorted = (0..self.rows).all(|i| self.row(i).0.windows(2).all(|w| w[0] < w[1]));
        if sorted {
            return;
        }
        let mut indptr = Vec::with_capacity(self.rows + 1);
        indptr.push(0);
        let mut indices = Vec::with_capacity(self.nnz());
        let mut data = Vec::with_capacity(self.nnz());
        let mut pairs: Vec<(u32, f32)> = Vec::new();
        for i in 0..self.rows {
            let (idx, val) = self.row(i);
            pairs.clear();
            pairs.extend(idx.iter().copied().zip(val.iter().copied()));
            pairs.sort_by_key(|&(j, _)| j);
            for &(j, v) in &pairs {
                if indices.len() > *indptr.last().unwrap_or(&0) && indices.last() == Some(&j) {
                    *data.last_mut().expect("a value per index") += v;
                } else {
                    indices.push(j);
                    data.push(v);
                }
            }
            indptr.push(data.len());
        }
        self.indptr = indptr;
        self.indices = indices;
        self.data = data;
    }
}

/// Checks the arrays of a compressed matrix with `major` rows of `minor` columns.
pub fn check_arrays(
    major: usize,
    minor: usize,
    indptr: &[usize],
    indices: &[u32],
    values: usize,
) -> Result<(), CsrError> {
    if indptr.len() != major + 1 {
        return Err(CsrError::PointerLength { found: indptr.len(), rows: major });
    }
    if indices.len() != values {
        return Err(CsrError::Lengths { indices: indices.len(), values });
    }
    if indptr[0] != 0 {
        return Err(CsrError::Pointer { row: 0, why: format!("it starts at {} instead of 0", indptr[0]) });
    }
    if let Some(row) = indptr.windows(2).position(|w| w[1] < w[0]) {
        return Err(CsrError::Pointer {
            row,
            why: format!("it decreases from {} to {}", indptr[row], indptr[row + 1]),
        });
    }
    if indptr[major] != values {
        return Err(CsrError::Pointer {
            row: major,
            why: format!("it ends at {} but there are {values} values", indptr[major]),
        });
    }
    if let Some(position) = indices.iter().position(|&j| j as usize >= minor) {
        return Err(CsrError::IndexOutOfRange { index: u64::from(indices[position]), position, limit: minor });
    }
    Ok(())
}

#[cfg(test)]
// Small exact values: exact comparison is the point.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use ndarray::array;

    fn example() -> Array2<f64> {
        array![[0.0, 2.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], [3.0, 0.0, 4.0, 0.0]]
    }

    #[test]
    fn dense_round_trip_and_access() {
        let m = Csr::from_dense(&example());
        assert_eq!((m.nrows(), m.ncols(), m.nnz()), (3, 4, 4));
        assert_eq!(m.to_dense(), example());
        assert_eq!(m.get(2, 2), 4.0);
        assert_eq!(m.get(1, 2), 0.0);
        assert_eq!(m.column(0), vec![0.0, 0.0, 3.0]);
        assert_eq!(m.transpose().to_dense(), example().t().to_owned());
        assert_eq!(m.row_sums(), vec![3.0, 0.0, 7.0]);
        assert_eq!(m.column_nonzeros(), vec![1, 1, 1, 1]);
        assert_eq!(m.min_max(), (0.0, 4.0));
    }

    #[test]
    fn selections_follow_the_dense_ones() {
        let m = Csr::from_dense(&example());
        let rows = m.select_rows(&[2, 0]);
        assert_eq!(rows.to_dense(), array![[3.0, 0.0, 4.0, 0.0], [0.0, 2.0, 0.0, 1.0]]);
        let cols = m.select_cols(&[1, 2]);
        assert_eq!(cols.to_dense(), array![[2.0, 0.0], [0.0, 0.0], [0.0, 4.0]]);
    }

    #[test]
    fn column_statistics_match_the_dense_formula() {
        let d = example();
        let m = Csr::from_dense(&d);
        let (mean, var) = m.column_mean_var(1);
        for j in 0..4 {
            let c = d.column(j);
            let mu = c.sum() / 3.0;
            let v = c.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / 2.0;
            assert!((mean[j] - mu).abs() < 1e-12 && (var[j] - v).abs() < 1e-12, "column {j}");
        }
    }

    #[test]
    fn triplets_in_any_order_with_repeats_summed() {
        let m = Csr::from_triplets(2, 3, &[(1, 2, 1.0), (0, 1, 2.0), (1, 0, 3.0), (1, 2, 4.0)]);
        assert_eq!(m.to_dense(), array![[0.0, 2.0, 0.0], [3.0, 0.0, 5.0]]);
    }

    #[test]
    fn unsorted_rows_are_sorted_and_duplicates_summed() {
        let m = Csr::new(2, 3, vec![0, 3, 4], vec![2, 0, 2, 1], vec![1.0, 2.0, 3.0, 5.0]).expect("valid");
        assert_eq!(m.to_dense(), array![[2.0, 0.0, 4.0], [0.0, 5.0, 0.0]]);
    }

    #[test]
    fn bad_arrays_say_what_is_wrong() {
        let err = |indptr: Vec<usize>, indices: Vec<u32>, n| Csr::new(2, 3, indptr, indices, vec![1.0; n]).unwrap_err();
        assert!(matches!(err(vec![0, 1], vec![0], 1), CsrError::PointerLength { found: 2, rows: 2 }));
        assert!(matches!(err(vec![0, 2, 1], vec![0, 1], 2), CsrError::Pointer { row: 1, .. }));
        assert!(matches!(err(vec![0, 1, 3], vec![0, 1], 2), CsrError::Pointer { row: 2, .. }));
        let e = err(vec![0, 1, 2], vec![0, 7], 2);
        assert_eq!(e.to_string(), "index 7 at position 1 is out of range (there are 3)");
        let csc = Csr::from_csc(3, 2, vec![0, 1, 2], vec![2, 0], vec![1.0, 2.0]).expect("valid");
        assert_eq!(csc.to_dense(), array![[0.0, 2.0], [0.0, 0.0], [1.0, 0.0]]);
    }

    #[test]
    fn row_scaling_and_mapping() {
        let mut m = Csr::from_dense(&example());
        m.scale_rows(&[2.0, 1.0, 0.5]);
        m.map_values(f64::ln_1p);
        let expect = example().mapv(|x| x) * array![[2.0], [1.0], [0.5]];
        let expect = expect.mapv(f64::ln_1p);
        assert!((m.to_dense() - expect).iter().all(|d| d.abs() < 1e-6));
        assert_eq!(m.find(|v| v > 1.0).map(|(i, j, _)| (i, j)), Some((0, 1)));
    }
}
