//! The Clusters view's toolbar, side panel and central plots.

use std::collections::BTreeSet;
use std::sync::Arc;

use eframe::egui::{self, RichText};
use egui_plot::{HLine, Line, Plot, PlotPoints, Points, VLine};

use super::super::super::commands::Command;
use super::super::super::widgets::cluster_plots::{contingency_ui, silhouette_ui};
use super::super::super::widgets::dendrogram::{DendrogramDecor, TreeLayout, dendrogram_ui};
use super::{ClusterMethod, ClustersView, MAX_SILHOUETTE, annotation_strip, cluster_colour, selection};
use crate::analysis::clustering::hierarchical::Method;
use crate::analysis::clustering::quality::{adjusted_rand_index, contingency};
use crate::analysis::distance::Metric;
use crate::data::Dataset;
use crate::data::annotations::{AnnotationValues, format_number};

impl ClustersView {
    pub(super) fn controls_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset) {
        ui.selectable_value(
            &mut self.settings.method,
            ClusterMethod::Hierarchical,
            RichText::new("Hierarchical").strong(),
        );
        ui.selectable_value(&mut self.settings.method, ClusterMethod::KMeans, RichText::new("k-means").strong());
        ui.selectable_value(&mut self.settings.method, ClusterMethod::Dbscan, RichText::new("DBSCAN").strong());
        ui.selectable_value(&mut self.settings.method, ClusterMethod::Leiden, RichText::new("Leiden").strong())
            .on_hover_text("Communities of the neighbour graph (scanpy's sc.tl.leiden)");
        ui.selectable_value(&mut self.settings.method, ClusterMethod::Louvain, RichText::new("Louvain").strong())
            .on_hover_text("Communities of the neighbour graph without Leiden's refinement");
        ui.separator();
        let n = dataset.n_samples().max(1);
        match self.settings.method {
            ClusterMethod::Hierarchical => {
                ui.label("Linkage");
                egui::ComboBox::from_id_salt("clusters_linkage").selected_text(self.settings.linkage.name()).show_ui(
                    ui,
                    |ui| {
                        for method in Method::ALL {
                            ui.selectable_value(&mut self.settings.linkage, method, method.name());
                        }
                    },
                );
                let euclidean_only = self.settings.linkage.requires_euclidean();
                ui.add_enabled_ui(!euclidean_only, |ui| self.metric_ui(ui))
                    .response
                    .on_disabled_hover_text("Ward, centroid and median linkage need Euclidean distances (as in SciPy)");
                ui.label("Clusters");
                let before = self.settings.k;
                ui.add(egui::DragValue::new(&mut self.settings.k).range(1..=n.min(100)));
                if self.settings.k != before {
                    self.settings.cut = None;
                }
                ui.label(RichText::new("or drag the cut line").weak());
            }
            ClusterMethod::KMeans => {
                ui.label("k");
                ui.add(egui::DragValue::new(&mut self.settings.kmeans.k).range(1..=n.min(100)));
                ui.label("Seedings");
                ui.add(egui::DragValue::new(&mut self.settings.kmeans.n_init).range(1..=100));
                ui.label("Max iterations");
                ui.add(egui::DragValue::new(&mut self.settings.kmeans.max_iter).range(1..=10_000));
                ui.label("Seed");
                ui.add(egui::DragValue::new(&mut self.settings.kmeans.seed));
                ui.label("Elbow up to k =");
                ui.add(egui::DragValue::new(&mut self.settings.elbow_max).range(2..=n.min(50)));
            }
            ClusterMethod::Dbscan => {
                self.metric_ui(ui);
                ui.label("eps");
                ui.add(
                    egui::DragValue::new(&mut self.settings.dbscan.eps)
                        .range(0.0..=f64::MAX)
                        .speed(0.01)
                        .max_decimals(4),
                );
                ui.label("Min samples");
                ui.add(egui::DragValue::new(&mut self.settings.dbscan.min_samples).range(1..=n));
                ui.label(RichText::new("or click the k-distance curve").weak());
            }
            ClusterMethod::Leiden | ClusterMethod::Louvain => self.graph_controls_ui(ui, n, dataset),
        }
        // A separator only before something (the toolbar adds its own before the export).
        if let Some((_, job)) = &self.job {
            ui.separator();
            if super::super::job_progress_ui(ui, job) {
                self.job = None;
            }
        } else if self.needs_rerun() {
            ui.separator();
            if ui.button("Run").on_hover_text("The last run was cancelled").clicked() {
                self.attempted = None;
            }
        }
    }

    fn metric_ui(&mut self, ui: &mut egui::Ui) {
        ui.label("Metric");
        egui::ComboBox::from_id_salt("clusters_metric").selected_text(self.settings.metric.label()).show_ui(ui, |ui| {
            for metric in Metric::ALL {
                ui.selectable_value(&mut self.settings.metric, metric, metric.label());
            }
        });
    }

    /// The annotation clusters are compared with.
    pub(super) fn compare_name(&self, dataset: &Dataset) -> Option<String> {
        self.settings.compare_name(dataset)
    }

    pub(super) fn side_ui(&mut self, ui: &mut egui::Ui, dataset: &Dataset) {
        let dark = ui.visuals().dark_mode;
        let Some(labels) = self.labels().filter(|l| l.len() == dataset.n_samples()) else {
            let text = if self.is_running() { "computing…" } else { "no clusters" };
            ui.label(RichText::new(text).weak());
            return;
        };
        let k = labels.iter().flatten().max().map_or(0, |m| m + 1);
        let noise = labels.iter().filter(|l| l.is_none()).count();
        ui.heading(format!("{k} clusters"));
        ui.label(
            RichText::new(format!("Every view can colour by '{}'.", self.settings.method.annotation_name())).weak(),
        );
        ui.horizontal_wrapped(|ui| {
            for c in 0..k {
                let size = labels.iter().filter(|l| **l == Some(c)).count();
                ui.label(RichText::new(format!("⏺ {} ({size})", c + 1)).color(cluster_colour(c, dark)));
            }
            if noise > 0 {
                ui.label(RichText::new(format!("⏺ noise ({noise})")).color(cluster_colour(k, dark)));
            }
        });
        if let super::Outcome::KMeans { fit, .. } = self
            .current_outcome()
            .as_deref()
            .unwrap_or(&super::Outcome::Dbscan { labels: Vec::new(), k_distances: Vec::new() })
        {
            ui.label(format!("inertia {} after {} iterations", format_number(fit.inertia), fit.iterations));
        }
        ui.separator();
        self.tables.status_ui(ui);
        ui.horizontal_wrapped(|ui| {
            let file = format!("{}.csv", self.settings.method.annotation_name().replace(' ', "_"));
            self.tables.button_ui(ui, "Cluster labels (CSV)", &file, || {
                let (ids, rows) = (dataset.sample_ids().to_vec(), labels.clone());
                move |w| crate::export::csv::write_labels(w, &ids, &rows)
            });
            if self.settings.method == ClusterMethod::Hierarchical
                && let Some(layout) = self.tree()
            {
                self.tables.button_ui(ui, "Merge list, SciPy layout (CSV)", "linkage.csv", || {
                    let tree = Arc::clone(layout.tree());
                    move |w| crate::export::csv::write_merges(w, &tree.merges)
                });
            }
        });
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("Compare with");
            let current = self.compare_name(dataset).unwrap_or_else(|| "nothing".to_owned());
            egui::ComboBox::from_id_salt("clusters_compare").selected_text(current).show_ui(ui, |ui| {
                ui.selectable_value(&mut self.settings.compare, Some(String::new()), "nothing");
                for a in dataset.annotations() {
                    if matches!(a.values, AnnotationValues::Categorical { .. }) {
                        ui.selectable_value(&mut self.settings.compare, Some(a.name.clone()), &a.name);
                    }
                }
            });
        });
        if let Some(name) = self.compare_name(dataset) {
            ui.horizontal_wrapped(|ui| super::legend_ui(ui, dataset, &name));
        }
        if let Some(name) = self.compare_name(dataset)
            && let Some(AnnotationValues::Categorical { levels, codes }) =
                dataset.annotations().iter().find(|a| a.name == name).map(|a| &a.values)
        {
            // Noise is its own class here, as in the annotation.
            let clusters: Vec<Option<usize>> = labels.iter().map(|l| Some(l.unwrap_or(k))).collect();
            let classes: Vec<Option<usize>> = codes.iter().map(|c| c.map(|c| c as usize)).collect();
            let table = contingency(&clusters, &classes);
            let ari = adjusted_rand_index(&table);
            ui.label(RichText::new(format!("adjusted Rand index {ari:.3}")).strong())
                .on_hover_text("1: the clusters are the classes; about 0: no better than chance");
            let mut names: Vec<String> = (1..=k).map(|c| c.to_string()).collect();
            if noise > 0 {
                names.push("noise".to_owned());
            }
            contingency_ui(ui, &table, &names, levels, &|c| cluster_colour(c, dark));
        }
        ui.separator();
        ui.label(RichText::new("Silhouette").strong());
        if labels.len() > MAX_SILHOUETTE {
            ui.label(
                RichText::new(format!("shown up to {MAX_SILHOUETTE} samples (it needs all pairwise distances)")).weak(),
            );
        } else if let Some(widths) = self.widths_for(&labels) {
            let widths = widths.to_vec();
            silhouette_ui(ui, &widths, &labels, &|c| cluster_colour(c, dark));
        } else {
            ui.spinner();
        }
    }

    pub(super) fn dendrogram_view_ui(
        &mut self,
        ui: &mut egui::Ui,
        layout: &Arc<TreeLayout>,
        dataset: &Dataset,
        selected: &BTreeSet<usize>,
        commands: &mut Vec<Command>,
    ) {
        let dark = ui.visuals().dark_mode;
        let tree = layout.tree();
        let cut = self.settings.cut.unwrap_or_else(|| tree.height_for_k(self.settings.k));
        let clusters = match self.settings.cut {
            Some(cut) => tree.cut_height(cut),
            None => tree.cut_k(self.settings.k),
        };
        let strips: Vec<_> =
            self.compare_name(dataset).and_then(|n| annotation_strip(dataset, &n, dark)).into_iter().collect();
        let ids = dataset.sample_ids();
        let is_selected = |i: usize| selected.contains(&i);
        let label = |i: usize| ids.get(i).cloned().unwrap_or_default();
        let colour = |c: usize| cluster_colour(c, dark);
        let decor = DendrogramDecor {
            clusters: &clusters,
            cluster_colour: &colour,
            strips: &strips,
            selected: &is_selected,
            label: &label,
        };
        let response = dendrogram_ui(ui, layout, cut, &mut self.dendrogram, &decor);
        self.cut_line_y = response.cut_y;
        if let Some(new_cut) = response.cut {
            self.settings.cut = Some(new_cut);
            self.settings.k = tree.clusters_at(new_cut);
        }
        if let Some((samples, mode)) = response.selection {
            commands.push(Command::Select { samples: selection(samples), mode });
        }
    }

    pub(super) fn elbow_ui(&mut self, ui: &mut egui::Ui, curve: &[(usize, f64)]) {
        ui.label(RichText::new("Elbow: inertia (within-cluster sum of squares) for each k — look for the bend").weak());
        let points: Vec<[f64; 2]> = curve.iter().map(|&(k, v)| [k as f64, v]).collect();
        let chosen = self.settings.kmeans.k as f64;
        let response = Plot::new("elbow")
            .x_axis_label("k (clusters)")
            .y_axis_label("inertia")
            .allow_scroll(false)
            .show(ui, |plot| {
                plot.line(Line::new("inertia", PlotPoints::from(points.clone())).width(2.0));
                plot.points(Points::new("k", PlotPoints::from(points.clone())).radius(4.0));
                plot.vline(VLine::new("chosen k", chosen).width(1.5));
                plot.pointer_coordinate()
            });
        if response.response.clicked()
            && let Some(p) = response.inner
        {
            self.settings.kmeans.k = (p.x.round().max(1.0) as usize).min(curve.len().max(1));
        }
    }

    /// Resolution, iterations, objective, seed and the graph (neighbours, and principal
    /// components or a stored embedding).
    fn graph_controls_ui(&mut self, ui: &mut egui::Ui, n: usize, dataset: &Dataset) {
        let c = &mut self.settings.communities;
        ui.label("Resolution");
        ui.add(egui::DragValue::new(&mut c.resolution).range(0.0..=50.0).speed(0.01).max_decimals(3))
            .on_hover_text("Larger: more, smaller clusters");
        ui.label("Iterations");
        ui.add(egui::DragValue::new(&mut c.iterations).range(1..=100));
        egui::ComboBox::from_id_salt("clusters_objective")
            .selected_text(match c.objective {
                crate::analysis::leiden::Objective::Modularity => "modularity",
                crate::analysis::leiden::Objective::Cpm => "CPM",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut c.objective, crate::analysis::leiden::Objective::Modularity, "modularity");
                ui.selectable_value(&mut c.objective, crate::analysis::leiden::Objective::Cpm, "CPM")
                    .on_hover_text("Constant Potts Model: resolution is a density, not relative to degree");
            });
        ui.label("Seed");
        ui.add(egui::DragValue::new(&mut c.seed));
        let g = &mut self.settings.graph;
        ui.label("Neighbours");
        ui.add(egui::DragValue::new(&mut g.neighbors).range(2..=n.clamp(2, 200)));
        ui.label("in");
        super::super::representation_ui(ui, "clusters_rep", dataset, g);
    }

    /// Leiden's or Louvain's result: the summary and the cluster sizes.
    pub(super) fn communities_ui(&mut self, ui: &mut egui::Ui, c: &crate::recipes::clusters::Communities) {
        let name = if self.settings.method == ClusterMethod::Leiden { "Leiden" } else { "Louvain" };
        ui.label(format!("{name}: {} clusters, modularity {:.4}, on the {}.", c.clusters, c.modularity, c.graph));
        let dark = ui.visuals().dark_mode;
        let mut sizes = vec![0usize; c.clusters];
        for &l in &c.labels {
            sizes[l] += 1;
        }
        let bars: Vec<egui_plot::Bar> = sizes
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                egui_plot::Bar::new((k + 1) as f64, s as f64).width(0.8).fill(super::cluster_colour(k, dark))
            })
            .collect();
        Plot::new("cluster_sizes")
            .x_axis_label("cluster")
            .y_axis_label("samples")
            .allow_scroll(false)
            .show(ui, |plot| plot.bar_chart(egui_plot::BarChart::new("sizes", bars)));
    }

    pub(super) fn k_distance_ui(&mut self, ui: &mut egui::Ui, distances: &[f64]) {
        let k = self.settings.dbscan.min_samples.saturating_sub(1).max(1);
        ui.label(
            RichText::new(format!(
                "Sorted distance of each sample to its {k}th nearest neighbour: samples below eps are core samples; \
                 choose eps at the knee (click the plot)"
            ))
            .weak(),
        );
        let points: Vec<[f64; 2]> = distances.iter().enumerate().map(|(i, &d)| [i as f64, d]).collect();
        let eps = self.settings.dbscan.eps;
        let response = Plot::new("k_distance")
            .x_axis_label("samples, sorted")
            .y_axis_label(format!("distance to neighbour {k}"))
            .allow_scroll(false)
            .show(ui, |plot| {
                plot.line(Line::new("k-distance", PlotPoints::from(points)).width(2.0));
                plot.hline(HLine::new("eps", eps).width(1.5));
                plot.pointer_coordinate()
            });
        if response.response.clicked()
            && let Some(p) = response.inner
        {
            self.settings.dbscan.eps = p.y.max(0.0);
        }
    }
}
