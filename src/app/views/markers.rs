//! The Markers view: rank the genes of every group of a categorical annotation (Leiden
//! clusters, cell types, conditions) against the rest or a reference group, and show the top
//! markers as a dot plot, matrix plot, stacked violins or heatmap in the groups' dendrogram
//! order, or as a table; and *Compare selection*: the selected samples against the rest (or
//! against a second set kept earlier) as a volcano plot and a table.
//!
//! # How it works
//! Ranking ([`crate::recipes::markers::run`]) and the plot numbers
//! ([`crate::recipes::markers::plot_data`]) run in one job; a comparison
//! ([`crate::recipes::markers::compare`]) in another. What is shown on screen is the figure
//! itself ([`crate::export::marker_plots`]), rasterised by the same SVG path as *Export
//! figure…* on a worker thread at the view's size in physical pixels, so the screen and the
//! file never disagree. Pointing uses the figure's plot area
//! ([`crate::export::figure::plot_area`]): hover names the gene, group and numbers; a click on
//! a gene (or a volcano point) colours every scatter (PCA, t-SNE, UMAP, stored embeddings) by it.

use std::sync::Arc;

use eframe::egui::{self, RichText};

use super::super::commands::Command;
use super::super::state::AppState;
use crate::analysis::markers::MarkerMethod;
use crate::export::figure::{Figure, PlotArea, Size, Style, Units};
use crate::jobs::{Job, Poll};
use crate::recipes::Colouring;
use crate::recipes::markers::{
    Comparison, DeMethod, MarkerPlot, MarkerPlotData, MarkerPlotSettings, MarkerSettings, Markers,
};

/// What the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// One of the marker plots.
    Plot(MarkerPlot),
    /// Each group's top genes with their statistics.
    Table,
    /// The comparison's volcano plot.
    Volcano,
    /// The comparison's genes by score.
    ComparisonTable,
}

/// The figures *Export figure…* offers, in its order.
const EXPORTED: [Show; 5] = [
    Show::Plot(MarkerPlot::Dotplot),
    Show::Plot(MarkerPlot::Matrixplot),
    Show::Plot(MarkerPlot::Violin),
    Show::Plot(MarkerPlot::Heatmap),
    Show::Volcano,
];

impl Show {
    /// The name in the export window and its default file names.
    fn export_name(self) -> &'static str {
        match self {
            Self::Plot(MarkerPlot::Dotplot) => "dot plot",
            Self::Plot(MarkerPlot::Matrixplot) => "matrix plot",
            Self::Plot(MarkerPlot::Violin) => "stacked violins",
            Self::Plot(MarkerPlot::Heatmap) => "heatmap",
            Self::Volcano => "volcano",
            Self::Table | Self::ComparisonTable => "table",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Plot(p) => p.title(),
            Self::Table => "Table",
            Self::Volcano => "Volcano plot",
            Self::ComparisonTable => "Comparison table",
        }
    }
}

/// Ranked markers with their plot numbers.
pub struct Ranked {
    /// The statistics.
    pub markers: Arc<Markers>,
    /// The numbers the plot shows.
    pub plot: Arc<MarkerPlotData>,
    /// Dataset generation they belong to.
    pub generation: u64,
}

/// A rendered figure on screen.
struct Shown {
    key: (u64, [usize; 2]),
    texture: egui::TextureHandle,
    area: Option<PlotArea>,
    /// Where it was last drawn.
    rect: egui::Rect,
}

/// The figure being rasterised.
type Render = ((u64, [usize; 2]), egui::ColorImage, Option<PlotArea>);

