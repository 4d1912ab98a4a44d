//! Cross-validation without leakage: the feature pipeline (N genes chosen by variance or by
//! their association with the target, polynomial terms, z-scores, the first K principal
//! components) is fitted on each training fold only and applied to its test fold. The pipeline
//! serves classification and regression alike ([`Target`]). For teaching, gene selection can be
//! done on all the data first: with selection by association (ANOVA F) that leaks the test
//! labels into the model, and the score inflates — even on random labels.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::folds::Split;
use super::metrics::{Scores, confusion, scores};
use super::{ClassifyError, Model};
use crate::analysis::pca::{PcaParams, pca};
use crate::jobs::CancelToken;

/// How genes are chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum GeneSelection {
    /// The largest variance (ignores the classes).
    #[default]
    Variance,
    /// The strongest association with the target (uses it): the ANOVA F statistic between
    /// classes, or for a numeric target scikit-learn's `f_regression` (the squared correlation).
    #[value(name = "anova", alias = "association")]
    AnovaF,
}

/// The target the pipeline may look at (gene selection by association).
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A class per sample.
    Classes(&'a [usize]),
    /// A number per sample.
    Values(&'a [f64]),
}

/// Most genes polynomial features are made from (30 genes give 495 features).
pub const POLYNOMIAL_MAX_GENES: usize = 30;

/// The per-fold feature pipeline, in order: gene selection, scaling, PCA.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// Keep N genes.
    pub top_genes: Option<usize>,
    /// How the N genes are chosen.
    pub selection: GeneSelection,
    /// z-score every kept gene (population SD; constant genes become 0).
    pub scale: bool,
    /// Replace the genes by the first K principal components.
    pub pca: Option<usize>,
    /// Add every product of two kept genes and every square (scikit-learn's
    /// `PolynomialFeatures(2, include_bias=False)`), before scaling; at most
    /// [`POLYNOMIAL_MAX_GENES`] genes.
    #[serde(default)]
    pub polynomial: bool,
    /// Teaching only: choose the genes on all samples, test folds included (leakage).
    pub select_on_all_data: bool,
}

/// The pipeline fitted on one training fold.
#[derive(Debug, Clone)]
pub struct FittedFeatures {
    /// Columns of the input kept (`None`: all).
    pub genes: Option<Vec<usize>>,
    polynomial: bool,
    scale: Option<(Array1<f64>, Array1<f64>)>,
    pca: Option<(Array1<f64>, Array2<f64>)>,
}

/// The one-way ANOVA F statistic of every column between the classes `y` (0 for a column
/// with no spread within classes and none between).
pub fn anova_f(x: ArrayView2<'_, f64>, y: &[usize]) -> Vec<f64> {
    let n = y.len();
    let k = y.iter().max().map_or(0, |m| m + 1);
    let sizes: Vec<f64> = (0..k).map(|c| y.iter().filter(|&&v| v == c).count() as f64).collect();
    let groups = sizes.iter().filter(|&&s| s > 0.0).count();
    x.columns()
        .into_iter()
        .map(|col| {
            let mean = col.sum() / n as f64;
            let mut sums = vec![0.0; k];
            for (v, &c) in col.iter().zip(y) {
                sums[c] += v;
            }
            let between: f64 =
                (0..k).filter(|&c| sizes[c] > 0.0).map(|c| sizes[c] * (sums[c] / sizes[c] - mean).powi(2)).sum();
            let within: f64 = col.iter().zip(y).map(|(v, &c)| (v - sums[c] / sizes[c]).powi(2)).sum();
            let (df_b, df_w) = (groups.saturating_sub(1) as f64, n.saturating_sub(groups) as f64);
            if within <= 0.0 || df_b <= 0.0 || df_w <= 0.0 {
                return if between > 0.0 { f64::INFINITY } else { 0.0 };
            }
            (between / df_b) / (within / df_w)
        })
        .collect()
}

/// The `n` columns with the largest `score`, in column order.
fn top_by(score: &[f64], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    order.truncate(n);
    order.sort_unstable();
    order
}

/// The `n` genes `selection` chooses on `x` with classes `y`.
pub fn select_genes(x: ArrayView2<'_, f64>, y: &[usize], selection: GeneSelection, n: usize) -> Vec<usize> {
    select_genes_for(x, Target::Classes(y), selection, n)
}

/// The `n` genes `selection` chooses on `x` for `target`.
pub fn select_genes_for(x: ArrayView2<'_, f64>, target: Target<'_>, selection: GeneSelection, n: usize) -> Vec<usize> {
    match (selection, target) {
        (GeneSelection::Variance, _) => top_variance(x, n),
        (GeneSelection::AnovaF, Target::Classes(y)) => top_by(&anova_f(x, y), n),
        (GeneSelection::AnovaF, Target::Values(y)) => top_by(&f_regression(x, y), n),
    }
}

