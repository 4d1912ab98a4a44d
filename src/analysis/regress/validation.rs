//! Honest validation of regressors, on the classifiers' splits and per-fold feature pipeline
//! ([`crate::analysis::classify::validation::FittedFeatures`], fitted on each training fold
//! only): cross-validation with R², RMSE, MAE and median absolute error per fold, the learning
//! curve (error against training-set size), the validation curve over one hyperparameter, and
//! the regularisation path of ridge, lasso or elastic net with its CV error curve and the α
//! chosen by the minimum and by the one-standard-error rule.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::linear::{Centred, Path, alpha_grid, enet_path, ridge_alpha_grid, ridge_path};
use super::metrics::{RegressionScores, regression_scores};
use super::{FittedRegressor, RegressError, Regressor};
use crate::analysis::classify::folds::{Mt19937, Split};
use crate::analysis::classify::validation::{Features, FittedFeatures, Target, select_genes_for};
use crate::jobs::CancelToken;

/// One fold's outcome.
#[derive(Debug, Clone)]
pub struct RegressFold {
    /// Test samples (indices into the samples validated).
    pub test: Vec<usize>,
    /// Their predictions.
    pub predicted: Vec<f64>,
    /// Scores on the test fold.
    pub scores: RegressionScores,
    /// Scores on the training fold (for under- and over-fitting).
    pub train_scores: RegressionScores,
    /// The training history (networks).
    pub history: Option<Vec<crate::analysis::nn::EpochRecord>>,
    /// Where the model trained (networks).
    pub device: Option<String>,
}

/// A whole cross-validation.
#[derive(Debug, Clone)]
pub struct RegressCv {
    /// The model validated.
    pub model: Regressor,
    /// Per fold.
    pub folds: Vec<RegressFold>,
}

/// Mean and population SD.
fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

impl RegressCv {
    /// Mean and SD (population, over folds) of one score.
    pub fn mean_sd(&self, score: impl Fn(&RegressionScores) -> f64) -> (f64, f64) {
        let values: Vec<f64> = self.folds.iter().map(|f| score(&f.scores)).collect();
        mean_sd(&values)
    }

    /// True when every test fold holds one sample (leave-one-out): per-fold R² is then
    /// meaningless, use [`RegressCv::pooled`].
    pub fn single_sample_folds(&self) -> bool {
        self.folds.iter().all(|f| f.test.len() == 1)
    }

    /// Scores of all test predictions together (as scikit-learn's `cross_val_predict`).
    pub fn pooled(&self, truth: &[f64]) -> RegressionScores {
        let t: Vec<f64> = self.folds.iter().flat_map(|f| f.test.iter().map(|&i| truth[i])).collect();
        let p: Vec<f64> = self.folds.iter().flat_map(|f| f.predicted.iter().copied()).collect();
        regression_scores(&t, &p)
    }

    /// The training R², mean over folds (how well each model fits what it saw).
    pub fn train_r2_mean(&self) -> f64 {
        self.folds.iter().map(|f| f.train_scores.r2).sum::<f64>() / self.folds.len().max(1) as f64
    }

    /// Every sample tested, in order: (index into the samples validated, its target, its test
    /// prediction — the mean over repeats).
    pub fn tested(&self, truth: &[f64]) -> Vec<(usize, f64, f64)> {
        let mut sum = vec![0.0; truth.len()];
        let mut count = vec![0usize; truth.len()];
        for f in &self.folds {
            for (&i, &p) in f.test.iter().zip(&f.predicted) {
                sum[i] += p;
                count[i] += 1;
            }
        }
        (0..truth.len()).filter(|&i| count[i] > 0).map(|i| (i, truth[i], sum[i] / count[i] as f64)).collect()
    }
}

/// A pipeline and model fitted on training samples, the transformed training data and targets.
pub type FittedOn = (FittedFeatures, Box<dyn FittedRegressor>, Array2<f64>, Vec<f64>);

