//! The QC view: scanpy's per-cell quality metrics of the data as loaded (total counts, genes
//! detected, % counts in mitochondrial genes) as histograms on which the filter thresholds are
//! set by dragging a line, with the cells kept counted live; *Apply* writes them into the
//! preprocessing as the first steps (filter cells, filter genes), where they are saved with a
//! session and shown in the Data tab like any step.

use std::sync::Arc;

use eframe::egui::{self, Color32, RichText};

use super::super::commands::Command;
use super::super::state::AppState;
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
}

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
            // Three rows of controls and three histograms fill the panel.
            let row = ui.spacing().interact_size.y + 3.0 * ui.spacing().item_spacing.y;
            let height = ((ui.available_height() - 3.0 * row) / 3.0).max(80.0);
            for (metric, sorted) in Metric::ALL.into_iter().zip(&r.sorted) {
                self.metric_ui(ui, metric, sorted, height);
            }
        });
    }

    /// One metric (its finite values, sorted): its thresholds as numbers and the histogram with
    /// draggable lines.
    fn metric_ui(&mut self, ui: &mut egui::Ui, metric: Metric, sorted: &[f64], height: f32) {
        self.thresholds_ui(ui, metric, sorted);
        let (lo, hi) = self.thresholds(metric);
        let width = ui.available_width();
        let (outer, response) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::click_and_drag());
        let font = egui::TextStyle::Small.resolve(ui.style());
        // The bars above, the axis' tick labels below.
        let rect = egui::Rect::from_min_max(outer.min, egui::pos2(outer.right(), outer.bottom() - font.size * 1.6));
        if sorted.is_empty() {
            return;
        }
        // Up to the 99.9th percentile (a few outliers would squeeze the rest into one bar; they
        // count in the last bin), and far enough to show the thresholds.
        let top = [Some(quantile(sorted, 0.999)), lo, hi].into_iter().flatten().fold(0.0_f64, f64::max);
        let (x0, x1) = (0.0_f64.min(quantile(sorted, 0.0)), top.max(1e-9) * 1.05);
        let bins = 80usize;
        let mut counts = vec![0usize; bins];
        for &v in sorted {
            let b = (((v - x0) / (x1 - x0)) * bins as f64).clamp(0.0, (bins - 1) as f64) as usize;
            counts[b] += 1;
        }
        let most = counts.iter().copied().max().unwrap_or(1).max(1) as f32;
        let painter = ui.painter_at(outer);
        let visuals = ui.visuals();
        painter.rect_filled(rect, 2.0, visuals.extreme_bg_color);
        let to_x = |v: f64| rect.left() + ((v - x0) / (x1 - x0)) as f32 * rect.width();
        let from_x = |x: f32| x0 + f64::from((x - rect.left()) / rect.width()) * (x1 - x0);
        let kept = Color32::from_rgb(0x56, 0xb4, 0xe9);
        let dropped = Color32::from_gray(110);
        for (b, &c) in counts.iter().enumerate() {
            let left = x0 + (x1 - x0) * b as f64 / bins as f64;
            let centre = left + (x1 - x0) / bins as f64 / 2.0;
            let inside = lo.is_none_or(|l| centre >= l) && hi.is_none_or(|h| centre <= h);
            let bar = egui::Rect::from_min_max(
                egui::pos2(to_x(left) + 0.5, rect.bottom() - rect.height() * 0.92 * c as f32 / most),
                egui::pos2(to_x(left + (x1 - x0) / bins as f64) - 0.5, rect.bottom()),
            );
            painter.rect_filled(bar, 0.0, if inside { kept } else { dropped });
        }
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
        painter.text(
            egui::pos2(rect.right() - 4.0, rect.top() + 2.0),
            egui::Align2::RIGHT_TOP,
            format!("{} cells at most per bar", crate::memory::thousands(most as usize)),
            font,
            visuals.weak_text_color(),
        );
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

/// The finite values, sorted.
fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The `q` quantile of sorted values (nearest rank); 0 when there are none.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
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
}