/// scikit-learn's `f_regression` F statistic of every column against `y`: r² / (1 − r²) ·
/// (n − 2), r the Pearson correlation (0 for a constant column).
pub fn f_regression(x: ArrayView2<'_, f64>, y: &[f64]) -> Vec<f64> {
    let n = y.len() as f64;
    let y_mean = y.iter().sum::<f64>() / n;
    let y_ss: f64 = y.iter().map(|v| (v - y_mean).powi(2)).sum();
    x.columns()
        .into_iter()
        .map(|col| {
            let mean = col.sum() / n;
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for (v, t) in col.iter().zip(y) {
                sxy += (v - mean) * (t - y_mean);
                sxx += (v - mean) * (v - mean);
            }
            if sxx <= 0.0 || y_ss <= 0.0 {
                return 0.0;
            }
            let r2 = (sxy * sxy / (sxx * y_ss)).min(1.0);
            if r2 >= 1.0 { f64::INFINITY } else { r2 / (1.0 - r2) * (n - 2.0) }
        })
        .collect()
}

/// Degree-2 polynomial features of the rows of `x`: the columns, then for i ≤ j the
/// products xᵢ·xⱼ in scikit-learn's order (x₀², x₀x₁, …, x₁², …).
pub fn polynomial_features(x: ArrayView2<'_, f64>) -> Array2<f64> {
    let (n, p) = x.dim();
    let mut out = Array2::zeros((n, p + p * (p + 1) / 2));
    for (r, row) in x.outer_iter().enumerate() {
        let mut c = 0;
        for &v in row {
            out[[r, c]] = v;
            c += 1;
        }
        for i in 0..p {
            for j in i..p {
                out[[r, c]] = row[i] * row[j];
                c += 1;
            }
        }
    }
    out
}

/// The `n` columns of largest population variance, in column order.
pub fn top_variance(x: ArrayView2<'_, f64>, n: usize) -> Vec<usize> {
    top_by(&x.var_axis(Axis(0), 0.0).to_vec(), n)
}

impl FittedFeatures {
    /// Fits the pipeline on `train` (samples × genes) and returns it with the transformed
    /// training data. `preselected` genes (leaky demo) replace the in-fold selection.
    pub fn fit(
        train: ArrayView2<'_, f64>,
        train_y: &[usize],
        features: &Features,
        preselected: Option<&[usize]>,
    ) -> Result<(Self, Array2<f64>), ClassifyError> {
        Self::fit_target(train, Target::Classes(train_y), features, preselected).map_err(ClassifyError::Features)
    }

    /// [`FittedFeatures::fit`] for any target; the error says what failed.
    pub fn fit_target(
        train: ArrayView2<'_, f64>,
        target: Target<'_>,
        features: &Features,
        preselected: Option<&[usize]>,
    ) -> Result<(Self, Array2<f64>), String> {
        let genes = match (preselected, features.top_genes) {
            (Some(p), _) => Some(p.to_vec()),
            (None, Some(n)) if n < train.ncols() => Some(select_genes_for(train, target, features.selection, n)),
            _ => None,
        };
        // Selecting columns gives a column-major array: back to rows for the models.
        let mut x = match &genes {
            Some(g) => train.select(Axis(1), g).as_standard_layout().into_owned(),
            None => train.as_standard_layout().into_owned(),
        };
        if features.polynomial {
            if x.ncols() > POLYNOMIAL_MAX_GENES {
                return Err(format!(
                    "polynomial features are made from at most {POLYNOMIAL_MAX_GENES} genes ({} kept): keep fewer genes",
                    x.ncols()
                ));
            }
            x = polynomial_features(x.view());
        }
        let scale = features.scale.then(|| {
            let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
            let sd = x.std_axis(Axis(0), 0.0).mapv(|s| if s > 0.0 { s } else { 1.0 });
            x = (&x - &mean) / &sd;
            (mean, sd)
        });
        let pca_fit = match features.pca {
            Some(k) => {
                let fit = pca(x.view(), &PcaParams::new(k.min(x.nrows()).min(x.ncols()).max(1)), None)
                    .map_err(|e| format!("PCA in a training fold: {e}"))?;
                let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
                let loadings = fit.loadings;
                x = fit.scores;
                Some((mean, loadings))
            }
            None => None,
        };
        Ok((Self { genes, polynomial: features.polynomial, scale, pca: pca_fit }, x))
    }

