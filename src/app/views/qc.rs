//! The QC view: scanpy's per-cell quality metrics of the data as loaded (total counts, genes
//! detected, % counts in mitochondrial genes) as histograms or violins (one per group of an
//! annotation, e.g. per sample or batch, as `sc.pl.violin(…, groupby=…)`) on which the filter
//! thresholds are set by dragging a line, with the cells kept counted live; *Apply* writes them into the
//! preprocessing as the first steps (filter cells, filter genes), where they are saved with a
//! session and shown in the Data tab like any step.

use std::sync::Arc;

use eframe::egui::{self, Color32, RichText};

use super::super::commands::Command;
use super::super::state::AppState;
use crate::analysis::density::{Density, density, quantile, sorted_finite};
use crate::data::single_cell::{self, CellFilter, CellQc, MITO_PREFIX};
use crate::data::{Pipeline, Step};
use crate::jobs::Job;

/// The metrics of the raw cells, for one dataset generation and prefix.
pub struct QcResult {
    generation: u64,
    prefix: String,
    qc: CellQc,
    /// Cells detecting each gene.
    gene_cells: Vec<usize>,
    /// Each metric's finite values, sorted (in [`Metric::ALL`] order): the histograms' ranges
    /// and the default thresholds are quantiles, read here instead of sorting every frame.
    sorted: [Vec<f64>; 3],
}

/// Which metric a histogram shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Counts,
    Genes,
    Mito,
}

impl Metric {
    const ALL: [Metric; 3] = [Metric::Counts, Metric::Genes, Metric::Mito];

    fn title(self) -> &'static str {
        match self {
            Metric::Counts => "Total counts per cell",
            Metric::Genes => "Genes detected per cell",
            Metric::Mito => "% counts in mitochondrial genes",
        }
    }

    fn values(self, qc: &CellQc) -> Vec<f64> {
        match self {
            Metric::Counts => qc.total_counts.clone(),
            Metric::Genes => qc.n_genes.iter().map(|&n| n as f64).collect(),
            Metric::Mito => qc.pct_mito.clone(),
        }
    }
}

/// State of the QC view.
#[derive(Default)]
pub struct QcView {
    result: Option<Arc<QcResult>>,
    job: Option<Job<QcResult>>,
    error: Option<String>,
    /// The thresholds being edited (applied with *Apply*).
    pub draft: CellFilter,
    /// Genes kept when detected in at least this many cells (0: no gene filter).
    pub min_cells: usize,
    /// The generation whose pipeline the draft was read from.
    read_for: Option<u64>,
    /// The threshold being dragged: the metric and whether it is the maximum.
    dragging: Option<(Metric, bool)>,
    /// Violins instead of histograms.
    pub violins: bool,
    /// Violins per group of this categorical annotation (of the raw cells).
    pub violin_groups: Option<String>,
    /// The violins drawn, for the metrics and grouping they were made from.
    violin_cache: Option<Arc<ViolinSet>>,
}

/// The violins of the three metrics for one result and grouping.
struct ViolinSet {
    generation: u64,
    prefix: String,
    by: Option<String>,
    /// Group names (one unnamed group without a grouping).
    groups: Vec<String>,
    /// Per metric (in [`Metric::ALL`] order), per group: its density, or `None` when empty.
    densities: [Vec<Option<Density>>; 3],
    /// Groups not drawn (beyond [`MAX_VIOLINS`], the smallest).
    hidden: usize,
}

/// Most violins drawn per metric.
const MAX_VIOLINS: usize = 24;

impl QcView {
    /// The thresholds of `metric` in the draft (min, max).
    fn thresholds(&self, metric: Metric) -> (Option<f64>, Option<f64>) {
        let f = &self.draft;
        match metric {
            Metric::Counts => (f.min_counts, f.max_counts),
            Metric::Genes => (f.min_genes.map(|n| n as f64), f.max_genes.map(|n| n as f64)),
            Metric::Mito => (None, f.max_mito_pct),
        }
    }

