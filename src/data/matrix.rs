//! The values of a dataset: a dense `f64` table (bulk data, scaled single-cell data) or a
//! sparse [`Csr`] matrix (single-cell counts), both samples × genes and cheap to share.
//!
//! Views that show values (the table, histograms, colour by gene) read either form directly.
//! Analyses that need every value as a number (distances, clustering, t-SNE on genes,
//! classifiers) ask for [`Matrix::dense`], which converts a sparse matrix only when its dense
//! form fits in memory ([`DENSE`]); otherwise the refusal says what to do first (keep the
//! highly variable genes, or a random subset of cells), as scanpy densifies only after
//! gene selection.

use std::sync::{Arc, OnceLock};

use ndarray::Array2;

use super::sparse::Csr;
use crate::memory::{self, MemoryError, MemoryRule};

/// Dense form of a samples × genes matrix: one `f64` per value.
pub const DENSE: MemoryRule = MemoryRule {
    what: "the dense matrix (every value as a number)",
    bytes: |samples, genes| memory::f64s(samples as u128 * genes as u128),
};

/// Samples × genes values, dense or sparse.
#[derive(Debug, Clone)]
pub enum Matrix {
    /// Every value stored (`NaN` where missing, before the pipeline imputes).
    Dense(Arc<Array2<f64>>),
    /// Non-zeros only, with the dense form made once when an analysis asks and it fits.
    Sparse(Arc<Csr>, Arc<OnceLock<Arc<Array2<f64>>>>),
}

impl From<Array2<f64>> for Matrix {
    fn from(m: Array2<f64>) -> Self {
        Self::Dense(Arc::new(m))
    }
}

impl From<Csr> for Matrix {
    fn from(m: Csr) -> Self {
        Self::Sparse(Arc::new(m), Arc::default())
    }
}

impl PartialEq for Matrix {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Dense(a), Self::Dense(b)) => a == b,
            (Self::Sparse(a, _), Self::Sparse(b, _)) => a == b,
            _ => false,
        }
    }
}

impl Matrix {
    /// Rows (samples).
    pub fn nrows(&self) -> usize {
        match self {
            Self::Dense(m) => m.nrows(),
            Self::Sparse(m, _) => m.nrows(),
        }
    }
    /// Columns (genes).
    pub fn ncols(&self) -> usize {
        match self {
            Self::Dense(m) => m.ncols(),
            Self::Sparse(m, _) => m.ncols(),
        }
    }
    /// (rows, columns).
    pub fn dim(&self) -> (usize, usize) {
        (self.nrows(), self.ncols())
    }
    /// True for the sparse form.
    pub fn is_sparse(&self) -> bool {
        matches!(self, Self::Sparse(..))
    }
    /// The sparse matrix, if this is one.
    pub fn as_sparse(&self) -> Option<&Csr> {
        match self {
            Self::Sparse(m, _) => Some(m),
            Self::Dense(_) => None,
        }
    }
    /// The dense matrix, if this is one.
    pub fn as_dense(&self) -> Option<&Array2<f64>> {
        match self {
            Self::Dense(m) => Some(m),
            Self::Sparse(..) => None,
        }
    }

