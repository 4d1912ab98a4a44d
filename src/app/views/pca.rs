//! The PCA view: parameters, the scatter of any PC against any other, the scree plot with
//! its cumulative curve, and the loadings table (top genes of a component, both signs).
//!
//! PCA runs as a job whenever the dataset or the parameters change; the previous result
//! stays on screen until the new one arrives.

use std::sync::Arc;

use eframe::egui::{self, RichText};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};

use super::super::commands::Command;
use super::super::state::AppState;
use super::embedding::EmbeddingPanel;
use crate::analysis::pca::{Pca, PcaParams, PcaSolver};
use crate::jobs::{Job, JobError, Poll};
use crate::recipes::pca::PcaSettings;

/// A PCA result and what it was computed from.
pub struct PcaOutcome {
    /// The fit.
    pub pca: Pca,
    /// Dataset generation it belongs to.
    pub generation: u64,
    /// Parameters used.
    pub params: PcaParams,
    /// The genes of the matrix it was fitted on (loadings rows); the dataset may have
    /// changed since, so labels come from here.
    pub gene_ids: Arc<[String]>,
}

/// The result and PC pair the shown coordinates were taken from, and the coordinates.
type AxesCache = (Arc<PcaOutcome>, usize, usize, Arc<ndarray::Array2<f64>>);