    fn set_threshold(&mut self, metric: Metric, max: bool, value: f64) {
        let f = &mut self.draft;
        let count = value.max(0.0).round() as usize;
        match (metric, max) {
            (Metric::Counts, false) => f.min_counts = Some(value.max(0.0).round()),
            (Metric::Counts, true) => f.max_counts = Some(value.max(0.0).round()),
            (Metric::Genes, false) => f.min_genes = Some(count),
            (Metric::Genes, true) => f.max_genes = Some(count),
            (Metric::Mito, _) => f.max_mito_pct = Some((value.clamp(0.0, 100.0) * 10.0).round() / 10.0),
        }
    }

    /// Reads the thresholds of the pipeline's filter steps once per dataset generation.
    fn read_pipeline(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        if self.read_for == Some(current.generation) {
            return;
        }
        self.read_for = Some(current.generation);
        let steps = &current.dataset.pipeline().steps;
        self.draft = steps
            .iter()
            .find_map(|s| if let Step::FilterCells(f) = s { Some(f.clone()) } else { None })
            .unwrap_or_default();
        self.min_cells = steps
            .iter()
            .find_map(|s| if let Step::FilterGenes { min_cells } = s { Some(*min_cells) } else { None })
            .unwrap_or(0);
    }

    /// Starts computing the metrics when the data or the prefix changed.
    fn update(&mut self, state: &AppState) {
        super::poll_into(&mut self.job, &mut self.result, &mut self.error);
        let Some(current) = &state.current else { return };
        let prefix = self.draft.prefix().to_owned();
        let fresh = self.result.as_ref().is_some_and(|r| r.generation == current.generation && r.prefix == prefix);
        if fresh || self.job.is_some() {
            return;
        }
        self.error = None;
        let dataset = Arc::clone(&current.dataset);
        let generation = current.generation;
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.job = Some(Job::spawn("qc", waker, move |ctx| {
            ctx.progress(None, "Computing QC metrics");
            let raw = dataset.raw();
            let qc = single_cell::cell_qc(raw.matrix(), raw.gene_ids(), &prefix);
            ctx.check()?;
            let gene_cells = single_cell::gene_cells(raw.matrix());
            let sorted = Metric::ALL.map(|m| sorted_finite(&m.values(&qc)));
            Ok(QcResult { generation, prefix, qc, gene_cells, sorted })
        }));
    }

