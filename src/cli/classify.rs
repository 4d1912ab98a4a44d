//! `biolens classify`: cross-validated classification of an annotation, without leakage.

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::DataArgs;
use crate::analysis::classify::Model;
use crate::analysis::classify::forest::{MaxFeatures, TreeParams};
use crate::analysis::classify::metrics::{ClassScores, per_class};
use crate::analysis::classify::models::KnnWeights;
use crate::analysis::classify::svm::Kernel;
use crate::analysis::classify::validation::{Features, GeneSelection, cross_validate};
use crate::analysis::nn::autoencoder::AutoencoderParams;
use crate::analysis::nn::{Activation, MlpParams, Optimizer, TrainDevice};
use crate::recipes::autoencoder::AutoencoderSettings;
use crate::recipes::classify::Validation;

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
    #[arg(long, default_value_t = crate::recipes::classify::DEFAULT_FOLDS)]
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
    #[arg(long, value_enum, default_value_t = GeneSelection::default())]
    pub select: GeneSelection,
    /// Teaching: choose the `--top-genes` on all samples before splitting (leakage), to see how
    /// much the score inflates (dramatically with `--select anova`).
    #[arg(long, requires = "top_genes")]
    pub leak: bool,
    /// Replace the genes by the first K principal components (fitted in each training fold).
    #[arg(long, value_name = "K")]
    pub pca: Option<usize>,
    /// Logistic regression and SVM: inverse regularisation strength.
    #[arg(long, default_value_t = Model::DEFAULT_C)]
    pub c: f64,
    /// k-NN: neighbours.
    #[arg(long, default_value_t = Model::DEFAULT_K)]
    pub k: usize,
    /// k-NN: weight neighbours by 1 / distance.
    #[arg(long)]
    pub distance_weights: bool,
    /// Random forest: trees.
    #[arg(long, default_value_t = Model::DEFAULT_TREES)]
    pub trees: usize,
    /// Trees: deepest level (default: until pure).
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// Trees: fewest samples a node needs to be split.
    #[arg(long, default_value_t = TreeParams::default().min_samples_split)]
    pub min_samples_split: usize,
    /// RBF SVM: γ (default: scikit-learn's "scale", 1 / (genes × variance)).
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also draw the confusion matrix (.svg, .png or .pdf, 1200 × 900 px).
    #[arg(long, value_name = "FILE")]
    pub confusion_figure: Option<std::path::PathBuf>,
    /// The confusion matrix figure shows row shares instead of counts.
    #[arg(long)]
    pub normalised: bool,
    /// Also draw the ROC curves (.svg, .png or .pdf, 1200 × 900 px).
    #[arg(long, value_name = "FILE")]
    pub roc_figure: Option<std::path::PathBuf>,
    /// The network's settings (`--model mlp`).
    #[command(flatten)]
    pub mlp: MlpArgs,
    /// Write every test prediction as CSV: `sample_id,repeat,fold,true,predicted`, one row per
    /// sample per repeat (repeats and folds from 0; leave-one-out: each sample its own fold;
    /// `--split`: the test samples, fold 0).
    #[arg(long, value_name = "FILE")]
    pub folds_out: Option<std::path::PathBuf>,
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
    /// A multilayer perceptron (neural network; `--hidden`, `--epochs` and the flags below).
    Mlp,
}

/// The flags of a neural network: `classify --model mlp`, `autoencoder` and the `plot` views
/// that train one. Unset flags take the model's defaults (the MLP: scikit-learn's
/// `MLPClassifier`'s; the autoencoder: [`AutoencoderParams`]'s).
#[derive(Debug, Clone, Default, Args)]
pub struct MlpArgs {
    /// Network: units of each hidden layer, comma-separated, e.g. 256,128 (default: MLP 100;
    /// autoencoder 256,64, the decoder mirroring them).
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// Network: activation of the hidden units (default: relu).
    #[arg(long, value_enum)]
    pub activation: Option<ActivationArg>,
    /// Network: passes over the training samples (default: MLP 200; autoencoder 100).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Network: samples per batch (default: MLP 200; autoencoder 64).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Network: learning rate (default: 0.001).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Network: optimiser (default: adam).
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerArg>,
    /// Network: momentum of SGD (default: 0.9).
    #[arg(long)]
    pub momentum: Option<f64>,
    /// MLP: dropout probability after each hidden layer (default: 0).
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Network: L2 penalty on the weights, scikit-learn's alpha (default: MLP 0.0001;
    /// autoencoder 0).
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Network: share of the training samples held out to draw the validation curve, 0 for
    /// none (default: 0.1).
    #[arg(long)]
    pub validation_fraction: Option<f64>,
    /// MLP: stop when the validation loss has not improved for N epochs (and keep the best).
    #[arg(long, value_name = "N")]
    pub early_stopping: Option<usize>,
    /// Network: where it trains (default: auto, a real GPU if there is one, else the CPU).
    #[arg(long, value_enum)]
    pub device: Option<DeviceArg>,
    /// Network: write the training history as CSV. MLP:
    /// `fold,epoch,train_loss,val_loss,train_accuracy,val_accuracy,seconds` (folds from 0 over
    /// all repeats); autoencoder: `epoch,train_loss,val_loss,kl,seconds`. `seconds`: the
    /// epoch's wall-clock time.
    #[arg(long, value_name = "FILE")]
    pub history_out: Option<std::path::PathBuf>,
}