/// State of the Markers view.
pub struct MarkersView {
    /// What to rank.
    pub settings: MarkerSettings,
    /// What the plot shows.
    pub plot: MarkerPlotSettings,
    /// The main area.
    pub show: Show,
    /// Ranking has been asked for (re-ranked when the data change; kept in sessions).
    pub ran: bool,
    job: Option<Job<Ranked>>,
    /// The last ranking.
    pub result: Option<Arc<Ranked>>,
    plot_job: Option<Job<MarkerPlotData>>,
    error: Option<String>,
    /// The test of *Compare selection*.
    pub de_method: DeMethod,
    /// The second set of a comparison (processed rows), when one was kept.
    pub second: Option<Vec<bool>>,
    compare_job: Option<Job<Comparison>>,
    /// The last comparison.
    pub comparison: Option<Arc<Comparison>>,
    /// The gene picked in the volcano plot.
    pub chosen: Option<usize>,
    /// Bumped whenever what the figure shows changes.
    version: u64,
    shown: Option<Shown>,
    render: Option<Job<Render>>,
    /// "Export figure…".
    pub figure: super::figure_export::FigureExport,
}

impl Default for MarkersView {
    fn default() -> Self {
        let mut figure = super::figure_export::FigureExport::with_choices(
            "markers",
            EXPORTED.iter().map(|s| s.export_name()).collect(),
        );
        figure.has_table = true;
        Self {
            settings: MarkerSettings::default(),
            plot: MarkerPlotSettings::default(),
            show: Show::Plot(MarkerPlot::Dotplot),
            ran: false,
            job: None,
            result: None,
            plot_job: None,
            error: None,
            de_method: DeMethod::default(),
            second: None,
            compare_job: None,
            comparison: None,
            chosen: None,
            version: 0,
            shown: None,
            render: None,
            figure,
        }
    }
}

impl MarkersView {
    /// Ranks the genes of `state`'s dataset by the settings.
    pub fn rank(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        if self.settings.groupby.is_none() {
            self.settings.groupby = super::categorical_names(current.dataset.annotations()).into_iter().next();
        }
        let dataset = Arc::clone(&current.dataset);
        let (settings, plot) = (self.settings.clone(), self.plot.clone());
        let generation = current.generation;
        // The 50 PCs of a neighbour graph built with the defaults (the UMAP tab's), so the
        // dendrogram does not compute them again.
        let graph = state
            .graphs
            .get(current.matrix_generation, &crate::recipes::neighbors::GraphSettings::default())
            .filter(|g| g.is_pca);
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.job = Some(Job::spawn("markers", waker, move |ctx| {
            crate::recipes::in_job(ctx, |c| {
                let pcs = graph.as_ref().map(|g| (&*g.representation, g.from.as_str()));
                let markers = crate::recipes::markers::run_with(&dataset, &settings, pcs, c)?;
                c.progress(None, "Plot");
                let plot = crate::recipes::markers::plot_data(&dataset, &markers, &plot)?;
                Ok(Ranked { markers: Arc::new(markers), plot: Arc::new(plot), generation })
            })
        }));
        self.ran = true;
        self.error = None;
    }

    /// Recomputes the plot's numbers after its settings changed.
    fn replot(&mut self, state: &AppState) {
        let (Some(current), Some(ranked)) = (&state.current, &self.result) else { return };
        let dataset = Arc::clone(&current.dataset);
        let ranked = Arc::clone(ranked);
        let plot = self.plot.clone();
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.plot_job = Some(Job::spawn("marker plot", waker, move |ctx| {
            crate::recipes::in_job(ctx, |_| crate::recipes::markers::plot_data(&dataset, &ranked.markers, &plot))
        }));
    }

    /// Compares the selection with the rest, or with the kept second set.
    pub fn compare(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        let n = current.dataset.n_samples();
        let first: Vec<bool> = (0..n).map(|i| state.selection.samples.contains(&i)).collect();
        let second: Vec<bool> = match &self.second {
            Some(s) if s.len() == n => s.iter().zip(&first).map(|(&s, &f)| s && !f).collect(),
            _ => first.iter().map(|&f| !f).collect(),
        };
        let dataset = Arc::clone(&current.dataset);
        let method = self.de_method;
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.compare_job = Some(Job::spawn("compare", waker, move |ctx| {
            crate::recipes::in_job(ctx, |c| crate::recipes::markers::compare(&dataset, &first, &second, method, c))
        }));
        self.error = None;
    }