    /// The pipeline with the draft's filters as its first steps (replacing earlier ones).
    fn applied(&self, pipeline: &Pipeline) -> Pipeline {
        pipeline.with_qc_filters(&self.draft, self.min_cells)
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.read_pipeline(state);
        self.update(state);
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset to see its quality metrics."));
            return;
        };
        let result = self.result.clone().filter(|r| r.generation == current.generation);
        egui::Panel::top("qc_toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Mitochondrial genes start with");
                let mut prefix = self.draft.prefix().to_owned();
                if ui.add(egui::TextEdit::singleline(&mut prefix).desired_width(60.0)).changed() {
                    self.draft.mito_prefix = (prefix != MITO_PREFIX).then_some(prefix);
                }
                ui.label("(any case)");
                ui.separator();
                ui.label("Keep genes detected in at least");
                ui.add(egui::DragValue::new(&mut self.min_cells).range(0..=current.dataset.raw().sample_ids().len()));
                ui.label("cells");
                ui.separator();
                if let Some(r) = &result {
                    let kept = (0..r.qc.n_genes.len()).filter(|&i| self.draft.passes(&r.qc, i)).count();
                    let genes = r.gene_cells.iter().filter(|&&c| c >= self.min_cells).count();
                    ui.label(
                        RichText::new(format!(
                            "{} of {} cells and {} of {} genes pass",
                            crate::memory::thousands(kept),
                            crate::memory::thousands(r.qc.n_genes.len()),
                            crate::memory::thousands(genes),
                            crate::memory::thousands(r.gene_cells.len())
                        ))
                        .strong(),
                    );
                    if r.qc.mito_genes == 0 {
                        ui.colored_label(ui.visuals().warn_fg_color, format!("no gene id starts with '{}'", r.prefix));
                    }
                }
                let changed = self.applied(current.dataset.pipeline()) != *current.dataset.pipeline();
                if ui.add_enabled(changed, egui::Button::new("Apply to the preprocessing")).clicked() {
                    commands.push(Command::SetPipeline(self.applied(current.dataset.pipeline())));
                }
                if ui.button("Clear thresholds").clicked() {
                    self.draft = CellFilter { mito_prefix: self.draft.mito_prefix.clone(), ..CellFilter::default() };
                    self.min_cells = 0;
                }
                ui.separator();
                ui.selectable_value(&mut self.violins, false, "Histograms");
                ui.selectable_value(&mut self.violins, true, "Violins");
                if self.violins {
                    self.violin_groups_ui(ui, &current.dataset);
                }
            });
        });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, format!("No QC metrics: {err}"));
                return;
            }
            let Some(r) = result else {
                if let Some(job) = &self.job
                    && super::job_progress_ui(ui, job)
                {
                    job.cancel();
                }
                return;
            };
            ui.label(
                RichText::new(
                    "Drag a line to set a threshold; cells outside are greyed. Metrics of the data as loaded.",
                )
                .weak(),
            );
            let violins = self.violins.then(|| self.violin_set(&r, &current.dataset));
            if let Some(v) = &violins
                && v.hidden > 0
            {
                ui.label(
                    RichText::new(format!(
                        "The {MAX_VIOLINS} largest groups are drawn; {} smaller ones are not.",
                        v.hidden
                    ))
                    .weak(),
                );
            }
            // Three rows of controls and three plots fill the panel.
            let row = ui.spacing().interact_size.y + 3.0 * ui.spacing().item_spacing.y;
            let height = ((ui.available_height() - 3.0 * row) / 3.0).max(80.0);
            for (k, (metric, sorted)) in Metric::ALL.into_iter().zip(&r.sorted).enumerate() {
                let groups = violins.as_ref().map(|v| (v.groups.as_slice(), v.densities[k].as_slice()));
                self.metric_ui(ui, metric, sorted, groups, height);
            }
        });
    }

    /// One metric (its finite values, sorted): its thresholds as numbers and the histogram (or
    /// the violins of `violins`: group names and densities) with draggable lines.
    fn metric_ui(
        &mut self,
        ui: &mut egui::Ui,
        metric: Metric,
        sorted: &[f64],
        violins: Option<(&[String], &[Option<Density>])>,
        height: f32,
    ) {
        self.thresholds_ui(ui, metric, sorted);
        let (lo, hi) = self.thresholds(metric);
        let width = ui.available_width();
        let (outer, response) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::click_and_drag());
        let font = egui::TextStyle::Small.resolve(ui.style());
        // Group names on the left (violins by group), the plot, the axis' tick labels below.
        let names = violins.filter(|(names, _)| names.len() > 1).map_or(0.0, |(names, densities)| {
            let widest = names
                .iter()
                .zip(densities)
                .map(|(name, d)| {
                    let label = violin_label(name, d.as_ref());
                    ui.painter().layout_no_wrap(label, font.clone(), Color32::WHITE).size().x
                })
                .fold(0.0, f32::max);
            (widest + 12.0).min(outer.width() * 0.3)
        });
        let rect = egui::Rect::from_min_max(
            egui::pos2(outer.left() + names, outer.top()),
            egui::pos2(outer.right(), outer.bottom() - font.size * 1.6),
        );
        if sorted.is_empty() {
            return;
        }
        // Up to the 99.9th percentile (a few outliers would squeeze the rest into one bar; they
        // count in the last bin), and far enough to show the thresholds.
        let top = [Some(quantile(sorted, 0.999)), lo, hi].into_iter().flatten().fold(0.0_f64, f64::max);
        let (x0, x1) = (0.0_f64.min(quantile(sorted, 0.0)), top.max(1e-9) * 1.05);
        let painter = ui.painter_at(outer);
        let visuals = ui.visuals();
        painter.rect_filled(rect, 2.0, visuals.extreme_bg_color);
        let to_x = |v: f64| rect.left() + ((v - x0) / (x1 - x0)) as f32 * rect.width();
        let from_x = |x: f32| x0 + f64::from((x - rect.left()) / rect.width()) * (x1 - x0);
        let inside = |v: f64| lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h);
        let most = match violins {
            None => Some(histogram(&painter, rect, sorted, (x0, x1), &inside)),
            Some((names, densities)) => {
                draw_violins(&painter, rect, names, densities, &to_x, &inside, &font, visuals.text_color());
                None
            }
        };
        let step = crate::export::figure::nice_step(x1 - x0, 8.0);
        let mut tick = (x0 / step).ceil() * step;
        while tick <= x1 {
            let x = to_x(tick);
            painter.line_segment(
                [egui::pos2(x, rect.bottom()), egui::pos2(x, rect.bottom() + 4.0)],
                egui::Stroke::new(1.0, visuals.weak_text_color()),
            );
            painter.text(
                egui::pos2(x, rect.bottom() + 4.0),
                egui::Align2::CENTER_TOP,
                crate::data::annotations::format_number(tick),
                font.clone(),
                visuals.weak_text_color(),
            );
            tick += step;
        }
        for (value, max) in [(lo, false), (hi, true)] {
            let Some(v) = value else { continue };
            let x = to_x(v).clamp(rect.left(), rect.right());
            let colour = if max { Color32::from_rgb(0xd5, 0x5e, 0x00) } else { Color32::from_rgb(0xe6, 0x9f, 0x00) };
            painter.line_segment(
                [egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())],
                egui::Stroke::new(2.5, colour),
            );
            painter.text(
                egui::pos2(x + 4.0, rect.top() + 2.0),
                egui::Align2::LEFT_TOP,
                crate::data::annotations::format_number(v),
                font.clone(),
                colour,
            );
        }
        if let Some(most) = most {
            painter.text(
                egui::pos2(rect.right() - 4.0, rect.top() + 2.0),
                egui::Align2::RIGHT_TOP,
                format!("{} cells at most per bar", crate::memory::thousands(most)),
                font,
                visuals.weak_text_color(),
            );
        }
        // Dragging: the nearest line set (or, for a metric with only a maximum, that one).
        if response.drag_started()
            && let Some(pos) = response.interact_pointer_pos()
        {
            let distance = |v: Option<f64>| v.map_or(f32::INFINITY, |v| (to_x(v) - pos.x).abs());
            self.dragging = match (distance(lo), distance(hi)) {
                (a, b) if a.is_finite() || b.is_finite() => Some((metric, b < a)),
                _ => None,
            };
        }
        if let Some((m, max)) = self.dragging
            && m == metric
        {
            if let Some(pos) = response.interact_pointer_pos()
                && response.dragged()
            {
                self.set_threshold(metric, max, from_x(pos.x.clamp(rect.left(), rect.right())));
            }
            if response.drag_stopped() {
                self.dragging = None;
            }
        }
        response.on_hover_cursor(egui::CursorIcon::ResizeHorizontal);
    }

    /// The metric's title and its thresholds: a checkbox and a value each (`sorted`: the
    /// metric's finite values, sorted, for the default thresholds).
    fn thresholds_ui(&mut self, ui: &mut egui::Ui, metric: Metric, sorted: &[f64]) {
        let (lo, hi) = self.thresholds(metric);
        ui.horizontal(|ui| {
            ui.label(RichText::new(metric.title()).strong());
            for max in [false, true] {
                if metric == Metric::Mito && !max {
                    continue;
                }
                let current = if max { hi } else { lo };
                let mut on = current.is_some();
                if ui.checkbox(&mut on, if max { "max" } else { "min" }).changed() {
                    if on {
                        let default = quantile(sorted, if max { 0.99 } else { 0.01 });
                        self.set_threshold(metric, max, default);
                    } else {
                        self.clear_threshold(metric, max);
                    }
                }
                if let Some(mut v) = current
                    && ui.add(egui::DragValue::new(&mut v).speed(1.0)).changed()
                {
                    self.set_threshold(metric, max, v);
                }
            }
        });
    }

    /// The grouping of the violins: none, or a categorical annotation of the cells.
    fn violin_groups_ui(&mut self, ui: &mut egui::Ui, dataset: &crate::data::Dataset) {
        let names = super::categorical_names(dataset.raw().annotations());
        if self.violin_groups.as_ref().is_some_and(|g| !names.contains(g)) {
            self.violin_groups = None;
        }
        let shown = self.violin_groups.clone().unwrap_or_else(|| "all cells".to_owned());
        ui.label("by");
        egui::ComboBox::from_id_salt("qc_violin_groups").selected_text(shown).show_ui(ui, |ui| {
            ui.selectable_value(&mut self.violin_groups, None, "all cells");
            for name in names {
                ui.selectable_value(&mut self.violin_groups, Some(name.clone()), name);
            }
        });
    }

    /// The violins for `r` and the chosen grouping (made once per result and grouping).
    fn violin_set(&mut self, r: &QcResult, dataset: &crate::data::Dataset) -> Arc<ViolinSet> {
        if let Some(v) = &self.violin_cache
            && v.generation == r.generation
            && v.prefix == r.prefix
            && v.by == self.violin_groups
        {
            return Arc::clone(v);
        }
        let set = Arc::new(violins(r, dataset, self.violin_groups.as_deref()));
        self.violin_cache = Some(Arc::clone(&set));
        set
    }

    /// The violins last drawn: each group's name and cells (empty when none were drawn).
    pub fn violins_drawn(&self) -> Vec<(String, usize)> {
        let Some(v) = self.violin_cache.as_ref().filter(|_| self.violins) else { return Vec::new() };
        v.groups.iter().zip(&v.densities[0]).map(|(g, d)| (g.clone(), d.as_ref().map_or(0, |d| d.n))).collect()
    }

    fn clear_threshold(&mut self, metric: Metric, max: bool) {
        let f = &mut self.draft;
        match (metric, max) {
            (Metric::Counts, false) => f.min_counts = None,
            (Metric::Counts, true) => f.max_counts = None,
            (Metric::Genes, false) => f.min_genes = None,
            (Metric::Genes, true) => f.max_genes = None,
            (Metric::Mito, _) => f.max_mito_pct = None,
        }
    }
}

