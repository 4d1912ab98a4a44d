//! The distance map: the sample × sample distance matrix as a heatmap, ordered by the leaf
//! order of average-linkage clustering (or by an annotation, or as loaded), with annotation
//! strips on both axes, a colour bar, hover and block selection.
//!
//! # How it works
//! A job computes the distances on the device the Compute device setting picks (the GPU
//! through eframe's own wgpu device, or the CPU path; a GPU failure falls back to the CPU and
//! says so), then the average-linkage tree for the leaf order. The view runs it when it is
//! first shown and again when the dataset or the metric changes; the previous map stays on
//! screen meanwhile. Ordering, strips and colours are cheap and change at once. The map itself
//! is [`heatmap_ui`]: a texture of the visible window, rasterised off the UI thread.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use eframe::egui::{self, Color32, RichText};
use ndarray::Array2;

use super::super::commands::Command;
use super::super::state::AppState;
use super::super::widgets::heatmap::{Decorations, HeatmapData, HeatmapState, Strip, heatmap_ui};
use crate::analysis::clustering::hierarchical::{Method, condensed, linkage};
use crate::analysis::distance::{Between, Metric, prepare};
use crate::data::Dataset;
use crate::data::annotations::{AnnotationValues, format_number};
use crate::export::heatmap::ColourScale;
use crate::gpu::{ComputeDevice, Gpu, distances_on};
use crate::jobs::{Job, JobContext, JobError};
use crate::palette;

/// Above this many samples the map is not computed: its n² f64 values need 800 MB at 10,000.
pub const MAX_SAMPLES: usize = 10_000;

/// The order of the samples (the session type: saved as it is).
pub use crate::session::MapOrder;

/// A computed map.
#[derive(Debug, Clone)]
pub struct DistanceMap {
    /// Samples × samples.
    pub matrix: Arc<Array2<f64>>,
    /// Average-linkage leaf order (position → sample).
    pub leaf_order: Arc<[usize]>,
    /// The metric.
    pub metric: Metric,
    /// Where the distances ran ("GPU: …" or "CPU (…)").
    pub device: String,
    /// Seconds for distances and clustering.
    pub seconds: f64,
    /// Smallest and largest distance between different samples.
    pub range: (f64, f64),
    /// Dataset generation it belongs to.
    pub generation: u64,
}

/// What a run was for: a change of any of these runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RunKey {
    generation: u64,
    metric: Metric,
    device: ComputeDevice,
}

/// Cached positions: (map address, order, generation) → position → sample.
type OrderCache = Option<((usize, MapOrder, u64), Arc<[usize]>)>;
/// Cached strips and legend: (generation, annotation, dark mode).
type StripCache = Option<((u64, Option<String>, bool), Vec<Strip>, Vec<(String, Color32)>)>;

/// State of the distance map view.
pub struct DistanceMapView {
    /// The metric for the next run.
    pub metric: Metric,
    /// The ordering.
    pub order: MapOrder,
    /// The annotation shown as strips (`None`: the first one, if any).
    pub strip: Option<String>,
    /// Dark for large distances instead of bright.
    pub reversed: bool,
    job: Option<Job<DistanceMap>>,
    attempted: Option<RunKey>,
    /// The newest map.
    pub result: Option<Arc<DistanceMap>>,
    error: Option<String>,
    /// (map, order, generation) → positions.
    order_cache: OrderCache,
    strip_cache: StripCache,
    /// Zoom and texture of the map.
    pub heatmap: HeatmapState,
    /// CSV export of the matrix.
    pub tables: super::table_export::TableExport,
    /// "Export figure…".
    pub figure: super::figure_export::FigureExport,
}

impl Default for DistanceMapView {
    fn default() -> Self {
        Self {
            metric: Metric::default(),
            order: MapOrder::default(),
            strip: None,
            reversed: false,
            job: None,
            attempted: None,
            result: None,
            error: None,
            order_cache: None,
            strip_cache: None,
            heatmap: HeatmapState::default(),
            tables: super::table_export::TableExport::default(),
            figure: super::figure_export::FigureExport::with_choices("distance-map", vec!["distance map"]),
        }
    }
}

impl DistanceMapView {
    /// The order last drawn (position → sample), for tests.
    pub fn shown_order(&self) -> Option<Arc<[usize]>> {
        self.order_cache.as_ref().map(|(_, order)| Arc::clone(order))
    }

    /// True while distances are being computed.
    pub fn is_running(&self) -> bool {
        self.job.is_some() || self.heatmap.is_rendering()
    }

