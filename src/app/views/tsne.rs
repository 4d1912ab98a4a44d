//! The t-SNE view: the embedding unfolds live while the optimiser runs, with Pause,
//! Resume and Stop, the iteration, the phase and the KL divergence.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};
use ndarray::Array2;

use super::super::commands::Command;
use super::super::state::AppState;
use super::embedding::EmbeddingPanel;
use crate::analysis::tsne::{Phase, StepInfo, Tsne, TsneEngine, TsneGradient, TsneMetric};
use crate::jobs::{Job, JobError, Poll};
use crate::recipes::tsne::TsneSettings;

/// Seconds between embeddings sent to the view (20 frames a second).
const FRAME_INTERVAL: Duration = Duration::from_millis(50);

/// One embedding and where the optimiser was.
#[derive(Debug, Clone)]
pub struct TsneFrame {
    /// Samples × 2.
    pub embedding: Arc<Array2<f64>>,
    /// Iteration, phase, KL divergence.
    pub info: StepInfo,
    /// Dataset generation it belongs to.
    pub generation: u64,
    /// The repulsion method that ran (`None` for linfa-tsne).
    pub gradient: Option<TsneGradient>,
}

struct TsneRun {
    job: Job<TsneFrame, TsneFrame>,
    paused: Arc<AtomicBool>,
}

/// State of the t-SNE view.
#[derive(Default)]
pub struct TsneView {
    /// The parameters of the next run and the colouring (saved with a session as they are).
    pub settings: TsneSettings,
    run: Option<TsneRun>,
    /// The newest embedding (partial while running).
    pub latest: Option<TsneFrame>,
    /// Generation of the last run started (so a dataset change starts a new one).
    started_for: Option<u64>,
    error: Option<String>,
    /// Colouring, legend and scatter.
    pub panel: EmbeddingPanel,
}