/// The pipeline and model fitted on `train` samples, with the transformed training data.
pub fn fit_on(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    model: &Regressor,
    features: &Features,
    train: &[usize],
    preselected: Option<&[usize]>,
    cancel: Option<&CancelToken>,
) -> Result<FittedOn, RegressError> {
    let train_x = x.select(Axis(0), train);
    let train_y: Vec<f64> = train.iter().map(|&i| y[i]).collect();
    let (pipeline, train_features) =
        FittedFeatures::fit_target(train_x.view(), Target::Values(&train_y), features, preselected)
            .map_err(RegressError::Features)?;
    let fitted = model.fit(train_features.view(), &train_y, cancel)?;
    Ok((pipeline, fitted, train_features, train_y))
}

fn check_inputs(x: ArrayView2<'_, f64>, y: &[f64]) -> Result<(), RegressError> {
    if let Some(i) = x.outer_iter().position(|r| r.iter().any(|v| !v.is_finite())) {
        return Err(RegressError::Missing(i));
    }
    if y.iter().any(|v| !v.is_finite()) || x.nrows() != y.len() {
        return Err(RegressError::Internal);
    }
    if y.len() < 3 {
        return Err(RegressError::TooFewSamples(y.len()));
    }
    Ok(())
}

/// Genes chosen on all samples for the leakage lesson (`None`: chosen in each fold).
fn leaky_genes(x: ArrayView2<'_, f64>, y: &[f64], features: &Features) -> Option<Vec<usize>> {
    match (features.select_on_all_data, features.top_genes) {
        (true, Some(n)) if n < x.ncols() => Some(select_genes_for(x, Target::Values(y), features.selection, n)),
        _ => None,
    }
}

/// Validates `model` on `splits` of `x` (samples × genes) with the target `y`. `progress` gets
/// the number of folds done.
pub fn cross_validate(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    model: &Regressor,
    features: &Features,
    splits: &[Split],
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize),
) -> Result<RegressCv, RegressError> {
    check_inputs(x, y)?;
    let leaky = leaky_genes(x, y, features);
    let one = |split: &Split| -> Result<RegressFold, RegressError> {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(RegressError::Cancelled);
        }
        let (pipeline, fitted, train_features, train_y) =
            fit_on(x, y, model, features, &split.train, leaky.as_deref(), cancel)?;
        let test_features = pipeline.apply(x.select(Axis(0), &split.test).view());
        let predicted = fitted.predict(test_features.view());
        let truth: Vec<f64> = split.test.iter().map(|&i| y[i]).collect();
        let train_predicted = fitted.predict(train_features.view());
        Ok(RegressFold {
            test: split.test.clone(),
            scores: regression_scores(&truth, &predicted),
            train_scores: regression_scores(&train_y, &train_predicted),
            predicted,
            history: fitted.history().map(<[_]>::to_vec),
            device: fitted.device().map(str::to_owned),
        })
    };
    // Folds run a core's worth at a time (most models fit on one core), with progress and
    // Cancel between rounds; the folds' order and results do not depend on the number of cores.
    let mut folds = Vec::with_capacity(splits.len());
    for round in splits.chunks(rayon::current_num_threads().max(1)) {
        let fitted: Vec<Result<RegressFold, RegressError>> = round.par_iter().map(one).collect();
        for fold in fitted {
            folds.push(fold?);
        }
        progress(folds.len());
    }
    Ok(RegressCv { model: model.clone(), folds })
}

/// One point of a learning or validation curve: training and test RMSE and R² (mean, SD over
/// splits).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// The training-set size, or the hyperparameter's value.
    pub value: f64,
    /// Training RMSE (mean, SD).
    pub train_rmse: (f64, f64),
    /// Test RMSE (mean, SD).
    pub test_rmse: (f64, f64),
    /// Training R² (mean, SD).
    pub train_r2: (f64, f64),
    /// Test R² (mean, SD).
    pub test_r2: (f64, f64),
}