impl MlpArgs {
    fn activation(&self) -> Option<Activation> {
        self.activation.map(|a| match a {
            ActivationArg::Relu => Activation::Relu,
            ActivationArg::Tanh => Activation::Tanh,
            ActivationArg::Sigmoid => Activation::Sigmoid,
            ActivationArg::Gelu => Activation::Gelu,
        })
    }

    fn optimizer(&self, default: Optimizer) -> Optimizer {
        match self.optimizer {
            None => default,
            Some(OptimizerArg::Adam) => Optimizer::Adam,
            Some(OptimizerArg::Sgd) => Optimizer::Sgd { momentum: self.momentum.unwrap_or(0.9) },
        }
    }

    fn device(&self) -> TrainDevice {
        match self.device.unwrap_or(DeviceArg::Auto) {
            DeviceArg::Auto => TrainDevice::Auto,
            DeviceArg::Cpu => TrainDevice::Cpu,
            DeviceArg::Gpu => TrainDevice::Gpu,
        }
    }

    /// The MLP the flags describe.
    pub fn params(&self, seed: u64) -> MlpParams {
        let d = MlpParams::default();
        MlpParams {
            hidden: self.hidden.clone().unwrap_or(d.hidden),
            activation: self.activation().unwrap_or(d.activation),
            dropout: self.dropout.unwrap_or(d.dropout),
            weight_decay: self.weight_decay.unwrap_or(d.weight_decay),
            optimizer: self.optimizer(d.optimizer),
            learning_rate: self.lr.unwrap_or(d.learning_rate),
            batch_size: self.batch.unwrap_or(d.batch_size),
            epochs: self.epochs.unwrap_or(d.epochs),
            validation_fraction: self.validation_fraction.unwrap_or(d.validation_fraction),
            early_stopping: self.early_stopping,
            seed,
            device: self.device(),
            monitor: crate::analysis::nn::Monitor::default(),
        }
    }

    /// The autoencoder the flags describe, with the code and variational flags of `extra`.
    pub fn autoencoder(&self, extra: &AutoencoderExtraArgs, seed: u64) -> anyhow::Result<AutoencoderParams> {
        if self.dropout.is_some() || self.early_stopping.is_some() {
            anyhow::bail!("--dropout and --early-stopping are for the MLP classifier, not the autoencoder");
        }
        let d = AutoencoderParams::default();
        Ok(AutoencoderParams {
            hidden: self.hidden.clone().unwrap_or(d.hidden),
            decoder: extra.decoder.clone(),
            code: extra.code,
            activation: self.activation().unwrap_or(d.activation),
            variational: extra.vae,
            beta: extra.beta,
            optimizer: self.optimizer(d.optimizer),
            learning_rate: self.lr.unwrap_or(d.learning_rate),
            batch_size: self.batch.unwrap_or(d.batch_size),
            epochs: self.epochs.unwrap_or(d.epochs),
            weight_decay: self.weight_decay.unwrap_or(d.weight_decay),
            validation_fraction: self.validation_fraction.unwrap_or(d.validation_fraction),
            seed,
            device: self.device(),
        })
    }
}

/// The autoencoder's own flags (beside [`MlpArgs`]).
#[derive(Debug, Clone, Args)]
pub struct AutoencoderExtraArgs {
    /// Autoencoder: units of the decoder's hidden layers, code side first, comma-separated
    /// (default: the encoder's `--hidden`, mirrored).
    #[arg(long, value_delimiter = ',', value_name = "UNITS")]
    pub decoder: Option<Vec<usize>>,
    /// Autoencoder: units of the code (the bottleneck); 2 to draw it.
    #[arg(long, default_value_t = AutoencoderParams::default().code)]
    pub code: usize,
    /// Autoencoder: variational (a Gaussian code and a KL term in the loss).
    #[arg(long)]
    pub vae: bool,
    /// Autoencoder: weight of the KL term (with --vae).
    #[arg(long, default_value_t = AutoencoderParams::default().beta)]
    pub beta: f64,
    /// Autoencoder: learn from this many most variable genes (0: all).
    #[arg(long, default_value_t = AutoencoderSettings::default().genes)]
    pub ae_genes: usize,
    /// Autoencoder: centre the genes only (default: also divide by their SD).
    #[arg(long)]
    pub no_standardise: bool,
}

