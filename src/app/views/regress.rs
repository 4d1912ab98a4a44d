//! The Predict view's regression side (a numeric annotation or a gene as the target): the
//! features, validation and models as for classification; the models × R², RMSE, MAE and median
//! absolute error table; predicted against true and residuals (points clickable: they select
//! samples), every sample's error, the linear models' coefficients; the regularisation path with
//! its CV error curve and the genes kept; learning and validation curves; and the
//! loss-functions lesson.
//!
//! # How it works
//! "Run" starts one job that cross-validates every chosen model on the same splits
//! ([`crate::recipes::regress::run`]); the path, the learning curve and the validation curve are
//! jobs of their own on the run's problem. The loss lesson fits its three lines on the UI thread
//! (one gene, at most [`LossLesson::POINTS`] samples), again only when a point moves.

use std::sync::Arc;

use eframe::egui::{self, RichText};

use super::super::commands::Command;
use super::super::state::AppState;
use crate::analysis::regress::Regressor;
use crate::analysis::regress::linear::Loss;
use crate::analysis::regress::validation::{CurvePoint, RegParam, RegPath};
use crate::data::Dataset;
use crate::jobs::Job;
use crate::recipes::classify::FeatureChoice;
pub use crate::recipes::regress::{LessonFits, LossLesson, RegressProblem, RegressRun, RegressSettings, RegressTarget};

pub mod export;
mod panels;

pub use export::RegressFigure;

/// The panel shown for the selected model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RegressPanel {
    /// Predicted against true, and the residuals.
    #[default]
    Predictions,
    /// Every sample's prediction, largest errors first.
    Samples,
    /// The linear models' coefficients (fitted on all samples).
    Coefficients,
    /// The regularisation path and its CV error.
    Path,
    /// Learning and validation curves.
    Curves,
    /// Squared, absolute and Huber loss on data with outliers.
    Losses,
}

/// The loss lesson as shown: the recipe's lesson, the point being dragged, and the fits of the
/// lesson they were computed for (refitted only when it changes, not every frame).
#[derive(Debug, Clone, Default)]
pub struct LessonState {
    /// The lesson (`None`: not started on this run).
    pub lesson: Option<LossLesson>,
    dragging: Option<usize>,
    fits: Option<(LossLesson, LessonFits)>,
}

/// State of the regression side of the Predict view.
#[derive(Default)]
pub struct RegressView {
    /// What to validate and how (saved with a session as they are).
    pub settings: RegressSettings,
    job: Option<Job<RegressRun>>,
    /// The newest run.
    pub result: Option<Arc<RegressRun>>,
    result_generation: u64,
    started_generation: u64,
    error: Option<String>,
    /// The panel shown.
    pub panel: RegressPanel,
    path_job: Option<Job<RegPath>>,
    /// The newest regularisation path.
    pub path: Option<Arc<RegPath>>,
    /// Show the genes kept at the one-SE α (else at the smallest CV error).
    pub path_one_se: bool,
    learning_job: Option<Job<Vec<CurvePoint>>>,
    /// The newest learning curve (of the model selected then).
    pub learning: Option<Arc<Vec<CurvePoint>>>,
    curve_job: Option<Job<Vec<CurvePoint>>>,
    /// The newest validation curve and its hyperparameter.
    pub curve: Option<(RegParam, Arc<Vec<CurvePoint>>)>,
    curve_param: Option<RegParam>,
    /// The loss lesson.
    pub lesson: LessonState,
    /// The gene typed as the target.
    pub gene_text: String,
    /// Where each point of the predicted-against-true plot was last drawn: (processed sample,
    /// screen position).
    pub predicted_points: Vec<(usize, egui::Pos2)>,
    /// Where each point of the loss lesson was last drawn (its samples, in order).
    pub lesson_points: Vec<egui::Pos2>,
    /// *Export figure…* of the panels.
    pub figure: RegressFigure,
    /// The CSV tables' folder and writes.
    pub tables: super::table_export::TableExport,
}

impl RegressView {
    /// True while a job runs.
    pub fn is_running(&self) -> bool {
        self.job.is_some() || self.path_job.is_some() || self.learning_job.is_some() || self.curve_job.is_some()
    }

    /// Starts a run of every chosen model.
    pub fn start(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        let dataset = Arc::clone(&current.dataset);
        let mut settings = self.settings.clone();
        for (_, model) in &mut settings.models {
            if let Regressor::Mlp { params, .. } = model {
                params.device = state.settings.compute_device.train_device();
            }
        }
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.job = Some(Job::spawn("regress", waker, move |ctx| {
            crate::recipes::in_job(ctx, |ctx| crate::recipes::regress::run(&settings, &dataset, ctx))
        }));
        self.started_generation = current.matrix_generation;
        self.error = None;
        self.forget_side_results();
        self.settings.selected = 0;
    }

