//! Regression with honest validation: the numeric target (an annotation, or a gene predicted
//! from the others), the features (fitted inside each training fold, as for classification),
//! the validation scheme (the classifiers' [`Validation`], unstratified) and the models;
//! [`prepare`] turns a dataset into the problem and its splits (the app's Predict view,
//! `biolens regress` and `biolens run` share it), [`run`] cross-validates every chosen model on
//! the same splits, and [`path`], [`learning`] and [`validation_curve`] draw the lessons.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::classify::{FeatureChoice, Validation, make_splits};
use super::{Ctx, RecipeError};
use crate::analysis::classify::folds::Split;
use crate::analysis::classify::validation::{Features, GeneSelection};
use crate::analysis::regress::Regressor;
use crate::analysis::regress::linear::{LinearFit, Loss, robust};
use crate::analysis::regress::validation::{
    CurvePoint, PathParams, RegParam, RegPath, RegressCv, cross_validate, fit_on, learning_curve, regularisation_path,
};
use crate::data::Dataset;
use crate::data::annotations::AnnotationValues;
use crate::memory::{MemoryRule, matrix_bytes};

/// What is predicted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegressTarget {
    /// A numeric annotation, by name.
    Annotation(String),
    /// A gene of the processed matrix, by id: it leaves the features.
    Gene(String),
}

impl RegressTarget {
    /// Its name in titles ("age", "gene CD3E").
    pub fn label(&self) -> String {
        match self {
            Self::Annotation(a) => a.clone(),
            Self::Gene(g) => format!("gene {g}"),
        }
    }
}

/// Training-set shares of the learning curve.
pub const LEARNING_SHARES: [f64; 8] = [0.1, 0.2, 0.3, 0.4, 0.55, 0.7, 0.85, 1.0];

/// The regression settings (the Predict view holds them as they are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegressSettings {
    /// The target (`None`: the first numeric annotation).
    pub target: Option<RegressTarget>,
    /// Features.
    pub features: FeatureChoice,
    /// N genes.
    pub top_genes: usize,
    /// How the N genes are chosen.
    pub selection: GeneSelection,
    /// K components.
    pub pcs: usize,
    /// z-score the features in each training fold.
    pub scale: bool,
    /// Degree-2 polynomial features of the kept genes (at most 30).
    pub polynomial: bool,
    /// Validation.
    pub validation: Validation,
    /// Seed of the folds, forests and networks.
    pub seed: u32,
    /// The models, each on or off.
    pub models: Vec<(bool, Regressor)>,
    /// Also validate with genes chosen on all samples (teaching).
    pub leak_lesson: bool,
    /// The model whose details are shown (index into the run's outcomes).
    pub selected: usize,
    /// The regularisation path's settings.
    pub path: PathParams,
}

impl Default for RegressSettings {
    fn default() -> Self {
        Self {
            target: None,
            features: FeatureChoice::All,
            top_genes: 200,
            selection: GeneSelection::Variance,
            pcs: 10,
            scale: true,
            polynomial: false,
            validation: Validation::default(),
            seed: 0,
            models: Regressor::defaults()
                .into_iter()
                .map(|m| (!matches!(m, Regressor::Mlp { .. } | Regressor::Tree { .. } | Regressor::Robust { .. }), m))
                .collect(),
            leak_lesson: false,
            selected: 0,
            path: PathParams::default(),
        }
    }
}

impl RegressSettings {
    /// The fold pipeline the settings describe (fitted in each training fold).
    pub fn fold_features(&self) -> Features {
        Features {
            top_genes: (self.features == FeatureChoice::TopGenes).then_some(self.top_genes),
            selection: self.selection,
            scale: self.scale,
            pca: (self.features == FeatureChoice::Pcs).then_some(self.pcs),
            select_on_all_data: false,
            polynomial: self.polynomial,
        }
    }

    /// The models switched on, seeded with the settings' seed.
    pub fn chosen_models(&self) -> Vec<Regressor> {
        self.models.iter().filter(|(on, _)| *on).map(|(_, m)| m.clone().with_seed(u64::from(self.seed))).collect()
    }

    /// The target in `dataset`: the one chosen if it is there (a numeric annotation or a gene),
    /// else the first numeric annotation.
    pub fn target_in(&self, dataset: &Dataset) -> Option<RegressTarget> {
        match &self.target {
            Some(RegressTarget::Gene(g)) if dataset.gene_ids().contains(g) => return self.target.clone(),
            Some(RegressTarget::Annotation(a)) if numeric_annotations(dataset).contains(&a.as_str()) => {
                return self.target.clone();
            }
            _ => {}
        }
        numeric_annotations(dataset).first().map(|a| RegressTarget::Annotation((*a).to_owned()))
    }
}

