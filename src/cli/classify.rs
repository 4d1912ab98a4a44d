//! `biolens classify`: cross-validated classification of an annotation, without leakage.

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::DataArgs;
use crate::analysis::classify::folds::{Split, leave_one_out, repeated_k_fold, split_by, stratified_k_fold};
use crate::analysis::classify::forest::{MaxFeatures, TreeParams};
use crate::analysis::classify::metrics::{ClassScores, per_class};
use crate::analysis::classify::models::KnnWeights;
use crate::analysis::classify::svm::Kernel;
use crate::analysis::classify::validation::{Features, GeneSelection, cross_validate};
use crate::analysis::classify::{Model, encode_labels};
use crate::data::annotations::AnnotationValues;

/// `biolens classify`.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches are booleans by nature
pub struct ClassifyArgs {
    /// Loading and preprocessing. Here `--scale` and `--top-genes N` are fitted inside each
    /// training fold (no leakage), not on the whole matrix.
    #[command(flatten)]
    pub data: DataArgs,
    /// The annotation column to predict (categorical).
    #[arg(long)]
    pub target: String,
    /// The model.
    #[arg(long, value_enum)]
    pub model: ModelArg,
    /// Stratified folds (shuffled unless `--no-shuffle`).
    #[arg(long, default_value_t = 5)]
    pub cv: usize,
    /// Folds in the samples' order, not shuffled: scikit-learn's `StratifiedKFold(shuffle=False)`
    /// (`--seed` then only seeds the forest). Not with `--repeats` above 1: every repeat would be
    /// the same.
    #[arg(long, conflicts_with_all = ["loo", "split"])]
    pub no_shuffle: bool,
    /// Repeat the k-fold with seeds S, S+1, …
    #[arg(long, default_value_t = 1)]
    pub repeats: usize,
    /// Leave-one-out instead of k-fold.
    #[arg(long, conflicts_with_all = ["cv", "repeats", "split"])]
    pub loo: bool,
    /// One train/test split from an annotation: COLUMN=VALUE puts the samples with that value in
    /// the test set (for example split=test in the bundled SRBCT data).
    #[arg(long, value_name = "COLUMN=VALUE")]
    pub split: Option<String>,
    /// Seed of the folds (and of the forest).
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// How `--top-genes` chooses genes: by variance, or by ANOVA F between the target's classes.
    #[arg(long, value_enum, default_value_t = SelectArg::Variance)]
    pub select: SelectArg,
    /// Teaching: choose the `--top-genes` on all samples before splitting (leakage), to see how
    /// much the score inflates (dramatically with `--select anova`).
    #[arg(long, requires = "top_genes")]
    pub leak: bool,
    /// Replace the genes by the first K principal components (fitted in each training fold).
    #[arg(long, value_name = "K")]
    pub pca: Option<usize>,
    /// Logistic regression and SVM: inverse regularisation strength.
    #[arg(long, default_value_t = 1.0)]
    pub c: f64,
    /// k-NN: neighbours.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    /// k-NN: weight neighbours by 1 / distance.
    #[arg(long)]
    pub distance_weights: bool,
    /// Random forest: trees.
    #[arg(long, default_value_t = 100)]
    pub trees: usize,
    /// Trees: deepest level (default: until pure).
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// Trees: fewest samples a node needs to be split.
    #[arg(long, default_value_t = 2)]
    pub min_samples_split: usize,
    /// RBF SVM: γ (default: scikit-learn's "scale", 1 / (genes × variance)).
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also draw the confusion matrix (.svg or .png, 1200 × 900 px).
    #[arg(long, value_name = "FILE")]
    pub confusion_figure: Option<std::path::PathBuf>,
    /// The confusion matrix figure shows row shares instead of counts.
    #[arg(long)]
    pub normalised: bool,
    /// Also draw the ROC curves (.svg or .png, 1200 × 900 px).
    #[arg(long, value_name = "FILE")]
    pub roc_figure: Option<std::path::PathBuf>,
    /// Write every test prediction as CSV: `sample_id,repeat,fold,true,predicted`, one row per
    /// sample per repeat (repeats and folds from 0; leave-one-out: each sample its own fold;
    /// `--split`: the test samples, fold 0).
    #[arg(long, value_name = "FILE")]
    pub folds_out: Option<std::path::PathBuf>,
}