    fn forget_side_results(&mut self) {
        self.path = None;
        self.path_job = None;
        self.learning = None;
        self.learning_job = None;
        self.curve = None;
        self.curve_job = None;
        self.lesson = LessonState::default();
    }

    /// Takes finished jobs (also while the view is not shown).
    pub fn poll(&mut self) {
        if super::poll_into(&mut self.job, &mut self.result, &mut self.error) {
            self.result_generation = self.started_generation;
        }
        super::poll_into(&mut self.path_job, &mut self.path, &mut self.error);
        super::poll_into(&mut self.learning_job, &mut self.learning, &mut self.error);
        let mut curve = None;
        if super::poll_into(&mut self.curve_job, &mut curve, &mut self.error)
            && let (Some(points), Some(param)) = (curve, self.curve_param)
        {
            self.curve = Some((param, points));
        }
    }

    fn spawn_on_problem<T: Send + 'static>(
        &self,
        state: &AppState,
        name: &'static str,
        f: impl FnOnce(&RegressSettings, &RegressProblem, crate::recipes::Ctx<'_>) -> Result<T, crate::recipes::RecipeError>
        + Send
        + 'static,
    ) -> Option<Job<T>> {
        let run = self.result.clone()?;
        let settings = self.settings.clone();
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        Some(Job::spawn(name, waker, move |ctx| crate::recipes::in_job(ctx, |ctx| f(&settings, &run.problem, ctx))))
    }

    /// Computes the regularisation path of the settings' penalty on the run's problem.
    pub fn start_path(&mut self, state: &AppState) {
        self.path_job = self.spawn_on_problem(state, "regularisation path", crate::recipes::regress::path);
    }

    /// Computes the learning curve of the selected model.
    pub fn start_learning(&mut self, state: &AppState) {
        let Some(model) = self.selected_model() else { return };
        self.learning_job = self.spawn_on_problem(state, "learning curve", move |s, p, ctx| {
            crate::recipes::regress::learning(s, p, &model, ctx)
        });
    }

    /// Computes the validation curve of the selected model over `param`.
    pub fn start_curve(&mut self, state: &AppState, param: RegParam) {
        let Some(model) = self.selected_model() else { return };
        self.curve_param = Some(param);
        self.curve_job = self.spawn_on_problem(state, "validation curve", move |s, p, ctx| {
            crate::recipes::regress::validation_curve(s, p, &model, param, &[], ctx)
        });
    }

    fn selected_model(&self) -> Option<Regressor> {
        self.result.as_ref()?.outcomes.get(self.settings.selected).map(|o| o.model.clone())
    }

    /// True when the run shown was computed on the current matrix.
    fn is_current(&self, state: &AppState) -> bool {
        state.current.as_ref().is_some_and(|c| c.matrix_generation == self.result_generation)
    }

