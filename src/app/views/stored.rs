//! The Embeddings view: the embeddings a single-cell file brought with it (`obsm`: `X_umap`,
//! `X_tsne`, `X_pca`, …), shown at once as scatters with nothing to compute; colour by any
//! annotation (in the file's own colours where it gave them) or gene, select, export.

use std::sync::Arc;

use eframe::egui;
use ndarray::Array2;

use super::super::commands::Command;
use super::super::state::AppState;
use super::embedding::EmbeddingPanel;
use crate::recipes::Colouring;

/// State of the Embeddings view.
#[derive(Default)]
pub struct StoredView {
    /// The embedding shown (its `obsm` key).
    pub key: Option<String>,
    /// The components on the axes (from 0).
    pub axes: (usize, usize),
    /// Point colours.
    pub colour_by: Colouring,
    /// Colouring, legend and scatter.
    pub panel: EmbeddingPanel,
    /// The coordinates shown, kept while the data and choice are the same (the scatter caches
    /// on their identity).
    shown: Option<Shown>,
    /// The dataset generation the default choices were made for.
    chosen_for: Option<u64>,
}

/// The coordinates on screen and what they were made for.
struct Shown {
    generation: u64,
    key: String,
    axes: (usize, usize),
    coords: Arc<Array2<f64>>,
}

/// The key shown first: UMAP, then t-SNE, then the first stored.
pub fn preferred(keys: &[String]) -> Option<String> {
    ["X_umap", "X_tsne", "X_draw_graph_fa", "X_pca"]
        .iter()
        .find_map(|k| keys.iter().find(|x| x.as_str() == *k).cloned())
        .or_else(|| keys.first().cloned())
}

/// How an `obsm` key reads on an axis: `X_umap` → `UMAP`.
fn axis_name(key: &str) -> String {
    let bare = key.strip_prefix("X_").unwrap_or(key);
    match bare {
        "umap" | "tsne" | "pca" => bare.to_uppercase().replace("TSNE", "t-SNE").replace("PCA", "PC"),
        other => other.to_owned(),
    }
}

impl StoredView {
    /// Picks the embedding and a colouring when a new dataset arrives: the preferred key, and
    /// the first categorical annotation the file gave colours for.
    fn choose_defaults(&mut self, state: &AppState) {
        let Some(current) = &state.current else { return };
        if self.chosen_for == Some(current.generation) {
            return;
        }
        self.chosen_for = Some(current.generation);
        let keys: Vec<String> = current.dataset.raw().single_cell().embeddings.iter().map(|e| e.name.clone()).collect();
        if self.key.as_ref().is_none_or(|k| !keys.contains(k)) {
            self.key = preferred(&keys);
            self.axes = (0, 1);
        }
        if self.colour_by == Colouring::Nothing
            && let Some(c) = current.dataset.raw().single_cell().colours.first()
        {
            self.colour_by = Colouring::Annotation(c.annotation.clone());
        }
    }

