//! Regression: predicting a number (an age, a survival time, a drug response, a gene's
//! expression) with the models scikit-learn's users know, validated honestly on the same
//! splits and per-fold feature pipeline as the classifiers ([`crate::analysis::classify`]).
//!
//! # Models
//! [`linear`] holds ordinary least squares, ridge, lasso and elastic net (coefficients equal
//! scikit-learn's) and the robust lines of the loss-functions lesson; [`tree`] regression trees
//! and random forests; [`svr`] ε-support vector regression; k nearest neighbours and the mean
//! baseline are below; the MLP of [`crate::analysis::nn`] trains with squared or Huber loss.
//! [`validation`] cross-validates, draws learning and validation curves and the regularisation
//! path with its CV error curve; [`metrics`] scores predictions.

pub mod linear;
pub mod metrics;
pub mod svr;
pub mod tree;
pub mod validation;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::analysis::classify::folds::SplitError;
use crate::analysis::classify::forest::{MaxFeatures, TreeParams};
use crate::analysis::classify::models::{KnnWeights, weighted_neighbours};
use crate::analysis::classify::svm::Kernel;
use crate::jobs::CancelToken;
use linear::{EnetParams, LinearFit, Loss};

/// Why a regression could not be fitted or validated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegressError {
    /// Too few samples with a target value.
    #[error("regression needs at least 2 samples with a target value, found {0}")]
    TooFewSamples(usize),
    /// The splits could not be made.
    #[error(transparent)]
    Split(#[from] SplitError),
    /// A missing value in the features.
    #[error("the matrix has missing values (sample {0}); impute or drop them first")]
    Missing(usize),
    /// Settings out of range (the message says which).
    #[error("{0}")]
    Settings(String),
    /// The feature pipeline failed.
    #[error("{0}")]
    Features(String),
    /// A numerical failure (the message says where).
    #[error("{0}")]
    Numerical(String),
    /// A network could not be trained (the message says why).
    #[error("{0}")]
    Network(String),
    /// Cancelled.
    #[error("cancelled")]
    Cancelled,
    /// An internal inconsistency (a bug).
    #[error("internal error in the regression")]
    Internal,
}

/// A fitted regressor.
pub trait FittedRegressor: Send + Sync {
    /// The prediction of each row of `x`.
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64>;

    /// The intercept and coefficients of a linear model (one per pipeline feature).
    fn linear(&self) -> Option<&LinearFit> {
        None
    }

    /// Importance of each feature (forests and trees: impurity decrease).
    fn importance(&self) -> Option<Vec<f64>> {
        None
    }

    /// The training history, epoch by epoch (networks).
    fn history(&self) -> Option<&[crate::analysis::nn::EpochRecord]> {
        None
    }

    /// Where it trained (networks).
    fn device(&self) -> Option<&str> {
        None
    }
}

impl FittedRegressor for LinearFit {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        LinearFit::predict(self, x)
    }

    fn linear(&self) -> Option<&LinearFit> {
        Some(self)
    }
}

/// A regression model and its hyperparameters; defaults are scikit-learn's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "model")]
pub enum Regressor {
    /// The training mean (scikit-learn's `DummyRegressor`).
    Baseline,
    /// Ordinary least squares.
    Ols,
    /// Ridge: squared loss + α‖w‖².
    Ridge {
        /// Penalty.
        alpha: f64,
    },
    /// Lasso and elastic net (`l1_ratio` 1 is the lasso).
    ElasticNet {
        /// Overall penalty.
        alpha: f64,
        /// Share of the penalty on ‖w‖₁.
        l1_ratio: f64,
        /// Stopping tolerance.
        tol: f64,
        /// Most sweeps.
        max_iter: usize,
    },
    /// A linear model fitted with absolute or Huber loss (robust to outliers).
    Robust {
        /// The loss.
        loss: Loss,
    },
    /// k nearest neighbours: the mean target of the k closest training samples.
    Knn {
        /// Neighbours.
        k: usize,
        /// Uniform or 1 / distance.
        weights: KnnWeights,
    },
    /// One regression tree (squared error).
    Tree {
        /// Growth limits.
        params: TreeParams,
        /// scikit-learn's `random_state` (the order genes are tried in: which of equally good
        /// splits wins).
        #[serde(default)]
        seed: u64,
    },
    /// A random forest of regression trees.
    Forest {
        /// Trees.
        trees: usize,
        /// Growth limits and candidate genes per split.
        params: TreeParams,
        /// Seed.
        seed: u64,
    },
    /// ε-support vector regression.
    Svr {
        /// Linear or RBF.
        kernel: Kernel,
        /// Cost of errors beyond ε.
        c: f64,
        /// Half-width of the tube of free errors.
        epsilon: f64,
    },
    /// A multilayer perceptron with one linear output.
    Mlp {
        /// Architecture and training.
        params: crate::analysis::nn::MlpParams,
        /// Squared or Huber loss.
        loss: Loss,
    },
}