impl TsneView {
    /// True while the optimiser runs (paused or not).
    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// True while paused.
    pub fn is_paused(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.paused.load(Ordering::Relaxed))
    }

    fn start(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        self.started_for = Some(current.matrix_generation);
        if let Err(err) = crate::recipes::tsne::MEMORY.check(current.dataset.n_samples(), current.dataset.n_genes()) {
            self.error = Some(err.to_string());
            return;
        }
        let matrix = current.dataset.values().clone();
        let params = self.settings.params.clone();
        let generation = current.matrix_generation;
        let paused = Arc::new(AtomicBool::new(false));
        let worker_paused = Arc::clone(&paused);
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        let job = Job::spawn("t-SNE", waker, move |ctx| {
            if params.engine == TsneEngine::Linfa {
                ctx.progress(None, "linfa-tsne runs in one call: no progress until it ends");
                let embedding =
                    crate::analysis::tsne::run_linfa(matrix.dense()?.view(), &params).map_err(JobError::failed)?;
                ctx.check()?;
                let total = params.exaggeration_iterations + params.iterations;
                let info = StepInfo { iteration: total, total, phase: Phase::Main, kl_divergence: None };
                return Ok(TsneFrame { embedding: Arc::new(embedding), info, generation, gradient: None });
            }
            ctx.progress(None, "Finding neighbours and affinities");
            let mut tsne = Tsne::new(matrix.dense()?.view(), &params, Some(ctx.cancel_token()))
                .map_err(|e| JobError::from(crate::recipes::tsne::error(e)))?;
            let frame = |t: &Tsne, info: StepInfo| TsneFrame {
                embedding: Arc::new(t.embedding()),
                info,
                generation,
                gradient: Some(t.gradient),
            };
            ctx.partial(frame(&tsne, tsne.info()));
            let mut last_sent = Instant::now();
            while !tsne.is_done() {
                ctx.check()?;
                if worker_paused.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                let info = tsne.step();
                if last_sent.elapsed() >= FRAME_INTERVAL {
                    ctx.partial(frame(&tsne, info));
                    ctx.progress(Some(info.iteration as f32 / info.total as f32), "optimising");
                    last_sent = Instant::now();
                }
            }
            Ok(frame(&tsne, tsne.info()))
        });
        self.run = Some(TsneRun { job, paused });
        self.started_for = Some(generation);
        self.error = None;
    }

    /// Takes new frames and the finished embedding (also while the view is not shown).
    pub fn poll(&mut self) {
        if let Some(run) = &mut self.run {
            match run.job.poll() {
                Poll::Running(Some(frame)) => self.latest = Some(frame),
                Poll::Running(None) => {}
                Poll::Done(result) => {
                    self.run = None;
                    match result {
                        Ok(frame) => self.latest = Some(frame),
                        Err(JobError::Cancelled) => {}
                        Err(err) => self.error = Some(err.to_string()),
                    }
                }
            }
        }
    }

    /// Starts a run for a new dataset.
    fn update(&mut self, state: &AppState) {
        self.poll();
        let Some(current) = &state.current else { return };
        if self.run.is_none() && self.started_for != Some(current.matrix_generation) {
            self.start(state);
        }
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.update(state);
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset to run t-SNE."));
            return;
        };
        egui::Panel::top("tsne_toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| self.controls_ui(ui, state));
            ui.horizontal_wrapped(|ui| {
                self.panel.colouring_ui(ui, &current.dataset, &mut self.settings.colour_by);
                ui.separator();
                self.panel.tools_ui(ui, state.selection.samples.len(), commands);
            });
        });
        egui::Panel::right("tsne_side")
            .resizable(true)
            .default_size(ui.text_style_height(&egui::TextStyle::Body) * 16.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("tsne_side_scroll").show(ui, |ui| self.panel.legend_ui(ui));
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, format!("No t-SNE: {err}"));
                let offer = crate::recipes::subset_offer(crate::recipes::tsne::MEMORY, current.dataset.n_genes());
                super::subset_offer_ui(ui, state, offer, commands);
                return;
            }
            let Some(frame) = self.latest.clone().filter(|f| f.embedding.nrows() == current.dataset.n_samples()) else {
                ui.centered_and_justified(|ui| {
                    ui.spinner();
                });
                return;
            };
            if self.panel.export.is_none() {
                self.panel.export = Some(super::figure_export::FigureExport::new("tsne"));
            }
            self.panel.figure_title = format!("{} — t-SNE", current.dataset.name);
            let _ = self.panel.scatter_ui(
                ui,
                &frame.embedding,
                &current.dataset,
                current.generation,
                &self.settings.colour_by,
                &state.selection.samples,
                ("t-SNE 1", "t-SNE 2"),
                commands,
            );
        });
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, state: &AppState) {
        let running = self.run.is_some();
        ui.add_enabled_ui(!running, |ui| {
            ui.label("Perplexity");
            ui.add(egui::DragValue::new(&mut self.settings.params.perplexity).range(2.0..=100.0).speed(0.5));
            ui.label("Iterations");
            ui.add(egui::DragValue::new(&mut self.settings.params.iterations).range(0..=5000).speed(10));
            egui::ComboBox::from_id_salt("tsne_metric")
                .selected_text(format!("{:?}", self.settings.params.metric))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.settings.params.metric, TsneMetric::Euclidean, "Euclidean");
                    ui.selectable_value(&mut self.settings.params.metric, TsneMetric::Cosine, "Cosine");
                });
            ui.label("Seed");
            ui.add(egui::DragValue::new(&mut self.settings.params.seed));
            egui::ComboBox::from_id_salt("tsne_engine")
                .selected_text(match self.settings.params.engine {
                    TsneEngine::Biolens => "Biolens (live)",
                    TsneEngine::Linfa => "linfa-tsne",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.settings.params.engine, TsneEngine::Biolens, "Biolens (live)");
                    ui.selectable_value(&mut self.settings.params.engine, TsneEngine::Linfa, "linfa-tsne")
                        .on_hover_text("Runs in one call: it cannot animate, pause or report progress");
                });
            if self.settings.params.engine == TsneEngine::Biolens {
                ui.label("Repulsion");
                let auto = format!("Auto ({} from {} samples)", TsneGradient::Fft.label(), TsneGradient::FFT_FROM);
                egui::ComboBox::from_id_salt("tsne_gradient")
                    .selected_text(match self.settings.params.gradient {
                        TsneGradient::Auto => "Auto",
                        other => other.label(),
                    })
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.settings.params.gradient, TsneGradient::Auto, auto);
                        ui.selectable_value(&mut self.settings.params.gradient, TsneGradient::BarnesHut, "Barnes–Hut")
                            .on_hover_text("Quadtree, θ = 0.5: fastest for small data");
                        ui.selectable_value(&mut self.settings.params.gradient, TsneGradient::Fft, "FFT interpolation")
                            .on_hover_text("FIt-SNE: fastest for large data");
                    });
            }
        });
        ui.separator();
        let live = self.settings.params.engine == TsneEngine::Biolens;
        if running && !live {
            ui.spinner();
            ui.label("linfa-tsne is running; it cannot animate or pause");
            if ui.button("⏹ Stop").on_hover_text("Abandon this run").clicked()
                && let Some(run) = self.run.take()
            {
                run.job.cancel();
            }
        } else if running {
            let paused = self.is_paused();
            if ui.button(if paused { "▶ Resume" } else { "⏸ Pause" }).clicked()
                && let Some(run) = &self.run
            {
                run.paused.store(!paused, Ordering::Relaxed);
            }
            if ui.button("⏹ Stop").on_hover_text("Keep the embedding as it is now").clicked()
                && let Some(run) = self.run.take()
            {
                run.job.cancel();
            }
        } else if ui.button("▶ Run t-SNE").clicked() {
            self.start(state);
        }
        ui.separator();
        match &self.latest {
            Some(frame) => {
                let info = frame.info;
                let phase = match info.phase {
                    Phase::EarlyExaggeration => "early exaggeration",
                    Phase::Main => "main phase",
                };
                ui.label(RichText::new(format!("iteration {} / {}", info.iteration, info.total)).strong());
                ui.label(phase);
                if let Some(method) = frame.gradient {
                    ui.label(method.label());
                }
                if let Some(kl) = info.kl_divergence {
                    ui.label(format!("KL divergence {kl:.3}"));
                }
            }
            None if running => {
                ui.spinner();
                ui.label("finding neighbours…");
            }
            None => {}
        }
    }
}

impl super::View for TsneView {
    fn title(&self) -> &'static str {
        "t-SNE"
    }

    fn poll(&mut self, _state: &AppState, _commands: &mut Vec<Command>) {
        self.poll();
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        TsneView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        self.is_running() && !self.is_paused()
    }

    fn save(&self, views: &mut crate::session::Views) {
        views.tsne = self.settings.clone();
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.settings = views.tsne.clone();
    }
}