/// The loadings table's lists (title, gene indices) and what they were made from: the
/// result, component, order and filter.
type LoadingsCache = (Arc<PcaOutcome>, usize, LoadingsOrder, String, Vec<(&'static str, Vec<usize>)>);

/// State of the PCA view.
pub struct PcaView {
    /// The fit's parameters, the axes, loadings, biplot and colouring (saved with a session as
    /// they are).
    pub settings: PcaSettings,
    job: Option<Job<PcaOutcome>>,
    /// The newest result.
    pub result: Option<Arc<PcaOutcome>>,
    /// The dataset generation and parameters of the last run started: no new run starts
    /// for them (so Cancel and errors stay until something changes or "Try again").
    attempted: Option<(u64, PcaParams)>,
    error: Option<String>,
    loadings_filter: String,
    loadings_order: LoadingsOrder,
    loadings: Option<LoadingsCache>,
    /// The two score columns shown, for the result and axes they were taken from.
    axes: Option<AxesCache>,
    /// Colouring, legend and scatter.
    pub panel: EmbeddingPanel,
    /// CSV export of the loadings and scores.
    pub tables: super::table_export::TableExport,
}

impl Default for PcaView {
    fn default() -> Self {
        Self {
            settings: PcaSettings::default(),
            job: None,
            result: None,
            attempted: None,
            error: None,
            loadings_filter: String::new(),
            loadings_order: LoadingsOrder::Signed,
            loadings: None,
            axes: None,
            panel: EmbeddingPanel::with_export("pca", vec!["scatter", "scree", "loadings"]),
            tables: super::table_export::TableExport::default(),
        }
    }
}

impl PcaView {
    /// True while PCA runs.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Takes a finished fit (also while the view is not shown).
    pub fn poll(&mut self) {
        if let Some(job) = &mut self.job
            && let Poll::Done(result) = job.poll()
        {
            self.job = None;
            match result {
                Ok(outcome) => {
                    self.error = None;
                    self.result = Some(Arc::new(outcome));
                }
                Err(JobError::Cancelled) => {}
                Err(err) => self.error = Some(err.to_string()),
            }
        }
    }

    /// Starts a fit when the dataset or the parameters changed.
    fn update(&mut self, state: &AppState) {
        self.poll();
        let Some(current) = &state.current else { return };
        let params = &self.settings.params;
        let wanted = (current.matrix_generation, params.clone());
        if self.job.is_some() || self.attempted.as_ref() == Some(&wanted) {
            return;
        }
        let up_to_date =
            self.result.as_ref().is_some_and(|r| r.generation == current.matrix_generation && r.params == *params);
        self.attempted = Some(wanted);
        if up_to_date {
            return;
        }
        self.error = None;
        let matrix = current.dataset.values().clone();
        let gene_ids: Arc<[String]> = current.dataset.gene_ids().into();
        let params = params.clone();
        let generation = current.matrix_generation;
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        self.job = Some(Job::spawn("pca", waker, move |ctx| {
            let fit = crate::recipes::in_job(ctx, |ctx| crate::recipes::pca::run_values(&matrix, &params, ctx))?;
            Ok(PcaOutcome { pca: fit, generation, params, gene_ids })
        }));
    }

    /// The scores on PCs `x` and `y` as samples × 2, rebuilt only when the result or the
    /// axes change (the scatter's cache keys on this array).
    fn axes(&mut self, result: &Arc<PcaOutcome>, x: usize, y: usize) -> Arc<ndarray::Array2<f64>> {
        if let Some((r, ax, ay, coords)) = &self.axes
            && Arc::ptr_eq(r, result)
            && (*ax, *ay) == (x, y)
        {
            return Arc::clone(coords);
        }
        let scores = &result.pca.scores;
        let coords = Arc::new(ndarray::stack![ndarray::Axis(1), scores.column(x), scores.column(y)]);
        self.axes = Some((Arc::clone(result), x, y, Arc::clone(&coords)));
        coords
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.update(state);
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset to run PCA."));
            return;
        };
        egui::Panel::top("pca_toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| self.toolbar_ui(ui, current, state, commands));
        });
        let body = ui.text_style_height(&egui::TextStyle::Body);
        egui::Panel::right("pca_side")
            .resizable(true)
            .default_size(body * 22.0)
            .min_size(self.panel.legend_width(ui).max(body * 6.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("pca_side_scroll").show(ui, |ui| {
                    self.panel.legend_ui(ui);
                    ui.separator();
                    if let Some(result) = self.result.clone() {
                        scree_ui(ui, &result.pca);
                        ui.separator();
                        let ids = state.current.as_ref().map_or(&[][..], |c| c.dataset.sample_ids());
                        self.loadings_ui(ui, &result, ids);
                    }
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, format!("PCA failed: {err}"));
                if ui.button("Try again").clicked() {
                    self.error = None;
                    self.attempted = None;
                }
                return;
            }
            let Some(result) = self.result.clone() else {
                ui.centered_and_justified(|ui| {
                    ui.spinner();
                });
                return;
            };
            let scores = &result.pca.scores;
            if scores.nrows() != current.dataset.n_samples() {
                // The samples changed (a subset step): the old scores do not fit them.
                ui.centered_and_justified(|ui| ui.label("Recomputing PCA for the new samples…"));
                return;
            }
            let k = scores.ncols();
            let (x, y) = (self.settings.axes.0.min(k - 1), self.settings.axes.1.min(k - 1));
            let coords = self.axes(&result, x, y);
            let evr = &result.pca.explained_variance_ratio;
            let x_label = format!("PC{} ({:.1} %)", x + 1, evr[x] * 100.0);
            let y_label = format!("PC{} ({:.1} %)", y + 1, evr[y] * 100.0);
            self.panel.figure_title = format!("{} — PCA", current.dataset.name);
            let transform = self.panel.scatter_ui(
                ui,
                &coords,
                &current.dataset,
                current.generation,
                &self.settings.colour_by,
                &state.selection.samples,
                (&x_label, &y_label),
                commands,
            );
            if self.settings.biplot_genes > 0
                && let Some(t) = transform
            {
                biplot_ui(ui, &t, &result.pca, (x, y), self.settings.biplot_genes, &result.gene_ids);
            }
            self.export_other_plots(ui.ctx(), &result, &current.dataset.name);
        });
    }

    /// The scree plot and the loadings, when the export window asks for them.
    fn export_other_plots(&mut self, ctx: &egui::Context, result: &Arc<PcaOutcome>, name: &str) {
        let Some(export) = &mut self.panel.export else { return };
        let fit = &result.pca;
        let figure = if export.wants(1) {
            crate::export::plots::scree(&format!("{name} — scree plot"), &fit.explained_variance_ratio)
        } else if export.wants(2) {
            let c = self.settings.loadings_pc.min(fit.loadings.ncols().saturating_sub(1));
            let column = fit.loadings.column(c);
            let lists = loadings_lists(fit, &result.gene_ids, c, self.loadings_order, &self.loadings_filter);
            let genes: Vec<(String, f64)> =
                lists.iter().flat_map(|(_, g)| g.iter().map(|&g| (result.gene_ids[g].clone(), column[g]))).collect();
            crate::export::plots::loadings(&format!("{name} — loadings of PC{}", c + 1), c, &genes)
        } else {
            return;
        };
        let ctx = ctx.clone();
        export.start(figure, std::sync::Arc::new(move || ctx.request_repaint()));
    }

    fn toolbar_ui(
        &mut self,
        ui: &mut egui::Ui,
        current: &super::super::state::Current,
        state: &AppState,
        commands: &mut Vec<Command>,
    ) {
        let max_components = current.dataset.n_samples().min(current.dataset.n_genes()).max(1);
        ui.label("Components");
        ui.add(egui::DragValue::new(&mut self.settings.params.components).range(2..=max_components.clamp(2, 100)));
        ui.checkbox(&mut self.settings.params.scale, "Standardise genes")
            .on_hover_text("Divide each gene by its SD after centring (PCA on z-scores)");
        egui::ComboBox::from_id_salt("pca_solver")
            .selected_text(format!("{:?} SVD", self.settings.params.solver))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.settings.params.solver, PcaSolver::Auto, "Auto SVD");
                ui.selectable_value(&mut self.settings.params.solver, PcaSolver::Exact, "Exact SVD");
                ui.selectable_value(&mut self.settings.params.solver, PcaSolver::Randomized, "Randomized SVD");
                ui.selectable_value(&mut self.settings.params.solver, PcaSolver::Covariance, "Covariance SVD")
                    .on_hover_text("Exact, from the genes' covariance: fastest when samples far outnumber genes");
            });
        if let Some(result) = &self.result {
            let k = result.pca.scores.ncols();
            ui.separator();
            pc_combo(ui, "pca_x", "X", &mut self.settings.axes.0, k);
            pc_combo(ui, "pca_y", "Y", &mut self.settings.axes.1, k);
        }
        ui.label("Biplot");
        ui.add(egui::DragValue::new(&mut self.settings.biplot_genes).range(0..=30).suffix(" genes"))
            .on_hover_text("Arrows for the genes with the largest loadings on the two axes shown");
        ui.separator();
        self.panel.colouring_ui(ui, &current.dataset, &mut self.settings.colour_by);
        ui.separator();
        self.panel.tools_ui(ui, state.selection.samples.len(), commands);
        if self.job.is_some() {
            ui.separator();
            ui.spinner();
            ui.label("computing…");
            if ui.button("Cancel").clicked() {
                self.job = None;
            }
        }
    }

    fn loadings_ui(&mut self, ui: &mut egui::Ui, result: &Arc<PcaOutcome>, sample_ids: &[String]) {
        let fit = &result.pca;
        let k = fit.loadings.ncols();
        ui.horizontal(|ui| {
            ui.label(RichText::new("Loadings").strong());
            pc_combo(ui, "loadings_pc", "", &mut self.settings.loadings_pc, k);
        });
        self.tables.status_ui(ui);
        ui.horizontal(|ui| {
            let names = || (1..=k).map(|c| format!("PC{c}")).collect::<Vec<_>>();
            self.tables.button_ui(ui, "Loadings (CSV)", "pca_loadings.csv", || {
                let (r, n) = (Arc::clone(result), names());
                move |w| crate::export::csv::write_matrix(w, "gene_id", &r.gene_ids, &n, r.pca.loadings.view())
            });
            self.tables.button_ui(ui, "Scores (CSV)", "pca_scores.csv", || {
                let (r, n, ids) = (Arc::clone(result), names(), sample_ids.to_vec());
                move |w| crate::export::csv::write_matrix(w, "sample_id", &ids, &n, r.pca.scores.view())
            });
        });
        ui.add(egui::TextEdit::singleline(&mut self.loadings_filter).hint_text("search genes"));
        ui.horizontal(|ui| {
            ui.label("Sort");
            ui.selectable_value(&mut self.loadings_order, LoadingsOrder::Signed, "both signs");
            ui.selectable_value(&mut self.loadings_order, LoadingsOrder::Magnitude, "|loading|");
            ui.selectable_value(&mut self.loadings_order, LoadingsOrder::Name, "name");
        });
        let c = self.settings.loadings_pc.min(k - 1);
        let fresh = self.loadings.as_ref().is_some_and(|(r, pc, order, filter, _)| {
            Arc::ptr_eq(r, result) && *pc == c && *order == self.loadings_order && *filter == self.loadings_filter
        });
        if !fresh {
            let lists = loadings_lists(fit, &result.gene_ids, c, self.loadings_order, &self.loadings_filter);
            self.loadings = Some((Arc::clone(result), c, self.loadings_order, self.loadings_filter.clone(), lists));
        }
        let Some((.., lists)) = &self.loadings else { return };
        let column = fit.loadings.column(c);
        for (title, genes) in lists {
            if genes.is_empty() {
                continue;
            }
            ui.label(RichText::new(*title).weak());
            egui::Grid::new(("loadings", *title)).striped(true).num_columns(2).show(ui, |ui| {
                for &g in genes {
                    ui.label(&result.gene_ids[g]);
                    ui.label(format!("{:+.4}", column[g]));
                    ui.end_row();
                }
            });
        }
    }
}

