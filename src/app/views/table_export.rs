//! "… (CSV)…" buttons for the tables behind the views: each asks where in the desktop's own
//! *Save as…* dialog (proposing the table's usual file name, in the folder used last; the
//! dialog asks before replacing a file), then the view builds the CSV and a worker thread
//! writes it, all or nothing ([`crate::export::file`]): a distance matrix can be large.

use std::io::Write;
use std::path::PathBuf;

use eframe::egui::{self, RichText};

use crate::app::file_dialog::{NO_PORTAL, PendingSave, SaveOutcome, SaveRequest};
use crate::jobs::{Job, Poll};

/// A view's table exports: the dialog or write in progress, and the last outcome.
#[derive(Default)]
pub struct TableExport {
    /// The folder of the last table written (where the next dialog starts).
    pub folder: Option<PathBuf>,
    /// The dialog being shown, for the table of this file name.
    dialog: Option<(PendingSave, String)>,
    /// A file chosen for the table of this file name, written at its button's next frame.
    chosen: Option<(String, PathBuf)>,
    job: Option<Job<String>>,
    /// The last outcome (the message).
    pub last: Option<Result<String, String>>,
}

impl TableExport {
    /// True while a table's dialog is open or it is being written.
    pub fn is_running(&self) -> bool {
        self.job.is_some() || self.dialog.is_some() || self.chosen.is_some()
    }

    /// The outcome of the last export; call once per frame before the buttons.
    pub fn status_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(job) = &mut self.job
            && let Poll::Done(result) = job.poll()
        {
            self.job = None;
            self.last = Some(result.map_err(|e| e.to_string()));
        }
        if let Some(outcome) = self.dialog.as_ref().and_then(|(d, _)| d.poll())
            && let Some((_, file)) = self.dialog.take()
        {
            match outcome {
                SaveOutcome::Chosen(path) => {
                    self.folder = path.parent().map(std::path::Path::to_path_buf);
                    self.chosen = Some((file, path));
                }
                SaveOutcome::Dismissed { suspiciously_fast: true } => self.last = Some(Err(NO_PORTAL.to_owned())),
                SaveOutcome::Dismissed { .. } => {}
            }
        }
        match &self.last {
            Some(Ok(m)) => {
                ui.add(egui::Label::new(RichText::new(m).weak()).wrap());
            }
            Some(Err(m)) => {
                ui.add(egui::Label::new(RichText::new(m).color(ui.visuals().error_fg_color)).wrap());
            }
            None => {}
        }
    }

    /// A button that asks where to write `file` (the name the dialog proposes) and then writes
    /// it. Only once the file is chosen does `prepare` run (on the UI thread: it takes what the
    /// table needs, cheaply); the writer it returns runs on a worker thread, straight into the
    /// file. Returns true on the frame the writing starts.
    pub fn button_ui<W>(&mut self, ui: &mut egui::Ui, label: &str, file: &str, prepare: impl FnOnce() -> W) -> bool
    where
        W: FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static,
    {
        let busy = self.job.is_some() || self.dialog.is_some();
        if ui.add_enabled(!busy, egui::Button::new(format!("{label}…"))).clicked() {
            let request = SaveRequest {
                title: format!("Export {label}"),
                file_name: file.to_owned(),
                folder: self.folder.clone(),
                filters: vec![("CSV table", &["csv"][..])],
            };
            self.last = None;
            self.dialog = Some((PendingSave::open(ui.ctx(), request), file.to_owned()));
            ui.ctx().request_repaint();
        }
        let Some(path) = self.chosen.take_if(|(f, _)| f == file).map(|(_, path)| path) else { return false };
        let write = prepare();
        let ctx = ui.ctx().clone();
        self.job = Some(Job::spawn("export table", std::sync::Arc::new(move || ctx.request_repaint()), move |_| {
            let failed =
                |e: std::io::Error| crate::jobs::JobError::Failed(format!("cannot write {}: {e}", path.display()));
            crate::export::file::write_atomic_with(&path, |out| write(out)).map_err(failed)?;
            Ok(format!("Written {}.", path.display()))
        }));
        true
    }
}