/// `--select` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SelectArg {
    /// The most variable genes (ignores the classes).
    Variance,
    /// The genes most associated with the classes (ANOVA F).
    Anova,
}

/// `--model` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// Multinomial logistic regression (L2).
    Logreg,
    /// A decision tree.
    Tree,
    /// A random forest.
    Rf,
    /// Linear support vector machine.
    SvmLinear,
    /// RBF support vector machine.
    SvmRbf,
    /// k nearest neighbours.
    Knn,
    /// Gaussian naive Bayes.
    Gnb,
    /// The majority class.
    Baseline,
}

impl ClassifyArgs {
    fn model(&self) -> Model {
        let tree = TreeParams {
            max_depth: self.max_depth,
            min_samples_split: self.min_samples_split,
            max_features: MaxFeatures::All,
        };
        match self.model {
            ModelArg::Logreg => Model::Logistic { c: self.c },
            ModelArg::Tree => Model::Tree { params: tree },
            ModelArg::Rf => Model::Forest {
                trees: self.trees,
                params: TreeParams { max_features: MaxFeatures::Sqrt, ..tree },
                seed: u64::from(self.seed),
            },
            ModelArg::SvmLinear => Model::Svm { kernel: Kernel::Linear, c: self.c },
            ModelArg::SvmRbf => Model::Svm { kernel: Kernel::Rbf { gamma: self.gamma }, c: self.c },
            ModelArg::Knn => Model::Knn {
                k: self.k,
                weights: if self.distance_weights { KnnWeights::Distance } else { KnnWeights::Uniform },
            },
            ModelArg::Gnb => Model::GaussianNb,
            ModelArg::Baseline => Model::Baseline,
        }
    }
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Report {
    model: String,
    target: String,
    classes: Vec<String>,
    samples: usize,
    genes: usize,
    validation: String,
    folds: usize,
    accuracy_mean: f64,
    accuracy_sd: f64,
    balanced_accuracy_mean: f64,
    balanced_accuracy_sd: f64,
    precision_macro_mean: f64,
    recall_macro_mean: f64,
    f1_macro_mean: f64,
    f1_macro_sd: f64,
    roc_auc_mean: Option<f64>,
    train_accuracy_mean: f64,
    /// Rows: true class; columns: predicted; summed over folds.
    confusion_matrix: Vec<Vec<usize>>,
    per_class: Vec<ClassScores>,
    notices: Vec<String>,
    seconds: f64,
}

/// A validated model: the report, the folds' outcomes and the labels they index.
pub(super) struct Evaluation {
    report: Report,
    /// Every fold's predictions and scores.
    pub cv: crate::analysis::classify::validation::CvOutcome,
    /// The class of every labelled sample (what the folds index).
    pub y: Vec<usize>,
    /// The ids of the labelled samples.
    pub sample_ids: Vec<String>,
    /// The (repeat, fold) of every split, in the order of `cv.folds`.
    pub fold_names: Vec<(usize, usize)>,
}

impl Evaluation {
    /// The classes' names.
    pub fn classes(&self) -> &[String] {
        &self.report.classes
    }

    /// Rows: true class; columns: predicted.
    pub fn confusion(&self) -> &[Vec<usize>] {
        &self.report.confusion_matrix
    }