    /// The setup side panel.
    pub fn setup_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset, state: &AppState) {
        let target = self.settings.target_in(dataset);
        match &self.job {
            Some(job) => {
                if ui.horizontal(|ui| super::job_progress_ui(ui, job)).inner {
                    self.job = None;
                }
            }
            None => {
                if ui.add_enabled(target.is_some(), egui::Button::new(RichText::new("▶ Run").heading())).clicked() {
                    self.settings.target.clone_from(&target);
                    self.start(state);
                }
            }
        }
        let label = target.as_ref().map_or_else(|| "no numeric annotation".to_owned(), RegressTarget::label);
        egui::ComboBox::from_id_salt("regress_target").selected_text(label).show_ui(ui, |ui| {
            for name in crate::recipes::regress::numeric_annotations(dataset) {
                let value = Some(RegressTarget::Annotation(name.to_owned()));
                ui.selectable_value(&mut self.settings.target, value, name);
            }
        });
        ui.horizontal(|ui| {
            ui.label("or a gene:");
            let edit = ui.add(egui::TextEdit::singleline(&mut self.gene_text).desired_width(90.0).hint_text("gene id"));
            let known = dataset.gene_ids().iter().any(|g| g == self.gene_text.trim());
            if ui.add_enabled(known, egui::Button::new("use")).clicked()
                || (known && edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)))
            {
                self.settings.target = Some(RegressTarget::Gene(self.gene_text.trim().to_owned()));
            }
        });
        ui.label(RichText::new("A gene as the target leaves the features and keeps its units.").weak().small());
        ui.separator();
        ui.heading("Features");
        let s = &mut self.settings;
        ui.radio_value(&mut s.features, FeatureChoice::All, format!("all {} genes", dataset.n_genes()));
        ui.horizontal(|ui| {
            ui.radio_value(&mut s.features, FeatureChoice::TopGenes, "top");
            ui.add(egui::DragValue::new(&mut s.top_genes).range(1..=dataset.n_genes().max(1)));
            ui.selectable_value(
                &mut s.selection,
                crate::analysis::classify::validation::GeneSelection::Variance,
                "by variance",
            );
            ui.selectable_value(
                &mut s.selection,
                crate::analysis::classify::validation::GeneSelection::AnovaF,
                "by correlation",
            )
            .on_hover_text("The genes most correlated with the target (scikit-learn's f_regression): uses the target");
        });
        ui.horizontal(|ui| {
            ui.radio_value(&mut s.features, FeatureChoice::Pcs, "first");
            ui.add(egui::DragValue::new(&mut s.pcs).range(1..=200));
            ui.label("principal components");
        });
        ui.checkbox(&mut s.scale, "z-score each feature");
        ui.checkbox(&mut s.polynomial, "add squares and products (degree 2)")
            .on_hover_text("Non-linear with a linear model: every product of two kept genes and every square (at most 30 genes: use 'top')");
        ui.add_enabled(
            s.features == FeatureChoice::TopGenes,
            egui::Checkbox::new(&mut s.leak_lesson, "Lesson: also choose genes on all samples"),
        );
        ui.separator();
        ui.heading("Validation");
        super::classify::panels::validation_ui(ui, &mut s.validation, dataset, false);
        ui.horizontal(|ui| {
            ui.label("Seed");
            ui.add(egui::DragValue::new(&mut s.seed));
        });
        ui.separator();
        ui.heading("Models");
        for (on, model) in &mut s.models {
            ui.horizontal_wrapped(|ui| {
                ui.checkbox(on, model.name());
                model_params_ui(ui, model);
            });
        }
    }

    /// The results: the table and the selected model's panel.
    pub fn results_ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        if let Some(err) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, err);
        }
        if self.result.is_some() && !self.is_current(state) {
            self.result = None;
            self.forget_side_results();
            self.error = Some("The data changed since the last run: Run again.".to_owned());
        }
        let Some(run) = self.result.clone() else {
            if self.job.is_none() {
                ui.centered_and_justified(|ui| {
                    ui.label("Choose the target, features, validation and models, then Run.")
                });
            }
            return;
        };
        egui::ScrollArea::vertical().id_salt("regress_results").show(ui, |ui| {
            for notice in &run.problem.notices {
                ui.label(RichText::new(format!("ℹ {notice}")).weak());
            }
            ui.label(format!(
                "Predicting {} from {} features of {} samples, {}.",
                run.problem.target.label(),
                run.problem.x.ncols(),
                run.problem.y.len(),
                run.problem.validation
            ));
            self.table_ui(ui, &run);
            self.exports_ui(ui, &run, state);
            ui.separator();
            ui.horizontal_wrapped(|ui| {
                for (panel, name) in [
                    (RegressPanel::Predictions, "Predicted vs true"),
                    (RegressPanel::Samples, "Samples"),
                    (RegressPanel::Coefficients, "Coefficients"),
                    (RegressPanel::Path, "Regularisation path"),
                    (RegressPanel::Curves, "Learning & validation curves"),
                    (RegressPanel::Losses, "Loss functions"),
                ] {
                    ui.selectable_value(&mut self.panel, panel, name);
                }
            });
            match self.panel {
                RegressPanel::Predictions => self.predictions_ui(ui, &run, state, commands),
                RegressPanel::Samples => self.samples_ui(ui, &run, state, commands),
                RegressPanel::Coefficients => self.coefficients_ui(ui, &run, commands),
                RegressPanel::Path => self.path_ui(ui, &run, state, commands),
                RegressPanel::Curves => self.curves_ui(ui, state),
                RegressPanel::Losses => self.losses_ui(ui, &run, state),
            }
        });
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, run: &RegressRun) {
        egui::Grid::new("regress_table").striped(true).min_col_width(60.0).show(ui, |ui| {
            for h in ["model", "R²", "RMSE", "MAE", "median AE", "training R²"] {
                ui.strong(h);
            }
            if run.leaky.is_some() {
                ui.strong("R², genes chosen on all");
            }
            ui.end_row();
            let pooled =
                run.outcomes.first().is_some_and(crate::analysis::regress::validation::RegressCv::single_sample_folds);
            for (m, cv) in run.outcomes.iter().enumerate() {
                if ui.selectable_label(self.settings.selected == m, cv.model.name()).clicked() {
                    self.settings.selected = m;
                }
                let cell = |f: fn(&crate::analysis::regress::metrics::RegressionScores) -> f64| {
                    if pooled {
                        format!("{:.3}", f(&cv.pooled(&run.problem.y)))
                    } else {
                        let (mean, sd) = cv.mean_sd(f);
                        format!("{mean:.3} ± {sd:.3}")
                    }
                };
                ui.label(cell(|s| s.r2));
                ui.label(cell(|s| s.rmse));
                ui.label(cell(|s| s.mae));
                ui.label(cell(|s| s.median_ae));
                let train = cv.train_r2_mean();
                ui.label(format!("{train:.3}"));
                if let Some(leaky) = &run.leaky {
                    ui.label(format!("{:.3}", leaky[m]));
                }
                ui.end_row();
            }
        });
    }
}

