//! The Clusters view: hierarchical clustering with an interactive dendrogram, k-means with
//! its elbow curve, DBSCAN with its k-distance curve; for each, the silhouette plot and, against
//! a chosen annotation, the adjusted Rand index and the contingency table.
//!
//! # How it works
//! Each method runs in a job keyed by the matrix generation and its parameters (the tree does
//! not change when only the cut moves). The current labels — the tree cut, the k-means fit,
//! the DBSCAN result — are published as a categorical annotation ("hierarchical clusters",
//! "k-means clusters", "DBSCAN clusters") whenever they change and no cut is being dragged,
//! so every view can colour by them at once; adding an annotation does not rerun PCA, t-SNE or
//! these jobs (they key on [`crate::app::state::Current::matrix_generation`]). Silhouettes are a
//! job of their own on the labels shown.

use std::collections::BTreeSet;
use std::sync::Arc;

use eframe::egui::{self, Color32};

use super::super::commands::Command;
use super::super::state::AppState;
use super::super::widgets::dendrogram::{DendrogramState, TreeLayout};
use super::super::widgets::heatmap::Strip;
use crate::analysis::clustering::dbscan::DbscanParams;
use crate::analysis::clustering::hierarchical::Method;
use crate::analysis::clustering::kmeans::{KMeans, KMeansParams};
use crate::analysis::distance::Metric;
use crate::data::Dataset;
use crate::data::annotations::{Annotation, AnnotationValues};
use crate::jobs::{Job, JobError, Poll};
use crate::palette;
use crate::recipes::clusters::{self as recipe, ClusterSettings};

pub use crate::recipes::clusters::{ClusterMethod, MAX_SILHOUETTE};

/// A finished run of one method.
enum Outcome {
    Tree(Arc<TreeLayout>),
    KMeans { fit: KMeans, elbow: Vec<(usize, f64)> },
    Dbscan { labels: Vec<Option<usize>>, k_distances: Vec<f64> },
    Communities(recipe::Communities),
}

/// What a run was for.
#[derive(Debug, Clone, PartialEq)]
enum RunKey {
    Tree(u64, Method, Metric),
    KMeans(u64, KMeansParams, usize),
    Dbscan(u64, DbscanParams, Metric),
    /// Leiden (`true`) or Louvain on the graph.
    Graph(u64, crate::recipes::neighbors::GraphSettings, recipe::CommunitySettings, bool),
}

/// Cluster of each sample (`None`: noise).
type Labels = Vec<Option<usize>>;
/// Silhouette width of each sample (`None`: noise).
type Widths = Vec<Option<f64>>;

/// State of the Clusters view.
pub struct ClustersView {
    /// What is shown and its parameters (saved with a session as they are).
    pub settings: ClusterSettings,
    job: Option<(RunKey, Job<Outcome>)>,
    attempted: Option<RunKey>,
    results: Vec<(RunKey, Arc<Outcome>)>,
    error: Option<String>,
    silhouette_job: Option<(Labels, Job<Widths>)>,
    silhouette: Option<(Labels, Widths)>,
    published: Vec<(ClusterMethod, Vec<Option<usize>>)>,
    dendrogram: DendrogramState,
    /// Where the cut line was last drawn (screen y).
    pub cut_line_y: Option<f32>,
    /// CSV export of the labels and the merge list.
    pub tables: super::table_export::TableExport,
    /// The matrix generation shown.
    generation: Option<u64>,
    /// "Export figure…": the method's plot or the silhouettes.
    pub figure: super::figure_export::FigureExport,
}

impl Default for ClustersView {
    fn default() -> Self {
        Self {
            settings: ClusterSettings::default(),
            job: None,
            attempted: None,
            results: Vec::new(),
            error: None,
            silhouette_job: None,
            silhouette: None,
            published: Vec::new(),
            dendrogram: DendrogramState::default(),
            cut_line_y: None,
            tables: super::table_export::TableExport::default(),
            generation: None,
            figure: super::figure_export::FigureExport::with_choices("clusters", vec!["dendrogram", "silhouette"]),
        }
    }
}

