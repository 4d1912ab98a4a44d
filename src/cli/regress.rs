//! `biolens regress`: cross-validated regression of a numeric annotation or of a gene from the
//! others, with the coefficients of the linear models, the regularisation path and every test
//! prediction.

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::DataArgs;
use super::classify::MlpArgs;
use crate::analysis::classify::forest::{MaxFeatures, TreeParams};
use crate::analysis::classify::models::KnnWeights;
use crate::analysis::classify::svm::Kernel;
use crate::analysis::classify::validation::GeneSelection;
use crate::analysis::regress::Regressor;
use crate::analysis::regress::linear::{EnetParams, Loss};
use crate::analysis::regress::validation::{PathKind, PathParams, RegPath, RegressCv};
use crate::recipes::classify::Validation;
use crate::recipes::regress::{RegressProblem, RegressSettings, RegressTarget};

/// `biolens regress`.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches are booleans by nature
pub struct RegressArgs {
    /// Loading and preprocessing. Here `--scale` and `--top-genes N` are fitted inside each
    /// training fold (no leakage), on the features only.
    #[command(flatten)]
    pub data: DataArgs,
    /// The numeric annotation column to predict.
    #[arg(long, required_unless_present = "target_gene", conflicts_with = "target_gene")]
    pub target: Option<String>,
    /// Predict this gene of the processed matrix from the other genes (it leaves the features
    /// and keeps the processed matrix's units).
    #[arg(long, value_name = "GENE")]
    pub target_gene: Option<String>,
    /// The model.
    #[arg(long, value_enum)]
    pub model: RegModelArg,
    /// Ridge, lasso, elastic net: the penalty α (scikit-learn's scaling).
    #[arg(long, default_value_t = Regressor::DEFAULT_ALPHA)]
    pub alpha: f64,
    /// Elastic net: share of the penalty on ‖w‖₁.
    #[arg(long, default_value_t = Regressor::DEFAULT_L1_RATIO)]
    pub l1_ratio: f64,
    /// Lasso, elastic net: stopping tolerance (of the duality gap, relative to ‖y‖²).
    #[arg(long, default_value_t = EnetParams::default().tol)]
    pub tol: f64,
    /// Lasso, elastic net: most coordinate-descent sweeps.
    #[arg(long, default_value_t = EnetParams::default().max_iter)]
    pub max_iter: usize,
    /// Folds (shuffled unless `--no-shuffle`): scikit-learn's `KFold`.
    #[arg(long, default_value_t = crate::recipes::classify::DEFAULT_FOLDS)]
    pub cv: usize,
    /// Folds in the samples' order, not shuffled.
    #[arg(long, conflicts_with_all = ["loo", "split", "holdout"])]
    pub no_shuffle: bool,
    /// Repeat the k-fold (scikit-learn's `RepeatedKFold`).
    #[arg(long, default_value_t = 1)]
    pub repeats: usize,
    /// Leave-one-out instead of k-fold (scores over all predictions pooled).
    #[arg(long, conflicts_with_all = ["repeats", "split", "holdout"])]
    pub loo: bool,
    /// One random train/test split with this share of the samples tested (scikit-learn's
    /// `train_test_split`).
    #[arg(long, value_name = "SHARE", conflicts_with = "split")]
    pub holdout: Option<f64>,
    /// One train/test split from an annotation: COLUMN=VALUE puts those samples in the test set.
    #[arg(long, value_name = "COLUMN=VALUE")]
    pub split: Option<String>,
    /// Seed of the folds, forests and networks.
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// How `--top-genes` chooses genes: by variance, or by association with the target
    /// (`anova`: scikit-learn's `f_regression` for a number).
    #[arg(long, value_enum, default_value_t = GeneSelection::default())]
    pub select: GeneSelection,
    /// Teaching: choose the `--top-genes` on all samples before splitting (leakage).
    #[arg(long, requires = "top_genes")]
    pub leak: bool,
    /// Replace the genes by the first K principal components (fitted in each training fold).
    #[arg(long, value_name = "K")]
    pub pca: Option<usize>,
    /// Add degree-2 polynomial features (products and squares) of the kept genes (at most 30:
    /// use with `--top-genes`).
    #[arg(long)]
    pub polynomial: bool,
    /// k-NN: neighbours.
    #[arg(long, default_value_t = Regressor::DEFAULT_K)]
    pub k: usize,
    /// k-NN: weight neighbours by 1 / distance.
    #[arg(long)]
    pub distance_weights: bool,
    /// Random forest: trees.
    #[arg(long, default_value_t = Regressor::DEFAULT_TREES)]
    pub trees: usize,
    /// Trees: deepest level (default: until pure).
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// Trees: fewest samples a node needs to be split.
    #[arg(long, default_value_t = TreeParams::default().min_samples_split)]
    pub min_samples_split: usize,
    /// SVR: cost C.
    #[arg(long, default_value_t = Regressor::DEFAULT_C)]
    pub c: f64,
    /// SVR: half-width ε of the tube of free errors.
    #[arg(long, default_value_t = Regressor::DEFAULT_EPSILON)]
    pub epsilon: f64,
    /// RBF SVR: γ (default: scikit-learn's "scale").
    #[arg(long)]
    pub gamma: Option<f64>,
    /// `robust` and `mlp`: the training loss (robust default: huber).
    #[arg(long, value_enum)]
    pub loss: Option<LossArg>,
    /// Huber loss: the threshold in units of the residuals' robust SD (robust) or of the
    /// target's SD (mlp).
    #[arg(long, default_value_t = Loss::DEFAULT_HUBER_EPSILON)]
    pub huber_epsilon: f64,
    /// The network's settings (`--model mlp`).
    #[command(flatten)]
    pub mlp: MlpArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Ridge, lasso, elastic net: write the regularisation path (100 α values, warm starts) as
    /// CSV `alpha,gene,coefficient`, and report the α with the smallest CV error and the
    /// one-standard-error α.
    #[arg(long, value_name = "FILE")]
    pub path_out: Option<std::path::PathBuf>,
    /// Write every test prediction as CSV: `sample_id,repeat,fold,true,predicted,residual`.
    #[arg(long, value_name = "FILE")]
    pub predictions_out: Option<std::path::PathBuf>,
    /// Also draw the test predictions against the truth (.svg, .png or .pdf, 1200 × 900 px).
    #[arg(long, value_name = "FILE")]
    pub predicted_figure: Option<std::path::PathBuf>,
    /// Also draw the residuals against the predictions (.svg, .png or .pdf, 1200 × 900 px).
    #[arg(long, value_name = "FILE")]
    pub residuals_figure: Option<std::path::PathBuf>,
}

