//! Sessions in the app: *File ▸ Save session…* gathers the data files, the pipeline, every
//! view's settings, the annotations made from selections and the selection into a
//! [`crate::session::Session`]; *File ▸ Open session…* checks the files (asking for a moved
//! file's new place, and for agreement when one changed), opens the data with the saved
//! pipeline, sets every view, then re-adds the made annotations and the selection — the views
//! recompute from there with the saved parameters and seeds. A bad or newer session file is an
//! error notice; the current session is untouched.

use std::path::{Path, PathBuf};

use eframe::egui;

use super::BiolensApp;
use super::Tab;
use super::commands::Command;
use crate::data::{LoadOptions, OpenRequest};
use crate::session::{DataSource, FileCheck, FileRef, MadeAnnotation, Session, Views};

/// What opening a session waits for.
pub struct SessionPrompt {
    /// The session read.
    pub session: Session,
    /// Its file.
    pub file: PathBuf,
    /// The file being asked about (index: 0 the matrix, then the annotation files).
    pub asking: usize,
    /// What is wrong with it.
    pub problem: FileCheck,
    /// The new location typed or chosen.
    pub new_path: String,
}

/// What to apply once the session's dataset is open.
#[derive(Debug, Default)]
#[allow(clippy::struct_excessive_bools)] // the steps of a restore, each done or not
pub struct PendingRestore {
    /// Annotations made from selections, still to add.
    pub made: Vec<MadeAnnotation>,
    /// The selection, by sample id.
    pub selection: Vec<String>,
    /// The selection was applied.
    pub selected: bool,
    /// Run the classifiers again (they had been run).
    pub classify: bool,
    /// Run the grid search again once they are done.
    pub search: bool,
}

fn file_refs(paths: &[&Path]) -> Result<Vec<FileRef>, String> {
    paths.iter().map(|p| FileRef::of(p).map_err(|e| e.to_string())).collect()
}

impl BiolensApp {
    /// The current session (the data files are hashed: call on a click, not every frame).
    pub fn session(&self) -> Result<Session, String> {
        let current = self.state.current.as_ref().ok_or("Open a dataset first: a session starts from its data.")?;
        let source = &current.dataset.source;
        let matrix = source.matrix.as_deref().ok_or("This dataset was not read from a file: nothing to save.")?;
        let mut paths: Vec<&Path> = vec![matrix];
        paths.extend(source.annotations.iter().map(PathBuf::as_path));
        let mut files = file_refs(&paths)?;
        let matrix_ref = files.remove(0);
        let data = DataSource {
            matrix: matrix_ref,
            annotations: files,
            // The orientation the user chose (the last open of this file remembers it).
            orientation: self
                .state
                .settings
                .last_opened
                .as_ref()
                .filter(|r| r.matrix == matrix)
                .and_then(|r| r.orientation),
            name: Some(current.dataset.name.clone()),
        };
        let mut session = Session::new(data, current.dataset.pipeline().clone());
        session.made_annotations.clone_from(&self.made);
        let ids = current.dataset.sample_ids();
        session.selection = self.state.selection.samples.iter().filter_map(|&i| ids.get(i).cloned()).collect();
        session.views = self.views_settings();
        Ok(session)
    }

    fn views_settings(&self) -> Views {
        let mut v = Views { tab: self.tab.title().to_owned(), ..Views::default() };
        let pca = &self.pca_view;
        v.pca.params = pca.params.clone();
        v.pca.axes = (pca.x_pc, pca.y_pc);
        v.pca.loadings_pc = pca.loadings_pc;
        v.pca.biplot_genes = pca.biplot_genes;
        v.pca.colour_by = pca.panel.color_by.clone();
        v.tsne.params = self.tsne_view.params.clone();
        v.tsne.colour_by = self.tsne_view.panel.color_by.clone();
        let d = &self.distance_map_view;
        v.distance_map.metric = d.metric;
        v.distance_map.order = d.order.clone();
        v.distance_map.strip.clone_from(&d.strip);
        v.distance_map.reversed = d.reversed;
        let c = &self.clusters_view;
        v.clusters.method = c.method;
        v.clusters.linkage = c.linkage;
        v.clusters.metric = c.metric;
        v.clusters.k = c.k;
        v.clusters.cut = c.cut;
        v.clusters.kmeans = c.kmeans.clone();
        v.clusters.elbow_max = c.elbow_max;
        v.clusters.dbscan = c.dbscan;
        v.clusters.compare.clone_from(&c.compare);
        let h = &self.heatmap_view;
        v.heatmap.top_genes = h.top_genes;
        v.heatmap.method = h.method;
        v.heatmap.metric = h.metric;
        v.heatmap.range = h.range;
        v.heatmap.strip.clone_from(&h.strip);
        let k = &self.classify_view;
        v.classify.target.clone_from(&k.target);
        v.classify.features = k.features;
        v.classify.top_genes = k.top_genes;
        v.classify.selection = k.selection;
        v.classify.pcs = k.pcs;
        v.classify.scale = k.scale;
        v.classify.validation = k.validation.clone();
        v.classify.seed = k.seed;
        v.classify.models.clone_from(&k.models);
        v.classify.leak_lesson = k.leak_lesson;
        v.classify.selected = k.selected;
        v.classify.normalised = k.normalised;
        v.classify.ran = k.result.is_some();
        v.classify.search =
            k.search.param.filter(|_| k.search.outcome.is_some()).map(|param| crate::session::GridSearch {
                param,
                values: k.search.values.clone(),
                param2: k.search.param2,
                values2: k.search.values2.clone(),
            });
        v
    }