impl ClustersView {
    /// True while a job runs.
    pub fn is_running(&self) -> bool {
        self.job.is_some() || self.silhouette_job.is_some()
    }

    /// The tree shown, once computed.
    pub fn tree(&self) -> Option<Arc<TreeLayout>> {
        self.results.iter().rev().find_map(|(_, o)| match &**o {
            Outcome::Tree(t) => Some(Arc::clone(t)),
            _ => None,
        })
    }

    /// The labels shown for the current method (`None` until computed).
    pub fn labels(&self) -> Option<Vec<Option<usize>>> {
        let outcome = self.current_outcome()?;
        Some(match &*outcome {
            Outcome::Tree(layout) => {
                // A k asked for gives exactly k clusters even where merge heights tie.
                self.settings.cut(layout.tree()).into_iter().map(Some).collect()
            }
            Outcome::KMeans { fit, .. } => fit.labels.iter().map(|&c| Some(c)).collect(),
            Outcome::Dbscan { labels, .. } => labels.clone(),
            Outcome::Communities(c) => c.labels.iter().map(|&l| Some(l)).collect(),
        })
    }

    /// The silhouette widths of the labels shown, once computed.
    pub fn silhouette_widths(&self) -> Option<&[Option<f64>]> {
        self.widths_for(&self.labels()?)
    }

    /// The silhouette widths of `labels`, if they are the ones computed.
    fn widths_for(&self, labels: &[Option<usize>]) -> Option<&[Option<f64>]> {
        self.silhouette.as_ref().filter(|(l, _)| l == labels).map(|(_, w)| w.as_slice())
    }

    fn key(&self, generation: u64) -> RunKey {
        match self.settings.method {
            ClusterMethod::Hierarchical => {
                RunKey::Tree(generation, self.settings.linkage, self.settings.effective_metric())
            }
            ClusterMethod::KMeans => RunKey::KMeans(generation, self.settings.kmeans.clone(), self.settings.elbow_max),
            ClusterMethod::Dbscan => RunKey::Dbscan(generation, self.settings.dbscan, self.settings.metric),
            ClusterMethod::Leiden | ClusterMethod::Louvain => RunKey::Graph(
                generation,
                self.settings.graph.clone(),
                self.settings.communities,
                self.settings.method == ClusterMethod::Leiden,
            ),
        }
    }

    fn current_outcome(&self) -> Option<Arc<Outcome>> {
        let kind = |k: &RunKey| match k {
            RunKey::Tree(..) => ClusterMethod::Hierarchical,
            RunKey::KMeans(..) => ClusterMethod::KMeans,
            RunKey::Dbscan(..) => ClusterMethod::Dbscan,
            RunKey::Graph(.., true) => ClusterMethod::Leiden,
            RunKey::Graph(.., false) => ClusterMethod::Louvain,
        };
        let generation = |k: &RunKey| match k {
            RunKey::Tree(g, ..) | RunKey::KMeans(g, ..) | RunKey::Dbscan(g, ..) | RunKey::Graph(g, ..) => *g,
        };
        // Only outcomes of the current matrix: older ones index other samples.
        self.results
            .iter()
            .rev()
            .find(|(k, _)| kind(k) == self.settings.method && Some(generation(k)) == self.generation)
            .map(|(_, o)| Arc::clone(o))
    }

    /// True when the last run for the current settings ended without a result (cancelled).
    fn needs_rerun(&self) -> bool {
        self.job.is_none() && self.attempted.as_ref().is_some_and(|a| !self.results.iter().any(|(k, _)| k == a))
    }