/// Draws the histogram of `sorted` over `range` (bars outside the thresholds grey); returns the
/// most cells in one bar.
fn histogram(
    painter: &egui::Painter,
    rect: egui::Rect,
    sorted: &[f64],
    (x0, x1): (f64, f64),
    inside: &dyn Fn(f64) -> bool,
) -> usize {
    let bins = 80usize;
    let mut counts = vec![0usize; bins];
    for &v in sorted {
        let b = (((v - x0) / (x1 - x0)) * bins as f64).clamp(0.0, (bins - 1) as f64) as usize;
        counts[b] += 1;
    }
    let most = counts.iter().copied().max().unwrap_or(1).max(1);
    let to_x = |v: f64| rect.left() + ((v - x0) / (x1 - x0)) as f32 * rect.width();
    for (b, &c) in counts.iter().enumerate() {
        let left = x0 + (x1 - x0) * b as f64 / bins as f64;
        let centre = left + (x1 - x0) / bins as f64 / 2.0;
        let bar = egui::Rect::from_min_max(
            egui::pos2(to_x(left) + 0.5, rect.bottom() - rect.height() * 0.92 * c as f32 / most as f32),
            egui::pos2(to_x(left + (x1 - x0) / bins as f64) - 0.5, rect.bottom()),
        );
        painter.rect_filled(bar, 0.0, if inside(centre) { KEPT } else { DROPPED });
    }
    most
}

