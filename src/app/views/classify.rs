//! The Classify view: pick an annotation to predict, the features, the validation and the
//! models; compare the models under cross-validation (with the majority baseline), read the
//! confusion matrix, per-class scores, ROC curves and predictions, see which genes matter, and
//! tune hyperparameters with grid search, nested CV and a validation curve.
//!
//! # How it works
//! "Run" starts one job that cross-validates every chosen model on the same splits (progress
//! per fold, Cancel between folds); the feature pipeline is fitted in each training fold. With
//! the leakage lesson on, each model is validated a second time with the genes chosen on all
//! samples, and the table shows both. The search panel runs its own job on the selected model.

use std::sync::Arc;

use eframe::egui;

use super::super::commands::Command;
use super::super::state::AppState;
use crate::analysis::classify::folds::{
    Split, leave_one_out, repeated_k_fold, split_by, stratified_k_fold, train_test_split,
};
use crate::analysis::classify::search::{Grid, Param};
use crate::analysis::classify::validation::{CvOutcome, Features, cross_validate};
use crate::analysis::classify::{Model, encode_labels};
use crate::data::Dataset;
use crate::data::annotations::AnnotationValues;
use crate::jobs::{Job, JobError};

/// What the models are fitted on (the session type: saved as it is).
pub use crate::session::Features as FeatureChoice;

/// How the models are validated (the session type: saved as it is).
pub use crate::session::Validation;

/// A finished run: every chosen model on the same splits.
pub struct ClassifyRun {
    /// Class names.
    pub classes: Vec<String>,
    /// Processed-sample index of each validated (labelled) sample.
    pub samples: Vec<usize>,
    /// Their classes.
    pub y: Vec<usize>,
    /// One per model.
    pub outcomes: Vec<CvOutcome>,
    /// Per model, mean accuracy with the genes chosen on all samples (the leakage lesson).
    pub leaky: Option<Vec<f64>>,
    /// The splits used.
    pub splits: Arc<[Split]>,
    /// The features used.
    pub features: Features,
    /// Notices (rare classes, unlabelled samples).
    pub notices: Vec<String>,
    /// The matrix generation it was computed on (its sample indices mean nothing on another).
    pub generation: u64,
}

impl ClassifyRun {
    /// The search problem of this run on `x` (its labelled samples × genes).
    pub fn problem<'a>(&'a self, x: ndarray::ArrayView2<'a, f64>) -> crate::analysis::classify::search::Problem<'a> {
        crate::analysis::classify::search::Problem {
            x,
            y: &self.y,
            classes: self.classes.len(),
            features: &self.features,
            splits: &self.splits,
        }
    }
}

/// The detail panel shown for the selected model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// The confusion matrix.
    #[default]
    Confusion,
    /// Per-class precision, recall, F1.
    PerClass,
    /// One-vs-rest ROC curves.
    Roc,
    /// Every sample's prediction.
    Predictions,
    /// Gene importance.
    Importance,
    /// Grid search, nested CV, validation curve.
    Search,
}

/// State of the hyperparameter search panel.
pub struct SearchState {
    /// Rows of the grid.
    pub param: Option<Param>,
    /// Its values, as typed.
    pub values: String,
    /// Columns of the grid (optional).
    pub param2: Option<Param>,
    /// Their values, as typed.
    pub values2: String,
    job: Option<Job<SearchOutcome>>,
    /// The last outcome.
    pub outcome: Option<Arc<SearchOutcome>>,
    error: Option<String>,
    /// Random search: models drawn.
    pub draws: usize,
    random_job: Option<Job<RandomOutcome>>,
    /// The last random search.
    pub random: Option<Arc<RandomOutcome>>,
}

/// What a random search found: every model drawn with its mean CV accuracy, best first.
pub struct RandomOutcome {
    /// The model searched.
    pub base: Model,
    /// Drawn models and scores.
    pub draws: Vec<(Model, f64)>,
}