    fn coords(&mut self, state: &AppState) -> Option<Arc<Array2<f64>>> {
        let current = state.current.as_ref()?;
        let key = self.key.clone()?;
        if let Some(shown) = &self.shown
            && shown.generation == current.generation
            && shown.key == key
            && shown.axes == self.axes
        {
            return Some(Arc::clone(&shown.coords));
        }
        let embedding = current.dataset.raw().single_cell().embeddings.iter().find(|e| e.name == key)?;
        let rows = current.dataset.raw_rows();
        let (a, b) = self.axes;
        if a >= embedding.coords.ncols() || b >= embedding.coords.ncols() {
            return None;
        }
        let coords = Arc::new(Array2::from_shape_fn((rows.len(), 2), |(i, c)| {
            embedding.coords[[rows[i], if c == 0 { a } else { b }]]
        }));
        self.shown = Some(Shown { generation: current.generation, key, axes: self.axes, coords: Arc::clone(&coords) });
        Some(coords)
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        self.choose_defaults(state);
        let Some(current) = &state.current else {
            ui.centered_and_justified(|ui| ui.label("Open a dataset to see its stored embeddings."));
            return;
        };
        let embeddings = &current.dataset.raw().single_cell().embeddings;
        if embeddings.is_empty() {
            ui.centered_and_justified(|ui| {
                ui.label(
                    "This dataset brought no embeddings with it. Single-cell files (h5ad, Loom) often \
                     hold UMAP or t-SNE coordinates (obsm): they appear here when opened.",
                )
            });
            return;
        }
        egui::Panel::top("stored_toolbar").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Embedding");
                let shown = self.key.clone().unwrap_or_default();
                egui::ComboBox::from_id_salt("stored_key").selected_text(&shown).show_ui(ui, |ui| {
                    for e in embeddings {
                        let label = format!("{} ({} dimensions)", e.name, e.coords.ncols());
                        if ui.selectable_label(self.key.as_deref() == Some(e.name.as_str()), label).clicked() {
                            self.key = Some(e.name.clone());
                            self.axes = (0, 1);
                        }
                    }
                });
                if let Some(e) = embeddings.iter().find(|e| Some(&e.name) == self.key.as_ref())
                    && e.coords.ncols() > 2
                {
                    let max = e.coords.ncols();
                    ui.label("axes");
                    let (mut a, mut b) = (self.axes.0 + 1, self.axes.1 + 1);
                    ui.add(egui::DragValue::new(&mut a).range(1..=max));
                    ui.add(egui::DragValue::new(&mut b).range(1..=max));
                    self.axes = (a - 1, b - 1);
                }
                ui.separator();
                self.panel.colouring_ui(ui, &current.dataset, &mut self.colour_by);
                ui.separator();
                self.panel.tools_ui(ui, state.selection.samples.len(), commands);
            });
        });
        let body = ui.text_style_height(&egui::TextStyle::Body);
        egui::Panel::right("stored_side")
            .resizable(true)
            .default_size(body * 16.0)
            .min_size(self.panel.legend_width(ui).max(body * 6.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("stored_side_scroll").show(ui, |ui| self.panel.legend_ui(ui));
            });
        let Some(coords) = self.coords(state) else { return };
        let key = self.key.clone().unwrap_or_default();
        let name = axis_name(&key);
        let labels = (format!("{name} {}", self.axes.0 + 1), format!("{name} {}", self.axes.1 + 1));
        egui::CentralPanel::default().show(ui, |ui| {
            if self.panel.export.is_none() {
                self.panel.export = Some(super::figure_export::FigureExport::new("embedding"));
            }
            self.panel.figure_title = format!("{} — {key}", current.dataset.name);
            let _ = self.panel.scatter_ui(
                ui,
                &coords,
                &current.dataset,
                current.generation,
                &self.colour_by,
                &state.selection.samples,
                (&labels.0, &labels.1),
                commands,
            );
        });
    }
}

impl super::View for StoredView {
    fn title(&self) -> &'static str {
        "Embeddings"
    }

    fn poll(&mut self, _state: &AppState, _commands: &mut Vec<Command>) {}

    fn ui(&mut self, ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
        StoredView::ui(self, ui, state, commands);
    }

    fn is_busy(&self) -> bool {
        false
    }

    fn save(&self, views: &mut crate::session::Views) {
        views.embeddings = crate::session::StoredSettings {
            key: self.key.clone(),
            axes: self.axes,
            colour_by: self.colour_by.clone(),
        };
    }

    fn restore(&mut self, views: &crate::session::Views) {
        self.key.clone_from(&views.embeddings.key);
        self.axes = views.embeddings.axes;
        self.colour_by = views.embeddings.colour_by.clone();
        self.chosen_for = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umap_is_preferred_and_axes_read_well() {
        let keys = vec!["X_pca".to_owned(), "X_umap".to_owned()];
        assert_eq!(preferred(&keys).as_deref(), Some("X_umap"));
        assert_eq!(preferred(&["X_custom".to_owned()]).as_deref(), Some("X_custom"));
        assert_eq!(axis_name("X_umap"), "UMAP");
        assert_eq!(axis_name("X_tsne"), "t-SNE");
        assert_eq!(axis_name("X_pca"), "PC");
    }
}
