//! The t-SNE view: the embedding unfolds live while the optimiser runs, with Pause,
//! Resume and Stop, the iteration, the phase and the KL divergence.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};
use ndarray::Array2;

use super::super::commands::Command;
use super::super::state::AppState;
use super::embedding::EmbeddingPanel;
use crate::analysis::tsne::{Phase, StepInfo, Tsne, TsneEngine, TsneGradient, TsneMetric};
use crate::jobs::JobError;
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
    /// The neighbour search of the affinities (`None` for linfa-tsne).
    pub neighbors: Option<crate::analysis::tsne::TsneNeighbors>,
}

/// State of the t-SNE view.
#[derive(Default)]
pub struct TsneView {
    /// The parameters of the next run and the colouring (saved with a session as they are).
    pub settings: TsneSettings,
    run: Option<super::LiveRun<TsneFrame>>,
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
        self.run.as_ref().is_some_and(super::LiveRun::is_paused)
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
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        let run = super::LiveRun::spawn("t-SNE", waker, move |ctx, worker_paused| {
            if params.engine == TsneEngine::Linfa {
                ctx.progress(None, "linfa-tsne runs in one call: no progress until it ends");
                let embedding =
                    crate::analysis::tsne::run_linfa(matrix.dense()?.view(), &params).map_err(JobError::failed)?;
                ctx.check()?;
                let total = params.exaggeration_iterations + params.iterations;
                let info = StepInfo { iteration: total, total, phase: Phase::Main, kl_divergence: None };
                return Ok(TsneFrame {
                    embedding: Arc::new(embedding),
                    info,
                    generation,
                    gradient: None,
                    neighbors: None,
                });
            }
            ctx.progress(None, "Finding neighbours and affinities");
            let mut tsne = Tsne::new(matrix.dense()?.view(), &params, Some(ctx.cancel_token()))
                .map_err(|e| JobError::from(crate::recipes::tsne::error(e)))?;
            let frame = |t: &Tsne, info: StepInfo| TsneFrame {
                embedding: Arc::new(t.embedding()),
                info,
                generation,
                gradient: Some(t.gradient),
                neighbors: Some(t.neighbors),
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
        self.run = Some(run);
        self.started_for = Some(generation);
        self.error = None;
    }

    /// Takes new frames and the finished embedding (also while the view is not shown).
    pub fn poll(&mut self) {
        super::LiveRun::poll(&mut self.run, &mut self.latest, &mut self.error);
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
        let coords = self.latest.as_ref().map(|f| &f.embedding);
        let offer = |ui: &mut egui::Ui, commands: &mut Vec<Command>| {
            let offer = crate::recipes::subset_offer(crate::recipes::tsne::MEMORY, current.dataset.n_genes());
            super::subset_offer_ui(ui, state, offer, commands);
        };
        self.panel.live_ui(
            ui,
            ("t-SNE", "tsne"),
            current,
            coords,
            self.error.as_deref(),
            offer,
            &self.settings.colour_by,
            &state.selection.samples,
            commands,
        );
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
            super::LiveRun::controls_ui(&mut self.run, ui, "Keep the embedding as it is now");
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
                if let Some(search) = frame.neighbors {
                    ui.label(search.label());
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
