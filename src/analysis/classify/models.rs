//! The simple models: the majority-class baseline, k nearest neighbours, Gaussian naive Bayes
//! and multinomial logistic regression (L2, fitted by L-BFGS), each as scikit-learn defines it.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::{ClassifyError, Fitted};
use crate::jobs::CancelToken;

/// Predicts the most frequent training class (lowest on ties); scores are the training shares.
pub struct Baseline {
    shares: Vec<f64>,
}

impl Baseline {
    /// Counts the classes.
    pub fn fit(y: &[usize], classes: usize) -> Self {
        let mut shares = vec![0.0; classes];
        for &c in y {
            shares[c] += 1.0;
        }
        let n = y.len().max(1) as f64;
        for s in &mut shares {
            *s /= n;
        }
        Self { shares }
    }
}

impl Fitted for Baseline {
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        Array2::from_shape_fn((x.nrows(), self.shares.len()), |(_, c)| self.shares[c])
    }
}

/// Neighbour weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnWeights {
    /// Every neighbour counts one.
    #[default]
    Uniform,
    /// Neighbours count 1 / distance (an exact match takes all the weight).
    Distance,
}

/// k nearest neighbours (Euclidean), scikit-learn's `KNeighborsClassifier`.
pub struct Knn {
    train: Array2<f64>,
    y: Vec<usize>,
    classes: usize,
    k: usize,
    weights: KnnWeights,
}

impl Knn {
    /// Keeps the training data.
    pub fn fit(x: ArrayView2<'_, f64>, y: &[usize], classes: usize, k: usize, weights: KnnWeights) -> Self {
        // Standard layout: rows are read as slices.
        Self {
            train: x.as_standard_layout().into_owned(),
            y: y.to_vec(),
            classes,
            k: k.clamp(1, y.len().max(1)),
            weights,
        }
    }
}

impl Fitted for Knn {
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = Array2::zeros((x.nrows(), self.classes));
        let train: Vec<&[f64]> = self.train.outer_iter().map(|r| r.to_slice().unwrap_or_default()).collect();
        for (row, mut scores) in x.outer_iter().zip(out.outer_iter_mut()) {
            for (i, w) in weighted_neighbours(&train, &row.to_vec(), self.k, self.weights) {
                scores[self.y[i]] += w;
            }
            let total = scores.sum();
            if total > 0.0 {
                scores /= total;
            }
        }
        out
    }
}

/// The `k` rows of `train` nearest `q` (Euclidean; ties by index) with their weights: 1, or
/// 1 / distance (an exact match takes all the weight) — shared by the k-NN classifier and
/// regressor.
pub(crate) fn weighted_neighbours(train: &[&[f64]], q: &[f64], k: usize, weights: KnnWeights) -> Vec<(usize, f64)> {
    let mut d: Vec<(f64, usize)> =
        train.iter().enumerate().map(|(i, t)| (crate::analysis::distance::squared_differences(q, t), i)).collect();
    d.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    d.truncate(k);
    let exact = d.iter().any(|(dist, _)| *dist == 0.0);
    d.into_iter()
        .map(|(dist, i)| {
            let w = match weights {
                KnnWeights::Uniform => 1.0,
                KnnWeights::Distance if exact => f64::from(u8::from(dist == 0.0)),
                KnnWeights::Distance => 1.0 / dist.sqrt(),
            };
            (i, w)
        })
        .collect()
}

/// Gaussian naive Bayes, scikit-learn's `GaussianNB` (variance smoothing 1e-9 × the largest
/// gene variance).
pub struct GaussianNb {
    log_prior: Vec<f64>,
    means: Array2<f64>,
    vars: Array2<f64>,
}

