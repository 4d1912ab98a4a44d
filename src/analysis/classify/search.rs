//! Hyperparameter search and diagnostics: grid search over one or two hyperparameters, random
//! search, nested cross-validation for an honest score of the tuned model, the validation curve
//! (training against CV accuracy over one hyperparameter) and permutation importance.
//!
//! Every score is the mean CV accuracy over the same splits, so cells of a grid are comparable.

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::folds::{Split, stratified_k_fold};
use super::validation::{CvOutcome, Features, cross_validate, fit_fold};
use super::{ClassifyError, Model};
use crate::analysis::rng::Rng;
use crate::jobs::CancelToken;

/// What every search validates on: the data, the classes, the feature pipeline, the splits.
#[derive(Clone, Copy)]
pub struct Problem<'a> {
    /// Samples × genes.
    pub x: ArrayView2<'a, f64>,
    /// Class of each sample.
    pub y: &'a [usize],
    /// Classes.
    pub classes: usize,
    /// The per-fold pipeline.
    pub features: &'a Features,
    /// The splits.
    pub splits: &'a [Split],
}

impl Problem<'_> {
    fn validate(&self, model: &Model, cancel: Option<&CancelToken>) -> Result<CvOutcome, ClassifyError> {
        cross_validate(self.x, self.y, self.classes, model, self.features, self.splits, cancel, &mut |_| {})
    }

    fn accuracy(&self, model: &Model, cancel: Option<&CancelToken>) -> Result<f64, ClassifyError> {
        Ok(self.validate(model, cancel)?.mean_sd(|s| Some(s.accuracy)).0)
    }
}

/// A tunable hyperparameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// Inverse regularisation (logistic regression, SVM).
    C,
    /// RBF width γ.
    Gamma,
    /// Neighbours of k-NN.
    K,
    /// Trees of a forest.
    Trees,
    /// Deepest tree level.
    MaxDepth,
    /// Fewest samples to split a node.
    MinSamplesSplit,
}

impl Param {
    /// Its name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::C => "C",
            Self::Gamma => "γ",
            Self::K => "k",
            Self::Trees => "trees",
            Self::MaxDepth => "max depth",
            Self::MinSamplesSplit => "min samples to split",
        }
    }

    /// True for a value the hyperparameter can take: finite and positive (counts at least 1).
    pub fn accepts(self, value: f64) -> bool {
        let count = matches!(self, Self::K | Self::Trees | Self::MaxDepth | Self::MinSamplesSplit);
        value.is_finite() && value > 0.0 && (!count || value >= 1.0)
    }

    /// The hyperparameters `model` has.
    pub fn of(model: &Model) -> Vec<Self> {
        match model {
            Model::Logistic { .. } | Model::Svm { kernel: super::svm::Kernel::Linear, .. } => vec![Self::C],
            Model::Svm { .. } => vec![Self::C, Self::Gamma],
            Model::Knn { .. } => vec![Self::K],
            Model::Tree { .. } => vec![Self::MaxDepth, Self::MinSamplesSplit],
            Model::Forest { .. } => vec![Self::Trees, Self::MaxDepth, Self::MinSamplesSplit],
            Model::GaussianNb | Model::Baseline | Model::Mlp(_) => Vec::new(),
        }
    }

    /// Values to start a grid with.
    pub fn suggested(self) -> Vec<f64> {
        match self {
            Self::C => vec![0.001, 0.01, 0.1, 1.0, 10.0, 100.0],
            Self::Gamma => vec![1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
            Self::K => vec![1.0, 3.0, 5.0, 7.0, 11.0, 15.0, 21.0],
            Self::Trees => vec![10.0, 50.0, 100.0, 200.0],
            Self::MaxDepth => vec![1.0, 2.0, 3.0, 5.0, 8.0, 12.0],
            Self::MinSamplesSplit => vec![2.0, 5.0, 10.0, 20.0],
        }
    }
}