/// The numeric annotations of `dataset`, in order.
pub fn numeric_annotations(dataset: &Dataset) -> Vec<&str> {
    dataset
        .annotations()
        .iter()
        .filter(|a| matches!(a.values, AnnotationValues::Numeric(_)))
        .map(|a| a.name.as_str())
        .collect()
}

/// The samples' matrix, one fold's copy, and the models' working copies.
pub const MEMORY: MemoryRule = MemoryRule { what: "regression", bytes: |n, genes| 4 * matrix_bytes(n, genes) };

/// A regression problem: the samples with a target value, the features, the target and the
/// splits.
#[derive(Debug, Clone)]
pub struct RegressProblem {
    /// Samples × feature genes.
    pub x: Array2<f64>,
    /// The feature genes' ids (the target gene left out).
    pub genes: Vec<String>,
    /// Processed-sample index of each sample validated.
    pub samples: Vec<usize>,
    /// Their target values.
    pub y: Vec<f64>,
    /// The target.
    pub target: RegressTarget,
    /// The splits (indices into the samples validated).
    pub splits: Vec<Split>,
    /// What the validation is ("5-fold").
    pub validation: String,
    /// Notices (samples without a value).
    pub notices: Vec<String>,
}

/// The problem of predicting `target` in `dataset` under `validation` (seeded by `seed`).
pub fn prepare(
    dataset: &Dataset,
    target: &RegressTarget,
    validation: &Validation,
    seed: u32,
) -> Result<RegressProblem, RecipeError> {
    let invalid = RecipeError::Invalid;
    MEMORY.check(dataset.n_samples(), dataset.n_genes())?;
    let dense = dataset.dense()?;
    let (values, gene_column): (Vec<f64>, Option<usize>) = match target {
        RegressTarget::Annotation(name) => {
            let annotation = dataset.annotations().iter().find(|a| &a.name == name).ok_or_else(|| {
                let names: Vec<&str> = dataset.annotations().iter().map(|a| a.name.as_str()).collect();
                invalid(format!("no annotation '{name}'; the annotations are: {}", names.join(", ")))
            })?;
            match &annotation.values {
                AnnotationValues::Numeric(v) => (v.clone(), None),
                AnnotationValues::Categorical { levels, .. } => {
                    return Err(invalid(format!(
                        "'{name}' holds classes ({} levels), not numbers: classify it instead",
                        levels.len()
                    )));
                }
            }
        }
        RegressTarget::Gene(gene) => {
            let g = dataset
                .gene_ids()
                .iter()
                .position(|id| id == gene)
                .ok_or_else(|| invalid(format!("no gene '{gene}' in the processed matrix")))?;
            (dense.column(g).to_vec(), Some(g))
        }
    };
    if dataset.n_genes() < 1 + usize::from(gene_column.is_some()) {
        return Err(invalid("there are no genes left to predict from".into()));
    }
    let samples: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_finite()).collect();
    let mut notices = Vec::new();
    if samples.len() < values.len() {
        notices.push(format!(
            "{} samples without a {} value are left out",
            values.len() - samples.len(),
            target.label()
        ));
    }
    if samples.len() < 3 {
        return Err(invalid(format!(
            "only {} samples have a {} value: regression needs 3",
            samples.len(),
            target.label()
        )));
    }
    let y: Vec<f64> = samples.iter().map(|&i| values[i]).collect();
    if y.iter().all(|&v| v.total_cmp(&y[0]).is_eq()) {
        return Err(invalid(format!(
            "{} has the same value ({}) in every sample: nothing to predict",
            target.label(),
            y[0]
        )));
    }
    let (splits, what) = make_splits(dataset, &samples, None, validation, seed)?;
    let keep: Vec<usize> = (0..dataset.n_genes()).filter(|&g| Some(g) != gene_column).collect();
    let rows = dense.select(ndarray::Axis(0), &samples);
    // Selecting columns gives a column-major copy: only when a gene leaves the features.
    let x = if gene_column.is_some() {
        rows.select(ndarray::Axis(1), &keep).as_standard_layout().into_owned()
    } else {
        rows
    };
    let genes = keep.iter().map(|&g| dataset.gene_ids()[g].clone()).collect();
    Ok(RegressProblem { x, genes, samples, y, target: target.clone(), splits, validation: what, notices })
}