    /// "logistic regression, stratified 5-fold: accuracy 0.93".
    pub fn summary(&self) -> String {
        format!("{}, {}: accuracy {:.3}", self.report.model, self.report.validation, self.report.accuracy_mean)
    }
}

impl ClassifyArgs {
    /// Options for a figure of one model's cross-validation (defaults elsewhere).
    pub(super) fn for_figure(data: DataArgs, target: String, model: ModelArg, cv: usize, seed: u32) -> Self {
        Self {
            data,
            target,
            model,
            cv,
            no_shuffle: false,
            repeats: 1,
            loo: false,
            split: None,
            seed,
            select: SelectArg::Variance,
            leak: false,
            pca: None,
            c: 1.0,
            k: 5,
            distance_weights: false,
            trees: 100,
            max_depth: None,
            min_samples_split: 2,
            gamma: None,
            json: false,
            confusion_figure: None,
            normalised: false,
            roc_figure: None,
            folds_out: None,
        }
    }
}

pub(super) fn run(args: &ClassifyArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let folds_file = args.folds_out.as_deref().map(super::OutFile::create).transpose()?;
    let evaluation = evaluate(args)?;
    if let Some(file) = folds_file {
        file.write_with(|w| write_folds(w, &evaluation))?;
    }
    let title = format!(
        "{} — {}",
        args.data.matrix.as_deref().and_then(std::path::Path::file_stem).and_then(|s| s.to_str()).unwrap_or("data"),
        evaluation.report.model
    );
    if let Some(path) = &args.confusion_figure {
        let fig =
            crate::export::plots::confusion(&title, evaluation.confusion(), evaluation.classes(), args.normalised);
        write_figure(&fig, path)?;
    }
    if let Some(path) = &args.roc_figure {
        let fig = crate::export::plots::roc(&title, &evaluation.cv.roc_curves(&evaluation.y, evaluation.classes()));
        write_figure(&fig, path)?;
    }
    let report = evaluation.report;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    print_text(&report, out)
}

/// Writes `sample_id,repeat,fold,true,predicted`: every test prediction, by repeat, then in
/// the samples' order.
fn write_folds(out: &mut dyn std::io::Write, evaluation: &Evaluation) -> std::io::Result<()> {
    use std::io::Write as _;

    use crate::export::csv::field;
    let classes = evaluation.classes();
    let mut rows: Vec<(usize, usize, usize, usize)> = Vec::with_capacity(evaluation.y.len());
    for (fold, &(repeat, number)) in evaluation.cv.folds.iter().zip(&evaluation.fold_names) {
        rows.extend(fold.test.iter().zip(&fold.predicted).map(|(&i, &p)| (repeat, i, number, p)));
    }
    rows.sort_unstable();
    let mut out = std::io::BufWriter::new(out);
    writeln!(out, "sample_id,repeat,fold,true,predicted")?;
    for (repeat, i, fold, predicted) in rows {
        writeln!(
            out,
            "{},{repeat},{fold},{},{}",
            field(&evaluation.sample_ids[i]),
            field(&classes[evaluation.y[i]]),
            field(&classes[predicted])
        )?;
    }
    out.flush()
}

/// Writes a figure at 1200 × 900 px, SVG or PNG by the extension.
fn write_figure(fig: &crate::export::figure::Figure, path: &std::path::Path) -> anyhow::Result<()> {
    use crate::export::figure::{Size, Style, Units, render};
    let png = crate::export::figure::is_png(path)
        .ok_or_else(|| anyhow::anyhow!("figures must end in .svg or .png: {}", path.display()))?;
    let size = Size { width: 1200.0, height: 900.0, units: Units::Px, dpi: 300.0 };
    let bytes = render(fig, &size, &Style::for_size(size.pixels()), png)?;
    super::OutFile::create(path)?.write_with(|w| w.write_all(&bytes))
}

/// Cross-validates the model the arguments describe.
pub(super) fn evaluate(args: &ClassifyArgs) -> anyhow::Result<Evaluation> {
    // --scale and --top-genes run inside the folds, so the whole-matrix pipeline skips them.
    let mut data = args.data.clone();
    let features = Features {
        top_genes: data.top_genes.take(),
        scale: std::mem::take(&mut data.scale),
        selection: match args.select {
            SelectArg::Variance => GeneSelection::Variance,
            SelectArg::Anova => GeneSelection::AnovaF,
        },
        pca: args.pca,
        select_on_all_data: args.leak,
    };
    let dataset = data.open()?;
    let annotation = dataset.annotations().iter().find(|a| a.name == args.target).ok_or_else(|| {
        let names: Vec<&str> = dataset.annotations().iter().map(|a| a.name.as_str()).collect();
        anyhow::anyhow!("no annotation '{}'; the annotations are: {}", args.target, names.join(", "))
    })?;
    let values: Vec<Option<String>> = match &annotation.values {
        AnnotationValues::Categorical { levels, codes } => {
            codes.iter().map(|c| c.map(|c| levels[c as usize].clone())).collect()
        }
        AnnotationValues::Numeric(_) => {
            anyhow::bail!("'{}' holds measurements, not classes: choose a categorical annotation", args.target)
        }
    };
    let (classes, codes) = encode_labels(&values);
    let labelled: Vec<usize> = (0..codes.len()).filter(|&i| codes[i].is_some()).collect();
    let y: Vec<usize> = labelled.iter().filter_map(|&i| codes[i]).collect();
    let x = dataset.matrix().select(ndarray::Axis(0), &labelled);
    let mut notices = Vec::new();
    if labelled.len() < codes.len() {
        notices.push(format!(
            "{} samples without a '{}' value were left out",
            codes.len() - labelled.len(),
            args.target
        ));
    }
    let (splits, fold_names, validation) = splits_for(args, &dataset, &labelled, &y, &classes, &mut notices)?;
    let model = args.model();
    let started = std::time::Instant::now();
    let cv = cross_validate(x.view(), &y, classes.len(), &model, &features, &splits, None, &mut |_| {})?;
    let seconds = started.elapsed().as_secs_f64();
    let confusion = cv.confusion(&y);
    // Leave-one-out: per-fold macro scores are meaningless, so every score is pooled (SD 0).
    let pooled = cv.single_sample_folds().then(|| cv.pooled(&y));
    if pooled.is_some() {
        notices.push("one sample per test fold: scores are computed over all predictions pooled".to_owned());
    }
    let score = |f: &dyn Fn(&crate::analysis::classify::metrics::Scores) -> Option<f64>| match &pooled {
        Some(p) => (f(p).unwrap_or(f64::NAN), 0.0),
        None => cv.mean_sd(f),
    };
    let (accuracy_mean, accuracy_sd) = score(&|s| Some(s.accuracy));
    let (balanced_accuracy_mean, balanced_accuracy_sd) = score(&|s| Some(s.balanced_accuracy));
    let (f1_macro_mean, f1_macro_sd) = score(&|s| Some(s.f1_macro));
    let auc = match &pooled {
        Some(p) => p.roc_auc,
        None => cv.folds.iter().any(|f| f.metrics.roc_auc.is_some()).then(|| cv.mean_sd(|s| s.roc_auc).0),
    };
    let report = Report {
        model: model.name(),
        target: args.target.clone(),
        samples: y.len(),
        genes: x.ncols(),
        validation,
        folds: cv.folds.len(),
        accuracy_mean,
        accuracy_sd,
        balanced_accuracy_mean,
        balanced_accuracy_sd,
        precision_macro_mean: score(&|s| Some(s.precision_macro)).0,
        recall_macro_mean: score(&|s| Some(s.recall_macro)).0,
        f1_macro_mean,
        f1_macro_sd,
        roc_auc_mean: auc,
        train_accuracy_mean: cv.folds.iter().map(|f| f.train_accuracy).sum::<f64>() / cv.folds.len().max(1) as f64,
        per_class: per_class(&confusion),
        confusion_matrix: confusion,
        classes,
        notices,
        seconds,
    };
    let sample_ids = labelled.iter().map(|&i| dataset.sample_ids()[i].clone()).collect();
    Ok(Evaluation { report, cv, y, sample_ids, fold_names })
}

/// Splits, the (repeat, fold) of each, and their description.
type SplitPlan = (Vec<Split>, Vec<(usize, usize)>, String);

/// The splits the flags ask for, the (repeat, fold) of each, and their description.
fn splits_for(
    args: &ClassifyArgs,
    dataset: &crate::data::Dataset,
    labelled: &[usize],
    y: &[usize],
    classes: &[String],
    notices: &mut Vec<String>,
) -> anyhow::Result<SplitPlan> {
    Ok(if args.loo {
        (leave_one_out(y.len()), (0..y.len()).map(|i| (0, i)).collect(), "leave-one-out".to_owned())
    } else if let Some(spec) = &args.split {
        let (column, value) =
            spec.split_once('=').ok_or_else(|| anyhow::anyhow!("--split takes COLUMN=VALUE, got '{spec}'"))?;
        let split_annotation = dataset
            .annotations()
            .iter()
            .find(|a| a.name == column)
            .ok_or_else(|| anyhow::anyhow!("--split: no annotation '{column}'"))?;
        let cells: Vec<Option<String>> = labelled.iter().map(|&i| split_annotation.value_text(i)).collect();
        let refs: Vec<Option<&str>> = cells.iter().map(|c| c.as_deref()).collect();
        (vec![split_by(&refs, value)?], vec![(0, 0)], format!("train/test split by {column} = {value}"))
    } else {
        if args.no_shuffle && args.repeats > 1 {
            anyhow::bail!("--no-shuffle with --repeats {}: every repeat would be the same folds", args.repeats);
        }
        for (c, name) in classes.iter().enumerate() {
            let members = y.iter().filter(|&&v| v == c).count();
            if members < args.cv {
                notices.push(format!(
                    "class '{name}' has {members} samples, fewer than {} folds: some test folds have none",
                    args.cv
                ));
            }
        }
        let splits = if args.repeats > 1 {
            repeated_k_fold(y, args.cv, args.repeats, args.seed)?
        } else {
            stratified_k_fold(y, args.cv, !args.no_shuffle, args.seed)?
        };
        let what = if args.repeats > 1 {
            format!("{} × stratified {}-fold", args.repeats, args.cv)
        } else if args.no_shuffle {
            format!("stratified {}-fold, not shuffled", args.cv)
        } else {
            format!("stratified {}-fold", args.cv)
        };
        let names = (0..splits.len()).map(|s| (s / args.cv, s % args.cv)).collect();
        (splits, names, what)
    })
}

/// The report as text; notices on stderr.
fn print_text(report: &Report, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    for n in &report.notices {
        eprintln!("notice: {n}");
    }
    writeln!(
        out,
        "{} predicting '{}' ({} classes, {} samples × {} genes), {}:",
        report.model,
        report.target,
        report.classes.len(),
        report.samples,
        report.genes,
        report.validation
    )?;
    writeln!(out, "  accuracy          {:.4} ± {:.4}", report.accuracy_mean, report.accuracy_sd)?;
    writeln!(out, "  balanced accuracy {:.4} ± {:.4}", report.balanced_accuracy_mean, report.balanced_accuracy_sd)?;
    writeln!(out, "  macro F1          {:.4} ± {:.4}", report.f1_macro_mean, report.f1_macro_sd)?;
    if let Some(auc) = report.roc_auc_mean {
        writeln!(out, "  ROC AUC (OvR)     {auc:.4}")?;
    }
    writeln!(out, "  training accuracy {:.4}", report.train_accuracy_mean)?;
    writeln!(out, "confusion matrix (rows: true, columns: predicted): {}", report.classes.join(", "))?;
    for (name, row) in report.classes.iter().zip(&report.confusion_matrix) {
        let cells: Vec<String> = row.iter().map(|c| format!("{c:>5}")).collect();
        writeln!(out, "  {name:>16} {}", cells.join(""))?;
    }
    writeln!(out, "({:.2} s)", report.seconds)?;
    Ok(())
}