/// `--model` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegModelArg {
    /// Ordinary least squares.
    Ols,
    /// Ridge (L2 penalty `--alpha`).
    Ridge,
    /// Lasso (L1 penalty `--alpha`).
    Lasso,
    /// Elastic net (`--alpha`, `--l1-ratio`).
    Elasticnet,
    /// A linear model with absolute or Huber loss (`--loss`).
    Robust,
    /// k nearest neighbours.
    Knn,
    /// A regression tree.
    Tree,
    /// A random forest.
    Rf,
    /// Linear ε-SVR.
    SvrLinear,
    /// RBF ε-SVR.
    SvrRbf,
    /// A multilayer perceptron.
    Mlp,
    /// The training mean.
    Baseline,
}

/// `--loss` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LossArg {
    /// Squared error.
    Squared,
    /// Absolute error.
    Absolute,
    /// Huber's: squared near 0, absolute beyond `--huber-epsilon`.
    Huber,
}

impl RegressArgs {
    fn loss(&self, default: Loss) -> Loss {
        match self.loss {
            None => default,
            Some(LossArg::Squared) => Loss::Squared,
            Some(LossArg::Absolute) => Loss::Absolute,
            Some(LossArg::Huber) => Loss::Huber { epsilon: self.huber_epsilon },
        }
    }