impl Default for AutoencoderExtraArgs {
    fn default() -> Self {
        let d = AutoencoderSettings::default();
        Self {
            decoder: None,
            code: d.params.code,
            vae: false,
            beta: d.params.beta,
            ae_genes: d.genes,
            no_standardise: !d.scale,
        }
    }
}

impl AutoencoderExtraArgs {
    /// The settings of the recipe.
    pub fn settings(&self, network: &MlpArgs, seed: u64) -> anyhow::Result<AutoencoderSettings> {
        Ok(AutoencoderSettings {
            params: network.autoencoder(self, seed)?,
            genes: self.ae_genes,
            scale: !self.no_standardise,
            ..AutoencoderSettings::default()
        })
    }
}

/// `--activation` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActivationArg {
    /// max(0, x).
    Relu,
    /// tanh.
    Tanh,
    /// The logistic function.
    Sigmoid,
    /// Gaussian error linear unit.
    Gelu,
}

/// `--optimizer` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimizerArg {
    /// Adam.
    Adam,
    /// Stochastic gradient descent with momentum (`--momentum`).
    Sgd,
}

/// `--device` values of `--model mlp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// A real GPU when there is one, else the CPU.
    Auto,
    /// The CPU.
    Cpu,
    /// The GPU (even a software one).
    Gpu,
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
            ModelArg::Mlp => Model::Mlp(self.mlp.params(u64::from(self.seed))),
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
    /// Networks: where they trained and for how long.
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<NetworkReport>,
}

/// What a network's report adds: the device and the epochs each fold trained.
#[derive(Debug, Serialize)]
struct NetworkReport {
    device: String,
    /// Epochs trained in each fold (fewer than asked when early stopping stopped it).
    epochs_trained: Vec<usize>,
    /// Mean wall-clock seconds per epoch.
    seconds_per_epoch: f64,
}

impl NetworkReport {
    fn of(cv: &crate::analysis::classify::validation::CvOutcome) -> Option<Self> {
        let device = cv.folds.iter().find_map(|f| f.device.clone())?;
        let histories: Vec<&Vec<crate::analysis::nn::EpochRecord>> =
            cv.folds.iter().filter_map(|f| f.history.as_ref()).collect();
        let epochs: usize = histories.iter().map(|h| h.len()).sum();
        let seconds: f64 = histories.iter().flat_map(|h| h.iter().map(|r| r.seconds)).sum();
        Some(Self {
            device,
            epochs_trained: histories.iter().map(|h| h.len()).collect(),
            seconds_per_epoch: seconds / epochs.max(1) as f64,
        })
    }
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

    /// The report as `--json` prints it.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(&self.report).unwrap_or_default()
    }

    /// The model's name.
    pub fn model_name(&self) -> &str {
        &self.report.model
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
            select: GeneSelection::default(),
            leak: false,
            pca: None,
            c: Model::DEFAULT_C,
            k: Model::DEFAULT_K,
            distance_weights: false,
            trees: Model::DEFAULT_TREES,
            max_depth: None,
            min_samples_split: TreeParams::default().min_samples_split,
            gamma: None,
            json: false,
            confusion_figure: None,
            normalised: false,
            roc_figure: None,
            mlp: MlpArgs::default(),
            folds_out: None,
        }
    }
}

pub(super) fn run(args: &ClassifyArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let folds_file = args.folds_out.as_deref().map(super::OutFile::create).transpose()?;
    let history_file = args.mlp.history_out.as_deref().map(super::OutFile::create).transpose()?;
    if history_file.is_some() && args.model != ModelArg::Mlp {
        anyhow::bail!("--history-out needs --model mlp (only networks train in epochs)");
    }
    let evaluation = evaluate(args)?;
    if let Some(file) = folds_file {
        file.write_with(|w| write_folds(w, &evaluation))?;
    }
    if let Some(file) = history_file {
        file.write_with(|w| write_history(w, &evaluation.cv))?;
    }
    let title = format!(
        "{} — {}",
        args.data.matrix.as_deref().and_then(std::path::Path::file_stem).and_then(|s| s.to_str()).unwrap_or("data"),
        evaluation.report.model
    );
    write_figures(&evaluation, &title, args.confusion_figure.as_deref(), args.normalised, args.roc_figure.as_deref())?;
    if args.json {
        writeln!(out, "{}", evaluation.json())?;
        return Ok(());
    }
    print_text(&evaluation.report, out)
}