    fn start(&mut self, state: &AppState, key: RunKey) {
        let Some(current) = &state.current else { return };
        let matrix = current.dataset.matrix_arc();
        let gpu = state.gpu.clone();
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.job = Some(Job::spawn("distance map", waker, move |ctx| compute(&matrix, key, gpu.as_ref(), ctx)));
        self.attempted = Some(key);
        self.error = None;
    }

    fn update(&mut self, state: &AppState) {
        super::poll_into(&mut self.job, &mut self.result, &mut self.error);
        let Some(current) = &state.current else { return };
        let key = RunKey {
            generation: current.matrix_generation,
            metric: self.metric,
            device: state.settings.compute_device,
        };
        let n = current.dataset.n_samples();
        if self.job.is_none() && self.attempted != Some(key) && (2..=MAX_SAMPLES).contains(&n) {
            self.start(state, key);
        }
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.update(state);
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset to see its distance map."));
            return;
        };
        let dataset = &current.dataset;
        egui::Panel::top("distance_map_toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| self.controls_ui(ui, dataset, state));
            ui.horizontal_wrapped(|ui| self.legend_ui(ui, dataset));
            if let Some(map) = self.result.clone().filter(|m| m.matrix.nrows() == dataset.n_samples()) {
                ui.horizontal(|ui| {
                    if ui.button("Export figure…").on_hover_text("SVG or PNG at a chosen size").clicked() {
                        self.figure.open = true;
                    }
                    self.tables.folder_ui(ui);
                    self.tables.button_ui(ui, "Distance matrix (CSV)", "distances.csv", || {
                        let ids = dataset.sample_ids().to_vec();
                        move |w| crate::export::csv::write_matrix(w, "sample_id", &ids, &ids, map.matrix.view())
                    });
                });
            }
        });
        egui::CentralPanel::default().show(ui, |ui| {
            let n = dataset.n_samples();
            if n > MAX_SAMPLES {
                ui.label(format!(
                    "The distance map shows at most {MAX_SAMPLES} samples ({n} here: {:.1} GB of distances). \
                     Subset the samples in the Data tab, or compute distances with `biolens distances`.",
                    (n * n * 8) as f64 / 1e9
                ));
                return;
            }
            if n < 2 {
                ui.label("The distance map needs at least 2 samples.");
                return;
            }
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, format!("Distances failed: {err}"));
                return;
            }
            let Some(map) = self.result.clone().filter(|m| m.matrix.nrows() == n) else {
                ui.centered_and_justified(|ui| {
                    ui.spinner();
                });
                return;
            };
            self.map_ui(ui, &map, dataset, current.generation, &state.selection.samples, commands);
        });
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset, state: &AppState) {
        ui.label("Metric");
        egui::ComboBox::from_id_salt("distance_map_metric").selected_text(self.metric.label()).show_ui(ui, |ui| {
            for metric in Metric::ALL {
                ui.selectable_value(&mut self.metric, metric, metric.label());
            }
        });
        ui.label("Order");
        let order_text = match &self.order {
            MapOrder::Clustering => "clustering (average linkage)".to_owned(),
            MapOrder::Annotation(name) => format!("by {name}"),
            MapOrder::Original => "as loaded".to_owned(),
        };
        egui::ComboBox::from_id_salt("distance_map_order").selected_text(order_text).show_ui(ui, |ui| {
            ui.selectable_value(&mut self.order, MapOrder::Clustering, "clustering (average linkage)")
                .on_hover_text("Leaf order of the average-linkage dendrogram: similar samples sit together");
            for a in dataset.annotations() {
                let choice = MapOrder::Annotation(a.name.clone());
                let label = format!("by {}", a.name);
                ui.selectable_value(&mut self.order, choice, label)
                    .on_hover_text("Grouped by this annotation, clustering order within each group");
            }
            ui.selectable_value(&mut self.order, MapOrder::Original, "as loaded");
        });
        ui.label("Strips");
        let strip_name = self.strip_name(dataset).unwrap_or_else(|| "none".to_owned());
        egui::ComboBox::from_id_salt("distance_map_strip").selected_text(strip_name).show_ui(ui, |ui| {
            ui.selectable_value(&mut self.strip, Some(String::new()), "none");
            for a in dataset.annotations() {
                ui.selectable_value(&mut self.strip, Some(a.name.clone()), &a.name);
            }
        });
        ui.checkbox(&mut self.reversed, "Dark = far").on_hover_text("Reverse the colour scale");
        if ui.button("Reset view").on_hover_text("Or double-click the map").clicked() {
            self.heatmap.reset_view();
        }
        ui.separator();
        if let Some(job) = &self.job {
            if super::job_progress_ui(ui, job) {
                self.job = None;
            }
        } else if let Some(map) = &self.result {
            ui.label(format!("{} samples · {} · {:.2} s", map.matrix.nrows(), map.device, map.seconds));
            let stale = self.attempted.is_some_and(|k| k.metric != map.metric);
            if (stale || state.current.as_ref().is_some_and(|c| c.matrix_generation != map.generation))
                && ui.button("Compute").on_hover_text("Compute the map for the current settings").clicked()
            {
                self.attempted = None;
            }
        } else if self.attempted.is_some() && ui.button("Compute").clicked() {
            self.attempted = None;
        }
    }

    /// The annotation shown as strips.
    fn strip_name(&self, dataset: &Dataset) -> Option<String> {
        match &self.strip {
            Some(name) if name.is_empty() => None,
            Some(name) => dataset.annotations().iter().find(|a| &a.name == name).map(|a| a.name.clone()),
            None => dataset.annotations().first().map(|a| a.name.clone()),
        }
    }

    fn legend_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset) {
        let Some(name) = self.strip_name(dataset) else { return };
        ui.label(RichText::new(format!("{name}:")).weak());
        if let Some((_, _, legend)) = &self.strip_cache {
            for (label, color) in legend {
                ui.label(RichText::new(format!("⏺ {label}")).color(*color));
            }
        }
    }

    fn positions(&mut self, map: &Arc<DistanceMap>, dataset: &Dataset, generation: u64) -> Arc<[usize]> {
        let key = (Arc::as_ptr(map) as usize, self.order.clone(), generation);
        if let Some((k, order)) = &self.order_cache
            && *k == key
        {
            return Arc::clone(order);
        }
        let order: Arc<[usize]> = match &self.order {
            MapOrder::Clustering => Arc::clone(&map.leaf_order),
            MapOrder::Original => (0..map.matrix.nrows()).collect(),
            MapOrder::Annotation(name) => match dataset.annotations().iter().find(|a| &a.name == name) {
                Some(a) => crate::analysis::clustering::order::grouped_by(&map.leaf_order, &a.values).into(),
                None => Arc::clone(&map.leaf_order),
            },
        };
        self.order_cache = Some((key, Arc::clone(&order)));
        order
    }

    fn strips(&mut self, dataset: &Dataset, generation: u64, dark_mode: bool) -> Vec<Strip> {
        let name = self.strip_name(dataset);
        let key = (generation, name.clone(), dark_mode);
        if self.strip_cache.as_ref().is_none_or(|(k, _, _)| *k != key) {
            let (strips, legend) = name.map_or_else(|| (Vec::new(), Vec::new()), |n| strip_for(dataset, &n, dark_mode));
            self.strip_cache = Some((key, strips, legend));
        }
        self.strip_cache.as_ref().map(|(_, s, _)| s.clone()).unwrap_or_default()
    }

    fn map_ui(
        &mut self,
        ui: &mut egui::Ui,
        map: &Arc<DistanceMap>,
        dataset: &Dataset,
        generation: u64,
        selected: &BTreeSet<usize>,
        commands: &mut Vec<Command>,
    ) {
        let order = self.positions(map, dataset, generation);
        self.figure.window_ui(ui.ctx(), "distance_map_figure");
        if self.figure.wants(0) {
            let strip = self.strip_name(dataset).and_then(|n| dataset.annotations().iter().find(|a| a.name == n));
            let strip = strip.map(crate::export::plots::Strip::of);
            let label = format!("{} distance", map.metric.label());
            let figure = crate::export::plots::DistanceMap {
                title: &format!("{} — distance map", dataset.name),
                matrix: &map.matrix,
                order: &order,
                names: dataset.sample_ids(),
                scale: ColourScale { low: map.range.0, high: map.range.1, reversed: self.reversed, diverging: false },
                label: &label,
                strip: strip.as_ref(),
            }
            .figure();
            let ctx = ui.ctx().clone();
            self.figure.start(figure, Arc::new(move || ctx.request_repaint()));
        }
        let strips = self.strips(dataset, generation, ui.visuals().dark_mode);
        let data = HeatmapData {
            matrix: Arc::clone(&map.matrix),
            row_order: Arc::clone(&order),
            col_order: order,
            scale: ColourScale { low: map.range.0, high: map.range.1, reversed: self.reversed, diverging: false },
            scale_label: format!("{} distance", map.metric.label()),
        };
        let ids = dataset.sample_ids();
        let strip_name = self.strip_name(dataset);
        let strip_annotation = strip_name.as_ref().and_then(|n| dataset.annotations().iter().find(|a| &a.name == n));
        let tooltip = |i: usize, j: usize| {
            let mut text =
                format!("{} × {}\n{}: {}", ids[i], ids[j], data.scale_label, format_number(map.matrix[[i, j]]));
            if let Some(a) = strip_annotation {
                let value = |k: usize| a.value_text(k).unwrap_or_else(|| "—".to_owned());
                let _ = write!(text, "\n{}: {} × {}", a.name, value(i), value(j));
            }
            text
        };
        let is_selected = |i: usize| selected.contains(&i);
        let label = |i: usize| ids[i].clone();
        let decor = Decorations {
            row_strips: &strips,
            col_strips: &strips,
            selected: &is_selected,
            row_label: &label,
            tooltip: &tooltip,
            square: true,
            left_space: 0.0,
            top_space: 0.0,
        };
        let response = heatmap_ui(ui, &data, &mut self.heatmap, &decor);
        if let Some((rows, cols, mode)) = response.selection {
            let samples: BTreeSet<usize> = rows.into_iter().chain(cols).collect();
            commands.push(Command::Select { samples: samples.into_iter().collect(), mode });
        }
    }
}