    /// The figure of what is shown, if any.
    pub fn current_figure(&self, title: &str) -> Option<Figure> {
        match self.show {
            Show::Plot(kind) => {
                let ranked = self.result.as_ref()?;
                Some(crate::export::marker_plots::marker_figure(&ranked.plot, kind, self.plot.scale_per_gene, title))
            }
            Show::Volcano => {
                let c = self.comparison.as_ref()?;
                Some(crate::export::marker_plots::volcano(
                    title,
                    &c.genes,
                    &c.stats.logfoldchanges,
                    &c.stats.pvals_adj,
                    10,
                    self.chosen,
                ))
            }
            Show::Table | Show::ComparisonTable => None,
        }
    }

    /// The plots offered, as (show, enabled).
    fn choices(&self) -> Vec<(Show, bool)> {
        let ranked = self.result.is_some();
        let mut v: Vec<(Show, bool)> = MarkerPlot::ALL.iter().map(|&p| (Show::Plot(p), ranked)).collect();
        v.push((Show::Table, ranked));
        v.push((Show::Volcano, self.comparison.is_some()));
        v.push((Show::ComparisonTable, self.comparison.is_some()));
        v
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui, state: &AppState) {
        let Some(current) = &state.current else { return };
        let groups = super::categorical_names(current.dataset.annotations());
        // At first look the groups are the first annotation that groups the samples, as the
        // scatters' colouring is (a choice, or a session's, stays).
        if self.settings.groupby.is_none()
            && let crate::recipes::Colouring::Annotation(first) = crate::recipes::Colouring::first_for(&current.dataset)
        {
            self.settings.groupby = Some(first);
        }
        let before = (self.settings.clone(), self.plot.clone());
        ui.heading("Marker genes");
        egui::Grid::new("markers_settings").num_columns(2).show(ui, |ui| {
            ui.label("Groups");
            let shown = self.settings.groupby.clone().unwrap_or_else(|| "choose…".into());
            egui::ComboBox::from_id_salt("markers_groupby").selected_text(shown).show_ui(ui, |ui| {
                for g in &groups {
                    if ui.selectable_label(self.settings.groupby.as_deref() == Some(g), g).clicked() {
                        self.settings.groupby = Some(g.clone());
                        self.settings.reference = None;
                    }
                }
            });
            ui.end_row();
            ui.label("Test");
            egui::ComboBox::from_id_salt("markers_method").selected_text(self.settings.method.name()).show_ui(
                ui,
                |ui| {
                    for m in [MarkerMethod::Wilcoxon, MarkerMethod::TTest, MarkerMethod::TTestOverestimVar] {
                        ui.selectable_value(&mut self.settings.method, m, m.name());
                    }
                },
            );
            ui.end_row();
            ui.label("Against");
            let levels: Vec<String> = self
                .settings
                .groupby
                .as_ref()
                .and_then(|g| current.dataset.annotations().iter().find(|a| &a.name == g))
                .and_then(|a| match &a.values {
                    crate::data::annotations::AnnotationValues::Categorical { levels, .. } => Some(levels.clone()),
                    crate::data::annotations::AnnotationValues::Numeric(_) => None,
                })
                .unwrap_or_default();
            let reference = self.settings.reference.clone().unwrap_or_else(|| "the rest".into());
            egui::ComboBox::from_id_salt("markers_reference").selected_text(reference).show_ui(ui, |ui| {
                ui.selectable_value(&mut self.settings.reference, None, "the rest");
                for l in &levels {
                    ui.selectable_value(&mut self.settings.reference, Some(l.clone()), l);
                }
            });
            ui.end_row();
        });
        ui.horizontal_wrapped(|ui| {
            if self.settings.method == MarkerMethod::Wilcoxon {
                ui.checkbox(&mut self.settings.tie_correct, "tie correction")
                    .on_hover_text("Correct the rank-sum variance for ties (scanpy: off by default)");
            }
            ui.checkbox(&mut self.settings.dendrogram, "dendrogram order")
                .on_hover_text("Order the groups by the correlation of their means (sc.tl.dendrogram)");
            if let Some(job) = &self.job {
                if super::job_progress_ui(ui, job) {
                    job.cancel();
                    self.job = None;
                }
            } else if ui
                .add_enabled(self.settings.groupby.is_some(), egui::Button::new(RichText::new("Rank genes").strong()))
                .clicked()
            {
                self.rank(state);
            }
        });
        ui.separator();
        ui.label(RichText::new("Show").strong());
        ui.horizontal_wrapped(|ui| {
            for (show, enabled) in self.choices() {
                if ui.add_enabled(enabled, egui::Button::selectable(self.show == show, show.title())).clicked() {
                    self.show = show;
                    self.version += 1;
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Genes per group");
            ui.add(egui::DragValue::new(&mut self.plot.genes_per_group).range(1..=50));
            ui.checkbox(&mut self.plot.scale_per_gene, "scale per gene")
                .on_hover_text("Each gene from 0 (its lowest group) to 1 (its highest), scanpy's standard_scale='var'");
        });
        self.compare_ui(ui, state);
        if before.0 != self.settings && self.ran && self.job.is_none() && self.settings.groupby.is_some() {
            self.rank(state);
        } else if before.1 != self.plot {
            self.version += 1;
            self.replot(state);
        }
    }

    fn compare_ui(&mut self, ui: &mut egui::Ui, state: &AppState) {
        let Some(current) = &state.current else { return };
        let n = current.dataset.n_samples();
        let selected = state.selection.samples.len();
        ui.separator();
        ui.label(RichText::new("Compare selection").strong());
        ui.horizontal_wrapped(|ui| {
            let second = self.second.as_ref().filter(|s| s.len() == n).map(|s| s.iter().filter(|&&b| b).count());
            ui.label(match second {
                Some(m) => format!("{selected} selected against the kept set of {m}"),
                None => format!("{selected} selected against the other {}", n - selected),
            });
            if ui
                .add_enabled(selected > 0, egui::Button::new("Keep as second set"))
                .on_hover_text("Keep the selection as the set to compare with; then select the first set")
                .clicked()
            {
                self.second = Some((0..n).map(|i| state.selection.samples.contains(&i)).collect());
            }
            if second.is_some() && ui.button("Compare with the rest").clicked() {
                self.second = None;
            }
            egui::ComboBox::from_id_salt("markers_de").selected_text(self.de_method.name()).show_ui(ui, |ui| {
                ui.selectable_value(&mut self.de_method, DeMethod::Welch, "welch")
                    .on_hover_text("Welch's t-test, as scipy.stats.ttest_ind(equal_var=False)");
                ui.selectable_value(&mut self.de_method, DeMethod::Wilcoxon, "wilcoxon")
                    .on_hover_text("Tie-corrected rank-sum, as scipy.stats.mannwhitneyu(method='asymptotic')");
            });
            if let Some(job) = &self.compare_job {
                if super::job_progress_ui(ui, job) {
                    job.cancel();
                    self.compare_job = None;
                }
            } else if ui
                .add_enabled(selected >= 2, egui::Button::new("Compare"))
                .on_hover_text("Every gene: log2 fold change, test, Benjamini–Hochberg adjusted p")
                .clicked()
            {
                self.compare(state);
            }
        });
    }

    /// The figure shown, rasterised at the area's size; hover and click on genes.
    fn figure_ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        let Some(current) = &state.current else { return };
        let rect = ui.available_rect_before_wrap();
        let ppp = ui.ctx().pixels_per_point();
        let pixels = [((rect.width() * ppp).round() as usize).max(1), ((rect.height() * ppp).round() as usize).max(1)];
        let key = (self.version, pixels);
        let title = format!("{} — {}", current.dataset.name, self.show.title());
        if self.shown.as_ref().is_none_or(|s| s.key != key)
            && self.render.is_none()
            && let Some(figure) = self.current_figure(&title)
            && pixels[0] > 50
            && pixels[1] > 50
        {
            let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
            let size = Size { width: pixels[0] as f64, height: pixels[1] as f64, units: Units::Px, dpi: 96.0 };
            let style = Style { font_size: (13.0 * f64::from(ppp)).max(8.0), ..Style::for_size(size.pixels()) };
            self.render = Some(Job::spawn("draw figure", waker, move |_| {
                let svg = crate::export::figure::figure_svg(&figure, &size, &style);
                let rgba =
                    crate::export::figure::svg_to_rgba(&svg, size.pixels()).map_err(crate::jobs::JobError::failed)?;
                let image = egui::ColorImage::from_rgba_unmultiplied(pixels, &rgba);
                Ok((key, image, crate::export::figure::plot_area(&figure, &size, &style)))
            }));
        }
        if let Some(job) = &mut self.render
            && let Poll::Done(done) = job.poll()
        {
            self.render = None;
            match done {
                Ok((key, image, area)) => {
                    let texture = ui.ctx().load_texture("markers-figure", image, egui::TextureOptions::LINEAR);
                    self.shown = Some(Shown { key, texture, area, rect });
                }
                Err(e) => self.error = Some(e.to_string()),
            }
        }
        let Some(shown) = &mut self.shown else {
            if self.render.is_some() {
                ui.spinner();
            }
            return;
        };
        shown.rect = rect;
        let shown = &*shown;
        let response = ui.add(
            egui::Image::new(egui::load::SizedTexture::new(shown.texture.id(), rect.size()))
                .sense(egui::Sense::click()),
        );
        let Some(area) = shown.area else { return };
        let Some(pointer) = response.hover_pos() else { return };
        let scale = shown.key.1[0] as f64 / f64::from(rect.width());
        let page = (f64::from(pointer.x - rect.min.x) * scale, f64::from(pointer.y - rect.min.y) * scale);
        let hit = self.point_at(&area, page, scale);
        if let Some((gene, text)) = hit {
            response.clone().on_hover_text(format!("{text}\nClick: colour every plot by {gene}"));
            if response.clicked() {
                if self.show == Show::Volcano {
                    self.chosen = self.comparison.as_ref().and_then(|c| c.genes.iter().position(|g| *g == gene));
                    self.version += 1;
                }
                commands.push(Command::ColourBy(Colouring::Gene(gene)));
            }
        }
    }

    /// Where data point (`x`, `y`) of the figure on screen is drawn, in points (for tests and
    /// tours); `None` before a figure is shown.
    pub fn screen_position(&self, x: f64, y: f64) -> Option<egui::Pos2> {
        let shown = self.shown.as_ref()?;
        let area = shown.area?;
        let (px, py) = area.page(x, y);
        let scale = shown.key.1[0] as f64 / f64::from(shown.rect.width());
        Some(shown.rect.min + egui::vec2((px / scale) as f32, (py / scale) as f32))
    }

    /// True once a figure is on screen and none is being drawn.
    pub fn figure_shown(&self) -> bool {
        self.shown.as_ref().is_some_and(|s| s.key.0 == self.version) && self.render.is_none()
    }

    /// The gene under page position `page` (output pixels) and what to say about it.
    fn point_at(&self, area: &PlotArea, page: (f64, f64), scale: f64) -> Option<(String, String)> {
        match self.show {
            Show::Plot(_) => {
                let ranked = self.result.as_ref()?;
                let d = &ranked.plot;
                let (x, y) = area.data(page.0, page.1)?;
                let (k, r) = (x.floor(), y.floor());
                if k < 0.0 || k as usize >= d.columns.len() {
                    return None;
                }
                let k = k as usize;
                let gene = d.genes[k].clone();
                let text = if r >= 0.0 && (r as usize) < d.rows.len() {
                    let r = r as usize;
                    format!(
                        "{gene} in {}: mean {:.3}, {:.0} % of {} cells above 0",
                        d.row_names[r],
                        d.mean[r][k],
                        100.0 * d.fraction[r][k],
                        d.row_cells[r]
                    )
                } else {
                    gene.clone()
                };
                Some((gene, text))
            }
            Show::Volcano => {
                let c = self.comparison.as_ref()?;
                let points = crate::export::marker_plots::volcano_points(&c.stats.logfoldchanges, &c.stats.pvals_adj);
                let reach = 8.0 * scale;
                let (j, distance) = points
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.0.is_finite() && p.1.is_finite())
                    .map(|(j, p)| {
                        let (px, py) = area.page(p.0, p.1);
                        (j, (px - page.0).hypot(py - page.1))
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))?;
                (distance <= reach).then(|| {
                    let g = &c.stats;
                    (
                        c.genes[j].clone(),
                        format!(
                            "{}: log2 fold change {:.3}, adjusted p {:.3e} (p {:.3e})",
                            c.genes[j], g.logfoldchanges[j], g.pvals_adj[j], g.pvals[j]
                        ),
                    )
                })
            }
            Show::Table | Show::ComparisonTable => None,
        }
    }