/// What a search found.
pub struct SearchOutcome {
    /// The model searched.
    pub model: Model,
    /// Mean CV accuracy over the grid.
    pub grid: Grid,
    /// Nested CV: outer accuracy and the model chosen inside each outer fold.
    pub nested: Vec<(f64, Model)>,
    /// Validation curve over the first hyperparameter: (value, training, CV accuracy).
    pub curve: Vec<(f64, f64, f64)>,
}

/// (gene, importance) pairs.
type Importances = Vec<(usize, f64)>;

/// State of the Classify view.
pub struct ClassifyView {
    /// What to validate and how (saved with a session as they are).
    pub settings: crate::session::ClassifySettings,
    job: Option<Job<ClassifyRun>>,
    /// The newest run.
    pub result: Option<Arc<ClassifyRun>>,
    error: Option<String>,
    /// The detail panel.
    pub detail: Detail,
    /// The search panel.
    pub search: SearchState,
    importance_job: Option<(usize, Job<Importances>)>,
    permutation: Option<(usize, Importances)>,
    confusion_cells: Option<(egui::Pos2, f32)>,
    /// CSV export of the results.
    pub tables: super::table_export::TableExport,
    /// "Export figure…" of the selected model's panels and the search.
    pub figure: super::figure_export::FigureExport,
}

impl Default for ClassifyView {
    fn default() -> Self {
        Self {
            settings: crate::session::ClassifySettings::default(),
            job: None,
            result: None,
            error: None,
            detail: Detail::default(),
            search: SearchState {
                param: None,
                values: String::new(),
                param2: None,
                values2: String::new(),
                job: None,
                outcome: None,
                error: None,
                draws: 20,
                random_job: None,
                random: None,
            },
            importance_job: None,
            permutation: None,
            confusion_cells: None,
            tables: super::table_export::TableExport::default(),
            figure: super::figure_export::FigureExport::with_choices(
                "classify",
                vec!["confusion matrix", "ROC curves", "grid search", "validation curve"],
            ),
        }
    }
}