/// The strip and legend of an annotation: class colours, or viridis for numbers.
fn strip_for(dataset: &Dataset, name: &str, dark_mode: bool) -> (Vec<Strip>, Vec<(String, Color32)>) {
    let to_color = |rgb: palette::Rgb| Color32::from_rgb(rgb[0], rgb[1], rgb[2]);
    let class = |k: usize| to_color(if dark_mode { palette::categorical_on_dark(k) } else { palette::categorical(k) });
    let Some(annotation) = dataset.annotations().iter().find(|a| a.name == name) else {
        return (Vec::new(), Vec::new());
    };
    let (colors, legend) = match &annotation.values {
        AnnotationValues::Categorical { levels, codes } => (
            codes.iter().map(|c| c.map_or(to_color(palette::MISSING), |c| class(c as usize))).collect(),
            levels.iter().enumerate().map(|(k, l)| (l.clone(), class(k))).collect(),
        ),
        AnnotationValues::Numeric(values) => {
            let (min, max) = values
                .iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
            let scale = ColourScale { low: min, high: max, reversed: false, diverging: false };
            let colors =
                values.iter().map(|&v| to_color(if v.is_nan() { palette::MISSING } else { scale.colour(v) })).collect();
            let legend = vec![
                (format!("{} (low)", format_number(min)), to_color(scale.colour(min))),
                (format!("{} (high)", format_number(max)), to_color(scale.colour(max))),
            ];
            (colors, legend)
        }
    };
    (vec![Strip { name: name.to_owned(), colors }], legend)
}

