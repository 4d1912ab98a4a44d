//! Views: each draws one part of the app from the state and pushes commands.

pub mod autoencoder;
pub mod classify;
pub mod clustered_heatmap;
pub mod clusters;
pub mod data;
pub mod distance_map;
pub mod embedding;
pub mod figure_export;
pub mod markers;
pub mod pca;
pub mod qc;
pub mod regress;
pub mod stored;
pub mod table_export;
pub mod tsne;
pub mod umap;

use std::sync::Arc;

use eframe::egui;

use super::commands::Command;
use super::state::AppState;
use crate::jobs::{Job, JobError, Poll};
use crate::session::Views;

/// One tab of the app. The app keeps its views in one array ([`super::Tab::ALL`] order): the
/// tab bar, the shortcuts (Ctrl+1 …) and sessions go through it, and every frame it polls
/// every view, so a job started in one tab finishes while another is shown.
pub trait View {
    /// The tab's title.
    fn title(&self) -> &'static str;
    /// Takes finished or partial results of the view's jobs (every frame, shown or not).
    fn poll(&mut self, state: &AppState, commands: &mut Vec<Command>);
    /// Draws the view (only when shown); starts the analyses it shows when their inputs changed.
    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>);
    /// True while work runs that should keep the window repainting.
    fn is_busy(&self) -> bool;
    /// Puts the view's settings into a session.
    fn save(&self, views: &mut Views);
    /// Takes the view's settings from a session.
    fn restore(&mut self, views: &Views);
}

/// A live optimisation (t-SNE, UMAP): a job sending frames of type `F`, and its pause flag,
/// which the work reads between steps.
pub(crate) struct LiveRun<F: Send + 'static> {
    job: Job<F, F>,
    paused: Arc<std::sync::atomic::AtomicBool>,
}

impl<F: Send + 'static> LiveRun<F> {
    /// Starts `work` (given the job context and the pause flag) on a thread.
    pub(crate) fn spawn(
        name: &str,
        waker: crate::jobs::Waker,
        work: impl FnOnce(&crate::jobs::JobContext<F, F>, &std::sync::atomic::AtomicBool) -> Result<F, JobError>
        + Send
        + 'static,
    ) -> Self {
        let paused = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let worker = Arc::clone(&paused);
        let job = Job::spawn(name, waker, move |ctx| work(ctx, &worker));
        Self { job, paused }
    }

    /// True while paused.
    pub(crate) fn is_paused(&self) -> bool {
        self.paused.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Pauses or resumes (as the Pause button does).
    pub(crate) fn set_paused(&self, paused: bool) {
        self.paused.store(paused, std::sync::atomic::Ordering::Relaxed);
    }

    /// The job's progress message.
    pub(crate) fn message(&self) -> String {
        self.job.progress().message.clone()
    }

    /// Polls `run`: a new frame becomes `latest`; when done, the last frame too (or the failure
    /// `error`), and `run` ends.
    pub(crate) fn poll(run: &mut Option<Self>, latest: &mut Option<F>, error: &mut Option<String>) {
        let Some(live) = run else { return };
        match live.job.poll() {
            Poll::Running(Some(frame)) => *latest = Some(frame),
            Poll::Running(None) => {}
            Poll::Done(result) => {
                *run = None;
                match result {
                    Ok(frame) => *latest = Some(frame),
                    Err(JobError::Cancelled) => {}
                    Err(err) => *error = Some(err.to_string()),
                }
            }
        }
    }

    /// ⏸ Pause / ▶ Resume and ⏹ Stop; Stop cancels the run and keeps the last frame.
    pub(crate) fn controls_ui(run: &mut Option<Self>, ui: &mut egui::Ui, stop_hint: &str) {
        if let Some(live) = run
            && pause_stop_ui(ui, &live.paused, stop_hint)
            && let Some(live) = run.take()
        {
            live.job.cancel();
        }
    }
}

/// ⏸ Pause / ▶ Resume (flipping `paused`) and ⏹ Stop of a live run; true when Stop was clicked.
pub(crate) fn pause_stop_ui(ui: &mut egui::Ui, paused: &std::sync::atomic::AtomicBool, stop_hint: &str) -> bool {
    use std::sync::atomic::Ordering;
    let now = paused.load(Ordering::Relaxed);
    if ui.button(if now { "▶ Resume" } else { "⏸ Pause" }).clicked() {
        paused.store(!now, Ordering::Relaxed);
    }
    ui.button("⏹ Stop").on_hover_text(stop_hint).clicked()
}

