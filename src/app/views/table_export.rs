//! "Export … (CSV)" for the tables behind the views: a file path and a button per table; the
//! CSV is built by the view and written on a worker thread (a distance matrix can be large).

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

    /// A button that writes `file` (in the folder) when clicked; `csv` builds the text on the
    /// worker thread.
    pub fn button_ui(
        &mut self,
        ui: &mut egui::Ui,
        label: &str,
        file: &str,
        csv: impl FnOnce() -> String + Send + 'static,
    ) -> bool {
        let clicked = ui.add_enabled(self.job.is_none(), egui::Button::new(label)).clicked();
        if clicked {
            let path = PathBuf::from(self.folder.trim()).join(file);
            let ctx = ui.ctx().clone();
            self.last = None;
            self.job =
                Some(Job::spawn("export table", std::sync::Arc::new(move || ctx.request_repaint()), move |_| {
                    std::fs::write(&path, csv())
                        .map_err(|e| crate::jobs::JobError::Failed(format!("cannot write {}: {e}", path.display())))?;
                    Ok(format!("Written {}.", path.display()))
                }));
        }
        clicked
    }
}