/// The loadings table's lists for component `c`: genes whose name contains `filter`
/// (any case), in `order`, cut to what the table shows.
fn loadings_lists(
    fit: &Pca,
    gene_ids: &[String],
    c: usize,
    order_by: LoadingsOrder,
    filter: &str,
) -> Vec<(&'static str, Vec<usize>)> {
    let column = fit.loadings.column(c);
    let filter = filter.to_lowercase();
    let mut order: Vec<usize> =
        (0..column.len()).filter(|&g| filter.is_empty() || gene_ids[g].to_lowercase().contains(&filter)).collect();
    let shown = 15;
    match order_by {
        LoadingsOrder::Signed => {
            order.sort_by(|&a, &b| column[b].total_cmp(&column[a]));
            let top: Vec<usize> = order.iter().copied().take(shown).collect();
            let bottom: Vec<usize> =
                order.iter().rev().copied().take(shown.min(order.len().saturating_sub(shown))).collect();
            vec![("highest (positive)", top), ("lowest (negative)", bottom)]
        }
        LoadingsOrder::Magnitude => {
            order.sort_by(|&a, &b| column[b].abs().total_cmp(&column[a].abs()));
            vec![("largest |loading|", order.into_iter().take(2 * shown).collect())]
        }
        LoadingsOrder::Name => {
            order.sort_by(|&a, &b| gene_ids[a].cmp(&gene_ids[b]));
            vec![("by name", order.into_iter().take(100).collect())]
        }
    }
}

