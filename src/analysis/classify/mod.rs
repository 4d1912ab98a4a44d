//! Classifiers with honest validation: every model scikit-learn's reference uses, the splits,
//! a per-fold feature pipeline (gene selection, scaling, PCA fitted on the training fold
//! only), cross-validation and the scores.
//!
//! # Why our own models
//! Every model here is short and follows scikit-learn's definition, so cross-validated
//! accuracies can be compared with the reference fold by fold (the folds themselves are
//! scikit-learn's, see [`folds`]); all share one [`Fitted`] trait with class scores for ROC
//! curves and check a cancel token. linfa's versions were not used: linfa-svm builds the full
//! kernel matrix and has no one-vs-one mode ([`svm`] says more), and one trait over linfa's
//! differing fit/predict APIs (several without probabilities) would have been more code than
//! the models.

pub mod folds;
pub mod forest;
pub mod metrics;
pub mod models;
pub mod search;
pub mod svm;
pub mod validation;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::jobs::CancelToken;
use forest::{Forest, MaxFeatures, Tree, TreeParams};
use models::{Baseline, GaussianNb, Knn, KnnWeights, Logistic};
use svm::{Kernel, Svm};

/// Why a model could not be fitted or validated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClassifyError {
    /// Fewer than two classes among the labelled samples.
    #[error("the target needs at least two classes among the labelled samples, found {0}")]
    OneClass(usize),
    /// The splits could not be made.
    #[error(transparent)]
    Split(#[from] folds::SplitError),
    /// A missing value.
    #[error("the matrix has missing values (sample {0}); impute or drop them first")]
    Missing(usize),
    /// The feature pipeline failed (PCA).
    #[error("{0}")]
    Features(String),
    /// A network could not be trained (the message says why).
    #[error("{0}")]
    Network(String),
    /// Cancelled.
    #[error("cancelled")]
    Cancelled,
    /// An internal inconsistency (a bug).
    #[error("internal error in the classifier")]
    Internal,
}

/// A fitted model.
pub trait Fitted: Send + Sync {
    /// A score per class (samples × classes): probabilities where the model has them.
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64>;

    /// The predicted class of each sample: the highest score, the lowest class on ties.
    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<usize> {
        argmax_rows(&self.scores(x))
    }

    /// Importance of each gene (random forest and tree impurity), when the model has one.
    fn importance(&self) -> Option<Vec<f64>> {
        None
    }

    /// The training history, epoch by epoch (networks).
    fn history(&self) -> Option<&[crate::analysis::nn::EpochRecord]> {
        None
    }

    /// Where it trained (networks: "CPU (burn flex)" or the GPU's name).
    fn device(&self) -> Option<&str> {
        None
    }
}

/// The column of each row's largest value (the first on ties).
pub fn argmax_rows(scores: &Array2<f64>) -> Vec<usize> {
    scores
        .outer_iter()
        .map(|row| {
            let mut best = 0;
            for (c, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = c;
                }
            }
            best
        })
        .collect()
}

/// A model and its hyperparameters; defaults are scikit-learn's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "model")]
pub enum Model {
    /// The most frequent class.
    Baseline,
    /// Multinomial logistic regression, L2 strength `c` (larger: weaker penalty).
    Logistic {
        /// Inverse regularisation strength.
        c: f64,
    },
    /// One decision tree.
    Tree {
        /// Growth limits.
        params: TreeParams,
    },
    /// A random forest.
    Forest {
        /// Trees.
        trees: usize,
        /// Growth limits and candidate genes per split.
        params: TreeParams,
        /// Random seed.
        seed: u64,
    },
    /// A support vector machine, one-vs-one.
    Svm {
        /// Linear or RBF.
        kernel: Kernel,
        /// Misclassification cost.
        c: f64,
    },
    /// k nearest neighbours.
    Knn {
        /// Neighbours.
        k: usize,
        /// Uniform or 1 / distance.
        weights: KnnWeights,
    },
    /// Gaussian naive Bayes.
    GaussianNb,
    /// A multilayer perceptron (a neural network; needs the `nn` feature).
    Mlp(crate::analysis::nn::MlpParams),
}

impl Model {
    /// The model with the random seed `seed` (the forest's; the others draw nothing).
    #[must_use]
    pub fn with_seed(self, seed: u64) -> Self {
        match self {
            Self::Forest { trees, params, .. } => Self::Forest { trees, params, seed },
            Self::Mlp(params) => Self::Mlp(crate::analysis::nn::MlpParams { seed, ..params }),
            other => other,
        }
    }

    /// scikit-learn's inverse regularisation strength `C` (logistic regression, SVMs).
    pub const DEFAULT_C: f64 = 1.0;
    /// scikit-learn's trees in a forest.
    pub const DEFAULT_TREES: usize = 100;
    /// scikit-learn's neighbours of k-NN.
    pub const DEFAULT_K: usize = 5;

    /// Every kind with scikit-learn's defaults (the forest seeded 0).
    pub fn defaults() -> Vec<Self> {
        let c = Self::DEFAULT_C;
        vec![
            Self::Logistic { c },
            Self::Forest {
                trees: Self::DEFAULT_TREES,
                params: TreeParams { max_features: MaxFeatures::Sqrt, ..TreeParams::default() },
                seed: 0,
            },
            Self::Svm { kernel: Kernel::Linear, c },
            Self::Svm { kernel: Kernel::Rbf { gamma: None }, c },
            Self::Knn { k: Self::DEFAULT_K, weights: KnnWeights::Uniform },
            Self::GaussianNb,
            Self::Tree { params: TreeParams::default() },
            Self::Baseline,
            Self::Mlp(crate::analysis::nn::MlpParams::default()),
        ]
    }