impl ClassifyView {
    /// True while a job runs.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
            || self.search.job.is_some()
            || self.search.random_job.is_some()
            || self.importance_job.is_some()
    }

    /// The screen centre of confusion-matrix cell (true, predicted), as last drawn.
    pub fn confusion_cell_centre(&self, true_class: usize, predicted: usize) -> Option<egui::Pos2> {
        let (origin, side) = self.confusion_cells?;
        Some(origin + egui::vec2((predicted as f32 + 0.5) * side, (true_class as f32 + 0.5) * side))
    }

    /// The annotation predicted.
    pub fn target_name(&self, dataset: &Dataset) -> Option<String> {
        let categorical = |name: &str| {
            dataset
                .annotations()
                .iter()
                .any(|a| a.name == name && matches!(a.values, AnnotationValues::Categorical { .. }))
        };
        match &self.settings.target {
            Some(name) if categorical(name) => Some(name.clone()),
            _ => dataset
                .annotations()
                .iter()
                .find(|a| matches!(a.values, AnnotationValues::Categorical { .. }) && !a.name.ends_with(" clusters"))
                .map(|a| a.name.clone()),
        }
    }

    fn feature_spec(&self) -> Features {
        Features {
            top_genes: (self.settings.features == FeatureChoice::TopGenes).then_some(self.settings.top_genes),
            selection: self.settings.selection,
            scale: self.settings.scale,
            pca: (self.settings.features == FeatureChoice::Pcs).then_some(self.settings.pcs),
            select_on_all_data: false,
        }
    }

    /// Starts a run of every chosen model.
    pub fn start(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        let dataset = Arc::clone(&current.dataset);
        let Some(target) = self.target_name(&dataset) else {
            self.error = Some("Add a categorical annotation to predict (File > Open annotations…).".to_owned());
            return;
        };
        let models: Vec<Model> =
            self.settings.models.iter().filter(|(on, _)| *on).map(|(_, m)| self.with_seed(m)).collect();
        if models.is_empty() {
            self.error = Some("Choose at least one model.".to_owned());
            return;
        }
        let features = self.feature_spec();
        let validation = self.settings.validation.clone();
        let (seed, leak) = (self.settings.seed, self.settings.leak_lesson && features.top_genes.is_some());
        let generation = current.matrix_generation;
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.job = Some(Job::spawn("classify", waker, move |ctx| {
            let prepared = prepare(&dataset, &target, &validation, seed).map_err(JobError::Failed)?;
            let (x, classes, samples, y, splits, notices) = prepared;
            let runs = models.len() * splits.len() * if leak { 2 } else { 1 };
            let mut done = 0;
            let mut outcomes = Vec::with_capacity(models.len());
            let mut leaky = leak.then(Vec::new);
            for model in &models {
                let cv = cross_validate(
                    x.view(),
                    &y,
                    classes.len(),
                    model,
                    &features,
                    &splits,
                    Some(ctx.cancel_token()),
                    &mut |_| {
                        done += 1;
                        ctx.progress(Some(done as f32 / runs as f32), &format!("{}: fold {done}", model.name()));
                    },
                )
                .map_err(|e| {
                    if ctx.cancel_token().is_cancelled() { JobError::Cancelled } else { JobError::failed(e) }
                })?;
                outcomes.push(cv);
                if let Some(leaky) = &mut leaky {
                    let on_all = Features { select_on_all_data: true, ..features.clone() };
                    let cv = cross_validate(
                        x.view(),
                        &y,
                        classes.len(),
                        model,
                        &on_all,
                        &splits,
                        Some(ctx.cancel_token()),
                        &mut |_| {
                            done += 1;
                        },
                    )
                    .map_err(|e| {
                        if ctx.cancel_token().is_cancelled() { JobError::Cancelled } else { JobError::failed(e) }
                    })?;
                    leaky.push(cv.mean_sd(|s| Some(s.accuracy)).0);
                }
            }
            Ok(ClassifyRun {
                classes,
                samples,
                y,
                outcomes,
                leaky,
                splits: splits.into(),
                features,
                notices,
                generation,
            })
        }));
        self.error = None;
        self.forget_side_results();
        self.settings.selected = 0;
    }

    /// Drops (and so cancels) what was computed from the previous run.
    fn forget_side_results(&mut self) {
        self.permutation = None;
        self.importance_job = None;
        self.search.outcome = None;
        self.search.job = None;
        self.search.random = None;
        self.search.random_job = None;
    }

    fn with_seed(&self, model: &Model) -> Model {
        match model {
            Model::Forest { trees, params, .. } => {
                Model::Forest { trees: *trees, params: *params, seed: u64::from(self.settings.seed) }
            }
            other => other.clone(),
        }
    }

    /// Takes finished runs and searches (also while the view is not shown).
    pub fn poll(&mut self) {
        super::poll_into(&mut self.job, &mut self.result, &mut self.error);
        self.poll_side_jobs();
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.poll();
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset with a class annotation to train classifiers."));
            return;
        };
        if self.result.as_ref().is_some_and(|r| r.generation != current.matrix_generation) {
            // The data changed: the run's sample indices no longer apply.
            self.result = None;
            self.forget_side_results();
            self.error = Some("The data changed since the last run: Run again.".to_owned());
        }
        let dataset = Arc::clone(&current.dataset);
        egui::Panel::left("classify_setup")
            .resizable(true)
            .default_size(ui.text_style_height(&egui::TextStyle::Body) * 19.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("classify_setup_scroll")
                    .show(ui, |ui| self.setup_ui(ui, &dataset, state));
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, err);
            }
            let Some(run) = self.result.clone() else {
                if self.job.is_none() {
                    ui.centered_and_justified(|ui| {
                        ui.label("Choose the target, features, validation and models, then Run.")
                    });
                }
                return;
            };
            egui::ScrollArea::vertical().id_salt("classify_results").show(ui, |ui| {
                self.results_ui(ui, &run, &dataset, state, commands);
            });
        });
    }
}