    /// Takes finished runs and silhouettes and publishes new labels (also while the view is
    /// not shown).
    pub fn poll(&mut self, state: &AppState, commands: &mut Vec<Command>) {
        if let Some((key, job)) = &mut self.job
            && let Poll::Done(result) = job.poll()
        {
            let key = key.clone();
            self.job = None;
            match result {
                Ok(outcome) => {
                    let had_tree = self.results.iter().any(|(k, _)| matches!(k, RunKey::Tree(..)));
                    self.results.retain(|(k, _)| std::mem::discriminant(k) != std::mem::discriminant(&key));
                    // A new tree's heights differ: its cut starts from k again. The first tree
                    // keeps the cut it was given (a session's).
                    if matches!(outcome, Outcome::Tree(_)) && had_tree {
                        self.settings.cut = None;
                    }
                    self.results.push((key, Arc::new(outcome)));
                }
                Err(JobError::Cancelled) => {}
                Err(err) => self.error = Some(err.to_string()),
            }
        }
        if let Some((labels, job)) = &mut self.silhouette_job
            && let Poll::Done(result) = job.poll()
        {
            let labels = std::mem::take(labels);
            self.silhouette_job = None;
            // A failure (e.g. missing values) is remembered as no widths, not retried every frame.
            let widths = result.unwrap_or_else(|_| vec![None; labels.len()]);
            self.silhouette = Some((labels, widths));
        }
        let Some(current) = &state.current else { return };
        self.generation = Some(current.matrix_generation);
        self.publish_and_score(state, commands);
    }

    /// Starts a run when the data or the method's parameters changed (the app polls every
    /// view each frame before drawing: [`super::View::poll`]).
    fn update(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        let key = self.key(current.matrix_generation);
        if self.job.is_none() && self.attempted.as_ref() != Some(&key) && current.dataset.n_samples() >= 2 {
            self.start(state, key);
        }
    }

    fn start(&mut self, state: &AppState, key: RunKey) {
        let Some(current) = &state.current else { return };
        let matrix = current.dataset.values().clone();
        let dataset = Arc::clone(&current.dataset);
        let graphs = Arc::clone(&state.graphs);
        let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
        let job_key = key.clone();
        let job = Job::spawn("clustering", waker, move |ctx| {
            crate::recipes::in_job(ctx, |ctx| match job_key {
                RunKey::Tree(_, method, metric) => {
                    let tree = recipe::tree(matrix.dense()?.view(), method, metric, ctx)?;
                    Ok(Outcome::Tree(Arc::new(TreeLayout::new(Arc::new(tree)))))
                }
                RunKey::KMeans(_, params, elbow_max) => {
                    let (fit, elbow) = recipe::kmeans_with_elbow(matrix.dense()?.view(), &params, elbow_max, ctx)?;
                    Ok(Outcome::KMeans { fit, elbow })
                }
                RunKey::Dbscan(_, params, metric) => {
                    let (labels, k_distances) = recipe::dbscan_with_curve(matrix.dense()?.view(), params, metric, ctx)?;
                    Ok(Outcome::Dbscan { labels, k_distances })
                }
                RunKey::Graph(generation, graph, settings, refine) => {
                    // The graph the UMAP view built, when it is the same.
                    let started = std::time::Instant::now();
                    let graph = recipe::community_graph(&graph, &settings);
                    let built = graphs.get_or_build(generation, &dataset, &graph, ctx)?;
                    let seconds = started.elapsed().as_secs_f64();
                    Ok(Outcome::Communities(recipe::partition(&built, &settings, refine, seconds, ctx)?))
                }
            })
        });
        self.job = Some((key.clone(), job));
        self.attempted = Some(key);
        self.error = None;
    }

    /// Publishes changed labels as an annotation, and starts their silhouettes.
    fn publish_and_score(&mut self, state: &AppState, commands: &mut Vec<Command>) {
        let Some(current) = &state.current else { return };
        let Some(labels) = self.labels() else { return };
        if labels.len() != current.dataset.n_samples() {
            return;
        }
        let dragging = self.settings.method == ClusterMethod::Hierarchical && self.dendrogram_dragging();
        let already = self.published.iter().any(|(m, l)| *m == self.settings.method && *l == labels);
        if !dragging && !already && state.can_annotate() {
            self.published.retain(|(m, _)| *m != self.settings.method);
            self.published.push((self.settings.method, labels.clone()));
            commands.push(Command::SetAnnotation(cluster_annotation(self.settings.method.annotation_name(), &labels)));
        }
        let known = self.silhouette.as_ref().is_some_and(|(l, _)| *l == labels)
            || self.silhouette_job.as_ref().is_some_and(|(l, _)| *l == labels);
        let n = labels.len();
        if !dragging && !known && n <= MAX_SILHOUETTE {
            let matrix = current.dataset.values().clone();
            let metric = self.settings.effective_metric();
            let job_labels = labels.clone();
            let waker = state.waker.clone().unwrap_or_else(crate::jobs::no_waker);
            let job = Job::spawn("silhouette", waker, move |ctx| {
                crate::recipes::in_job(ctx, |ctx| recipe::silhouettes(matrix.dense()?.view(), &job_labels, metric, ctx))
            });
            self.silhouette_job = Some((labels, job));
        }
    }