    /// The model the flags describe.
    pub fn model(&self) -> Regressor {
        let tree = TreeParams {
            max_depth: self.max_depth,
            min_samples_split: self.min_samples_split,
            max_features: MaxFeatures::All,
        };
        let seed = u64::from(self.seed);
        match self.model {
            RegModelArg::Ols => Regressor::Ols,
            RegModelArg::Ridge => Regressor::Ridge { alpha: self.alpha },
            RegModelArg::Lasso => {
                Regressor::ElasticNet { alpha: self.alpha, l1_ratio: 1.0, tol: self.tol, max_iter: self.max_iter }
            }
            RegModelArg::Elasticnet => Regressor::ElasticNet {
                alpha: self.alpha,
                l1_ratio: self.l1_ratio,
                tol: self.tol,
                max_iter: self.max_iter,
            },
            RegModelArg::Robust => Regressor::Robust { loss: self.loss(Loss::Huber { epsilon: self.huber_epsilon }) },
            RegModelArg::Knn => Regressor::Knn {
                k: self.k,
                weights: if self.distance_weights { KnnWeights::Distance } else { KnnWeights::Uniform },
            },
            RegModelArg::Tree => Regressor::Tree { params: tree, seed },
            RegModelArg::Rf => Regressor::Forest { trees: self.trees, params: tree, seed },
            RegModelArg::SvrLinear => Regressor::Svr { kernel: Kernel::Linear, c: self.c, epsilon: self.epsilon },
            RegModelArg::SvrRbf => {
                Regressor::Svr { kernel: Kernel::Rbf { gamma: self.gamma }, c: self.c, epsilon: self.epsilon }
            }
            RegModelArg::Mlp => {
                let params = crate::analysis::nn::MlpParams {
                    validation_fraction: (self.mlp.validation_fraction)
                        .unwrap_or(Regressor::default_mlp().validation_fraction),
                    ..self.mlp.params(seed)
                };
                Regressor::Mlp { params, loss: self.loss(Loss::Squared) }
            }
            RegModelArg::Baseline => Regressor::Baseline,
        }
    }

    /// The target the flags name.
    pub fn target(&self) -> RegressTarget {
        match (&self.target_gene, &self.target) {
            (Some(g), _) => RegressTarget::Gene(g.clone()),
            (None, Some(a)) => RegressTarget::Annotation(a.clone()),
            (None, None) => RegressTarget::Annotation(String::new()),
        }
    }

    /// The validation the flags ask for.
    pub fn validation(&self) -> anyhow::Result<Validation> {
        Ok(if self.loo {
            Validation::LeaveOneOut
        } else if let Some(share) = self.holdout {
            Validation::Random { test_share: share }
        } else if let Some(spec) = &self.split {
            let (column, value) =
                spec.split_once('=').ok_or_else(|| anyhow::anyhow!("--split takes COLUMN=VALUE, got '{spec}'"))?;
            Validation::ByAnnotation { column: column.to_owned(), value: value.to_owned() }
        } else {
            if self.no_shuffle && self.repeats > 1 {
                anyhow::bail!("--no-shuffle with --repeats {}: every repeat would be the same folds", self.repeats);
            }
            Validation::KFold { folds: self.cv, repeats: self.repeats, shuffle: !self.no_shuffle }
        })
    }