impl GaussianNb {
    /// Per-class means and variances.
    pub fn fit(x: ArrayView2<'_, f64>, y: &[usize], classes: usize, var_smoothing: f64) -> Self {
        let d = x.ncols();
        // At least the smallest positive number: all-constant genes would divide by zero.
        let epsilon =
            (var_smoothing * x.var_axis(Axis(0), 0.0).iter().copied().fold(0.0, f64::max)).max(f64::MIN_POSITIVE);
        let mut means = Array2::zeros((classes, d));
        let mut vars = Array2::from_elem((classes, d), epsilon);
        let mut log_prior = vec![f64::NEG_INFINITY; classes];
        for (c, prior) in log_prior.iter_mut().enumerate() {
            let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
            if rows.is_empty() {
                continue;
            }
            let sub = x.select(Axis(0), &rows);
            let mean = sub.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d));
            let var = sub.var_axis(Axis(0), 0.0);
            means.row_mut(c).assign(&mean);
            vars.row_mut(c).zip_mut_with(&var, |v, s| *v += s);
            *prior = (rows.len() as f64 / y.len() as f64).ln();
        }
        Self { log_prior, means, vars }
    }
}

impl Fitted for GaussianNb {
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let classes = self.log_prior.len();
        let mut out = Array2::zeros((x.nrows(), classes));
        for (row, mut scores) in x.outer_iter().zip(out.outer_iter_mut()) {
            for c in 0..classes {
                let mut ll = self.log_prior[c];
                for ((v, m), s) in row.iter().zip(self.means.row(c)).zip(self.vars.row(c)) {
                    ll -= 0.5 * ((2.0 * std::f64::consts::PI * s).ln() + (v - m) * (v - m) / s);
                }
                scores[c] = ll;
            }
            softmax_in_place(scores.as_slice_mut().unwrap_or_default());
        }
        out
    }
}

/// Turns log-scores into probabilities.
pub(super) fn softmax_in_place(v: &mut [f64]) {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return;
    }
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

/// Multinomial logistic regression with an L2 penalty, scikit-learn's `LogisticRegression(C)`:
/// it minimises C · Σ log-loss + ½ ‖W‖² (the intercepts unpenalised), fitted by L-BFGS.
pub struct Logistic {
    /// Classes × genes.
    pub weights: Array2<f64>,
    /// One per class.
    pub intercepts: Array1<f64>,
}

impl Logistic {
    /// Fits to convergence (gradient below 1e-6 per sample) or 5,000 iterations.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[usize],
        classes: usize,
        c: f64,
        cancel: Option<&CancelToken>,
    ) -> Result<Self, ClassifyError> {
        let (n, d) = x.dim();
        let k = classes;
        let mut onehot = Array2::<f64>::zeros((n, k));
        for (i, &c) in y.iter().enumerate() {
            onehot[[i, c]] = 1.0;
        }
        let scale = 1.0 / n.max(1) as f64;
        // Two classes: scikit-learn fits one vector v with penalty ½‖v‖². The softmax's optimum
        // has w₁ = −w₀ = v / 2, whose penalty ½(‖w₀‖² + ‖w₁‖²) is ¼‖v‖²: doubling λ makes the two
        // the same model.
        let lambda = if k == 2 { 2.0 } else { 1.0 } / (c * n.max(1) as f64);
        // f(θ) = 1/n Σ loss + 1/(2Cn) ‖W‖²: scikit-learn's scaling, the same minimiser.
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let w = ArrayView2::from_shape((k, d), &theta[..k * d]).expect("shape");
            let b = &theta[k * d..];
            let mut z = x.dot(&w.t());
            let mut loss = 0.0;
            for (mut row, truth) in z.outer_iter_mut().zip(onehot.outer_iter()) {
                row.iter_mut().zip(b).for_each(|(v, bi)| *v += bi);
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                loss += lse - row.dot(&truth);
                row.mapv_inplace(|v| (v - lse).exp());
            }
            // z now holds probabilities: the gradient is (P − Y)ᵀ X / n + λ W.
            z -= &onehot;
            let gw = z.t().dot(&x);
            let mut reg = 0.0;
            for (idx, g) in grad[..k * d].iter_mut().enumerate() {
                let wv = theta[idx];
                *g = gw[[idx / d, idx % d]] * scale + lambda * wv;
                reg += wv * wv;
            }
            for (ci, g) in grad[k * d..].iter_mut().enumerate() {
                *g = z.column(ci).sum() * scale;
            }
            loss * scale + 0.5 * lambda * reg
        };
        let theta = lbfgs(vec![0.0; k * d + k], objective, 5000, 1e-6, cancel)?;
        let weights = Array2::from_shape_vec((k, d), theta[..k * d].to_vec()).map_err(|_| ClassifyError::Internal)?;
        Ok(Self { weights, intercepts: Array1::from(theta[k * d..].to_vec()) })
    }
}