impl Regressor {
    /// Lasso with scikit-learn's tolerance and iterations.
    pub fn lasso(alpha: f64) -> Self {
        let d = EnetParams::default();
        Self::ElasticNet { alpha, l1_ratio: 1.0, tol: d.tol, max_iter: d.max_iter }
    }

    /// Elastic net with scikit-learn's tolerance and iterations.
    pub fn elastic_net(alpha: f64, l1_ratio: f64) -> Self {
        let d = EnetParams::default();
        Self::ElasticNet { alpha, l1_ratio, tol: d.tol, max_iter: d.max_iter }
    }

    /// scikit-learn's penalty α of `Ridge`, `Lasso` and `ElasticNet`.
    pub const DEFAULT_ALPHA: f64 = 1.0;
    /// scikit-learn's `ElasticNet` l1 ratio.
    pub const DEFAULT_L1_RATIO: f64 = 0.5;
    /// scikit-learn's neighbours of `KNeighborsRegressor`.
    pub const DEFAULT_K: usize = 5;
    /// scikit-learn's trees of `RandomForestRegressor`.
    pub const DEFAULT_TREES: usize = 100;
    /// scikit-learn's `SVR` cost C.
    pub const DEFAULT_C: f64 = 1.0;
    /// scikit-learn's `SVR` tube half-width ε.
    pub const DEFAULT_EPSILON: f64 = 0.1;

    /// scikit-learn's `MLPRegressor`: the classifier's network without the held-out validation
    /// part (scikit-learn holds one out only for early stopping).
    pub fn default_mlp() -> crate::analysis::nn::MlpParams {
        crate::analysis::nn::MlpParams { validation_fraction: 0.0, ..Default::default() }
    }

    /// Every kind with scikit-learn's defaults (the forest seeded 0).
    pub fn defaults() -> Vec<Self> {
        let all = TreeParams { max_features: MaxFeatures::All, ..TreeParams::default() };
        let (c, epsilon) = (Self::DEFAULT_C, Self::DEFAULT_EPSILON);
        vec![
            Self::Ols,
            Self::Ridge { alpha: Self::DEFAULT_ALPHA },
            Self::lasso(Self::DEFAULT_ALPHA),
            Self::elastic_net(Self::DEFAULT_ALPHA, Self::DEFAULT_L1_RATIO),
            Self::Knn { k: Self::DEFAULT_K, weights: KnnWeights::Uniform },
            Self::Tree { params: all, seed: 0 },
            Self::Forest { trees: Self::DEFAULT_TREES, params: all, seed: 0 },
            Self::Svr { kernel: Kernel::Linear, c, epsilon },
            Self::Svr { kernel: Kernel::Rbf { gamma: None }, c, epsilon },
            Self::Mlp { params: Self::default_mlp(), loss: Loss::Squared },
            Self::Robust { loss: Loss::huber() },
            Self::Baseline,
        ]
    }

    /// The model with the random seed `seed` (forests and networks).
    #[must_use]
    pub fn with_seed(self, seed: u64) -> Self {
        match self {
            Self::Forest { trees, params, .. } => Self::Forest { trees, params, seed },
            Self::Tree { params, .. } => Self::Tree { params, seed },
            Self::Mlp { params, loss } => Self::Mlp { params: crate::analysis::nn::MlpParams { seed, ..params }, loss },
            other => other,
        }
    }

    /// True for the models with coefficients per gene (OLS, ridge, lasso, elastic net, robust).
    pub fn is_linear(&self) -> bool {
        matches!(self, Self::Ols | Self::Ridge { .. } | Self::ElasticNet { .. } | Self::Robust { .. })
    }

    /// A short name for tables.
    pub fn name(&self) -> String {
        match self {
            Self::Baseline => "mean baseline".into(),
            Self::Ols => "linear regression (OLS)".into(),
            Self::Ridge { alpha } => format!("ridge (α = {alpha})"),
            Self::ElasticNet { alpha, l1_ratio, .. } if *l1_ratio >= 1.0 => format!("lasso (α = {alpha})"),
            Self::ElasticNet { alpha, l1_ratio, .. } => format!("elastic net (α = {alpha}, l1 ratio {l1_ratio})"),
            Self::Robust { loss } => format!("linear, {}", loss.label()),
            Self::Knn { k, weights: KnnWeights::Uniform } => format!("{k}-NN regression"),
            Self::Knn { k, weights: KnnWeights::Distance } => format!("{k}-NN regression (distance-weighted)"),
            Self::Tree { params, .. } => match params.max_depth {
                Some(d) => format!("regression tree (max depth {d})"),
                None => "regression tree".into(),
            },
            Self::Forest { trees, .. } => format!("random forest ({trees} trees)"),
            Self::Svr { kernel: Kernel::Linear, c, epsilon } => format!("linear SVR (C = {c}, ε = {epsilon})"),
            Self::Svr { kernel: Kernel::Rbf { .. }, c, epsilon } => format!("RBF SVR (C = {c}, ε = {epsilon})"),
            Self::Mlp { params, loss: Loss::Squared } => params.name(),
            Self::Mlp { params, loss } => format!("{}, {}", params.name(), loss.label()),
        }
    }