fn point(value: f64, train: &[RegressionScores], test: &[RegressionScores]) -> CurvePoint {
    let of = |s: &[RegressionScores], f: fn(&RegressionScores) -> f64| mean_sd(&s.iter().map(f).collect::<Vec<_>>());
    CurvePoint {
        value,
        train_rmse: of(train, |s| s.rmse),
        test_rmse: of(test, |s| s.rmse),
        train_r2: of(train, |s| s.r2),
        test_r2: of(test, |s| s.r2),
    }
}

/// The learning curve: for each share of the training folds (scikit-learn's
/// `learning_curve(train_sizes=shares, shuffle=True, random_state=seed)`: each split's training
/// samples permuted by one `RandomState(seed)`, the first ⌊share × n⌋ (at least 2) fitted),
/// training and test error over the splits. `progress` gets (done, total) fits.
#[allow(clippy::too_many_arguments)]
pub fn learning_curve(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    model: &Regressor,
    features: &Features,
    splits: &[Split],
    shares: &[f64],
    seed: u32,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<CurvePoint>, RegressError> {
    check_inputs(x, y)?;
    let mut rng = Mt19937::new(seed);
    let permuted: Vec<Vec<usize>> = splits
        .iter()
        .map(|s| {
            let mut t = s.train.clone();
            rng.shuffle(&mut t);
            t
        })
        .collect();
    let total = shares.len() * splits.len();
    let mut out = Vec::with_capacity(shares.len());
    for (a, &share) in shares.iter().enumerate() {
        let (mut train_scores, mut test_scores) = (Vec::new(), Vec::new());
        let mut size = 0;
        for (b, (split, order)) in splits.iter().zip(&permuted).enumerate() {
            if cancel.is_some_and(CancelToken::is_cancelled) {
                return Err(RegressError::Cancelled);
            }
            size = ((share * order.len() as f64) as usize).clamp(2.min(order.len()), order.len());
            let train = &order[..size];
            let (pipeline, fitted, train_features, train_y) = fit_on(x, y, model, features, train, None, cancel)?;
            let test_features = pipeline.apply(x.select(Axis(0), &split.test).view());
            let truth: Vec<f64> = split.test.iter().map(|&i| y[i]).collect();
            test_scores.push(regression_scores(&truth, &fitted.predict(test_features.view())));
            train_scores.push(regression_scores(&train_y, &fitted.predict(train_features.view())));
            progress(a * splits.len() + b + 1, total);
        }
        out.push(point(size as f64, &train_scores, &test_scores));
    }
    Ok(out)
}

/// A hyperparameter a validation curve can sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RegParam {
    /// Penalty α (ridge, lasso, elastic net).
    Alpha,
    /// Neighbours (k-NN).
    K,
    /// Deepest tree level (tree, forest).
    MaxDepth,
    /// Cost C (SVR).
    C,
    /// RBF width γ (RBF SVR).
    Gamma,
}