    /// The regression settings (one model), with the in-fold steps taken from `data`.
    pub fn settings(&self, data: &mut DataArgs) -> anyhow::Result<RegressSettings> {
        let top = data.top_genes.take();
        let settings = RegressSettings {
            target: Some(self.target()),
            features: match (top, self.pca) {
                (_, Some(_)) => crate::recipes::classify::FeatureChoice::Pcs,
                (Some(_), None) => crate::recipes::classify::FeatureChoice::TopGenes,
                (None, None) => crate::recipes::classify::FeatureChoice::All,
            },
            top_genes: top.unwrap_or(200),
            selection: self.select,
            pcs: self.pca.unwrap_or(10),
            scale: std::mem::take(&mut data.scale),
            polynomial: self.polynomial,
            validation: self.validation()?,
            seed: self.seed,
            models: vec![(true, self.model())],
            leak_lesson: self.leak,
            selected: 0,
            path: PathParams {
                kind: match self.model {
                    RegModelArg::Ridge => PathKind::Ridge,
                    RegModelArg::Lasso => PathKind::ElasticNet { l1_ratio: 1.0 },
                    _ => PathKind::ElasticNet { l1_ratio: self.l1_ratio },
                },
                tol: self.tol,
                max_iter: self.max_iter,
                ..PathParams::default()
            },
        };
        if top.is_some() && self.pca.is_some() {
            anyhow::bail!("--top-genes and --pca are two different feature choices: take one");
        }
        Ok(settings)
    }
}

impl RegressArgs {
    /// Options for a figure of one model's cross-validation (defaults elsewhere; the caller
    /// sets the target).
    pub(super) fn for_figure(data: DataArgs, model: RegModelArg, cv: usize, seed: u32) -> Self {
        Self {
            data,
            target: None,
            target_gene: None,
            model,
            alpha: Regressor::DEFAULT_ALPHA,
            l1_ratio: Regressor::DEFAULT_L1_RATIO,
            tol: EnetParams::default().tol,
            max_iter: EnetParams::default().max_iter,
            cv,
            no_shuffle: false,
            repeats: 1,
            loo: false,
            holdout: None,
            split: None,
            seed,
            select: GeneSelection::default(),
            leak: false,
            pca: None,
            polynomial: false,
            k: Regressor::DEFAULT_K,
            distance_weights: false,
            trees: Regressor::DEFAULT_TREES,
            max_depth: None,
            min_samples_split: TreeParams::default().min_samples_split,
            c: Regressor::DEFAULT_C,
            epsilon: Regressor::DEFAULT_EPSILON,
            gamma: None,
            loss: None,
            huber_epsilon: Loss::DEFAULT_HUBER_EPSILON,
            mlp: MlpArgs::default(),
            json: false,
            path_out: None,
            predictions_out: None,
            predicted_figure: None,
            residuals_figure: None,
        }
    }
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Report {
    model: String,
    target: String,
    samples: usize,
    genes: usize,
    validation: String,
    folds: usize,
    r2_mean: f64,
    r2_sd: f64,
    rmse_mean: f64,
    rmse_sd: f64,
    mae_mean: f64,
    mae_sd: f64,
    median_ae_mean: f64,
    median_ae_sd: f64,
    train_r2_mean: f64,
    /// Linear models fitted on all samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    intercept: Option<f64>,
    /// Gene → coefficient (linear models fitted on all samples, features that are genes).
    #[serde(skip_serializing_if = "Option::is_none")]
    coefficients: Option<serde_json::Map<String, serde_json::Value>>,
    /// Mean R² with the genes chosen on all samples (`--leak`).
    #[serde(skip_serializing_if = "Option::is_none")]
    leaky_r2_mean: Option<f64>,
    /// The regularisation path's chosen α (`--path-out`).
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<PathReport>,
    notices: Vec<String>,
    seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<String>,
}

/// The chosen α of a path and the genes the lasso keeps there.
#[derive(Debug, Serialize)]
struct PathReport {
    penalty: String,
    alpha_min: f64,
    alpha_1se: f64,
    cv_mse_min: f64,
    nonzero_min: usize,
    nonzero_1se: usize,
    /// Features with a non-zero coefficient at the one-SE α, largest first.
    genes_1se: Vec<(String, f64)>,
}

impl PathReport {
    fn of(path: &RegPath) -> Self {
        Self {
            penalty: path.params.kind.label(),
            alpha_min: path.path.alphas[path.best],
            alpha_1se: path.path.alphas[path.one_se],
            cv_mse_min: path.cv_mse[path.best].0,
            nonzero_min: path.nonzero(path.best).len(),
            nonzero_1se: path.nonzero(path.one_se).len(),
            genes_1se: path.nonzero(path.one_se).into_iter().map(|(i, w)| (path.feature_names[i].clone(), w)).collect(),
        }
    }
}

/// A validated regression: the report, the problem and the folds.
pub(super) struct Regression {
    report: Report,
    /// The problem validated.
    pub problem: std::sync::Arc<RegressProblem>,
    /// Every fold's predictions and scores.
    pub cv: RegressCv,
    /// The sample ids of the problem's samples.
    pub sample_ids: Vec<String>,
    /// The path, when asked for.
    pub path: Option<RegPath>,
    /// The (repeat, fold) of every split, in the order of `cv.folds`.
    pub fold_names: Vec<(usize, usize)>,
}

impl Regression {
    /// "ridge (α = 1), 5-fold: R² 0.81".
    pub fn summary(&self) -> String {
        format!("{}, {}: R² {:.3}", self.report.model, self.report.validation, self.report.r2_mean)
    }