/// A model's hyperparameters beside its check box.
fn model_params_ui(ui: &mut egui::Ui, model: &mut Regressor) {
    let log_drag = |ui: &mut egui::Ui, v: &mut f64, label: &str| {
        ui.label(label);
        ui.add(egui::DragValue::new(v).speed(0.01).range(1e-6..=1e6).custom_formatter(|v, _| format!("{v}")));
    };
    match model {
        Regressor::Ridge { alpha } => log_drag(ui, alpha, "α"),
        Regressor::ElasticNet { alpha, l1_ratio, .. } => {
            log_drag(ui, alpha, "α");
            if *l1_ratio < 1.0 {
                ui.add(egui::DragValue::new(l1_ratio).speed(0.01).range(0.0..=1.0).prefix("l1 ratio "));
            }
        }
        Regressor::Knn { k, .. } => {
            ui.add(egui::DragValue::new(k).range(1..=100).prefix("k "));
        }
        Regressor::Forest { trees, .. } => {
            ui.add(egui::DragValue::new(trees).range(1..=1000).suffix(" trees"));
        }
        Regressor::Svr { c, epsilon, .. } => {
            log_drag(ui, c, "C");
            log_drag(ui, epsilon, "ε");
        }
        Regressor::Mlp { loss, .. } => loss_ui(ui, loss, true),
        Regressor::Robust { loss } => loss_ui(ui, loss, false),
        _ => {}
    }
}

/// The training loss of the MLP (squared, absolute or Huber) or of the robust line (absolute or
/// Huber), and Huber's threshold.
fn loss_ui(ui: &mut egui::Ui, loss: &mut Loss, squared: bool) {
    let name = |l: &Loss| match l {
        Loss::Squared => "squared",
        Loss::Absolute => "absolute",
        Loss::Huber { .. } => "Huber",
    };
    let id = ui.next_auto_id();
    egui::ComboBox::new(id, "loss").selected_text(name(loss)).show_ui(ui, |ui| {
        let choices = [Loss::Squared, Loss::Absolute, Loss::huber()];
        for choice in choices.into_iter().filter(|c| squared || !matches!(c, Loss::Squared)) {
            let selected = std::mem::discriminant(&choice) == std::mem::discriminant(loss);
            if ui.selectable_label(selected, name(&choice)).clicked() && !selected {
                *loss = choice;
            }
        }
    });
    if let Loss::Huber { epsilon } = loss {
        let unit = if squared { "the target's SD" } else { "robust SDs of the residuals" };
        ui.add(egui::DragValue::new(epsilon).speed(0.01).range(0.1..=10.0).prefix("δ "))
            .on_hover_text(format!("Huber's threshold, in {unit} (scikit-learn's 1.35)"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::kittest::Queryable as _;

    #[test]
    fn the_loss_choice_sets_the_training_loss() {
        // The MLP offers squared, absolute and Huber loss; Huber shows its threshold.
        let mut h = egui_kittest::Harness::new_ui_state(|ui, loss: &mut Loss| loss_ui(ui, loss, true), Loss::Squared);
        h.get_by_label("loss").click();
        h.run();
        h.get_by_label("Huber").click();
        h.run();
        assert_eq!(*h.state(), Loss::huber());
        assert!(h.query_by_label_contains("δ").is_some(), "Huber's threshold is shown");
        // The robust line has no squared loss to offer.
        let mut h = egui_kittest::Harness::new_ui_state(|ui, loss: &mut Loss| loss_ui(ui, loss, false), Loss::Absolute);
        h.get_by_label("loss").click();
        h.run();
        assert!(h.query_by_label("absolute").is_some() && h.query_by_label("squared").is_none());
        h.get_by_label("Huber").click();
        h.run();
        assert!(matches!(h.state(), Loss::Huber { .. }));
    }
}
