//! ε-support vector regression, scikit-learn's `SVR` (libsvm's ε-SVR) with a linear or RBF
//! kernel: errors within ±ε cost nothing, larger ones cost C per unit.
//!
//! # How it works
//! libsvm's dual with two variables per sample (α for errors above the tube, α* below),
//! solved by the same SMO as the classifier ([`crate::analysis::classify::svm`]) with its linear
//! term p = (ε − y, ε + y) and signs (+1, −1); the prediction is Σ (αᵢ − αᵢ*) K(xᵢ, x) − ρ.
//! `gamma` `None` is scikit-learn's `"scale"`: 1 / (genes × variance of X).

use ndarray::{Array2, ArrayView2};

use super::{FittedRegressor, RegressError};
use crate::analysis::classify::svm::{Kernel, kernel_value, smo};
use crate::jobs::CancelToken;

/// A fitted ε-SVR.
pub struct Svr {
    support: Array2<f64>,
    coef: Vec<f64>,
    rho: f64,
    kernel: Kernel,
    gamma: f64,
}

impl Svr {
    /// Fits on `x` (samples × features) and `y`.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[f64],
        kernel: Kernel,
        c: f64,
        epsilon: f64,
        cancel: Option<&CancelToken>,
    ) -> Result<Self, RegressError> {
        if c.is_nan() || c <= 0.0 || epsilon.is_nan() || epsilon < 0.0 {
            return Err(RegressError::Settings(format!("SVR needs C > 0 and ε ≥ 0 (C = {c}, ε = {epsilon})")));
        }
        let n = y.len();
        let gamma = kernel.gamma_for(x);
        let train = x.as_standard_layout().into_owned();
        let rows: Vec<&[f64]> = train.outer_iter().map(|r| r.to_slice().unwrap_or_default()).collect();
        let k = Array2::from_shape_fn((n, n), |(a, b)| kernel_value(kernel, gamma, rows[a], rows[b]));
        let map: Vec<usize> = (0..2 * n).map(|i| i % n).collect();
        let signs: Vec<f64> = (0..2 * n).map(|i| if i < n { 1.0 } else { -1.0 }).collect();
        let p: Vec<f64> = (0..2 * n).map(|i| if i < n { epsilon - y[i] } else { epsilon + y[i - n] }).collect();
        let (alpha, rho) = smo(&k, Some(&map), &signs, &p, c, cancel).ok_or(RegressError::Cancelled)?;
        let mut keep = Vec::new();
        let mut coef = Vec::new();
        for i in 0..n {
            let v = alpha[i] - alpha[i + n];
            if v != 0.0 {
                keep.push(i);
                coef.push(v);
            }
        }
        let support = train.select(ndarray::Axis(0), &keep);
        Ok(Self { support, coef, rho, kernel, gamma })
    }

    /// Support vectors.
    pub fn support_count(&self) -> usize {
        self.coef.len()
    }
}

impl FittedRegressor for Svr {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        x.outer_iter()
            .map(|row| {
                let row = row.to_vec();
                self.support
                    .outer_iter()
                    .zip(&self.coef)
                    .map(|(s, c)| c * kernel_value(self.kernel, self.gamma, s.as_slice().unwrap_or_default(), &row))
                    .sum::<f64>()
                    - self.rho
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_svr_fits_a_line_within_its_tube() {
        let x = Array2::from_shape_fn((30, 1), |(i, _)| i as f64 / 10.0);
        let y: Vec<f64> = (0..30).map(|i| 2.0 * f64::from(i) / 10.0 + 1.0).collect();
        let svr = Svr::fit(x.view(), &y, Kernel::Linear, 10.0, 0.1, None).unwrap();
        let p = svr.predict(x.view());
        assert!(p.iter().zip(&y).all(|(a, b)| (a - b).abs() <= 0.1 + 1e-3), "{p:?}");
        assert!(svr.support_count() >= 2);
    }
}
