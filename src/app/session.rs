//! Sessions in the app: *File ▸ Save session…* gathers the data files, the pipeline, every
//! view's settings, the annotations made from selections and the selection into a
//! [`crate::session::Session`]; *File ▸ Open session…* checks the files (asking for a moved
//! file's new place, and for agreement when one changed), opens the data with the saved
//! pipeline, sets every view, then re-adds the made annotations and the selection — the views
//! recompute from there with the saved parameters and seeds. A bad or newer session file is an
//! error notice; the current session is untouched.

use std::path::{Path, PathBuf};

use eframe::egui;

use std::sync::Arc;

use super::BiolensApp;
use super::Tab;
use super::commands::Command;
use crate::data::{LoadOptions, OpenRequest};
use crate::jobs::{Job, JobError, Poll};
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
    /// Run the regression models again.
    pub regress: bool,
}

/// Hashes every data file the session names (reads them all: call on a worker).
fn hash_files(session: &mut Session) -> Result<(), String> {
    for f in std::iter::once(&mut session.data.matrix).chain(session.data.annotations.iter_mut()) {
        *f = FileRef::of(&f.path).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The first file from `from` on that is not as the session saved it (reads them all: call on
/// a worker).
fn first_problem(session: &Session, from: usize) -> Option<(usize, FileCheck)> {
    std::iter::once(&session.data.matrix)
        .chain(&session.data.annotations)
        .enumerate()
        .skip(from)
        .map(|(k, f)| (k, f.check(&f.path)))
        .find(|(_, check)| *check != FileCheck::Same)
}

/// A session's data files, checked on a worker.
pub enum SessionWork {
    /// The files were checked from some file on.
    Checked {
        /// The session.
        session: Box<Session>,
        /// Its file.
        file: PathBuf,
        /// The first file not as saved, if any.
        problem: Option<(usize, FileCheck)>,
    },
}

impl BiolensApp {
    /// The current session with its data files hashed now (on this thread: the app saves
    /// through a job instead).
    pub fn session(&self) -> Result<Session, String> {
        let mut session = self.session_unhashed()?;
        hash_files(&mut session)?;
        Ok(session)
    }

    /// The current session, its data files named but not yet hashed.
    fn session_unhashed(&self) -> Result<Session, String> {
        let current = self.state.current.as_ref().ok_or("Open a dataset first: a session starts from its data.")?;
        let source = &current.dataset.source;
        let matrix = source.matrix.as_deref().ok_or("This dataset was not read from a file: nothing to save.")?;
        let unhashed = |path: &Path| FileRef { path: path.to_owned(), size: 0, sha256: String::new() };
        let data = DataSource {
            matrix: unhashed(matrix),
            annotations: source.annotations.iter().map(|p| unhashed(p)).collect(),
            // The orientation the user chose (the last open of this file remembers it).
            orientation: self
                .state
                .settings
                .last_opened
                .as_ref()
                .filter(|r| r.matrix == matrix)
                .and_then(|r| r.orientation),
            choice: source.choice.clone(),
            name: Some(current.dataset.name.clone()),
            group_means: source.group_means.clone(),
        };
        let mut session = Session::new(data, current.dataset.pipeline().clone());
        session.made_annotations.clone_from(&self.made);
        let ids = current.dataset.sample_ids();
        session.selection = self.state.selection.samples.iter().filter_map(|&i| ids.get(i).cloned()).collect();
        session.views = self.views_settings();
        Ok(session)
    }

    fn views_settings(&self) -> Views {
        let mut views = Views { tab: self.view(self.tab).title().to_owned(), ..Views::default() };
        for view in self.views.all() {
            view.save(&mut views);
        }
        views
    }

    fn apply_views(&mut self, v: &Views) {
        // Sessions saved before the Classify tab became Predict name it "Classify".
        let tab = if v.tab == "Classify" { "Predict" } else { v.tab.as_str() };
        self.tab = Tab::ALL.into_iter().find(|&t| self.view(t).title() == tab).unwrap_or(self.tab);
        for view in self.views.all_mut() {
            view.restore(v);
        }
    }

    /// True while a session is being opened (its files checked, its data, made annotations,
    /// selection and runs).
    pub fn is_restoring(&self) -> bool {
        self.restore.is_some() || self.session_prompt.is_some() || self.session_job.is_some()
    }

    /// The new location typed in the "moved data file" question, when it is shown.
    pub fn session_prompt_path(&mut self) -> Option<&mut String> {
        self.session_prompt.as_mut().map(|p| &mut p.new_path)
    }

    /// Saves the current session to `path` on a worker (hashing the data files); a notice
    /// says how it went.
    pub fn save_session_to(&mut self, path: &Path) {
        let path = path.to_owned();
        self.spawn_session_job("save session", move |mut session| {
            hash_files(&mut session)?;
            session.save(&path).map_err(|e| e.to_string())?;
            Ok(format!("Session saved to {}.", path.display()))
        });
    }

    /// Writes the current session as a shell script of `biolens` commands, on a worker.
    pub fn export_script_to(&mut self, path: &Path) {
        let path = path.to_owned();
        self.spawn_session_job("export script", move |mut session| {
            hash_files(&mut session)?;
            let text = crate::cli::session_script(&session, false).map_err(|e| e.to_string())?;
            crate::export::file::write_atomic(&path, text.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(format!(
                "Script written to {}: run `sh {} OUT_DIR` to write every table and figure.",
                path.display(),
                path.display()
            ))
        });
    }

    fn spawn_session_job(&mut self, name: &str, work: impl FnOnce(Session) -> Result<String, String> + Send + 'static) {
        match self.session_unhashed() {
            Ok(session) => {
                self.save_job =
                    Some(Job::spawn(name, Arc::clone(&self.waker), move |_| work(session).map_err(JobError::Failed)));
            }
            Err(e) => self.state.error(e),
        }
    }

    /// True while a session is being saved or exported.
    pub fn is_saving(&self) -> bool {
        self.save_job.is_some()
    }

    /// True while the app asks about a moved or changed data file.
    pub fn is_asking(&self) -> bool {
        self.session_prompt.is_some()
    }

    /// Opens the session in `path`: reads it (a bad or newer file is an error, nothing
    /// changes), then checks its data files on a worker, asking about moved or changed ones.
    pub fn open_session_from(&mut self, path: &Path) {
        match Session::load(path) {
            Ok(session) => self.check_files_from(session, path.to_owned(), 0),
            Err(e) => self.state.error(format!("Session not opened: {e}")),
        }
    }

    /// Checks the session's files from `from` on, on a worker.
    fn check_files_from(&mut self, session: Session, file: PathBuf, from: usize) {
        self.session_job = Some(Job::spawn("check session files", Arc::clone(&self.waker), move |_| {
            let problem = first_problem(&session, from);
            Ok(SessionWork::Checked { session: Box::new(session), file, problem })
        }));
    }

    /// Takes a finished session job: a notice, the question about a file, or the session
    /// applied.
    pub(super) fn poll_session_jobs(&mut self) {
        if let Some(job) = &mut self.save_job
            && let Poll::Done(result) = job.poll()
        {
            self.save_job = None;
            match result {
                Ok(message) => self.state.info(message),
                Err(JobError::Cancelled) => {}
                Err(e) => self.state.error(e.to_string()),
            }
        }
        let Some(job) = &mut self.session_job else { return };
        let Poll::Done(result) = job.poll() else { return };
        self.session_job = None;
        match result {
            Ok(SessionWork::Checked { session, file, problem: Some((asking, problem)) }) => {
                let new_path = std::iter::once(&session.data.matrix)
                    .chain(&session.data.annotations)
                    .nth(asking)
                    .map(|f| f.path.display().to_string())
                    .unwrap_or_default();
                self.session_prompt = Some(SessionPrompt { session: *session, file, asking, problem, new_path });
            }
            Ok(SessionWork::Checked { session, file, problem: None }) => self.apply_session(&session, &file),
            Err(JobError::Cancelled) => {}
            Err(e) => self.state.error(e.to_string()),
        }
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
            regress: session.views.classify.regress_ran,
        });
        let request = OpenRequest {
            matrix: session.data.matrix.path.clone(),
            annotations: session.data.annotations.iter().map(|a| a.path.clone()).collect(),
            load: LoadOptions { orientation: session.data.orientation, choice: session.data.choice.clone() },
            pipeline: session.pipeline.clone(),
            name: session.data.name.clone(),
            group_means: session.data.group_means.clone(),
        };
        self.state.info(format!("Opening the session {}: recomputing from its data.", file.display()));
        self.commands.push(Command::Open(Box::new(request)));
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
            // The classifiers and the grid search, in turn, as they were (every view is polled
            // each frame, shown or not).
            if self.views.classify.is_running() {
                return;
            }
            if std::mem::take(&mut restore.classify) {
                self.views.classify.start(&self.state);
                return;
            }
            if std::mem::take(&mut restore.search) && self.views.classify.result.is_some() {
                self.views.classify.start_search(&self.state);
                return;
            }
            if std::mem::take(&mut restore.regress) {
                self.views.classify.regress.start(&self.state);
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
                    // Check the file where the user says it is now (again, if not there).
                    let slot = std::iter::once(&mut prompt.session.data.matrix)
                        .chain(prompt.session.data.annotations.iter_mut())
                        .nth(prompt.asking);
                    if let Some(slot) = slot {
                        slot.path = PathBuf::from(prompt.new_path.trim());
                    }
                    prompt.asking
                } else {
                    prompt.asking + 1
                };
                self.check_files_from(prompt.session, prompt.file, next);
            }
            None => {}
        }
    }
}