/// How the loadings table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoadingsOrder {
    /// Most positive, then most negative.
    Signed,
    /// Largest magnitude first.
    Magnitude,
    /// Alphabetical.
    Name,
}

/// Arrows from the origin to each top gene's loadings on the two PCs shown, scaled (one
/// factor for both axes) so every tip stays within 80 % of the samples' extent on each axis.
fn biplot_ui(
    ui: &egui::Ui,
    t: &super::super::widgets::scatter::Transform,
    fit: &Pca,
    (x, y): (usize, usize),
    genes: usize,
    gene_ids: &[String],
) {
    let lx = fit.loadings.column(x);
    let ly = fit.loadings.column(y);
    let mut order: Vec<usize> = (0..lx.len()).collect();
    let longest_first = |a: &usize, b: &usize| lx[*b].hypot(ly[*b]).total_cmp(&lx[*a].hypot(ly[*a]));
    // The top genes only: a partial selection, not a sort of every gene each frame.
    if genes < order.len() {
        order.select_nth_unstable_by(genes, longest_first);
        order.truncate(genes);
    }
    order.sort_by(longest_first);
    let extent = |c: usize| fit.scores.column(c).iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let largest = |l: &ndarray::ArrayView1<'_, f64>| order.iter().fold(0.0_f64, |m, &g| m.max(l[g].abs()));
    let scale =
        0.8 * (extent(x) / largest(&lx).max(f64::MIN_POSITIVE)).min(extent(y) / largest(&ly).max(f64::MIN_POSITIVE));
    let painter = ui.painter().with_clip_rect(t.screen);
    let colour = ui.visuals().strong_text_color();
    let stroke = egui::Stroke::new(1.5, colour);
    let origin = t.screen_from_data([0.0, 0.0]);
    let font = egui::TextStyle::Small.resolve(ui.style());
    for &g in &order {
        let tip = t.screen_from_data([(lx[g] * scale) as f32, (ly[g] * scale) as f32]);
        painter.line_segment([origin, tip], stroke);
        // A fixed-size head, whatever the arrow's length.
        let dir = (tip - origin).normalized();
        let side = egui::vec2(-dir.y, dir.x);
        let head = 8.0;
        painter.line_segment([tip, tip - dir * head + side * head * 0.5], stroke);
        painter.line_segment([tip, tip - dir * head - side * head * 0.5], stroke);
        let anchor = if tip.x >= origin.x { egui::Align2::LEFT_CENTER } else { egui::Align2::RIGHT_CENTER };
        painter.text(tip + dir * 4.0, anchor, &gene_ids[g], font.clone(), colour);
    }
}

