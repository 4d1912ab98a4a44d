//! The clustered heatmap: the N most variable genes × samples, each gene z-scored, genes and
//! samples each ordered by their own hierarchical clustering with both dendrograms drawn,
//! annotation strips over the samples, a blue–white–red colour bar; hover names the gene, the
//! sample, the z-score and the expression.
//!
//! # How it works
//! A job picks the genes (largest population variance of the processed matrix), z-scores them
//! (genes × samples), computes condensed distances between genes and between samples on that
//! matrix and builds both trees. The map is [`heatmap_ui`] (a texture of the visible window);
//! the dendrograms are drawn with [`draw_tree`] along the heatmap's own zoom window, so they
//! stay aligned with the rows and columns shown.

use std::sync::Arc;

use eframe::egui::{self, Rect, RichText, pos2};
use ndarray::Array2;

use super::super::commands::Command;
use super::super::state::AppState;
use super::super::widgets::dendrogram::{TreeFrame, TreeLayout, draw_tree};
use super::super::widgets::heatmap::{Decorations, HeatmapData, HeatmapState, heatmap_ui};
use super::clusters::annotation_strip;
use crate::analysis::clustering::hierarchical::Method;
use crate::analysis::distance::Metric;
use crate::data::annotations::format_number;
use crate::export::heatmap::ColourScale;
use crate::jobs::Job;
use crate::recipes::heatmap::HeatmapSettings;

/// The computed heatmap, laid out for drawing.
pub struct ClusteredHeatmap {
    /// Genes × samples, z-scored per gene.
    pub z: Arc<Array2<f64>>,
    /// Processed-matrix column of each row.
    pub genes: Vec<usize>,
    /// Gene tree (rows).
    pub gene_tree: Arc<TreeLayout>,
    /// Sample tree (columns).
    pub sample_tree: Arc<TreeLayout>,
    row_order: Arc<[usize]>,
    col_order: Arc<[usize]>,
}

impl From<crate::recipes::heatmap::ClusteredHeatmap> for ClusteredHeatmap {
    fn from(h: crate::recipes::heatmap::ClusteredHeatmap) -> Self {
        let gene_tree = Arc::new(TreeLayout::new(Arc::new(h.gene_tree)));
        let sample_tree = Arc::new(TreeLayout::new(Arc::new(h.sample_tree)));
        Self {
            row_order: gene_tree.order.clone().into(),
            col_order: sample_tree.order.clone().into(),
            z: Arc::new(h.z),
            genes: h.genes,
            gene_tree,
            sample_tree,
        }
    }
}

/// Parameters of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RunKey {
    generation: u64,
    genes: usize,
    method: Method,
    metric: Metric,
}

/// State of the clustered heatmap view.
pub struct ClusteredHeatmapView {
    /// Genes, trees, colours and strip (saved with a session as they are).
    pub settings: HeatmapSettings,
    job: Option<Job<ClusteredHeatmap>>,
    attempted: Option<RunKey>,
    /// The newest result.
    pub result: Option<Arc<ClusteredHeatmap>>,
    error: Option<String>,
    /// Zoom and texture.
    pub heatmap: HeatmapState,
    /// "Export figure…".
    pub figure: super::figure_export::FigureExport,
}

impl Default for ClusteredHeatmapView {
    fn default() -> Self {
        Self {
            settings: HeatmapSettings::default(),
            job: None,
            attempted: None,
            result: None,
            error: None,
            heatmap: HeatmapState::default(),
            figure: super::figure_export::FigureExport::with_choices("heatmap", vec!["clustered heatmap"]),
        }
    }
}

impl ClusteredHeatmapView {
    /// True while computing.
    pub fn is_running(&self) -> bool {
        self.job.is_some() || self.heatmap.is_rendering()
    }

    /// Takes a finished heatmap (also while the view is not shown).
    pub fn poll(&mut self) {
        super::poll_into(&mut self.job, &mut self.result, &mut self.error);
    }

    fn update(&mut self, state: &AppState) {
        self.poll();
        let Some(current) = &state.current else { return };
        let settings = self.settings.clone();
        let key = RunKey {
            generation: current.matrix_generation,
            genes: settings.top_genes,
            method: settings.method,
            metric: settings.effective_metric(),
        };
        if self.job.is_none() && self.attempted != Some(key) && current.dataset.n_samples() >= 2 {
            let matrix = current.dataset.values().clone();
            let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
            self.job = Some(Job::spawn("clustered heatmap", waker, move |ctx| {
                crate::recipes::in_job(ctx, |ctx| crate::recipes::heatmap::run(matrix.dense()?.view(), &settings, ctx))
                    .map(ClusteredHeatmap::from)
            }));
            self.attempted = Some(key);
            self.error = None;
        }
    }