    /// The name of every feature the pipeline makes, from the input genes' `names`: genes,
    /// products ("A·B", "A²") or components ("PC1").
    pub fn names(&self, names: &[String]) -> Vec<String> {
        if let Some((_, loadings)) = &self.pca {
            return (1..=loadings.ncols()).map(|k| format!("PC{k}")).collect();
        }
        let kept: Vec<String> = match &self.genes {
            Some(g) => g.iter().map(|&i| names.get(i).cloned().unwrap_or_default()).collect(),
            None => names.to_vec(),
        };
        if !self.polynomial {
            return kept;
        }
        let mut out = kept.clone();
        for i in 0..kept.len() {
            for j in i..kept.len() {
                out.push(if i == j { format!("{}²", kept[i]) } else { format!("{}·{}", kept[i], kept[j]) });
            }
        }
        out
    }

    /// Per-feature values (importances, coefficients) as one value per input gene (0 for genes
    /// not kept), when every feature is one gene.
    pub fn to_genes(&self, values: &[f64], inputs: usize) -> Option<Vec<f64>> {
        let genes = self.feature_genes(inputs)?;
        let mut full = vec![0.0; inputs];
        genes.iter().zip(values).for_each(|(&g, &v)| full[g] = v);
        Some(full)
    }

    /// The input gene of each feature, when every feature is one gene (no PCA, no products).
    pub fn feature_genes(&self, inputs: usize) -> Option<Vec<usize>> {
        if self.pca.is_some() || self.polynomial {
            return None;
        }
        Some(self.genes.clone().unwrap_or_else(|| (0..inputs).collect()))
    }

    /// Applies the fitted pipeline to other samples.
    pub fn apply(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let mut out = match &self.genes {
            Some(g) => x.select(Axis(1), g).as_standard_layout().into_owned(),
            None => x.as_standard_layout().into_owned(),
        };
        if self.polynomial {
            out = polynomial_features(out.view());
        }
        if let Some((mean, sd)) = &self.scale {
            out = (&out - mean) / sd;
        }
        if let Some((mean, loadings)) = &self.pca {
            out = (&out - mean).dot(loadings);
        }
        out
    }
}

/// One fold's outcome.
#[derive(Debug, Clone)]
pub struct FoldOutcome {
    /// Test samples (indices into the samples validated).
    pub test: Vec<usize>,
    /// Their predicted classes.
    pub predicted: Vec<usize>,
    /// Their class scores (test samples × classes).
    pub scores: Array2<f64>,
    /// Scores on the test fold.
    pub metrics: Scores,
    /// Accuracy on the training fold (for under- and over-fitting).
    pub train_accuracy: f64,
    /// Gene importances mapped back to input columns, when the model has them.
    pub importance: Option<Vec<f64>>,
    /// The training history, epoch by epoch (networks).
    pub history: Option<Vec<crate::analysis::nn::EpochRecord>>,
    /// Where the model trained (networks).
    pub device: Option<String>,
}

/// A class's ROC curve against the rest: (class name, (false, true positive rate) points, AUC).
pub type RocCurve = (String, Vec<(f64, f64)>, f64);

/// A whole cross-validation.
#[derive(Debug, Clone)]
pub struct CvOutcome {
    /// The model validated.
    pub model: Model,
    /// Classes.
    pub classes: usize,
    /// Per fold.
    pub folds: Vec<FoldOutcome>,
}

impl CvOutcome {
    /// Mean and SD (population, over folds) of one score.
    pub fn mean_sd(&self, score: impl Fn(&Scores) -> Option<f64>) -> (f64, f64) {
        let values: Vec<f64> = self.folds.iter().filter_map(|f| score(&f.metrics)).collect();
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    /// True when every test fold holds one sample (leave-one-out): per-fold macro scores and
    /// AUCs are then meaningless, use [`CvOutcome::pooled`].
    pub fn single_sample_folds(&self) -> bool {
        self.folds.iter().all(|f| f.test.len() == 1)
    }

    /// ROC curves of every class against the rest, from the test scores of every fold pooled:
    /// (class name, curve, AUC; NaN when the class has no positive or no negative sample).
    pub fn roc_curves(&self, truth: &[usize], classes: &[String]) -> Vec<RocCurve> {
        let (mut labels, mut scores) = (Vec::new(), Vec::new());
        for f in &self.folds {
            for (r, &i) in f.test.iter().enumerate() {
                labels.push(truth[i]);
                scores.push(f.scores.row(r).to_vec());
            }
        }
        classes
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let positive: Vec<bool> = labels.iter().map(|&t| t == c).collect();
                let s: Vec<f64> = scores.iter().map(|row| row.get(c).copied().unwrap_or(0.0)).collect();
                let auc = super::metrics::roc_auc(&positive, &s).unwrap_or(f64::NAN);
                (name.clone(), super::metrics::roc_curve(&positive, &s), auc)
            })
            .collect()
    }

    /// Scores of all test predictions together (as scikit-learn's `cross_val_predict`).
    pub fn pooled(&self, truth: &[usize]) -> Scores {
        let t: Vec<usize> = self.folds.iter().flat_map(|f| f.test.iter().map(|&i| truth[i])).collect();
        let p: Vec<usize> = self.folds.iter().flat_map(|f| f.predicted.iter().copied()).collect();
        let mut s = Array2::zeros((t.len(), self.classes));
        let mut row = 0;
        for f in &self.folds {
            for r in f.scores.outer_iter() {
                s.row_mut(row).assign(&r);
                row += 1;
            }
        }
        scores(&t, &p, s.view(), self.classes)
    }

    /// The confusion matrix summed over folds (rows: true class).
    pub fn confusion(&self, truth: &[usize]) -> Vec<Vec<usize>> {
        let mut total = vec![vec![0; self.classes]; self.classes];
        for f in &self.folds {
            let t: Vec<usize> = f.test.iter().map(|&i| truth[i]).collect();
            for (row, add) in total.iter_mut().zip(confusion(&t, &f.predicted, self.classes)) {
                row.iter_mut().zip(add).for_each(|(a, b)| *a += b);
            }
        }
        total
    }

    /// Mean importance per input gene over folds, when the model has importances.
    pub fn importance(&self) -> Option<Vec<f64>> {
        let first = self.folds.first()?.importance.as_ref()?;
        let mut total = vec![0.0; first.len()];
        for f in &self.folds {
            total.iter_mut().zip(f.importance.as_ref()?).for_each(|(a, b)| *a += b);
        }
        let folds = self.folds.len() as f64;
        for v in &mut total {
            *v /= folds;
        }
        Some(total)
    }
}