/// Distances on the chosen device (the CPU if the GPU fails), then the average-linkage order.
fn compute(
    matrix: &Array2<f64>,
    key: RunKey,
    gpu: Option<&Gpu>,
    ctx: &JobContext<DistanceMap, ()>,
) -> Result<DistanceMap, JobError> {
    let started = Instant::now();
    ctx.progress(None, "Preparing");
    let prepared = prepare(matrix.view(), Between::Samples, key.metric).map_err(JobError::failed)?;
    let token = ctx.cancel_token();
    let mut progress = |f: f32| ctx.progress(Some(f * 0.9), "Computing distances");
    let computed = match distances_on(gpu, key.device, &prepared, Some(token), &mut progress) {
        Err(err) if !err.is_cancelled() && gpu.is_some() && key.device != ComputeDevice::Cpu => {
            distances_on(None, ComputeDevice::Cpu, &prepared, Some(token), &mut progress)
                .map(|(m, device)| (m, format!("{device}; the GPU failed: {err}")))
        }
        other => other,
    };
    let (square, device) =
        computed.map_err(|e| if e.is_cancelled() { JobError::Cancelled } else { JobError::failed(e) })?;
    ctx.check()?;
    ctx.progress(Some(0.9), "Clustering for the order (average linkage)");
    let n = square.nrows();
    let tree = linkage(&mut condensed(&square), n, Method::Average).map_err(JobError::failed)?;
    ctx.check()?;
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for (i, row) in square.outer_iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            if i != j {
                range = (range.0.min(v), range.1.max(v));
            }
        }
    }
    Ok(DistanceMap {
        matrix: Arc::new(square),
        leaf_order: tree.leaf_order().into(),
        metric: key.metric,
        device,
        seconds: started.elapsed().as_secs_f64(),
        range,
        generation: key.generation,
    })
}