    /// Fits on `x` (samples × features) and the target `y`.
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        y: &[f64],
        cancel: Option<&CancelToken>,
    ) -> Result<Box<dyn FittedRegressor>, RegressError> {
        if y.len() < 2 {
            return Err(RegressError::TooFewSamples(y.len()));
        }
        Ok(match self {
            Self::Baseline => Box::new(MeanBaseline(y.iter().sum::<f64>() / y.len() as f64)),
            Self::Ols => Box::new(linear::ols(x, y)?),
            Self::Ridge { alpha } => Box::new(linear::ridge(x, y, *alpha)?),
            Self::ElasticNet { alpha, l1_ratio, tol, max_iter } => Box::new(linear::elastic_net(
                x,
                y,
                &EnetParams { alpha: *alpha, l1_ratio: *l1_ratio, tol: *tol, max_iter: *max_iter },
                cancel,
            )?),
            Self::Robust { loss } => Box::new(linear::robust(x, y, *loss)?),
            Self::Knn { k, weights } => Box::new(KnnRegressor::fit(x, y, *k, *weights)),
            Self::Tree { params, seed } => Box::new(tree::RegressionTree::fit(x, y, *params, *seed)),
            Self::Forest { trees, params, seed } => {
                Box::new(tree::RegressionForest::fit(x, y, *trees, *params, *seed, cancel)?)
            }
            Self::Svr { kernel, c, epsilon } => Box::new(svr::Svr::fit(x, y, *kernel, *c, *epsilon, cancel)?),
            Self::Mlp { params, loss } => fit_mlp(x, y, params, *loss, cancel)?,
        })
    }
}

/// Trains an MLP regressor (with the `nn` feature).
#[cfg(feature = "nn")]
fn fit_mlp(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    params: &crate::analysis::nn::MlpParams,
    loss: Loss,
    cancel: Option<&CancelToken>,
) -> Result<Box<dyn FittedRegressor>, RegressError> {
    use crate::analysis::nn::NnError;
    match crate::analysis::nn::train::fit_regressor(x, y, params, loss, cancel) {
        Ok(model) => Ok(Box::new(model)),
        Err(NnError::Cancelled) => Err(RegressError::Cancelled),
        Err(err) => Err(RegressError::Network(err.to_string())),
    }
}

/// Without the `nn` feature there are no networks.
#[cfg(not(feature = "nn"))]
fn fit_mlp(
    _: ArrayView2<'_, f64>,
    _: &[f64],
    _: &crate::analysis::nn::MlpParams,
    _: Loss,
    _: Option<&CancelToken>,
) -> Result<Box<dyn FittedRegressor>, RegressError> {
    Err(RegressError::Network(crate::analysis::nn::NnError::Unavailable.to_string()))
}

/// The training mean.
struct MeanBaseline(f64);

impl FittedRegressor for MeanBaseline {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        vec![self.0; x.nrows()]
    }
}

/// k nearest neighbours (Euclidean), scikit-learn's `KNeighborsRegressor`.
struct KnnRegressor {
    train: ndarray::Array2<f64>,
    y: Vec<f64>,
    k: usize,
    weights: KnnWeights,
}

impl KnnRegressor {
    fn fit(x: ArrayView2<'_, f64>, y: &[f64], k: usize, weights: KnnWeights) -> Self {
        Self { train: x.as_standard_layout().into_owned(), y: y.to_vec(), k: k.clamp(1, y.len().max(1)), weights }
    }
}

impl FittedRegressor for KnnRegressor {
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        let train: Vec<&[f64]> = self.train.outer_iter().map(|r| r.to_slice().unwrap_or_default()).collect();
        x.outer_iter()
            .map(|row| {
                let (mut sum, mut total) = (0.0, 0.0);
                for (i, w) in weighted_neighbours(&train, &row.to_vec(), self.k, self.weights) {
                    sum += w * self.y[i];
                    total += w;
                }
                if total > 0.0 { sum / total } else { f64::NAN }
            })
            .collect()
    }
}
