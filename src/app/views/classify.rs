//! The Predict view (classification; [`super::regress`] is its regression side): pick an
//! annotation to predict, the features, the validation and the
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
use crate::analysis::classify::search::Param;
use crate::data::Dataset;
use crate::jobs::Job;
pub use crate::recipes::classify::{
    ClassifyRun, ClassifySettings, FeatureChoice, GridSearch, RandomOutcome, SearchOutcome, Validation,
};

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
    /// A network's training curves, fold by fold.
    Training,
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

/// (gene, importance) pairs.
type Importances = Vec<(usize, f64)>;

/// State of the Classify view.
pub struct ClassifyView {
    /// What to validate and how (saved with a session as they are).
    pub settings: ClassifySettings,
    job: Option<Job<ClassifyRun>>,
    /// The newest run.
    pub result: Option<Arc<ClassifyRun>>,
    /// The matrix generation of `result` (its sample indices mean nothing on another).
    result_generation: u64,
    /// The matrix generation of the run started last.
    started_generation: u64,
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
    /// The live view of the networks the running job trains (`None`: it trains none).
    pub training: Option<crate::analysis::nn::Monitor>,
    /// Predict a number (regression) rather than a class.
    pub numeric: bool,
    /// The regression side.
    pub regress: super::regress::RegressView,
    /// The setup panel is folded away (its toggle in the top bar; folded on Run when the
    /// screen is narrow, as a projector at 2× is, so the results keep the whole width).
    pub setup_hidden: bool,
}

impl SearchState {
    /// The grid as typed (none until a hyperparameter is chosen).
    pub fn grid(&self) -> Option<GridSearch> {
        Some(GridSearch {
            param: self.param?,
            values: self.values.clone(),
            param2: self.param2,
            values2: self.values2.clone(),
        })
    }
}

impl Default for ClassifyView {
    fn default() -> Self {
        Self {
            settings: ClassifySettings::default(),
            job: None,
            result: None,
            result_generation: 0,
            started_generation: 0,
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
            training: None,
            numeric: false,
            regress: super::regress::RegressView::default(),
            setup_hidden: false,
        }
    }
}

impl ClassifyView {
    /// True while a job runs.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
            || self.regress.is_running()
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
        self.settings.target_in(dataset)
    }

    /// Starts a run of every chosen model.
    pub fn start(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        let dataset = Arc::clone(&current.dataset);
        let mut settings = self.settings.clone();
        // Networks report each epoch to a monitor the view draws while the job runs.
        let monitor = crate::analysis::nn::Monitor::watching();
        let mut trains = false;
        for (on, model) in &mut settings.models {
            if let crate::analysis::classify::Model::Mlp(params) = model {
                params.monitor = monitor.clone();
                params.device = state.settings.compute_device.train_device();
                trains |= *on;
            }
        }
        self.training = trains.then_some(monitor);
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.job = Some(Job::spawn("classify", waker, move |ctx| {
            crate::recipes::in_job(ctx, |ctx| crate::recipes::classify::run(&settings, &dataset, ctx))
        }));
        self.started_generation = current.matrix_generation;
        self.error = None;
        self.forget_side_results();
        self.settings.selected = 0;
    }

    /// True when the run shown was computed on the current matrix.
    pub(super) fn is_current(&self, state: &AppState) -> bool {
        state.current.as_ref().is_some_and(|c| c.matrix_generation == self.result_generation)
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

    /// Takes finished runs and searches (also while the view is not shown).
    pub fn poll(&mut self) {
        if super::poll_into(&mut self.job, &mut self.result, &mut self.error) {
            self.result_generation = self.started_generation;
        }
        self.poll_side_jobs();
        self.regress.poll();
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.poll();
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset with a class annotation to train classifiers."));
            return;
        };
        if self.result.is_some() && !self.is_current(state) {
            // The data changed: the run's sample indices no longer apply.
            self.result = None;
            self.forget_side_results();
            self.error = Some("The data changed since the last run: Run again.".to_owned());
        }
        let dataset = Arc::clone(&current.dataset);
        let has_classes = self.settings.target_in(&dataset).is_some();
        if !has_classes && !crate::recipes::regress::numeric_annotations(&dataset).is_empty() {
            self.numeric = true;
        }
        egui::Panel::top("predict_mode").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Predict");
                ui.selectable_value(&mut self.numeric, false, "a class (classification)");
                ui.selectable_value(&mut self.numeric, true, "a number (regression)");
                ui.separator();
                let toggle = if self.setup_hidden { "⏵ Show the setup" } else { "⏴ Hide the setup" };
                if ui
                    .button(toggle)
                    .on_hover_text("The settings panel: fold it away to give the results the width")
                    .clicked()
                {
                    self.setup_hidden = !self.setup_hidden;
                }
            });
        });
        let was_busy = self.is_running();
        if !self.setup_hidden {
            // One setup panel, the regression side's or the classifiers'.
            let (id, width) = if self.numeric { ("regress_setup", 21.0) } else { ("classify_setup", 19.0) };
            egui::Panel::left(id)
                .resizable(true)
                .default_size(ui.text_style_height(&egui::TextStyle::Body) * width)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().id_salt(format!("{id}_scroll")).show(ui, |ui| {
                        if self.numeric {
                            self.regress.setup_ui(ui, &dataset, state);
                        } else {
                            self.setup_ui(ui, &dataset, state);
                        }
                    });
                });
        }
        // Run on a narrow screen folds the setup away.
        if ui.ctx().content_rect().width() < NARROW_SCREEN && !was_busy && self.is_running() {
            self.setup_hidden = true;
        }
        if self.numeric {
            egui::CentralPanel::default().show(ui, |ui| self.regress.results_ui(ui, state, commands));
            return;
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, err);
            }
            if self.job.is_some()
                && let Some(monitor) = self.training.clone()
            {
                self.live_training_ui(ui, &monitor);
                return;
            }
            let Some(run) = self.result.clone() else {
                if self.job.is_none() {
                    ui.centered_and_justified(|ui| {
                        ui.label("Choose the target, features, validation and models, then Run.")
                    });
                }
                return;
            };
            egui::ScrollArea::both().auto_shrink([false, true]).id_salt("classify_results").show(ui, |ui| {
                self.results_ui(ui, &run, &dataset, state, commands);
            });
        });
    }
}