impl RegParam {
    /// Its name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Alpha => "α",
            Self::K => "k",
            Self::MaxDepth => "max depth",
            Self::C => "C",
            Self::Gamma => "γ",
        }
    }

    /// The hyperparameters of `model`.
    pub fn of(model: &Regressor) -> Vec<Self> {
        match model {
            Regressor::Ridge { .. } | Regressor::ElasticNet { .. } => vec![Self::Alpha],
            Regressor::Knn { .. } => vec![Self::K],
            Regressor::Tree { .. } | Regressor::Forest { .. } => vec![Self::MaxDepth],
            Regressor::Svr { kernel: crate::analysis::classify::svm::Kernel::Rbf { .. }, .. } => {
                vec![Self::C, Self::Gamma]
            }
            Regressor::Svr { .. } => vec![Self::C],
            _ => Vec::new(),
        }
    }

    /// Values worth trying, small to large (log-spaced for penalties and widths).
    pub fn suggested(self) -> Vec<f64> {
        match self {
            Self::Alpha => super::linear::geomspace(1e-4, 1e3, 15),
            Self::K => vec![1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0],
            Self::MaxDepth => (1..=12).map(f64::from).collect(),
            Self::C => super::linear::geomspace(1e-3, 1e3, 13),
            Self::Gamma => super::linear::geomspace(1e-5, 1.0, 11),
        }
    }

    /// `model` with this hyperparameter set to `value` (`None`: the model has no such setting or
    /// the value is out of range).
    pub fn apply(self, model: &Regressor, value: f64) -> Option<Regressor> {
        use crate::analysis::classify::svm::Kernel;
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        let whole = value.round() as usize;
        Some(match (self, model.clone()) {
            (Self::Alpha, Regressor::Ridge { .. }) => Regressor::Ridge { alpha: value },
            (Self::Alpha, Regressor::ElasticNet { l1_ratio, tol, max_iter, .. }) => {
                Regressor::ElasticNet { alpha: value, l1_ratio, tol, max_iter }
            }
            (Self::K, Regressor::Knn { weights, .. }) if whole >= 1 => Regressor::Knn { k: whole, weights },
            (Self::MaxDepth, Regressor::Tree { params, seed }) if whole >= 1 => Regressor::Tree {
                params: crate::analysis::classify::forest::TreeParams { max_depth: Some(whole), ..params },
                seed,
            },
            (Self::MaxDepth, Regressor::Forest { trees, params, seed }) if whole >= 1 => Regressor::Forest {
                trees,
                params: crate::analysis::classify::forest::TreeParams { max_depth: Some(whole), ..params },
                seed,
            },
            (Self::C, Regressor::Svr { kernel, epsilon, .. }) if value > 0.0 => {
                Regressor::Svr { kernel, c: value, epsilon }
            }
            (Self::Gamma, Regressor::Svr { c, epsilon, kernel: Kernel::Rbf { .. } }) if value > 0.0 => {
                Regressor::Svr { kernel: Kernel::Rbf { gamma: Some(value) }, c, epsilon }
            }
            _ => return None,
        })
    }
}

/// The validation curve: training and test error of `model` with `param` at each of `values`
/// (scikit-learn's `validation_curve`). `progress` gets (done, total) values.
#[allow(clippy::too_many_arguments)]
pub fn validation_curve(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    model: &Regressor,
    param: RegParam,
    values: &[f64],
    features: &Features,
    splits: &[Split],
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<CurvePoint>, RegressError> {
    let mut out = Vec::with_capacity(values.len());
    for (done, &value) in values.iter().enumerate() {
        let Some(m) = param.apply(model, value) else {
            return Err(RegressError::Settings(format!("{} cannot be {value} for {}", param.label(), model.name())));
        };
        let cv = cross_validate(x, y, &m, features, splits, cancel, &mut |_| {})?;
        let train: Vec<RegressionScores> = cv.folds.iter().map(|f| f.train_scores).collect();
        let test: Vec<RegressionScores> = cv.folds.iter().map(|f| f.scores).collect();
        out.push(point(value, &train, &test));
        progress(done + 1, values.len());
    }
    Ok(out)
}

/// Which penalty a regularisation path follows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "penalty")]
pub enum PathKind {
    /// Ridge (α‖w‖²).
    Ridge,
    /// Lasso (`l1_ratio` 1) or elastic net.
    ElasticNet {
        /// Share of the penalty on ‖w‖₁.
        l1_ratio: f64,
    },
}

impl PathKind {
    /// "ridge", "lasso" or "elastic net (l1 ratio 0.5)".
    pub fn label(self) -> String {
        match self {
            Self::Ridge => "ridge".into(),
            Self::ElasticNet { l1_ratio } if l1_ratio >= 1.0 => "lasso".into(),
            Self::ElasticNet { l1_ratio } => format!("elastic net (l1 ratio {l1_ratio})"),
        }
    }

    /// The model at `alpha`.
    pub fn model(self, alpha: f64, tol: f64, max_iter: usize) -> Regressor {
        match self {
            Self::Ridge => Regressor::Ridge { alpha },
            Self::ElasticNet { l1_ratio } => Regressor::ElasticNet { alpha, l1_ratio, tol, max_iter },
        }
    }
}

/// Settings of a regularisation path; defaults are scikit-learn's `LassoCV`'s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PathParams {
    /// The penalty.
    pub kind: PathKind,
    /// α values.
    pub count: usize,
    /// Smallest α as a share of the largest (lasso, elastic net).
    pub eps: f64,
    /// Coordinate-descent tolerance.
    pub tol: f64,
    /// Most sweeps per α.
    pub max_iter: usize,
}