    fn apply_views(&mut self, v: &Views) {
        self.tab = Tab::ALL.into_iter().find(|t| t.title() == v.tab).unwrap_or(self.tab);
        let pca = &mut self.pca_view;
        pca.params = v.pca.params.clone();
        (pca.x_pc, pca.y_pc) = v.pca.axes;
        pca.loadings_pc = v.pca.loadings_pc;
        pca.biplot_genes = v.pca.biplot_genes;
        pca.panel.color_by = v.pca.colour_by.clone();
        self.tsne_view.params = v.tsne.params.clone();
        self.tsne_view.panel.color_by = v.tsne.colour_by.clone();
        let d = &mut self.distance_map_view;
        d.metric = v.distance_map.metric;
        d.order = v.distance_map.order.clone();
        d.strip.clone_from(&v.distance_map.strip);
        d.reversed = v.distance_map.reversed;
        let c = &mut self.clusters_view;
        c.method = v.clusters.method;
        c.linkage = v.clusters.linkage;
        c.metric = v.clusters.metric;
        c.k = v.clusters.k;
        c.cut = v.clusters.cut;
        c.kmeans = v.clusters.kmeans.clone();
        c.elbow_max = v.clusters.elbow_max;
        c.dbscan = v.clusters.dbscan;
        c.compare.clone_from(&v.clusters.compare);
        let h = &mut self.heatmap_view;
        h.top_genes = v.heatmap.top_genes;
        h.method = v.heatmap.method;
        h.metric = v.heatmap.metric;
        h.range = v.heatmap.range;
        h.strip.clone_from(&v.heatmap.strip);
        let k = &mut self.classify_view;
        k.target.clone_from(&v.classify.target);
        k.features = v.classify.features;
        k.top_genes = v.classify.top_genes;
        k.selection = v.classify.selection;
        k.pcs = v.classify.pcs;
        k.scale = v.classify.scale;
        k.validation = v.classify.validation.clone();
        k.seed = v.classify.seed;
        k.models.clone_from(&v.classify.models);
        k.leak_lesson = v.classify.leak_lesson;
        k.selected = v.classify.selected;
        k.normalised = v.classify.normalised;
        if let Some(search) = &v.classify.search {
            k.search.param = Some(search.param);
            k.search.values.clone_from(&search.values);
            k.search.param2 = search.param2;
            k.search.values2.clone_from(&search.values2);
        }
    }

    /// True while a session is being opened (its data, made annotations and selection).
    pub fn is_restoring(&self) -> bool {
        self.restore.is_some() || self.session_prompt.is_some()
    }

    /// The new location typed in the "moved data file" question, when it is shown.
    pub fn session_prompt_path(&mut self) -> Option<&mut String> {
        self.session_prompt.as_mut().map(|p| &mut p.new_path)
    }

    /// Saves the current session to `path` (a notice says how it went).
    pub fn save_session_to(&mut self, path: &Path) {
        match self.session() {
            Ok(session) => match session.save(path) {
                Ok(()) => self.state.info(format!("Session saved to {}.", path.display())),
                Err(e) => self.state.error(e.to_string()),
            },
            Err(e) => self.state.error(e),
        }
    }