/// `model` with `param` set to `value` (`None` if the model has no such hyperparameter).
pub fn with_param(model: &Model, param: Param, value: f64) -> Option<Model> {
    let count = value.round().max(1.0) as usize;
    let mut m = model.clone();
    match (&mut m, param) {
        (Model::Logistic { c } | Model::Svm { c, .. }, Param::C) => *c = value,
        (Model::Svm { kernel: super::svm::Kernel::Rbf { gamma }, .. }, Param::Gamma) => *gamma = Some(value),
        (Model::Knn { k, .. }, Param::K) => *k = count,
        (Model::Forest { trees, .. }, Param::Trees) => *trees = count,
        (Model::Tree { params } | Model::Forest { params, .. }, Param::MaxDepth) => params.max_depth = Some(count),
        (Model::Tree { params } | Model::Forest { params, .. }, Param::MinSamplesSplit) => {
            params.min_samples_split = count.max(2);
        }
        _ => return None,
    }
    Some(m)
}

/// A grid: the rows' hyperparameter and values, and optionally the columns'.
pub type GridSpec = (Param, Vec<f64>, Option<(Param, Vec<f64>)>);

/// Mean CV accuracy over a grid of one or two hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Rows: the first hyperparameter and its values.
    pub rows: (Param, Vec<f64>),
    /// Columns: the second (or none: one column).
    pub cols: Option<(Param, Vec<f64>)>,
    /// Mean CV accuracy, rows × columns.
    pub scores: Array2<f64>,
    /// The best cell (the first of equals).
    pub best: (usize, usize),
}

impl Grid {
    /// The model of the best cell.
    pub fn best_model(&self, base: &Model) -> Model {
        let mut m = with_param(base, self.rows.0, self.rows.1[self.best.0]).unwrap_or_else(|| base.clone());
        if let Some((p, values)) = &self.cols {
            m = with_param(&m, *p, values[self.best.1]).unwrap_or(m);
        }
        m
    }
}