/// The pipeline and model fitted on one split's training samples, with the transformed
/// training data and its classes.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn fit_fold(
    x: ArrayView2<'_, f64>,
    y: &[usize],
    classes: usize,
    model: &Model,
    features: &Features,
    split: &Split,
    preselected: Option<&[usize]>,
    cancel: Option<&CancelToken>,
) -> Result<(FittedFeatures, Box<dyn super::Fitted>, Array2<f64>, Vec<usize>), ClassifyError> {
    let train_x = x.select(Axis(0), &split.train);
    let train_y: Vec<usize> = split.train.iter().map(|&i| y[i]).collect();
    let (pipeline, train_features) = FittedFeatures::fit(train_x.view(), &train_y, features, preselected)?;
    let fitted = model.fit(train_features.view(), &train_y, classes, cancel)?;
    Ok((pipeline, fitted, train_features, train_y))
}

/// Validates `model` on `splits` of `x` (samples × genes) with classes `y` (`0..classes`).
/// `progress` gets the number of folds done.
#[allow(clippy::too_many_arguments)]
pub fn cross_validate(
    x: ArrayView2<'_, f64>,
    y: &[usize],
    classes: usize,
    model: &Model,
    features: &Features,
    splits: &[Split],
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize),
) -> Result<CvOutcome, ClassifyError> {
    if let Some(i) = x.outer_iter().position(|r| r.iter().any(|v| !v.is_finite())) {
        return Err(ClassifyError::Missing(i));
    }
    let present = {
        let mut seen = vec![false; classes];
        for &c in y {
            seen[c] = true;
        }
        seen.iter().filter(|s| **s).count()
    };
    if present < 2 {
        return Err(ClassifyError::OneClass(present));
    }
    let leaky = match (features.select_on_all_data, features.top_genes) {
        (true, Some(n)) if n < x.ncols() => Some(select_genes(x, y, features.selection, n)),
        _ => None,
    };
    let mut folds = Vec::with_capacity(splits.len());
    for (done, split) in splits.iter().enumerate() {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(ClassifyError::Cancelled);
        }
        let (pipeline, fitted, train_features, train_y) =
            fit_fold(x, y, classes, model, features, split, leaky.as_deref(), cancel)?;
        let test_features = pipeline.apply(x.select(Axis(0), &split.test).view());
        let class_scores = fitted.scores(test_features.view());
        let predicted = fitted.predict(test_features.view());
        let truth: Vec<usize> = split.test.iter().map(|&i| y[i]).collect();
        let metrics = scores(&truth, &predicted, class_scores.view(), classes);
        let train_predicted = fitted.predict(train_features.view());
        let train_accuracy =
            train_predicted.iter().zip(&train_y).filter(|(p, t)| p == t).count() as f64 / train_y.len().max(1) as f64;
        // Importances are per pipeline feature: map genes back; PCA components have none.
        let importance = fitted.importance().and_then(|imp| pipeline.to_genes(&imp, x.ncols()));
        folds.push(FoldOutcome {
            test: split.test.clone(),
            predicted,
            scores: class_scores,
            metrics,
            train_accuracy,
            importance,
            history: fitted.history().map(<[_]>::to_vec),
            device: fitted.device().map(str::to_owned),
        });
        progress(done + 1);
    }
    Ok(CvOutcome { model: model.clone(), classes, folds })
}
