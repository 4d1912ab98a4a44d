//! The Classify view's setup panel and its background jobs (permutation importance, search).

use eframe::egui::{self, RichText};

use super::super::super::state::AppState;
use super::{ClassifyView, FeatureChoice, Validation};
use crate::analysis::classify::Model;
use crate::analysis::classify::forest::MaxFeatures;
use crate::analysis::classify::models::KnnWeights;
use crate::analysis::classify::search::{Param, permutation_importance};
use crate::analysis::classify::svm::Kernel;
use crate::analysis::classify::validation::{GeneSelection, top_variance};
use crate::data::Dataset;
use crate::data::annotations::AnnotationValues;
use crate::jobs::{Job, JobError, Poll};

/// Genes scored by permutation importance (the most variable; each costs a prediction per fold).
pub const PERMUTED_GENES: usize = 100;

impl ClassifyView {
    pub(super) fn poll_side_jobs(&mut self) {
        if let Some((model, job)) = &mut self.importance_job
            && let Poll::Done(result) = job.poll()
        {
            let model = *model;
            self.importance_job = None;
            match result {
                Ok(values) => self.permutation = Some((model, values)),
                Err(JobError::Cancelled) => {}
                Err(err) => self.error = Some(err.to_string()),
            }
        }
        super::super::poll_into(&mut self.search.job, &mut self.search.outcome, &mut self.search.error);
        super::super::poll_into(&mut self.search.random_job, &mut self.search.random, &mut self.search.error);
    }

    pub(super) fn setup_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset, state: &AppState) {
        ui.heading("Predict");
        match &self.job {
            Some(job) => {
                let cancel = ui.horizontal(|ui| super::super::job_progress_ui(ui, job)).inner;
                if cancel {
                    self.job = None;
                }
            }
            None => {
                if ui.add(egui::Button::new(RichText::new("▶ Run").heading())).clicked() {
                    self.start(state);
                }
            }
        }
        ui.separator();
        let target = self.target_name(dataset).unwrap_or_else(|| "no categorical annotation".to_owned());
        egui::ComboBox::from_id_salt("classify_target").selected_text(target).show_ui(ui, |ui| {
            for a in dataset.annotations() {
                if matches!(a.values, AnnotationValues::Categorical { .. }) {
                    ui.selectable_value(&mut self.settings.target, Some(a.name.clone()), &a.name);
                }
            }
        });
        ui.separator();
        ui.heading("Features");
        ui.radio_value(&mut self.settings.features, FeatureChoice::All, format!("all {} genes", dataset.n_genes()));
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.settings.features, FeatureChoice::TopGenes, "top");
            ui.add(egui::DragValue::new(&mut self.settings.top_genes).range(1..=dataset.n_genes().max(1)));
            egui::ComboBox::from_id_salt("classify_selection")
                .selected_text(match self.settings.selection {
                    GeneSelection::Variance => "by variance",
                    GeneSelection::AnovaF => "by ANOVA F",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.settings.selection, GeneSelection::Variance, "by variance")
                        .on_hover_text("The most variable genes: ignores the classes");
                    ui.selectable_value(&mut self.settings.selection, GeneSelection::AnovaF, "by ANOVA F")
                        .on_hover_text("The genes that differ most between the classes: uses the labels");
                });
        });
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.settings.features, FeatureChoice::Pcs, "first");
            ui.add(egui::DragValue::new(&mut self.settings.pcs).range(1..=200));
            ui.label("principal components");
        });
        ui.checkbox(&mut self.settings.scale, "z-score each feature");
        ui.label(RichText::new("GeneSelection, scaling and PCA are fitted in each training fold only.").weak().small());
        ui.add_enabled(self.settings.features == FeatureChoice::TopGenes, egui::Checkbox::new(&mut self.settings.leak_lesson, "Lesson: also choose genes on all samples"))
            .on_hover_text("Validates each model a second time with the genes chosen before splitting (the test folds leak into the choice) and shows how much that inflates the score. Try it with 'by ANOVA F'.");
        ui.separator();
        ui.heading("Validation");
        validation_ui(ui, &mut self.settings.validation, dataset, true);
        ui.horizontal(|ui| {
            ui.label("Seed");
            ui.add(egui::DragValue::new(&mut self.settings.seed));
        });
        ui.separator();
        ui.heading("Models");
        for (on, model) in &mut self.settings.models {
            ui.horizontal_wrapped(|ui| {
                ui.checkbox(on, model.name());
                model_params_ui(ui, model);
            });
        }
    }

    /// Starts permutation importance of the selected model.
    pub(super) fn start_permutation(&mut self, state: &AppState) {
        let (Some(run), Some(current)) = (self.result.clone(), &state.current) else { return };
        if !self.is_current(state) {
            return;
        }
        let Some(outcome) = run.outcomes.get(self.settings.selected) else { return };
        let model = outcome.model.clone();
        let index = self.settings.selected;
        // The run's features were made dense by the classification itself: this is kept.
        let Ok(dense) = current.dataset.dense() else { return };
        let x = dense.select(ndarray::Axis(0), &run.samples);
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        let seed = u64::from(self.settings.seed);
        self.importance_job = Some((
            index,
            Job::spawn("permutation importance", waker, move |ctx| {
                let genes = top_variance(x.view(), PERMUTED_GENES);
                let problem = run.problem(x.view());
                permutation_importance(&problem, &model, &genes, seed, Some(ctx.cancel_token()), &mut |d, t| {
                    ctx.progress(Some(d as f32 / t as f32), "permuting genes");
                })
                .map_err(|e| if ctx.cancel_token().is_cancelled() { JobError::Cancelled } else { JobError::failed(e) })
            }),
        ));
    }

    /// Starts a random search of the selected model: each chosen hyperparameter drawn
    /// log-uniformly between the smallest and largest value typed.
    pub(super) fn start_random_search(&mut self, state: &AppState) {
        let (Some(run), Some(current)) = (self.result.clone(), &state.current) else { return };
        if !self.is_current(state) {
            return;
        }
        let Some(outcome) = run.outcomes.get(self.settings.selected) else { return };
        let Some(search) = self.search.grid() else { return };
        if let Err(err) = search.ranges() {
            self.search.error = Some(err.to_string());
            return;
        }
        let base = outcome.model.clone();
        // The run's features were made dense by the classification itself: this is kept.
        let Ok(dense) = current.dataset.dense() else { return };
        let x = dense.select(ndarray::Axis(0), &run.samples);
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        let (draws, seed) = (self.search.draws, u64::from(self.settings.seed));
        self.search.error = None;
        self.search.random_job = Some(Job::spawn("random search", waker, move |ctx| {
            crate::recipes::in_job(ctx, |ctx| {
                crate::recipes::classify::random(&search, &run, x.view(), &base, draws, seed, ctx)
            })
        }));
    }

    /// Starts grid search, nested CV and the validation curve of the selected model.
    pub fn start_search(&mut self, state: &AppState) {
        let (Some(run), Some(current)) = (self.result.clone(), &state.current) else { return };
        if !self.is_current(state) {
            return;
        }
        let Some(outcome) = run.outcomes.get(self.settings.selected) else { return };
        let Some(search) = self.search.grid() else { return };
        if let Err(err) = search.rows() {
            self.search.error = Some(err.to_string());
            return;
        }
        let model = outcome.model.clone();
        // The run's features were made dense by the classification itself: this is kept.
        let Ok(dense) = current.dataset.dense() else { return };
        let x = dense.select(ndarray::Axis(0), &run.samples);
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        let seed = self.settings.seed;
        self.search.error = None;
        self.search.job = Some(Job::spawn("grid search", waker, move |ctx| {
            crate::recipes::in_job(ctx, |ctx| {
                crate::recipes::classify::tune(&search, &run, x.view(), &model, seed, ctx)
            })
        }));
    }
}