/// A violin's name on the left: its group and cells.
fn violin_label(name: &str, density: Option<&Density>) -> String {
    format!("{name} ({})", crate::memory::thousands(density.map_or(0, |d| d.n)))
}

/// Colour of what passes the thresholds.
const KEPT: Color32 = Color32::from_rgb(0x56, 0xb4, 0xe9);
/// Colour of what does not.
const DROPPED: Color32 = Color32::from_gray(110);

/// Draws one horizontal violin per group, stacked (names on the left when there are several):
/// the density mirrored about the row's centre line, the part outside the thresholds grey,
/// the quartiles as a dark bar and the median as a white dot (seaborn's `inner="box"`).
#[allow(clippy::too_many_arguments)]
fn draw_violins(
    painter: &egui::Painter,
    rect: egui::Rect,
    names: &[String],
    densities: &[Option<Density>],
    to_x: &dyn Fn(f64) -> f32,
    inside: &dyn Fn(f64) -> bool,
    font: &egui::FontId,
    text: Color32,
) {
    let rows = densities.len().max(1);
    let row_height = rect.height() / rows as f32;
    for (k, density) in densities.iter().enumerate() {
        let centre = rect.top() + row_height * (k as f32 + 0.5);
        if names.len() > 1 {
            let label = violin_label(&names[k], density.as_ref());
            painter.text(egui::pos2(rect.left() - 6.0, centre), egui::Align2::RIGHT_CENTER, label, font.clone(), text);
        }
        let Some(d) = density else { continue };
        let half = row_height * 0.45;
        // One mesh of trapezoids, a grid segment each (no seams between them).
        let mut mesh = egui::Mesh::default();
        for (i, pair) in d.values.windows(2).enumerate() {
            let (a, b) = (d.start + d.step * i as f64, d.start + d.step * (i + 1) as f64);
            let (ha, hb) = (half * pair[0] as f32, half * pair[1] as f32);
            if ha < 0.3 && hb < 0.3 {
                continue;
            }
            let (xa, xb) = (to_x(a), to_x(b));
            let colour = if inside(0.5 * (a + b)) { KEPT } else { DROPPED };
            let first = mesh.vertices.len() as u32;
            for (x, y) in [(xa, centre - ha), (xb, centre - hb), (xb, centre + hb), (xa, centre + ha)] {
                mesh.colored_vertex(egui::pos2(x, y), colour);
            }
            mesh.add_triangle(first, first + 1, first + 2);
            mesh.add_triangle(first, first + 2, first + 3);
        }
        painter.with_clip_rect(rect).add(mesh);
        let [q1, median, q3] = d.quartiles;
        let box_half = (half * 0.12).max(1.5);
        painter.rect_filled(
            egui::Rect::from_min_max(egui::pos2(to_x(q1), centre - box_half), egui::pos2(to_x(q3), centre + box_half)),
            1.0,
            Color32::from_gray(40),
        );
        painter.circle_filled(egui::pos2(to_x(median), centre), (box_half * 1.2).max(2.0), Color32::WHITE);
    }
}

