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

use eframe::egui::{self, Color32, RichText};

use super::super::commands::Command;
use super::super::state::AppState;
use super::super::widgets::heatmap::{Decorations, HeatmapData, HeatmapState, Strip, heatmap_ui};
use crate::analysis::distance::Metric;
use crate::data::Dataset;
use crate::data::annotations::format_number;
use crate::export::heatmap::ColourScale;
use crate::gpu::ComputeDevice;
use crate::jobs::Job;
use crate::recipes::distance_map::{Device, positions};
pub use crate::recipes::distance_map::{DistanceMap, DistanceMapSettings, MapOrder};

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
    /// Metric, order, strip and colours (saved with a session as they are).
    pub settings: DistanceMapSettings,
    job: Option<Job<DistanceMap>>,
    attempted: Option<RunKey>,
    /// The newest map.
    pub result: Option<Arc<DistanceMap>>,
    /// The matrix generation of `result`.
    result_generation: u64,
    /// Why the map cannot be computed for the current data (too many samples), or its failure.
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
            settings: DistanceMapSettings::default(),
            job: None,
            attempted: None,
            result: None,
            result_generation: 0,
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
        self.attempted = Some(key);
        let (n, genes) = (current.dataset.n_samples(), current.dataset.n_genes());
        if let Err(err) = crate::recipes::distance_map::check(n, genes) {
            self.error = Some(err.to_string());
            return;
        }
        let matrix = current.dataset.values().clone();
        let device = Device::new(state.gpu.clone(), key.device);
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.job = Some(Job::spawn("distance map", waker, move |ctx| {
            crate::recipes::in_job(ctx, |ctx| {
                crate::recipes::distance_map::run(matrix.dense()?.view(), key.metric, &device, ctx)
            })
        }));
        self.error = None;
    }

    /// Takes a finished map (also while the view is not shown).
    pub fn poll(&mut self) {
        if super::poll_into(&mut self.job, &mut self.result, &mut self.error) {
            self.result_generation = self.attempted.map_or(0, |k| k.generation);
        }
    }

    /// Starts a run when the data, the metric or the device changed.
    fn update(&mut self, state: &AppState) {
        self.poll();
        let Some(current) = &state.current else { return };
        let key = RunKey {
            generation: current.matrix_generation,
            metric: self.settings.metric,
            device: state.settings.compute_device,
        };
        if self.job.is_none() && self.attempted != Some(key) {
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
            // The legend and the exports share a row (wrapped): the map keeps the height.
            ui.horizontal_wrapped(|ui| {
                self.legend_ui(ui, dataset);
                if let Some(map) = self.result.clone().filter(|m| m.matrix.nrows() == dataset.n_samples()) {
                    ui.separator();
                    if ui.button("Export figure…").on_hover_text("SVG, PNG or PDF at a chosen size").clicked() {
                        self.figure.open = true;
                    }
                    self.tables.button_ui(ui, "Distance matrix (CSV)", "distances.csv", || {
                        let ids = dataset.sample_ids().to_vec();
                        move |w| crate::export::csv::write_matrix(w, "sample_id", &ids, &ids, map.matrix.view())
                    });
                    self.tables.status_ui(ui);
                }
            });
        });
        egui::CentralPanel::default().show(ui, |ui| {
            let n = dataset.n_samples();
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, format!("No distance map: {err}"));
                let rule = crate::recipes::distance_map::MEMORY;
                let offer = crate::recipes::subset_offer(rule, dataset.n_genes())
                    .min(crate::recipes::distance_map::MAX_SAMPLES);
                super::subset_offer_ui(ui, state, offer, commands);
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
        egui::ComboBox::from_id_salt("distance_map_metric").selected_text(self.settings.metric.label()).show_ui(
            ui,
            |ui| {
                for metric in Metric::ALL {
                    ui.selectable_value(&mut self.settings.metric, metric, metric.label());
                }
            },
        );
        ui.label("Order");
        let order_text = match &self.settings.order {
            MapOrder::Clustering => "clustering (average linkage)".to_owned(),
            MapOrder::Annotation(name) => format!("by {name}"),
            MapOrder::Original => "as loaded".to_owned(),
        };
        egui::ComboBox::from_id_salt("distance_map_order").selected_text(order_text).show_ui(ui, |ui| {
            ui.selectable_value(&mut self.settings.order, MapOrder::Clustering, "clustering (average linkage)")
                .on_hover_text("Leaf order of the average-linkage dendrogram: similar samples sit together");
            for a in dataset.annotations() {
                let choice = MapOrder::Annotation(a.name.clone());
                let label = format!("by {}", a.name);
                ui.selectable_value(&mut self.settings.order, choice, label)
                    .on_hover_text("Grouped by this annotation, clustering order within each group");
            }
            ui.selectable_value(&mut self.settings.order, MapOrder::Original, "as loaded");
        });
        ui.label("Strips");
        let strip_name = self.strip_name(dataset).unwrap_or_else(|| "none".to_owned());
        egui::ComboBox::from_id_salt("distance_map_strip").selected_text(strip_name).show_ui(ui, |ui| {
            ui.selectable_value(&mut self.settings.strip, Some(String::new()), "none");
            for a in dataset.annotations() {
                ui.selectable_value(&mut self.settings.strip, Some(a.name.clone()), &a.name);
            }
        });
        ui.checkbox(&mut self.settings.reversed, "Dark = far").on_hover_text("Reverse the colour scale");
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
            if (stale || state.current.as_ref().is_some_and(|c| c.matrix_generation != self.result_generation))
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
        self.settings.strip_name(dataset)
    }

    fn legend_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset) {
        let Some(name) = self.strip_name(dataset) else { return };
        ui.label(RichText::new(format!("{name}:")).weak());
        if let Some((_, _, legend)) = &self.strip_cache {
            for (label, colour) in legend {
                ui.label(RichText::new(format!("⏺ {label}")).color(*colour));
            }
        }
    }

    fn positions(&mut self, map: &Arc<DistanceMap>, dataset: &Dataset, generation: u64) -> Arc<[usize]> {
        let key = (Arc::as_ptr(map) as usize, self.settings.order.clone(), generation);
        if let Some((k, order)) = &self.order_cache
            && *k == key
        {
            return Arc::clone(order);
        }
        let order: Arc<[usize]> = positions(&map.leaf_order, &self.settings.order, dataset).into();
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
                scale: ColourScale {
                    low: map.range.0,
                    high: map.range.1,
                    reversed: self.settings.reversed,
                    diverging: false,
                },
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
            scale: ColourScale {
                low: map.range.0,
                high: map.range.1,
                reversed: self.settings.reversed,
                diverging: false,
            },
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
    let Some(annotation) = dataset.annotations().iter().find(|a| a.name == name) else {
        return (Vec::new(), Vec::new());
    };
    let strip = Strip::of_on(annotation, dark_mode);
    let legend = strip.legend.iter().map(|(label, c)| (label.clone(), Color32::from_rgb(c[0], c[1], c[2]))).collect();
    (vec![strip], legend)
}

impl super::View for DistanceMapView {
    fn title(&self) -> &'static str {
        "Distance map"
    }

    fn poll(&mut self, _state: &AppState, _commands: &mut Vec<Command>) {
        self.poll();
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        DistanceMapView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        self.is_running()
    }

    fn save(&self, views: &mut crate::session::Views) {
        views.distance_map = self.settings.clone();
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.settings = views.distance_map.clone();
    }
}