    /// Writes the current session as a shell script of `biolens` commands.
    pub fn export_script_to(&mut self, path: &Path) {
        let script = self.session().and_then(|s| crate::cli::session_script(&s, false).map_err(|e| e.to_string()));
        match script.and_then(|text| std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))) {
            Ok(()) => self.state.info(format!(
                "Script written to {}: run `sh {} OUT_DIR` to write every table and figure.",
                path.display(),
                path.display()
            )),
            Err(e) => self.state.error(e),
        }
    }

    /// Opens the session in `path`: reads it (a bad or newer file is an error, nothing
    /// changes), then checks its data files, asking about moved or changed ones.
    pub fn open_session_from(&mut self, path: &Path) {
        match Session::load(path) {
            Ok(session) => self.check_next_file(session, path.to_owned(), 0),
            Err(e) => self.state.error(format!("Session not opened: {e}")),
        }
    }

    /// Checks the files from `from` on; asks about the first that is not as saved, or applies.
    fn check_next_file(&mut self, session: Session, file: PathBuf, from: usize) {
        let files: Vec<FileRef> =
            std::iter::once(session.data.matrix.clone()).chain(session.data.annotations.iter().cloned()).collect();
        for (k, f) in files.iter().enumerate().skip(from) {
            let check = f.check(&f.path);
            if check != FileCheck::Same {
                let new_path = f.path.display().to_string();
                self.session_prompt = Some(SessionPrompt { session, file, asking: k, problem: check, new_path });
                return;
            }
        }
        self.apply_session(&session, &file);
    }

    fn apply_session(&mut self, session: &Session, file: &Path) {
        self.apply_views(&session.views);
        self.made.clone_from(&session.made_annotations);
        self.restore = Some(PendingRestore {
            made: session.made_annotations.clone(),
            selection: session.selection.clone(),
            selected: false,
            classify: session.views.classify.ran,
            search: session.views.classify.search.is_some(),
        });
        let request = OpenRequest {
            matrix: session.data.matrix.path.clone(),
            annotations: session.data.annotations.iter().map(|a| a.path.clone()).collect(),
            load: LoadOptions { orientation: session.data.orientation },
            pipeline: session.pipeline.clone(),
            name: session.data.name.clone(),
        };
        self.state.info(format!("Opening the session {}: recomputing from its data.", file.display()));
        self.commands.push(Command::Open(request));
    }

    /// After a data job: adds the next made annotation, then the selection.
    pub(super) fn continue_restore(&mut self) {
        let Some(restore) = &mut self.restore else { return };
        if self.state.data_job.is_some() {
            return;
        }
        let Some(current) = &self.state.current else { return };
        if let Some(made) = (!restore.made.is_empty()).then(|| restore.made.remove(0)) {
            let chosen: std::collections::HashSet<&str> = made.selected.iter().map(String::as_str).collect();
            let cells: Vec<Option<&str>> = current
                .dataset
                .sample_ids()
                .iter()
                .map(|id| Some(if chosen.contains(id.as_str()) { "selected" } else { "not selected" }))
                .collect();
            let column = crate::data::annotations::Annotation::categorical(&made.name, &cells);
            self.set_annotation(&column, false);
            return;
        }
        if restore.selected {
            // The classifiers and the grid search, in turn, as they were.
            self.classify_view.poll();
            if self.classify_view.is_running() {
                return;
            }
            if std::mem::take(&mut restore.classify) {
                self.classify_view.start(&self.state);
                return;
            }
            if std::mem::take(&mut restore.search) && self.classify_view.result.is_some() {
                self.classify_view.start_search(&self.state);
                return;
            }
            self.restore = None;
            return;
        }
        restore.selected = true;
        let wanted: std::collections::HashSet<&str> = restore.selection.iter().map(String::as_str).collect();
        let samples: Vec<usize> = current
            .dataset
            .sample_ids()
            .iter()
            .enumerate()
            .filter(|(_, id)| wanted.contains(id.as_str()))
            .map(|(i, _)| i)
            .collect();
        self.state.selection.apply(&samples, super::widgets::scatter::SelectionMode::Replace);
    }

    /// The window asking about a moved or changed data file.
    pub(super) fn session_prompt_ui(&mut self, ctx: &egui::Context) {
        let Some(prompt) = &mut self.session_prompt else { return };
        let file = [&prompt.session.data.matrix]
            .into_iter()
            .chain(&prompt.session.data.annotations)
            .nth(prompt.asking)
            .cloned();
        let Some(file) = file else {
            self.session_prompt = None;
            return;
        };
        let mut answer = None;
        egui::Window::new("Open session").collapsible(false).resizable(false).show(ctx, |ui| {
            let (question, yes) = if prompt.problem == FileCheck::Missing {
                (
                    format!("The data file {} is not there any more. Where is it now?", file.path.display()),
                    "Use this file",
                )
            } else {
                (
                    format!(
                        "The data file {} changed since the session was saved (its contents' SHA-256 differs). \
                         The numbers may not be the same.",
                        file.path.display()
                    ),
                    "Open anyway",
                )
            };
            ui.label(question);
            if prompt.problem == FileCheck::Missing {
                ui.add(egui::TextEdit::singleline(&mut prompt.new_path).desired_width(420.0));
            }
            ui.horizontal(|ui| {
                if ui.button(yes).clicked() {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    answer = Some(false);
                }
            });
        });
        match answer {
            Some(false) => {
                self.session_prompt = None;
                self.state.info("Session not opened.");
            }
            Some(true) => {
                let Some(mut prompt) = self.session_prompt.take() else { return };
                let next = if prompt.problem == FileCheck::Missing {
                    let new_path = PathBuf::from(prompt.new_path.trim());
                    match file.check(&new_path) {
                        FileCheck::Missing => {
                            self.state.error(format!("{}: no such file", new_path.display()));
                            self.session_prompt = Some(prompt);
                            return;
                        }
                        check => {
                            let slot = std::iter::once(&mut prompt.session.data.matrix)
                                .chain(prompt.session.data.annotations.iter_mut())
                                .nth(prompt.asking);
                            if let Some(slot) = slot {
                                slot.path = new_path;
                            }
                            if check == FileCheck::Changed {
                                // Found, but not the same contents: ask again about this file.
                                prompt.problem = FileCheck::Changed;
                                self.session_prompt = Some(prompt);
                                return;
                            }
                            prompt.asking + 1
                        }
                    }
                } else {
                    prompt.asking + 1
                };
                self.check_next_file(prompt.session, prompt.file, next);
            }
            None => {}
        }
    }
}