/// Grid search: every combination validated on the problem's splits; `progress` gets cells
/// done and the total.
pub fn grid_search(
    problem: &Problem<'_>,
    base: &Model,
    rows: (Param, Vec<f64>),
    cols: Option<(Param, Vec<f64>)>,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Grid, ClassifyError> {
    let n_cols = cols.as_ref().map_or(1, |c| c.1.len());
    let mut scores = Array2::zeros((rows.1.len(), n_cols));
    let total = rows.1.len() * n_cols;
    let mut best = ((0, 0), f64::NEG_INFINITY);
    for (r, &rv) in rows.1.iter().enumerate() {
        for c in 0..n_cols {
            let mut model = with_param(base, rows.0, rv).unwrap_or_else(|| base.clone());
            if let Some((p, values)) = &cols {
                model = with_param(&model, *p, values[c]).unwrap_or(model);
            }
            let score = problem.accuracy(&model, cancel)?;
            scores[[r, c]] = score;
            if score > best.1 {
                best = ((r, c), score);
            }
            progress(r * n_cols + c + 1, total);
        }
    }
    Ok(Grid { rows, cols, scores, best: best.0 })
}

/// Random search: `draws` models with each hyperparameter drawn log-uniformly (counts
/// rounded) from its range; returns each model with its mean CV accuracy, best first.
pub fn random_search(
    problem: &Problem<'_>,
    base: &Model,
    ranges: &[(Param, f64, f64)],
    draws: usize,
    seed: u64,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<(Model, f64)>, ClassifyError> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(draws);
    for d in 0..draws {
        let mut model = base.clone();
        for &(param, lo, hi) in ranges {
            let (a, b) = (lo.max(f64::MIN_POSITIVE).ln(), hi.max(f64::MIN_POSITIVE).ln());
            let value = (a + rng.uniform() * (b - a)).exp();
            model = with_param(&model, param, value).unwrap_or(model);
        }
        let score = problem.accuracy(&model, cancel)?;
        out.push((model, score));
        progress(d + 1, draws);
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(out)
}

/// Nested CV: in each outer training fold, a grid search (rows, their values, optional columns)
/// on inner stratified folds picks the hyperparameters; the outer test fold scores that choice. The mean is an honest estimate of
/// the tuned model (the grid's best cell is optimistic). Returns per outer fold (accuracy,
/// chosen model).
/// The problem's splits are the outer folds.
pub fn nested_cv(
    problem: &Problem<'_>,
    base: &Model,
    inner_folds: usize,
    grid: &GridSpec,
    seed: u32,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<(f64, Model)>, ClassifyError> {
    let outer = problem.splits;
    let mut out = Vec::with_capacity(outer.len());
    for (k, split) in outer.iter().enumerate() {
        let train_x = problem.x.select(Axis(0), &split.train);
        let train_y: Vec<usize> = split.train.iter().map(|&i| problem.y[i]).collect();
        let inner_splits = stratified_k_fold(&train_y, inner_folds, true, seed)?;
        let inner = Problem { x: train_x.view(), y: &train_y, splits: &inner_splits, ..*problem };
        let (param, values, cols) = grid;
        let best = grid_search(&inner, base, (*param, values.clone()), cols.clone(), cancel, &mut |_, _| {})?;
        let chosen = best.best_model(base);
        let score = Problem { splits: std::slice::from_ref(split), ..*problem }.accuracy(&chosen, cancel)?;
        out.push((score, chosen));
        progress(k + 1, outer.len());
    }
    Ok(out)
}

/// Training and CV accuracy (means over folds) for each value of one hyperparameter.
pub fn validation_curve(
    problem: &Problem<'_>,
    base: &Model,
    param: Param,
    values: &[f64],
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<(f64, f64, f64)>, ClassifyError> {
    let mut out = Vec::with_capacity(values.len());
    for (i, &v) in values.iter().enumerate() {
        let model = with_param(base, param, v).unwrap_or_else(|| base.clone());
        let cv = problem.validate(&model, cancel)?;
        let train = cv.folds.iter().map(|f| f.train_accuracy).sum::<f64>() / cv.folds.len().max(1) as f64;
        out.push((v, train, cv.mean_sd(|s| Some(s.accuracy)).0));
        progress(i + 1, values.len());
    }
    Ok(out)
}

/// Permutation importance of `genes` (input columns): the mean drop in test accuracy when one
/// gene's values are shuffled among the test samples, over the folds of `splits`, the model and
/// pipeline refitted per fold. Returns (gene, mean drop) for each gene asked.
pub fn permutation_importance(
    problem: &Problem<'_>,
    model: &Model,
    genes: &[usize],
    seed: u64,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<(usize, f64)>, ClassifyError> {
    let mut drops = vec![0.0; genes.len()];
    let mut rng = Rng::new(seed);
    let Problem { x, y, classes, features, splits } = *problem;
    for (k, split) in splits.iter().enumerate() {
        let (pipeline, fitted, _, _) = fit_fold(x, y, classes, model, features, split, None, cancel)?;
        let test_x = x.select(Axis(0), &split.test);
        let truth: Vec<usize> = split.test.iter().map(|&i| y[i]).collect();
        let accuracy = |m: &Array2<f64>| {
            let predicted = fitted.predict(pipeline.apply(m.view()).view());
            predicted.iter().zip(&truth).filter(|(p, t)| p == t).count() as f64 / truth.len().max(1) as f64
        };
        let base = accuracy(&test_x);
        for (g, &gene) in genes.iter().enumerate() {
            if cancel.is_some_and(CancelToken::is_cancelled) {
                return Err(ClassifyError::Cancelled);
            }
            let mut shuffled = test_x.clone();
            let mut column: Vec<f64> = shuffled.column(gene).to_vec();
            rng.shuffle(&mut column);
            shuffled.column_mut(gene).iter_mut().zip(column).for_each(|(v, s)| *v = s);
            drops[g] += base - accuracy(&shuffled);
        }
        progress(k + 1, splits.len());
    }
    let folds = splits.len().max(1) as f64;
    Ok(genes.iter().zip(drops).map(|(&g, d)| (g, d / folds)).collect())
}