    fn dendrogram_dragging(&self) -> bool {
        self.dendrogram.is_dragging_cut()
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.update(state);
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset to cluster its samples."));
            return;
        };
        let dataset = &current.dataset;
        egui::Panel::top("clusters_toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                self.controls_ui(ui, dataset);
                if self.current_outcome().is_some() {
                    ui.separator();
                    if ui.button("Export figure…").on_hover_text("SVG, PNG or PDF at a chosen size").clicked() {
                        self.figure.open = true;
                    }
                }
            });
        });
        self.export_figure(ui.ctx(), dataset);
        egui::Panel::right("clusters_side")
            .resizable(true)
            .default_size(ui.text_style_height(&egui::TextStyle::Body) * 30.0)
            .show(ui, |ui| {
                egui::ScrollArea::both()
                    .auto_shrink([false, true])
                    .id_salt("clusters_side_scroll")
                    .show(ui, |ui| self.side_ui(ui, dataset));
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, format!("Cannot cluster: {err}"));
                let genes = state.current.as_ref().map_or(0, |c| c.dataset.n_genes());
                let offer = crate::recipes::subset_offer(self.settings.memory(), genes).min(MAX_SILHOUETTE);
                super::subset_offer_ui(ui, state, offer, commands);
                return;
            }
            let Some(outcome) = self.current_outcome() else {
                ui.centered_and_justified(|ui| {
                    ui.spinner();
                });
                return;
            };
            match &*outcome {
                Outcome::Tree(layout) if layout.tree().n == dataset.n_samples() => {
                    self.dendrogram_view_ui(ui, layout, dataset, &state.selection.samples, commands);
                }
                Outcome::KMeans { elbow, .. } => self.elbow_ui(ui, elbow),
                Outcome::Dbscan { k_distances, .. } => self.k_distance_ui(ui, k_distances),
                Outcome::Communities(c) => self.communities_ui(ui, c),
                Outcome::Tree(_) => {
                    ui.spinner();
                }
            }
        });
    }
}