impl ClassifyView {
    /// The networks' training while the job runs: curves of the current fold over the faint
    /// earlier ones, the network's weights, Pause/Resume (Cancel is the job's).
    fn live_training_ui(&mut self, ui: &mut egui::Ui, monitor: &crate::analysis::nn::Monitor) {
        let Some(live) = monitor.snapshot() else { return };
        ui.horizontal(|ui| {
            ui.heading("Training");
            let epoch = live.runs.last().and_then(|r| r.last()).map_or(0, |r| r.epoch);
            ui.label(format!(
                "fold {} · epoch {epoch} of {} · on {}",
                live.runs.len().max(1),
                live.planned_epochs,
                if live.device.is_empty() { "…" } else { &live.device }
            ));
            let paused = monitor.is_paused();
            if ui.button(if paused { "▶ Resume" } else { "⏸ Pause" }).clicked() {
                monitor.set_paused(!paused);
            }
            if let Some(job) = &self.job
                && ui.button("⏹ Stop").on_hover_text("cancel the run").clicked()
            {
                job.cancel();
            }
        });
        if let Some(last) = live.runs.last().and_then(|r| r.last()) {
            let val = match (last.val_loss, last.val_accuracy) {
                (Some(l), Some(a)) => format!(" · validation loss {l:.4}, accuracy {a:.3}"),
                _ => String::new(),
            };
            ui.label(format!("training loss {:.4}, accuracy {:.3}{val}", last.train_loss, last.train_accuracy));
        }
        let height = (ui.available_height() * 0.5).clamp(160.0, 420.0);
        super::super::widgets::training::curves_ui(ui, "live_training", &live.runs, live.planned_epochs, height);
        if let Some(net) = &live.network {
            ui.label(
                egui::RichText::new("The network: line width follows |weight|, blue positive, red negative.").weak(),
            );
            let h = ui.available_height().clamp(140.0, 360.0);
            super::super::widgets::training::network_ui(ui, net, h);
        }
        // Epochs arrive from the worker: keep drawing.
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
    }
}

/// Screens narrower than this many points (a 1920-pixel projector at 2× is 960) fold the
/// Predict setup away when Run starts.
const NARROW_SCREEN: f32 = 1100.0;

impl super::View for ClassifyView {
    fn title(&self) -> &'static str {
        "Predict"
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
        views.classify = crate::session::SavedClassify {
            settings: self.settings.clone(),
            ran: self.result.is_some(),
            search: self.search.grid().filter(|_| self.search.outcome.is_some()),
            numeric: self.numeric,
            regress: self.regress.settings.clone(),
            regress_ran: self.regress.result.is_some(),
        };
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.settings = views.classify.settings.clone();
        self.numeric = views.classify.numeric;
        self.regress.settings = views.classify.regress.clone();
        if let Some(search) = &views.classify.search {
            self.search.param = Some(search.param);
            self.search.values.clone_from(&search.values);
            self.search.param2 = search.param2;
            self.search.values2.clone_from(&search.values2);
        }
    }
}

pub(super) mod panels;
mod results;
