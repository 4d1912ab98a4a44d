//! The UMAP view: the neighbour graph is built, then the layout unfolds live epoch by epoch,
//! with Pause, Resume and Stop, the epoch and the phase; Leiden clusters of the same graph are
//! one click away (published as the annotation `leiden`, with their modularity).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};
use ndarray::Array2;

use super::super::commands::Command;
use super::super::state::AppState;
use super::embedding::EmbeddingPanel;
use crate::analysis::umap::UmapInit;
use crate::jobs::{Job, JobError, Poll};
use crate::recipes::neighbors::{Connectivity, Graph};
use crate::recipes::umap::UmapSettings;

/// Time between layouts sent to the view (20 a second).
const FRAME_INTERVAL: Duration = Duration::from_millis(50);

/// One layout and where the optimiser was.
#[derive(Debug, Clone)]
pub struct UmapFrame {
    /// Samples × 2.
    pub embedding: Arc<Array2<f64>>,
    /// Epochs done and in all (0 of n while the graph is built).
    pub epoch: (usize, usize),
    /// Dataset generation it belongs to.
    pub generation: u64,
    /// The graph it lays out (for Leiden).
    pub graph: Arc<Graph>,
}

/// State of the UMAP view.
pub struct UmapView {
    /// The settings of the next run and the colouring (saved with a session as they are).
    pub settings: UmapSettings,
    run: Option<super::LiveRun<UmapFrame>>,
    /// The newest layout (partial while running).
    pub latest: Option<UmapFrame>,
    started_for: Option<u64>,
    error: Option<String>,
    /// Leiden's resolution.
    pub resolution: f64,
    leiden: Option<Job<crate::recipes::clusters::Communities>>,
    /// Clusters and modularity of the last Leiden run.
    pub leiden_summary: Option<String>,
    /// Colouring, legend and scatter.
    pub panel: EmbeddingPanel,
}

impl Default for UmapView {
    fn default() -> Self {
        Self {
            settings: UmapSettings::default(),
            run: None,
            latest: None,
            started_for: None,
            error: None,
            resolution: crate::analysis::leiden::LeidenParams::default().resolution,
            leiden: None,
            leiden_summary: None,
            panel: EmbeddingPanel::default(),
        }
    }
}

impl UmapView {
    /// True while the layout runs (paused or not).
    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// True while paused.
    pub fn is_paused(&self) -> bool {
        self.run.as_ref().is_some_and(super::LiveRun::is_paused)
    }

    fn start(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        let dataset = Arc::clone(&current.dataset);
        let settings = self.settings.clone();
        let generation = current.matrix_generation;
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        let graphs = Arc::clone(&state.graphs);
        let run = super::LiveRun::spawn("UMAP", waker, move |ctx, worker_paused| {
            let graph = crate::recipes::in_job(ctx, |c| graphs.get_or_build(generation, &dataset, &settings.graph, c))?;
            let mut layout = crate::recipes::in_job(ctx, |c| crate::recipes::umap::start(&graph, &settings.params, c))?;
            let frame = |layout: &crate::analysis::umap::Umap| UmapFrame {
                embedding: Arc::new(layout.embedding()),
                epoch: layout.progress(),
                generation,
                graph: Arc::clone(&graph),
            };
            ctx.partial(frame(&layout));
            let mut last_sent = Instant::now();
            while !layout.is_done() {
                ctx.check()?;
                if worker_paused.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                // Part-way through an epoch when Cancel, Pause or the next frame is due.
                let cancel = ctx.cancel_token();
                layout.step_until(&|| {
                    cancel.is_cancelled()
                        || worker_paused.load(Ordering::Relaxed)
                        || last_sent.elapsed() >= FRAME_INTERVAL
                });
                if last_sent.elapsed() >= FRAME_INTERVAL {
                    let (epoch, total) = layout.progress();
                    ctx.partial(frame(&layout));
                    ctx.progress(Some(epoch as f32 / total as f32), "optimising");
                    last_sent = Instant::now();
                }
            }
            Ok(frame(&layout))
        });
        self.run = Some(run);
        self.started_for = Some(generation);
        self.error = None;
    }

    /// Takes new layouts, the finished one and Leiden's labels (also while not shown).
    pub fn poll(&mut self, commands: &mut Vec<Command>) {
        super::LiveRun::poll(&mut self.run, &mut self.latest, &mut self.error);
        if let Some(job) = &mut self.leiden
            && let Poll::Done(result) = job.poll()
        {
            self.leiden = None;
            match result {
                Ok(r) => {
                    self.leiden_summary =
                        Some(format!("Leiden: {} clusters, modularity {:.3}", r.clusters, r.modularity));
                    let labels: Vec<Option<usize>> = r.labels.iter().map(|&l| Some(l)).collect();
                    let name = crate::recipes::clusters::ClusterMethod::Leiden.annotation_name();
                    commands.push(Command::SetAnnotation(super::clusters::cluster_annotation(name, &labels)));
                    self.settings.colour_by = crate::recipes::Colouring::Annotation("leiden".to_owned());
                }
                Err(JobError::Cancelled) => {}
                Err(err) => self.error = Some(err.to_string()),
            }
        }
    }