/// The violins of every metric of `r`, per group of the categorical annotation `by` of the
/// raw cells (the largest [`MAX_VIOLINS`] groups), or one violin of all cells.
fn violins(r: &QcResult, dataset: &crate::data::Dataset, by: Option<&str>) -> ViolinSet {
    use crate::data::annotations::AnnotationValues;
    let n = r.qc.n_genes.len();
    let grouping = by.and_then(|name| dataset.raw().annotations().iter().find(|a| a.name == name));
    let (mut groups, members): (Vec<String>, Vec<Vec<usize>>) = match grouping.map(|a| &a.values) {
        Some(AnnotationValues::Categorical { levels, codes }) if codes.len() == n => {
            let mut members = vec![Vec::new(); levels.len()];
            for (i, code) in codes.iter().enumerate() {
                if let Some(c) = code {
                    members[*c as usize].push(i);
                }
            }
            levels.iter().cloned().zip(members).filter(|(_, m)| !m.is_empty()).unzip()
        }
        _ => (vec!["all cells".to_owned()], vec![(0..n).collect()]),
    };
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| std::cmp::Reverse(members[g].len()));
    let hidden = order.len().saturating_sub(MAX_VIOLINS);
    order.truncate(MAX_VIOLINS);
    order.sort_unstable();
    let members: Vec<&Vec<usize>> = order.iter().map(|&g| &members[g]).collect();
    groups = order.iter().map(|&g| groups[g].clone()).collect();
    let densities = Metric::ALL.map(|metric| {
        let values = metric.values(&r.qc);
        members
            .iter()
            .map(|cells| density(&sorted_finite(&cells.iter().map(|&i| values[i]).collect::<Vec<_>>())))
            .collect()
    });
    ViolinSet {
        generation: r.generation,
        prefix: r.prefix.clone(),
        by: by.map(str::to_owned),
        groups,
        densities,
        hidden,
    }
}