/// Hyperparameter fields of one model.
fn model_params_ui(ui: &mut egui::Ui, model: &mut Model) {
    let drag = |ui: &mut egui::Ui, label: &str, v: &mut f64| {
        ui.label(RichText::new(label).weak());
        ui.add(egui::DragValue::new(v).range(1e-6..=1e6).speed(0.05).max_decimals(4));
    };
    match model {
        Model::Logistic { c } => drag(ui, "C", c),
        Model::Svm { kernel, c } => {
            drag(ui, "C", c);
            if let Kernel::Rbf { gamma } = kernel {
                let mut auto = gamma.is_none();
                if ui
                    .checkbox(&mut auto, "γ auto")
                    .on_hover_text("scikit-learn's 'scale': 1 / (features × variance)")
                    .changed()
                {
                    *gamma = if auto { None } else { Some(0.001) };
                }
                if let Some(g) = gamma {
                    ui.add(egui::DragValue::new(g).range(1e-9..=1e3).speed(0.0001).max_decimals(6));
                }
            }
        }
        Model::Knn { k, weights } => {
            ui.label(RichText::new("k").weak());
            ui.add(egui::DragValue::new(k).range(1..=100));
            let mut distance = *weights == KnnWeights::Distance;
            if ui.checkbox(&mut distance, "1/distance").changed() {
                *weights = if distance { KnnWeights::Distance } else { KnnWeights::Uniform };
            }
        }
        Model::Forest { trees, params, .. } => {
            ui.label(RichText::new("trees").weak());
            ui.add(egui::DragValue::new(trees).range(1..=2000));
            ui.label(RichText::new("genes per split").weak());
            egui::ComboBox::from_id_salt("forest_max_features")
                .selected_text(match params.max_features {
                    MaxFeatures::Sqrt => "√genes".to_owned(),
                    MaxFeatures::Log2 => "log2 genes".to_owned(),
                    MaxFeatures::All => "all".to_owned(),
                    MaxFeatures::Count(n) => n.to_string(),
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut params.max_features, MaxFeatures::Sqrt, "√genes (scikit-learn's default)");
                    ui.selectable_value(&mut params.max_features, MaxFeatures::Log2, "log2 genes");
                    ui.selectable_value(&mut params.max_features, MaxFeatures::All, "all (bagged trees)");
                });
            depth_ui(ui, &mut params.max_depth);
        }
        Model::Tree { params } => {
            depth_ui(ui, &mut params.max_depth);
            ui.label(RichText::new("min split").weak());
            ui.add(egui::DragValue::new(&mut params.min_samples_split).range(2..=1000));
        }
        Model::GaussianNb | Model::Baseline => {}
        Model::Mlp(params) => mlp_params_ui(ui, params),
    }
}