impl ClustersView {
    /// Builds and writes the figure the export window asks for.
    fn export_figure(&mut self, ctx: &egui::Context, dataset: &Dataset) {
        let main = match self.settings.method {
            ClusterMethod::Hierarchical => "dendrogram",
            ClusterMethod::KMeans => "elbow",
            ClusterMethod::Dbscan => "k-distance",
            ClusterMethod::Leiden | ClusterMethod::Louvain => "cluster sizes",
        };
        self.figure.choices[0] = main;
        self.figure.window_ui(ctx, "clusters_figure");
        if !self.figure.requested {
            return;
        }
        let Some(outcome) = self.current_outcome() else { return };
        let Some(labels) = self.labels().filter(|l| l.len() == dataset.n_samples()) else { return };
        let title = |what: &str| format!("{} — {what}", dataset.name);
        let figure = if self.figure.wants(1) {
            let Some(widths) = self.widths_for(&labels) else {
                self.figure.requested = false;
                self.figure.last = Some(Err("The silhouettes are still being computed.".to_owned()));
                return;
            };
            let widths: Vec<f64> = widths.iter().map(|w| w.unwrap_or(f64::NAN)).collect();
            crate::export::plots::silhouette(&title("silhouettes"), &labels, &widths)
        } else {
            match &*outcome {
                Outcome::Tree(layout) => {
                    let tree = layout.tree();
                    let strip =
                        self.compare_name(dataset).and_then(|n| dataset.annotations().iter().find(|a| a.name == n));
                    let strip = strip.map(crate::export::plots::Strip::of);
                    let metric = self.settings.effective_metric();
                    let height = format!("{} linkage height ({})", self.settings.linkage.name(), metric.label());
                    crate::export::plots::Dendrogram {
                        title: &title("dendrogram"),
                        tree,
                        height_label: &height,
                        clusters: Some(&labels),
                        cut: Some(self.settings.cut.unwrap_or_else(|| tree.height_for_k(self.settings.k))),
                        names: dataset.sample_ids(),
                        strip: strip.as_ref(),
                    }
                    .figure()
                }
                Outcome::KMeans { elbow, .. } => {
                    crate::export::plots::elbow(&title("k-means elbow"), elbow, self.settings.kmeans.k)
                }
                Outcome::Dbscan { k_distances, .. } => {
                    let k = self.settings.dbscan.min_samples.saturating_sub(1).max(1);
                    crate::export::plots::k_distance(
                        &title("DBSCAN k-distance"),
                        k_distances,
                        k,
                        self.settings.dbscan.eps,
                    )
                }
                Outcome::Communities(c) => {
                    let name = if self.settings.method == ClusterMethod::Leiden { "Leiden" } else { "Louvain" };
                    crate::export::plots::cluster_sizes(&title(&format!("{name} clusters")), &c.labels)
                }
            }
        };
        let ctx = ctx.clone();
        self.figure.start(figure, Arc::new(move || ctx.request_repaint()));
    }
}

/// The colour of cluster `c` (as every view colours that annotation's class `c`).
pub fn cluster_colour(c: usize, dark_mode: bool) -> Color32 {
    let rgb = if dark_mode { palette::categorical_on_dark(c) } else { palette::categorical(c) };
    Color32::from_rgb(rgb[0], rgb[1], rgb[2])
}

/// Labels as a categorical annotation: classes "1", "2", … in cluster order, then "noise".
pub fn cluster_annotation(name: &str, labels: &[Option<usize>]) -> Annotation {
    let k = labels.iter().flatten().max().map_or(0, |m| m + 1);
    let has_noise = labels.iter().any(Option::is_none);
    let mut levels: Vec<String> = (1..=k).map(|c| c.to_string()).collect();
    if has_noise {
        levels.push("noise".to_owned());
    }
    let codes = labels.iter().map(|l| Some(l.map_or(k as u32, |c| c as u32))).collect();
    Annotation { name: name.to_owned(), values: AnnotationValues::Categorical { levels, codes } }
}

/// A strip of the annotation `name`, if it exists.
pub fn annotation_strip(dataset: &Dataset, name: &str, dark_mode: bool) -> Option<Strip> {
    let a = dataset.annotations().iter().find(|a| a.name == name)?;
    Some(Strip::of_on(a, dark_mode))
}

/// The classes of a categorical annotation with their colours, in a row.
pub fn legend_ui(ui: &mut egui::Ui, dataset: &Dataset, name: &str) {
    let Some(AnnotationValues::Categorical { levels, .. }) =
        dataset.annotations().iter().find(|a| a.name == name).map(|a| &a.values)
    else {
        return;
    };
    let dark = ui.visuals().dark_mode;
    ui.label(egui::RichText::new(format!("{name}:")).weak());
    for (k, level) in levels.iter().enumerate().take(40) {
        ui.label(egui::RichText::new(format!("⏺ {level}")).color(cluster_colour(k, dark)));
    }
}

/// The samples of a selection gesture, as the set `Command::Select` takes.
fn selection(samples: Vec<usize>) -> Vec<usize> {
    samples.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

impl super::View for ClustersView {
    fn title(&self) -> &'static str {
        "Clusters"
    }

    fn poll(&mut self, state: &AppState, commands: &mut Vec<Command>) {
        ClustersView::poll(self, state, commands);
    }

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        ClustersView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        self.is_running()
    }

    fn save(&self, views: &mut crate::session::Views) {
        views.clusters = self.settings.clone();
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.settings = views.clusters.clone();
    }
}

mod panels;