    /// The target's name.
    pub fn target(&self) -> &str {
        &self.report.target
    }

    /// The report as `--json` prints it.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(&self.report).unwrap_or_default()
    }

    /// Every sample tested: (index into the problem's samples, truth, mean test prediction).
    pub fn tested(&self) -> Vec<(usize, f64, f64)> {
        self.cv.tested(&self.problem.y)
    }

    /// The predicted-against-true and residual figures (untitled, one colour).
    pub fn figures(&self) -> (crate::export::figure::Figure, crate::export::figure::Figure) {
        let tested = self.tested();
        let truth: Vec<f64> = tested.iter().map(|t| t.1).collect();
        let predicted: Vec<f64> = tested.iter().map(|t| t.2).collect();
        let target = self.target();
        (
            crate::export::regress_plots::predicted_vs_true("", target, &truth, &predicted, &[], &[]),
            crate::export::regress_plots::residuals("", target, &truth, &predicted, &[], &[]),
        )
    }

    /// Writes the figures asked for, titled "STEM — model" (as `biolens run` does).
    pub fn write_figures(
        &self,
        stem: &str,
        predicted: Option<&std::path::Path>,
        residuals: Option<&std::path::Path>,
    ) -> anyhow::Result<()> {
        let (mut fig_p, mut fig_r) = self.figures();
        let title = format!("{stem} — {}", self.report.model);
        fig_p.title.clone_from(&title);
        fig_r.title = title;
        if let Some(path) = predicted {
            super::plot::write_default(&fig_p, path)?;
        }
        if let Some(path) = residuals {
            super::plot::write_default(&fig_r, path)?;
        }
        Ok(())
    }
}

pub(super) fn run(args: &RegressArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let path_file = args.path_out.as_deref().map(super::OutFile::create).transpose()?;
    let predictions_file = args.predictions_out.as_deref().map(super::OutFile::create).transpose()?;
    let is_penalised = matches!(args.model, RegModelArg::Ridge | RegModelArg::Lasso | RegModelArg::Elasticnet);
    if path_file.is_some() && !is_penalised {
        anyhow::bail!("--path-out needs --model ridge, lasso or elasticnet (the models with a penalty α)");
    }
    let regression = evaluate(args, path_file.is_some())?;
    if let (Some(file), Some(path)) = (path_file, &regression.path) {
        file.write_with(|w| write_path(w, path))?;
    }
    if let Some(file) = predictions_file {
        file.write_with(|w| write_predictions(w, &regression))?;
    }
    let stem =
        args.data.matrix.as_deref().and_then(std::path::Path::file_stem).and_then(|s| s.to_str()).unwrap_or("data");
    regression.write_figures(stem, args.predicted_figure.as_deref(), args.residuals_figure.as_deref())?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&regression.report)?)?;
        return Ok(());
    }
    print_text(&regression.report, out)
}