impl Default for PathParams {
    fn default() -> Self {
        Self { kind: PathKind::ElasticNet { l1_ratio: 1.0 }, count: 100, eps: 1e-3, tol: 1e-4, max_iter: 1000 }
    }
}

/// A regularisation path with its cross-validated error.
#[derive(Debug, Clone)]
pub struct RegPath {
    /// The settings.
    pub params: PathParams,
    /// The path on all samples (pipeline fitted on all samples).
    pub path: Path,
    /// The name of each feature of the path (genes, products or components).
    pub feature_names: Vec<String>,
    /// The input gene of each feature, when the features are genes.
    pub feature_genes: Option<Vec<usize>>,
    /// CV mean squared error at each α: mean over folds and its standard error (SD with n − 1
    /// over √folds, as glmnet's).
    pub cv_mse: Vec<(f64, f64)>,
    /// The α with the smallest CV error (the largest on ties).
    pub best: usize,
    /// The largest α whose CV error is within one standard error of the smallest.
    pub one_se: usize,
}

impl RegPath {
    /// The features whose coefficient is non-zero somewhere on the path, largest |coefficient|
    /// at the smallest α first, at most `limit` (the lines a path plot draws).
    pub fn drawn(&self, limit: usize) -> Vec<usize> {
        let Some(last) = self.path.coefficients.last() else { return Vec::new() };
        let mut order: Vec<usize> =
            (0..last.len()).filter(|&f| self.path.coefficients.iter().any(|c| c[f] != 0.0)).collect();
        order.sort_by(|&a, &b| last[b].abs().total_cmp(&last[a].abs()).then(a.cmp(&b)));
        order.truncate(limit);
        order
    }

    /// The features with a non-zero coefficient at α index `a`, largest |coefficient| first:
    /// (feature index, coefficient).
    pub fn nonzero(&self, a: usize) -> Vec<(usize, f64)> {
        let mut out: Vec<(usize, f64)> =
            self.path.coefficients[a].iter().enumerate().filter(|(_, w)| **w != 0.0).map(|(i, &w)| (i, w)).collect();
        out.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        out
    }
}