impl super::View for QcView {
    fn title(&self) -> &'static str {
        "QC"
    }

    fn poll(&mut self, _state: &AppState, _commands: &mut Vec<Command>) {
        super::poll_into(&mut self.job, &mut self.result, &mut self.error);
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        QcView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    fn save(&self, _views: &mut crate::session::Views) {
        // The thresholds live in the pipeline once applied; a draft is not saved.
    }

    fn restore(&mut self, _views: &crate::session::Views) {
        self.read_for = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::density::GRID;

    #[test]
    fn applied_filters_come_first_and_replace_earlier_ones() {
        let mut view = QcView { min_cells: 3, ..QcView::default() };
        view.draft.min_genes = Some(200);
        let before = Pipeline {
            steps: vec![Step::Ln, Step::FilterCells(CellFilter { min_genes: Some(5), ..CellFilter::default() })],
            ..Pipeline::default()
        };
        let after = view.applied(&before);
        assert_eq!(
            after.steps,
            vec![
                Step::FilterCells(CellFilter { min_genes: Some(200), ..CellFilter::default() }),
                Step::FilterGenes { min_cells: 3 },
                Step::Ln
            ]
        );
        view.set_threshold(Metric::Mito, true, 12.345);
        assert_eq!(view.draft.max_mito_pct, Some(12.3));
        assert!((quantile(&sorted_finite(&[3.0, 1.0, 2.0, f64::NAN]), 1.0) - 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_violin_is_the_kernel_density_of_its_cells() {
        // Two clusters of values: the density peaks at each and dips between them.
        let mut values: Vec<f64> = (0..500).map(|i| 100.0 + f64::from(i % 10)).collect();
        values.extend((0..500).map(|i| 300.0 + f64::from(i % 10)));
        let d = density(&sorted_finite(&values)).unwrap();
        assert_eq!((d.values.len(), d.n), (GRID, 1000));
        let at = |x: f64| d.values[((x - d.start) / d.step).round() as usize];
        assert!(at(104.5) > 0.8 && at(304.5) > 0.8, "peaks {} {}", at(104.5), at(304.5));
        assert!(at(200.0) < 0.01, "dip {}", at(200.0));
        assert!((d.values.iter().copied().fold(0.0, f64::max) - 1.0).abs() < 1e-12);
        // The range is the data's (cut=0); quartiles from the values.
        assert!((d.start - 100.0).abs() < 1e-12 && (d.start + d.step * (GRID - 1) as f64 - 309.0).abs() < 1e-9);
        assert!((d.quartiles[1] - quantile(&sorted_finite(&values), 0.5)).abs() < 1e-12);
        // Scott's bandwidth: n^(-1/5) × SD (the grid approximates the exact sum).
        let mean = values.iter().sum::<f64>() / 1000.0;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 999.0).sqrt();
        let h = sd * 1000f64.powf(-0.2);
        let exact = |x: f64| values.iter().map(|v| (-0.5 * ((x - v) / h).powi(2)).exp()).sum::<f64>();
        let scale = (0..GRID).map(|i| exact(d.start + d.step * i as f64)).fold(0.0, f64::max);
        for x in [100.0, 104.5, 150.0, 304.5, 309.0] {
            assert!((at(x) - exact(x) / scale).abs() < 0.03, "{x}: {} vs {}", at(x), exact(x) / scale);
        }
        // One value, or one repeated: a narrow violin, not a division by zero.
        let one = density(&[5.0, 5.0]).unwrap();
        assert!(one.values.iter().all(|v| v.is_finite()));
        assert!(density(&[]).is_none());
    }
}