/// Cross-validates the model the arguments describe (and its path when `with_path`).
pub(super) fn evaluate(args: &RegressArgs, with_path: bool) -> anyhow::Result<Regression> {
    let mut data = args.data.clone();
    let settings = args.settings(&mut data)?;
    let dataset = data.open()?;
    evaluate_on(&dataset, &settings, with_path)
}

/// Cross-validates the one model of `settings` on `dataset` (also `biolens run`'s and `plot`'s).
pub(super) fn evaluate_on(
    dataset: &crate::data::Dataset,
    settings: &RegressSettings,
    with_path: bool,
) -> anyhow::Result<Regression> {
    let target = settings.target.clone().ok_or_else(|| anyhow::anyhow!("no target"))?;
    let problem =
        std::sync::Arc::new(crate::recipes::regress::prepare(dataset, &target, &settings.validation, settings.seed)?);
    let started = std::time::Instant::now();
    let ctx = crate::recipes::Ctx::silent();
    let mut run = crate::recipes::regress::run_on(settings, problem.clone(), ctx)?;
    let seconds = started.elapsed().as_secs_f64();
    let path = with_path.then(|| crate::recipes::regress::path(settings, &problem, ctx)).transpose()?;
    let cv = run.outcomes.remove(0);
    let full = run.full_fits.remove(0);
    let mut notices = problem.notices.clone();
    let pooled = cv.single_sample_folds().then(|| cv.pooled(&problem.y));
    if pooled.is_some() {
        notices.push("one sample per test fold: scores are computed over all predictions pooled".to_owned());
    }
    let score = |f: fn(&crate::analysis::regress::metrics::RegressionScores) -> f64| match &pooled {
        Some(p) => (f(p), 0.0),
        None => cv.mean_sd(f),
    };
    let (r2_mean, r2_sd) = score(|s| s.r2);
    let (rmse_mean, rmse_sd) = score(|s| s.rmse);
    let (mae_mean, mae_sd) = score(|s| s.mae);
    let (median_ae_mean, median_ae_sd) = score(|s| s.median_ae);
    let coefficients = full.as_ref().map(|fit| {
        problem
            .genes
            .iter()
            .zip(&fit.coefficients)
            .map(|(g, &w)| (g.clone(), serde_json::json!(w)))
            .collect::<serde_json::Map<_, _>>()
    });
    let report = Report {
        model: cv.model.name(),
        target: target.label(),
        samples: problem.y.len(),
        genes: problem.x.ncols(),
        validation: problem.validation.clone(),
        folds: cv.folds.len(),
        r2_mean,
        r2_sd,
        rmse_mean,
        rmse_sd,
        mae_mean,
        mae_sd,
        median_ae_mean,
        median_ae_sd,
        train_r2_mean: cv.train_r2_mean(),
        intercept: full.as_ref().map(|f| f.intercept),
        coefficients,
        leaky_r2_mean: run.leaky.as_ref().and_then(|l| l.first().copied()),
        path: path.as_ref().map(PathReport::of),
        notices,
        seconds,
        device: cv.folds.iter().find_map(|f| f.device.clone()),
    };
    let sample_ids = problem.samples.iter().map(|&i| dataset.sample_ids()[i].clone()).collect();
    let fold_names = match &settings.validation {
        Validation::KFold { folds, .. } => (0..cv.folds.len()).map(|s| (s / folds, s % folds)).collect(),
        Validation::LeaveOneOut => (0..cv.folds.len()).map(|i| (0, i)).collect(),
        Validation::Random { .. } | Validation::ByAnnotation { .. } => vec![(0, 0)],
    };
    Ok(Regression { report, problem, cv, sample_ids, path, fold_names })
}