/// Every chosen model validated on the same splits.
#[derive(Debug, Clone)]
pub struct RegressRun {
    /// The problem (samples, target, features, splits).
    pub problem: std::sync::Arc<RegressProblem>,
    /// One per model.
    pub outcomes: Vec<RegressCv>,
    /// Per model, the linear fit on all samples (the coefficients to report; linear models only,
    /// features that are genes only).
    pub full_fits: Vec<Option<LinearFit>>,
    /// Per model, mean R² with the genes chosen on all samples (the leakage lesson).
    pub leaky: Option<Vec<f64>>,
}

/// Cross-validates every model chosen in `settings` on `dataset` (progress per fold, Cancel
/// between folds), fits each linear model on all samples for its coefficients, and with the
/// leakage lesson validates again with the genes chosen on all samples.
pub fn run(settings: &RegressSettings, dataset: &Dataset, ctx: Ctx<'_>) -> Result<RegressRun, RecipeError> {
    let target = settings.target_in(dataset).ok_or_else(|| {
        RecipeError::Invalid("add a numeric annotation to predict, or choose a gene as the target".to_owned())
    })?;
    let problem = prepare(dataset, &target, &settings.validation, settings.seed)?;
    run_on(settings, std::sync::Arc::new(problem), ctx)
}

/// [`run`] on a prepared problem.
pub fn run_on(
    settings: &RegressSettings,
    problem: std::sync::Arc<RegressProblem>,
    ctx: Ctx<'_>,
) -> Result<RegressRun, RecipeError> {
    let models = settings.chosen_models();
    if models.is_empty() {
        return Err(RecipeError::Invalid("choose at least one model".to_owned()));
    }
    let features = settings.fold_features();
    let leak = settings.leak_lesson && features.top_genes.is_some();
    let runs = models.len() * problem.splits.len() * if leak { 2 } else { 1 };
    let mut done = 0;
    let (mut outcomes, mut full_fits) = (Vec::with_capacity(models.len()), Vec::with_capacity(models.len()));
    let mut leaky = leak.then(Vec::new);
    let all: Vec<usize> = (0..problem.y.len()).collect();
    for model in &models {
        let mut step = |_| {
            done += 1;
            ctx.progress(Some(done as f32 / runs as f32), &format!("{}: fold {done}", model.name()));
        };
        let cv = cross_validate(
            problem.x.view(),
            &problem.y,
            model,
            &features,
            &problem.splits,
            ctx.cancel_token(),
            &mut step,
        )
        .map_err(|e| ctx.failed(e))?;
        outcomes.push(cv);
        full_fits.push(if model.is_linear() {
            let (pipeline, fitted, _, _) =
                fit_on(problem.x.view(), &problem.y, model, &features, &all, None, ctx.cancel_token())
                    .map_err(|e| ctx.failed(e))?;
            fitted.linear().filter(|_| pipeline.feature_genes(problem.x.ncols()).is_some()).map(|l| {
                let coefficients = pipeline.to_genes(&l.coefficients, problem.x.ncols()).unwrap_or_default();
                LinearFit { coefficients, ..l.clone() }
            })
        } else {
            None
        });
        if let Some(leaky) = &mut leaky {
            let on_all = Features { select_on_all_data: true, ..features.clone() };
            let cv = cross_validate(
                problem.x.view(),
                &problem.y,
                model,
                &on_all,
                &problem.splits,
                ctx.cancel_token(),
                &mut |_| done += 1,
            )
            .map_err(|e| ctx.failed(e))?;
            leaky.push(cv.mean_sd(|s| s.r2).0);
        }
    }
    Ok(RegressRun { problem, outcomes, full_fits, leaky })
}

/// The regularisation path of `settings.path` on the run's problem, with its CV error curve.
pub fn path(settings: &RegressSettings, problem: &RegressProblem, ctx: Ctx<'_>) -> Result<RegPath, RecipeError> {
    regularisation_path(
        problem.x.view(),
        &problem.y,
        &problem.genes,
        &settings.path,
        &settings.fold_features(),
        &problem.splits,
        ctx.cancel_token(),
        &mut |d, t| ctx.progress(Some(d as f32 / t as f32), &format!("path: fold {d} of {t}")),
    )
    .map_err(|e| ctx.failed(e))
}

