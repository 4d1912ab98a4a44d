//! Support vector machines: scikit-learn's `SVC` (libsvm's C-SVC) with a linear or RBF
//! kernel, one-vs-one over the classes.
//!
//! # Why not linfa-svm
//! linfa-svm builds the full n × n kernel matrix of the training set and has no
//! one-vs-one multiclass mode that matches scikit-learn's; here each pair of classes is solved
//! on its own samples only, and for the sizes this app cross-validates (hundreds to a few
//! thousand samples) the pair's kernel matrix is small.
//!
//! # How it works
//! Each binary problem is libsvm's dual with SMO and its second-order working-set selection
//! (Fan, Chen & Lin 2005), stopping at a KKT violation below 1e-3 (scikit-learn's `tol`);
//! the offset is libsvm's (mean over free vectors, else the middle of the bounds). Prediction
//! is by votes, lowest class first on ties (libsvm's); scores are scikit-learn's
//! `decision_function_shape="ovr"`: votes plus bounded summed confidences.

use ndarray::{Array2, ArrayView2};

use super::{ClassifyError, Fitted};
use crate::jobs::CancelToken;

/// The kernel.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// x · y.
    Linear,
    /// exp(−γ ‖x − y‖²); `None` is scikit-learn's `gamma="scale"`: 1 / (genes × variance of X).
    Rbf {
        /// γ.
        gamma: Option<f64>,
    },
}

impl Kernel {
    /// The RBF width for training data `x`: the one given, or scikit-learn's `"scale"`,
    /// 1 / (genes × variance of X) (1 for constant data); 0 for the linear kernel.
    pub fn gamma_for(self, x: ArrayView2<'_, f64>) -> f64 {
        match self {
            Self::Linear => 0.0,
            Self::Rbf { gamma: Some(g) } => g,
            Self::Rbf { gamma: None } => {
                let var = x.var(0.0);
                if var > 0.0 { 1.0 / (x.ncols() as f64 * var) } else { 1.0 }
            }
        }
    }
}

/// One binary machine: support vectors (rows of the training set), their α·y, the offset.
struct Binary {
    support: Vec<usize>,
    coef: Vec<f64>,
    rho: f64,
}

/// A fitted one-vs-one SVM.
pub struct Svm {
    train: Array2<f64>,
    kernel: Kernel,
    gamma: f64,
    classes: usize,
    /// Machines for pairs (i, j), i < j, in order.
    machines: Vec<Binary>,
}

impl Svm {
    /// Fits one machine per pair of classes.
    pub fn fit(
        x: ArrayView2<'_, f64>,
        y: &[usize],
        classes: usize,
        kernel: Kernel,
        c: f64,
        cancel: Option<&CancelToken>,
    ) -> Result<Self, ClassifyError> {
        let gamma = kernel.gamma_for(x);
        // Standard layout: rows are read as slices.
        let train = x.as_standard_layout().into_owned();
        let mut machines = Vec::new();
        for a in 0..classes {
            for b in a + 1..classes {
                if cancel.is_some_and(CancelToken::is_cancelled) {
                    return Err(ClassifyError::Cancelled);
                }
                let members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == a || y[i] == b).collect();
                let labels: Vec<f64> = members.iter().map(|&i| if y[i] == a { 1.0 } else { -1.0 }).collect();
                let k = Array2::from_shape_fn((members.len(), members.len()), |(p, q)| {
                    kernel_value(
                        kernel,
                        gamma,
                        train.row(members[p]).as_slice().unwrap_or_default(),
                        train.row(members[q]).as_slice().unwrap_or_default(),
                    )
                });
                let ones = vec![-1.0; labels.len()];
                let (alpha, rho) = smo(&k, None, &labels, &ones, c, cancel).ok_or(ClassifyError::Cancelled)?;
                let mut support = Vec::new();
                let mut coef = Vec::new();
                for (p, &al) in alpha.iter().enumerate() {
                    if al > 0.0 {
                        support.push(members[p]);
                        coef.push(al * labels[p]);
                    }
                }
                machines.push(Binary { support, coef, rho });
            }
        }
        Ok(Self { train, kernel, gamma, classes, machines })
    }

    /// Decision values of every machine for one sample (positive: the pair's first class).
    fn decisions(&self, row: &[f64]) -> Vec<f64> {
        self.machines
            .iter()
            .map(|m| {
                m.support
                    .iter()
                    .zip(&m.coef)
                    .map(|(&s, &c)| {
                        c * kernel_value(self.kernel, self.gamma, self.train.row(s).as_slice().unwrap_or_default(), row)
                    })
                    .sum::<f64>()
                    - m.rho
            })
            .collect()
    }
}