/// The path of `params.kind` over an α grid (lasso / elastic net: scikit-learn's `_alpha_grid`
/// on the pipeline's features of all samples; ridge: [`ridge_alpha_grid`]), its coefficients on
/// all samples, and the CV error at every α with the pipeline and path refitted in each training
/// fold (as `LassoCV`). `gene_names` name the input columns. `progress` gets (done, total) paths.
#[allow(clippy::too_many_arguments)]
pub fn regularisation_path(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    gene_names: &[String],
    params: &PathParams,
    features: &Features,
    splits: &[Split],
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<RegPath, RegressError> {
    check_inputs(x, y)?;
    if params.count < 2 || !(params.eps > 0.0 && params.eps < 1.0) {
        return Err(RegressError::Settings("a path needs at least 2 α values and 0 < eps < 1".into()));
    }
    let total = splits.len() + 1;
    let (pipeline, all_features) =
        FittedFeatures::fit_target(x, Target::Values(y), features, None).map_err(RegressError::Features)?;
    let centred = Centred::new(all_features.view(), y);
    let alphas = match params.kind {
        PathKind::Ridge => ridge_alpha_grid(&centred, params.count),
        PathKind::ElasticNet { l1_ratio } => alpha_grid(&centred, l1_ratio, params.eps, params.count),
    };
    let follow = |c: &Centred| -> Result<Path, RegressError> {
        match params.kind {
            PathKind::Ridge => ridge_path(c, &alphas),
            PathKind::ElasticNet { l1_ratio } => {
                enet_path(c, l1_ratio, &alphas, params.tol, params.max_iter, cancel, &mut |_| {})
            }
        }
    };
    let path = follow(&centred)?;
    progress(1, total);
    let mut fold_mse: Vec<Vec<f64>> = Vec::with_capacity(splits.len());
    for (done, split) in splits.iter().enumerate() {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(RegressError::Cancelled);
        }
        let train_y: Vec<f64> = split.train.iter().map(|&i| y[i]).collect();
        let (fold_pipeline, train_features) = FittedFeatures::fit_target(
            x.select(Axis(0), &split.train).view(),
            Target::Values(&train_y),
            features,
            None,
        )
        .map_err(RegressError::Features)?;
        let fold_path = follow(&Centred::new(train_features.view(), &train_y))?;
        let test_features = fold_pipeline.apply(x.select(Axis(0), &split.test).view());
        let truth: Vec<f64> = split.test.iter().map(|&i| y[i]).collect();
        fold_mse.push(
            (0..alphas.len())
                .map(|a| {
                    let p = fold_path.predict(a, test_features.view());
                    truth.iter().zip(&p).map(|(t, q)| (t - q) * (t - q)).sum::<f64>() / truth.len().max(1) as f64
                })
                .collect(),
        );
        progress(done + 2, total);
    }
    let k = fold_mse.len().max(1) as f64;
    let cv_mse: Vec<(f64, f64)> = (0..alphas.len())
        .map(|a| {
            let values: Vec<f64> = fold_mse.iter().map(|f| f[a]).collect();
            let mean = values.iter().sum::<f64>() / k;
            let var = if values.len() > 1 {
                values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (k - 1.0)
            } else {
                0.0
            };
            (mean, (var / k).sqrt())
        })
        .collect();
    let best = (0..cv_mse.len()).fold(0, |b, a| if cv_mse[a].0 < cv_mse[b].0 { a } else { b });
    let limit = cv_mse[best].0 + cv_mse[best].1;
    let one_se = (0..=best).find(|&a| cv_mse[a].0 <= limit).unwrap_or(best);
    Ok(RegPath {
        params: *params,
        feature_names: pipeline.names(gene_names),
        feature_genes: pipeline.feature_genes(x.ncols()),
        path,
        cv_mse,
        best,
        one_se,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::classify::folds::k_fold;
    use crate::analysis::rng::Rng;

    #[test]
    fn the_lasso_path_finds_the_true_genes_and_one_se_is_sparser() {
        let mut rng = Rng::new(1);
        let (n, p) = (60, 30);
        let x = Array2::from_shape_fn((n, p), |_| rng.normal());
        let y: Vec<f64> = (0..n).map(|i| 3.0 * x[[i, 2]] - 2.0 * x[[i, 7]] + 0.3 * rng.normal()).collect();
        let names: Vec<String> = (0..p).map(|g| format!("g{g}")).collect();
        let splits = k_fold(n, 5, true, 0).unwrap();
        let path = regularisation_path(
            x.view(),
            &y,
            &names,
            &PathParams::default(),
            &Features::default(),
            &splits,
            None,
            &mut |_, _| {},
        )
        .unwrap();
        assert!(path.path.coefficients[0].iter().all(|&w| w == 0.0));
        assert!(path.one_se <= path.best);
        let chosen: Vec<usize> = path.nonzero(path.one_se).iter().map(|&(i, _)| i).collect();
        assert_eq!(&chosen[..2], &[2, 7]);
        assert!(path.nonzero(path.one_se).len() <= path.nonzero(path.best).len());
    }
}