    fn table_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let rows: Vec<(String, String, [f64; 4])> = if self.show == Show::Table {
            let Some(ranked) = &self.result else { return };
            let m = &ranked.markers;
            m.groups
                .iter()
                .flat_map(|g| {
                    g.order.iter().take(self.plot.genes_per_group.max(10)).map(move |&j| {
                        (
                            m.levels[g.group].clone(),
                            m.genes[j].clone(),
                            [g.scores[j], g.logfoldchanges[j], g.pvals[j], g.pvals_adj[j]],
                        )
                    })
                })
                .collect()
        } else {
            let Some(c) = &self.comparison else { return };
            let g = &c.stats;
            g.order
                .iter()
                .take(50)
                .chain(g.order.iter().rev().take(50))
                .map(|&j| {
                    let side = if g.scores[j] >= 0.0 { "up" } else { "down" };
                    (
                        side.to_owned(),
                        c.genes[j].clone(),
                        [g.scores[j], g.logfoldchanges[j], g.pvals[j], g.pvals_adj[j]],
                    )
                })
                .collect()
        };
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            egui::Grid::new("markers_table").striped(true).num_columns(6).show(ui, |ui| {
                for h in ["group", "gene", "score", "log2 fold change", "p", "adjusted p"] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for (group, gene, v) in rows {
                    ui.label(group);
                    if ui.link(&gene).on_hover_text(format!("Colour every plot by {gene}")).clicked() {
                        commands.push(Command::ColourBy(Colouring::Gene(gene.clone())));
                    }
                    ui.label(format!("{:.3}", v[0]));
                    ui.label(format!("{:.3}", v[1]));
                    ui.label(format!("{:.3e}", v[2]));
                    ui.label(format!("{:.3e}", v[3]));
                    ui.end_row();
                }
            });
        });
    }

    /// Writes the figure or table the export window asks for.
    fn export(&mut self, ctx: &egui::Context, state: &AppState) {
        self.figure.window_ui(ctx, "markers_figure");
        let Some(current) = &state.current else { return };
        let waker: crate::jobs::Waker = {
            let ctx = ctx.clone();
            Arc::new(move || ctx.request_repaint())
        };
        if self.figure.requested_table {
            self.figure.requested_table = false;
            let csv = if EXPORTED.get(self.figure.plot) == Some(&Show::Volcano) {
                self.comparison.as_ref().map(|c| c.table_csv())
            } else {
                self.result.as_ref().map(|r| r.markers.table_csv(r.markers.settings.n_genes))
            };
            match csv {
                Some(csv) => self.figure.write_table(csv, waker.clone()),
                None => self.figure.last = Some(Err("Nothing to export yet: rank genes or compare first.".into())),
            }
        }
        if !self.figure.requested {
            return;
        }
        let show = EXPORTED[self.figure.plot.min(EXPORTED.len() - 1)];
        let shown = std::mem::replace(&mut self.show, show);
        let figure = self.current_figure(&format!("{} — {}", current.dataset.name, show.title()));
        self.show = shown;
        if let Some(f) = figure {
            self.figure.start(f, waker);
        } else {
            self.figure.requested = false;
            self.figure.last = Some(Err("Nothing to export yet: rank genes or compare first.".into()));
        }
    }
}

