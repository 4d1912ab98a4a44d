//! "Export … (CSV)" for the tables behind the views: a file path and a button per table; the
//! CSV is built by the view and written on a worker thread (a distance matrix can be large).

use std::io::Write;
use std::path::PathBuf;

use eframe::egui::{self, RichText};

use crate::jobs::{Job, Poll};

/// A file path shared by a view's table exports, and the last outcome.
pub struct TableExport {
    /// Folder the tables are written to.
    pub folder: String,
    job: Option<Job<String>>,
    /// The last outcome (the message).
    pub last: Option<Result<String, String>>,
}

impl Default for TableExport {
    fn default() -> Self {
        let home = std::env::var_os("HOME").map_or_else(PathBuf::new, PathBuf::from);
        Self { folder: home.display().to_string(), job: None, last: None }
    }
}

impl TableExport {
    /// True while a table is being written.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// The folder field and the outcome; call once per frame before the buttons.
    pub fn folder_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(job) = &mut self.job
            && let Poll::Done(result) = job.poll()
        {
            self.job = None;
            self.last = Some(result.map_err(|e| e.to_string()));
        }
        ui.horizontal(|ui| {
            ui.label("Export tables to");
            ui.add(
                egui::TextEdit::singleline(&mut self.folder)
                    .desired_width(ui.text_style_height(&egui::TextStyle::Body) * 14.0),
            );
        });
        match &self.last {
            Some(Ok(m)) => {
                ui.label(RichText::new(m).weak());
            }
            Some(Err(m)) => {
                ui.colored_label(ui.visuals().error_fg_color, m);
            }
            None => {}
        }
    }

    /// A button that writes `file` (in the folder) when clicked. Only on a click does
    /// `prepare` run (on the UI thread: it takes what the table needs, cheaply); the writer it
    /// returns runs on a worker thread, straight into the file.
    pub fn button_ui<W>(&mut self, ui: &mut egui::Ui, label: &str, file: &str, prepare: impl FnOnce() -> W) -> bool
    where
        W: FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static,
    {
        let clicked = ui.add_enabled(self.job.is_none(), egui::Button::new(label)).clicked();
        if clicked {
            let path = PathBuf::from(self.folder.trim()).join(file);
            let write = prepare();
            let ctx = ui.ctx().clone();
            self.last = None;
            self.job =
                Some(Job::spawn("export table", std::sync::Arc::new(move || ctx.request_repaint()), move |_| {
                    let failed = |e: std::io::Error| {
                        crate::jobs::JobError::Failed(format!("cannot write {}: {e}", path.display()))
                    };
                    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).map_err(failed)?);
                    write(&mut out).and_then(|()| out.flush()).map_err(failed)?;
                    Ok(format!("Written {}.", path.display()))
                }));
        }
        clicked
    }
}