impl Fitted for Logistic {
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut z = x.dot(&self.weights.t()) + &self.intercepts;
        for mut row in z.outer_iter_mut() {
            softmax_in_place(row.as_slice_mut().unwrap_or_default());
        }
        z
    }
}

/// Minimises `f` from `x0` by L-BFGS (10 corrections, backtracking Armijo line search) until
/// the largest gradient component is below `tol` or `max_iter` iterations.
fn lbfgs(
    mut x: Vec<f64>,
    f: impl Fn(&[f64], &mut [f64]) -> f64,
    max_iter: usize,
    tol: f64,
    cancel: Option<&CancelToken>,
) -> Result<Vec<f64>, ClassifyError> {
    const MEMORY: usize = 10;
    let dim = x.len();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let mut g = vec![0.0; dim];
    let mut fx = f(&x, &mut g);
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> = std::collections::VecDeque::new();
    let mut new_g = vec![0.0; dim];
    for iteration in 0..max_iter {
        if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) <= tol {
            break;
        }
        if iteration % 16 == 0 && cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(ClassifyError::Cancelled);
        }
        // Two-loop recursion: direction = −H g.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, yv, rho) in history.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(yv).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push(a);
        }
        let gamma = history.back().map_or(1.0 / dot(&g, &g).sqrt().max(1e-12), |(s, yv, _)| dot(s, yv) / dot(yv, yv));
        for v in &mut q {
            *v *= gamma;
        }
        for ((s, yv, rho), a) in history.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(yv, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
        }
        let direction: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &direction);
        let direction = if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart along −g.
            history.clear();
            slope = -dot(&g, &g);
            g.iter().map(|v| -v).collect()
        } else {
            direction
        };
        let mut step = 1.0;
        let mut trial = vec![0.0; dim];
        let mut f_new;
        loop {
            trial.iter_mut().zip(&x).zip(&direction).for_each(|((t, xi), di)| *t = xi + step * di);
            f_new = f(&trial, &mut new_g);
            if f_new <= fx + 1e-4 * step * slope || step < 1e-12 {
                break;
            }
            step *= 0.5;
        }
        let s: Vec<f64> = trial.iter().zip(&x).map(|(t, xi)| t - xi).collect();
        let yv: Vec<f64> = new_g.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &yv);
        let converged = (fx - f_new).abs() <= 1e-15 * fx.abs().max(1.0) && step < 1e-10;
        x.clone_from(&trial);
        g.clone_from(&new_g);
        fx = f_new;
        if sy > 1e-16 {
            history.push_back((s, yv, 1.0 / sy));
            if history.len() > MEMORY {
                history.pop_front();
            }
        }
        if converged {
            break;
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Models read rows as slices: a column-major input (as `select` along genes gives) must
    /// give the same answers as a row-major one.
    #[test]
    fn column_major_input_is_read_correctly() {
        let x = ndarray::array![[0.0, 0.0], [0.1, 0.2], [5.0, 5.0], [5.1, 4.9], [0.2, 0.1], [4.8, 5.2]];
        let y = [0, 0, 1, 1, 0, 1];
        let fortran = x.t().as_standard_layout().into_owned();
        let fortran = fortran.t();
        assert!(fortran.as_slice().is_none(), "the test needs a column-major view");
        let query = ndarray::array![[0.05, 0.05], [5.0, 5.1]];
        for input in [x.view(), fortran] {
            let knn = Knn::fit(input, &y, 2, 3, KnnWeights::Uniform);
            assert_eq!(knn.predict(query.view()), vec![0, 1]);
            let svm = super::super::svm::Svm::fit(input, &y, 2, super::super::svm::Kernel::Linear, 1.0, None).unwrap();
            assert_eq!(svm.predict(query.view()), vec![0, 1]);
        }
    }
}