impl super::View for MarkersView {
    fn title(&self) -> &'static str {
        "Markers"
    }

    fn poll(&mut self, state: &AppState, _commands: &mut Vec<Command>) {
        let mut ranked = None;
        if super::poll_into(&mut self.job, &mut ranked, &mut self.error) {
            self.result = ranked;
            self.version += 1;
            if matches!(self.show, Show::Volcano | Show::ComparisonTable) && self.comparison.is_none() {
                self.show = Show::Plot(MarkerPlot::Dotplot);
            }
        }
        let mut plot = None;
        if super::poll_into(&mut self.plot_job, &mut plot, &mut self.error)
            && let (Some(plot), Some(old)) = (plot, &self.result)
        {
            let markers = Arc::clone(&old.markers);
            self.result = Some(Arc::new(Ranked { markers, plot, generation: old.generation }));
            self.version += 1;
        }
        let mut compared = None;
        if super::poll_into(&mut self.compare_job, &mut compared, &mut self.error) {
            self.comparison = compared;
            self.chosen = None;
            self.show = Show::Volcano;
            self.version += 1;
        }
        // New data (a pipeline step, new annotations): rank again what was ranked.
        if let Some(current) = &state.current
            && self.ran
            && self.job.is_none()
            && self.error.is_none()
            && self.result.as_ref().is_none_or(|r| r.generation != current.generation)
        {
            self.rank(state);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        if state.current.is_none() {
            ui.label("Open a dataset first.");
            return;
        }
        egui::Panel::left("markers_side")
            .resizable(true)
            .default_size(ui.text_style_height(&egui::TextStyle::Body) * 14.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("markers_side_scroll").show(ui, |ui| {
                    self.settings_ui(ui, state);
                    if let Some(e) = &self.error {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    if let Some(caution) = self.result.as_ref().and_then(|r| r.markers.caution.as_ref()) {
                        ui.colored_label(ui.visuals().warn_fg_color, caution);
                    }
                    if let (Some(r), Show::Plot(_)) = (&self.result, self.show)
                        && r.markers.tree.is_some()
                        && self.settings.dendrogram
                    {
                        ui.separator();
                        ui.label(
                            RichText::new(format!("Groups ordered by their dendrogram on {}.", r.markers.tree_from))
                                .weak(),
                        );
                    }
                });
            });
        egui::CentralPanel::default().show(ui, |ui| self.main_ui(ui, state, commands));
        self.export(ui.ctx(), state);
    }

    fn is_busy(&self) -> bool {
        self.job.is_some() || self.plot_job.is_some() || self.compare_job.is_some() || self.render.is_some()
    }

    fn save(&self, views: &mut crate::session::Views) {
        self.save_settings(views);
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.restore_settings(views);
    }
}