    /// Builds and writes the figure when the export window asks.
    fn export_figure(&mut self, ctx: &egui::Context, dataset: &crate::data::Dataset) {
        self.figure.window_ui(ctx, "heatmap_figure");
        let Some(map) = self.result.clone().filter(|m| m.z.ncols() == dataset.n_samples()) else { return };
        if !self.figure.wants(0) {
            return;
        }
        let strip = self.strip_name(dataset).and_then(|n| dataset.annotations().iter().find(|a| a.name == n));
        let strip = strip.map(crate::export::plots::Strip::of);
        let genes: Vec<String> = map.genes.iter().map(|&g| dataset.gene_ids()[g].clone()).collect();
        let figure = crate::export::plots::ClusteredHeatmap {
            title: &format!("{} — clustered heatmap", dataset.name),
            z: &map.z,
            genes: &genes,
            samples: dataset.sample_ids(),
            gene_tree: map.gene_tree.tree(),
            sample_tree: map.sample_tree.tree(),
            scale: ColourScale {
                low: -self.settings.range,
                high: self.settings.range,
                reversed: false,
                diverging: true,
            },
            strip: strip.as_ref(),
        }
        .figure();
        let ctx = ctx.clone();
        self.figure.start(figure, Arc::new(move || ctx.request_repaint()));
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.update(state);
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset to see its clustered heatmap."));
            return;
        };
        let dataset = &current.dataset;
        egui::Panel::top("heatmap_toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Top variable genes");
                ui.add(egui::DragValue::new(&mut self.settings.top_genes).range(2..=dataset.n_genes().clamp(2, 5000)));
                ui.label("Linkage");
                egui::ComboBox::from_id_salt("heatmap_linkage").selected_text(self.settings.method.name()).show_ui(
                    ui,
                    |ui| {
                        for m in Method::ALL {
                            ui.selectable_value(&mut self.settings.method, m, m.name());
                        }
                    },
                );
                ui.add_enabled_ui(!self.settings.method.requires_euclidean(), |ui| {
                    ui.label("Metric");
                    egui::ComboBox::from_id_salt("heatmap_metric").selected_text(self.settings.metric.label()).show_ui(
                        ui,
                        |ui| {
                            for m in Metric::ALL {
                                ui.selectable_value(&mut self.settings.metric, m, m.label());
                            }
                        },
                    );
                });
                ui.label("Colours ±");
                ui.add(egui::DragValue::new(&mut self.settings.range).range(0.5..=10.0).speed(0.05).max_decimals(2));
                ui.label("Strip");
                let strip = self.strip_name(dataset).unwrap_or_else(|| "none".to_owned());
                egui::ComboBox::from_id_salt("heatmap_strip").selected_text(strip).show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.settings.strip, Some(String::new()), "none");
                    for a in dataset.annotations() {
                        ui.selectable_value(&mut self.settings.strip, Some(a.name.clone()), &a.name);
                    }
                });
                if ui.button("Reset view").on_hover_text("Or double-click the map").clicked() {
                    self.heatmap.reset_view();
                }
                if self.result.is_some()
                    && ui.button("Export figure…").on_hover_text("SVG, PNG or PDF at a chosen size").clicked()
                {
                    self.figure.open = true;
                }
                if let Some(map) = &self.result {
                    ui.label(RichText::new(format!("{} genes × {} samples", map.z.nrows(), map.z.ncols())).weak());
                }
                if let Some(name) = self.strip_name(dataset) {
                    ui.separator();
                    super::clusters::legend_ui(ui, dataset, &name);
                }
                if let Some(job) = &self.job {
                    ui.separator();
                    if super::job_progress_ui(ui, job) {
                        self.job = None;
                    }
                }
            });
        });
        self.export_figure(ui.ctx(), dataset);
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, format!("No heatmap: {err}"));
                let genes = self.settings.top_genes.min(dataset.n_genes());
                let offer = crate::recipes::subset_offer(crate::recipes::heatmap::MEMORY, genes);
                super::subset_offer_ui(ui, state, offer, commands);
                return;
            }
            let Some(map) = self.result.clone().filter(|m| m.z.ncols() == dataset.n_samples()) else {
                ui.centered_and_justified(|ui| {
                    ui.spinner();
                });
                return;
            };
            self.map_ui(ui, &map, dataset, &state.selection.samples, commands);
        });
    }

    fn strip_name(&self, dataset: &crate::data::Dataset) -> Option<String> {
        self.settings.strip_name(dataset)
    }

    fn map_ui(
        &mut self,
        ui: &mut egui::Ui,
        map: &ClusteredHeatmap,
        dataset: &crate::data::Dataset,
        selected: &std::collections::BTreeSet<usize>,
        commands: &mut Vec<Command>,
    ) {
        let body = ui.text_style_height(&egui::TextStyle::Body);
        let data = HeatmapData {
            matrix: Arc::clone(&map.z),
            row_order: Arc::clone(&map.row_order),
            col_order: Arc::clone(&map.col_order),
            scale: ColourScale {
                low: -self.settings.range,
                high: self.settings.range,
                reversed: false,
                diverging: true,
            },
            scale_label: "z-score (per gene)".to_owned(),
        };
        let strips: Vec<_> = self
            .strip_name(dataset)
            .and_then(|n| annotation_strip(dataset, &n, ui.visuals().dark_mode))
            .into_iter()
            .collect();
        let gene_ids = dataset.gene_ids();
        let sample_ids = dataset.sample_ids();
        let matrix = dataset.values();
        let gene_label = |r: usize| gene_ids.get(map.genes[r]).cloned().unwrap_or_default();
        let tooltip = |r: usize, c: usize| {
            let gene = map.genes[r];
            format!(
                "{} × {}\nz-score {}\nexpression {}",
                gene_ids.get(gene).map_or("", String::as_str),
                sample_ids.get(c).map_or("", String::as_str),
                format_number(map.z[[r, c]]),
                format_number(matrix.get(c, gene))
            )
        };
        let is_selected = |c: usize| selected.contains(&c);
        let (left_space, top_space) = (body * 6.0, body * 5.0);
        let decor = Decorations {
            row_strips: &[],
            col_strips: &strips,
            selected: &is_selected,
            row_label: &gene_label,
            tooltip: &tooltip,
            square: false,
            left_space,
            top_space,
        };
        let response = heatmap_ui(ui, &data, &mut self.heatmap, &decor);
        if let Some((_, cols, mode)) = response.selection {
            commands.push(Command::Select { samples: cols, mode });
        }
        // Dendrograms along the map's window.
        if let Some((rect, window)) = response.map {
            let painter = ui.painter().clone();
            let colour = ui.visuals().text_color().gamma_multiply(0.8);
            let strip_band = body * 0.8 * strips.len() as f32 + body * 0.35 + 6.0;
            let top = Rect::from_min_max(
                pos2(rect.left(), rect.top() - strip_band - top_space + 4.0),
                pos2(rect.right(), rect.top() - strip_band),
            );
            let frame = TreeFrame {
                rect: top,
                leaves: window.cols,
                heights: (0.0, map.sample_tree.max_height() * 1.02),
                vertical_leaves: false,
            };
            draw_tree(&painter.with_clip_rect(top.expand(1.0)), &map.sample_tree, &frame, 1.0, &|_| colour);
            let left_edge = ui.min_rect().left();
            let left = Rect::from_min_max(
                pos2(left_edge + 2.0, rect.top()),
                pos2(left_edge + left_space - 4.0, rect.bottom()),
            );
            let frame = TreeFrame {
                rect: left,
                leaves: window.rows,
                heights: (0.0, map.gene_tree.max_height() * 1.02),
                vertical_leaves: true,
            };
            draw_tree(&painter.with_clip_rect(left.expand(1.0)), &map.gene_tree, &frame, 1.0, &|_| colour);
        }
    }
}

impl super::View for ClusteredHeatmapView {
    fn title(&self) -> &'static str {
        "Heatmap"
    }

    fn poll(&mut self, _state: &AppState, _commands: &mut Vec<Command>) {
        self.poll();
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        ClusteredHeatmapView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        self.is_running()
    }

    fn save(&self, views: &mut crate::session::Views) {
        views.heatmap = self.settings.clone();
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.settings = views.heatmap.clone();
    }
}