/// The kernel's value for two rows (`gamma` resolved).
pub(crate) fn kernel_value(kernel: Kernel, gamma: f64, a: &[f64], b: &[f64]) -> f64 {
    match kernel {
        Kernel::Linear => a.iter().zip(b).map(|(x, y)| x * y).sum(),
        Kernel::Rbf { .. } => (-gamma * crate::analysis::distance::squared_differences(a, b)).exp(),
    }
}

impl Fitted for Svm {
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let k = self.classes;
        let mut out = Array2::zeros((x.nrows(), k));
        for (row, mut scores) in x.outer_iter().zip(out.outer_iter_mut()) {
            let row = row.to_vec();
            let decisions = self.decisions(&row);
            let mut votes = vec![0.0; k];
            let mut confidence = vec![0.0; k];
            let mut m = 0;
            for a in 0..k {
                for b in a + 1..k {
                    let d = decisions[m];
                    if d > 0.0 {
                        votes[a] += 1.0;
                    } else {
                        votes[b] += 1.0;
                    }
                    confidence[a] += d;
                    confidence[b] -= d;
                    m += 1;
                }
            }
            for c in 0..k {
                scores[c] = votes[c] + confidence[c] / (3.0 * (confidence[c].abs() + 1.0));
            }
        }
        out
    }

    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<usize> {
        // libsvm: the most votes, the lowest class on ties (confidences do not break ties).
        self.scores(x)
            .outer_iter()
            .map(|s| {
                let votes: Vec<f64> = s.iter().map(|v| v.round()).collect();
                let best = votes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                votes.iter().position(|&v| v >= best).unwrap_or(0)
            })
            .collect()
    }
}