/// The network's settings: layers, activation, training.
fn mlp_params_ui(ui: &mut egui::Ui, p: &mut crate::analysis::nn::MlpParams) {
    use crate::analysis::nn::{Activation, Optimizer};
    ui.label(RichText::new("hidden").weak());
    let id = ui.make_persistent_id("mlp_hidden");
    let parse = |text: &str| -> Option<Vec<usize>> {
        let layers: Option<Vec<usize>> =
            text.split(',').map(|t| t.trim().parse::<usize>().ok().filter(|&n| n > 0)).collect();
        layers.filter(|l| !l.is_empty())
    };
    // The text as typed, unless the layers changed elsewhere (a session, another view).
    let mut text = ui
        .data(|d| d.get_temp::<String>(id))
        .filter(|t| parse(t).is_none_or(|l| l == p.hidden))
        .unwrap_or_else(|| p.hidden.iter().map(ToString::to_string).collect::<Vec<_>>().join(","));
    let response = ui
        .add(egui::TextEdit::singleline(&mut text).desired_width(70.0))
        .on_hover_text("units of each hidden layer, comma-separated (e.g. 64,32)");
    if response.changed()
        && let Some(layers) = parse(&text)
    {
        p.hidden = layers;
    }
    ui.data_mut(|d| d.insert_temp(id, text));
    egui::ComboBox::from_id_salt("mlp_activation").selected_text(p.activation.label()).show_ui(ui, |ui| {
        for a in Activation::ALL {
            ui.selectable_value(&mut p.activation, a, a.label());
        }
    });
    ui.label(RichText::new("epochs").weak());
    ui.add(egui::DragValue::new(&mut p.epochs).range(1..=10_000));
    ui.label(RichText::new("batch").weak());
    ui.add(egui::DragValue::new(&mut p.batch_size).range(1..=100_000));
    ui.label(RichText::new("learning rate").weak());
    ui.add(egui::DragValue::new(&mut p.learning_rate).range(1e-6..=10.0).speed(0.0001).max_decimals(6));
    let adam = matches!(p.optimizer, Optimizer::Adam);
    egui::ComboBox::from_id_salt("mlp_optimizer").selected_text(p.optimizer.label()).show_ui(ui, |ui| {
        if ui.selectable_label(adam, "Adam").clicked() {
            p.optimizer = Optimizer::Adam;
        }
        if ui.selectable_label(!adam, "SGD with momentum").clicked() && adam {
            p.optimizer = Optimizer::Sgd { momentum: 0.9 };
        }
    });
    if let Optimizer::Sgd { momentum } = &mut p.optimizer {
        ui.label(RichText::new("momentum").weak());
        ui.add(egui::DragValue::new(momentum).range(0.0..=0.99).speed(0.01));
    }
    ui.label(RichText::new("dropout").weak());
    ui.add(egui::DragValue::new(&mut p.dropout).range(0.0..=0.9).speed(0.01));
    ui.label(RichText::new("L2").weak()).on_hover_text("weight decay, scikit-learn's alpha");
    ui.add(egui::DragValue::new(&mut p.weight_decay).range(0.0..=10.0).speed(0.0001).max_decimals(6));
    ui.label(RichText::new("validation part").weak())
        .on_hover_text("share of each training fold held out for the validation curves");
    ui.add(egui::DragValue::new(&mut p.validation_fraction).range(0.0..=0.5).speed(0.01));
    let mut early = p.early_stopping.is_some();
    if ui
        .checkbox(&mut early, "early stopping")
        .on_hover_text("stop when the validation loss has not improved for this many epochs, keeping the best weights")
        .changed()
    {
        p.early_stopping = early.then_some(10);
        if early && p.validation_fraction <= 0.0 {
            p.validation_fraction = 0.1;
        }
    }
    if let Some(patience) = &mut p.early_stopping {
        ui.add(egui::DragValue::new(patience).range(1..=1000));
    }
    ui.label(egui::RichText::new("device: Settings > Compute device").weak())
        .on_hover_text("Networks train where the Compute device setting says, as distances are computed");
}