impl MarkersView {
    /// The figure or table shown (under its name and *Export figure…*), or what to do first.
    fn main_ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.label(RichText::new(self.show.title()).strong());
            if ui
                .button("Export figure…")
                .on_hover_text("SVG, PNG or PDF at a chosen size, and the table as CSV")
                .clicked()
            {
                self.figure.open = true;
                // The figure of what is shown; a table's figure: the dot plot, or the volcano.
                let figure = match self.show {
                    Show::Table => Show::Plot(MarkerPlot::Dotplot),
                    Show::ComparisonTable => Show::Volcano,
                    other => other,
                };
                self.figure.plot = EXPORTED.iter().position(|&e| e == figure).unwrap_or(0);
            }
        });
        let ready = match self.show {
            Show::Plot(_) | Show::Table => self.result.is_some(),
            Show::Volcano | Show::ComparisonTable => self.comparison.is_some(),
        };
        if !ready {
            ui.label(if self.job.is_some() {
                "Ranking…"
            } else {
                "Choose the groups and Rank genes; or select samples in any view and Compare."
            });
        } else if matches!(self.show, Show::Table | Show::ComparisonTable) {
            self.table_ui(ui, commands);
        } else {
            self.figure_ui(ui, state, commands);
        }
    }

    fn save_settings(&self, views: &mut crate::session::Views) {
        views.markers = crate::session::SavedMarkers {
            settings: self.settings.clone(),
            plot: self.plot.clone(),
            ran: self.ran && self.result.is_some(),
        };
    }

    fn restore_settings(&mut self, views: &crate::session::Views) {
        self.settings = views.markers.settings.clone();
        self.plot = views.markers.plot.clone();
        self.ran = views.markers.ran;
        self.result = None;
        self.comparison = None;
        self.version += 1;
    }
}