fn pc_combo(ui: &mut egui::Ui, id: &str, label: &str, value: &mut usize, k: usize) {
    if !label.is_empty() {
        ui.label(label);
    }
    egui::ComboBox::from_id_salt(id).selected_text(format!("PC{}", *value + 1)).width(60.0).show_ui(ui, |ui| {
        for c in 0..k {
            ui.selectable_value(value, c, format!("PC{}", c + 1));
        }
    });
}

/// Explained-variance ratio per component, with the cumulative curve.
fn scree_ui(ui: &mut egui::Ui, fit: &Pca) {
    ui.label(RichText::new("Scree plot").strong());
    let bars: Vec<Bar> = fit
        .explained_variance_ratio
        .iter()
        .enumerate()
        .map(|(c, &r)| Bar::new((c + 1) as f64, r * 100.0).width(0.7))
        .collect();
    let mut cumulative = 0.0;
    let line: PlotPoints = fit
        .explained_variance_ratio
        .iter()
        .enumerate()
        .map(|(c, r)| {
            cumulative += r * 100.0;
            [(c + 1) as f64, cumulative]
        })
        .collect();
    Plot::new("scree")
        .height(ui.text_style_height(&egui::TextStyle::Body) * 12.0)
        .legend(Legend::default())
        .x_axis_label("component")
        .y_axis_label("% variance")
        .include_y(0.0)
        .include_y(100.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("per component", bars));
            plot.line(Line::new("cumulative", line));
        });
}

impl super::View for PcaView {
    fn title(&self) -> &'static str {
        "PCA"
    }

    fn poll(&mut self, _state: &AppState, _commands: &mut Vec<Command>) {
        self.poll();
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        PcaView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        self.is_running()
    }

    fn save(&self, views: &mut crate::session::Views) {
        views.pca = self.settings.clone();
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.settings = views.pca.clone();
    }
}