fn depth_ui(ui: &mut egui::Ui, depth: &mut Option<usize>) {
    let mut limited = depth.is_some();
    if ui.checkbox(&mut limited, "max depth").changed() {
        *depth = limited.then_some(5);
    }
    if let Some(d) = depth {
        ui.add(egui::DragValue::new(d).range(1..=100));
    }
}

/// A hyperparameter chooser with its values (filled with suggestions when chosen).
pub(super) fn param_choice_ui(
    ui: &mut egui::Ui,
    id: &str,
    params: &[Param],
    chosen: &mut Option<Param>,
    values: &mut String,
    optional: bool,
) {
    ui.horizontal(|ui| {
        let text = chosen.map_or("none", Param::label);
        egui::ComboBox::from_id_salt(id).selected_text(text).show_ui(ui, |ui| {
            if optional {
                ui.selectable_value(chosen, None, "none");
            }
            for &p in params {
                if ui.selectable_value(chosen, Some(p), p.label()).clicked() {
                    *values = p
                        .suggested()
                        .iter()
                        .map(|v| crate::data::annotations::format_number(*v))
                        .collect::<Vec<_>>()
                        .join(", ");
                }
            }
        });
        if chosen.is_some() {
            ui.add(
                egui::TextEdit::singleline(values).desired_width(ui.text_style_height(&egui::TextStyle::Body) * 14.0),
            );
        }
    });
}

/// The validation choice, shared by classification (`stratified`) and regression.
pub(in crate::app::views) fn validation_ui(
    ui: &mut egui::Ui,
    validation: &mut Validation,
    dataset: &Dataset,
    stratified: bool,
) {
    let kind = match validation {
        Validation::KFold { repeats: 1, .. } => 0,
        Validation::KFold { .. } => 1,
        Validation::LeaveOneOut => 2,
        Validation::Random { .. } => 3,
        Validation::ByAnnotation { .. } => 4,
    };
    let first = if stratified { "stratified k-fold" } else { "k-fold" };
    let labels = [first, "repeated k-fold", "leave-one-out", "random train/test split", "split by annotation"];
    egui::ComboBox::from_id_salt("classify_validation").selected_text(labels[kind]).show_ui(ui, |ui| {
        for (k, label) in labels.iter().enumerate() {
            if ui.selectable_label(k == kind, *label).clicked() && k != kind {
                *validation = match k {
                    0 => Validation::KFold { folds: 5, repeats: 1, shuffle: true },
                    1 => Validation::KFold { folds: 5, repeats: 5, shuffle: true },
                    2 => Validation::LeaveOneOut,
                    3 => Validation::Random { test_share: 0.25 },
                    _ => {
                        let column = dataset
                            .annotations()
                            .iter()
                            .find(|a| a.name.to_lowercase().contains("split"))
                            .or_else(|| dataset.annotations().first());
                        Validation::ByAnnotation {
                            column: column.map(|a| a.name.clone()).unwrap_or_default(),
                            value: "test".to_owned(),
                        }
                    }
                };
            }
        }
    });
    match validation {
        Validation::KFold { folds, repeats, shuffle } => {
            ui.horizontal(|ui| {
                ui.label("Folds");
                ui.add(egui::DragValue::new(folds).range(2..=20));
                if *repeats > 1 {
                    ui.label("Repeats");
                    ui.add(egui::DragValue::new(repeats).range(2..=50));
                } else {
                    ui.checkbox(shuffle, "shuffle").on_hover_text(
                        "Shuffle each class before dealing it into folds (off: folds in file order, \
                         scikit-learn's StratifiedKFold(shuffle=False))",
                    );
                }
            });
        }
        Validation::LeaveOneOut => {
            ui.label(RichText::new("Every sample is the test set once.").weak());
        }
        Validation::Random { test_share } => {
            ui.add(egui::Slider::new(test_share, 0.05..=0.5).text("test share"));
        }
        Validation::ByAnnotation { column, value } => {
            egui::ComboBox::from_id_salt("classify_split_column").selected_text(column.as_str()).show_ui(ui, |ui| {
                for a in dataset.annotations() {
                    ui.selectable_value(column, a.name.clone(), &a.name);
                }
            });
            ui.horizontal(|ui| {
                ui.label("test value");
                ui.text_edit_singleline(value);
            });
        }
    }
}