    /// A short name for tables.
    pub fn name(&self) -> String {
        match self {
            Self::Baseline => "majority baseline".to_owned(),
            Self::Logistic { c } => format!("logistic regression (C = {c})"),
            Self::Tree { params } => match params.max_depth {
                Some(d) => format!("decision tree (max depth {d})"),
                None => "decision tree".to_owned(),
            },
            Self::Forest { trees, .. } => format!("random forest ({trees} trees)"),
            Self::Svm { kernel: Kernel::Linear, c } => format!("linear SVM (C = {c})"),
            Self::Svm { kernel: Kernel::Rbf { gamma }, c } => match gamma {
                Some(g) => format!("RBF SVM (C = {c}, γ = {g})"),
                None => format!("RBF SVM (C = {c})"),
            },
            Self::Knn { k, weights: KnnWeights::Uniform } => format!("{k}-NN"),
            Self::Knn { k, weights: KnnWeights::Distance } => format!("{k}-NN (distance-weighted)"),
            Self::GaussianNb => "Gaussian naive Bayes".to_owned(),
            Self::Mlp(params) => params.name(),
        }
    }

    /// Fits on `x` (samples × features) and `y` (classes `0..classes`). Like scikit-learn, the
    /// model only knows the classes present in `y`: an absent class (possible in a training
    /// fold of a rare class) scores 0 and is never predicted.
    pub fn fit(
        &self,
        x: ArrayView2<'_, f64>,
        y: &[usize],
        classes: usize,
        cancel: Option<&CancelToken>,
    ) -> Result<Box<dyn Fitted>, ClassifyError> {
        let mut present: Vec<usize> = y.to_vec();
        present.sort_unstable();
        present.dedup();
        if present.len() == classes {
            return self.fit_present(x, y, classes, cancel);
        }
        let local: Vec<usize> = y.iter().map(|c| present.binary_search(c).unwrap_or(0)).collect();
        let inner = self.fit_present(x, &local, present.len(), cancel)?;
        Ok(Box::new(Remapped { inner, present, classes }))
    }

    fn fit_present(
        &self,
        x: ArrayView2<'_, f64>,
        y: &[usize],
        classes: usize,
        cancel: Option<&CancelToken>,
    ) -> Result<Box<dyn Fitted>, ClassifyError> {
        Ok(match self {
            Self::Baseline => Box::new(Baseline::fit(y, classes)),
            Self::Logistic { c } => Box::new(Logistic::fit(x, y, classes, *c, cancel)?),
            Self::Tree { params } => {
                let mut samples: Vec<usize> = (0..y.len()).collect();
                Box::new(Tree::fit(x, y, classes, &mut samples, *params, 0))
            }
            Self::Forest { trees, params, seed } => {
                Box::new(Forest::fit(x, y, classes, *trees, *params, *seed, cancel)?)
            }
            Self::Svm { kernel, c } => Box::new(Svm::fit(x, y, classes, *kernel, *c, cancel)?),
            Self::Knn { k, weights } => Box::new(Knn::fit(x, y, classes, *k, *weights)),
            Self::GaussianNb => Box::new(GaussianNb::fit(x, y, classes, 1e-9)),
            Self::Mlp(params) => fit_mlp(x, y, classes, params, cancel)?,
        })
    }
}

/// Trains an MLP (with the `nn` feature).
#[cfg(feature = "nn")]
fn fit_mlp(
    x: ArrayView2<'_, f64>,
    y: &[usize],
    classes: usize,
    params: &crate::analysis::nn::MlpParams,
    cancel: Option<&CancelToken>,
) -> Result<Box<dyn Fitted>, ClassifyError> {
    use crate::analysis::nn::NnError;
    match crate::analysis::nn::train::fit(x, y, classes, params, cancel) {
        Ok(model) => Ok(Box::new(model)),
        Err(NnError::Cancelled) => Err(ClassifyError::Cancelled),
        Err(err) => Err(ClassifyError::Network(err.to_string())),
    }
}

/// Without the `nn` feature there are no networks.
#[cfg(not(feature = "nn"))]
fn fit_mlp(
    _: ArrayView2<'_, f64>,
    _: &[usize],
    _: usize,
    _: &crate::analysis::nn::MlpParams,
    _: Option<&CancelToken>,
) -> Result<Box<dyn Fitted>, ClassifyError> {
    Err(ClassifyError::Network(crate::analysis::nn::NnError::Unavailable.to_string()))
}

/// A model fitted on the classes present, answering in all classes.
struct Remapped {
    inner: Box<dyn Fitted>,
    present: Vec<usize>,
    classes: usize,
}

impl Fitted for Remapped {
    fn scores(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let inner = self.inner.scores(x);
        let mut out = Array2::zeros((x.nrows(), self.classes));
        for (local, &class) in self.present.iter().enumerate() {
            out.column_mut(class).assign(&inner.column(local));
        }
        out
    }

    fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<usize> {
        self.inner.predict(x).into_iter().map(|c| self.present[c]).collect()
    }

    fn importance(&self) -> Option<Vec<f64>> {
        self.inner.importance()
    }

    fn history(&self) -> Option<&[crate::analysis::nn::EpochRecord]> {
        self.inner.history()
    }

    fn device(&self) -> Option<&str> {
        self.inner.device()
    }
}

/// Class names sorted (as scikit-learn's `classes_`) and each sample's class (`None`:
/// unlabelled).
pub fn encode_labels(values: &[Option<String>]) -> (Vec<String>, Vec<Option<usize>>) {
    let mut names: Vec<String> = values.iter().flatten().cloned().collect();
    names.sort();
    names.dedup();
    let codes = values.iter().map(|v| v.as_ref().and_then(|v| names.binary_search(v).ok())).collect();
    (names, codes)
}