/// Writes `alpha,gene,coefficient` for every α (largest first) and feature.
fn write_path(out: &mut dyn std::io::Write, path: &RegPath) -> std::io::Result<()> {
    use std::io::Write as _;

    use crate::export::csv::field;
    let mut out = std::io::BufWriter::new(out);
    writeln!(out, "alpha,gene,coefficient")?;
    for (a, coefficients) in path.path.alphas.iter().zip(&path.path.coefficients) {
        for (name, w) in path.feature_names.iter().zip(coefficients) {
            writeln!(out, "{a},{},{w}", field(name))?;
        }
    }
    out.flush()
}

/// Writes `sample_id,repeat,fold,true,predicted,residual`, by repeat, then in the samples' order.
pub(super) fn write_predictions(out: &mut dyn std::io::Write, regression: &Regression) -> std::io::Result<()> {
    use std::io::Write as _;

    use crate::export::csv::field;
    let mut rows: Vec<(usize, usize, usize, f64)> = Vec::new();
    for (fold, &(repeat, number)) in regression.cv.folds.iter().zip(&regression.fold_names) {
        rows.extend(fold.test.iter().zip(&fold.predicted).map(|(&i, &p)| (repeat, i, number, p)));
    }
    rows.sort_by_key(|r| (r.0, r.1));
    let mut out = std::io::BufWriter::new(out);
    writeln!(out, "sample_id,repeat,fold,true,predicted,residual")?;
    for (repeat, i, fold, predicted) in rows {
        let truth = regression.problem.y[i];
        writeln!(
            out,
            "{},{repeat},{fold},{truth},{predicted},{}",
            field(&regression.sample_ids[i]),
            truth - predicted
        )?;
    }
    out.flush()
}

/// The report as text; notices on stderr.
fn print_text(report: &Report, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    for n in &report.notices {
        eprintln!("notice: {n}");
    }
    writeln!(
        out,
        "{} predicting {} ({} samples × {} genes), {}:",
        report.model, report.target, report.samples, report.genes, report.validation
    )?;
    writeln!(out, "  R²            {:.4} ± {:.4}", report.r2_mean, report.r2_sd)?;
    writeln!(out, "  RMSE          {:.4} ± {:.4}", report.rmse_mean, report.rmse_sd)?;
    writeln!(out, "  MAE           {:.4} ± {:.4}", report.mae_mean, report.mae_sd)?;
    writeln!(out, "  median AE     {:.4} ± {:.4}", report.median_ae_mean, report.median_ae_sd)?;
    writeln!(out, "  training R²   {:.4}", report.train_r2_mean)?;
    if let Some(leaky) = report.leaky_r2_mean {
        writeln!(out, "  R² with genes chosen on all samples (leakage): {leaky:.4}")?;
    }
    if let (Some(intercept), Some(coefficients)) = (report.intercept, &report.coefficients) {
        let mut largest: Vec<(&String, f64)> =
            coefficients.iter().map(|(g, v)| (g, v.as_f64().unwrap_or(0.0))).filter(|(_, v)| *v != 0.0).collect();
        largest.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        writeln!(out, "fitted on all samples: intercept {intercept:.6}, {} non-zero coefficients", largest.len())?;
        for (g, v) in largest.iter().take(10) {
            writeln!(out, "  {g:>16} {v:>12.6}")?;
        }
    }
    if let Some(p) = &report.path {
        writeln!(
            out,
            "{} path: smallest CV error at α = {:.6} ({} genes), one-SE α = {:.6} ({} genes)",
            p.penalty, p.alpha_min, p.nonzero_min, p.alpha_1se, p.nonzero_1se
        )?;
    }
    writeln!(out, "({:.2} s)", report.seconds)?;
    Ok(())
}