/// Where a neighbour graph searches: principal components (and how many) or a stored embedding
/// (from the file, or an autoencoder's code).
pub(crate) fn representation_ui(
    ui: &mut egui::Ui,
    id: &str,
    dataset: &crate::data::Dataset,
    graph: &mut crate::recipes::neighbors::GraphSettings,
) {
    let stored: Vec<String> = dataset.raw().single_cell().embeddings.iter().map(|e| e.name.clone()).collect();
    let shown = graph.use_rep.clone().unwrap_or_else(|| format!("{} PCs", graph.pcs));
    egui::ComboBox::from_id_salt(id)
        .selected_text(shown)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut graph.use_rep, None, "principal components");
            for name in stored {
                ui.selectable_value(&mut graph.use_rep, Some(name.clone()), name);
            }
        })
        .response
        .on_hover_text("Where neighbours are found: principal components, or a stored embedding");
    if graph.use_rep.is_none() {
        ui.add(egui::DragValue::new(&mut graph.pcs).range(2..=200)).on_hover_text("Principal components");
    }
}

/// Spinner, message, progress bar and a Cancel button for a running job; true when Cancel
/// was clicked.
pub(crate) fn job_progress_ui<T: Send + 'static, P: Send + 'static>(ui: &mut egui::Ui, job: &Job<T, P>) -> bool {
    ui.spinner();
    let progress = job.progress().clone();
    ui.label(progress.message);
    if let Some(f) = progress.fraction {
        ui.add(egui::ProgressBar::new(f).desired_width(100.0));
    }
    ui.button("Cancel").clicked()
}

/// The names of the categorical annotations among `annotations` (groupings).
pub(crate) fn categorical_names(annotations: &[crate::data::annotations::Annotation]) -> Vec<String> {
    annotations
        .iter()
        .filter(|a| matches!(a.values, crate::data::annotations::AnnotationValues::Categorical { .. }))
        .map(|a| a.name.clone())
        .collect()
}

/// Under a refusal: offers to keep a random subset of `n` samples (a preprocessing step every
/// view then works on) when the data has more.
pub(crate) fn subset_offer_ui(ui: &mut egui::Ui, state: &AppState, n: usize, commands: &mut Vec<Command>) {
    let Some(current) = &state.current else { return };
    if n < 2 || n >= current.dataset.n_samples() {
        return;
    }
    let label = format!("Keep a random subset of {} samples", crate::memory::thousands(n));
    let hint = "Adds the step 'keep N random samples' to the preprocessing (Data tab; remove it there)";
    let mut chosen = None;
    ui.horizontal_wrapped(|ui| {
        if ui.button(label).on_hover_text(hint).clicked() {
            chosen = Some(None);
        }
        let groups = categorical_names(current.dataset.raw().annotations());
        let averaged = categorical_names(current.dataset.annotations());
        if !averaged.is_empty() {
            ui.menu_button("Average each group (pseudobulk)", |ui| {
                for name in averaged {
                    if ui.button(format!("by {name}")).clicked() {
                        commands.push(Command::GroupMeans(name));
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text("One sample per group (cluster, cell type, donor): the mean of its samples");
        }
        if !groups.is_empty() {
            ui.menu_button("…each group keeping its share", |ui| {
                for name in groups {
                    if ui.button(format!("in proportion to {name}")).clicked() {
                        chosen = Some(Some(name));
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text("A stratified subset: small groups are not lost to chance");
        }
    });
    if let Some(by) = chosen {
        let mut pipeline = current.dataset.pipeline().clone();
        // After any subset by annotation and before every other step, as `--subsample` goes:
        // the other steps then work on the samples kept.
        let at = pipeline.steps.iter().take_while(|s| matches!(s, crate::data::Step::SubsetSamples { .. })).count();
        pipeline.steps.insert(at, crate::data::Step::Subsample { n, seed: 0, by });
        commands.push(Command::SetPipeline(pipeline));
    }
}

/// Polls `job`: when it is done, its value becomes `result` (or its failure `error`). True
/// when a new result arrived.
pub(crate) fn poll_into<T: Send + 'static>(
    job: &mut Option<Job<T>>,
    result: &mut Option<Arc<T>>,
    error: &mut Option<String>,
) -> bool {
    if let Some(running) = job
        && let Poll::Done(done) = running.poll()
    {
        *job = None;
        match done {
            Ok(value) => {
                *result = Some(Arc::new(value));
                return true;
            }
            Err(JobError::Cancelled) => {}
            Err(err) => *error = Some(err.to_string()),
        }
    }
    false
}