/// The data of a run: features (labelled samples × genes), class names, processed indices of
/// the labelled samples, their classes, the splits and notices.
type Prepared = (ndarray::Array2<f64>, Vec<String>, Vec<usize>, Vec<usize>, Vec<Split>, Vec<String>);

/// Labels, splits and notices for `target` under `validation`.
fn prepare(dataset: &Dataset, target: &str, validation: &Validation, seed: u32) -> Result<Prepared, String> {
    let annotation =
        dataset.annotations().iter().find(|a| a.name == target).ok_or_else(|| format!("no annotation '{target}'"))?;
    let values: Vec<Option<String>> = (0..dataset.n_samples()).map(|i| annotation.value_text(i)).collect();
    let (classes, codes) = encode_labels(&values);
    let samples: Vec<usize> = (0..codes.len()).filter(|&i| codes[i].is_some()).collect();
    let y: Vec<usize> = samples.iter().filter_map(|&i| codes[i]).collect();
    let mut notices = Vec::new();
    if samples.len() < codes.len() {
        notices.push(format!("{} samples without a '{target}' value are left out.", codes.len() - samples.len()));
    }
    let splits = match validation {
        Validation::KFold { folds, repeats } => {
            for (c, name) in classes.iter().enumerate() {
                let members = y.iter().filter(|&&v| v == c).count();
                if members < *folds {
                    notices.push(format!("Class '{name}' has {members} samples, fewer than {folds} folds: some test folds have none of it."));
                }
            }
            if *repeats > 1 {
                repeated_k_fold(&y, *folds, *repeats, seed)
            } else {
                stratified_k_fold(&y, *folds, true, seed)
            }
            .map_err(|e| e.to_string())?
        }
        Validation::LeaveOneOut => leave_one_out(y.len()),
        Validation::Random { test_share } => vec![train_test_split(&y, *test_share, seed).map_err(|e| e.to_string())?],
        Validation::ByAnnotation { column, value } => {
            let a = dataset
                .annotations()
                .iter()
                .find(|a| &a.name == column)
                .ok_or_else(|| format!("no annotation '{column}'"))?;
            let cells: Vec<Option<String>> = samples.iter().map(|&i| a.value_text(i)).collect();
            let refs: Vec<Option<&str>> = cells.iter().map(|c| c.as_deref()).collect();
            vec![split_by(&refs, value).map_err(|e| format!("split by {column} = {value}: {e}"))?]
        }
    };
    let x = dataset.matrix().select(ndarray::Axis(0), &samples);
    Ok((x, classes, samples, y, splits, notices))
}

impl super::View for ClassifyView {
    fn title(&self) -> &'static str {
        "Classify"
    }

    fn poll(&mut self, _state: &AppState, _commands: &mut Vec<Command>) {
        ClassifyView::poll(self);
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        ClassifyView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        self.is_running()
    }

    fn save(&self, views: &mut crate::session::Views) {
        views.classify = crate::session::ClassifyView {
            settings: self.settings.clone(),
            ran: self.result.is_some(),
            search: self.search.param.filter(|_| self.search.outcome.is_some()).map(|param| {
                crate::session::GridSearch {
                    param,
                    values: self.search.values.clone(),
                    param2: self.search.param2,
                    values2: self.search.values2.clone(),
                }
            }),
        };
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.settings = views.classify.settings.clone();
        if let Some(search) = &views.classify.search {
            self.search.param = Some(search.param);
            self.search.values.clone_from(&search.values);
            self.search.param2 = search.param2;
            self.search.values2.clone_from(&search.values2);
        }
    }
}

mod panels;
mod results;