    /// True when both hold the same values bit for bit (shared storage is not compared).
    pub fn same_values(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Dense(a), Self::Dense(b)) => {
                Arc::ptr_eq(a, b)
                    || (a.dim() == b.dim() && a.iter().zip(b.iter()).all(|(p, q)| p.to_bits() == q.to_bits()))
            }
            (Self::Sparse(a, _), Self::Sparse(b, _)) => {
                Arc::ptr_eq(a, b)
                    || (a.indptr() == b.indptr()
                        && a.indices() == b.indices()
                        && a.data().iter().zip(b.data()).all(|(p, q)| p.to_bits() == q.to_bits()))
            }
            _ => false,
        }
    }

    /// The value at (`i`, `j`).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match self {
            Self::Dense(m) => m[[i, j]],
            Self::Sparse(m, _) => m.get(i, j),
        }
    }

    /// Column `j` (one gene over every sample).
    pub fn column(&self, j: usize) -> Vec<f64> {
        match self {
            Self::Dense(m) => m.column(j).to_vec(),
            Self::Sparse(m, _) => m.column(j),
        }
    }

    /// The smallest and largest finite value.
    pub fn min_max(&self) -> (f64, f64) {
        match self {
            Self::Dense(m) => m
                .iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x))),
            Self::Sparse(m, _) => m.min_max(),
        }
    }

    /// Counts of every value in `bins` equal-width bins over its range (the zeros of a
    /// sparse matrix counted without being stored).
    pub fn histogram(&self, bins: usize) -> super::Histogram {
        match self {
            Self::Dense(m) => super::Histogram::of(m.iter(), bins),
            Self::Sparse(m, _) => {
                // As `Histogram::of` over every value, without materialising the zeros.
                let bins = bins.max(1);
                let (min, max) = m.min_max();
                if !min.is_finite() {
                    return super::Histogram { min: 0.0, width: 1.0, counts: vec![0; bins] };
                }
                let width = if max > min { (max - min) / bins as f64 } else { 1.0 };
                let bin = |v: f64| (((v - min) / width) as usize).min(bins - 1);
                let mut counts = vec![0usize; bins];
                for &v in m.data() {
                    let v = f64::from(v);
                    if v.is_finite() {
                        counts[bin(v)] += 1;
                    }
                }
                counts[bin(0.0)] += (m.nrows() * m.ncols()).saturating_sub(m.nnz());
                super::Histogram { min, width, counts }
            }
        }
    }

    /// The sparse matrix to change in place (its dense form is forgotten).
    pub fn sparse_mut(&mut self) -> Option<&mut Csr> {
        match self {
            Self::Sparse(m, cache) => {
                *cache = Arc::default();
                Some(Arc::make_mut(m))
            }
            Self::Dense(_) => None,
        }
    }

    /// The dense matrix to change in place.
    pub fn dense_mut(&mut self) -> Option<&mut Array2<f64>> {
        match self {
            Self::Dense(m) => Some(Arc::make_mut(m)),
            Self::Sparse(..) => None,
        }
    }

    /// The rows `keep`, in that order.
    #[must_use]
    pub fn select_rows(&self, keep: &[usize]) -> Self {
        match self {
            Self::Dense(m) => m.select(ndarray::Axis(0), keep).into(),
            Self::Sparse(m, _) => m.select_rows(keep).into(),
        }
    }

    /// The columns `keep` (increasing).
    #[must_use]
    pub fn select_cols(&self, keep: &[usize]) -> Self {
        match self {
            Self::Dense(m) => m.select(ndarray::Axis(1), keep).into(),
            Self::Sparse(m, _) => m.select_cols(keep).into(),
        }
    }

    /// Per-gene mean and population variance.
    pub fn mean_var(&self) -> (Vec<f64>, Vec<f64>) {
        match self {
            Self::Dense(m) => super::preprocess::mean_var(m.view()),
            Self::Sparse(m, _) => m.column_mean_var(0),
        }
    }

    /// Stored values (the non-zeros of a sparse matrix, every value of a dense one).
    pub fn stored(&self) -> usize {
        match self {
            Self::Dense(m) => m.len(),
            Self::Sparse(m, _) => m.nnz(),
        }
    }

    /// The dense form: the matrix itself when dense; when sparse, converted once (and kept
    /// with the matrix) if [`DENSE`] fits in memory, otherwise the refusal.
    pub fn dense(&self) -> Result<&Array2<f64>, MemoryError> {
        match self {
            Self::Dense(m) => Ok(m),
            Self::Sparse(m, cache) => {
                if let Some(d) = cache.get() {
                    return Ok(d);
                }
                check_dense(m.nrows(), m.ncols())?;
                let mut buffer = memory::try_zeros(m.nrows() * m.ncols(), DENSE.what)?;
                m.fill_dense(&mut buffer);
                let dense = Array2::from_shape_vec((m.nrows(), m.ncols()), buffer)
                    .expect("the buffer has rows × columns values");
                Ok(cache.get_or_init(|| Arc::new(dense)))
            }
        }
    }

    /// [`Matrix::dense`], shared (for worker threads).
    pub fn dense_arc(&self) -> Result<Arc<Array2<f64>>, MemoryError> {
        self.dense()?;
        Ok(match self {
            Self::Dense(m) => Arc::clone(m),
            Self::Sparse(_, cache) => Arc::clone(cache.get().expect("made by dense()")),
        })
    }
}

/// [`DENSE`] for `samples` × `genes`, with what to do first when it does not fit.
pub fn check_dense(samples: usize, genes: usize) -> Result<(), MemoryError> {
    DENSE.check(samples, genes).map_err(|e| match e {
        MemoryError::TooLarge { what, samples, need, available, fit } => MemoryError::TooLarge {
            what: format!("{what} of {} genes", memory::thousands(genes)),
            samples,
            need,
            available,
            fit: format!("keep the highly variable genes first (a 'highly variable genes' step, or --hvg N), or {fit}"),
        },
        other @ MemoryError::AllocationFailed { .. } => other,
    })
}

#[cfg(test)]
// Small exact values: exact comparison is the point.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn sparse_and_dense_answer_alike() {
        let d = array![[0.0, 2.0, 0.0], [1.0, 0.0, 0.0]];
        let s = Matrix::from(Csr::from_dense(&d));
        let dense = Matrix::from(d.clone());
        for m in [&s, &dense] {
            assert_eq!(m.get(0, 1), 2.0);
            assert_eq!(m.column(0), vec![0.0, 1.0]);
            assert_eq!(m.min_max(), (0.0, 2.0));
            assert_eq!(*m.dense().expect("fits"), d);
            assert_eq!(*m.dense_arc().expect("fits"), d);
        }
        assert_eq!(s.histogram(2).counts, dense.histogram(2).counts);
    }
}