/// The confusion matrix and the ROC curves of an evaluation, to the files given.
pub(super) fn write_figures(
    evaluation: &Evaluation,
    title: &str,
    confusion: Option<&std::path::Path>,
    normalised: bool,
    roc: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if let Some(path) = confusion {
        let fig = crate::export::plots::confusion(title, evaluation.confusion(), evaluation.classes(), normalised);
        super::plot::write_default(&fig, path)?;
    }
    if let Some(path) = roc {
        let fig = crate::export::plots::roc(title, &evaluation.cv.roc_curves(&evaluation.y, evaluation.classes()));
        super::plot::write_default(&fig, path)?;
    }
    Ok(())
}

/// Writes `fold,epoch,train_loss,val_loss,train_accuracy,val_accuracy,seconds`, fold by fold
/// (validation columns empty without a validation part).
pub(super) fn write_history(
    out: &mut dyn std::io::Write,
    cv: &crate::analysis::classify::validation::CvOutcome,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(out);
    writeln!(out, "fold,epoch,train_loss,val_loss,train_accuracy,val_accuracy,seconds")?;
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for (fold, outcome) in cv.folds.iter().enumerate() {
        for r in outcome.history.iter().flatten() {
            writeln!(
                out,
                "{fold},{},{},{},{},{},{}",
                r.epoch,
                r.train_loss,
                opt(r.val_loss),
                r.train_accuracy,
                opt(r.val_accuracy),
                r.seconds
            )?;
        }
    }
    out.flush()
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

impl ClassifyArgs {
    /// The validation the flags ask for.
    pub fn validation(&self) -> anyhow::Result<Validation> {
        Ok(if self.loo {
            Validation::LeaveOneOut
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
}

/// Cross-validates the model the arguments describe.
pub(super) fn evaluate(args: &ClassifyArgs) -> anyhow::Result<Evaluation> {
    // --scale and --top-genes run inside the folds, so the whole-matrix pipeline skips them.
    let mut data = args.data.clone();
    let features = Features {
        top_genes: data.top_genes.take(),
        scale: std::mem::take(&mut data.scale),
        selection: args.select,
        pca: args.pca,
        select_on_all_data: args.leak,
        polynomial: false,
    };
    let dataset = data.open()?;
    let validation = args.validation()?;
    evaluate_on(&dataset, &args.target, &validation, args.seed, &args.model(), &features)
}

/// Cross-validates `model` predicting `target` in `dataset` (also `biolens run`'s path).
pub(super) fn evaluate_on(
    dataset: &crate::data::Dataset,
    target: &str,
    validation: &Validation,
    seed: u32,
    model: &Model,
    features: &Features,
) -> anyhow::Result<Evaluation> {
    let problem = crate::recipes::classify::prepare(dataset, target, validation, seed)?;
    let (x, y, classes, mut notices) = (&problem.x, &problem.y, &problem.classes, problem.notices.clone());
    let fold_names = match validation {
        Validation::KFold { folds, .. } => (0..problem.splits.len()).map(|s| (s / folds, s % folds)).collect(),
        Validation::LeaveOneOut => (0..problem.splits.len()).map(|i| (0, i)).collect(),
        Validation::Random { .. } | Validation::ByAnnotation { .. } => vec![(0, 0)],
    };
    let started = std::time::Instant::now();
    let cv = cross_validate(x.view(), y, classes.len(), model, features, &problem.splits, None, &mut |_| {})?;
    let seconds = started.elapsed().as_secs_f64();
    let confusion = cv.confusion(y);
    // Leave-one-out: per-fold macro scores are meaningless, so every score is pooled (SD 0).
    let pooled = cv.single_sample_folds().then(|| cv.pooled(y));
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
        target: target.to_owned(),
        samples: y.len(),
        genes: x.ncols(),
        validation: problem.validation.clone(),
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
        classes: classes.clone(),
        notices,
        seconds,
        network: NetworkReport::of(&cv),
    };
    let sample_ids = problem.samples.iter().map(|&i| dataset.sample_ids()[i].clone()).collect();
    Ok(Evaluation { report, cv, y: problem.y, sample_ids, fold_names })
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
    if let Some(n) = &report.network {
        let total: usize = n.epochs_trained.iter().sum();
        writeln!(
            out,
            "trained on {}: {total} epochs over {} folds, {:.3} s per epoch",
            n.device,
            n.epochs_trained.len(),
            n.seconds_per_epoch
        )?;
    }
    writeln!(out, "({:.2} s)", report.seconds)?;
    Ok(())
}