/// The learning curve of `model` on the problem: training and test error at
/// [`LEARNING_SHARES`] of each training fold.
pub fn learning(
    settings: &RegressSettings,
    problem: &RegressProblem,
    model: &Regressor,
    ctx: Ctx<'_>,
) -> Result<Vec<CurvePoint>, RecipeError> {
    learning_curve(
        problem.x.view(),
        &problem.y,
        model,
        &settings.fold_features(),
        &problem.splits,
        &LEARNING_SHARES,
        settings.seed,
        ctx.cancel_token(),
        &mut |d, t| ctx.progress(Some(d as f32 / t as f32), "learning curve"),
    )
    .map_err(|e| ctx.failed(e))
}

/// The validation curve of `model` over `param` at `values` (its suggested values when empty).
pub fn validation_curve(
    settings: &RegressSettings,
    problem: &RegressProblem,
    model: &Regressor,
    param: RegParam,
    values: &[f64],
    ctx: Ctx<'_>,
) -> Result<Vec<CurvePoint>, RecipeError> {
    let suggested;
    let values = if values.is_empty() {
        suggested = param.suggested();
        &suggested[..]
    } else {
        values
    };
    crate::analysis::regress::validation::validation_curve(
        problem.x.view(),
        &problem.y,
        model,
        param,
        values,
        &settings.fold_features(),
        &problem.splits,
        ctx.cancel_token(),
        &mut |d, t| ctx.progress(Some(d as f32 / t as f32), &format!("validation curve: {d} of {t}")),
    )
    .map_err(|e| ctx.failed(e))
}

/// The line each loss of a [`LossLesson`] fits (`None` where the fit failed).
pub type LessonFits = Vec<(Loss, Option<LinearFit>)>;

/// The loss-functions lesson: one gene against the target, some targets moved (outliers), and
/// the line each loss fits. The Predict view draws it; the rules live here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LossLesson {
    /// The feature gene (column of the problem).
    pub gene: usize,
    /// Target offsets of the samples made outliers (index into the problem's samples).
    pub moved: std::collections::BTreeMap<usize, f64>,
}

impl LossLesson {
    /// Samples drawn and fitted at most (the first ones, in order).
    pub const POINTS: usize = 2000;
    /// How far "push the selection" moves a target, in SDs of the target.
    pub const PUSH_SD: f64 = 3.0;
    /// The losses compared.
    pub const LOSSES: [Loss; 3] = [Loss::Squared, Loss::Absolute, Loss::Huber { epsilon: Loss::DEFAULT_HUBER_EPSILON }];

    /// The lesson on the gene most correlated with the target, nothing moved.
    pub fn new(problem: &RegressProblem) -> Self {
        let f = crate::analysis::classify::validation::f_regression(problem.x.view(), &problem.y);
        let gene = (0..f.len()).fold(0, |b, g| if f[g] > f[b] { g } else { b });
        Self { gene, moved: std::collections::BTreeMap::new() }
    }

    /// The points: the gene and the (moved) target of the first [`Self::POINTS`] samples.
    pub fn points(&self, problem: &RegressProblem) -> (Vec<f64>, Vec<f64>) {
        let n = problem.y.len().min(Self::POINTS);
        let x = (0..n).map(|i| problem.x[[i, self.gene]]).collect();
        let y = (0..n).map(|i| problem.y[i] + self.moved.get(&i).copied().unwrap_or(0.0)).collect();
        (x, y)
    }

    /// Moves up by [`Self::PUSH_SD`] target SDs the drawn samples `chosen` says (by processed
    /// sample index).
    pub fn push(&mut self, problem: &RegressProblem, chosen: impl Fn(usize) -> bool) {
        let n = problem.y.len().max(1) as f64;
        let mean = problem.y.iter().sum::<f64>() / n;
        let sd = (problem.y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        for (i, &s) in problem.samples.iter().enumerate().take(Self::POINTS) {
            if chosen(s) {
                *self.moved.entry(i).or_default() += Self::PUSH_SD * sd;
            }
        }
    }

    /// The line each of [`Self::LOSSES`] fits to `points` (`None` where the fit failed).
    pub fn fits((x, y): &(Vec<f64>, Vec<f64>)) -> LessonFits {
        let column = Array2::from_shape_fn((x.len(), 1), |(i, _)| x[i]);
        Self::LOSSES.into_iter().map(|loss| (loss, robust(column.view(), y, loss).ok())).collect()
    }
}