    /// Runs Leiden on the graph of the newest layout.
    fn start_leiden(&mut self, state: &AppState) {
        let Some(frame) = &self.latest else { return };
        let graph = Arc::clone(&frame.graph);
        // The Clusters tab's Leiden (the same recipe), at this resolution and the layout's seed.
        let settings = crate::recipes::clusters::CommunitySettings {
            resolution: self.resolution,
            seed: self.settings.params.seed,
            ..Default::default()
        };
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.leiden = Some(Job::spawn("Leiden", waker, move |ctx| {
            crate::recipes::in_job(ctx, |c| crate::recipes::clusters::partition(&graph, &settings, true, 0.0, c))
        }));
    }

    fn update(&mut self, state: &AppState, commands: &mut Vec<Command>) {
        self.poll(commands);
        let Some(current) = &state.current else { return };
        if self.run.is_none() && self.started_for != Some(current.matrix_generation) {
            self.start(state);
        }
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.update(state, commands);
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset to run UMAP."));
            return;
        };
        egui::Panel::top("umap_toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| self.controls_ui(ui, state, &current.dataset));
            ui.horizontal_wrapped(|ui| {
                self.leiden_ui(ui, state);
                ui.separator();
                self.panel.colouring_ui(ui, &current.dataset, &mut self.settings.colour_by);
                ui.separator();
                self.panel.tools_ui(ui, state.selection.samples.len(), commands);
            });
        });
        let coords = self.latest.as_ref().map(|f| &f.embedding);
        self.panel.live_ui(
            ui,
            ("UMAP", "umap"),
            current,
            coords,
            self.error.as_deref(),
            |_, _| {},
            &self.settings.colour_by,
            &state.selection.samples,
            commands,
        );
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, state: &AppState, dataset: &crate::data::Dataset) {
        let running = self.run.is_some();
        ui.add_enabled_ui(!running, |ui| {
            let s = &mut self.settings;
            ui.label("Neighbours");
            ui.add(egui::DragValue::new(&mut s.graph.neighbors).range(2..=200));
            super::representation_ui(ui, "umap_rep", dataset, &mut s.graph);
            egui::ComboBox::from_id_salt("umap_connectivity")
                .selected_text(match s.graph.connectivity {
                    Connectivity::Umap => "UMAP weights",
                    Connectivity::Gauss => "Gaussian weights",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut s.graph.connectivity, Connectivity::Umap, "UMAP weights")
                        .on_hover_text("The fuzzy union of umap-learn (scanpy's default)");
                    ui.selectable_value(&mut s.graph.connectivity, Connectivity::Gauss, "Gaussian weights")
                        .on_hover_text("scanpy's method=\"gauss\": a kernel with each cell's own width");
                });
            ui.label("min dist");
            ui.add(egui::DragValue::new(&mut s.params.min_dist).range(0.0..=3.0).speed(0.01));
            ui.label("spread");
            ui.add(egui::DragValue::new(&mut s.params.spread).range(0.1..=5.0).speed(0.01));
            ui.label("Epochs");
            let mut epochs = s.params.epochs_for(dataset.n_samples());
            if ui.add(egui::DragValue::new(&mut epochs).range(1..=5000).speed(5)).changed() {
                s.params.epochs = Some(epochs);
            }
            egui::ComboBox::from_id_salt("umap_init")
                .selected_text(match s.params.init {
                    UmapInit::Spectral => "spectral start",
                    UmapInit::Pca => "PCA start",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut s.params.init, UmapInit::Spectral, "spectral start");
                    ui.selectable_value(&mut s.params.init, UmapInit::Pca, "PCA start");
                });
            ui.label("Seed");
            ui.add(egui::DragValue::new(&mut s.params.seed));
        });
        ui.separator();
        if running {
            super::LiveRun::controls_ui(&mut self.run, ui, "Keep the layout as it is now");
        } else if ui.button("▶ Run UMAP").clicked() {
            self.start(state);
        }
        ui.separator();
        match &self.latest {
            Some(frame) => {
                let (epoch, total) = frame.epoch;
                ui.label(RichText::new(format!("epoch {epoch} / {total}")).strong());
                ui.label(if epoch < total && running { "optimising" } else { "done" });
                ui.label(format!("{}-neighbour graph in {}", frame.graph.knn.k, frame.graph.from));
            }
            None if running => {
                ui.spinner();
                ui.label(self.run.as_ref().map_or_else(String::new, super::LiveRun::message));
            }
            None => {}
        }
    }

    /// Leiden on the layout's graph: the resolution, the button and the last result.
    fn leiden_ui(&mut self, ui: &mut egui::Ui, state: &AppState) {
        ui.add_enabled_ui(self.latest.is_some() && self.leiden.is_none(), |ui| {
            ui.label("resolution");
            ui.add(egui::DragValue::new(&mut self.resolution).range(0.05..=10.0).speed(0.05));
            if ui
                .button("Leiden clusters")
                .on_hover_text("Leiden on this neighbour graph; published as the annotation 'leiden'")
                .clicked()
            {
                self.start_leiden(state);
            }
        });
        if self.leiden.is_some() {
            ui.spinner();
        }
        if let Some(summary) = &self.leiden_summary {
            ui.label(summary);
        }
    }
}

impl super::View for UmapView {
    fn title(&self) -> &'static str {
        "UMAP"
    }

    fn poll(&mut self, _state: &AppState, commands: &mut Vec<Command>) {
        UmapView::poll(self, commands);
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        UmapView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        (self.is_running() && !self.is_paused()) || self.leiden.is_some()
    }

    fn save(&self, views: &mut crate::session::Views) {
        views.umap = self.settings.clone();
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.settings = views.umap.clone();
    }
}