/// libsvm's SMO for min ½ αᵀQα + pᵀα, 0 ≤ α ≤ C, yᵀα = 0 with `Q_ij = y_i y_j K(m(i), m(j))`,
/// where `map` m sends each variable to its row of the kernel matrix `k` (`None`: itself;
/// ε-SVR has two variables per sample); C-SVC is p = −1. Returns α and ρ (`None`: cancelled,
/// checked every 1,000 iterations).
pub(crate) fn smo(
    k: &Array2<f64>,
    map: Option<&[usize]>,
    y: &[f64],
    p: &[f64],
    c: f64,
    cancel: Option<&CancelToken>,
) -> Option<(Vec<f64>, f64)> {
    const TAU: f64 = 1e-12;
    const EPS: f64 = 1e-3;
    let n = y.len();
    let row = |i: usize| map.map_or(i, |m| m[i]);
    let kernel = |i: usize, j: usize| k[[row(i), row(j)]];
    let q = |i: usize, j: usize| y[i] * y[j] * kernel(i, j);
    let mut alpha = vec![0.0; n];
    let mut grad = p.to_vec();
    let up = |a: f64, yi: f64| (yi > 0.0 && a < c) || (yi < 0.0 && a > 0.0);
    let low = |a: f64, yi: f64| (yi > 0.0 && a > 0.0) || (yi < 0.0 && a < c);
    let max_iter = (100 * n).max(10_000_000);
    for iteration in 0..max_iter {
        if iteration % 1000 == 999 && cancel.is_some_and(CancelToken::is_cancelled) {
            return None;
        }
        // Working set: i maximal violator, j by second-order gain.
        let mut g_max = f64::NEG_INFINITY;
        let mut i = usize::MAX;
        for t in 0..n {
            if up(alpha[t], y[t]) && -y[t] * grad[t] >= g_max {
                g_max = -y[t] * grad[t];
                i = t;
            }
        }
        let mut g_min = f64::INFINITY;
        let mut j = usize::MAX;
        let mut best = f64::INFINITY;
        for t in 0..n {
            if !low(alpha[t], y[t]) {
                continue;
            }
            let v = -y[t] * grad[t];
            g_min = g_min.min(v);
            if i != usize::MAX && v < g_max {
                let b = g_max - v;
                let mut a = kernel(i, i) + kernel(t, t) - 2.0 * kernel(i, t);
                if a <= 0.0 {
                    a = TAU;
                }
                let gain = -(b * b) / a;
                if gain <= best {
                    best = gain;
                    j = t;
                }
            }
        }
        if i == usize::MAX || j == usize::MAX || g_max - g_min < EPS {
            break;
        }
        let (old_i, old_j) = (alpha[i], alpha[j]);
        if (y[i] > 0.0) == (y[j] > 0.0) {
            let mut quad = q(i, i) + q(j, j) - 2.0 * q(i, j);
            if quad <= 0.0 {
                quad = TAU;
            }
            let delta = (grad[i] - grad[j]) / quad;
            let sum = alpha[i] + alpha[j];
            alpha[i] -= delta;
            alpha[j] += delta;
            if sum > c {
                if alpha[i] > c {
                    alpha[i] = c;
                    alpha[j] = sum - c;
                }
            } else if alpha[j] < 0.0 {
                alpha[j] = 0.0;
                alpha[i] = sum;
            }
            if sum > c {
                if alpha[j] > c {
                    alpha[j] = c;
                    alpha[i] = sum - c;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = sum;
            }
        } else {
            let mut quad = q(i, i) + q(j, j) + 2.0 * q(i, j);
            if quad <= 0.0 {
                quad = TAU;
            }
            let delta = (-grad[i] - grad[j]) / quad;
            let diff = alpha[i] - alpha[j];
            alpha[i] += delta;
            alpha[j] += delta;
            if diff > 0.0 {
                if alpha[j] < 0.0 {
                    alpha[j] = 0.0;
                    alpha[i] = diff;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = -diff;
            }
            if diff > 0.0 {
                if alpha[i] > c {
                    alpha[i] = c;
                    alpha[j] = c - diff;
                }
            } else if alpha[j] > c {
                alpha[j] = c;
                alpha[i] = c + diff;
            }
        }
        let (di, dj) = (alpha[i] - old_i, alpha[j] - old_j);
        for (t, g) in grad.iter_mut().enumerate() {
            *g += q(i, t) * di + q(j, t) * dj;
        }
    }
    let rho = offset(&alpha, &grad, y, c);
    Some((alpha, rho))
}

/// libsvm's ρ: the mean of y·G over free vectors, else the middle of the feasible interval.
fn offset(alpha: &[f64], grad: &[f64], y: &[f64], c: f64) -> f64 {
    let n = y.len();
    let (mut ub, mut lb, mut sum, mut free) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
    for t in 0..n {
        let yg = y[t] * grad[t];
        if alpha[t] >= c {
            if y[t] < 0.0 { ub = ub.min(yg) } else { lb = lb.max(yg) }
        } else if alpha[t] <= 0.0 {
            if y[t] > 0.0 { ub = ub.min(yg) } else { lb = lb.max(yg) }
        } else {
            free += 1;
            sum += yg;
        }
    }
    if free > 0 { sum / free as f64 } else { f64::midpoint(ub, lb) }
}
